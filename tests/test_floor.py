"""benchmarks/floor.py, the plain-SQL floor evalkit is measured against, decides what evalkit decides.

On the generated S dataset and on the bundled sample (waivers, quota demotion, the 24-hour and
due-day edges, batches with withdrawn or split requests, repeats of 2023 requests), every
department's and cadre's total (6 decimals), base, bonus, deduction, grade, veto and rank, every
branch's quarters checked and compliant, compliance rate and OPF10, every chain's CHN01-CHN03 and
every enterprise's COV01/COV02 are the same.

floor.py reads clean CSVs only (English headers, codes, ISO dates: what benchmarks/generate.py
writes). The sample uses features floor.py does not parse: Chinese headers and labels with a
BOM (activities.csv, visits.csv) and the talent and meetings ledgers as sheets of
ledgers.xlsx. So the sample is loaded by evalkit's own loader and written out as clean CSVs for
floor.py, and compared with evalkit's assessment of the original folder.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

from evalkit import load_dataset
from evalkit.testing import run_cli, write_dataset

ROOT = Path(__file__).resolve().parent.parent
FLOOR = ROOT / "benchmarks" / "floor.py"
SAMPLE = ROOT / "sample_data"
sys.path.insert(0, str(ROOT / "benchmarks"))
import generate  # noqa: E402  (benchmarks/generate.py: not a package)

SCORE_FIELDS = ("total", "base", "bonus", "deduction", "grade", "vetoed", "rank")
BRANCH_FIELDS = ("checked_quarters", "compliant_quarters", "compliance_rate")


def evalkit_json(folder: Path) -> dict:
    result = run_cli(["assess", str(folder), "--period", "2024", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    return result.json


def floor_json(folder: Path, out: Path) -> dict:
    command = [sys.executable, str(FLOOR), str(folder), "--period", "2024", "--output", str(out)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return json.loads(out.read_text(encoding="utf-8"))


def differences(ours: dict, floor: dict) -> list:
    """Every place where floor.py's document disagrees with evalkit's."""
    found = []

    def compare(table: str, expected: dict[str, dict], actual: dict[str, dict]) -> None:
        if expected.keys() != actual.keys():
            found.append((table, "subjects only on one side", sorted(expected.keys() ^ actual.keys())))
        for subject in sorted(expected.keys() & actual.keys()):
            for field, value in expected[subject].items():
                if actual[subject].get(field) != value:
                    found.append((table, subject, field, value, actual[subject].get(field)))

    for table in ("departments", "cadres"):
        compare(
            table,
            {row["subject"]: {field: row[field] for field in SCORE_FIELDS} for row in ours[table]},
            {row["subject"]: row for row in floor[table]},
        )
    compare(
        "branches",
        {
            row["subject"]: {**{field: row[field] for field in BRANCH_FIELDS}, "OPF10": row["findings"]["OPF10"]}
            for row in ours["branches"]
        },
        {row["subject"]: row for row in floor["branches"]},
    )
    compare(
        "chains",
        {
            row["subject"]: {rule: row["findings"][rule] for rule in ("CHN01", "CHN02", "CHN03")}
            for row in ours["chains"]
        },
        {row["subject"]: row for row in floor["chains"]},
    )
    coverage: dict[str, dict] = {}
    for finding in ours["findings"]:
        if finding["rule"] in ("COV01", "COV02"):
            coverage.setdefault(finding["subject"], {"COV01": None, "COV02": None})[finding["rule"]] = finding["status"]
    compare("coverage", coverage, {row["subject"]: row for row in floor["coverage"]})
    return found


def test_floor_agrees_with_evalkit_on_the_generated_S_dataset(tmp_path):
    folder = generate.generate(1, tmp_path / "S")
    ours, floor = evalkit_json(folder), floor_json(folder, tmp_path / "floor.json")
    assert len(floor["departments"]) == 8 and len(floor["cadres"]) == 50 and len(floor["branches"]) == 30
    assert differences(ours, floor) == []


def test_floor_agrees_with_evalkit_on_the_sample(tmp_path):
    """The sample as clean CSVs (see the module's docstring) against evalkit on the sample itself."""
    dataset = load_dataset(SAMPLE)
    clean = {name: [{k: v for k, v in row.items() if k != "_row"} for row in dataset[name]] for name in dataset.tables}
    folder = write_dataset(tmp_path / "sample", clean)
    ours, floor = evalkit_json(SAMPLE), floor_json(folder, tmp_path / "floor.json")
    # The sample's edge cases are there to be compared: a waived quarter, a quota demotion, a veto.
    assert any(row["findings"]["CHN01"] == "fail" for row in ours["chains"])
    assert any(f["status"] == "waived" for f in ours["findings"])
    assert any(row["demoted_by"] for row in ours["cadres"]) and any(row["vetoed"] for row in ours["departments"])
    assert differences(ours, floor) == []


def test_floor_needs_only_the_standard_library_and_duckdb():
    """It must not import evalkit (nor anything else) nor read the design folder at run time."""
    source = FLOOR.read_text(encoding="utf-8")
    imported = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            imported |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom):
            imported.add(node.module.split(".")[0])
    assert imported - {"duckdb"} <= set(sys.stdlib_module_names) | {"__future__"}, imported
    assert "shared/" not in source and "evalkit" not in imported
