"""The example plugin's own tests, written with evalkit.testing as a plugin author would."""

from __future__ import annotations

import pytest

from evalkit.testing import run_cli, write_dataset


@pytest.fixture(autouse=True)
def _autoload(monkeypatch):
    """The plugin is found the way users find it: through its entry point (autoload on)."""
    monkeypatch.delenv("EVALKIT_DISABLE_PLUGIN_AUTOLOAD", raising=False)


DATASET = {
    "organizations": [
        {"id": "W1", "name": "党工委", "kind": "working_committee", "established_on": "2015-01-01", "member_count": 9},
        {
            "id": "C1",
            "name": "产业链党委",
            "kind": "chain_committee",
            "parent_id": "W1",
            "chain_id": "C1",
            "established_on": "2020-01-01",
            "member_count": 5,
        },
    ],
    "enterprises": [
        {
            "id": f"E{n}",
            "name": f"企业{n}",
            "chain_id": "C1",
            "segment": "upstream",
            "size": "small",
            "employees": 10,
            "party_members": 0,
        }
        for n in range(1, 7)
    ],
    "departments": [{"id": "D1", "name": "应急管理局"}, {"id": "D2", "name": "财政局"}],
    "safety_inspections": [
        *[
            {
                "id": f"S{n}",
                "enterprise_id": f"E{n}",
                "department_id": "D1",
                "date": "2024-05-0" + str(n),
                "result": "合格",
            }
            for n in range(1, 6)
        ],
        {"id": "S6", "enterprise_id": "E6", "department_id": "D2", "date": "2024-06-01", "result": "不合格"},
        {"id": "S7", "enterprise_id": "E6", "department_id": "D2", "date": "2023-06-01", "result": "不合格"},
    ],
}


def adjustments(data, subject):
    row = next(r for r in data["departments"] if r["subject"] == subject)
    return {a["rule"]: a for a in row["adjustments"]}


def test_passed_inspections_earn_a_capped_bonus_and_failed_ones_cost(tmp_path):
    result = run_cli(["assess", str(write_dataset(tmp_path, DATASET)), "--period", "2024", "--format", "json"])
    assert result.exit_code == 0, result.stderr
    # D1: five passed inspections × 0.5 = 2.5, capped at 2; D2: one failed in 2024 (S7 is 2023).
    assert adjustments(result.json, "D1")["SAF01"] == {
        "rule": "SAF01",
        "points": 2.0,
        "items": 5,
        "evidence": ["S1", "S2", "S3", "S4", "S5"],
    }
    assert adjustments(result.json, "D2")["SAF02"] == {"rule": "SAF02", "points": -1.0, "items": 1, "evidence": ["S6"]}


def test_inert_without_its_record_file(tmp_path):
    without = {name: rows for name, rows in DATASET.items() if name != "safety_inspections"}
    folder = write_dataset(tmp_path, without)
    result = run_cli(["assess", str(folder), "--period", "2024", "--format", "json"])
    # Loaded and ran without error (exit 0, no error listed), and simply found nothing to count.
    assert result.exit_code == 0, result.stderr
    assert result.json["errors"] == [] and "error" not in result.stderr
    assert "safety" in {pack["name"] for pack in result.json["packs"]}
    assert [row["subject"] for row in result.json["departments"]] == ["D1", "D2"]
    assert all(not row["adjustments"] for row in result.json["departments"])
    # Inert: the scores are those of a run with the plugin blocked.
    blocked = run_cli(["assess", str(folder), "--period", "2024", "--format", "json", "-p", "no:safety"])
    assert blocked.exit_code == 0, blocked.stderr
    assert "safety" not in {pack["name"] for pack in blocked.json["packs"]}
    for table in ("departments", "cadres"):
        assert result.json[table] == blocked.json[table]
