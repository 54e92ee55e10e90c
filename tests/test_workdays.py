"""Time limits in working days: the calendar (library and dataset), deadlines as the service facts
join them, the run stopped for a year no calendar covers, pack settings, and the report cover.

Every date below was looked up by hand in the State Council's holiday notices: 2024's National Day
holiday is 1–7 October with make-up working days on Sunday 29 September and Saturday 12 October.
"""

from __future__ import annotations

import hashlib
from datetime import date
from pathlib import Path

import pytest

from evalkit.errors import DatasetError, RulePackError
from evalkit.load import load_dataset
from evalkit.rules.packs import read_pack
from evalkit.testing import run_cli, write_dataset
from evalkit.workdays import Calendar

ROOT = Path(__file__).resolve().parent.parent
SERVICE = (ROOT / "rules" / "service.yaml").read_text(encoding="utf-8")
PROFILE = ROOT / "examples" / "profiles" / "shandong-hotline"


def _request(id_: str, dispatched: str, accepted: str | None, resolved: str | None, **more) -> dict:
    status = "resolved" if resolved else "accepted" if accepted else "dispatched"
    return {
        "id": id_,
        "enterprise_id": "E1",
        "category": "finance",
        "title": "贷款",
        "submitted_at": dispatched,
        "dispatched_at": dispatched,
        "department_id": "D1",
        "accepted_at": accepted,
        "cadre_id": "K1",
        "resolved_at": resolved,
        "status": status,
        "key_project": False,
        **more,
    }


def _service_pack(folder: Path, settings: str) -> Path:
    """The shipped service pack with its acceptance and time-limit lines replaced by `settings`."""
    folder.mkdir(parents=True, exist_ok=True)
    text = SERVICE.replace("  accept_hours: 24 ", "  #").replace("  time_limit_days: 10 ", "  #")
    (folder / "service.yaml").write_text(text.replace("settings:\n", f"settings:\n{settings}", 1), encoding="utf-8")
    return folder


def _cadre(result, subject: str = "K1") -> dict:
    assert result.exit_code == 0, result.stderr
    return next(score for score in result.json["cadres"] if score["subject"] == subject)


@pytest.mark.parametrize(
    "start, count, deadline",
    [
        (date(2024, 9, 30), 1, date(2024, 10, 8)),  # Monday; 1–7 October are the holiday
        (date(2024, 9, 30), 5, date(2024, 10, 12)),  # 8–11 October, then the make-up Saturday
        (date(2024, 9, 28), 1, date(2024, 9, 29)),  # Saturday; the make-up Sunday is the next day
    ],
)
def test_the_nth_working_day_after_the_start_day(start, count, deadline):
    assert Calendar({}).deadline(start, count) == deadline


def test_the_datasets_days_override_the_library():
    calendar = Calendar({date(2024, 10, 8): False, date(2024, 10, 5): True})  # a branch's own arrangement
    assert calendar.deadline(date(2024, 9, 30), 1) == date(2024, 10, 5)
    assert calendar.deadline(date(2024, 9, 30), 2) == date(2024, 10, 9)


# The service facts: due dates and acceptance windows in working days ------------------------------


def _resolution_cases(tmp_path, small) -> Path:
    small["requests"] = [
        _request("R1", "2024-09-30 10:00", "2024-09-30 11:00", "2024-10-12 17:00"),  # the 5th working day
        _request("R2", "2024-09-30 10:00", "2024-09-30 11:00", "2024-10-14 09:00"),  # the 6th
    ]
    return write_dataset(tmp_path / "data", small)


def test_resolve_within_working_days_sets_the_due_date(tmp_path, small):
    data = _resolution_cases(tmp_path, small)
    rules = _service_pack(tmp_path / "rules", "  accept_hours: 24\n  resolve_within: {working_days: 5}\n")
    svc02 = _cadre(run_cli(["assess", str(data), "--period", "2024", "--rules-dir", str(rules), "--format", "json"]))
    assert (svc02["indicators"]["SVC02"]["numerator"], svc02["indicators"]["SVC02"]["denominator"]) == (1, 2)
    # today's default, 10 calendar days: both are due on 10 October and late
    svc02 = _cadre(run_cli(["assess", str(data), "--period", "2024", "--format", "json"]))
    assert (svc02["indicators"]["SVC02"]["numerator"], svc02["indicators"]["SVC02"]["denominator"]) == (0, 2)


def test_resolve_within_days_is_the_plain_time_limit(tmp_path, small):
    data = _resolution_cases(tmp_path, small)
    rules = _service_pack(tmp_path / "rules", "  accept_hours: 24\n  resolve_within: {days: 12}\n")
    svc02 = _cadre(run_cli(["assess", str(data), "--period", "2024", "--rules-dir", str(rules), "--format", "json"]))
    assert svc02["indicators"]["SVC02"]["numerator"] == 1  # due 12 October: R1 on time, R2 not


