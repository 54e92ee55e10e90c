"""`evalkit check`: hand-computed findings per rule on the small fixture, waivers, chaining, exit codes."""

from __future__ import annotations

import pytest

from evalkit.testing import run_cli, write_dataset


def check(folder, *extra) -> tuple[int, dict]:
    result = run_cli(["check", str(folder), "--format", "json", *extra])
    assert "Traceback" not in result.stderr
    return result.exit_code, (result.json if result.stdout else {})


def statuses(data: dict, rule: str, subject: str) -> dict[str, str]:
    return {f["period"]: f["status"] for f in data["findings"] if f["rule"] == rule and f["subject"] == subject}


def full_branch_year(small, branch="B1"):
    """Give `branch` one activity of every kind in every quarter of 2024."""
    categories = ["business_collaboration", "member_education", "model_publicity", "volunteer_service"]
    small["activities"] = [
        {
            "id": f"A{q}{n}",
            "org_id": branch,
            "date": f"2024-{3 * q:02d}-15",
            "category": c,
            "title": "t",
            "participants": 5,
        }
        for q in range(1, 5)
        for n, c in enumerate(categories)
    ]


def test_opf_pass_fail_and_evidence(tmp_path, small):
    full_branch_year(small)
    small["activities"] = [a for a in small["activities"] if a["id"] != "A33"]  # no volunteer_service in Q3
    code, data = check(write_dataset(tmp_path, small), "--period", "2024")
    assert code == 1
    assert statuses(data, "OPF05", "B1") == {"2024Q1": "pass", "2024Q2": "pass", "2024Q3": "fail", "2024Q4": "pass"}
    failed = [f for f in data["findings"] if f["subject"] == "B1" and f["status"] == "fail"]
    assert [(f["rule"], f["period"], f["evidence"], f["message"]) for f in failed] == [
        ("OPF05", "2024Q3", [], "no volunteer_service activity in 2024Q3")
    ]
    passed = next(
        f for f in data["findings"] if f["rule"] == "OPF02" and f["period"] == "2024Q1" and f["subject"] == "B1"
    )
    assert passed["evidence"] == ["A10"]
    assert statuses(data, "OPF10", "B1") == {"2024": "pass"}


def test_quarter_last_day_counts_and_next_day_does_not(tmp_path, small):
    full_branch_year(small)
    for activity in small["activities"]:
        if activity["id"] == "A13":  # Q1 volunteer_service on the quarter's last day
            activity["date"] = "2024-03-31"
        if activity["id"] == "A23":  # Q2 volunteer_service moved to the first day of Q3
            activity["date"] = "2024-07-01"
    _, data = check(write_dataset(tmp_path, small), "--period", "2024")
    assert statuses(data, "OPF05", "B1") == {"2024Q1": "pass", "2024Q2": "fail", "2024Q3": "pass", "2024Q4": "pass"}


def test_branch_founded_mid_quarter_is_skipped_then_checked(tmp_path, small):
    # J1 was established 2024-02-10: Q1 skipped; co-hosting A1 (Q1) does not matter then.
    _, data = check(write_dataset(tmp_path, small), "--period", "2024")
    assert statuses(data, "OPF03", "J1") == {"2024Q1": "skip", "2024Q2": "fail", "2024Q3": "fail", "2024Q4": "fail"}


def test_branch_founded_on_quarter_first_day_is_checked(tmp_path, small):
    small["organizations"][3]["established_on"] = "2024-04-01"
    _, data = check(write_dataset(tmp_path, small), "--period", "2024Q2")
    assert statuses(data, "OPF03", "J1") == {"2024Q2": "fail"}


def test_co_host_counts_and_base_through_ancestor(tmp_path, small):
    small["organizations"][3]["established_on"] = "2023-01-01"
    _, data = check(write_dataset(tmp_path, small), "--period", "2024Q1")
    assert statuses(data, "OPF03", "J1") == {"2024Q1": "pass"}  # co-host of A1
    opf01 = next(f for f in data["findings"] if f["rule"] == "OPF01" and f["subject"] == "J1")
    assert (opf01["status"], opf01["evidence"]) == ("pass", ["S1"])  # C1's base, J1's parent


def test_base_opened_after_quarter_fails(tmp_path, small):
    small["activity_bases"][0]["opened_on"] = "2024-04-01"
    _, data = check(write_dataset(tmp_path, small), "--period", "2024")
    assert statuses(data, "OPF01", "B1") == {"2024Q1": "fail", "2024Q2": "pass", "2024Q3": "pass", "2024Q4": "pass"}


