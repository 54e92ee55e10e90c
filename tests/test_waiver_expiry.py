"""Waivers that expire, the pack's longest waiver, unused waivers and the audit view (issue 24).

The small fixture's branch B1 has every activity of 2024 but the ones a test removes; every
expected value is computed by hand from the dates written here."""

from __future__ import annotations

from pathlib import Path

from test_check import check, full_branch_year, statuses

from evalkit.testing import run_cli, write_dataset

ROOT = Path(__file__).resolve().parent.parent


def waiver(rule="OPF05", subject="B1", period="2024Q3", **dates) -> dict:
    return {"rule": rule, "subject_id": subject, "period": period, "reason": "flood", "approved_by": "G", **dates}


def b1_without_q3_volunteering(small) -> dict:
    """B1 fails OPF05 (volunteer_service) in 2024Q3 only."""
    full_branch_year(small)
    small["activities"] = [a for a in small["activities"] if a["id"] != "A33"]
    return small


def finding(data: dict, rule: str, period: str, subject: str = "B1") -> dict:
    return next(f for f in data["findings"] if (f["rule"], f["subject"], f["period"]) == (rule, subject, period))


def test_a_waiver_holds_through_its_expiry_day(tmp_path, small):
    b1_without_q3_volunteering(small)
    small["waivers"] = [waiver(approved_on="2024-07-02", expires_on="2024-09-30")]  # Q3's last day
    code, data = check(write_dataset(tmp_path, small), "--period", "2024", "--subject", "B1")
    assert code == 0
    waived = finding(data, "OPF05", "2024Q3")
    assert waived["status"] == "waived"
    assert waived["waiver"] == {"reason": "flood", "approved_by": "G", "source": "waivers.csv:2"}
    assert "expired_waiver" not in waived


def test_a_waiver_expired_the_day_before_leaves_the_finding_failed_and_says_so(tmp_path, small):
    b1_without_q3_volunteering(small)
    small["waivers"] = [waiver(rule="OPF02", period="2024"), waiver(expires_on="2024-09-29")]  # row 3, a day short
    folder = write_dataset(tmp_path, small)
    code, data = check(folder, "--period", "2024", "--subject", "B1")
    assert code == 1
    failed = finding(data, "OPF05", "2024Q3")
    assert failed["status"] == "fail"
    assert failed["expired_waiver"] == "waivers.csv:3 (OPF05 B1) expired on 2024-09-29"
    assert "waiver" not in failed
    _, data = check(folder, "--period", "2024", "--subject", "B1", "--lang", "zh")
    assert finding(data, "OPF05", "2024Q3")["expired_waiver"] == "waivers.csv 第3行（OPF05 B1）已于2024-09-29到期"
    text = run_cli(["check", str(folder), "--period", "2024", "--subject", "B1", "--wide"]).stdout
    assert "[waivers.csv:3 (OPF05 B1) expired on 2024-09-29]" in text


def test_two_waivers_files_cite_one_whole_waiver(tmp_path, small):
    """Row 2 of two waivers files both waive B1's OPF05 of 2024Q3: the finding cites the first
    by file name (`waivers (1).csv` before `waivers.csv`), its reason with its file and row, never
    one waiver's reason beside the other's file."""
    b1_without_q3_volunteering(small)
    small["waivers"] = [waiver()]
    folder = write_dataset(tmp_path, small)
    (folder / "waivers (1).csv").write_text(
        "rule,subject_id,period,reason,approved_by\nOPF05,B1,2024Q3,typhoon,H\n", encoding="utf-8"
    )
    code, data = check(folder, "--period", "2024", "--subject", "B1")
    assert code == 0
    assert finding(data, "OPF05", "2024Q3")["waiver"] == {
        "reason": "typhoon",
        "approved_by": "H",
        "source": "waivers (1).csv:2",
    }


