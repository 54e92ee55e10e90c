"""Run-to-run comparison (issue 24): `evalkit diff`, `--compare`, `--shift`, `--exit-on new`, score changes."""

from __future__ import annotations

import copy
import io
import json
import re
import zipfile
from decimal import Decimal
from fractions import Fraction

import pytest
from fixture_data import SMALL
from test_hostile_plugins import plugin_folder

from evalkit.report import compare as compare_module
from evalkit.report.compare import transition
from evalkit.report.document import Cell
from evalkit.report.text import display_width
from evalkit.testing import run_cli, write_dataset


def _finding(rule, subject, period, status, pack="one_plus_four", message=""):
    return {
        "rule": rule,
        "pack": pack,
        "subject": subject,
        "subject_kind": "organization",
        "period": period,
        "status": status,
        "severity": "medium",
        "message": message or f"{rule} {subject} {period} {status}",
        "evidence": [],
    }


def _rules(*ids, pack="one_plus_four"):
    return [{"id": rule, "pack": pack, "title": rule} for rule in ids]


#: Two check outputs of 2024Q2, by hand: every transition once, and pairs that need no word.
OLD_CHECK = {
    "period": "2024Q2",
    "command": "check",
    "subject": None,
    "findings": [
        _finding("OPF01", "B1", "2024Q2", "pass"),  # → fail: new
        _finding("OPF01", "B2", "2024Q2", "skip"),  # → fail: new
        _finding("OPF02", "B1", "2024Q2", "waived"),  # → fail: unwaived
        _finding("OPF03", "B1", "2024Q2", "fail"),  # → fail: persisting
        _finding("OPF04", "B1", "2024Q2", "fail"),  # → waived: waived_now
        _finding("OPF05", "B1", "2024Q2", "fail"),  # → pass: fixed
        _finding("OPF05", "B2", "2024Q2", "fail"),  # → skip: not_checked
        _finding("OPF04", "B2", "2024Q2", "fail"),  # → absent: gone
        _finding("OPF02", "B2", "2024Q2", "pass"),  # → pass: not listed
        _finding("OPF03", "B2", "2024Q2", "waived"),  # → pass: not listed
    ],
    "errors": [],
    "packs": [],
    "rules": _rules("OPF01", "OPF02", "OPF03", "OPF04", "OPF05"),
}
NEW_CHECK = {
    "period": "2024Q2",
    "command": "check",
    "subject": None,
    "findings": [
        _finding("OPF01", "B1", "2024Q2", "fail"),
        _finding("OPF01", "B2", "2024Q2", "fail"),
        _finding("OPF01", "B3", "2024Q2", "fail"),  # absent → fail: new
        _finding("OPF02", "B1", "2024Q2", "fail"),
        _finding("OPF03", "B1", "2024Q2", "fail"),
        _finding("OPF04", "B1", "2024Q2", "waived"),
        _finding("OPF05", "B1", "2024Q2", "pass"),
        _finding("OPF05", "B2", "2024Q2", "skip"),
        _finding("OPF02", "B2", "2024Q2", "pass"),
        _finding("OPF03", "B2", "2024Q2", "pass"),
        _finding("OPF06", "B1", "2024Q2", "fail"),  # a rule not in OLD's rules: new_rule
        _finding("OPF06", "B2", "2024Q2", "pass"),  # a new rule's pass: not listed
    ],
    "errors": [],
    "packs": [],
    "rules": _rules("OPF01", "OPF02", "OPF03", "OPF04", "OPF05", "OPF06"),
}
#: (transition, rule, subject, old status, new status) in the order the comparison lists them.
EVERY_TRANSITION = [
    ("new", "OPF01", "B1", "pass", "fail"),
    ("new", "OPF01", "B2", "skip", "fail"),
    ("new", "OPF01", "B3", None, "fail"),
    ("unwaived", "OPF02", "B1", "waived", "fail"),
    ("persisting", "OPF03", "B1", "fail", "fail"),
    ("waived_now", "OPF04", "B1", "fail", "waived"),
    ("fixed", "OPF05", "B1", "fail", "pass"),
    ("not_checked", "OPF05", "B2", "fail", "skip"),
    ("gone", "OPF04", "B2", "fail", None),
    ("new_rule", "OPF06", "B1", None, "fail"),
]


