"""Indicator weights: any pack's indicators may weigh what they like; the base renormalises the
weights of all applicable indicators, from every pack, to 100, and `evalkit rules` shows each
indicator's effective weight."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

from evalkit.rules.packs import effective_weights
from evalkit.session import Session
from evalkit.testing import run_cli

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"

PLUGIN = '''
from pathlib import Path
from evalkit import hookimpl
from evalkit.facts import Fact, FactKind

PACK = """
pack: inspections
version: "1"
kind: score
title: {{en: Inspections, zh: 检查}}
rules:
  - id: INS01
    title: {{en: Inspections passed, zh: 检查合格率}}
    severity: low
    fact: inspection_rate
    indicator: {{weight: 10, numerator: passed, denominator: inspected}}
"""


@hookimpl
def evalkit_fact_kinds():
    return [FactKind("inspection_rate", "{subjects}", {{"passed": "passed", "inspected": "inspected"}})]


@hookimpl
def evalkit_rule_packs():
    path = Path(__file__).with_name("inspections.yaml")
    path.write_text(PACK, encoding="utf-8")
    return [path]


@hookimpl
def evalkit_facts(dataset, period):
    return [
        Fact("inspection_rate", row["id"], period, {{"passed": 1, "inspected": 2}}, subject_kind="department")
        for row in dataset["departments"]
    ]
'''


def plugin_dir(tmp_path: Path, subjects: str) -> str:
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "inspections.py").write_text(PLUGIN.format(subjects=subjects), encoding="utf-8")
    return str(folder)


def parameters(stdout: str) -> dict[str, str]:
    """Rule id → its `parameters` cell in `evalkit rules` (the first table: the rules' bases follow)."""
    lines = stdout.splitlines()
    start = lines[0].index("parameters")
    end = lines[0].index("source")
    return {line.split()[0]: line[start:end].strip() for line in lines[2 : lines.index("")]}


def test_shipped_weights_sum_to_100_and_show_no_effective_weight():
    result = run_cli(["rules"])
    assert result.exit_code == 0, result.stderr
    shown = parameters(result.stdout)
    assert [shown[rule] for rule in ("SVC01", "SVC02", "SVC03", "SVC04")] == [
        "weight=20",
        "weight=30",
        "weight=30",
        "weight=20",
    ]
    assert "effective" not in result.stdout


def test_a_plugins_own_indicator_may_weigh_10_and_is_renormalised_with_the_others(tmp_path):
    plugins = plugin_dir(tmp_path, "department|cadre")
    listed = run_cli(["rules", "--plugins-dir", plugins])
    assert listed.exit_code == 0, listed.stderr  # refused before: "the weights sum to 10, not 100"
    shown = parameters(listed.stdout)
    assert shown["SVC01"] == "weight=20 (effective 18.18)"  # 20 × 100 / 110
    assert shown["SVC02"] == "weight=30 (effective 27.27)"
    assert shown["SVC04"] == "weight=20 (effective 18.18)"
    assert shown["INS01"] == "weight=10 (effective 9.09)"
    zh = run_cli(["rules", "--plugins-dir", plugins, "--lang", "zh"]).stdout
    assert "weight=10 (实际 9.09)" in next(line for line in zh.splitlines() if line.startswith("INS01"))


def test_effective_weights_are_per_subject_kind(tmp_path):
    plugins = plugin_dir(tmp_path, "department")
    shown = parameters(run_cli(["rules", "--plugins-dir", plugins]).stdout)
    assert shown["SVC01"] == "weight=20 (effective department 18.18, cadre 20)"
    assert shown["INS01"] == "weight=10 (effective 9.09)"
    session = Session(plugins_dir=plugins, autoload=False)
    effective = effective_weights(session.rules, session.fact_kinds)
    assert effective["SVC02"] == {"department": Fraction(300, 11), "cadre": Fraction(30)}
    assert effective["INS01"] == {"department": Fraction(100, 11)}
    for kind in ("department", "cadre"):
        assert sum(weights[kind] for weights in effective.values() if kind in weights) == 100


def test_the_base_renormalises_every_packs_applicable_weights(tmp_path):
    plugins = plugin_dir(tmp_path, "department")
    args = ["assess", str(SAMPLE), "--period", "2024", "--format", "json"]
    before = run_cli(args)
    after = run_cli([*args, "--plugins-dir", plugins])
    assert before.exit_code == after.exit_code == 0, after.stderr
    for row in after.json["departments"]:
        ins = row["indicators"]["INS01"]
        assert (ins["weight"], ins["points"], ins["applicable"]) == (10, 5.0, True)
        applicable = [i for i in row["indicators"].values() if i["applicable"]]
        points = sum(
            Fraction(i["weight"]) * min(i["numerator"], i["denominator"]) / i["denominator"] for i in applicable
        )
        base = points * 100 / sum(Fraction(i["weight"]) for i in applicable)
        assert row["base"] == pytest.approx(float(base), abs=1e-6)
        old = next(old for old in before.json["departments"] if old["subject"] == row["subject"])
        old_weights = sum(i["weight"] for i in old["indicators"].values() if i["applicable"])
        # With INS01 (10 of 10 + the others' weights), the old base weighs old_weights / (old_weights + 10).
        expected = (Fraction(old["base"]) * old_weights + 5 * 100) / (old_weights + 10)
        assert row["base"] == pytest.approx(float(expected), abs=1e-4)
    assert after.json["cadres"] == before.json["cadres"]  # the indicator scores departments only


def test_a_score_pack_whose_weights_do_not_sum_to_100_is_accepted(tmp_path):
    folder = tmp_path / "rules"
    folder.mkdir()
    text = (ROOT / "rules" / "service.yaml").read_text(encoding="utf-8")
    old = "indicator: {weight: 20, numerator: accepted_in_window"
    assert old in text
    (folder / "service.yaml").write_text(text.replace(old, old.replace("20", "25")), encoding="utf-8")
    result = run_cli(["rules", "--rules-dir", str(folder)])
    assert result.exit_code == 0, result.stderr
    shown = parameters(result.stdout)
    assert shown["SVC01"] == "weight=25 (effective 23.81)"  # 25 × 100 / 105
    assert shown["SVC02"] == "weight=30 (effective 28.57)"


def test_explain_shows_each_applicable_indicators_effective_weight(tmp_path):
    plugins = plugin_dir(tmp_path, "department")
    args = ["explain", str(SAMPLE), "--period", "2024", "--subject", "D2", "--plugins-dir", plugins]
    result = run_cli(args)
    assert result.exit_code == 0, result.stderr
    indicators = result.stdout.split("\nBasis:")[0]  # the rules' bases come last, a line each
    rows = {line.split()[0]: line.split() for line in indicators.splitlines() if line[:3] in ("SVC", "INS")}
    # D2's four SVC indicators (20 + 30 + 30 + 20) and INS01 (10) all apply: 110 in all.
    assert [rows[rule][-3:-1] for rule in ("SVC01", "SVC02", "SVC03", "SVC04", "INS01")] == [
        ["20", "18.18"],  # 20 × 100 / 110
        ["30", "27.27"],
        ["30", "27.27"],
        ["20", "18.18"],
        ["10", "9.09"],
    ]
    zh = run_cli([*args, "--lang", "zh"]).stdout
    assert "实际权重" in zh
