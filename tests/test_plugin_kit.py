"""The plugin authoring kit: rule cases as data, YAML-only packs, overrides, the installable example."""

from __future__ import annotations

import inspect
import os
import shutil
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

import pytest
import yaml

from evalkit import hookspecs
from evalkit.session import Session
from evalkit.testing import run_cli, write_dataset
from evalkit.verify import read_cases, run_case

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "rule_cases"
BASE, CASE_LIST = read_cases(CASES)


@pytest.fixture(scope="module")
def session():
    return Session(autoload=False)


@pytest.mark.parametrize("name, case", CASE_LIST, ids=[name for name, _ in CASE_LIST])
def test_builtin_rule_case(session, name, case):
    result = run_case(session, BASE, name, case)
    assert result.passed, result.problems


def test_every_builtin_rule_has_a_case(session):
    covered = {case["rule"] for _, case in CASE_LIST}
    assert [rule.spec.id for rule in session.rules if rule.spec.id not in covered] == []


def test_verify_command_reports_a_wrong_expectation(tmp_path):
    cases = tmp_path / "cases"  # the base, a case that holds and one whose expectation is wrong
    cases.mkdir()
    for name in ("base.yaml", "opf03_present_passes.yaml", "opf05_missing_kind_fails.yaml"):
        shutil.copy(CASES / name, cases / name)
    text = (cases / "opf05_missing_kind_fails.yaml").read_text(encoding="utf-8")
    (cases / "opf05_missing_kind_fails.yaml").write_text(text.replace("status: fail", "status: pass"), encoding="utf-8")
    result = run_cli(["verify", str(cases)])
    assert result.exit_code == 1
    assert "OPF05 for B1: expected pass, got fail" in result.stdout and "1 passed, 1 failed" in result.stdout


DEPARTMENT_PACK = """\
# A department's own rule, YAML only: at least two member education activities per quarter.
pack: education_plus
version: "2024.1"
title: {en: Education plus, zh: 党员教育加强}
rules:
  - id: EDU01
    title: {en: Education twice a quarter, zh: 每季度两次党员教育}
    severity: low
    fact: branch_quarter
    params: {min_activities: 2}
    skip_when: "not_established == 1"
    when: "member_education < min_activities"
    evidence: member_education
    message:
      pass: {en: "{count} member education activities in {period}", zh: "{period}党员教育{count}次"}
      fail: {en: "only {count} member education activities in {period}", zh: "{period}党员教育仅{count}次"}
"""


def test_yaml_only_rule_pack_and_its_own_cases(tmp_path):
    rules = tmp_path / "rules"
    rules.mkdir()
    (rules / "education_plus.yaml").write_text(DEPARTMENT_PACK, encoding="utf-8")
    cases = tmp_path / "cases"
    cases.mkdir()
    shutil.copy(CASES / "base.yaml", cases / "base.yaml")
    (cases / "edu01_one_is_too_few.yaml").write_text(
        "rule: EDU01\nperiod: 2024Q2\nexpect: [{subject: B1, status: fail}]\n", encoding="utf-8"
    )
    (cases / "edu01_two_pass.yaml").write_text(
        "rule: EDU01\nperiod: 2024Q2\nrecords:\n  activities:\n"
        "    - {id: A99, org_id: B1, date: 2024-06-01, category: member_education, title: t, participants: 3}\n"
        "expect: [{subject: B1, status: pass}]\n",
        encoding="utf-8",
    )
    result = run_cli(["verify", str(cases), "--rules-dir", str(rules)])
    assert result.exit_code == 0, result.stdout
    assert "2 passed, 0 failed" in result.stdout
    listed = run_cli(["rules", "--rules-dir", str(rules)])
    assert "EDU01" in listed.stdout and "--rules-dir" in listed.stdout


def test_yaml_rules_refuse_anything_but_the_condition_language(tmp_path):
    (tmp_path / "education_plus.yaml").write_text(
        DEPARTMENT_PACK.replace("member_education < min_activities", "len(member_education) < 2"), encoding="utf-8"
    )
    result = run_cli(["rules", "--rules-dir", str(tmp_path)])
    assert result.exit_code == 2
    assert "rule EDU01: key when: one side of a comparison must be a fact field: 'len(member_education)'" in (
        result.stderr
    )


def test_rules_diff_shows_what_an_override_changes(tmp_path):
    text = (ROOT / "rules" / "service.yaml").read_text(encoding="utf-8")
    (tmp_path / "service.yaml").write_text(
        text.replace('version: "1"', 'version: "1-district"').replace(
            "visit_target_cadre: 10", "visit_target_cadre: 12"
        ),
        encoding="utf-8",
    )
    (tmp_path / "education_plus.yaml").write_text(DEPARTMENT_PACK, encoding="utf-8")
    result = run_cli(["rules", "--diff", "--rules-dir", str(tmp_path)])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0].startswith("pack education_plus: added from")
    assert lines[1].startswith("pack service: replaced by") and lines[1].endswith("(version 1 → 1-district)")
    assert lines[2:] == ["  settings.visit_target_cadre: 10 → 12"]
    assert run_cli(["rules", "--diff"]).stdout.strip() == "the shipped rule packs are used as they are"


