"""One process, no process-wide state: the same JSON on any number of threads; `import evalkit`
stays light and portable; the benchmark generator is deterministic and valid."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from evalkit.testing import run_cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
sys.path.insert(0, str(ROOT / "benchmarks"))
import generate  # noqa: E402  (benchmarks/generate.py: not a package)


def assess_json(folder, *extra) -> str:
    result = run_cli(["assess", str(folder), "--period", "2024", "--format", "json", *extra])
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_the_json_is_the_same_on_one_thread_or_two():
    assert assess_json(SAMPLE, "--workers", "1") == assess_json(SAMPLE, "--workers", "2")


def test_the_removed_partitions_option_is_refused_saying_why():
    result = run_cli(["assess", str(SAMPLE), "--period", "2024", "--partitions", "4"])
    assert result.exit_code == 2
    assert result.stderr.startswith("error: --partitions was removed: evalkit runs in one process")
    assert "--jobs N or --executor dask://HOST:PORT" in result.stderr


def test_import_evalkit_loads_no_engine_and_no_database_and_needs_no_fork_or_pipes():
    """Where `os.fork`, `fcntl` and `select.PIPE_BUF` do not exist (Windows), evalkit imports;
    `import evalkit` and `from evalkit import hookimpl` load neither durable-rules nor DuckDB."""
    code = (
        "import os, select, sys\n"
        "del os.fork, select.PIPE_BUF\n"
        "sys.modules['fcntl'] = None\n"
        "import evalkit\n"
        "from evalkit import hookimpl\n"
        "assert 'duckdb' not in sys.modules and 'durable_rules_engine' not in sys.modules, sorted(sys.modules)\n"
        "import evalkit.cli\n"
        "print(evalkit.load_dataset.__name__)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=False)
    assert done.returncode == 0 and done.stdout == "load_dataset\n", done.stderr


def test_a_command_leaves_the_process_as_it_found_it(tmp_path):
    """No switch interval, garbage-collector setting, frozen object or csv limit is changed."""
    import csv
    import gc

    before = (sys.getswitchinterval(), gc.get_threshold(), gc.get_freeze_count(), csv.field_size_limit())
    assert run_cli(["assess", str(SAMPLE), "--period", "2024", "--output", str(tmp_path / "a.txt")]).exit_code == 0
    assert (sys.getswitchinterval(), gc.get_threshold(), gc.get_freeze_count(), csv.field_size_limit()) == before


def test_benchmark_generator_is_deterministic_and_valid(tmp_path):
    one = generate.generate(2, tmp_path / "one")
    two = generate.generate(2, tmp_path / "two")
    for path in sorted(one.iterdir()):
        assert (two / path.name).read_bytes() == path.read_bytes(), path.name
    result = run_cli(["validate", str(one)])
    assert result.exit_code == 0, result.stderr
    assert "requests 4000" in result.stdout and "activities 3000" in result.stdout and "visits 2000" in result.stdout


@pytest.mark.slow
def test_generated_m_gives_the_recorded_json_on_one_thread_or_two(tmp_path):
    """The benchmark's M dataset (100 districts, 487,900 records): the JSON is byte-identical to
    the one recorded in benchmarks/baselines/outputs.tsv (from the code before the columnar core,
    then again when a shipped pack's digest changed: benchmarks/README.md), on one thread and on two."""
    import hashlib

    recorded = {
        tuple(line.split("\t")[:4]): line.split("\t")[5]
        for line in (ROOT / "benchmarks" / "baselines" / "outputs.tsv").read_text(encoding="utf-8").splitlines()
    }
    folder = generate.generate(generate.SIZES["M"], tmp_path / "M")
    for workers in ("1", "2"):
        digest = hashlib.sha256(assess_json(folder, "--workers", workers).encode("utf-8")).hexdigest()
        assert digest == recorded["M", "assess", "2024", "en"], workers
