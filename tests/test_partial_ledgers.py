"""`check --subject ID --partial`: a ledger holding only one branch's own records.

Branch B07's ledger names its chain committee C01 (parent, chain, an activity's organiser) and
a branch B08 it co-hosted with, neither of which it holds. Strict, every such reference is a
problem with a hint to --partial; partial, each id is listed once and not checked, and 1+4 is
counted from what the ledger holds.
"""

from __future__ import annotations

import copy
import json

import pytest

from evalkit.cli import main
from evalkit.schema import CORE_RECORD_TYPES
from evalkit.session import Session
from evalkit.testing import write_dataset

LEDGER = {
    "organizations": [
        {
            "id": "B07",
            "name": "七号支部",
            "kind": "branch",
            "parent_id": "C01",
            "chain_id": "C01",
            "enterprise_id": "E07",
            "established_on": "2021-03-01",
            "member_count": 8,
        },
    ],
    "enterprises": [
        {
            "id": "E07",
            "name": "丙机械",
            "chain_id": "C01",
            "segment": "midstream",
            "size": "medium",
            "chain_leader": False,
            "employees": 120,
            "party_members": 8,
            "party_org_id": "B07",
        },
    ],
    "activity_bases": [
        {"id": "S07", "name": "支部活动室", "org_id": "B07", "address": None, "opened_on": "2023-05-01"},
    ],
    "activities": [
        {
            "id": "A1",
            "org_id": "B07",
            "date": "2024-01-15",
            "category": "business_collaboration",
            "title": "产业链协作对接",
            "base_id": "S07",
            "participants": 8,
            "co_hosts": ["B08"],
            "evidence": None,
        },
        {
            "id": "A2",
            "org_id": "C01",  # organised by the chain committee, co-hosted by B07
            "date": "2024-02-20",
            "category": "member_education",
            "title": "专题党课",
            "base_id": None,
            "participants": 30,
            "co_hosts": ["B07", "B08"],
            "evidence": None,
        },
        {
            "id": "A3",
            "org_id": "B07",
            "date": "2024-03-10",
            "category": "model_publicity",
            "title": "先进事迹宣讲",
            "base_id": "S07",
            "participants": 8,
            "co_hosts": [],
            "evidence": None,
        },
    ],
}
CORE_TYPES = {record_type.name: record_type for record_type in CORE_RECORD_TYPES}
CHECK = ["check", "--period", "2024Q1", "--subject", "B07"]
NOTES = [
    (
        "organizations.csv: C01 (referenced in row 2, column parent_id) is not in this ledger: not checked",
        "organizations.csv：C01（第 2 行 parent_id 引用）不在本台账中，未检查",
    ),
    (
        "activities.csv: B08 (referenced in row 2, column co_hosts) is not in this ledger: not checked",
        "activities.csv：B08（第 2 行 co_hosts 引用）不在本台账中，未检查",
    ),
]
HINT = (
    "(a ledger of one branch? run check --subject ID --partial)",
    "（如只有本支部台账，请用 check --subject 编号 --partial）",
)


@pytest.fixture
def ledger() -> dict:
    return copy.deepcopy(LEDGER)


def run(folder, capsys, *options: str) -> tuple[int, str, str]:
    code = main([CHECK[0], str(folder), *CHECK[1:], *options])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def statuses(out: str) -> dict[str, tuple[str, list[str]]]:
    return {f["rule"]: (f["status"], f["evidence"]) for f in json.loads(out)["findings"]}


def test_a_branch_ledger_is_checked_from_what_it_holds(tmp_path, ledger, capsys):
    """OPF01 passes on the branch's own base; OPF02-04 count A1, A2 (co-hosted with the chain
    committee, which the ledger does not hold) and A3; no volunteer service: OPF05 fails."""
    folder = write_dataset(tmp_path / "b07", ledger)
    code, out, err = run(folder, capsys, "--partial", "--format", "json")
    assert code == 1 and err.splitlines() == [f"note: {en}" for en, _ in NOTES]
    assert statuses(out) == {
        "OPF01": ("pass", ["S07"]),
        "OPF02": ("pass", ["A1"]),
        "OPF03": ("pass", ["A2"]),
        "OPF04": ("pass", ["A3"]),
        "OPF05": ("fail", []),
    }
    keys = {"period", "command", "subject", "findings", "errors", "packs", "rules"}
    assert set(json.loads(out)) == keys  # nothing added to the JSON by --partial


def test_the_report_says_only_the_ledgers_bases_were_counted(tmp_path, ledger, capsys):
    folder = write_dataset(tmp_path / "b07", ledger)
    code, out, _ = run(folder, capsys, "--partial")
    lines = out.splitlines()
    assert code == 1 and lines[lines.index("5 findings: pass 4, fail 1") + 2] == (
        "partial ledger: only the ledger's activity bases were counted (OPF01)"
    )
    code, out, err = run(folder, capsys, "--partial", "--lang", "zh")
    lines = out.splitlines()
    assert code == 1 and lines[lines.index("共 5 条检查结果：通过 4，不通过 1") + 2] == (
        "部分台账：只统计了台账中的活动阵地（OPF01）"
    )
    assert err.splitlines() == [f"提示：{zh}" for _, zh in NOTES]


def test_each_id_outside_the_ledger_is_noted_once_where_first_referenced(tmp_path, ledger):
    dataset = Session().load(write_dataset(tmp_path / "b07", ledger), partial=True)
    assert [(note.text("en"), note.text("zh")) for note in dataset.notes] == NOTES
    assert not any(note.warning for note in dataset.notes)