def test_opf10_chains_on_failed_quarters_and_waivers(tmp_path, small):
    full_branch_year(small)
    small["activities"] = [a for a in small["activities"] if a["id"] not in ("A11", "A41")]  # Q1 and Q4 fail
    _, data = check(write_dataset(tmp_path / "two", small), "--period", "2024")
    opf10 = next(f for f in data["findings"] if f["rule"] == "OPF10" and f["subject"] == "B1")
    assert (opf10["period"], opf10["status"], opf10["severity"]) == ("2024", "fail", "high")
    assert opf10["evidence"] == ["OPF03@2024Q1", "OPF03@2024Q4"]
    # A waiver of the Q4 failure leaves one non-compliant quarter: no rectification.
    small["waivers"] = [
        {"rule": "OPF03", "subject_id": "B1", "period": "2024Q4", "reason": "flood", "approved_by": "G"}
    ]
    _, data = check(write_dataset(tmp_path / "waived", small), "--period", "2024")
    assert statuses(data, "OPF03", "B1")["2024Q4"] == "waived"
    assert statuses(data, "OPF10", "B1") == {"2024": "pass"}
    # OPF10 is a yearly verdict: a quarter's check does not give it.
    _, data = check(write_dataset(tmp_path / "q", small), "--period", "2024Q1")
    assert statuses(data, "OPF10", "B1") == {}


def test_year_waiver_covers_its_quarters(tmp_path, small):
    small["waivers"] = [{"rule": "OPF02", "subject_id": "J1", "period": "2024", "reason": "r", "approved_by": "G"}]
    _, data = check(write_dataset(tmp_path, small), "--period", "2024")
    waived = [f for f in data["findings"] if f["rule"] == "OPF02" and f["subject"] == "J1" and f["status"] == "waived"]
    assert [f["period"] for f in waived] == ["2024Q2", "2024Q3", "2024Q4"]
    assert waived[0]["waiver"] == {"reason": "r", "approved_by": "G", "source": "waivers.csv:2"}


def test_chain_council_rules(tmp_path, small):
    small["chain_posts"] += [
        {"chain_id": "C1", "role": "instructor", "cadre_id": "K2", "since": "2024-12-31"},
        {"chain_id": "C1", "role": "liaison", "cadre_id": "K1", "since": "2024-01-01"},
    ]
    small["meetings"].append(
        {"id": "M2", "chain_id": "C1", "date": "2024-06-30", "kind": "ad_hoc", "issues_raised": 3, "issues_resolved": 3}
    )
    _, data = check(write_dataset(tmp_path, small), "--period", "2024")
    assert statuses(data, "CHN01", "C1") == {"2024Q1": "pass", "2024Q2": "fail", "2024Q3": "fail", "2024Q4": "fail"}
    chn02 = next(f for f in data["findings"] if f["rule"] == "CHN02")
    assert (chn02["status"], chn02["evidence"]) == ("pass", ["K1", "K2", "K3"])  # instructor since the last day
    chn03 = next(f for f in data["findings"] if f["rule"] == "CHN03")
    assert (chn03["status"], chn03["evidence"]) == ("pass", ["M1", "M2"])  # 4 of 5 = 0.8 exactly
    _, q2 = check(write_dataset(tmp_path / "q2", small), "--period", "2024Q2")
    assert {f["rule"]: f["status"] for f in q2["findings"] if f["subject"] == "C1"} == {
        "CHN01": "fail",
        "CHN02": "fail",
        "CHN03": "pass",
    }  # instructor not yet; M2's 3 of 3
    _, q3 = check(write_dataset(tmp_path / "q3", small), "--period", "2024Q3")
    assert statuses(q3, "CHN03", "C1") == {"2024Q3": "skip"}


def test_coverage_rules(tmp_path, small):
    small["enterprises"] += [
        {
            "id": "E3",
            "name": "丙",
            "chain_id": "C1",
            "size": "small",
            "employees": 9,
            "party_members": 4,
            "party_org_id": "J1",
        },
        {"id": "E4", "name": "丁", "chain_id": "C1", "size": "micro", "employees": 5, "party_members": 1},
        {"id": "E5", "name": "戊", "chain_id": "C1", "size": "micro", "employees": 5, "party_members": 0},
    ]
    _, data = check(write_dataset(tmp_path, small), "--period", "2024Q1")
    coverage = {(f["rule"], f["subject"]): f["status"] for f in data["findings"] if f["pack"] == "coverage"}
    assert coverage == {
        ("COV01", "E1"): "pass",
        ("COV02", "E2"): "pass",
        ("COV01", "E3"): "fail",
        ("COV02", "E4"): "fail",
    }
    small["organizations"][3]["established_on"] = "2024-04-01"  # J1 not yet there at the end of Q1
    _, data = check(write_dataset(tmp_path / "late", small), "--period", "2024Q1")
    assert statuses(data, "COV02", "E2") == {"2024Q1": "fail"}


