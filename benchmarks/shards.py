"""Time a folder of shards assessed on a local Dask cluster (or in local processes) beside the
concatenated dataset assessed in one process, with peak memory of the driver and the workers.

The folder holds ten shards of M (`d00` … `d09`: districts 0–99, 100–199, …, 900–999, each
`generate.py 100 --district-offset K`); their files concatenated in order are L (`generate.py
1000`). Each run pairs, in fresh processes and in this order so both meet the same spell of the
shared host:

    evalkit assess SHARDS --period 2024 --format json --output X --quiet --executor dask://… --spill DIR
    evalkit assess L      --period 2024 --format json --output Y --quiet

and X must be Y, byte for byte (the shards are one dataset: docs/scale.md) but for what is
documented to differ: a waiver's place (in findings and unused-waiver warnings) is its shard's
file and row (`d03/waivers.csv:2`), not the concatenated file's (`waivers.csv:302`), and
generated data has waivers. Every line that differs must become Y's once each such place is read
as the concatenation's row; the script stops at the first pair that differs otherwise, keeping
both files under --data. It prints the medians: both wall times, their ratio (median of the
pairs), the peaks of resident memory, and the sharded run's throughput per worker core.

    python benchmarks/shards.py --runs 3                                  # Dask, 2 workers
    python benchmarks/shards.py --runs 3 --jobs 2                         # local processes instead
    python benchmarks/shards.py --concatenation /tmp/evalkit-L --runs 1   # reuse an L (verified)

Memory is sampled every --interval seconds (0.1) with psutil, and each process's high-water mark
(VmHWM, the kernel's) is read at every sample: a Dask worker's, read once more after the run,
is exact; a pool process's (--jobs) misses at most its last interval before it exits. Reported:
- driver: the `evalkit assess` process of the shards (the scheduler's client; it merges the
  shards' parts, scores and renders), and the driver with its child processes summed at each
  sample (with --jobs, the driver's pool is its children);
- workers: the cluster's worker processes (with --jobs, the driver's pool processes): the peak
  of their sum at each sample, and the highest peak of one worker. The workers are restarted
  before each sharded run, so each run's peaks are its own and not what an earlier run left in
  a worker's heap (the workers' imports count in the run's time, as on a cluster started for
  it). The scheduler runs in this script's process, whose memory is not counted;
- concatenated: the process tree of `evalkit assess L`, and its own peak from the kernel
  (ru_maxrss, as benchmarks/run.py).

Throughput: records (data rows of every CSV file of the shards) per second of the sharded run's
wall time, per worker core (2 workers of one thread each, or --jobs N processes).

Datasets are kept under --data (/tmp/evalkit-shards) and reused when complete: each shard is
written to a hidden folder and renamed when done, so a shard folder present is complete (hidden
folders are not shards to evalkit either). A concatenation named with --concatenation is checked
against the shards (same CSV files, same sizes, same SHA-256 of the shards' files concatenated)
before it is used; without it, L is generated under --data.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
SHARDS = 10  # shards of M: districts 0–999, the L dataset
DISTRICTS = 100
ENV = {**os.environ, "EVALKIT_DISABLE_PLUGIN_AUTOLOAD": "1"}


# --- datasets ---------------------------------------------------------------------------------


def _generate(districts: int, offset: int, out: Path) -> None:
    """`generate.py districts --district-offset offset` into `out`, via a hidden folder renamed
    when it is complete: a folder `out` present is complete."""
    if out.is_dir():
        return
    partial = out.parent / f".{out.name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    began = time.perf_counter()
    command = [sys.executable, str(HERE / "generate.py"), str(districts), "--district-offset", str(offset)]
    subprocess.run([*command, "--out", str(partial)], check=True)
    partial.rename(out)
    print(f"generated {out} in {time.perf_counter() - began:.1f} s", file=sys.stderr)


def shards_folder(data: Path) -> Path:
    """The folder of shards `d00` … `d09` under `data`, generated if missing (two at a time: the
    generator is one process on one core)."""
    folder = data / "shards"
    folder.mkdir(parents=True, exist_ok=True)
    missing = [n for n in range(SHARDS) if not (folder / f"d{n:02d}").is_dir()]
    pending: list[subprocess.Popen] = []
    for n in missing:
        if len(pending) == 2:
            _finish(pending.pop(0))
        pending.append(
            subprocess.Popen(
                [sys.executable, __file__, "--generate", str(n * DISTRICTS), "--out", str(folder / f"d{n:02d}")]
            )
        )
    for process in pending:
        _finish(process)
    return folder


def _finish(process: subprocess.Popen) -> None:
    if process.wait():
        raise SystemExit(f"{' '.join(process.args)} failed ({process.returncode})")


def concatenation(data: Path, named: str | None, shards: Path) -> Path:
    """The shards' files concatenated: `named` once checked to be so, or L generated under `data`."""
    if named is None:
        folder = data / "L"
        _generate(DISTRICTS * SHARDS, 0, folder)
    else:
        folder = Path(named)
    began = time.perf_counter()
    problem = _differs(folder, shards)
    if problem:
        raise SystemExit(
            f"{folder} is not the shards' concatenation ({problem}): leave out --concatenation to "
            f"generate L under --data, or regenerate it (benchmarks/generate.py L --out {folder})"
        )
    print(f"{folder}: the shards concatenated (checked in {time.perf_counter() - began:.1f} s)", file=sys.stderr)
    return folder


