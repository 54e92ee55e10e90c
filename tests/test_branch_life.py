"""The branch_life pack (组织生活): every LIFE rule on small ledgers, computed by hand.

The small dataset's branch B1 (established 2021-03-01, 12 members: a committee unless the ledger
says otherwise) and joint branch J1 (4 members: no committee by default) are the subjects.
"""

from __future__ import annotations

import pytest
from openpyxl import load_workbook

from evalkit import DatasetError, load_dataset
from evalkit.hanzi import fold
from evalkit.testing import run_cli, write_dataset


def meeting(id_, date, kind, org="B1", present=None, members=None, title="会议"):
    return {
        "id": id_,
        "org_id": org,
        "date": date,
        "kind": kind,
        "title": title,
        "voting_present": present,
        "voting_members": members,
    }


def life(folder, period, lang="en", command="check"):
    """The LIFE findings of a check as {(subject, period, rule): (status, message)}."""
    result = run_cli([command, str(folder), "--period", period, "--format", "json", "--lang", lang, "--exit-zero"])
    assert result.exit_code == 0, result.stderr
    return {
        (f["subject"], f["period"], f["rule"]): (f["status"], f["message"])
        for f in result.json["findings"]
        if f["pack"] == "branch_life"
    }


def statuses(found) -> dict:
    return {key: status for key, (status, _) in found.items()}


#: B1 in 2024: July 1 is a general meeting and a party lecture at once (5 of 10 voting members: half,
#: a quorum); June 30 is Q2's; September 30, the quarter's last day, is a committee meeting and a
#: theme day. Committee: July, September (August missing); groups: July only; theme days: August,
#: September (July missing).
THIRD_QUARTER = [
    meeting("M1", "2024-07-01", "general_meeting;party_lecture", present=5, members=10),
    meeting("M2", "2024-06-30", "committee_meeting"),
    meeting("M3", "2024-07-15", "committee_meeting"),
    meeting("M4", "2024-09-30", "committee_meeting;theme_day"),
    meeting("M5", "2024-08-20", "theme_day"),
    meeting("M6", "2024-07-20", "group_meeting"),
]


@pytest.fixture
def life_dir(tmp_path, small):
    small["organizations"][2]["party_groups"] = 2  # B1
    small["branch_meetings"] = THIRD_QUARTER
    return write_dataset(tmp_path / "data", small)


def test_every_quarterly_rule_of_a_quarter(life_dir):
    found = life(life_dir, "2024Q3")
    assert statuses({k: v for k, v in found.items() if k[0] == "B1"}) == {
        ("B1", "2024Q3", "LIFE01"): "pass",
        ("B1", "2024Q3", "LIFE02"): "fail",
        ("B1", "2024Q3", "LIFE03"): "fail",
        ("B1", "2024Q3", "LIFE04"): "pass",
        ("B1", "2024Q3", "LIFE05"): "fail",
        ("B1", "2024Q3", "LIFE08"): "pass",
    }
    assert found[("B1", "2024Q3", "LIFE02")][1] == "no committee meeting (支委会) in 2024-08 (2024Q3)"
    assert found[("B1", "2024Q3", "LIFE03")][1] == "no party group meeting (党小组会) in 2024-08, 2024-09 (2024Q3)"
    assert found[("B1", "2024Q3", "LIFE05")][1] == "no theme party day (主题党日) in 2024-07 (2024Q3)"
    assert found[("B1", "2024Q3", "LIFE01")][1] == "general meetings (党员大会) in 2024Q3: 1"
    # J1: no committee (4 members), no party groups: LIFE02 and LIFE03 give no finding at all
    assert statuses({k: v for k, v in found.items() if k[0] == "J1"}) == {
        ("J1", "2024Q3", "LIFE01"): "fail",
        ("J1", "2024Q3", "LIFE04"): "fail",
        ("J1", "2024Q3", "LIFE05"): "fail",
        ("J1", "2024Q3", "LIFE08"): "skip",  # no general meeting gives both counts
    }
    assert found[("J1", "2024Q3", "LIFE05")][1] == "no theme party day (主题党日) in 2024-07, 2024-08, 2024-09 (2024Q3)"