def test_without_partial_references_stay_strict_and_name_the_option(tmp_path, ledger, capsys):
    folder = write_dataset(tmp_path / "b07", ledger)
    code, out, err = run(folder, capsys)
    organisation, chain = "the id of a record in organizations", "the id of a chain_committee in organizations"
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "error: the dataset does not validate (6 problem(s)):",
        f"  activities.csv:2 [co_hosts] 'B08': expected {organisation} {HINT[0]}",
        f"  activities.csv:3 [co_hosts] 'B08': expected {organisation} {HINT[0]}",
        f"  activities.csv:3 [org_id] 'C01': expected {organisation} {HINT[0]}",
        f"  enterprises.csv:2 [chain_id] 'C01': expected {chain} {HINT[0]}",
        f"  organizations.csv:2 [chain_id] 'C01': expected {chain} {HINT[0]}",
        f"  organizations.csv:2 [parent_id] 'C01': expected {organisation} {HINT[0]}",
    ]
    code, _, err = run(folder, capsys, "--lang", "zh")
    assert code == 2 and err.splitlines()[1:3] == [
        f"  activities.csv:2 [co_hosts] 'B08'：应为党组织（organizations）中已有的编号{HINT[1]}",
        f"  activities.csv:3 [co_hosts] 'B08'：应为党组织（organizations）中已有的编号{HINT[1]}",
    ]


def test_partial_needs_the_subject(tmp_path, ledger, capsys):
    folder = write_dataset(tmp_path / "b07", ledger)
    assert main(["check", str(folder), "--period", "2024Q1", "--partial"]) == 2
    assert (
        capsys.readouterr().err
        == "error: --partial checks one branch's own ledger: name the branch with --subject ID\n"
    )
    assert main(["check", str(folder), "--period", "2024Q1", "--partial", "--lang", "zh"]) == 2
    assert capsys.readouterr().err == "错误：--partial 用于检查本支部自己的台账：请用 --subject 编号 指明支部\n"


def test_opf01_counts_only_the_bases_in_the_ledger(tmp_path, ledger, capsys):
    """Without its own base B07 fails OPF01 (its chain committee's bases are not in the ledger);
    a base of C01 written into the ledger counts, C01 being B07's parent."""
    ledger["activity_bases"] = []
    for activity in ledger["activities"]:
        activity["base_id"] = None
    code, out, _ = run(write_dataset(tmp_path / "none", ledger), capsys, "--partial", "--format", "json")
    assert code == 1 and statuses(out)["OPF01"] == ("fail", [])
    ledger["activity_bases"] = [
        {"id": "S01", "name": "产业链党群服务中心", "org_id": "C01", "address": None, "opened_on": "2022-01-01"}
    ]
    code, out, _ = run(write_dataset(tmp_path / "chain", ledger), capsys, "--partial", "--format", "json")
    assert code == 1 and statuses(out)["OPF01"] == ("pass", ["S01"])


def test_partial_still_refuses_wrong_kinds_and_missing_own_records(tmp_path, ledger, capsys):
    """Only a subject no table holds is let go: one of the wrong kind, and an activity base (the
    ledger's own record), are still problems, and without the hint."""
    ledger["enterprises"][0]["party_org_id"] = "B08"  # not in the ledger: noted
    ledger["organizations"][0]["chain_id"] = "B07"  # a branch, not a chain committee
    ledger["activities"][2]["base_id"] = "S99"
    code, out, err = run(write_dataset(tmp_path / "b07", ledger), capsys, "--partial")
    assert (code, out) == (2, "")
    assert err.splitlines() == [
        "note: organizations.csv: C01 (referenced in row 2, column parent_id) is not in this ledger: not checked",
        "note: enterprises.csv: B08 (referenced in row 2, column party_org_id) is not in this ledger: not checked",
        "error: the dataset does not validate (2 problem(s)):",
        "  activities.csv:4 [base_id] 'S99': expected the id of a record in activity_bases",
        "  organizations.csv:2 [chain_id] 'B07': expected the id of a chain_committee in organizations",
    ]


def test_incidents_and_waivers_naming_subjects_outside_the_ledger_are_noted(tmp_path, ledger):
    ledger["incidents"] = [
        {"id": "I1", "subject_kind": "organization", "subject_id": "B08", "date": "2024-02-01", "reason": "x"},
    ]
    ledger["waivers"] = [
        {"rule": "OPF05", "subject_id": "K9", "period": "2024Q1", "reason": "x", "approved_by": "y"},
    ]
    dataset = Session().load(write_dataset(tmp_path / "b07", ledger), partial=True)
    assert [note.text("en") for note in dataset.notes][2:] == [
        "waivers.csv: K9 (referenced in row 2, column subject_id) is not in this ledger: not checked"
    ]


def test_notes_name_the_file_and_column_as_the_secretary_typed_them(tmp_path, ledger, capsys):
    labels = {column.name: column.zh for column in CORE_TYPES["activities"].columns}
    activities = [{labels[key]: value for key, value in row.items()} for row in ledger.pop("activities")]
    folder = write_dataset(tmp_path / "b07", ledger)
    write_dataset(tmp_path / "zh", {"activities": activities})
    (tmp_path / "zh" / "activities.csv").rename(folder / "活动台账.csv")
    code, _, err = run(folder, capsys, "--partial", "--lang", "zh")
    assert code == 1 and err.splitlines() == [
        f"提示：{NOTES[0][1]}",
        "提示：活动台账.csv：B08（第 2 行 联办单位 引用）不在本台账中，未检查",
    ]
    code, _, err = run(folder, capsys, "--lang", "zh")
    assert code == 2
    assert f"  活动台账.csv:3 [组织单位] 'C01'：应为党组织（organizations）中已有的编号{HINT[1]}" in err.splitlines()