def test_a_requests_own_due_date_still_wins(tmp_path, small):
    small["requests"] = [
        _request("R1", "2024-09-30 10:00", "2024-09-30 11:00", "2024-10-12 17:00", due_on="2024-10-09"),
    ]
    rules = _service_pack(tmp_path / "rules", "  accept_hours: 24\n  resolve_within: {working_days: 5}\n")
    data = write_dataset(tmp_path / "data", small)
    svc02 = _cadre(run_cli(["assess", str(data), "--period", "2024", "--rules-dir", str(rules), "--format", "json"]))
    assert svc02["indicators"]["SVC02"]["numerator"] == 0


def test_accept_within_working_days_ends_with_the_working_day(tmp_path, small):
    small["requests"] = [  # dispatched on a Saturday: the next day, a make-up Sunday, is the first working day
        _request("R1", "2024-09-28 09:00", "2024-09-29 23:59", None),
        _request("R2", "2024-09-28 09:00", "2024-09-30 00:00", None),
    ]
    data = write_dataset(tmp_path / "data", small)
    rules = _service_pack(tmp_path / "rules", "  accept_within: {working_days: 1}\n  time_limit_days: 10\n")
    svc01 = _cadre(run_cli(["assess", str(data), "--period", "2024", "--rules-dir", str(rules), "--format", "json"]))
    assert svc01["indicators"]["SVC01"]["numerator"] == 1
    svc01 = _cadre(run_cli(["assess", str(data), "--period", "2024", "--format", "json"]))  # 24 hours: neither
    assert svc01["indicators"]["SVC01"]["numerator"] == 0
    rules = _service_pack(tmp_path / "hours", "  accept_within: {hours: 39}\n  time_limit_days: 10\n")
    svc01 = _cadre(run_cli(["assess", str(data), "--period", "2024", "--rules-dir", str(rules), "--format", "json"]))
    assert svc01["indicators"]["SVC01"]["numerator"] == 2  # 38 h 59 min, and exactly 39 h (which counts)


# A year no calendar covers ------------------------------------------------------------------------


def test_a_deadline_in_a_year_the_library_lacks_stops_the_run(tmp_path, small):
    small["requests"] = [_request("R1", "2026-12-28 10:00", "2026-12-28 11:00", None)]  # a Monday
    rules = _service_pack(tmp_path / "rules", "  accept_hours: 24\n  resolve_within: {working_days: 5}\n")
    data = write_dataset(tmp_path / "data", small)
    result = run_cli(["assess", str(data), "--period", "2026", "--rules-dir", str(rules), "--format", "json"])
    assert result.exit_code == 2 and result.stdout == ""
    assert "working days of 2027 are unknown" in result.stderr and "calendar" in result.stderr
    assert "Traceback" not in result.stderr
    zh = run_cli(["assess", str(data), "--period", "2026", "--rules-dir", str(rules), "--lang", "zh"])
    assert zh.exit_code == 2 and "2027 年的工作日未知" in zh.stderr and "工作日历" in zh.stderr
    # without the working-day limit the same data runs (the calendar is not used)
    assert run_cli(["assess", str(data), "--period", "2026", "--format", "json"]).exit_code == 0


def test_one_calendar_row_covers_a_year(tmp_path, small):
    small["requests"] = [_request("R1", "2026-12-28 10:00", "2026-12-28 11:00", None)]
    small["calendar"] = [{"date": "2027-01-01", "kind": "holiday", "note": "元旦"}]
    rules = _service_pack(tmp_path / "rules", "  accept_hours: 24\n  resolve_within: {working_days: 5}\n")
    data = write_dataset(tmp_path / "data", small)
    result = run_cli(["assess", str(data), "--period", "2026", "--rules-dir", str(rules), "--format", "json"])
    # 29, 30, 31 December; 1 January a holiday, 2–3 a weekend; Monday 4 and Tuesday 5 January: due 5 January,
    # so at the year's end the request is not yet overdue (SVC21 costs nothing)
    assert _cadre(result)["adjustments"] == []
    assert result.json["calendar"] == {
        "library": "chinese-calendar 1.11.0",
        "digest": hashlib.sha256(b"2027-01-01 holiday\n").hexdigest(),
        "overrides": 1,
    }


def test_a_period_past_the_library(tmp_path, small):
    small["requests"] = [  # Friday 1 March 2030, resolved the Monday after
        _request("R1", "2030-03-01 10:00", "2030-03-01 11:00", "2030-03-04 10:00")
    ]
    rules = _service_pack(tmp_path / "rules", "  accept_hours: 24\n  resolve_within: {working_days: 1}\n")
    data = write_dataset(tmp_path / "data", small)
    args = ["assess", str(data), "--period", "2030", "--rules-dir", str(rules), "--format", "json"]
    result = run_cli(args)
    assert result.exit_code == 2 and "working days of 2030 are unknown" in result.stderr
    small["calendar"] = [{"date": "2030-10-01", "kind": "holiday", "note": None}]
    write_dataset(tmp_path / "data", small)
    assert _cadre(run_cli(args))["indicators"]["SVC02"]["numerator"] == 1  # Monday 4 March, Monday to Friday


def test_a_period_without_requests_needs_no_calendar(tmp_path, small):
    small["requests"] = []
    rules = _service_pack(tmp_path / "rules", "  accept_hours: 24\n  resolve_within: {working_days: 5}\n")
    data = write_dataset(tmp_path / "data", small)
    assert run_cli(["assess", str(data), "--period", "2030", "--rules-dir", str(rules)]).exit_code == 0


