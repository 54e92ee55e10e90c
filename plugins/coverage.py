"""Coverage facts ("one enterprise, one branch"): how each enterprise with party members is covered."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from evalkit import hookimpl
from evalkit.facts import Fact, FactKind


@hookimpl
def evalkit_fact_kinds():
    fields = {
        "party_members": "the enterprise's party members",
        "own_branch": "1 when covered by a branch inside this enterprise established by the period's last day",
        "covered": "1 when covered by a branch or joint branch established by the period's last day",
    }
    doc = "one enterprise with party members, as of the period's last day"
    return [FactKind("enterprise_coverage", "enterprise", fields, doc, {"covering_org": "the covering organisation"})]


@hookimpl
def evalkit_rule_packs():
    return [Path(str(files("evalkit_rules") / "coverage.yaml"))]


@hookimpl
def evalkit_facts(dataset, period):
    organizations = dataset.by_id("organizations")
    facts = []
    for enterprise in dataset["enterprises"]:
        if enterprise["party_members"] < 1:
            continue  # no party members: no coverage finding
        org = organizations.get(enterprise["party_org_id"] or "")
        in_force = org is not None and org["established_on"] <= period.last_day
        own = in_force and org["kind"] == "branch" and org["enterprise_id"] == enterprise["id"]
        values = {"party_members": enterprise["party_members"], "own_branch": int(own), "covered": int(in_force)}
        evidence = {"covering_org": (org["id"],) if in_force else ()}
        facts.append(Fact("enterprise_coverage", enterprise["id"], period, values, evidence))
    return facts
