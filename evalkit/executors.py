"""The executors partitions run on: a process pool here, or a Dask cluster elsewhere.

Both are plain `concurrent.futures.Executor`s; `PartitionRunner` does not know which it has.
Process pools use the `spawn` start method (as Windows always does): workers start clean and
import evalkit by name, so nothing of the driver's state (durable-rules' globals included) leaks in.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import Executor, ProcessPoolExecutor

from .errors import UsageError


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
