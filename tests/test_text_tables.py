"""Terminal text fitted to 120 display cells (--wide: the full width), indicator headers in the
report's language, and assess's summary of enterprise coverage (COV01, COV02)."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest
from wcwidth import wcswidth

from evalkit.report.document import Cell, Document, Paragraph, Table
from evalkit.report.text import cut, display_width, render_text, table_lines, wrapped
from evalkit.testing import run_cli, write_dataset

SAMPLE = Path(__file__).parent.parent / "sample_data"


def widest(text: str) -> int:
    return max(wcswidth(line) for line in text.splitlines())


@pytest.fixture(scope="module")
def sample_assess() -> dict[tuple[str, bool], str]:
    """assess sample_data --period 2024 in both languages, fitted and --wide."""
    outputs = {}
    for lang in ("en", "zh"):
        for wide in (False, True):
            result = run_cli(["assess", str(SAMPLE), "--period", "2024", "--lang", lang, *(["--wide"] if wide else [])])
            assert result.exit_code == 0, result.stderr
            outputs[lang, wide] = result.stdout
    return outputs


def test_display_width_counts_a_chinese_character_as_two_cells():
    assert display_width("B07 北辰") == 8
    assert display_width("…") == 1


def test_a_name_is_cut_with_an_ellipsis_within_the_width():
    # 4 characters (8 cells) and … fit 10; a fifth character would make 11.
    assert cut("北辰盛和烘焙食品有限公司党支部", 10) == "北辰盛和…"
    assert cut("D7 人力资源和社会保障局", 10) == "D7 人力资…"
    assert cut("科技局", 10) == "科技局"


def test_text_wraps_at_spaces_and_between_chinese_characters():
    assert wrapped("no volunteer_service activity in 2024Q3", 20) == ["no volunteer_service", "activity in 2024Q3"]
    # 2024年第三季度 is 4 + 5 × 2 = 14 cells.
    assert wrapped("2024年第三季度没有开展志愿服务活动", 14) == ["2024年第三季度", "没有开展志愿服", "务活动"]
    # 没有可用的活动阵地 fills 18 cells, but a line never starts with ：, so 地： moves down together.
    assert wrapped("没有可用的活动阵地：Z01", 18) == ["没有可用的活动阵", "地：Z01"]


def table() -> Table:
    headers = ["subject", "name", "SVC01 Acceptance", "message"]
    row = [Cell("D7"), Cell("人力资源和社会保障局"), Cell(Fraction(1606, 100), "number")]
    return Table("t", "T", headers, [[*row, Cell("no volunteer_service activity in 2024Q3")]])


def test_a_table_that_fits_is_laid_out_two_spaces_apart():
    # columns 7, 20, 16 and 39 cells wide: 88 with the gaps.
    assert table_lines(table(), {"name"}, 88) == [
        "subject  name                  SVC01 Acceptance  message",
        "-------  --------------------  ----------------  ---------------------------------------",
        "D7       人力资源和社会保障局  16.06             no volunteer_service activity in 2024Q3",
    ]
    assert table_lines(table(), {"name"}, None) == table_lines(table(), {"name"}, 88)


def test_a_wide_table_is_narrowed_step_by_step():
    # 88 cells into 60: the indicator header on two lines (16 → 10: 82), one space apart (79), the
    # name cut to 10 cells (人力资源… takes 9: 68), the message wrapped to 31 cells (it takes 29: 58).
    assert table_lines(table(), {"name"}, 60) == [
        " " * 18 + "SVC01",  # above Acceptance: 7 + 1 + 9 + 1 cells in
        "subject name      Acceptance message",
        "------- --------- ---------- -----------------------------",
        "D7      人力资源… 16.06      no volunteer_service activity",
        "                             in 2024Q3",
    ]


def test_a_next_step_wraps_under_its_text():
    advice = "2024Q3 had no volunteer_service activity: if one was held, add it to the ledger"
    provenance = [Table("packs", "", [], []), Table("plugins", "", [], [])]
    document = Document("T", "en", provenance=provenance, blocks=[Paragraph([advice], "What to do next", True)])
    assert render_text(document, 40).split("\n\n")[1].splitlines() == [
        "What to do next:",
        "  1. 2024Q3 had no volunteer_service",  # 36 cells: with activity: 46
        "     activity: if one was held, add it",  # 38: with to 41
        "     to the ledger",
    ]
    assert render_text(document, None).split("\n\n")[1].splitlines() == ["What to do next:", f"  1. {advice}"]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_the_sample_assessment_fits_120_cells(sample_assess, lang):
    assert widest(sample_assess[lang, False]) <= 120
    assert widest(sample_assess[lang, True]) > 120  # --wide: as wide as the tables are


def test_indicator_headers_are_the_rules_titles_under_their_ids(sample_assess):
    zh = sample_assess["zh", False].splitlines()
    header = zh.index("部门") + 1
    assert zh[header].split() == ["SVC01", "SVC02", "SVC03", "SVC04", "建议"]  # 建议等次 on two lines
    assert zh[header + 1].split()[3:7] == ["及时接单", "按时办结", "企业满意", "走访企业"]
    assert "SVC01 及时接单" in sample_assess["zh", True]
    assert "SVC03 Satisfaction" in sample_assess["en", True]
    wide = sample_assess["zh", True].splitlines()
    # a department has a name (名称), a cadre a person's name (姓名)
    assert wide[wide.index("部门") + 1].split()[:3] == ["排名", "编号", "名称"]
    assert wide[wide.index("干部") + 1].split()[:4] == ["排名", "编号", "姓名", "所在部门"]


def test_wide_keeps_the_names_the_fitted_table_cuts(sample_assess):
    # The English cadres table: K034's department cut to 10 cells, whole with --wide.
    fitted = next(line for line in sample_assess["en", False].splitlines() if " K034 " in line)
    assert fitted.split()[:5] == ["36", "K034", "罗颖", "D7", "人力资…"]  # vetoed: ranked last
    full = next(line for line in sample_assess["en", True].splitlines() if " K034 " in line)
    assert full.split()[:5] == ["36", "K034", "罗颖", "D7", "人力资源和社会保障局"]


def test_the_self_check_in_chinese_fits_and_wide_keeps_the_name():
    args = ["check", str(SAMPLE), "--period", "2024Q3", "--subject", "B07", "--lang", "zh", "--today", "2024-10-10"]
    fitted, full = run_cli(args).stdout, run_cli([*args, "--wide"]).stdout
    assert widest(fitted) <= 120 and widest(full) > 120
    assert "B07  北辰盛和… 2024年第三季度 OPF05" in fitted and "北辰盛和烘焙食品有限公司党支部" not in fitted
    assert "B07   北辰盛和烘焙食品有限公司党支部  2024年第三季度  OPF05" in full


@pytest.fixture(scope="module")
def coverage_folder(tmp_path_factory):
    """The small dataset with three more enterprises: E3 (5 members, only in the joint branch J1)
    has no branch of its own, E4 (1 member) no organisation, E5 (3 members, none) is waived."""
    from fixture_data import SMALL

    tables = {name: [dict(row) for row in rows] for name, rows in SMALL.items()}
    first = tables["enterprises"][1]
    tables["enterprises"] += [
        {**first, "id": "E3", "name": "丙饮料", "party_members": 5, "party_org_id": "J1"},
        {**first, "id": "E4", "name": "丁物流", "party_members": 1, "party_org_id": None},
        {**first, "id": "E5", "name": "戊农业", "party_members": 3, "party_org_id": None},
    ]
    tables["waivers"] = [
        {"rule": "COV01", "subject_id": "E5", "period": "2024", "reason": "在建", "approved_by": "党工委"}
    ]
    return write_dataset(tmp_path_factory.mktemp("coverage"), tables)


def test_assess_summarises_enterprise_coverage(coverage_folder):
    # COV01 (≥ 3 members): E1 has B1 (pass), E3 only J1 (fail), E5 waived; COV02: E2 in J1, E4 in none.
    text = run_cli(["assess", str(coverage_folder), "--period", "2024"]).stdout
    part = text[text.index("\nCoverage\n") :].splitlines()
    assert part[1:9] == [
        "Coverage",
        "rule   title       enterprises  pass  fail  waived",
        "-----  ----------  -----------  ----  ----  ------",
        "COV01  Own branch  3            1     1     1",
        "COV02  Covered     2            1     1     0",
        "",
        "Coverage — failed",
        "subject  name    rule   title       message",
    ]
    assert [line.split()[:3] for line in part[10:12]] == [["E3", "丙饮料", "COV01"], ["E4", "丁物流", "COV02"]]
    assert part[10].endswith("5 party members but no branch of its own at the end of 2024")


def test_the_coverage_summary_in_chinese_and_markdown(coverage_folder):
    text = run_cli(["assess", str(coverage_folder), "--period", "2024", "--lang", "zh"]).stdout
    assert "规则   规则名称    企业数  通过  不通过  已豁免" in text
    assert "COV01  单独建支部  3       1     1       1" in text
    assert "E4    丁物流  COV02  联合覆盖    有党员1名，2024年末未被任何党组织覆盖" in text
    markdown = run_cli(["assess", str(coverage_folder), "--period", "2024", "--format", "markdown"]).stdout
    assert "## Coverage — failed" in markdown
    assert "| COV02  | Covered    | 2             | 1      | 1      | 0        |" in markdown


def test_assess_json_has_no_coverage_summary(coverage_folder):
    """The summary is the Document's; the JSON is as it was (its findings hold the COV results)."""
    report = run_cli(["assess", str(coverage_folder), "--period", "2024", "--format", "json"]).json
    assert set(report) == {"period", "departments", "cadres", "branches", "chains", "findings", "packs", "errors"} | {
        "command",  # issue 24's keys, so outputs can be compared
        "subject",
        "rules",
    }
