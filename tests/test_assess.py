"""`evalkit assess` and `explain`: scores hand-computed from a small service fixture.

The fixture (built below on the shared small dataset) is period 2024 with departments D1–D4 and
assessed cadres K1, K2, K4, K5, K6 (K3 has no department: not assessed). Every number asserted
here is worked out by hand in the comments; the JSON rounds to 6 decimals.
"""

from __future__ import annotations

import copy
from fractions import Fraction

import pytest
from fixture_data import SMALL

from evalkit.testing import run_cli, write_dataset

ENTERPRISES = [f"E{n}" for n in range(3, 13)]  # E3..E12: ten more enterprises to visit


def req(rid, dept, cadre, dispatched, accepted=None, resolved=None, status=None, **extra):
    """A request dispatched at `dispatched` (submitted an hour before)."""
    status = status or ("resolved" if resolved else "accepted" if accepted else "dispatched")
    day, time = dispatched.split()
    return {
        "id": rid,
        "enterprise_id": "E1",
        "category": "finance",
        "title": "t",
        "submitted_at": f"{day} 08:00",
        "dispatched_at": dispatched,
        "department_id": dept,
        "cadre_id": cadre,
        "accepted_at": accepted,
        "resolved_at": resolved,
        "status": status,
        **extra,
    }


def visits(cadre, enterprises, date="2024-06-15"):
    return [
        {
            "id": f"V{cadre}{e}",
            "cadre_id": cadre,
            "enterprise_id": e,
            "date": date,
            "policies_delivered": 1,
            "needs_recorded": 0,
        }
        for e in enterprises
    ]