def _differs(folder: Path, shards: Path) -> str | None:
    """Why `folder` is not the concatenation of the shards' CSV files (each file's header once,
    then every shard's rows in order), or None: the same file names, sizes and SHA-256."""
    parts = sorted(p for p in shards.iterdir() if p.is_dir() and not p.name.startswith((".", "_")))
    names = sorted(p.name for p in parts[0].glob("*.csv"))
    there = sorted(p.name for p in folder.glob("*.csv")) if folder.is_dir() else []
    if there != names:
        return f"CSV files {there} where the shards have {names}"
    for name in names:
        headers = {(part / name).open("rb").readline() for part in parts}
        if len(headers) != 1:
            return f"the shards' {name} have different headers"
        header = headers.pop()
        size = len(header) + sum((part / name).stat().st_size - len(header) for part in parts)
        if (folder / name).stat().st_size != size:
            return f"{name}: {(folder / name).stat().st_size:,} bytes, the shards' {size:,}"
    for name in names:
        whole, pieces = hashlib.sha256(), hashlib.sha256()
        with (folder / name).open("rb") as file:
            while chunk := file.read(1 << 22):
                whole.update(chunk)
        for n, part in enumerate(parts):
            with (part / name).open("rb") as file:
                header = file.readline()
                if n == 0:
                    pieces.update(header)
                while chunk := file.read(1 << 22):
                    pieces.update(chunk)
        if whole.digest() != pieces.digest():
            return f"{name}: same size, other bytes"
    return None


def records(shards: Path) -> int:
    """Data rows of every CSV file of the shards (generate.py writes no line break inside a field:
    lines less each file's header)."""
    total = 0
    for path in shards.glob("*/*.csv"):
        with path.open("rb") as file:
            total += sum(chunk.count(b"\n") for chunk in iter(lambda f=file: f.read(1 << 22), b"")) - 1
    return total


# --- memory -----------------------------------------------------------------------------------


def _status(pid: int) -> tuple[int, int]:
    """(RSS, high-water mark of RSS) of `pid` in bytes, from /proc (psutil's RSS twice elsewhere);
    (0, 0) once it is gone."""
    try:
        with open(f"/proc/{pid}/status", "rb") as file:
            fields = dict(line.split(b":", 1) for line in file if line.startswith((b"VmRSS", b"VmHWM")))
        return int(fields[b"VmRSS"].split()[0]) * 1024, int(fields[b"VmHWM"].split()[0]) * 1024
    except (FileNotFoundError, ProcessLookupError, KeyError):
        return 0, 0
    except OSError:
        try:
            rss = psutil.Process(pid).memory_info().rss
            return rss, rss
        except psutil.Error:
            return 0, 0


def _descendants(pid: int) -> list[psutil.Process]:
    try:
        return psutil.Process(pid).children(recursive=True)
    except psutil.Error:
        return []


def _is_helper(process: psutil.Process) -> bool:
    """multiprocessing's resource tracker: a child of the driver that runs no shard."""
    try:
        return any("resource_tracker" in arg for arg in process.cmdline())
    except psutil.Error:
        return True


