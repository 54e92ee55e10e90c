"""Time `evalkit assess` end to end and per stage, with peak memory, at named sizes.

Each run is a fresh process (so peak RSS is that run's own), assessing a generated dataset
(benchmarks/generate.py) and writing its JSON to a file, exactly as `evalkit assess --format
json --output FILE` does. The table printed (and written with --markdown) gives the median of
the runs for every stage.

    python benchmarks/run.py S M --runs 3 --markdown benchmarks/latest.md
    python benchmarks/run.py L --runs 3 --data /var/tmp/evalkit-bench

Stages: load (read and type every file), validate (cross-file checks), facts (plugins), rules
(the durable-rules engine), scoring (points, grades, quota, ranks), render (JSON to the file).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import threading
import time
from dataclasses import replace
from pathlib import Path

HERE = Path(__file__).resolve().parent
STAGES = ("load", "validate", "facts", "rules", "scoring", "render")


def one_run(folder: Path, output: Path, workers: int | None) -> dict:
    """Assess `folder` in this process, the rules where `evalkit assess --workers` puts them (by
    default forked processes, one per core, on Linux); seconds per stage, total, peak RSS in
    bytes of this process, and the worker processes' own memory at its peak."""
    from evalkit.executors import rule_runner
    from evalkit.forked import ForkRunner
    from evalkit.json_output import FindingsAhead, assess_json
    from evalkit.lifetimes import command_lifetimes, keep_made_so_far
    from evalkit.periods import Period
    from evalkit.render import write
    from evalkit.session import Session

    marks: list[tuple[str, float]] = []

    def stage(name: str) -> None:
        marks.append((name, time.perf_counter()))
        keep_made_so_far()  # as the CLI does

    start = time.perf_counter()
    workers_memory = _WorkersMemory()
    with command_lifetimes():
        session = Session(autoload=False)
        session.stage = stage
        session.langs = ("en",)  # as `evalkit assess --lang en` does
        session.runner = rule_runner(workers)
        ahead = FindingsAhead("en", session.runner.fork_from) if isinstance(session.runner, ForkRunner) else None
        if ahead is not None:  # as the command does: the JSON is written by forked processes too
            session.evaluated = ahead
        dataset = session.load(folder, alongside=True)  # as the command does
        with workers_memory:  # the forked processes of the rules and of the JSON
            assessment = session.assess(dataset, Period(2024))
            if session.runner is not None:
                session.runner.close()
            names = {
                row["id"]: row["name"]
                for table in ("organizations", "enterprises", "departments", "cadres")
                for row in dataset[table]
            }
            departments = {row["id"]: row["department_id"] for row in dataset["cadres"]}
            marks.append(("render", time.perf_counter()))
            document = assess_json(assessment, session.packs, names, departments, "en")
            if ahead is not None:
                document = replace(document, fork_from=session.runner.fork_from, ahead=ahead.texts)
            write(document, str(output))
    end = time.perf_counter()
    seconds = {name: 0.0 for name in STAGES}
    for (name, began), (_, ended) in zip(marks, [*marks[1:], ("end", end)], strict=True):
        seconds[name] += ended - began
    rows = sum(map(len, dataset.tables.values()))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {
        "workers_peak_rss": workers_memory.peak,
        "seconds": seconds,
        "total": end - start,
        "peak_rss": peak,
        "rows": rows,
        "requests": len(dataset.tables["requests"]),
        "facts": len(assessment.evaluation.facts),
    }


class _WorkersMemory(threading.Thread):
    """The peak of the memory this process's children hold of their own (private pages, read
    from /proc four times a second). Not their RSS: a forked worker's RSS also counts the pages
    it still shares with this process, which the machine holds once."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.done = threading.Event()

    def __enter__(self) -> _WorkersMemory:
        self.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.done.set()
        self.join()

    def run(self) -> None:
        while not self.done.wait(0.25):
            self.peak = max(self.peak, sum(map(_private_bytes, _children())))


def _children() -> list[int]:
    pids = []
    for task in Path("/proc/self/task").glob("*"):
        try:
            pids += map(int, (task / "children").read_text().split())
        except OSError:
            pass
    return pids


def _private_bytes(pid: int) -> int:
    try:
        lines = Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines()
    except OSError:  # ended meanwhile
        return 0
    return sum(int(line.split()[1]) * 1024 for line in lines if line.startswith(("Private_Clean:", "Private_Dirty:")))


def measure(size: str, data: Path, runs: int, workers: int | None) -> dict:
    folder = data / f"evalkit-{size}"
    if not (folder / "requests.csv").exists():
        began = time.perf_counter()
        subprocess.run([sys.executable, str(HERE / "generate.py"), size, "--out", str(folder)], check=True)
        print(f"generated {size} in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    results = []
    for n in range(runs):
        out = subprocess.run(
            [
                sys.executable,
                __file__,
                "--one",
                str(folder),
                "--output",
                str(folder.parent / f"{size}.json"),
                *(["--workers", str(workers)] if workers else []),
            ],
            check=True,
            capture_output=True,
            text=True,
            env={**os.environ, "EVALKIT_DISABLE_PLUGIN_AUTOLOAD": "1"},
        )
        results.append(json.loads(out.stdout))
        print(f"{size} run {n + 1}: {results[-1]['total']:.2f} s", file=sys.stderr)
    median = {stage: statistics.median(r["seconds"][stage] for r in results) for stage in STAGES}
    return {
        "size": size if workers is None else f"{size}, --workers {workers}",
        "rows": results[0]["rows"],
        "requests": results[0]["requests"],
        "facts": results[0]["facts"],
        "stages": median,
        "total": statistics.median(r["total"] for r in results),
        "peak_rss": statistics.median(r["peak_rss"] for r in results),
        "workers_peak_rss": statistics.median(r["workers_peak_rss"] for r in results),
        "runs": runs,
    }


def markdown(results: list[dict]) -> str:
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    head = ["size", "rows", "facts", *STAGES, "total (s)", "peak RSS (MB)", "workers' own memory (MB)"]
    lines = [
        f"Median of {results[0]['runs']} runs each; {machine}.",
        "",
        "| " + " | ".join(head) + " |",
        "|" + "---|" * len(head),
    ]
    for r in results:
        cells = [
            r["size"],
            f"{r['rows']:,}",
            f"{r['facts']:,}",
            *(f"{r['stages'][s]:.2f}" for s in STAGES),
            f"{r['total']:.2f}",
            f"{r['peak_rss'] / 2**20:,.0f}",
            f"{r['workers_peak_rss'] / 2**20:,.0f}" if r["workers_peak_rss"] else "–",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", default=["S", "M"], help="S, M, L or numbers of districts")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", default="/tmp", help="where generated datasets are kept between runs")
    parser.add_argument("--markdown", help="also write the table to this file")
    parser.add_argument("--workers", type=int, help="as evalkit assess --workers (default: one per core on Linux)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(Path(args.one), Path(args.output), args.workers)))
        return
    results = [measure(size, Path(args.data), args.runs, args.workers) for size in args.sizes]
    table = markdown(results)
    print(table)
    if args.markdown:
        Path(args.markdown).write_text(table, encoding="utf-8")


if __name__ == "__main__":
    main()