def service_dataset(small: dict) -> dict:
    data = small
    data["departments"] += [{"id": "D3", "name": "商务局"}, {"id": "D4", "name": "住建局"}]
    data["cadres"] += [
        {"id": f"K{n}", "name": f"干部{n}", "department_id": dept, "title": "科员", "party_member": True}
        for n, dept in ((4, "D1"), (5, "D2"), (6, "D3"))
    ]
    data["enterprises"] += [
        {
            "id": e,
            "name": f"企业{e}",
            "chain_id": "C1",
            "segment": "midstream",
            "size": "small",
            "employees": 10,
            "party_members": 0,
        }
        for e in ENTERPRISES
    ]
    # R1 (shared fixture): D1/K1, dispatched 01-02 10:00, accepted exactly 24 h later, resolved
    # 01-08 (default due 01-12), satisfied.
    data["requests"] += [
        # K1 / D1
        req("R10", "D1", "K1", "2024-03-01 09:00", "2024-03-02 09:01", "2024-03-11 18:00", satisfaction="dissatisfied"),
        req("R11", "D1", "K1", "2024-12-20 09:00", "2024-12-20 10:00", "2025-01-05 10:00", satisfaction="satisfied"),
        req("R12", "D1", "K1", "2024-05-01 09:00", status="withdrawn"),
        req("R13", "D1", "K1", "2024-06-01 09:00", "2024-06-01 10:00", status="rejected"),
        req("R14", "D1", "K1", "2024-12-25 09:00", "2024-12-25 10:00", due_on="2025-01-10"),
        req("R92", "D1", "K1", "2023-12-30 09:00", "2023-12-30 10:00", "2024-01-03 10:00"),
        # K4 / D1, K5 / D2, R31 D2 without a cadre
        req("R20", "D1", "K4", "2024-02-01 09:00", "2024-02-01 12:00", "2024-02-05 10:00", satisfaction="satisfied"),
        req("R30", "D2", "K5", "2024-04-01 09:00", "2024-04-01 09:30", "2024-04-03 10:00", satisfaction="satisfied"),
        req(
            "R32",
            "D2",
            "K5",
            "2024-04-02 09:00",
            "2024-04-02 09:30",
            "2024-04-04 10:00",
            satisfaction="basically_satisfied",
        ),
        req("R31", "D2", None, "2024-01-10 09:00", "2024-01-10 10:00", "2024-01-12 10:00"),
        # K6 / D3
        req("R40", "D3", "K6", "2024-05-06 09:00", "2024-05-06 10:00", "2024-05-10 10:00"),
        req("R41", "D3", "K6", "2024-05-06 09:00", "2024-05-08 09:00", "2024-05-20 10:00"),
        # D3 batches: BT1..BT6 qualify (two D3 requests each, all resolved); BT7 mixes D3 and
        # D1; BT8 has an unresolved request (not due in 2024).
        *[
            req(
                f"Q{n:02d}",
                "D3",
                None,
                f"2024-08-{n:02d} 09:00",
                f"2024-08-{n:02d} 09:30",
                f"2024-08-{n + 2:02d} 09:00",
                batch_id=f"BT{(n + 1) // 2}",
            )
            for n in range(1, 13)
        ],
        req("R71", "D3", None, "2024-09-02 09:00", "2024-09-02 09:30", "2024-09-04 09:00", batch_id="BT7"),
        req("R72", "D1", None, "2024-09-02 09:00", "2024-09-02 09:30", "2024-09-04 09:00", batch_id="BT7"),
        req("R81", "D3", None, "2024-10-08 09:00", "2024-10-08 09:30", "2024-10-09 09:00", batch_id="BT8"),
        req("R82", "D3", None, "2024-10-08 09:00", "2024-10-08 09:30", batch_id="BT8", due_on="2025-02-01"),
        # D4: rejected repeats of R31 (×11), of R11 (resolved only after period end), of R1 and of
        # R92 (dispatched in 2023); one request accepted late and overdue.
        *[req(f"R{n}", "D4", None, "2024-06-10 09:00", status="rejected", reopened_from="R31") for n in range(50, 61)],
        req("R91", "D4", None, "2024-12-28 09:00", status="rejected", reopened_from="R11"),
        req("R93", "D4", None, "2024-07-01 09:00", status="rejected", reopened_from="R1"),
        req("R94", "D4", None, "2024-07-01 09:00", status="rejected", reopened_from="R92"),
        req("R90", "D4", None, "2024-11-01 09:00", "2024-11-03 09:00"),
    ]
    data["visits"] += visits("K1", ["E3"], "2024-05-01") + visits("K1", ["E3"], "2024-06-01")
    data["visits"] += visits("K1", ["E4"], "2023-12-31")  # before the period
    data["visits"] += visits("K4", ENTERPRISES) + visits("K5", ENTERPRISES) + visits("K2", ENTERPRISES)
    data["visits"] += visits("K6", ENTERPRISES[:3])
    # Distinct visit ids (a cadre visits an enterprise once per date above).
    for n, visit in enumerate(data["visits"]):
        visit["id"] = f"V{n:03d}"
    data["talent"] += [
        {
            "id": "T2",
            "person": "钱五",
            "enterprise_id": "E1",
            "track": "member_to_backbone",
            "date": "2023-06-01",
            "mentor_id": "K1",
        },
        *[
            {
                "id": f"T{n}",
                "person": f"人{n}",
                "enterprise_id": "E2",
                "track": "backbone_to_member",
                "date": "2024-09-01",
                "mentor_id": "K6",
            }
            for n in range(3, 9)
        ],
    ]
    data["incidents"] = [
        {"id": "I1", "subject_kind": "cadre", "subject_id": "K2", "date": "2024-07-01", "reason": "违纪"},
        {"id": "I2", "subject_kind": "cadre", "subject_id": "K4", "date": "2023-05-01", "reason": "往年"},
        {"id": "I3", "subject_kind": "department", "subject_id": "D1", "date": "2024-03-03", "reason": "安全事故"},
    ]
    return data


