"""Runs: every call into the library goes to a spawn-context process pool (work.py), so the rule
engine's process-wide state is never shared by two visitors, and a run that crashes its worker
costs that run only: the pool is made again and the server keeps serving.

A long run is a `Job`: its page refreshes itself until the run is done (app.py)."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import secrets
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field

log = logging.getLogger("evalkit.serve")


class Workers:
    """The pool, `size` processes (default one: runs wait their turn rather than share memory)."""

    def __init__(self, size: int = 1):
        self.size = size
        self._pool = self._start()

    def _start(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(self.size, mp_context=multiprocessing.get_context("spawn"))

    def submit(self, function, *args) -> Future:
        try:
            return self._pool.submit(function, *args)
        except BrokenProcessPool:
            log.warning("a worker process died; starting the pool again")
            self._pool = self._start()
            return self._pool.submit(function, *args)

    async def run(self, function, *args):
        """`function(*args)` in a worker, awaited."""
        return await asyncio.wrap_future(self.submit(function, *args))

    def close(self) -> None:
        self._pool.shutdown(wait=False, cancel_futures=True)


@dataclass
class Job:
    """One run a visitor started: `kind` (check, assess) says which page shows its result."""

    id: str
    owner: str  # the visit's id
    kind: str
    future: Future
    subject: str = ""
    period: str = ""
    reference: str = field(default="")  # set when the run raised: the number its log line carries

    def outcome(self):
        """The result once done (None while running); an unexpected error is logged once with a
        reference number and re-raised as `RunFailed`."""
        if not self.future.done():
            return None
        if self.reference:
            raise RunFailed(self.reference)
        error = self.future.exception()
        if error is None:
            return self.future.result()
        self.reference = secrets.token_hex(4)
        log.error("run %s (%s) failed", self.reference, self.kind, exc_info=error)
        raise RunFailed(self.reference)


class RunFailed(Exception):
    """A run raised what no page expects; its reference number is in the log beside the traceback."""

    def __init__(self, reference: str):
        super().__init__(reference)
        self.reference = reference


class Jobs:
    """The runs by id, each seen only by the visit that started it."""

    def __init__(self, workers: Workers):
        self.workers = workers
        self._jobs: dict[str, Job] = {}

    def start(self, owner: str, kind: str, function, *args, subject: str = "", period: str = "") -> Job:
        job = Job(secrets.token_urlsafe(16), owner, kind, self.workers.submit(function, *args), subject, period)
        self._jobs[job.id] = job
        return job

    def of(self, owner: str, job_id: str) -> Job | None:
        job = self._jobs.get(job_id)
        return job if job is not None and secrets.compare_digest(job.owner, owner) else None

    def forget(self, job_ids) -> None:
        for job_id in job_ids:
            job = self._jobs.pop(job_id, None)
            if job is not None:
                job.future.cancel()

    def move(self, old_owner: str, new_owner: str) -> None:
        """The jobs of a visit that got a new id (logging in)."""
        for job in self._jobs.values():
            if job.owner == old_owner:
                job.owner = new_owner