def _save(tmp_path, name, data) -> str:
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return str(path)


def _listed(comparison: dict) -> list[tuple]:
    return [(c["transition"], c["rule"], c["subject"], c["old_status"], c["status"]) for c in comparison["changes"]]


def test_every_transition_between_two_outputs_exactly(tmp_path):
    old, new = _save(tmp_path, "old.json", OLD_CHECK), _save(tmp_path, "new.json", NEW_CHECK)
    result = run_cli(["diff", old, new, "--format", "json"])
    assert result.exit_code == 0, result.stderr
    diff = result.json
    assert diff["command"] == "diff" and diff["compared"] == "check" and diff["subject"] is None
    assert diff["old"] == {"file": old, "period": "2024Q2"} and diff["new"] == {"file": new, "period": "2024Q2"}
    assert _listed(diff) == EVERY_TRANSITION
    assert diff["summary"] == {
        "new": 3,
        "unwaived": 1,
        "persisting": 1,
        "waived_now": 1,
        "fixed": 1,
        "not_checked": 1,
        "gone": 1,
        "new_rule": 1,
    }
    gone = next(c for c in diff["changes"] if c["transition"] == "gone")
    assert gone["message"] == "OPF04 B2 2024Q2 fail"  # the earlier run's, as the later has none


def test_transitions_of_the_pairs_the_issue_does_not_name():
    assert transition("error", "fail", False) == "new"  # a failure the earlier run did not report
    assert transition("fail", "error", False) == "not_checked"  # not judged now, like a skip
    for old, new in [("pass", "pass"), ("skip", "pass"), ("waived", "waived"), ("pass", None), ("waived", "pass")]:
        assert transition(old, new, False) is None


def test_a_file_without_rules_counts_a_rule_new_when_its_pack_found_nothing(tmp_path):
    old = {key: value for key, value in OLD_CHECK.items() if key not in ("rules", "command", "subject")}
    new = copy.deepcopy(NEW_CHECK)
    new["findings"].append(_finding("CHN01", "C1", "2024Q2", "fail", pack="chain_council"))
    diff = run_cli(["diff", _save(tmp_path, "old.json", old), _save(tmp_path, "new.json", new), "-f", "json"]).json
    listed = _listed(diff)
    # OPF06's pack (one_plus_four) had findings before: an ordinary new failure; chain_council had none
    assert ("new", "OPF06", "B1", None, "fail") in listed and ("new_rule", "OPF06", "B1", None, "fail") not in listed
    assert ("new_rule", "CHN01", "C1", None, "fail") in listed


def test_exit_on_new_fails_only_for_new_or_unwaived_findings(tmp_path):
    old, new = _save(tmp_path, "old.json", OLD_CHECK), _save(tmp_path, "new.json", NEW_CHECK)
    assert run_cli(["diff", old, new]).exit_code == 0
    assert run_cli(["diff", old, new, "--exit-on", "new"]).exit_code == 1
    assert run_cli(["diff", old, new, "--exit-on", "new", "--exit-zero"]).exit_code == 0
    only_new_rule = copy.deepcopy(OLD_CHECK)
    only_new_rule["findings"] = [f for f in NEW_CHECK["findings"] if f["rule"] != "OPF06"]
    same = _save(tmp_path, "same.json", only_new_rule)
    assert run_cli(["diff", same, new, "--exit-on", "new"]).exit_code == 0  # new_rule and persisting only


# A dataset before and after rectification ------------------------------------------------------------