def test_subject_self_check_text_and_exit_codes(tmp_path, small):
    folder = write_dataset(tmp_path, small)
    result = run_cli(
        ["check", str(folder), "--period", "2024", "--subject", "B1", "--lang", "zh", "--today", "2025-01-06"]
    )
    assert result.exit_code == 1
    assert "下一步要做的" in result.stdout and "2024年第三季度没有志愿服务活动：如已开展，请补录台账" in result.stdout
    assert run_cli(["check", str(folder), "--period", "2024", "--exit-zero"]).exit_code == 0
    assert run_cli(["check", str(folder), "--period", "2024x"]).exit_code == 2
    assert run_cli(["check", str(folder), "--period", "2024", "--subject", "NOPE"]).exit_code == 2


def test_a_self_check_words_each_finding_as_the_whole_run_does():
    """The findings of one subject name the facts of that subject: B06's LIFE03 failure in
    2024Q3 names its months in both (it once read another branch's fact, and named none)."""
    whole = run_cli(["check", "sample_data", "--period", "2024", "--format", "json"]).json
    for subject in ("B06", "B11"):
        alone = run_cli(["check", "sample_data", "--period", "2024", "--format", "json", "--subject", subject]).json
        expected = [(f["rule"], f["period"], f["message"]) for f in whole["findings"] if f["subject"] == subject]
        assert [(f["rule"], f["period"], f["message"]) for f in alone["findings"]] == expected
    life05 = next(f for f in alone["findings"] if f["rule"] == "LIFE05" and f["period"] == "2024Q1")
    assert life05["message"] == "no theme party day (主题党日) in 2024-03 (2024Q1)"


def test_two_runs_in_one_process_are_identical(tmp_path, small):
    folder = write_dataset(tmp_path, small)
    first = run_cli(["check", str(folder), "--period", "2024", "--format", "json"]).stdout
    assert first == run_cli(["check", str(folder), "--period", "2024", "--format", "json"]).stdout


BIG_PACK = """
pack: big_branches
version: "1"
title: {en: Big branches, zh: 大支部}
rules:
  - id: BIG01
    title: {en: At most 10 members, zh: 党员不超过10名}
    severity: low
    fact: branch_size
    params: {max_members: 10}
    when: "members > max_members"
    message:
      pass: {en: "{members} members", zh: "{members}名党员"}
      fail: {en: "{members} members: split the branch", zh: "{members}名党员，建议分设支部"}
"""

PLUGIN = (
    '''
from pathlib import Path
from evalkit import hookimpl
from evalkit.facts import Fact, FactKind

PACK = """'''
    + BIG_PACK
    + '''"""


@hookimpl
def evalkit_fact_kinds():
    return [FactKind("branch_size", "organization", {"members": "party members"})]


@hookimpl
def evalkit_rule_packs():
    path = Path(__file__).with_name("big_branches.yaml")
    path.write_text(PACK, encoding="utf-8")
    return [path]


@hookimpl
def evalkit_facts(dataset, period):
    return [Fact("branch_size", o["id"], period, {"members": o["member_count"]})
            for o in dataset["organizations"] if o["kind"] == "branch"]
'''
)


def test_plugins_dir_plugin_adds_a_rule_that_fires(tmp_path, small):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "big_branches.py").write_text(PLUGIN, encoding="utf-8")
    folder = write_dataset(tmp_path / "data", small)
    code, data = check(folder, "--period", "2024", "--plugins-dir", str(plugins))
    big = [(f["subject"], f["status"], f["message"]) for f in data["findings"] if f["rule"] == "BIG01"]
    assert big == [("B1", "fail", "12 members: split the branch")]
    listed = run_cli(["plugins", "--plugins-dir", str(plugins)])
    assert "big_branches" in listed.stdout and str(plugins) in listed.stdout


def test_plugin_failing_on_import_gives_exit_3_and_other_results(tmp_path, small):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "broken.py").write_text("import not_a_module_anywhere\n", encoding="utf-8")
    code, data = check(write_dataset(tmp_path / "data", small), "--period", "2024", "--plugins-dir", str(plugins))
    assert code == 3
    assert [e["plugin"] for e in data["errors"]] == ["broken"]
    assert "not_a_module_anywhere" in data["errors"][0]["error"]
    assert any(f["rule"] == "OPF01" for f in data["findings"])


