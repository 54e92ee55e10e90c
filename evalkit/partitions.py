"""Rule evaluation split into partitions of subjects, run by any `concurrent.futures.Executor`.

Subjects go to partitions by a stable hash of their id (CRC-32, the same on every machine and
Python run), so a subject's facts always travel together. Each partition is evaluated by
`evaluate_part` (`evaluate_facts`, its decisions sent back small) in a worker: a
`ProcessPoolExecutor` on this machine, or a Dask cluster through
`distributed.Client.get_executor()`. Only plain data crosses: the job (compiled rules, fact
kinds, waivers) and the facts; plugin code runs on the driver, where the facts are built, so
workers need evalkit and nothing else. The driver merges the results in a fixed order; scoring
(quotas, ranks) and rendering then see exactly what an in-process run sees.

A partition whose worker died or raised is retried once in this process (evaluation is
deterministic and has no side effects); if that fails too, the run stops with an error naming
the partition and its subjects, and nothing is written.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from concurrent.futures import Executor, Future
from dataclasses import dataclass

from .engine import RuleError
from .errors import EvalkitError
from .evaluate import Decision, Job, Result, evaluate_facts
from .facts import Fact
from .findings import Finding


def partition_of(subject: str, partitions: int) -> int:
    return zlib.crc32(subject.encode("utf-8")) % partitions


@dataclass(frozen=True)
class Partition:
    index: int
    facts: list[Fact]

    @property
    def subjects(self) -> list[str]:
        return sorted({fact.subject for fact in self.facts})


def split(facts: list[Fact], partitions: int) -> list[Partition]:
    """The facts by partition (empty partitions left out)."""
    buckets: list[list[Fact]] = [[] for _ in range(partitions)]
    for fact in facts:
        buckets[partition_of(fact.subject, partitions)].append(fact)
    return [Partition(index, bucket) for index, bucket in enumerate(buckets) if bucket]


class PartitionError(EvalkitError):
    """A partition failed in its worker and again when retried: no result is written."""

    exit_code = 3

    def __init__(self, partition: Partition, count: int, error: BaseException):
        subjects = partition.subjects
        shown = ", ".join(subjects[:5]) + (f", … ({len(subjects)} subjects)" if len(subjects) > 5 else "")
        super().__init__(
            f"partition {partition.index + 1} of {count} ({shown}) failed: {type(error).__name__}: {error}; "
            "nothing was written"
        )


def evaluate_part(job: Job, facts: list[Fact]) -> tuple[list[Finding], list[tuple], list[RuleError]]:
    """`evaluate_facts` in a worker; each decision goes back naming its fact by its position in
    `facts` (the driver holds them) instead of carrying a copy of the fact with its evidence."""
    findings, decisions, errors = evaluate_facts(job, facts)
    position = {id(fact): index for index, fact in enumerate(facts)}
    compact = [(d.rule, position[id(d.fact)], d.subject_kind, d.skipped, d.matched) for d in decisions]
    return findings, compact, errors


class PartitionRunner:
    """Runs a job's partitions on `executor`; the merged result equals an in-process run's."""

    def __init__(self, executor: Executor, partitions: int, close: Callable[[], None] = lambda: None):
        self.executor = executor
        self.partitions = max(1, partitions)
        self.close = close  # shuts the pool down or disconnects from the cluster

    def run(self, job: Job, facts: list[Fact]) -> Result:
        parts = split(facts, self.partitions)
        futures: list[Future] = [self.executor.submit(evaluate_part, job, part.facts) for part in parts]
        findings: list[Finding] = []
        decisions, errors = [], []
        for part, future in zip(parts, futures, strict=True):
            try:
                found, decided, failed = future.result()
                decided = [Decision(rule, part.facts[at], *rest) for rule, at, *rest in decided]
            except Exception:  # a dead worker, a lost connection, a crash in the engine: retry here once
                try:
                    found, decided, failed = evaluate_facts(job, part.facts)
                except Exception as again:
                    raise PartitionError(part, self.partitions, again) from again
            findings += found
            decisions += decided
            errors += failed
        findings.sort(key=Finding.sort_key)
        decisions.sort(key=lambda d: d.fact.subject)  # stable: each subject's decisions keep their order
        errors.sort(key=lambda e: (e.subject, e.rule))
        return findings, decisions, errors