def test_a_yearly_verdict_needs_a_waiver_through_the_last_day_of_the_year(tmp_path, small):
    full_branch_year(small)
    small["activities"] = [a for a in small["activities"] if a["id"] not in ("A11", "A41")]  # OPF03 Q1, Q4 fail
    small["waivers"] = [waiver(rule="OPF10", period="2024", expires_on="2024-12-30")]
    _, data = check(write_dataset(tmp_path / "short", small), "--period", "2024")
    opf10 = finding(data, "OPF10", "2024")
    assert (opf10["status"], opf10["expired_waiver"]) == ("fail", "waivers.csv:2 (OPF10 B1) expired on 2024-12-30")
    small["waivers"] = [waiver(rule="OPF10", period="2024", expires_on="2024-12-31")]
    _, data = check(write_dataset(tmp_path / "through", small), "--period", "2024")
    assert statuses(data, "OPF10", "B1") == {"2024": "waived"}


def test_an_expired_quarter_still_counts_towards_the_yearly_verdict(tmp_path, small):
    """A waiver of the whole year, expired mid-year, waives Q1 only: Q4's failure is not waived."""
    full_branch_year(small)
    small["activities"] = [a for a in small["activities"] if a["id"] not in ("A11", "A41")]
    small["waivers"] = [waiver(rule="OPF03", period="2024", approved_on="2024-01-05", expires_on="2024-06-30")]
    _, data = check(write_dataset(tmp_path, small), "--period", "2024")
    assert statuses(data, "OPF03", "B1") == {"2024Q1": "waived", "2024Q2": "pass", "2024Q3": "pass", "2024Q4": "fail"}
    assert statuses(data, "OPF10", "B1") == {"2024": "pass"}  # one non-compliant quarter


def test_an_expiry_before_the_waivers_own_period_is_refused(tmp_path, small):
    small["waivers"] = [waiver(expires_on="2024-06-30")]  # its period 2024Q3 begins on 07-01
    folder = write_dataset(tmp_path, small)
    result = run_cli(["check", str(folder), "--period", "2024"])
    assert (result.exit_code, result.stdout) == (2, "")
    assert (
        "waivers.csv:2 [expires_on] '2024-06-30': expected a date on or after 2024-07-01, the first day of the "
        "waiver's period 2024Q3" in result.stderr
    )
    result = run_cli(["validate", str(folder), "--lang", "zh"])
    assert "waivers.csv:2 [expires_on] '2024-06-30'：应为不早于豁免期间 2024Q3 首日 2024-07-01 的日期" in result.stderr


def pack_with_max_waiver_days(folder: Path, days: int) -> Path:
    """The shipped 1+4 pack again, in a rules folder, with `max_waiver_days`."""
    folder.mkdir()
    text = (ROOT / "rules" / "one_plus_four.yaml").read_text(encoding="utf-8")
    (folder / "one_plus_four.yaml").write_text(text + f"max_waiver_days: {days}\n", encoding="utf-8")
    return folder


def test_a_waiver_longer_than_the_packs_maximum_is_refused(tmp_path, small):
    rules = pack_with_max_waiver_days(tmp_path / "rules", 90)
    small["waivers"] = [
        waiver(approved_on="2024-07-01", expires_on="2024-09-29"),  # 90 days: allowed
        waiver(approved_on="2024-07-01", expires_on="2024-09-30"),  # 91 days
        waiver(expires_on="2025-12-31"),  # no approved_on: not counted
        waiver(rule="CHN01", subject="C1", approved_on="2024-01-01", expires_on="2024-12-31"),  # another pack
    ]
    folder = write_dataset(tmp_path / "data", small)
    result = run_cli(["validate", str(folder), "--rules-dir", str(rules)])
    assert result.exit_code == 2
    problems = [line.strip() for line in result.stderr.splitlines() if line.startswith("  ")]
    assert problems == [
        "waivers.csv:3 [expires_on] '2024-09-30': expected a date at most 90 days after approved_on 2024-07-01 "
        "(by 2024-09-29: the pack of rule OPF05 sets max_waiver_days 90; this waiver holds 91 days)"
    ]
    assert run_cli(["validate", str(folder)]).exit_code == 0  # the shipped pack sets no maximum


