"""The cross-record checks (evalkit/load/checks.py) word each problem in Chinese too (`--lang zh`)."""

from __future__ import annotations

import pytest

from evalkit.cli import main
from evalkit.errors import DatasetError
from evalkit.load import load_dataset
from evalkit.schema import CORE_RECORD_TYPES
from evalkit.testing import write_dataset

CORE_TYPES = {record_type.name: record_type for record_type in CORE_RECORD_TYPES}
HINT = "（如只有本支部台账，请用 check --subject 编号 --partial）"


def problem_lines(folder, capsys, lang="zh") -> list[str]:
    """The problems `validate` prints (notes and the count left out)."""
    assert main(["validate", str(folder), "--lang", lang]) == 2
    return [line for line in capsys.readouterr().err.splitlines() if line.startswith("  ")]


def test_a_repeated_id_in_chinese(tmp_path, small, capsys):
    small["departments"].append({"id": "D1", "name": "重复的部门"})
    assert problem_lines(write_dataset(tmp_path / "data", small), capsys) == [
        "  departments.csv:4 [id] 'D1'：应为不重复的编号（departments.csv 第 2 行已用过这个编号）"
    ]


def test_a_missing_reference_and_one_of_the_wrong_kind_in_chinese(tmp_path, small, capsys):
    small["requests"][0]["department_id"] = "D9"  # names nothing: the hint to --partial
    small["enterprises"][0]["chain_id"] = "B1"  # names a branch, not a chain committee: no hint
    small["enterprises"][1]["party_org_id"] = "C1"  # a chain committee, not a branch
    assert problem_lines(write_dataset(tmp_path / "data", small), capsys) == [
        "  enterprises.csv:2 [chain_id] 'B1'：应为党组织（organizations）中某个产业链党委的编号",
        "  enterprises.csv:3 [party_org_id] 'C1'：应为党组织（organizations）中某个党支部或联合党支部的编号",
        f"  requests.csv:2 [department_id] 'D9'：应为部门（departments）中已有的编号{HINT}",
    ]


def test_a_cycle_of_parents_in_chinese(tmp_path, small, capsys):
    small["organizations"][1]["parent_id"] = "B1"  # C1 ↔ B1
    assert problem_lines(write_dataset(tmp_path / "data", small), capsys) == [
        "  organizations.csv:3 [parent_id] 'B1'：应为不形成循环的上级组织（C1 → B1 → C1：2 个党组织互为上级）",
        "  organizations.csv:4 [parent_id] 'C1'：应为不形成循环的上级组织（B1 → C1 → B1：2 个党组织互为上级）",
    ]


def test_a_bad_waiver_in_chinese_and_english(tmp_path, small, capsys):
    small["waivers"] = [
        {"rule": "OPF99", "subject_id": "Z9", "period": "2024", "reason": "试点", "approved_by": "王"},
    ]
    folder = write_dataset(tmp_path / "data", small)
    assert problem_lines(folder, capsys) == [
        "  waivers.csv:2 [rule] 'OPF99'：应为已加载的规则编号（可用 evalkit rules 查看）",
        f"  waivers.csv:2 [subject_id] 'Z9'：应为某个党组织、企业、部门或干部的编号{HINT}",
    ]
    assert problem_lines(folder, capsys, "en") == [
        "  waivers.csv:2 [rule] 'OPF99': expected the id of a loaded rule (see `evalkit rules`)",
        "  waivers.csv:2 [subject_id] 'Z9': expected the id of an organisation, enterprise, department or cadre"
        " (a ledger of one branch? run check --subject ID --partial)",
    ]