def _before_and_after(tmp_path):
    """B1 in 2024Q2 before: OPF01 passes, OPF02-05 fail, OPF03 waived; after: a business
    collaboration held (OPF02 fixed), OPF04 waived, OPF03's waiver withdrawn, the activity base
    opened only in July (OPF01 new), OPF05 still failing."""
    before, after = copy.deepcopy(SMALL), copy.deepcopy(SMALL)
    before["waivers"] = [
        {"rule": "OPF03", "subject_id": "B1", "period": "2024Q2", "reason": "整改中", "approved_by": "G"}
    ]
    after["waivers"] = [
        {"rule": "OPF04", "subject_id": "B1", "period": "2024Q2", "reason": "场地维修", "approved_by": "G"}
    ]
    after["activities"].append(
        {
            "id": "A2",
            "org_id": "B1",
            "date": "2024-05-10",
            "category": "business_collaboration",
            "title": "协作",
            "base_id": "S1",
            "participants": 8,
            "co_hosts": None,
            "evidence": None,
        }
    )
    after["activity_bases"][0]["opened_on"] = "2024-07-01"
    return write_dataset(tmp_path / "before", before), write_dataset(tmp_path / "after", after)


def _check_b1(data, *more):
    return run_cli(["check", str(data), "--period", "2024Q2", "--subject", "B1", "-q", *more])


def test_a_branch_rechecks_after_rectification(tmp_path):
    before, after = _before_and_after(tmp_path)
    saved = str(tmp_path / "b1-before.json")
    assert _check_b1(before, "-f", "json", "-o", saved).exit_code == 1
    result = _check_b1(after, "-f", "json", "--compare", saved)
    assert result.exit_code == 1, result.stderr
    comparison = result.json["comparison"]
    assert comparison["subject"] == "B1" and comparison["old"] == {"file": saved, "period": "2024Q2"}
    assert _listed(comparison) == [
        ("new", "OPF01", "B1", "pass", "fail"),
        ("unwaived", "OPF03", "B1", "waived", "fail"),
        ("persisting", "OPF05", "B1", "fail", "fail"),
        ("waived_now", "OPF04", "B1", "fail", "waived"),
        ("fixed", "OPF02", "B1", "fail", "pass"),
    ]
    assert comparison["summary"] == {
        "new": 1,
        "unwaived": 1,
        "persisting": 1,
        "waived_now": 1,
        "fixed": 1,
        "not_checked": 0,
        "gone": 0,
        "new_rule": 0,
    }
    text = _check_b1(after, "--lang", "zh", "--compare", saved, "--wide").stdout
    assert f"与 {saved}（2024年第二季度）相比：新增 1，豁免失效 1，仍未整改 1，已豁免 1，已整改 1" in text
    assert re.search(r"已整改\s+B1\s+一号支部\s+2024年第二季度\s+OPF02\s+业务协作\s+不通过\s+通过", text)


def test_exit_on_new_after_rectification(tmp_path):
    before, after = _before_and_after(tmp_path)
    saved_before, saved_after = str(tmp_path / "before.json"), str(tmp_path / "after.json")
    _check_b1(before, "-f", "json", "-o", saved_before)
    _check_b1(after, "-f", "json", "-o", saved_after)
    assert _check_b1(after, "--compare", saved_before, "--exit-on", "new").exit_code == 1  # OPF01 new, OPF03 unwaived
    assert _check_b1(after, "--compare", saved_before, "--exit-on", "new", "--exit-zero").exit_code == 0
    # the same ledger again: OPF01, OPF03 and OPF05 still fail, but nothing is new
    assert _check_b1(after, "--compare", saved_after, "--exit-on", "new").exit_code == 0
    assert _check_b1(after, "--compare", saved_after).exit_code == 1  # without --exit-on: any failure
    refused = _check_b1(after, "--exit-on", "new", "--lang", "zh")
    assert (refused.exit_code, refused.stdout) == (2, "")
    assert "--exit-on 用于与此前的结果比较：请加 --compare OLD.json" in refused.stderr


def test_a_plugin_failure_still_exits_3_with_exit_on_new(tmp_path):
    before, after = _before_and_after(tmp_path)
    saved = str(tmp_path / "before.json")
    _check_b1(before, "-f", "json", "-o", saved)
    plugins = plugin_folder(tmp_path, "rogue", "raise RuntimeError('boom')")
    result = _check_b1(after, "--compare", saved, "--exit-on", "new", "--plugins-dir", str(plugins))
    assert result.exit_code == 3, result.stderr


