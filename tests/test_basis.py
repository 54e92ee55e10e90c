"""Every rule cites its basis: the shipped packs all do, verbatim; a user's pack may not (shown —);
`evalkit rules`, explain and the reports' list of rules in force show it. And a pack's `needs`."""

from __future__ import annotations

from pathlib import Path

import pytest
from openpyxl import load_workbook

from evalkit.session import Session
from evalkit.testing import run_cli

ZONE_METHOD = "济阳区产业链党建'1+4'工作法"
COV01 = "《中国共产党支部工作条例（试行）》第四条：凡是有正式党员3人以上的，都应当成立党支部"
#: A pack of the user's own, with no basis (and, in `NEEDS`, a misspelt record type).
OWN_PACK = """\
pack: education_plus
version: "1"
title: {en: Education plus, zh: 党员教育加强}
rules:
  - id: EDU01
    title: {en: Education, zh: 党员教育}
    severity: low
    fact: branch_quarter
    when: "member_education < 1"
    message:
      pass: {en: "ok", zh: "好"}
      fail: {en: "none", zh: "无"}
"""


@pytest.fixture(scope="module")
def shipped() -> dict:
    return {rule.spec.id: rule.spec for rule in Session(autoload=False).rules}


def test_every_shipped_rule_cites_its_basis(shipped):
    assert [rule_id for rule_id, spec in shipped.items() if not (spec.basis and spec.basis_kind)] == []


def test_shipped_bases_are_the_issues_words(shipped):
    for rule_id in ("OPF01", "OPF05", "OPF10", "CHN01", "CHN03", "SVC01", "SVC31"):
        assert (shipped[rule_id].basis_kind, shipped[rule_id].basis) == ("zone_method", ZONE_METHOD), rule_id
    assert shipped["COV01"].basis == COV01
    assert shipped["COV02"].basis == "同上第五条：正式党员不足3人的单位……成立联合党支部"
    assert (shipped["LIFE04"].basis_kind, shipped["LIFE04"].basis) == (
        "local_practice",
        "三会一课制度：党课一般每季度1次",
    )
    assert (shipped["LIFE08"].basis_kind, shipped["LIFE08"].basis) == (
        "regulation",
        "条例第十一条：须有半数以上有表决权的党员到会",
    )


@pytest.fixture
def own_rules(tmp_path) -> Path:
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "education_plus.yaml").write_text(OWN_PACK, encoding="utf-8")
    return folder


def test_rules_lists_each_basis_within_120_cells(own_rules):
    from wcwidth import wcswidth

    for lang, kind in (("en", "regulation"), ("zh", "法规制度")):
        result = run_cli(["rules", "--lang", lang, "--rules-dir", str(own_rules)])
        assert result.exit_code == 0, result.stderr
        lines = result.stdout.splitlines()
        assert max(map(wcswidth, lines)) <= 120
        basis = {line.split()[0]: line.split(None, 2)[1:] for line in lines[lines.index("") + 3 :]}
        assert basis["COV01"] == [kind, COV01]
        assert basis["EDU01"] == ["—", "—"]
    zh = run_cli(["rules", "--lang", "zh"]).stdout
    assert "LIFE04  地方惯例    三会一课制度：党课一般每季度1次" in zh
    assert f"OPF01   园区工作法  {ZONE_METHOD}" in zh


def test_explain_gives_the_basis_of_each_rule_that_judged(small_dir):
    text = run_cli(["explain", str(small_dir), "--period", "2024Q1", "--subject", "E1", "--lang", "zh"]).stdout
    basis = text.split("依据：\n")[1].splitlines()
    assert basis[0] == "COV01 单独建支部：法规制度，" + COV01
    department = run_cli(["explain", str(small_dir), "--period", "2024", "--subject", "D1"]).stdout
    assert f"SVC01 Acceptance: zone method, {ZONE_METHOD}" in department.split("Basis:\n")[1]


def test_explain_gives_the_basis_of_the_rules_that_left_a_cadre_ungraded_or_capped():
    """The sample's K010 is on leave for more than half of 2024 (SVC43) and K004 under a warning
    (SVC44): the rules that decided their grades are cited beside the indicators'."""
    sample = str(Path(__file__).resolve().parent.parent / "sample_data")
    ungraded = run_cli(["explain", sample, "--period", "2024", "--subject", "K010", "--lang", "zh"]).stdout
    assert "SVC43 病事假超过半年：法规制度，《公务员考核规定》（2020）" in ungraded.split("依据：\n")[1].splitlines()
    capped = run_cli(["explain", sample, "--period", "2024", "--subject", "K004"]).stdout
    assert "SVC44 Warning cap: regulation, 《公务员考核规定》（2020）" in capped.split("Basis:\n")[1].splitlines()


def test_reports_list_the_rules_in_force(small_dir, own_rules, tmp_path):
    markdown = run_cli(
        ["check", str(small_dir), "--period", "2024", "--format", "markdown", "--rules-dir", str(own_rules)]
    ).stdout
    table = markdown.split("## Rules\n\n")[1].split("\n\n")[0].splitlines()
    assert [cell.strip() for cell in table[0].split("|")[1:-1]] == ["rule", "title", "pack", "basis kind", "basis"]
    rows = {row.split("|")[1].strip(): [cell.strip() for cell in row.split("|")[2:-1]] for row in table[2:]}
    assert rows["EDU01"] == ["Education", "education_plus", "—", "—"]
    assert rows["OPF01"] == ["Activity base", "one_plus_four", "zone method", ZONE_METHOD]
    assert "LIFE01" not in rows  # branch_life is left out: the small dataset keeps no branch_meetings
    assert "SVC01" not in rows  # a check judges the compliance packs only
    html = run_cli(["assess", str(small_dir), "--period", "2024", "--format", "html", "--lang", "zh"]).stdout
    assert "<h2>规则</h2>" in html and "园区工作法" in html and "SVC31" in html.split("<h2>规则</h2>")[1]
    target = tmp_path / "report.xlsx"
    run_cli(["assess", str(small_dir), "--period", "2024", "--lang", "zh", "--output", str(target)])
    sheet = load_workbook(target)["规则"]
    rows = {row[0]: row for row in sheet.iter_rows(values_only=True)}
    assert rows["规则"] == ("规则", "名称", "规则包", "依据类别", "依据")
    assert rows["COV02"] == (
        "COV02",
        "联合覆盖",
        "coverage",
        "法规制度",
        "同上第五条：正式党员不足3人的单位……成立联合党支部",
    )


def test_a_basis_kind_outside_the_three_is_refused(own_rules, small_dir):
    pack = own_rules / "education_plus.yaml"
    pack.write_text(
        pack.read_text(encoding="utf-8").replace("    severity: low\n", "    severity: low\n    basis_kind: law\n")
    )
    result = run_cli(["rules", "--rules-dir", str(own_rules)])
    assert result.exit_code == 2
    assert (
        "rule EDU01: key basis_kind: Input should be 'regulation', 'local_practice' or 'zone_method'" in result.stderr
    )


def test_needs_names_a_record_type(own_rules):
    pack = own_rules / "education_plus.yaml"
    pack.write_text(pack.read_text(encoding="utf-8").replace("rules:\n", "needs: [branch_meeting]\nrules:\n"))
    result = run_cli(["rules", "--rules-dir", str(own_rules)])
    assert result.exit_code == 2
    assert "education_plus.yaml: key needs: 'branch_meeting' is not a record type (known: activities, " in result.stderr