class Sampler:
    """Samples, every `interval` seconds, the RSS of the driver `pid`, of its descendants, and of
    `workers` (pids; None: the driver's descendants that run shards, as with --jobs)."""

    def __init__(self, pid: int, workers: list[int] | None, interval: float):
        self.pid, self.workers, self.interval = pid, workers, interval
        self.driver = 0  # the driver's own high-water mark
        self.tree = 0  # peak of the driver's and its descendants' RSS summed
        self.workers_sum = 0  # peak of the workers' RSS summed
        self.per_worker: dict[int, int] = {}  # each worker's high-water mark
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *_) -> None:
        self._stop.set()
        self._thread.join()

    def sample(self) -> None:
        rss, hwm = _status(self.pid)
        self.driver = max(self.driver, hwm)
        children = _descendants(self.pid)
        self.tree = max(self.tree, rss + sum(_status(child.pid)[0] for child in children))
        workers = self.workers
        if workers is None:
            workers = [child.pid for child in children if not _is_helper(child)]
        total = 0
        for worker in workers:
            rss, hwm = _status(worker)
            for child in _descendants(worker):  # a worker's own children, if any, are its
                rss += _status(child.pid)[0]
            total += rss
            self.per_worker[worker] = max(self.per_worker.get(worker, 0), hwm)
        self.workers_sum = max(self.workers_sum, total)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.sample()
            self._stop.wait(self.interval)


def timed(command: list[str], workers: list[int] | None, interval: float) -> dict:
    """Runs `command`, sampling its memory (and that of `workers`); wall seconds and peaks in
    bytes. Fails loudly, with the command's stderr, if it fails."""
    began = time.perf_counter()
    process = subprocess.Popen(command, env=ENV, stderr=subprocess.PIPE)
    with Sampler(process.pid, workers, interval) as sampler:
        stderr = process.stderr.read()
        _, status, usage = os.wait4(process.pid, 0)
    wall = time.perf_counter() - began
    code = os.waitstatus_to_exitcode(status)
    if code:
        sys.stderr.buffer.write(stderr)
        raise SystemExit(f"{' '.join(command)} failed (exit {code})")
    if workers is not None:
        sampler.sample()  # the workers outlive the run: their high-water marks once more, at its end
    return {
        "wall": wall,
        "driver": max(sampler.driver, usage.ru_maxrss * 1024 if workers is not None else 0),
        "kernel": usage.ru_maxrss * 1024,  # the process's own peak, or its largest child's
        "tree": sampler.tree,
        "workers_sum": sampler.workers_sum,
        "per_worker": max(sampler.per_worker.values(), default=0),
        "workers_seen": len(sampler.per_worker),
    }


# --- runs -------------------------------------------------------------------------------------


def evalkit() -> list[str]:
    """evalkit of this Python's environment."""
    script = Path(sys.executable).parent / "evalkit"
    return [str(script)] if script.exists() else [sys.executable, "-c", "from evalkit.cli import main; main()"]


def waiver_rows(shards: Path) -> dict[str, int]:
    """Each shard's first row in the concatenated waivers.csv, less one: the data rows of the
    shards before it."""
    before, offsets = 0, {}
    for part in sorted(p for p in shards.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))):
        offsets[part.name] = before
        if (part / "waivers.csv").exists():
            with (part / "waivers.csv").open("rb") as file:
                before += sum(1 for _ in file) - 1
    return offsets


WAIVER = re.compile(rb"([^\s\"/]+)/waivers\.csv:(\d+)")


def compared(sharded: Path, whole: Path, offsets: dict[str, int]) -> tuple[str | None, int]:
    """Where the sharded output first differs from the concatenated one (None: nowhere), and how
    many lines differ only in a waiver's place. A waiver's place is its shard's file and row, not
    the concatenated file's (docs/scale.md, tests/test_shards.py): a line is the same when it is
    once each `dNN/waivers.csv:R` is read as `waivers.csv:R+rows of the shards before dNN`."""

    def concatenated(match: re.Match) -> bytes:
        shard, row = match.group(1).decode(), int(match.group(2))
        if shard not in offsets:
            return match.group(0)
        return b"waivers.csv:%d" % (row + offsets[shard])

    places = 0
    with sharded.open("rb") as a, whole.open("rb") as b:
        for n, (x, y) in enumerate(zip(a, b, strict=False), 1):  # lengths: checked after
            if x != y:
                if WAIVER.sub(concatenated, x) != y:
                    return f"line {n}: {x[:200]!r} against {y[:200]!r}", places
                places += 1
        rest_a, rest_b = a.read(1), b.read(1)
    if rest_a or rest_b:
        return f"{'the sharded' if rest_a else 'the concatenated'} output is longer", places
    return None, places


