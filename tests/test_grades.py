"""Grades as the civil-service rules allow (issue 23): cadre_status, the warning cap, incident
categories, the quota's rounding and scope, vetoed subjects ranked last, and how reports show it.

Every dataset here is the small one with its requests, visits and talent left out and cadres
whose total is 10 × the distinct enterprises they visit (of 10; only SVC04 is applicable), so
each number below is worked out by hand.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pytest

from evalkit.periods import Period
from evalkit.session import Session
from evalkit.testing import run_cli, write_dataset

SERVICE_PACK = Path(__file__).resolve().parent.parent / "rules" / "service.yaml"
DAGGER_EN = "† for the assessment committee to confirm"
DAGGER_ZH = "† 须经考核委员会审定"


def cadres_dataset(
    small: dict,
    folder: Path,
    totals: dict[str, int],
    departments: dict[str, str] | None = None,
    statuses: list[tuple] = (),
    incidents: list[tuple] = (),
    per_visit: int = 10,
) -> Path:
    """The small dataset with cadres of these totals (multiples of `per_visit`: 100 / the pack's
    visit target, in `departments`, D1 by default), these cadre_status rows (id, cadre, kind,
    from, to) and incidents (id, cadre, date, category) on cadres."""
    template = small["enterprises"][0]
    small["enterprises"] += [{**template, "id": f"X{n}", "name": f"企业{n}"} for n in range(1, 21)]
    k2, k3 = small["cadres"][1], small["cadres"][2]
    k2["department_id"] = None  # K2 and K3 stay (chain posts name them) but are not assessed
    small["cadres"] = [k2, k3] + [
        {"id": cadre, "name": cadre, "department_id": (departments or {}).get(cadre, "D1"), "party_member": True}
        for cadre in totals
    ]
    small["requests"], small["talent"] = [], []
    small["visits"] = [
        {
            "id": f"V{cadre}{n}",
            "cadre_id": cadre,
            "enterprise_id": f"X{n}",
            "date": "2024-06-01",
            "policies_delivered": 1,
            "needs_recorded": 0,
        }
        for cadre, total in totals.items()
        for n in range(1, total // per_visit + 1)
    ]
    small["cadre_status"] = [
        {"id": id_, "cadre_id": cadre, "kind": kind, "from_date": start, "to_date": end}
        for id_, cadre, kind, start, end in statuses
    ]
    small["incidents"] = [
        {
            "id": id_,
            "subject_kind": "cadre",
            "subject_id": cadre,
            "date": day,
            "reason": "事由",
            "category": category,
        }
        for id_, cadre, day, category in incidents
    ]
    return write_dataset(folder, small)


def assessed(folder: Path, *options: str) -> dict[str, dict]:
    result = run_cli(["assess", str(folder), "--period", "2024", "--format", "json", *options])
    assert result.exit_code == 0, result.stderr
    return {row["subject"]: row for row in result.json["cadres"]}


def pack_with(tmp_path: Path, *changes: str) -> Path:
    """A --rules-dir holding the service pack with each old text of `changes` (old, new, old,
    new, ...) replaced by its new one."""
    text = SERVICE_PACK.read_text(encoding="utf-8")
    for old, new in zip(changes[::2], changes[1::2], strict=True):
        assert old in text
        text = text.replace(old, new)
    folder = tmp_path / "rules"
    folder.mkdir(exist_ok=True)
    (folder / "service.yaml").write_text(text, encoding="utf-8")
    return folder


# cadre status ----------------------------------------------------------------------------------


def test_leave_of_184_days_in_2024_is_ungraded_and_183_is_not(small, tmp_path):
    # 2024 has 366 days: 184 × 2 > 366, 183 × 2 = 366 is not more. KA: 2024-01-01..2024-07-02 is
    # 31 + 29 + 31 + 30 + 31 + 30 + 2 = 184 days, from two overlapping leaves (Jan–Apr, 15 Apr–2 Jul)
    # counted once. KB: a leave from 2023-12-01 to 2024-07-01, clipped to the year: 183 days.
    # KC: two leaves of 92 days each, apart (Jan 1–Apr 1, Jul 1–Sep 30): 184 days.
    statuses = [
        ("S1", "KA", "leave", "2024-01-01", "2024-04-30"),
        ("S2", "KA", "leave", "2024-04-15", "2024-07-02"),
        ("S3", "KB", "leave", "2023-12-01", "2024-07-01"),
        ("S4", "KC", "leave", "2024-01-01", "2024-04-01"),
        ("S5", "KC", "leave", "2024-07-01", "2024-09-30"),
    ]
    scores = assessed(cadres_dataset(small, tmp_path / "d", {"KA": 50, "KB": 60, "KC": 70}, statuses=statuses))
    assert scores["KA"]["grade"] == "ungraded" and scores["KA"]["ungraded_reasons"] == ["leave"]
    assert scores["KA"]["rank"] is None and scores["KC"]["rank"] is None
    assert scores["KB"]["grade"] == "basically_competent" and scores["KB"]["ungraded_reasons"] == []
    assert scores["KB"]["rank"] == 1


def test_leave_days_counted_once_and_clipped_to_the_year(small, tmp_path):
    statuses = [
        ("S1", "KA", "leave", "2024-12-20", "2025-03-01"),  # 12 days of 2024
        ("S2", "KA", "leave", "2024-12-25", "2024-12-31"),  # inside S1: none more
        ("S3", "KA", "leave", "2023-01-01", "2023-12-31"),  # another year: none
        ("S4", "KA", "leave", "2024-02-28", "2024-03-01"),  # 3 days (29 February)
        ("S5", "KA", "warning", "2024-02-28", "2024-03-01"),  # not a leave
    ]
    session = Session(autoload=False)
    dataset = session.load(cadres_dataset(small, tmp_path / "d", {"KA": 50, "KB": 50}, statuses=statuses))
    table = session.facts(dataset, Period(2024), {"cadre_standing"})["cadre_standing"]
    facts = {row["subject"]: row for row in table.to_pylist()}
    assert (facts["KA"]["leave_days"], facts["KA"]["year_days"], facts["KA"]["leave_share"]) == (15, 366, 15 / 366)
    assert facts["KA"]["evidence:leave"] == ["S1", "S2", "S4"] and facts["KA"]["warning"] == 1
    assert (facts["KB"]["leave_days"], facts["KB"]["probation"], facts["KB"]["evidence:leave"]) == (0, 0, [])


@pytest.mark.parametrize(
    ("kind", "end", "reason"),
    [
        ("probation", "2025-05-31", "probation"),
        ("probation", None, "probation"),
        ("investigation", None, "investigation"),
        ("demerit", "2025-12-31", "sanction"),
        ("serious_demerit", "2025-12-31", "sanction"),
        ("demotion", None, "sanction"),
        ("dismissal", "2026-06-30", "sanction"),
    ],
)
def test_in_force_on_the_last_day_is_ungraded(small, tmp_path, kind, end, reason):
    statuses = [("S1", "KA", kind, "2024-06-01", end)]
    scores = assessed(cadres_dataset(small, tmp_path / "d", {"KA": 100, "KB": 80}, statuses=statuses))
    assert (scores["KA"]["grade"], scores["KA"]["rank"], scores["KA"]["ungraded_reasons"]) == (
        "ungraded",
        None,
        [reason],
    )
    assert scores["KA"]["quota"] is None  # not in the quota's base: KB alone is
    assert scores["KB"]["rank"] == 1 and scores["KB"]["quota"]["base"] == 1


@pytest.mark.parametrize(
    ("kind", "start", "end"),
    [
        ("probation", "2023-06-01", "2024-05-31"),  # ended before the last day
        ("investigation", "2024-03-01", "2025-01-10"),  # closed (to_date set): 补定等次
        ("investigation", "2024-03-01", "2024-06-30"),
        ("demerit", "2023-01-01", "2024-06-30"),
        ("leave", "2024-01-01", "2024-06-30"),  # 182 days
        ("probation", "2025-01-01", None),  # begins after the period
    ],
)
def test_not_in_force_on_the_last_day_is_graded(small, tmp_path, kind, start, end):
    statuses = [("S1", "KA", kind, start, end)]
    scores = assessed(cadres_dataset(small, tmp_path / "d", {"KA": 80}, statuses=statuses))
    assert (scores["KA"]["grade"], scores["KA"]["rank"], scores["KA"]["ungraded_reasons"]) == ("competent", 1, [])


def test_every_reason_is_listed(small, tmp_path):
    statuses = [
        ("S1", "KA", "probation", "2024-06-01", None),
        ("S2", "KA", "investigation", "2024-10-01", None),
        ("S3", "KA", "leave", "2024-01-01", "2024-12-31"),
    ]
    scores = assessed(cadres_dataset(small, tmp_path / "d", {"KA": 80}, statuses=statuses))
    assert scores["KA"]["ungraded_reasons"] == ["probation", "investigation", "leave"]


def test_a_to_date_before_the_from_date_is_a_problem_in_both_languages(small, tmp_path):
    folder = cadres_dataset(
        small, tmp_path / "d", {"KA": 80}, statuses=[("S1", "KA", "leave", "2024-05-01", "2024-04-30")]
    )
    for lang, expected in (("en", "blank or a date ≥ from_date (2024-05-01)"), ("zh", "空白或不早于开始日期")):
        result = run_cli(["validate", str(folder), "--lang", lang])
        assert result.exit_code != 0
        assert "cadre_status.csv" in result.stdout + result.stderr
        assert expected in result.stdout + result.stderr and "2024-04-30" in result.stdout + result.stderr


# warning cap -----------------------------------------------------------------------------------


def test_a_warning_in_the_year_caps_excellent_at_competent_and_leaves_lower_grades(small, tmp_path):
    statuses = [
        ("S1", "KA", "warning", "2024-01-10", "2024-07-09"),  # ended mid-year: still in the year
        ("S2", "KB", "warning", "2024-12-31", "2025-06-30"),  # the year's last day only
        ("S3", "KC", "warning", "2024-03-01", "2024-08-31"),
        ("S4", "KD", "warning", "2023-01-01", "2023-12-31"),  # not in 2024
    ]
    totals = {"KA": 100, "KB": 90, "KC": 60, "KD": 90, "KE": 10}
    scores = assessed(cadres_dataset(small, tmp_path / "d", totals, statuses=statuses))
    assert (scores["KA"]["band"], scores["KA"]["grade"], scores["KA"]["capped_by"]) == (
        "excellent",
        "competent",
        "warning",
    )
    assert (scores["KB"]["grade"], scores["KB"]["capped_by"]) == ("competent", "warning")
    assert (scores["KC"]["grade"], scores["KC"]["capped_by"]) == ("basically_competent", None)  # fair stays fair
    assert (scores["KD"]["grade"], scores["KD"]["capped_by"]) == ("excellent", None)
    # capped subjects keep their place by total and stay in the quota's base: 5 × 0.2 = 1
    assert [scores[k]["rank"] for k in ("KA", "KB", "KD", "KC")] == [1, 2, 2, 4]
    assert scores["KA"]["quota"]["base"] == 5 and scores["KD"]["demoted_by"] is None


# quota -----------------------------------------------------------------------------------------


def six_excellent(small, tmp_path, name="d"):
    return cadres_dataset(small, tmp_path / name, {"KA": 100, "KB": 100, "KC": 90, "KD": 90, "KE": 90, "KF": 90})


@pytest.mark.parametrize(("rounding", "excellent"), [("floor", 1), ("half_up", 2)])
def test_quota_of_6_at_a_quarter_floor_and_half_up(small, tmp_path, rounding, excellent):
    # 6 × 0.25 = 1.5: floor → 1, half up → 2. Ties on total and resolved: the smaller id keeps it.
    rules = pack_with(tmp_path, "share: 0.2,", "share: 0.25,", "rounding: floor", f"rounding: {rounding}")
    scores = assessed(six_excellent(small, tmp_path), "--rules-dir", str(rules))
    kept = sorted(k for k, row in scores.items() if row["grade"] == "excellent")
    assert kept == ["KA", "KB"][:excellent]
    quota = scores["KA"]["quota"]
    assert (quota["base"], quota["limit"], quota["share"]) == (6, excellent, round(excellent / 6, 6))


def test_quota_by_department(small, tmp_path):
    # D1: KA 100, KB 100, KC 90 (3 × 0.2 = 0.6 → 0 → at least 1); D2: KD, KE, KF 90 → 1 each
    departments = {"KA": "D1", "KB": "D1", "KC": "D1", "KD": "D2", "KE": "D2", "KF": "D2"}
    folder = cadres_dataset(
        small, tmp_path / "d", {"KA": 100, "KB": 100, "KC": 90, "KD": 90, "KE": 90, "KF": 90}, departments
    )
    rules = pack_with(tmp_path, "scope: all", "scope: department")
    scores = assessed(folder, "--rules-dir", str(rules))
    assert sorted(k for k, row in scores.items() if row["grade"] == "excellent") == ["KA", "KD"]
    assert scores["KE"]["quota"] == {"rule": "SVC31", "department": "D2", "base": 3, "limit": 1, "share": 0.333333}
    text = run_cli(["assess", str(folder), "--period", "2024", "--rules-dir", str(rules)]).stdout
    assert (
        "Quota SVC31, department D1 财政局: base 3 graded cadres, at most 1 excellent, effective share 33.33%" in text
    )


def test_a_share_above_a_quarter_is_refused(small_dir, tmp_path):
    rules = pack_with(tmp_path, "share: 0.2, at_least: 1", "share: 0.3, at_least: 1")
    result = run_cli(["assess", str(small_dir), "--period", "2024", "--rules-dir", str(rules)])
    assert result.exit_code == 2
    assert "service.yaml" in result.stderr and "rule SVC31" in result.stderr and "quota.share" in result.stderr
    assert "0.25" in result.stderr and "Traceback" not in result.stderr


def test_the_quota_base_and_effective_share_are_printed(small, tmp_path):
    folder = six_excellent(small, tmp_path)
    text = run_cli(["assess", str(folder), "--period", "2024"]).stdout
    assert "Quota SVC31: base 6 graded cadres, at most 1 excellent, effective share 16.67%" in text
    zh = run_cli(["assess", str(folder), "--period", "2024", "--lang", "zh"]).stdout
    assert "比例限制 SVC31：参评干部 6 名，优秀最多 1 名，实际比例 16.67%" in zh


# veto: categories and ranks --------------------------------------------------------------------


def test_vetoed_subjects_rank_after_the_others(small, tmp_path):
    # The example: A 90, B 85 vetoed, C 80, D 80 → A 1, C 2, D 2, B 4. A visit target of
    # 20 makes each visit 5 points; B's incident has a blank category: other.
    totals = {"KA": 90, "KB": 85, "KC": 80, "KD": 80}
    incidents = [("I1", "KB", "2024-05-01", None)]
    folder = cadres_dataset(small, tmp_path / "d", totals, incidents=incidents, per_visit=5)
    target = ("visit_target_cadre: 10 ", "visit_target_cadre: 20 ")
    scores = assessed(folder, "--rules-dir", str(pack_with(tmp_path, *target)))
    assert {k: row["total"] for k, row in scores.items()} == totals
    assert {k: row["rank"] for k, row in scores.items()} == {"KA": 1, "KC": 2, "KD": 2, "KB": 4}
    assert scores["KB"]["grade"] == "incompetent" and scores["KB"]["veto_categories"] == ["other"]
    rules = pack_with(tmp_path, *target, "veto_rank: last", "veto_rank: by_total")
    by_total = assessed(folder, "--rules-dir", str(rules))
    assert {k: row["rank"] for k, row in by_total.items()} == {"KA": 1, "KB": 2, "KC": 3, "KD": 3}


def test_two_vetoed_subjects_share_a_rank_after_the_others(small, tmp_path):
    incidents = [("I1", "KB", "2024-05-01", "work_safety"), ("I2", "KC", "2024-05-01", "stability")]
    folder = cadres_dataset(small, tmp_path / "d", {"KA": 50, "KB": 90, "KC": 90, "KD": 40}, incidents=incidents)
    scores = assessed(folder)
    assert {k: row["rank"] for k, row in scores.items()} == {"KA": 1, "KD": 2, "KB": 3, "KC": 3}


def test_only_the_listed_categories_veto(small, tmp_path):
    incidents = [("I1", "KA", "2024-05-01", "work_safety"), ("I2", "KB", "2024-05-01", "环保节能")]
    folder = cadres_dataset(small, tmp_path / "d", {"KA": 80, "KB": 80, "KC": 80}, incidents=incidents)
    scores = assessed(folder)
    assert scores["KA"]["veto_categories"] == ["work_safety"] and scores["KB"]["veto_categories"] == ["environment"]
    old = '        work_safety: {basis_kind: local_practice, basis: "依据待确认"}\n'
    rules = pack_with(tmp_path, old, "")
    scores = assessed(folder, "--rules-dir", str(rules))
    assert (scores["KA"]["vetoed"], scores["KA"]["grade"], scores["KA"]["veto_categories"]) == (False, "competent", [])
    assert scores["KB"]["vetoed"] is True


def test_an_unknown_incident_category_names_the_closest(small, tmp_path):
    folder = cadres_dataset(small, tmp_path / "d", {"KA": 80}, incidents=[("I1", "KA", "2024-05-01", "work_safty")])
    result = run_cli(["validate", str(folder)])
    assert result.exit_code != 0
    output = result.stdout + result.stderr
    assert "incidents.csv" in output and "work_safty" in output and "work_safety" in output


def test_a_chinese_category_half_right_is_suggested_in_chinese(small, tmp_path):
    """安全事故 shares two of its four characters with 安全生产: close enough to suggest, never applied."""
    folder = cadres_dataset(small, tmp_path / "d", {"KA": 80}, incidents=[("I1", "KA", "2024-05-01", "安全事故")])
    result = run_cli(["validate", str(folder), "--lang", "zh"])
    assert result.exit_code == 2
    expected = "应为以下之一：安全生产、党风廉政建设、节能环保、综治维稳、其他——是否应为“安全生产”？"
    assert f"incidents.csv:2 [category] '安全事故'：{expected}" in result.stderr


def test_an_unknown_veto_category_in_a_pack_is_refused(small_dir, tmp_path):
    rules = pack_with(tmp_path, "        stability: {", "        stabilty: {")
    result = run_cli(["assess", str(small_dir), "--period", "2024", "--rules-dir", str(rules)])
    assert result.exit_code == 2
    assert "rule SVC30: key veto.categories.stabilty" in result.stderr and "did you mean stability?" in result.stderr


# reports ---------------------------------------------------------------------------------------


@pytest.fixture
def graded(small, tmp_path):
    """KA excellent (100), KB basically competent (60), KC ungraded (probation), KD capped."""
    statuses = [("S1", "KC", "probation", "2024-09-01", None), ("S2", "KD", "warning", "2024-02-01", "2024-08-01")]
    return cadres_dataset(small, tmp_path / "d", {"KA": 100, "KB": 60, "KC": 90, "KD": 90}, statuses=statuses)


def test_json_fields(graded):
    scores = assessed(graded)
    assert scores["KC"] | {"indicators": None} == scores["KC"] | {
        "indicators": None,
        "grade": "ungraded",
        "rank": None,
        "ungraded_reasons": ["probation"],
        "veto_categories": [],
        "capped_by": None,
        "quota": None,
    }
    assert (scores["KD"]["grade"], scores["KD"]["capped_by"], scores["KD"]["rank"]) == ("competent", "warning", 2)
    assert (scores["KB"]["rank"], scores["KA"]["quota"]["base"], scores["KA"]["quota"]["limit"]) == (3, 3, 1)


def test_text_and_markdown_show_the_recommended_grade_and_the_dagger(graded, tmp_path):
    # departments D1 (50) and D2 (0) are poor†, so each table has its legend line under it
    for lang, header, legend, cells in (
        ("en", "recommended grade", DAGGER_EN, ("ungraded (probation)", "basically competent†")),
        ("zh", "建议等次", DAGGER_ZH, ("不确定等次（试用期）", "基本称职†")),
    ):
        text = run_cli(["assess", str(graded), "--period", "2024", "--lang", lang]).stdout
        assert header in text and text.count(legend) == 2
        markdown = run_cli(["assess", str(graded), "--period", "2024", "--lang", lang, "--format", "markdown"]).stdout
        cells_of = [re.split(r"\s*\|\s*", line.strip("| ")) for line in markdown.splitlines() if line.startswith("|")]
        assert any(header in row for row in cells_of) and markdown.count(legend) == 2
        assert all(any(cell in row for row in cells_of) for cell in cells)
        assert ["–", "KC"] in [row[:2] for row in cells_of]  # no rank


def test_html_and_xlsx_show_the_dagger_legend(graded, tmp_path):
    html = tmp_path / "report.html"
    result = run_cli(["assess", str(graded), "--period", "2024", "--lang", "zh", "--format", "html", "-o", str(html)])
    assert result.exit_code == 0, result.stderr
    page = html.read_text(encoding="utf-8")
    assert DAGGER_ZH in page and "建议等次" in page and "基本称职†" in page
    book = tmp_path / "report.xlsx"
    result = run_cli(["assess", str(graded), "--period", "2024", "--format", "xlsx", "-o", str(book)])
    assert result.exit_code == 0, result.stderr
    texts = [
        str(cell.value)
        for sheet in openpyxl.load_workbook(book).worksheets
        for row in sheet.iter_rows()
        for cell in row
        if cell.value is not None
    ]
    assert DAGGER_EN in texts and "recommended grade" in texts and "basically competent†" in texts


def test_explain_says_why_a_cadre_is_ungraded_or_capped(graded):
    text = run_cli(["explain", str(graded), "--period", "2024", "--subject", "KC"]).stdout
    assert "Ungraded: SVC40 Probation; records S1 → ungraded, no rank, not counted by the quota" in text
    assert "Rank: none (ungraded)" in text
    text = run_cli(["explain", str(graded), "--period", "2024", "--subject", "KD", "--lang", "zh"]).stdout
    assert "等次上限 SVC44：记录 S2 → 最高为称职" in text and "建议等次：称职" in text


def test_json_is_valid_json(graded):
    result = run_cli(["assess", str(graded), "--period", "2024", "--format", "json"])
    assert json.loads(result.stdout)["cadres"][-1]["subject"] == "KC"  # the ungraded last