def test_months_named_in_chinese(life_dir):
    found = life(life_dir, "2024Q3", "zh")
    assert found[("B1", "2024Q3", "LIFE03")][1] == "2024年第三季度8月、9月没有召开党小组会"
    assert found[("B1", "2024Q3", "LIFE02")][1] == "2024年第三季度8月没有召开支委会"


def test_a_meeting_on_june_30_counts_for_june_and_one_on_july_1_for_july(life_dir):
    found = life(life_dir, "2024Q2")
    assert found[("B1", "2024Q2", "LIFE02")] == ("fail", "no committee meeting (支委会) in 2024-04, 2024-05 (2024Q2)")
    assert found[("B1", "2024Q2", "LIFE01")][0] == "fail"  # M1 of July 1 is Q3's
    assert (
        found[("B1", "2024Q2", "LIFE03")][1]
        == "no party group meeting (党小组会) in 2024-04, 2024-05, 2024-06 (2024Q2)"
    )


def test_a_year_checks_every_quarter_and_the_yearly_rules(life_dir, small, tmp_path):
    found = life(life_dir, "2024")
    assert {key[1] for key in found if key[0] == "B1"} == {"2024Q1", "2024Q2", "2024Q3", "2024Q4", "2024"}
    assert statuses({k: v for k, v in found.items() if k[1] == "2024"}) == {
        ("B1", "2024", "LIFE06"): "fail",
        ("B1", "2024", "LIFE07"): "fail",
        ("J1", "2024", "LIFE06"): "skip",  # J1 was established on 2024-02-10
        ("J1", "2024", "LIFE07"): "skip",
    }
    quarter = life(life_dir, "2024Q4")
    assert not [key for key in quarter if key[2] in ("LIFE06", "LIFE07")]  # year periods only


def test_yearly_rules_pass_on_the_years_last_day(tmp_path, small):
    small["branch_meetings"] = [
        meeting("L1", "2024-12-31", "组织生活会;民主评议"),
        meeting("L2", "2025-01-01", "member_review"),
    ]
    found = life(write_dataset(tmp_path, small), "2024")
    assert found[("B1", "2024", "LIFE06")] == ("pass", "organisational life meetings (组织生活会) in 2024: 1")
    assert found[("B1", "2024", "LIFE07")] == ("pass", "member reviews (民主评议党员) in 2024: 1")


def test_founded_on_august_15(tmp_path, small):
    """The issue's example: 2024Q3 checks September only; LIFE01/04/08 skip; the year's rules skip."""
    j1 = small["organizations"][3]
    j1.update(established_on="2024-08-15", has_committee="是", party_groups=1)
    small["branch_meetings"] = [
        meeting("N1", "2024-08-20", "theme_day;committee_meeting;group_meeting", org="J1"),  # August: not checked
        meeting("N2", "2024-09-10", "committee_meeting;theme_day", org="J1"),
        meeting("N3", "2024-09-12", "general_meeting", org="J1", present=1, members=4),
    ]
    found = life(write_dataset(tmp_path, small), "2024")
    assert statuses({k: v for k, v in found.items() if k[0] == "J1" and k[1] in ("2024Q3", "2024")}) == {
        ("J1", "2024Q3", "LIFE01"): "skip",
        ("J1", "2024Q3", "LIFE02"): "pass",
        ("J1", "2024Q3", "LIFE03"): "fail",
        ("J1", "2024Q3", "LIFE04"): "skip",
        ("J1", "2024Q3", "LIFE05"): "pass",
        ("J1", "2024Q3", "LIFE08"): "skip",  # 1 of 4 would fail, but the quarter is not checked
        ("J1", "2024", "LIFE06"): "skip",
        ("J1", "2024", "LIFE07"): "skip",
    }
    assert found[("J1", "2024Q3", "LIFE03")][1] == "no party group meeting (党小组会) in 2024-09 (2024Q3)"
    assert found[("J1", "2024Q3", "LIFE02")][1] == (
        "a committee meeting (支委会) every checked month of 2024Q3: 2 in all"
    )
    for quarter in ("2024Q1", "2024Q2"):  # no month of them checked
        assert {found[("J1", quarter, rule)][0] for rule in ("LIFE01", "LIFE02", "LIFE03", "LIFE05")} == {"skip"}