RECORD_TYPE_PLUGIN = """
from evalkit import Column, RecordType, Ref, hookimpl


@hookimpl
def evalkit_record_types():
    columns = (Column("id", "编号"), Column("enterprise_id", "企业", ref=Ref("enterprises")))
    return [RecordType("hotlines", "热线", columns)]
"""


def test_a_plugins_record_type_is_loaded_and_validated(tmp_path, small):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "hotlines.py").write_text(RECORD_TYPE_PLUGIN, encoding="utf-8")
    small["hotlines"] = [{"id": "H1", "enterprise_id": "E1"}, {"id": "H2", "enterprise_id": "E404"}]
    result = run_cli(["validate", str(write_dataset(tmp_path / "data", small)), "--plugins-dir", str(plugins)])
    assert result.exit_code == 2 and "hotlines.csv:3 [enterprise_id] 'E404'" in result.stderr


def installed_example() -> str | None:
    try:
        return version("evalkit-plugin-example")
    except PackageNotFoundError:
        return None


@pytest.fixture
def autoload(monkeypatch):
    if installed_example() is None:
        if os.environ.get("CI"):
            pytest.fail("CI installs examples/evalkit-plugin-example: it must be found")
        pytest.skip("examples/evalkit-plugin-example is not installed (pip install -e examples/evalkit-plugin-example)")
    monkeypatch.delenv("EVALKIT_DISABLE_PLUGIN_AUTOLOAD", raising=False)


def test_installed_example_is_discovered_through_its_entry_point(autoload, monkeypatch, tmp_path, small):
    listed = run_cli(["plugins"])
    line = next(line for line in listed.stdout.splitlines() if line.startswith("safety "))
    assert line.split()[1] == installed_example() == "0.2.0"
    assert "entry point (evalkit-plugin-example)" in line
    small["safety_inspections"] = [
        {"id": "S1", "enterprise_id": "E1", "department_id": "D1", "date": "2024-05-01", "result": "合格"}
    ]
    folder = write_dataset(tmp_path, small)
    data = run_cli(["assess", str(folder), "--period", "2024", "--format", "json"]).json
    d1 = next(row for row in data["departments"] if row["subject"] == "D1")
    assert {"rule": "SAF01", "points": 0.5, "items": 1, "evidence": ["S1"]} in d1["adjustments"]
    assert "safety" in {p["name"] for p in data["packs"]}
    text = run_cli(["assess", str(folder), "--period", "2024"]).stdout
    plugins = next(line for line in text.splitlines() if line.startswith("plugins: "))  # the report's header
    assert "safety 0.2.0" in plugins
    blocked = run_cli(["plugins", "-p", "no:safety"])
    assert "safety" not in blocked.stdout
    monkeypatch.setenv("EVALKIT_DISABLE_PLUGIN_AUTOLOAD", "1")
    assert "safety" not in run_cli(["plugins"]).stdout


def test_every_hook_is_documented_with_its_signature_and_exercised_by_a_test():
    guide = (ROOT / "docs" / "plugins.md").read_text(encoding="utf-8")
    tests = "".join(path.read_text(encoding="utf-8") for path in (ROOT / "tests").glob("test_*.py"))
    hooks = [name for name in dir(hookspecs) if name.startswith("evalkit_")]
    assert hooks
    for name in hooks:
        signature = f"{name}{inspect.signature(getattr(hookspecs, name))}".replace("'", "")
        assert f"### `{signature}`" in guide, signature
        assert f"def {name}(" in tests, f"no test implements {name}"


@pytest.mark.parametrize("name", ["../../escaped", "/tmp/escaped", "requests/../../escaped", "not_a_record_type"])
def test_verify_writes_only_known_record_types_inside_its_own_folder(tmp_path, name):
    cases = tmp_path / "cases"
    cases.mkdir()
    shutil.copy(CASES / "base.yaml", cases / "base.yaml")
    case = {"rule": "OPF03", "period": "2024Q1", "records": {name: [{"id": "X1"}]}, "expect": [{"subject": "B1"}]}
    (cases / "case.yaml").write_text(yaml.safe_dump(case), encoding="utf-8")
    result = run_cli(["verify", str(cases)])
    assert result.exit_code == 1 and f"records: unknown record type {name!r}" in result.stdout
    assert not list(tmp_path.parent.rglob("escaped*")) and not Path("/tmp/escaped.csv").exists()


def test_a_case_of_the_wrong_shape_is_a_clear_error(tmp_path):
    cases = tmp_path / "cases"
    cases.mkdir()
    (cases / "case.yaml").write_text("rule: OPF03\nperiod: 2024Q1\nexpect: []\nrecords: 5\n", encoding="utf-8")
    result = run_cli(["verify", str(cases)])
    assert result.exit_code == 2 and "its records a mapping of record type names to lists of rows" in result.stderr