def test_every_cross_record_check_words_its_problems_in_chinese(tmp_path, small):
    """One fault of each check, every cell valid: each problem has its Chinese words."""
    small["departments"].append({"id": "D1", "name": "重复的部门"})
    small["requests"][0]["department_id"] = "D9"
    small["organizations"][1].update(parent_id="B1", chain_id="W1")  # a cycle; W1 is no chain committee
    small["organizations"] += [  # L0 … L51, 1 … 52 levels down: L50 is too deep
        {**small["organizations"][0], "id": f"L{level}", "parent_id": f"L{level - 1}" if level else "W1"}
        for level in range(52)
    ]
    small["requests"][0].update(dispatched_at="2024-01-01 08:00", resolved_at="2024-01-02 09:00", reopened_from="R1")
    small["requests"][1].update(status="accepted")
    small["requests"] += [
        {**small["requests"][1], "id": "R3", "status": "withdrawn", "accepted_at": "2024-02-03 09:00"},
        {**small["requests"][1], "id": "R4", "status": "dispatched", "dispatched_at": "2024-02-03 09:00"},
        {**small["requests"][1], "id": "R5", "status": "submitted", "satisfaction": "satisfied"},
    ]
    small["meetings"][0]["issues_resolved"] = 3
    small["incidents"] = [
        {"id": "I1", "subject_kind": "cadre", "subject_id": "D2", "date": "2024-05-01", "reason": "x"}
    ]
    small["waivers"] = [{"rule": "OPF99", "subject_id": "B1", "period": None, "reason": "x", "approved_by": "y"}]
    with pytest.raises(DatasetError) as caught:
        load_dataset(write_dataset(tmp_path / "data", small), known_rules={"OPF01"})
    assert [problem.text("zh") for problem in caught.value.problems] == [
        "departments.csv:4 [id] 'D1'：应为不重复的编号（departments.csv 第 2 行已用过这个编号）",
        "incidents.csv:2 [subject_id] 'D2'：应为干部（cadres）中已有的编号",
        "meetings.csv:2 [issues_resolved] '3'：应为不超过议定事项数（issues_raised：2）",
        "organizations.csv:3 [chain_id] 'W1'：应为空白或本产业链党委自己的编号（C1）",
        "organizations.csv:3 [chain_id] 'W1'：应为党组织（organizations）中某个产业链党委的编号",
        "organizations.csv:3 [parent_id] 'B1'：应为不形成循环的上级组织（C1 → B1 → C1：2 个党组织互为上级）",
        "organizations.csv:4 [parent_id] 'C1'：应为不形成循环的上级组织（B1 → C1 → B1：2 个党组织互为上级）",
        "organizations.csv:56 [parent_id] 'L49'：应为不超过 50 级的上级组织（这个组织在第 51 级）",
        f"requests.csv:2 [department_id] 'D9'：应为部门（departments）中已有的编号{HINT}",
        "requests.csv:2 [dispatched_at] '2024-01-01 08:00'：应为不早于点单时间（submitted_at：2024-01-02 09:00）的时间",
        "requests.csv:2 [reopened_from] 'R1'：应为另一条更早的诉求，不能是本条诉求自己",
        "requests.csv:2 [resolved_at] '2024-01-02 09:00'：应为不早于接单时间（accepted_at：2024-01-03 10:00）的时间",
        "requests.csv:3 [accepted_at]：应为非空（状态为“已接单”时必填）",
        "requests.csv:3 [dispatched_at]：应为非空（状态为“已接单”时必填）",
        "requests.csv:4 [dispatched_at]：应为派单时间（有接单时间就须先有派单时间）",
        "requests.csv:5 [department_id]：应为承办部门（诉求派单后必填）",
        "requests.csv:6 [satisfaction] 'satisfied'：应为空白（状态为“已点单”时不填）",
        "waivers.csv:2 [rule] 'OPF99'：应为已加载的规则编号（可用 evalkit rules 查看）",
    ]


def test_problems_name_each_rows_own_file_and_the_column_as_typed(tmp_path, small, capsys):
    """Activities read from two files headed in Chinese: a repeated id and a missing reference
    are placed at the row's own file, the column as the files spell it."""
    labels = {column.name: column.zh for column in CORE_TYPES["activities"].columns}
    first = small.pop("activities")[0]
    later = {**first, "co_hosts": ["J9"]}  # A1 again, and a co-host that is nowhere
    folder = write_dataset(tmp_path / "data", small)
    for year, row in (("2023", first), ("2024", later)):
        write_dataset(tmp_path / year, {"activities": [{labels[key]: value for key, value in row.items()}]})
        (tmp_path / year / "activities.csv").rename(folder / f"活动台账{year}.csv")
    assert problem_lines(folder, capsys) == [
        "  活动台账2024.csv:2 [编号] 'A1'：应为不重复的编号（活动台账2023.csv 第 2 行已用过这个编号）",
        f"  活动台账2024.csv:2 [联办单位] 'J9'：应为党组织（organizations）中已有的编号{HINT}",
    ]
