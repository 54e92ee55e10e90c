"""Rule evaluation on all of this machine's cores, by processes forked from this one (Linux).

A forked process starts with this one's memory, facts included, so nothing has to be sent to
it: it evaluates its share of the subjects and sends back only what it found (findings,
decisions naming their fact by position, failed consequences), pickled through a pipe. This
process evaluates the first share meanwhile. Shares are runs of subjects in sorted order, so
the results, concatenated in share order, are exactly an in-process run's. At the L benchmark
the rules step takes 17 s instead of 23 on two cores (benchmarks/README.md); a spawned pool,
which must be sent the facts, gains nothing there (docs/scale.md).

A share whose process died or failed is evaluated again here, as `PartitionRunner` does; if
that fails too, the run stops and nothing is written.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import warnings
from collections import Counter
from itertools import starmap
from operator import attrgetter
from typing import BinaryIO

from .evaluate import Decision, Job, Result, evaluate_facts
from .facts import Fact
from .findings import Finding
from .partitions import Partition, PartitionError, evaluate_part

#: Fewer facts are evaluated in this process: forking and sending results back cost more than
#: a second core saves on a district's few thousand facts (S: 1,600 facts in about 0.05 s).
FORK_FROM_FACTS = 20_000


_FIELDS = attrgetter(*Finding.__slots__)


def can_fork() -> bool:
    """Forking is what Linux processes do cheaply and safely; macOS and Windows spawn instead."""
    return sys.platform.startswith("linux") and hasattr(os, "fork")


def default_processes() -> int:
    """One per core this process may run on, at most 8: each forked process's memory grows by
    the pages of facts it touches, and past a few cores the rules are no longer the slow step."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(cores, 8)


class ForkRunner:
    """Evaluates a job's facts in `processes` processes: this one and `processes - 1` forked ones."""

    def __init__(self, processes: int, fork_from: int = FORK_FROM_FACTS):
        self.processes = max(1, processes)
        self.fork_from = fork_from

    def close(self) -> None:
        """Nothing outlives a run: each forked process ends with its share."""

    def run(self, job: Job, facts: list[Fact]) -> Result:
        shares = split_by_subject(facts, self.processes) if len(facts) >= self.fork_from else [facts]
        children: dict[int, tuple[int, BinaryIO]] = {}  # share → (pid, the pipe its result comes by)
        try:
            for index in range(1, len(shares)):
                try:
                    children[index] = _fork(job, shares[index])
                except OSError:  # no process to be had (memory, a limit): that share is evaluated here
                    pass
            results = [evaluate_facts(job, shares[0])]
            results += [_collect(job, shares, index, children) for index in range(1, len(shares))]
        finally:
            for pid, pipe in children.values():  # interrupted: no process is left behind
                os.kill(pid, signal.SIGKILL)
                pipe.close()
                os.waitpid(pid, 0)
        findings, decisions, errors = [], [], []
        for found, decided, failed in results:
            findings += found
            decisions += decided
            errors += failed
        return findings, decisions, errors


def split_by_subject(facts: list[Fact], shares: int) -> list[list[Fact]]:
    """`facts` in at most `shares` runs of subjects (in sorted order) with about as many facts each."""
    counts = Counter(fact.subject for fact in facts)
    share_of, share, done = {}, 0, 0
    for subject in sorted(counts):
        share_of[subject] = share
        done += counts[subject]
        share = min(shares - 1, done * shares // max(1, len(facts)))
    buckets: list[list[Fact]] = [[] for _ in range(shares)]
    for fact in facts:
        buckets[share_of[fact.subject]].append(fact)
    return [bucket for bucket in buckets if bucket] or [[]]


def _fork(job: Job, share: list[Fact]) -> tuple[int, BinaryIO]:
    """A process evaluating `share`; its pid and the reading end of the pipe its result comes by."""
    read_end, write_end = os.pipe()
    with warnings.catch_warnings():
        # Python 3.12 warns that forking a threaded process may deadlock the child on a lock
        # another thread held. This child takes none: the engine's C code, pickle and a pipe.
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: evaluate, send, and end without running the parent's exit handlers
        status = 1
        try:
            os.close(read_end)
            signal.signal(signal.SIGINT, signal.SIG_DFL)  # Ctrl-C ends it; the parent cleans up
            found, decided, failed = evaluate_part(job, share)
            # Findings go as tuples of their fields: a third of the time of pickling the objects.
            result = pickle.dumps((list(map(_FIELDS, found)), decided, failed), protocol=pickle.HIGHEST_PROTOCOL)
            with os.fdopen(write_end, "wb") as pipe:
                pipe.write(result)
            status = 0
        finally:
            os._exit(status)
    os.close(write_end)
    return pid, os.fdopen(read_end, "rb")


def _collect(job: Job, shares: list[list[Fact]], index: int, children: dict) -> Result:
    """The result of a share from the child that evaluated it; evaluated here when the child
    failed (or none could be forked)."""
    share = shares[index]
    if index in children:
        pid, pipe = children[index]
        with pipe:
            data = pipe.read()
        _, status = os.waitpid(pid, 0)
        del children[index]
        if status == 0:
            found, decided, failed = pickle.loads(data)
            decisions = [Decision(rule, share[at], *rest) for rule, at, *rest in decided]
            return list(starmap(Finding, found)), decisions, failed
    try:
        return evaluate_facts(job, share)
    except Exception as again:
        raise PartitionError(Partition(index, share), len(shares), again) from again
