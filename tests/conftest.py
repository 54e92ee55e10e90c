"""Shared fixtures: a small valid dataset every test can copy and break on purpose."""

from __future__ import annotations

import copy

import pytest

from evalkit.testing import write_dataset

SMALL = {
    "organizations": [
        {
            "id": "W1",
            "name": "党工委",
            "kind": "working_committee",
            "parent_id": None,
            "chain_id": None,
            "enterprise_id": None,
            "established_on": "2015-01-01",
            "member_count": 9,
        },
        {
            "id": "C1",
            "name": "食品产业链党委",
            "kind": "chain_committee",
            "parent_id": "W1",
            "chain_id": "C1",
            "enterprise_id": None,
            "established_on": "2020-01-01",
            "member_count": 7,
        },
        {
            "id": "B1",
            "name": "一号支部",
            "kind": "branch",
            "parent_id": "C1",
            "chain_id": "C1",
            "enterprise_id": "E1",
            "established_on": "2021-03-01",
            "member_count": 12,
        },
        {
            "id": "J1",
            "name": "联合支部",
            "kind": "joint_branch",
            "parent_id": "C1",
            "chain_id": "C1",
            "enterprise_id": None,
            "established_on": "2024-02-10",
            "member_count": 4,
        },
    ],
    "enterprises": [
        {
            "id": "E1",
            "name": "甲食品",
            "chain_id": "C1",
            "segment": "upstream",
            "size": "large",
            "chain_leader": True,
            "employees": 500,
            "party_members": 12,
            "party_org_id": "B1",
        },
        {
            "id": "E2",
            "name": "乙包装",
            "chain_id": "C1",
            "segment": "downstream",
            "size": "small",
            "chain_leader": False,
            "employees": 30,
            "party_members": 2,
            "party_org_id": "J1",
        },
    ],
    "departments": [{"id": "D1", "name": "财政局"}, {"id": "D2", "name": "科技局"}],
    "cadres": [
        {
            "id": "K1",
            "name": "王一",
            "department_id": "D1",
            "enterprise_id": None,
            "title": "科员",
            "party_member": True,
        },
        {
            "id": "K2",
            "name": "李二",
            "department_id": "D2",
            "enterprise_id": None,
            "title": "副局长",
            "party_member": True,
        },
        {
            "id": "K3",
            "name": "张三",
            "department_id": None,
            "enterprise_id": "E1",
            "title": "书记",
            "party_member": True,
        },
    ],
    "chain_posts": [
        {"chain_id": "C1", "role": "leader", "cadre_id": "K2", "since": "2023-01-01"},
        {"chain_id": "C1", "role": "pioneer", "cadre_id": "K3", "since": "2023-01-01"},
    ],
    "activity_bases": [{"id": "S1", "name": "链上阵地", "org_id": "C1", "address": None, "opened_on": "2023-05-01"}],
    "activities": [
        {
            "id": "A1",
            "org_id": "B1",
            "date": "2024-03-31",
            "category": "member_education",
            "title": "学习",
            "base_id": "S1",
            "participants": 10,
            "co_hosts": ["J1"],
            "evidence": None,
        },
    ],
    "meetings": [
        {
            "id": "M1",
            "chain_id": "C1",
            "date": "2024-02-01",
            "kind": "routine",
            "issues_raised": 2,
            "issues_resolved": 1,
        },
    ],
    "requests": [
        {
            "id": "R1",
            "enterprise_id": "E1",
            "category": "finance",
            "title": "贷款",
            "submitted_at": "2024-01-02 09:00",
            "dispatched_at": "2024-01-02 10:00",
            "dispatched_by": "C1",
            "department_id": "D1",
            "accepted_at": "2024-01-03 10:00",
            "cadre_id": "K1",
            "due_on": None,
            "resolved_at": "2024-01-08 17:00",
            "status": "resolved",
            "satisfaction": "satisfied",
            "key_project": False,
            "batch_id": None,
            "reopened_from": None,
        },
        {
            "id": "R2",
            "enterprise_id": "E2",
            "category": "talent",
            "title": "招聘",
            "submitted_at": "2024-02-02 09:00",
            "dispatched_at": None,
            "dispatched_by": None,
            "department_id": None,
            "accepted_at": None,
            "cadre_id": None,
            "due_on": None,
            "resolved_at": None,
            "status": "submitted",
            "satisfaction": None,
            "key_project": False,
            "batch_id": None,
            "reopened_from": None,
        },
    ],
    "visits": [
        {
            "id": "V1",
            "cadre_id": "K1",
            "enterprise_id": "E2",
            "date": "2024-04-01",
            "policies_delivered": 2,
            "needs_recorded": 1,
        }
    ],
    "talent": [
        {
            "id": "T1",
            "person": "赵四",
            "enterprise_id": "E1",
            "track": "backbone_to_member",
            "date": "2024-06-01",
            "mentor_id": "K1",
        }
    ],
    "incidents": [],
    "waivers": [],
}


@pytest.fixture
def small() -> dict:
    """A deep copy of the small valid dataset, to modify in a test."""
    return copy.deepcopy(SMALL)


@pytest.fixture
def small_dir(tmp_path, small):
    return write_dataset(tmp_path / "data", small)