def pairs(args: argparse.Namespace, shards: Path, whole: Path, out: Path) -> list[tuple[dict, dict]]:
    """The runs, each a sharded run and a concatenated run (see the module's docstring)."""
    assess = [*evalkit(), "assess"]
    common = ["--period", "2024", "--format", "json", "--quiet"]
    spill = out / "spill"
    spill.mkdir(exist_ok=True)
    cluster = client = None
    if args.jobs is None:
        import dask
        from distributed import Client, LocalCluster

        dask.config.set({"distributed.scheduler.allowed-failures": 1})
        cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None)
        client = Client(cluster)
        where = ["--executor", "dask://" + cluster.scheduler_address.removeprefix("tcp://")]
    else:
        where = ["--jobs", str(args.jobs)]
    if not args.no_spill:
        where += ["--spill", str(spill)]
    offsets = waiver_rows(shards)
    done = []
    try:
        for n in range(1, args.runs + 1):
            workers = None
            if client is not None:
                client.restart()  # each run's peaks its own (the module's docstring)
                client.wait_for_workers(2)
                workers = sorted(client.run(os.getpid).values())
            x, y = out / f"sharded-{n}.json", out / f"concatenated-{n}.json"
            sharded = timed([*assess, str(shards), *common, "--output", str(x), *where], workers, args.interval)
            whole_run = timed([*assess, str(whole), *common, "--output", str(y)], [], args.interval)
            difference, places = compared(x, y, offsets)
            if difference:
                raise SystemExit(f"run {n}: {x} differs from {y} ({difference}); both kept")
            same = "byte-identical" if not places else f"identical but for {places:,} waiver places, each its row"
            print(
                f"run {n}: sharded {sharded['wall']:.2f} s, concatenated {whole_run['wall']:.2f} s, "
                f"outputs {same} ({y.stat().st_size:,} bytes)",
                file=sys.stderr,
            )
            sharded["waiver_places"] = places
            x.unlink()
            y.unlink()
            done.append((sharded, whole_run))
    finally:
        if client is not None:
            client.close()
            cluster.close()
    return done


def report(done: list[tuple[dict, dict]], rows: int, cores: int, mode: str) -> str:
    def median(values) -> float:
        return statistics.median(list(values))

    def mib(value: float) -> str:
        return f"{value / 2**20:,.0f} MiB"

    sharded = {key: median(s[key] for s, _ in done) for key in done[0][0]}
    whole = {key: median(w[key] for _, w in done) for key in done[0][1]}
    ratio = median(s["wall"] / w["wall"] for s, w in done)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    workers = "Dask workers" if mode.startswith("Dask") else "pool processes"
    return "\n".join(
        [
            f"Median of {len(done)} runs; {mode}; {SHARDS} shards of M against L; {rows:,} records; {machine}",
            f"sharded wall time          {sharded['wall']:8.2f} s",
            f"concatenated wall time     {whole['wall']:8.2f} s",
            f"ratio sharded / concat     {ratio:8.2f}   (median of the pairs)",
            f"driver peak RSS            {mib(sharded['driver']):>10}   (with its children: {mib(sharded['tree'])})",
            f"workers peak RSS, summed   {mib(sharded['workers_sum']):>10}   ({workers})",
            f"  per worker (highest)     {mib(sharded['per_worker']):>10}",
            f"concatenated peak RSS      {mib(whole['tree']):>10}   (kernel's ru_maxrss: {mib(whole['kernel'])})",
            f"outputs                    identical but for {sharded['waiver_places']:,.0f} waiver places",
            f"throughput per worker core {rows / sharded['wall'] / cores:>10,.0f} records/s   ({cores} worker cores)",
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", default="/tmp/evalkit-shards", help="where the shards (and L) are kept")
    parser.add_argument("--concatenation", metavar="DIR", help="an L to reuse once checked against the shards")
    parser.add_argument("--jobs", type=int, metavar="N", help="local processes (evalkit --jobs N) instead of Dask")
    parser.add_argument("--no-spill", action="store_true", help="no --spill: parts come back in memory")
    parser.add_argument("--interval", type=float, default=0.1, help="seconds between memory samples")
    parser.add_argument("--generate", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate is not None:
        _generate(DISTRICTS, int(args.generate), Path(args.out))
        return
    data = Path(args.data)
    shards = shards_folder(data)
    whole = concatenation(data, args.concatenation, shards)
    rows = records(shards)
    mode = f"evalkit --jobs {args.jobs}" if args.jobs else "Dask LocalCluster, 2 workers × 1 thread"
    cores = args.jobs or 2
    out = data / "runs"  # outputs that differ are kept here
    out.mkdir(exist_ok=True)
    done = pairs(args, shards, whole, out)
    print(report(done, rows, cores, mode))


if __name__ == "__main__":
    main()
