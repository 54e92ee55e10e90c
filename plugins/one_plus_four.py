"""1+4 facts: for each branch and quarter, the activity bases it can use and its activities by kind.

An activity counts for its organiser and for each co-host; a base counts for its organisation
and for every organisation below it; an ancestor's own activities do not count for its branches.
"""

from __future__ import annotations

from collections import defaultdict
from importlib.resources import files
from pathlib import Path

from evalkit import hookimpl
from evalkit.facts import Fact, FactKind

BRANCH_KINDS = ("branch", "joint_branch")
CATEGORIES = ("business_collaboration", "member_education", "model_publicity", "volunteer_service")


@hookimpl
def evalkit_fact_kinds():
    fields = {
        "not_established": "1 when the branch was established after the quarter's first day, else 0",
        "bases": "activity bases of the branch or an ancestor opened by the quarter's last day",
        **{category: f"{category} activities organised or co-hosted in the quarter" for category in CATEGORIES},
    }
    evidence = {"bases": "those bases", **{category: "those activities" for category in CATEGORIES}}
    return [FactKind("branch_quarter", "organization", fields, "one branch (or joint branch) in one quarter", evidence)]


@hookimpl
def evalkit_rule_packs():
    return [Path(str(files("evalkit_rules") / "one_plus_four.yaml"))]


@hookimpl
def evalkit_facts(dataset, period):
    organizations = dataset.by_id("organizations")
    # (organisation, quarter number, category) -> activity ids; a number, not a Period, since a
    # province hashes these keys millions of times (the period's quarters share its year).
    activities = defaultdict(list)
    quarters = period.quarters()
    first, last = period.first_day, period.last_day
    for id_, host, co_hosts, category, day in dataset.columns(
        "activities", "id", "org_id", "co_hosts", "category", "date"
    ):
        if not first <= day <= last:
            continue
        quarter = (day.month - 1) // 3 + 1
        if not co_hosts:  # most activities: one organiser, no set to make
            activities[(host, quarter, category)].append(id_)
            continue
        for org in {host, *co_hosts}:
            activities[(org, quarter, category)].append(id_)
    bases = defaultdict(list)
    for base in dataset["activity_bases"]:
        bases[base["org_id"]].append(base)
    facts = []
    for branch in organizations.values():
        if branch["kind"] not in BRANCH_KINDS:
            continue
        lineage = _lineage(branch["id"], organizations)
        for quarter in quarters:
            available = sorted(b["id"] for org in lineage for b in bases[org] if b["opened_on"] <= quarter.last_day)
            evidence = {"bases": tuple(available)}
            values = {"not_established": int(branch["established_on"] > quarter.first_day), "bases": len(available)}
            for category in CATEGORIES:
                evidence[category] = tuple(sorted(activities[(branch["id"], quarter.quarter, category)]))
                values[category] = len(evidence[category])
            facts.append(Fact("branch_quarter", branch["id"], quarter, values, evidence))
    return facts


def _lineage(org_id: str, organizations: dict) -> list[str]:
    """The organisation and its ancestors up to the root (the dataset has no cycles: validated)."""
    lineage = []
    while org_id is not None:
        lineage.append(org_id)
        org_id = organizations[org_id]["parent_id"]
    return lineage