def test_plugin_raising_in_facts_marks_its_rules_missing(tmp_path, small):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    source = PLUGIN.replace(
        '    return [Fact("branch_size"', "    raise RuntimeError('ledger missing')\n    return [Fact(\"branch_size\""
    )
    (plugins / "big_branches.py").write_text(source, encoding="utf-8")
    code, data = check(write_dataset(tmp_path / "data", small), "--period", "2024", "--plugins-dir", str(plugins))
    assert code == 3
    assert data["errors"] == [
        {
            "plugin": "big_branches",
            "error": "evalkit_facts raised RuntimeError: ledger missing",
            "rules": ["BIG01"],
            "subjects": [],
        }
    ]
    assert any(f["rule"] == "OPF01" for f in data["findings"])


def test_two_plugins_claiming_one_rule_id(tmp_path, small):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    clash = PLUGIN.replace("BIG01", "OPF01").replace("pack: big_branches", "pack: clash")
    (plugins / "clash.py").write_text(clash.replace("big_branches.yaml", "clash.yaml"), encoding="utf-8")
    result = run_cli(
        ["check", str(write_dataset(tmp_path / "data", small)), "--period", "2024", "--plugins-dir", str(plugins)]
    )
    assert result.exit_code == 2
    assert "rule OPF01 is defined twice" in result.stderr
    assert "clash" in result.stderr and "one_plus_four" in result.stderr


def test_blocking_a_builtin_plugin(tmp_path, small):
    code, data = check(write_dataset(tmp_path, small), "--period", "2024", "-p", "no:coverage")
    assert not [f for f in data["findings"] if f["pack"] == "coverage"]
    assert "coverage" not in {pack["name"] for pack in data["packs"]}
    # The 1+4 and council rules still run, and the small fixture fails some of them: exit 1.
    assert code == 1 and any(f["status"] == "fail" and f["pack"] == "one_plus_four" for f in data["findings"])


@pytest.mark.parametrize("period,expected", [("2024", 4), ("2024Q3", 1)])
def test_quarterly_rule_gives_one_finding_per_quarter(tmp_path, small, period, expected):
    _, data = check(write_dataset(tmp_path, small), "--period", period)
    assert len(statuses(data, "OPF02", "B1")) == expected


def test_a_period_without_records_is_warned_about(tmp_path, small):
    folder = write_dataset(tmp_path / "data", small)
    empty = run_cli(["check", str(folder), "--period", "2019", "--format", "json"])
    assert "no activity, meeting, request, visit, talent or incident record is dated in 2019" in empty.stderr
    dated = run_cli(["check", str(folder), "--period", "2024", "--format", "json"])
    assert "is dated in" not in dated.stderr


TABLE_PLUGIN = (
    '''
from pathlib import Path

import pyarrow as pa

from evalkit import hookimpl
from evalkit.facts import FactKind, FactTable

PACK = """'''
    + BIG_PACK.replace('max_members"\n', 'max_members"\n    evidence: branch\n')
    + '''"""


@hookimpl
def evalkit_fact_kinds():
    return [FactKind("branch_size", "organization", {"members": "party members"}, evidence={"branch": "the branch"})]


@hookimpl
def evalkit_rule_packs():
    path = Path(__file__).with_name("big_branches.yaml")
    path.write_text(PACK, encoding="utf-8")
    return [path]


@hookimpl
def evalkit_facts(dataset, period):
    table = dataset.sql(
        "SELECT id AS subject, $period AS period, member_count AS members, [id] AS \\"evidence:branch\\" "
        "FROM organizations WHERE kind = 'branch'",
        {"period": str(period)},
    ).to_arrow_table()
    if "NAN" in {name for (name,) in dataset.columns("organizations", "name")}:
        table = table.set_column(2, "members", pa.array([float("nan")] * table.num_rows))
    return [FactTable("branch_size", table)]
'''
)


@pytest.mark.parametrize("broken", [False, True])
def test_a_plugin_returns_its_facts_as_a_table_built_by_a_query(tmp_path, small, broken):
    """The BIG01 plugin's facts given as a FactTable from a grouped query (how a province's are
    built); an unsound table (a NaN) is reported with the plugin's name, its rule's results missing."""
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "big_branches.py").write_text(TABLE_PLUGIN, encoding="utf-8")
    if broken:
        small["organizations"][0]["name"] = "NAN"
    code, data = check(write_dataset(tmp_path / "data", small), "--period", "2024", "--plugins-dir", str(plugins))
    big = [(f["subject"], f["status"], f["message"], f["evidence"]) for f in data["findings"] if f["rule"] == "BIG01"]
    if not broken:
        assert big == [("B1", "fail", "12 members: split the branch", ["B1"])] and data["errors"] == []
        return
    assert code == 3 and big == []
    assert data["errors"] == [
        {
            "plugin": "big_branches",
            "error": "branch_size facts: members holds NaN, not a number",
            "rules": ["BIG01"],
            "subjects": [],
        }
    ]
