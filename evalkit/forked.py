"""Work spread over this machine's cores by processes forked from this one (Linux).

A forked process starts with this one's memory, facts and findings included, so nothing has to
be sent to it; it sends back only what it made. Three steps use them:

- Validation (`ForkedResult`, by `load_dataset`): a large dataset's cross-record checks run in
  a forked process while this one builds the facts (docs/scale.md says what plugins may assume).
- Rules (`ForkRunner`): every process, this one included, takes chunks of the subjects from a
  shared queue until none is left; forked ones send back what they found (findings as tuples,
  decisions naming their fact by position, failed consequences), pickled through a pipe.
  Chunks are runs of subjects in sorted order, so the results, put back in chunk order, are
  exactly an in-process run's.
- Writing JSON (`ForkedText`): a forked process writes a province's findings into a temporary
  file while this one writes the scores and tables that come before them, then copies it in.

Whatever a forked process was to make is made here instead when it dies or fails; if that fails
too, the run stops and nothing is written. An interrupted run kills and reaps its processes. A
spawned pool, which must be sent the facts, gains nothing on two cores (docs/scale.md).
"""

from __future__ import annotations

import codecs
import os
import pickle
import select
import signal
import sys
import tempfile
import warnings
from bisect import bisect_right
from collections import Counter
from collections.abc import Callable, Iterator
from functools import partial
from itertools import starmap
from operator import attrgetter

from .evaluate import Decision, Job, Result, evaluate_facts
from .facts import Fact
from .findings import Finding
from .partitions import Partition, PartitionError, evaluate_part

#: Less work than this (records to validate, facts to evaluate, findings to write) is done in this
#: process: forking and sending results back cost more than a second core saves on a district's
#: few thousand.
FORK_FROM = 20_000


def can_fork() -> bool:
    """Forking is what Linux processes do cheaply and safely (macOS and Windows spawn instead),
    unless this process was started with SIGCHLD ignored: it could not learn how a child ended."""
    return (
        sys.platform.startswith("linux") and hasattr(os, "fork") and signal.getsignal(signal.SIGCHLD) != signal.SIG_IGN
    )


