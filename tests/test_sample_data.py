"""The bundled sample dataset: it validates, it is reproducible, and injected faults are each named."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

from evalkit.testing import run_cli

SAMPLE = Path(__file__).resolve().parent.parent / "sample_data"


def test_sample_validates():
    result = run_cli(["validate", str(SAMPLE)])
    assert result.exit_code == 0, result.stderr
    assert "requests 556" in result.stdout


def test_generator_is_deterministic(tmp_path):
    subprocess.run([sys.executable, str(SAMPLE / "generate.py"), "--out", str(tmp_path)], check=True)
    for path in sorted(SAMPLE.iterdir()):
        if path.suffix in (".csv", ".xlsx"):
            assert (tmp_path / path.name).read_bytes() == path.read_bytes(), path.name


def test_injected_faults_are_each_named(tmp_path):
    copy = shutil.copytree(SAMPLE, tmp_path / "data")
    requests = (copy / "requests.csv").read_text(encoding="utf-8").splitlines()
    header = requests[0].split(",")
    cells = requests[1].split(",")
    cells[header.index("department_id")] = "D99"
    requests[1] = ",".join(cells)
    (copy / "requests.csv").write_text("\n".join(requests) + "\n", encoding="utf-8")
    departments = (copy / "departments.csv").read_text(encoding="utf-8")
    (copy / "departments.csv").write_text(departments + "D1,重复的部门\n", encoding="utf-8")
    result = run_cli(["validate", str(copy)])
    assert result.exit_code == 2
    assert "requests.csv:2 [department_id] 'D99'" in result.stderr
    assert "departments.csv:10 [id] 'D1'" in result.stderr
    assert "Traceback" not in result.stderr


def test_sample_assessment_shows_a_spread_a_veto_and_the_quota():
    result = run_cli(["assess", str(SAMPLE), "--period", "2024", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    data = result.json
    departments = {row["subject"]: row for row in data["departments"]}
    assert {row["grade"] for row in departments.values()} == {"excellent", "good", "fair", "poor"}
    assert departments["D5"]["vetoed"] and departments["D5"]["grade"] == "poor"
    assert departments["D8"]["total"] < 60
    cadres = data["cadres"]
    excellent = [row for row in cadres if row["grade"] == "excellent"]
    ungraded = {row["subject"]: row["ungraded_reasons"] for row in cadres if row["grade"] == "ungraded"}
    assert ungraded == {"K010": ["leave"], "K013": ["probation"], "K038": ["investigation"], "K039": ["sanction"]}
    assert len(excellent) == (len(cadres) - 4) // 5  # 36 graded cadres: 7 excellent
    assert [row["subject"] for row in cadres if row["capped_by"] == "warning"] == ["K004"]
    assert [row["subject"] for row in cadres if row["demoted_by"] == "SVC31"] == ["K007"]
    assert any(row["vetoed"] for row in cadres)
    assert {"B09", "B16", "B27", "J1"} == {
        row["subject"] for row in data["branches"] if row["findings"]["OPF10"] == "fail"
    }