# Year over year -------------------------------------------------------------------------------------


def _a_year_later(data: dict) -> dict:
    """The same ledgers, every date a year later."""
    text = json.dumps(data, ensure_ascii=False)
    return json.loads(re.sub(r'"(20\d\d)-', lambda m: f'"{int(m[1]) + 1}-', text))


def test_year_over_year_with_shift(tmp_path):
    last_year = write_dataset(tmp_path / "2024", SMALL)
    this_year = write_dataset(tmp_path / "2025", _a_year_later(SMALL))
    saved = str(tmp_path / "assess-2024.json")
    assert run_cli(["assess", str(last_year), "--period", "2024", "-f", "json", "-o", saved, "-q"]).exit_code == 0
    refused = run_cli(["assess", str(this_year), "--period", "2025", "--compare", saved, "-q"])
    assert (refused.exit_code, refused.stdout) == (2, "")
    assert "period 2024, this one 2025; the periods must match (to compare year over year, add --shift 1y)" in (
        refused.stderr
    )
    result = run_cli(["assess", str(this_year), "--period", "2025", "--compare", saved, "--shift", "1y", "-f", "json"])
    assert result.exit_code == 0, result.stderr
    comparison = result.json["comparison"]
    old_failures = [f for f in json.load(open(saved, encoding="utf-8"))["findings"] if f["status"] == "fail"]
    # the same ledgers a year later: every failure persists, 2024Q3's matched with 2025Q3
    assert comparison["summary"]["persisting"] == len(old_failures) == 34
    assert sum(comparison["summary"].values()) == 34 and comparison["shift_years"] == 1
    quarter = next(c for c in comparison["changes"] if c["period"] == "2025Q3")
    assert quarter["old_period"] == "2024Q3"
    assert [(d["subject"], d["change"], d["rank_move"]) for d in comparison["departments"]] == [
        ("D1", 0.0, "same"),
        ("D2", 0.0, "same"),
    ]
    quarterly = run_cli(["check", str(this_year), "--period", "2025Q3", "--compare", saved, "-q"])
    assert quarterly.exit_code == 2 and "period 2024 shifted 0y" not in quarterly.stderr


def test_refusals_name_the_file_in_both_languages(tmp_path, small_dir):
    check = str(tmp_path / "check.json")
    run_cli(["check", str(small_dir), "--period", "2024", "-f", "json", "-o", check, "-q"])
    b1 = str(tmp_path / "b1.json")
    run_cli(["check", str(small_dir), "--period", "2024", "--subject", "B1", "-f", "json", "-o", b1, "-q"])
    assess = str(tmp_path / "assess.json")
    run_cli(["assess", str(small_dir), "--period", "2024", "-f", "json", "-o", assess, "-q"])
    explain = str(tmp_path / "explain.json")
    run_cli(["explain", str(small_dir), "--period", "2024", "--subject", "D1", "-f", "json", "-o", explain, "-q"])
    cases = [
        (
            ["diff", check, assess],
            "the output of evalkit check, not of assess",
            "是 evalkit check 的输出，不是 assess 的",
        ),
        (["assess", str(small_dir), "--period", "2024", "--compare", check], "not of assess", "不是 assess 的"),
        (["diff", b1, check], "made for B1, this run for all subjects", "针对 B1，本次针对 全部对象"),
        (["check", str(small_dir), "--period", "2024", "--compare", b1], "made for B1", "针对 B1"),
        (["diff", explain, check], "the output of evalkit explain", "是 evalkit explain 的输出"),
        (["check", str(small_dir), "--period", "2024Q1", "--compare", check], "the periods must match", "期间必须一致"),
        (["diff", check, check, "--shift", "0y"], "--shift 0y: expected a number of years ≥ 1", "--shift 0y：应为"),
    ]
    for args, en, zh in cases:
        for lang, said in (("en", en), ("zh", zh)):
            result = run_cli(["--lang", lang, *args, "-q"])
            assert (result.exit_code, result.stdout) == (2, ""), (args, result.stderr)
            assert said in result.stderr and "Traceback" not in result.stderr, (args, result.stderr)


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not json at all",
        b"\xff\xfe\x00garbage",
        b"[1, 2, 3]",
        b'{"period": "2024", "findings": [1]}',
        b'{"period": "last year", "findings": []}',
        b'{"period": "2024", "findings": [{"rule": "R", "subject": "S", "period": "Q3", "status": "fail"}]}',
        b'{"period": "2024", "findings": [], "departments": [{"subject": "D1"}]}',
        b'{"period": "2024", "findings": [], "departments": [{"subject": "D1", "total": 1, "rank": "first"}]}',
        b'{"period": "2024", "findings": [], "cadres": {"K1": 80}}',
        b"[" * 100_000,
        json.dumps({"name": "some other program", "version": 3}).encode(),
    ],
)
def test_a_file_that_is_not_an_evalkit_output_is_refused(tmp_path, content):
    path = tmp_path / "other.json"
    path.write_bytes(content)
    for lang, said in (("en", "not an evalkit check or assess JSON output"), ("zh", "不是 evalkit check 或 assess")):
        result = run_cli(["--lang", lang, "diff", str(path), str(path)])
        assert (result.exit_code, result.stdout) == (2, "") and said in result.stderr, result.stderr