def default_processes() -> int:
    """One per core this process may run on, at most 8: each forked process's memory grows by
    the pages of facts it touches, and past a few cores the rules are no longer the slow step."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
    return min(cores, 8)


class Forked:
    """`work()` done by a process forked from this one; raises OSError when none can be had.

    The process joins `started` before anything can interrupt this one (Ctrl-C is held back
    across the fork), so whoever holds that list can always stop it. The child never returns
    into this process's code: it works and exits, a Ctrl-C ending it outright.
    """

    def __init__(self, work: Callable[[], object], started: list[Forked]):
        held = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
        try:
            with warnings.catch_warnings():
                # Python 3.12 warns that forking a threaded process may deadlock the child on a
                # lock another thread held. Work done here takes none: our own code, pickle, a file.
                warnings.simplefilter("ignore", DeprecationWarning)
                self.pid: int | None = os.fork()
            if self.pid == 0:
                status = 1
                try:
                    signal.signal(signal.SIGINT, signal.SIG_DFL)
                    signal.pthread_sigmask(signal.SIG_SETMASK, held)
                    work()
                    status = 0
                finally:
                    os._exit(status)
            started.append(self)
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, held)

    def succeeded(self) -> bool:
        """Waits for the process to end: True when its work was done."""
        assert self.pid is not None
        pid, self.pid = self.pid, None
        try:
            return os.waitpid(pid, 0)[1] == 0
        except ChildProcessError:  # reaped by someone else: how it ended is unknown
            return False

    def stop(self) -> None:
        """Kills and reaps the process if it has not been waited for (an interrupted run)."""
        if self.pid is not None:
            pid, self.pid = self.pid, None
            try:
                os.kill(pid, signal.SIGKILL)
                os.waitpid(pid, 0)
            except (ProcessLookupError, ChildProcessError):
                pass


_FIELDS = attrgetter(*Finding.__slots__)


class ForkRunner:
    """Evaluates a job's facts in `processes` processes: this one and `processes - 1` forked ones.

    The facts are cut into `CHUNKS_PER_PROCESS` chunks per process (runs of subjects in sorted
    order); each process takes the next chunk from a queue shared by all until none is left, so
    a process that runs slower (a forked one pays for the memory pages it writes, a busy core)
    simply takes fewer. Chunks' results, put back in chunk order, are exactly an in-process run's.
    """

    def __init__(self, processes: int, fork_from: int = FORK_FROM):
        self.processes = max(1, processes)
        self.fork_from = fork_from

    def close(self) -> None:
        """Nothing outlives a run: each forked process ends when no chunk is left."""

    def run(self, job: Job, facts: list[Fact]) -> Result:
        if len(facts) < self.fork_from or self.processes == 1:
            return evaluate_facts(job, facts)
        chunks = split_by_subject(facts, min(self.processes * CHUNKS_PER_PROCESS, _Queue.LONGEST))
        results: dict[int, Result] = {}
        started: list[Forked] = []
        children: list[ForkedResult] = []
        with _Queue(len(chunks)) as queue:
            try:
                for _ in range(self.processes - 1):
                    children.append(ForkedResult(partial(_evaluate_taken, job, chunks, queue), started))
                for index in queue:
                    results[index] = _evaluate_here(job, chunks, index)
                # What each forked process evaluated. One that died or failed sends nothing (its
                # `compute`, run here instead, finds the queue empty): its chunks are missing.
                for child in children:
                    for index, compact in child.result():
                        results[index] = _expanded(pickle.loads(compact), chunks[index])
            finally:
                for process in started:  # each is stopped if it has not ended (an interrupted run)
                    process.stop()
                for child in children:
                    child.stop()
        findings, decisions, errors = [], [], []
        for index in range(len(chunks)):
            found, decided, failed = results[index] if index in results else _evaluate_here(job, chunks, index)
            findings += found
            decisions += decided
            errors += failed
        return findings, decisions, errors


#: Chunks of facts per process: enough that the processes end within a chunk of each other
#: (about 0.6 s of work at L), few enough that a chunk's fixed costs stay negligible.
CHUNKS_PER_PROCESS = 32


class _Queue:
    """Chunk numbers in a pipe, written once before forking; each process reads the next one.

    A pipe read of 4 bytes is whole and never shared between readers (the kernel serialises
    them), so every chunk is taken exactly once; a process that dies loses only its own."""

    #: The most chunk numbers a pipe is sure to hold before anyone reads (PIPE_BUF bytes: even a
    #: pipe cut to one page by the system's limits); more would block the writing for ever.
    LONGEST = select.PIPE_BUF // 4

    def __init__(self, count: int):
        assert count <= self.LONGEST
        read_end, write_end = os.pipe()
        with os.fdopen(write_end, "wb") as writing:  # at most PIPE_BUF bytes: the pipe holds them
            writing.write(b"".join(index.to_bytes(4, "little") for index in range(count)))
        self.read_end = read_end

    def __iter__(self) -> Iterator[int]:
        while taken := os.read(self.read_end, 4):
            yield int.from_bytes(taken, "little")

    def __enter__(self) -> _Queue:
        return self

    def __exit__(self, *exc: object) -> None:
        os.close(self.read_end)


def _evaluate_taken(job: Job, chunks: list[list[Fact]], queue: _Queue) -> list[tuple[int, bytes]]:
    """In a forked process: the chunks it took from the queue, each evaluated and pickled at once
    (findings as tuples of their fields, a third of the time of pickling the objects), so that
    sending them at the end costs next to nothing."""
    done = []
    for index in queue:
        found, decided, failed = evaluate_part(job, chunks[index])
        compact = pickle.dumps((list(map(_FIELDS, found)), decided, failed), protocol=pickle.HIGHEST_PROTOCOL)
        done.append((index, compact))
    return done


def _evaluate_here(job: Job, chunks: list[list[Fact]], index: int) -> Result:
    """A chunk evaluated in this process: one it took, or one a forked process took and did not
    send back (it died or failed). A failure stops the run, naming the chunk's subjects."""
    try:
        return evaluate_facts(job, chunks[index])
    except Exception as again:
        raise PartitionError(Partition(index, chunks[index]), len(chunks), again) from again