@pytest.mark.parametrize(
    ("present", "members", "status"),
    [(5, 10, "pass"), (4, 9, "fail"), (5, 9, "pass"), (0, 0, "pass"), (4, 10, "fail"), (5, None, "skip")],
)
def test_quorum_half_or_more(tmp_path, small, present, members, status):
    """半数以上 includes half: 5 of 10 is a quorum, 4 of 9 (8 < 9) is not; without both counts, not judged."""
    small["branch_meetings"] = [meeting("G1", "2024-05-01", "党员大会", present=present, members=members)]
    found = life(write_dataset(tmp_path, small), "2024Q2")
    assert found[("B1", "2024Q2", "LIFE08")][0] == status


def test_one_short_meeting_fails_the_quarter_and_is_named(tmp_path, small):
    small["branch_meetings"] = [
        meeting("G1", "2024-04-01", "general_meeting", present=6, members=10),
        meeting("G2", "2024-05-01", "general_meeting", present=4, members=9),
        meeting("G3", "2024-06-01", "general_meeting"),
    ]
    found = life(write_dataset(tmp_path, small), "2024Q2")
    assert found[("B1", "2024Q2", "LIFE08")] == (
        "fail",
        "fewer than half of the voting members present at 1 of 2 general meeting(s) of 2024Q2: G2",
    )


def test_no_committee_and_no_groups_give_no_finding(tmp_path, small):
    small["organizations"][2].update(has_committee="否", party_groups=None)  # B1, 12 members
    small["organizations"][3].update(has_committee="yes", party_groups=0)  # J1, 4 members
    small["branch_meetings"] = [meeting("X1", "2024-04-02", "committee_meeting", org="J1")]
    found = life(write_dataset(tmp_path, small), "2024Q2")
    assert {key for key in found if key[2] in ("LIFE02", "LIFE03")} == {("J1", "2024Q2", "LIFE02")}
    assert found[("J1", "2024Q2", "LIFE02")][1] == "no committee meeting (支委会) in 2024-05, 2024-06 (2024Q2)"


def test_inert_without_the_ledger(small_dir):
    result = run_cli(["assess", str(small_dir), "--period", "2024", "--format", "json"])
    assert not [f for f in result.json["findings"] if f["pack"] == "branch_life"]
    assert "branch_life" not in result.json
    assert "branch_life" not in [pack["name"] for pack in result.json["packs"]]
    text = run_cli(["assess", str(small_dir), "--period", "2024"]).stdout
    assert "LIFE0" not in text and "branch_life 1 (" not in text  # the plugin is loaded, its pack not listed


def test_a_header_only_ledger_makes_it_active(tmp_path, small):
    folder = write_dataset(tmp_path, small)
    (folder / "branch_meetings.csv").write_text("id,org_id,date,kind\n", encoding="utf-8")
    result = run_cli(["assess", str(folder), "--period", "2024", "--format", "json"])
    rows = {row["subject"]: row for row in result.json["branch_life"]}
    assert set(rows) == {"B1", "J1"}
    # B1: every quarter checked, none compliant; J1 (established 2024-02-10): Q1 checked too (March, LIFE05)
    assert (rows["B1"]["checked_quarters"], rows["B1"]["compliant_quarters"], rows["B1"]["compliance_rate"]) == (
        4,
        0,
        0.0,
    )
    assert (rows["J1"]["checked_quarters"], rows["J1"]["compliant_quarters"]) == (4, 0)
    assert rows["B1"]["findings"]["LIFE06"] == "fail"
    assert "branch_life" in [pack["name"] for pack in result.json["packs"]]