def test_a_huge_file_is_refused_before_it_is_read(tmp_path, monkeypatch):
    path = tmp_path / "huge.json"
    path.write_text(json.dumps(OLD_CHECK), encoding="utf-8")
    monkeypatch.setattr(compare_module, "MAX_OUTPUT_BYTES", 100)
    result = run_cli(["diff", str(path), str(path)])
    assert result.exit_code == 2 and "larger than 0 MB" in result.stderr
    missing = run_cli(["diff", str(tmp_path / "nowhere.json"), str(path)])
    assert missing.exit_code == 2 and "nowhere.json: no such file" in missing.stderr


# Score changes --------------------------------------------------------------------------------------


def _score(subject, total, grade, rank, name=""):
    return {"subject": subject, "name": name or subject, "rank": rank, "total": total, "grade": grade}


def _assessment(period, departments, cadres):
    return {
        "period": period,
        "command": "assess",
        "subject": None,
        "departments": departments,
        "cadres": cadres,
        "branches": [],
        "chains": [],
        "findings": [],
        "packs": [],
        "rules": [],
        "errors": [],
    }


#: Hand-computed: D1 80.35 → 81.00 = +0.65, rank 5 → 3 ↑; D2 81.50 → 81.00 = -0.50, rank 2 → 3 ↓;
#: D3 not assessed before: new; K1 70.335 → 70.34 = +0.005, +0.01 half up (a float subtraction
#: gives 0.00499…, 0.00); K2 ungraded now (rank null): no arrow; K3 the same total, rank 3 → 2 ↑: 0.00.
OLD_SCORES = _assessment(
    "2024",
    [_score("D1", 80.35, "good", 5), _score("D2", 81.5, "good", 2)],
    [_score("K1", 70.335, "competent", 1), _score("K2", 65.0, "competent", 2), _score("K3", 60.0, "competent", 3)],
)
NEW_SCORES = _assessment(
    "2025",
    [_score("D1", 81.0, "good", 3), _score("D2", 81.0, "good", 3), _score("D3", 90.0, "excellent", 1, "新区局")],
    [_score("K1", 70.34, "competent", 1), _score("K2", 66.0, "ungraded", None), _score("K3", 60.0, "competent", 2)],
)