def test_a_waiver_expiring_before_its_approval_is_refused(tmp_path, small):
    small["waivers"] = [waiver(period=None, approved_on="2024-07-01", expires_on="2024-06-30")]
    result = run_cli(["validate", str(write_dataset(tmp_path, small)), "--lang", "zh"])
    assert result.exit_code == 2
    problems = [line.strip() for line in result.stderr.splitlines() if line.startswith("  ")]
    assert problems == [
        "waivers.csv:2 [expires_on] '2024-06-30'：应为不早于审批日期 2024-07-01 的日期（豁免不能在审批前到期）"
    ]


def test_an_unused_waiver_is_a_warning_and_strict_refuses_it(tmp_path, small):
    b1_without_q3_volunteering(small)
    small["waivers"] = [
        waiver(),  # waives OPF05 2024Q3
        waiver(period="2024Q2"),  # B1 passed OPF05 in Q2: unused
        waiver(period="2023"),  # not this run's period
        waiver(subject="J1"),  # J1 is not checked with --subject B1
    ]
    folder = write_dataset(tmp_path / "data", small)
    args = ["check", str(folder), "--period", "2024", "--subject", "B1"]
    result = run_cli([*args, "--format", "json"])
    assert result.exit_code == 0
    line = "waivers.csv:3 (OPF05 B1 2024Q2) is unused: it waived no finding in this run"
    assert f"warning: {line} (remove it, or check its rule, subject and period)" in result.stderr
    assert result.stderr.count("waivers.csv:") == 1
    assert result.json["warnings"] == [
        {
            "kind": "unused_waiver",
            "waiver": "waivers.csv:3",
            "rule": "OPF05",
            "subject": "B1",
            "period": "2024Q2",
            "message": f"{line} (remove it, or check its rule, subject and period)",
        }
    ]
    zh = run_cli([*args, "--lang", "zh"])
    assert "警告：waivers.csv 第3行（OPF05 B1 2024Q2）未使用：本次运行中它没有豁免任何结果" in zh.stderr
    assert "waivers.csv 第3行（OPF05 B1 2024Q2）未使用" in zh.stdout  # the report's warnings
    strict = run_cli([*args, "--strict", "--output", str(tmp_path / "report.json")])
    assert strict.exit_code == 2
    assert "--strict: 1 warning(s) (unused waivers, files not read); nothing written" in strict.stderr
    assert not (tmp_path / "report.json").exists()
    assessed = run_cli(["assess", str(folder), "--period", "2024", "--strict"])
    assert assessed.exit_code == 2


def test_unused_waivers_are_listed_up_to_max_problems(tmp_path, small):
    """Three unused waivers (B1 passed OPF05 in Q1, Q2 and Q4): the first two listed, then a count."""
    b1_without_q3_volunteering(small)
    small["waivers"] = [waiver(period=f"2024Q{quarter}") for quarter in (1, 2, 4)]
    folder = write_dataset(tmp_path / "data", small)
    args = ["check", str(folder), "--period", "2024", "--subject", "B1", "--max-problems", "2"]
    warnings = [line for line in run_cli(args).stderr.splitlines() if line.startswith("warning: ")]
    assert [line.split(" is unused")[0] for line in warnings[:2]] == [
        "warning: waivers.csv:2 (OPF05 B1 2024Q1)",
        "warning: waivers.csv:3 (OPF05 B1 2024Q2)",
    ]
    assert warnings[2:] == ["warning: 1 more unused waivers not shown (raise --max-problems)"]
    zh = run_cli([*args, "--lang", "zh"]).stderr.splitlines()
    assert "警告：另有 1 条未使用的豁免未列出（可用 --max-problems 调高）" in zh