@pytest.fixture(scope="module")
def assessed(tmp_path_factory):
    """The fixture assessed once (every test here only reads it): (folder, JSON)."""
    folder = write_dataset(tmp_path_factory.mktemp("service"), service_dataset(copy.deepcopy(SMALL)))
    result = run_cli(["assess", str(folder), "--period", "2024", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    return folder, result.json


def by_subject(rows):
    return {row["subject"]: row for row in rows}


def r6(value) -> float:
    return round(float(Fraction(value)), 6)


def test_cadre_indicators_boundaries_and_adjustments(assessed):
    k1 = by_subject(assessed[1]["cadres"])["K1"]
    ind = k1["indicators"]
    # requests R1 R10 R11 R13 R14 (R12 withdrawn, R92 dispatched in 2023); within 24 h: R1 (exactly
    # 24 h), R11, R14; not R10 (24 h 1 min), not R13 (rejected).
    assert (ind["SVC01"]["numerator"], ind["SVC01"]["denominator"], ind["SVC01"]["points"]) == (3, 5, 12.0)
    # measured: R1, R10 (resolved), R11 (resolved after period end but due 12-30); on time: R1,
    # R10 (resolved on its due date 03-11).
    assert (ind["SVC02"]["numerator"], ind["SVC02"]["denominator"], ind["SVC02"]["points"]) == (2, 3, 20.0)
    # rated: R1 satisfied, R10 dissatisfied (R11 resolved after period end: not counted).
    assert (ind["SVC03"]["numerator"], ind["SVC03"]["denominator"], ind["SVC03"]["points"]) == (1, 2, 15.0)
    # visits in 2024: E2 (V1), E3 (twice) → 2 of 10.
    assert (ind["SVC04"]["numerator"], ind["SVC04"]["denominator"], ind["SVC04"]["points"]) == (2, 10, 4.0)
    assert k1["base"] == 51.0
    adjustments = {a["rule"]: a for a in k1["adjustments"]}
    assert adjustments["SVC11"] == {"rule": "SVC11", "points": 1.0, "items": 1, "evidence": ["T1"]}
    assert adjustments["SVC21"]["evidence"] == ["R11"] and adjustments["SVC21"]["points"] == -1.0
    # R93 repeats R1 and R94 repeats R92 (dispatched in 2023), both resolved: −2 each; R91
    # repeats R11, resolved only after period end: nothing.
    assert adjustments["SVC20"] == {
        "rule": "SVC20",
        "points": -4.0,
        "items": 2,
        "evidence": ["R1", "R92", "R93", "R94"],
    }
    assert (k1["bonus"], k1["deduction"], k1["total"], k1["grade"]) == (1.0, 5.0, 47.0, "incompetent")


def test_not_applicable_indicators_are_renormalised(assessed):
    cadres = by_subject(assessed[1]["cadres"])
    k6 = cadres["K6"]
    # R40 in 1 h, on time; R41 accepted after 48 h, resolved 05-20 after its due date 05-16;
    # nothing rated: SVC03 n/a; base = (10 + 15 + 6) × 100 / 70 = 310/7.
    assert k6["indicators"]["SVC03"] == {
        "value": None,
        "numerator": 0,
        "denominator": 0,
        "weight": 30.0,
        "points": None,
        "applicable": False,
    }
    assert k6["base"] == r6(Fraction(310, 7)) == 44.285714
    # six mentored talent records (T3..T8): +6 capped at +5.
    assert k6["adjustments"] == [
        {"rule": "SVC11", "points": 5.0, "items": 6, "evidence": [f"T{n}" for n in range(3, 9)]}
    ]
    assert k6["total"] == r6(Fraction(345, 7))
    # K2: no requests at all, visits only: base = 20 × 100 / 20 = 100.
    k2 = cadres["K2"]
    assert [i["applicable"] for i in k2["indicators"].values()] == [False, False, False, True]
    assert k2["base"] == 100.0


def test_veto_quota_tie_and_shared_ranks(assessed):
    cadres = assessed[1]["cadres"]
    rows = by_subject(cadres)
    # K2 100 (vetoed by I1), K4 100, K5 100, K1 47, K6 345/7: the vetoed rank after the others
    # (veto_rank: last), so 1, 1, 3, 4 and K2 5.
    assert [(r["subject"], r["rank"]) for r in cadres] == [("K4", 1), ("K5", 1), ("K6", 3), ("K1", 4), ("K2", 5)]
    assert rows["K2"]["vetoed"] and rows["K2"]["grade"] == "incompetent" and rows["K2"]["veto_evidence"] == ["I1"]
    assert rows["K2"]["band"] == "excellent"
    # five assessed cadres: 20 % → 1 may be excellent. K4 and K5 tie at 100; K5 resolved two
    # requests and K4 one, so K5 keeps the grade although K4's id sorts first. I2 (2023) does
    # not veto K4.
    assert rows["K5"]["grade"] == "excellent" and rows["K5"]["demoted_by"] is None
    assert rows["K4"]["grade"] == "competent" and rows["K4"]["demoted_by"] == "SVC31"
    assert not rows["K4"]["vetoed"]
    assert "K3" not in rows  # no department: not assessed


def test_departments(assessed):
    departments = assessed[1]["departments"]
    rows = by_subject(departments)
    d1 = rows["D1"]
    # D1: K1's five, K4's R20, R72 → 7; in 24 h: R1 R11 R14 R20 R72 → 5/7 × 20 = 100/7;
    # measured R1 R10 R11 R20 R72, on time all but R11 → 4/5 × 30 = 24; rated R1 R10 R20, two
    # satisfied → 20; visits by K1 and K4: E2..E12 → 11/20 × 20 = 11. Base 485/7.
    assert d1["base"] == r6(Fraction(485, 7))
    # −1 (R11 overdue), −2 (R93), −2 (R94): 450/7; vetoed by I3.
    assert d1["total"] == r6(Fraction(450, 7)) and d1["band"] == "fair" and d1["grade"] == "poor" and d1["vetoed"]
    # D2: base 20 + 30 + 30 + 10 = 90; 11 repeats of R31 → −22, capped at −20.
    d2 = rows["D2"]
    assert d2["base"] == 90.0 and d2["adjustments"][0]["points"] == -22.0 and d2["deduction"] == 20.0
    assert (d2["total"], d2["grade"]) == (70.0, "fair")
    # D3: 17 requests, 16 in 24 h → 320/17; 15 of 16 on time → 225/8; nothing rated (n/a);
    # visits 3/20 → 3. Base (320/17 + 225/8 + 3) × 100 / 70 = 33965/476; BT1..BT6 qualify, BT7
    # (mixed) and BT8 (unresolved) do not: +6 capped at +5.
    d3 = rows["D3"]
    assert d3["base"] == r6(Fraction(33965, 476))
    assert d3["adjustments"] == [
        {"rule": "SVC10", "points": 5.0, "items": 6, "evidence": [f"Q{n:02d}" for n in range(1, 13)]}
    ]
    assert d3["total"] == r6(Fraction(33965, 476) + 5) and d3["grade"] == "fair"
    # D4: nothing accepted in time, R90 measured and late, no visits: base 0; −1 clipped to 0.
    d4 = rows["D4"]
    assert (d4["base"], d4["deduction"], d4["total"], d4["grade"]) == (0.0, 1.0, 0.0, "poor")
    # D1 (vetoed) ranks after the others although its total is above D4's
    assert [(r["subject"], r["rank"]) for r in departments] == [("D3", 1), ("D2", 2), ("D4", 3), ("D1", 4)]


def test_branches_and_chains_tables(assessed):
    data = assessed[1]
    branches = by_subject(data["branches"])
    # B1 has only A1 (member_education, 2024Q1): checked 4 quarters, none compliant, OPF10 fails.
    assert branches["B1"]["checked_quarters"] == 4 and branches["B1"]["compliant_quarters"] == 0
    assert branches["B1"]["compliance_rate"] == 0.0 and branches["B1"]["findings"]["OPF10"] == "fail"
    # J1 established 2024-02-10: Q1 skipped.
    assert branches["J1"]["checked_quarters"] == 3
    chains = by_subject(data["chains"])
    assert chains["C1"]["findings"] == {"CHN01": "fail", "CHN02": "fail", "CHN03": "fail"}
    assert [p["name"] for p in data["packs"]] == ["chain_council", "coverage", "one_plus_four", "service"]


def test_assess_text_tables(assessed):
    folder, _ = assessed
    result = run_cli(["assess", str(folder), "--period", "2024"])
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    d1 = next(line for line in lines if line.split()[:2] == ["4", "D1"])  # vetoed: ranked last
    assert d1.split()[-4:] == ["64.29", "poor†", "vetoed:", "other"]  # † the committee confirms; blank category
    k4 = next(line for line in lines if " K4 " in f" {line} ")
    assert "competent*" in k4
    zh = run_cli(["assess", str(folder), "--period", "2024", "--lang", "zh"]).stdout
    assert "一票否决" in zh and "称职*" in zh and "不适用" in zh


def test_assess_refuses_a_quarter(assessed):
    result = run_cli(["assess", str(assessed[0]), "--period", "2024Q1"])
    assert result.exit_code == 2 and "annual" in result.stderr


def test_explain_shows_the_arithmetic(assessed):
    folder, _ = assessed
    text = run_cli(["explain", str(folder), "--period", "2024", "--subject", "K6"]).stdout
    # SVC01, 02 and 04 apply (20 + 30 + 20): SVC01 has 20 × 100 / 70 = 28.57 of the base.
    assert "SVC01 Acceptance 1 / 2 1/2 20 28.57 10.00" in " ".join(text.split())
    assert "Base = (10.00 + 15.00 + 6.00) × 100 / (20 + 30 + 20) = 44.29" in text
    assert "+6.00 (cap 5) → +5.00" in text
    k4 = run_cli(["explain", str(folder), "--period", "2024", "--subject", "K4"]).stdout
    assert "Quota SVC31: 2 of 5 cadres would be excellent, at most 1 may; lowered to competent" in k4
    d2 = run_cli(["explain", str(folder), "--period", "2024", "--subject", "D2", "--format", "json"]).json
    assert d2["score"]["deduction"] == 20.0 and d2["subject_kind"] == "department"
    b1 = run_cli(["explain", str(folder), "--period", "2024", "--subject", "B1", "--format", "json"]).json
    assert b1["score"] is None and b1["branches"]["checked_quarters"] == 4
    assert {f["rule"] for f in b1["findings"]} >= {"OPF01", "OPF10"}


def test_assess_json_is_deterministic(assessed):
    folder, data = assessed
    again = run_cli(["assess", str(folder), "--period", "2024", "--format", "json"]).stdout
    first = run_cli(["assess", str(folder), "--period", "2024", "--format", "json"]).stdout
    assert again == first


AUDIT_PLUGIN = '''
from pathlib import Path
from evalkit import hookimpl
from evalkit.facts import Fact, FactKind

PACK = """
pack: audit
version: "1"
kind: score
title: {en: Audit, zh: 审计}
rules:
  - id: AUD01
    title: {en: Audit finding, zh: 审计问题}
    severity: medium
    fact: audit
    when: "flagged == 1"
    adjustment: {points: -3}
"""


@hookimpl
def evalkit_fact_kinds():
    return [FactKind("audit", "department", {"flagged": "1 when the audit flagged the department"})]


@hookimpl
def evalkit_rule_packs():
    path = Path(__file__).with_name("audit.yaml")
    path.write_text(PACK, encoding="utf-8")
    return [path]


@hookimpl
def evalkit_facts(dataset, period):
    return [Fact("audit", d["id"], period, {"flagged": int(d["id"] in ("D2", "D3"))}) for d in dataset["departments"]]
'''


def test_a_plugins_deduction_counts_within_the_cap(tmp_path, assessed):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    (plugins / "audit.py").write_text(AUDIT_PLUGIN, encoding="utf-8")
    result = run_cli(
        ["assess", str(assessed[0]), "--period", "2024", "--format", "json", "--plugins-dir", str(plugins)]
    )
    assert result.exit_code == 0, result.stderr
    rows = by_subject(result.json["departments"])
    # D2: 22 + 3 deduction points, still capped at 20; D3: 5 bonus − 3.
    assert rows["D2"]["deduction"] == 20.0 and rows["D2"]["total"] == 70.0
    assert {"rule": "AUD01", "points": -3.0, "items": 1, "evidence": []} in rows["D3"]["adjustments"]
    assert rows["D3"]["total"] == r6(Fraction(33965, 476) + 5 - 3)
    assert rows["D1"]["total"] == r6(Fraction(450, 7))


def test_a_failing_score_plugin_makes_grades_provisional(tmp_path, assessed):
    plugins = tmp_path / "plugins"
    plugins.mkdir()
    source = AUDIT_PLUGIN.replace("    return [Fact(", "    raise OSError('audit ledger locked')\n    return [Fact(")
    (plugins / "audit.py").write_text(source, encoding="utf-8")
    result = run_cli(
        ["assess", str(assessed[0]), "--period", "2024", "--format", "json", "--plugins-dir", str(plugins)]
    )
    assert result.exit_code == 3
    assert result.json["errors"][0]["rules"] == ["AUD01"]
    # AUD01 scores departments only: their grades are provisional, the cadres' are not.
    assert all(row["provisional"] for row in result.json["departments"])
    assert not any(row["provisional"] for row in result.json["cadres"])
    text = run_cli(["assess", str(assessed[0]), "--period", "2024", "--plugins-dir", str(plugins)]).stdout
    assert "? provisional" in text and "audit ledger locked" in text


def test_a_time_with_an_offset_is_refused_like_any_other_spelling(tmp_path):
    """Times are local (YYYY-MM-DD HH:MM[:SS]); one with a UTC offset is a located problem, on
    either loading path (it once slipped through the fast one as "…03:23+08")."""
    data = copy.deepcopy(SMALL)
    data["requests"][0]["dispatched_at"] = "2024-01-02 10:00+08"
    result = run_cli(["validate", str(write_dataset(tmp_path / "offset", data))])
    assert result.exit_code == 2
    assert "requests.csv:2 [dispatched_at] '2024-01-02 10:00+08': expected a date-time" in result.stderr