# The calendar record type -------------------------------------------------------------------------


def test_a_date_twice_in_the_calendar_is_a_problem(tmp_path, small):
    small["calendar"] = [
        {"date": "2024-10-12", "kind": "workday", "note": None},
        {"date": "2024-10-13", "kind": "holiday", "note": None},
        {"date": "2024-10-12", "kind": "holiday", "note": None},
    ]
    with pytest.raises(DatasetError) as error:
        load_dataset(write_dataset(tmp_path, small))
    [problem] = error.value.problems
    assert (problem.file, problem.row, problem.column, problem.value) == ("calendar.csv", 4, "date", "2024-10-12")
    assert "calendar.csv row 2" in problem.expected and "calendar.csv 第 2 行" in problem.zh


def test_a_calendar_in_chinese_and_traditional_headers(tmp_path, small):
    small["工作日曆"] = [{"日期": "2024-10-12", "類型": "调休上班", "說明": "國慶"}]
    dataset = load_dataset(write_dataset(tmp_path, small))
    assert Calendar.of(dataset).overrides == {date(2024, 10, 12): True}


# Pack settings ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "settings, expected",
    [
        ("  accept_hours: 24\n  resolve_within: {weeks: 2}\n", "settings.resolve_within: a time limit is {days: N}"),
        ("  accept_hours: 24\n  resolve_within: {working_days: 0}\n", "N is a whole number from 1 to 1000, not 0"),
        ("  accept_hours: 24\n  resolve_within: {working_days: 1.5}\n", "not 1.5"),
        ("  accept_within: {days: 1}\n  time_limit_days: 10\n", "{hours: N} or {working_days: N}"),
        (
            "  accept_hours: 24\n  time_limit_days: 10\n  resolve_within: {days: 5}\n",
            "replaces settings.time_limit_days",
        ),
        (
            "  accept_hours: 24\n  resolve_within: 5\n",
            "settings.resolve_within: a time limit such as {working_days: 5}",
        ),
        ("  accept_hours: 24\n  time_limit_days: 10\n  other: {days: 1, hours: 2}\n", "settings.other: a time limit"),
    ],
)
def test_bad_time_limits_name_the_file_and_key(tmp_path, settings, expected):
    path = _service_pack(tmp_path, settings) / "service.yaml"
    with pytest.raises(RulePackError) as error:
        read_pack(path, "--rules-dir")
    assert str(error.value).startswith(f"{path}: key settings.") and expected in str(error.value)


def test_the_profile_differs_from_the_shipped_pack_only_in_its_time_limit_and_basis():
    """The profile is a copy of the shipped pack: anything else that differs (a rule added to
    the shipped pack and not to the copy) would be dropped silently by whoever uses it."""
    result = run_cli(["rules", "--diff", "--rules-dir", str(PROFILE)])
    assert result.exit_code == 0
    assert result.stdout.splitlines()[1:] == [
        "  SVC02.basis: 济阳区产业链党建'1+4'工作法 → 《山东省政务服务热线管理办法》(2020)：5个工作日内办理完毕",
        "  SVC02.basis_kind: zone_method → regulation",
        "  settings.resolve_within.working_days: (none) → 5",
        "  settings.time_limit_days: 10 → (none)",
    ]


# The report cover and the profile -----------------------------------------------------------------


def test_the_shandong_profile_flips_a_request_on_time_and_names_the_calendar(tmp_path, small):
    data = _resolution_cases(tmp_path, small)
    args = ["assess", str(data), "--period", "2024", "--rules-dir", str(PROFILE)]
    svc02 = _cadre(run_cli([*args, "--format", "json"]))["indicators"]["SVC02"]
    assert (svc02["numerator"], svc02["denominator"], svc02["points"]) == (1, 2, 15)
    empty = hashlib.sha256(b"").hexdigest()
    text = run_cli(args)
    assert text.exit_code == 0
    assert (
        f"working-day calendar: chinese-calendar 1.11.0 (calendar {empty[:12]}, 0 days of the dataset)" in text.stdout
    )
    zh = run_cli([*args, "--lang", "zh"]).stdout
    assert f"工作日历：chinese-calendar 1.11.0（工作日历 {empty[:12]}，数据集自定 0 天）" in zh


def test_no_calendar_on_the_cover_without_working_days(tmp_path, small):
    data = _resolution_cases(tmp_path, small)
    result = run_cli(["assess", str(data), "--period", "2024", "--format", "json"])
    assert result.exit_code == 0 and "calendar" not in result.json
    assert "calendar" not in run_cli(["assess", str(data), "--period", "2024"]).stdout


def test_the_profile_runs_on_the_sample_data():
    result = run_cli(["assess", str(ROOT / "sample_data"), "--period", "2024", "--rules-dir", str(PROFILE)])
    assert result.exit_code == 0, result.stderr
    assert "service 1-shandong-hotline" in result.stdout and "working-day calendar: chinese-calendar" in result.stdout
