"""Time `evalkit assess` end to end and per stage, with peak memory, at named sizes.

Each run is a fresh process (so peak RSS is that run's own), assessing a generated dataset
(benchmarks/generate.py) and writing its JSON to a file, exactly as `evalkit assess --format
json --output FILE` does, followed by a run of the floor (benchmarks/floor.py: the same policy
as a plain DuckDB script) on the same data. The table printed (and written with --markdown)
gives the median of the runs for every stage, the whole process's wall time beside the
floor's, their ratio (median of the pairs) and both peaks.

    python benchmarks/run.py S M --runs 3 --markdown benchmarks/latest.md
    python benchmarks/run.py L --runs 3 --data /var/tmp/evalkit-bench

Stages: load (read, type and validate every file), facts (plugins), rules (the durable-rules
engine), scoring (points, grades, quota, ranks), render (JSON to the file).
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
STAGES = ("load", "facts", "rules", "scoring", "render")


def one_run(folder: Path, output: Path, workers: int | None) -> dict:
    """Assess `folder` in this process as `evalkit assess --format json --output FILE` does, each
    step of the data flow timed on its own; seconds per stage, total and peak RSS in bytes."""
    from evalkit.periods import Period
    from evalkit.report import write
    from evalkit.report.json_output import assess_json
    from evalkit.score.assessment import assess
    from evalkit.session import Session

    seconds: dict[str, float] = {}
    period = Period(2024)

    def timed(stage: str, step):
        began = time.perf_counter()
        result = step()
        seconds[stage] = time.perf_counter() - began
        return result

    start = time.perf_counter()
    session = Session(autoload=False)
    dataset = timed("load", lambda: session.load(folder, threads=workers))
    packs = session.active_packs(dataset)  # as the command: a pack needing a ledger the dataset lacks is left out
    rules = [rule for rule in session.rules_of(("compliance", "score")) if rule.pack in {p.name for p in packs}]
    facts = timed("facts", lambda: session.facts(dataset, period, {rule.spec.fact for rule in rules}))
    evaluation = timed("rules", lambda: session.judge(dataset, period, rules, facts))
    assessment = timed("scoring", lambda: assess(evaluation, packs, session.rules, session.scoring, session.fact_kinds))

    def render() -> None:
        names, _, departments = dataset.subjects()
        write(assess_json(assessment, packs, names, departments, "en"), str(output))

    timed("render", render)
    end = time.perf_counter()
    assert not evaluation.errors, evaluation.errors
    return {
        "seconds": seconds,
        "total": end - start,
        "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "rows": sum(map(len, dataset.tables.values())),
        "facts": sum(table.num_rows for table in facts.values()),
    }


def measure(size: str, data: Path, runs: int, workers: int | None) -> dict:
    folder = data / f"evalkit-{size}"
    if not (folder / "requests.csv").exists():
        began = time.perf_counter()
        subprocess.run([sys.executable, str(HERE / "generate.py"), size, "--out", str(folder)], check=True)
        print(f"generated {size} in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    results, floors = [], []
    for n in range(runs):  # evalkit and the floor in pairs, so both meet the same spell of the host
        one = [sys.executable, __file__, "--one", str(folder), "--output", str(folder.parent / f"{size}.json")]
        seconds, peak, out = _child([*one, *(["--workers", str(workers)] if workers else [])])
        results.append(json.loads(out) | {"wall": seconds, "peak_rss": peak})
        floor = [sys.executable, str(HERE / "floor.py"), str(folder), "--period", "2024"]
        floors.append(_child([*floor, "--output", str(folder.parent / f"{size}-floor.json")])[:2])
        print(f"{size} run {n + 1}: evalkit {seconds:.2f} s, floor {floors[-1][0]:.2f} s", file=sys.stderr)
    median = {stage: statistics.median(r["seconds"][stage] for r in results) for stage in STAGES}
    return {
        "size": size if workers is None else f"{size}, --workers {workers}",
        "rows": results[0]["rows"],
        "facts": results[0]["facts"],
        "stages": median,
        "total": statistics.median(r["total"] for r in results),
        "wall": statistics.median(r["wall"] for r in results),
        "peak_rss": statistics.median(r["peak_rss"] for r in results),
        "floor": statistics.median(seconds for seconds, _ in floors),
        "floor_rss": statistics.median(peak for _, peak in floors),
        "ratio": statistics.median(r["wall"] / floor for r, (floor, _) in zip(results, floors, strict=True)),
        "runs": runs,
    }


def _compiled() -> None:
    """evalkit's and the built-in plugins' modules compiled to bytecode, as an installation has
    them (pip compiles what it installs): without, an editable install under
    PYTHONDONTWRITEBYTECODE=1 (as on the CI host) compiles every module again in every timed
    process, 0.13 s of S's second."""
    root = HERE.parent
    for folder in ("evalkit", "plugins"):
        compileall.compile_dir(root / folder, quiet=1)


def _child(command: list[str]) -> tuple[float, int, str]:
    """Runs `command`; its wall time, its peak RSS in bytes (its own, from the kernel) and stdout."""
    began = time.perf_counter()
    process = subprocess.Popen(
        command, stdout=subprocess.PIPE, text=True, env={**os.environ, "EVALKIT_DISABLE_PLUGIN_AUTOLOAD": "1"}
    )
    out = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    process.returncode = os.waitstatus_to_exitcode(status)
    if process.returncode:
        raise SystemExit(f"{' '.join(command)} failed ({process.returncode})")
    return time.perf_counter() - began, usage.ru_maxrss * 1024, out


def markdown(results: list[dict]) -> str:
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    head = [
        "size",
        "rows",
        "facts",
        *STAGES,
        "total (s)",
        "command (s)",
        "floor (s)",
        "÷ floor",
        "peak RSS (MiB)",
        "floor RSS (MiB)",
    ]
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
            f"**{r['wall']:.2f}**",
            f"{r['floor']:.2f}",
            f"{r['ratio']:.2f}",
            f"{r['peak_rss'] / 2**20:,.0f}",
            f"{r['floor_rss'] / 2**20:,.0f}",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("sizes", nargs="*", default=["S", "M"], help="S, M, L or numbers of districts")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--data", default="/tmp", help="where generated datasets are kept between runs")
    parser.add_argument("--markdown", help="also write the table to this file")
    parser.add_argument("--workers", type=int, help="as evalkit assess --workers (default: one thread per core)")
    parser.add_argument("--one", help=argparse.SUPPRESS)
    parser.add_argument("--output", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(one_run(Path(args.one), Path(args.output), args.workers)))
        return
    _compiled()
    results = [measure(size, Path(args.data), args.runs, args.workers) for size in args.sizes]
    table = markdown(results)
    print(table)
    if args.markdown:
        Path(args.markdown).write_text(table, encoding="utf-8")


if __name__ == "__main__":
    main()
