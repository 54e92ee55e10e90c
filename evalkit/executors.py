"""Where rules run (`rule_runner`), and the executors partitions run on: a process pool here,
or a Dask cluster elsewhere.

Both are plain `concurrent.futures.Executor`s; `PartitionRunner` does not know which it has.
Process pools use the `spawn` start method (as Windows always does): workers start clean and
import evalkit by name, so nothing of the driver's state (durable-rules' globals included) leaks in.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor

from .errors import UsageError
from .evaluate import Runner
from .forked import ForkRunner, can_fork, default_processes
from .partitions import PartitionRunner


def rule_runner(workers: int | None = None, partitions: int | None = None, executor: str = "") -> Runner | None:
    """Where the rules run (None: in this process), as `--workers`, `--partitions` and
    `--executor` say: a Dask cluster at `executor`; by default, on Linux, forked processes, one
    per core (`ForkRunner`: a district's few facts are still evaluated here), elsewhere this
    process; `workers` processes when given (0 or 1: this process), forked on Linux, or a
    spawned pool with `partitions` or where processes cannot be forked. A spawned pool must be
    sent the facts, which on two cores costs what the second core saves (docs/scale.md).
    """
    if executor:
        dask, count, close = dask_executor(executor, partitions)
        return PartitionRunner(dask, count, close)
    if workers is None:
        return ForkRunner(default_processes()) if can_fork() and default_processes() > 1 else None
    if workers <= 1:
        return None
    if can_fork() and not partitions:
        return ForkRunner(workers)
    pool, close = process_executor(workers)
    return PartitionRunner(pool, partitions or 4 * workers, close)


def process_executor(workers: int) -> tuple[Executor, Callable[[], None]]:
    """A pool of `workers` processes, and how to shut it down."""
    executor = ProcessPoolExecutor(max_workers=workers, mp_context=multiprocessing.get_context("spawn"))
    return executor, lambda: executor.shutdown(cancel_futures=True)


def dask_executor(address: str, partitions: int | None) -> tuple[Executor, int, Callable[[], None]]:
    """An executor on the Dask scheduler at `address` (dask://HOST:PORT or tls://HOST:PORT), a
    partition count (by default four per worker thread), and how to disconnect."""
    try:
        from distributed import Client
    except ImportError:
        raise UsageError(
            "--executor needs Dask: pip install 'evalkit[dask]'", "--executor 需要 Dask：pip install 'evalkit[dask]'"
        ) from None
    scheme, _, rest = address.partition("://")
    if scheme not in ("dask", "tcp", "tls") or not rest:
        raise UsageError(f"--executor {address}: expected dask://HOST:PORT (or tls://HOST:PORT)")
    try:
        client = Client(f"{'tls' if scheme == 'tls' else 'tcp'}://{rest}", timeout=10, set_as_default=False)
    except OSError as error:
        raise UsageError(f"--executor {address}: no Dask scheduler answers there ({error})") from None
    threads = sum(worker["nthreads"] for worker in client.scheduler_info()["workers"].values()) or 1
    return client.get_executor(pure=False, retries=1), partitions or 4 * threads, client.close
