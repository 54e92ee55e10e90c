"""Time `evalkit assess` end to end and per stage, with peak memory, at named sizes.

Each run is a fresh process (so peak RSS is that run's own), assessing a generated dataset
(benchmarks/generate.py) and writing its JSON to a file, exactly as `evalkit assess --format
json --output FILE` does. The table printed (and written with --markdown) gives the median of
the runs for every stage.

    python benchmarks/run.py S M --runs 3 --markdown benchmarks/latest.md
    python benchmarks/run.py L --runs 3 --data /var/tmp/evalkit-bench

Stages: load (read, type and validate every file), facts (plugins), rules (the durable-rules
engine), scoring (points, grades, quota, ranks), render (JSON to the file).
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
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
STAGES = ("load", "facts", "rules", "scoring", "render")


def one_run(folder: Path, output: Path, workers: int | None) -> dict:
    """Assess `folder` in this process as `evalkit assess --format json --output FILE` does, each
    step of the data flow timed on its own; seconds per stage, total and peak RSS in bytes."""
    from evalkit.assessment import assess
    from evalkit.evaluate import Evaluation, evaluate
    from evalkit.json_output import assess_json
    from evalkit.periods import Period
    from evalkit.render import write
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
    session.langs = ("en",)  # as `evalkit assess --lang en` does
    dataset = timed("load", lambda: session.load(folder, threads=workers))
    facts = timed("facts", lambda: session.facts(dataset, period))
    rules = session.rules
    findings, decisions, errors = timed(
        "rules", lambda: evaluate(dataset, period, rules, facts, session.fact_kinds, langs=session.langs)
    )
    evaluation = Evaluation(period, facts, findings, session.plugin_errors(rules), decisions)
    assessment = timed("scoring", lambda: assess(evaluation, session.packs, rules, session.scoring, session.fact_kinds))

    def render() -> None:
        names = {
            row["id"]: row["name"]
            for table in ("organizations", "enterprises", "departments", "cadres")
            for row in dataset[table]
        }
        departments = {row["id"]: row["department_id"] for row in dataset["cadres"]}
        write(assess_json(assessment, session.packs, names, departments, "en"), str(output))

    timed("render", render)
    end = time.perf_counter()
    assert not errors, errors
    return {
        "seconds": seconds,
        "total": end - start,
        "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
        "rows": sum(map(len, dataset.tables.values())),
        "facts": len(facts),
    }


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
        "facts": results[0]["facts"],
        "stages": median,
        "total": statistics.median(r["total"] for r in results),
        "peak_rss": statistics.median(r["peak_rss"] for r in results),
        "runs": runs,
    }


def markdown(results: list[dict]) -> str:
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    head = ["size", "rows", "facts", *STAGES, "total (s)", "peak RSS (MB)"]
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
    results = [measure(size, Path(args.data), args.runs, args.workers) for size in args.sizes]
    table = markdown(results)
    print(table)
    if args.markdown:
        Path(args.markdown).write_text(table, encoding="utf-8")


if __name__ == "__main__":
    main()