def test_score_changes_hand_computed(tmp_path):
    old, new = _save(tmp_path, "a2024.json", OLD_SCORES), _save(tmp_path, "a2025.json", NEW_SCORES)
    diff = run_cli(["diff", old, new, "--shift", "1y", "-f", "json"]).json
    departments = [
        (d["subject"], d["old_total"], d["change"], d["old_rank"], d["rank_move"]) for d in diff["departments"]
    ]
    assert departments == [("D1", 80.35, 0.65, 5, "up"), ("D2", 81.5, -0.5, 2, "down"), ("D3", None, None, None, None)]
    assert diff["departments"][2]["new_subject"] is True
    cadres = [(d["subject"], d["change"], d["rank_move"]) for d in diff["cadres"]]
    assert cadres == [("K1", 0.005, "same"), ("K2", 1.0, None), ("K3", 0.0, "up")]
    text = run_cli(["diff", old, new, "--shift", "1y"]).stdout
    assert re.search(r"3\s+D1\s+D1\s+81\.00\s+good\s+80\.35\s+\+0\.65\s+good\s+5 ↑", text)
    assert re.search(r"3\s+D2\s+D2\s+81\.00\s+good\s+81\.50\s+-0\.50\s+good\s+2 ↓", text)
    assert re.search(r"1\s+D3\s+新区局\s+90\.00\s+excellent\s+new\s+new", text)
    assert re.search(r"1\s+K1\s+K1\s+70\.34\s+competent\s+70\.34\s+\+0\.01\s+competent\s+1\n", text)
    assert re.search(r"–\s+K2\s+K2\s+66\.00\s+ungraded\s+65\.00\s+\+1\.00\s+competent\s+2\n", text)
    assert re.search(r"2\s+K3\s+K3\s+60\.00\s+competent\s+60\.00\s+0\.00\s+competent\s+3 ↑", text)
    zh = run_cli(["diff", old, new, "--shift", "1y", "--lang", "zh"]).stdout
    assert "部门：与上次比较" in zh and re.search(r"1\s+D3\s+新区局\s+90\.00\s+excellent\s+新\s+新", zh)


def test_a_change_cell_rounds_the_exact_difference_half_up():
    def change_text(change: Decimal) -> str:
        return Cell(Fraction(change), "change").text()

    assert change_text(Decimal("81.0") - Decimal("80.35")) == "+0.65"
    assert change_text(Decimal("81.0") - Decimal("81.5")) == "-0.50"
    assert change_text(Decimal("70.34") - Decimal("70.335")) == "+0.01"
    assert change_text(Decimal("0.004")) == change_text(Decimal("-0.004")) == change_text(Decimal(0)) == "0.00"


def test_every_format_shows_the_score_change(tmp_path):
    old, new = _save(tmp_path, "a2024.json", OLD_SCORES), _save(tmp_path, "a2025.json", NEW_SCORES)
    base = ["diff", old, new, "--shift", "1y"]
    markdown = run_cli([*base, "-f", "markdown"]).stdout
    assert re.search(r"\| 3 +\| D1 +\| D1 +\| 81\.00 +\| good +\| 80\.35 +\| \+0\.65 +\| good +\| 5 ↑ +\|", markdown)
    html = run_cli([*base, "-f", "html"]).stdout
    assert "+0.65" in html and "5 ↑" in html
    assert "81.00 good (+0.65 ↑)" in html and html.count('<line class="previous"') == 2  # D1, D2; D3 is new
    zipped = tmp_path / "diff.zip"
    assert run_cli([*base, "-o", str(zipped)]).exit_code == 0
    with zipfile.ZipFile(zipped) as archive:
        rows = archive.read("departments_change.csv").decode("utf-8-sig").splitlines()
    assert rows[1] == "3,D1,D1,81.00,good,80.35,+0.65,good,5 ↑" and rows[3] == "1,D3,新区局,90.00,excellent,,new,,new"
    workbook = tmp_path / "diff.xlsx"
    assert run_cli([*base, "-o", str(workbook)]).exit_code == 0
    import openpyxl

    sheet = next(s for s in openpyxl.load_workbook(workbook).worksheets if s["A1"].value == "rank")
    assert [c.value for c in sheet[2]] == [3, "D1", "D1", 81.0, "good", 80.35, 0.65, "good", "5 ↑"]
    assert sheet["G2"].number_format == "+0.00;-0.00;0.00"