def test_compliant_quarters_and_the_rate_in_the_branches_table(tmp_path, small):
    """B1 holds everything Q1 needs (LIFE06/07 are year findings: not in the quarter count), nothing after."""
    q1 = []
    for month in (1, 2, 3):
        kinds = "committee_meeting;theme_day" + (";general_meeting;party_lecture" if month == 1 else "")
        q1.append(meeting(f"Q{month}", f"2024-{month:02d}-05", kinds))
    small["branch_meetings"] = q1
    folder = write_dataset(tmp_path / "data", small)
    rows = {
        row["subject"]: row
        for row in run_cli(["assess", str(folder), "--period", "2024", "--format", "json"]).json["branch_life"]
    }
    assert (rows["B1"]["checked_quarters"], rows["B1"]["compliant_quarters"], rows["B1"]["compliance_rate"]) == (
        4,
        1,
        0.25,
    )
    text = run_cli(["assess", str(folder), "--period", "2024", "--wide"]).stdout
    branches = text.split("\nBranches\n")[1].split("\n\n")[0]
    assert "organisational life rate" in branches.splitlines()[0]
    b1 = next(line for line in branches.splitlines() if line.startswith("B1 "))
    assert b1.rstrip().endswith("25.00%")
    zh = run_cli(["assess", str(folder), "--period", "2024", "--wide", "--lang", "zh"]).stdout
    assert "组织生活达标率" in zh
    target = tmp_path / "report.xlsx"
    run_cli(["assess", str(folder), "--period", "2024", "--lang", "zh", "--output", str(target)])
    sheet = load_workbook(target)["党支部"]
    header = [cell.value for cell in sheet[1]]
    rates = {row[0]: row[header.index("组织生活达标率")] for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert rates == {"B1": 0.25, "J1": 0}  # a percent cell; J1 holds nothing: 4 quarters checked, none compliant
    html = run_cli(["assess", str(folder), "--period", "2024", "--format", "html"]).stdout
    assert "organisational life rate" in html and "25.00%" in html
    explained = run_cli(["explain", str(folder), "--period", "2024", "--subject", "B1"]).stdout
    assert "Organisational life:\nQuarters checked 4, compliant 1, rate 25.00%" in explained


def test_waivers_apply(tmp_path, small):
    small["branch_meetings"] = [meeting("W1", "2024-01-10", "theme_day")]
    small["waivers"] = [
        {"rule": "LIFE01", "subject_id": "B1", "period": "2024Q1", "reason": "停产", "approved_by": "组织办"}
    ]
    found = life(write_dataset(tmp_path, small), "2024Q1")
    assert found[("B1", "2024Q1", "LIFE01")][0] == "waived"
    assert found[("B1", "2024Q1", "LIFE04")][0] == "fail"


def test_a_chinese_ledger_in_traditional_forms_loads(tmp_path, small):
    folder = write_dataset(tmp_path, small)
    (folder / "组织生活台账.csv").write_text(
        "编号,黨組織,日期,類型,主題,到會有表決權黨員數,應到會有表決權黨員數,佐證材料\n"
        "H1,B1,2024年3月5日,黨員大會；黨課,学习,8,12,照片\n"
        "H2,B1,2024/3/6,支部委員會會議; 主题党日 ;民主評議,,,,\n",
        encoding="utf-8",
    )
    dataset = load_dataset(folder)
    rows = dataset.by_id("branch_meetings")
    assert rows["H1"]["kind"] == ("general_meeting", "party_lecture")
    assert (rows["H1"]["voting_present"], rows["H1"]["voting_members"]) == (8, 12)
    assert rows["H2"]["kind"] == ("committee_meeting", "theme_day", "member_review")
    assert rows["H2"]["voting_present"] is None


def test_every_new_label_folds_from_its_traditional_form():
    pairs = {
        "組織生活臺賬": "组织生活台账",
        "黨員大會": "党员大会",
        "黨支部委員會會議": "党支部委员会会议",
        "黨小組會": "党小组会",
        "黨課": "党课",
        "主題黨日": "主题党日",
        "組織生活會": "组织生活会",
        "民主評議黨員": "民主评议党员",
        "設支委會": "设支委会",
        "黨小組數": "党小组数",
        "應到會有表決權黨員數": "应到会有表决权党员数",
        "佐證材料": "佐证材料",
    }
    assert {traditional: fold(traditional) for traditional in pairs} == pairs


def test_a_bad_kind_is_located_with_a_suggestion(tmp_path, small):
    small["branch_meetings"] = [meeting("B9", "2024-03-05", "党课;党员会")]
    with pytest.raises(DatasetError) as raised:
        load_dataset(write_dataset(tmp_path, small))
    [problem] = raised.value.problems
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "branch_meetings.csv",
        2,
        "kind",
        "党课;党员会",
    )
    assert problem.expected.endswith(": '党员会', did you mean general_meeting (党员大会)?")
    assert problem.expected.startswith("one or more of general_meeting (党员大会), committee_meeting (支委会)")
    assert problem.zh.endswith("——“党员会”是否应为“党员大会”？")