def split_by_subject(facts: list[Fact], shares: int) -> list[list[Fact]]:
    """`facts` in at most `shares` runs of subjects (in sorted order) with about as many facts each."""
    counts = Counter(fact.subject for fact in facts)
    ends = [len(facts) * share / shares for share in range(1, shares)]  # where shares 2, 3, … start
    share_of, done = {}, 0
    for subject in sorted(counts):
        share_of[subject] = bisect_right(ends, done)
        done += counts[subject]
    buckets: list[list[Fact]] = [[] for _ in range(shares)]
    for fact in facts:
        buckets[share_of[fact.subject]].append(fact)
    return [bucket for bucket in buckets if bucket] or [[]]


def _expanded(compact: tuple[list[tuple], list[tuple], list], facts: list[Fact]) -> Result:
    found, decided, failed = compact
    decisions = [Decision(rule, facts[at], *rest) for rule, at, *rest in decided]
    return list(starmap(Finding, found)), decisions, failed


class ForkedResult:
    """What `compute()` returns, computed by a forked process and sent back pickled through a pipe
    while this process goes on; computed here instead when no process can be had, or it dies or
    fails. The process joins `started` (see `Forked`)."""

    def __init__(self, compute: Callable[[], object], started: list[Forked]):
        self.compute = compute
        read_end, write_end = os.pipe()
        self.pipe = os.fdopen(read_end, "rb")
        sending = os.fdopen(write_end, "wb")

        def send() -> None:
            self.pipe.close()
            result = pickle.dumps(compute(), protocol=pickle.HIGHEST_PROTOCOL)
            with sending:
                sending.write(result)

        try:
            self.child: Forked | None = Forked(send, started)
        except OSError:  # no process to be had (memory, a limit)
            self.child = None
        finally:
            sending.close()

    def result(self):
        """Waits for the process; what it computed, or what `compute()` returns here. Interrupted
        while waiting, it stops the process first."""
        try:
            with self.pipe:
                data = self.pipe.read() if self.child is not None else b""
            done = self.child is not None and self.child.succeeded()
        except BaseException:
            self.stop()
            raise
        return pickle.loads(data) if done else self.compute()

    def stop(self) -> None:
        """Kills and reaps the process if it has not been waited for (the result is not wanted)."""
        if self.child is not None:
            self.child.stop()
        self.pipe.close()


class ForkedText:
    """Text written by a forked process into a temporary file while this process goes on;
    `write_to` waits for it and passes it on (or writes it here when the process failed).
    The process joins `started` (see `Forked`)."""

    def __init__(self, write_text: Callable[[Callable[[str], object]], None], started: list[Forked]):
        self.write_text = write_text
        self.file = tempfile.TemporaryFile()

        def write() -> None:
            write_text(lambda text: self.file.write(text.encode("utf-8")))
            self.file.flush()

        try:
            self.child: Forked | None = Forked(write, started)
        except OSError:
            self.child = None

    def write_to(self, write: Callable[[str], object]) -> None:
        if self.child is None or not self.child.succeeded():
            self.write_text(write)
            return
        self.file.seek(0)
        decoder = codecs.getincrementaldecoder("utf-8")()
        while chunk := self.file.read(1 << 20):
            write(decoder.decode(chunk))

    def close(self) -> None:
        if self.child is not None:
            self.child.stop()
        self.file.close()