def test_assess_compare_shows_the_change_in_every_format(tmp_path, small, small_dir):
    saved = str(tmp_path / "assess-2024.json")
    run_cli(["assess", str(small_dir), "--period", "2024", "-f", "json", "-o", saved, "-q"])
    improved = copy.deepcopy(small)
    improved["departments"].append({"id": "D3", "name": "新区局"})
    data = write_dataset(tmp_path / "improved", improved)
    base = ["assess", str(data), "--period", "2024", "--compare", saved, "-q"]
    text = run_cli([*base, "--lang", "zh"]).stdout
    assert "部门：与上次比较" in text and re.search(r"D3\s+新区局\s+0\.00\s+\S+\s+新\s+新", text)
    assert max(display_width(line) for line in text.splitlines()) <= 120
    html = run_cli([*base, "-f", "html"]).stdout
    assert '<line class="previous"' in html and "(0.00)" in html  # D1's earlier total drawn on its bar
    data_json = run_cli([*base, "-f", "json"]).json
    assert [d["subject"] for d in data_json["comparison"]["departments"]] == ["D1", "D2", "D3"]
    assert data_json["comparison"]["departments"][2]["new_subject"] is True
    for suffix in ("md", "xlsx", "zip"):
        assert run_cli([*base, "-o", str(tmp_path / f"report.{suffix}")]).exit_code == 0


def test_check_and_assess_json_name_their_command_subject_and_rules(small_dir):
    check = run_cli(["check", str(small_dir), "--period", "2024", "-f", "json", "--subject", "B1", "-q"]).json
    assert list(check) == ["period", "command", "subject", "findings", "errors", "packs", "rules"]
    assert (check["command"], check["subject"]) == ("check", "B1")
    assert {"id": "OPF01", "pack": "one_plus_four", "title": "Activity base"} in check["rules"]
    assert all(rule["pack"] != "service" for rule in check["rules"])  # check evaluates compliance packs only
    assess = run_cli(["assess", str(small_dir), "--period", "2024", "-f", "json", "-q", "--lang", "zh"]).json
    assert list(assess)[:3] == ["period", "command", "subject"] and list(assess)[-3:] == ["packs", "rules", "errors"]
    assert (assess["command"], assess["subject"]) == ("assess", None)
    assert {rule["pack"] for rule in assess["rules"]} >= {"service", "one_plus_four"}


def test_an_output_compared_with_itself_changes_nothing_but_its_persisting_failures(tmp_path, small_dir):
    saved = str(tmp_path / "check.json")
    run_cli(["check", str(small_dir), "--period", "2024", "-f", "json", "-o", saved, "-q"])
    result = run_cli(["diff", saved, saved])
    assert result.exit_code == 0
    assert f"Compared with {saved} (2024): persisting 34" in result.stdout
    out = io.StringIO(result.stdout)
    assert max(len(line) for line in out.read().splitlines()) <= 120


def test_assess_exits_1_with_exit_on_new_only_for_a_new_failure(tmp_path, small, small_dir):
    saved = str(tmp_path / "assess-2024.json")
    run_cli(["assess", str(small_dir), "--period", "2024", "-f", "json", "-o", saved, "-q"])
    small["activities"] = []  # B1's member education of 2024Q1 (A1) gone: OPF03 B1 2024Q1 pass → fail
    fewer = write_dataset(tmp_path / "fewer", small)
    base = ["assess", str(fewer), "--period", "2024", "--compare", saved, "-q"]
    result = run_cli([*base, "-f", "json", "--exit-on", "new"])
    assert result.exit_code == 1
    assert ("new", "OPF03", "B1", "pass", "fail") in _listed(result.json["comparison"])
    assert run_cli([*base, "--exit-on", "new", "--exit-zero"]).exit_code == 0
    assert run_cli(base).exit_code == 0  # assess exits 1 only when --exit-on asks
    same = ["assess", str(small_dir), "--period", "2024", "--compare", saved, "--exit-on", "new", "-q"]
    assert run_cli(same).exit_code == 0  # its failures persist; none is new