def test_a_blank_kind_is_missing(tmp_path, small):
    small["branch_meetings"] = [meeting("B9", "2024-03-05", None)]
    with pytest.raises(DatasetError) as raised:
        load_dataset(write_dataset(tmp_path, small))
    assert [(p.row, p.column, p.value) for p in raised.value.problems] == [(2, "kind", "")]


def test_a_meeting_of_a_chain_committee_is_refused(tmp_path, small):
    small["branch_meetings"] = [meeting("B9", "2024-03-05", "党课", org="C1")]
    with pytest.raises(DatasetError) as raised:
        load_dataset(write_dataset(tmp_path, small))
    [problem] = raised.value.problems
    assert (problem.file, problem.row, problem.column, problem.value) == ("branch_meetings.csv", 2, "org_id", "C1")
    assert "branch or joint_branch" in problem.expected


def test_has_committee_is_unknown_when_blank_or_absent(tmp_path, small):
    small["organizations"][2]["has_committee"] = "是"
    small["organizations"][3]["has_committee"] = None
    rows = load_dataset(write_dataset(tmp_path / "given", small)).by_id("organizations")
    assert (rows["B1"]["has_committee"], rows["J1"]["has_committee"], rows["W1"]["has_committee"]) == (True, None, None)
    for row in small["organizations"]:
        row.pop("has_committee", None)
    rows = load_dataset(write_dataset(tmp_path / "absent", small)).by_id("organizations")
    assert rows["B1"]["has_committee"] is None and rows["B1"]["party_groups"] is None
    assert load_dataset(write_dataset(tmp_path / "other", small)).by_id("cadres")["K1"]["party_member"] is True


def test_next_steps_name_the_months(life_dir):
    """While the quarter is open the advice counts the days left; once it has ended, what to do about it."""
    args = ["check", str(life_dir), "--period", "2024Q3", "--subject", "B1", "--lang", "zh"]
    open_ = run_cli([*args, "--today", "2024-09-20"]).stdout.split("下一步要做的：\n")[1].splitlines()
    assert open_[:3] == [
        "  1. 支委会应每月召开；8月尚未召开；本季度截止2024-09-30（还有10天）",
        "  2. 党小组会应每月召开；8月、9月尚未召开；本季度截止2024-09-30（还有10天）",
        "  3. 主题党日应每月开展；7月尚未开展；本季度截止2024-09-30（还有10天）",
    ]
    ended = run_cli([*args, "--today", "2024-10-08", "--lang", "en"]).stdout.split("What to do next:\n")[1]
    assert ended.startswith(
        "  1. 2024Q3: no committee meeting in 2024-08: if one was held, add it to the ledger; if not, explain why or"
    )


def test_the_html_grid_stays_the_branches_1_plus_4(tmp_path, small):
    """The branch × quarter grid draws the 1+4 table's quarters, with or without the life ledger."""

    def grid(folder) -> str:
        html = run_cli(["assess", str(folder), "--period", "2024", "--format", "html"]).stdout
        return html.split("<h2>", 3)[2]  # the bars', then the grid's

    without = write_dataset(tmp_path / "without", small)
    small["branch_meetings"] = [meeting("G1", "2024-05-01", "党员大会")]
    with_ledger = write_dataset(tmp_path / "with", small)
    assert "<svg" in grid(without) and grid(with_ledger) == grid(without)