def test_the_audit_view_ignores_waivers(tmp_path, small):
    b1_without_q3_volunteering(small)
    small["waivers"] = [waiver(approved_on="2024-07-02", expires_on="2024-12-31")]
    folder = write_dataset(tmp_path, small)
    args = ["check", str(folder), "--period", "2024", "--subject", "B1"]
    code, data = check(folder, "--period", "2024", "--subject", "B1")
    assert (code, statuses(data, "OPF05", "B1")["2024Q3"], "audit" in data) == (0, "waived", False)
    code, data = check(folder, "--period", "2024", "--subject", "B1", "--no-waivers")
    assert (code, statuses(data, "OPF05", "B1")["2024Q3"], data["audit"]) == (1, "fail", True)
    assert "warnings" not in data  # in the audit view no waiver is used, and none is said to be unused
    assert "waiver" not in finding(data, "OPF05", "2024Q3")
    english = run_cli([*args, "--no-waivers"])
    assert (english.exit_code, english.stdout.splitlines()[0]) == (
        1,
        "Compliance check 2024 (audit view: waivers ignored)",
    )
    chinese = run_cli([*args, "--no-waivers", "--lang", "zh"])
    assert chinese.stdout.splitlines()[0] == "2024年合规检查（审计视图：不计豁免）"
    assert run_cli([*args, "--no-waivers", "--exit-zero"]).exit_code == 0
    assessed = run_cli(["assess", str(folder), "--period", "2024", "--no-waivers", "--format", "json"])
    assert assessed.json["audit"] is True
    b1 = next(row for row in assessed.json["branches"] if row["subject"] == "B1")
    assert (b1["compliant_quarters"], b1["waived_quarters"]) == (3, 0)


def test_explain_gives_the_audit_view_too(tmp_path, small):
    """A committee asks how a branch's result stands without its waivers: explain says it."""
    b1_without_q3_volunteering(small)
    small["waivers"] = [waiver(approved_on="2024-07-02", expires_on="2024-12-31")]
    folder = write_dataset(tmp_path, small)
    args = ["explain", str(folder), "--period", "2024", "--subject", "B1"]

    def opf05_q3(data: dict) -> str:
        return next(f["status"] for f in data["findings"] if f["rule"] == "OPF05" and f["period"] == "2024Q3")

    waived = run_cli([*args, "--format", "json"]).json
    assert (opf05_q3(waived), "audit" in waived) == ("waived", False)
    audit = run_cli([*args, "--format", "json", "--no-waivers"]).json
    assert (opf05_q3(audit), audit["audit"]) == ("fail", True)
    assert "（审计视图：不计豁免）" in run_cli([*args, "--no-waivers", "--lang", "zh"]).stdout.splitlines()[0]
    assert "(audit view: waivers ignored)" in run_cli([*args, "--no-waivers"]).stdout.splitlines()[0]


def test_waived_quarters_in_the_branches_table(tmp_path, small):
    b1_without_q3_volunteering(small)
    small["activities"] = [a for a in small["activities"] if a["id"] != "A11"]  # OPF03 fails in Q1 too
    small["waivers"] = [waiver(), waiver(rule="OPF03", period="2024Q1")]
    folder = write_dataset(tmp_path, small)
    result = run_cli(["assess", str(folder), "--period", "2024", "--format", "json"])
    b1 = next(row for row in result.json["branches"] if row["subject"] == "B1")
    # Q1 and Q3 each had a waived finding; the rate is unchanged by them: waived counts as compliant.
    assert (b1["checked_quarters"], b1["compliant_quarters"], b1["waived_quarters"]) == (4, 4, 2)
    assert b1["compliance_rate"] == 1.0
    text = run_cli(["assess", str(folder), "--period", "2024"]).stdout
    header = next(line for line in text.splitlines() if line.startswith("subject") and "rate" in line)
    assert "quarters" in header
    b1_line = next(line for line in text.splitlines() if line.startswith("B1 "))
    assert b1_line.split()[2:6] == ["4", "4", "100.00%", "2"]
    waived_header = run_cli(["assess", str(folder), "--period", "2024", "--lang", "zh"]).stdout
    assert "含豁免季度" in waived_header
