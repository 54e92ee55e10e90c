"""Chain council facts: routine meetings per quarter, the four posts and issue resolution per period."""

from __future__ import annotations

from collections import defaultdict
from importlib.resources import files
from pathlib import Path

from evalkit import hookimpl
from evalkit.facts import Fact, FactKind

ROLES = ("leader", "instructor", "liaison", "pioneer")


@hookimpl
def evalkit_fact_kinds():
    return [
        FactKind(
            "chain_quarter",
            "organization",
            {"routine_meetings": "routine council meetings held in the quarter"},
            "one chain committee in one quarter",
            {"routine_meetings": "those meetings"},
        ),
        FactKind(
            "chain_period",
            "organization",
            {
                **{role: f"1 when a {role} holds the post on the period's last day, else 0" for role in ROLES},
                "posts_held": "how many of the four posts are held on the period's last day",
                "missing_posts": "the posts not held, comma separated",
                "issues_raised": "issues raised at the period's council meetings",
                "issues_resolved": "issues resolved at the period's council meetings",
                "resolution_rate": "issues_resolved / issues_raised (0 when none raised)",
            },
            "one chain committee over the whole period, as of its last day",
            {"holders": "the post holders' cadre ids", "meetings": "the period's council meetings"},
        ),
    ]


@hookimpl
def evalkit_rule_packs():
    return [Path(str(files("evalkit_rules") / "chain_council.yaml"))]


@hookimpl
def evalkit_facts(dataset, period):
    chains = sorted(o["id"] for o in dataset["organizations"] if o["kind"] == "chain_committee")
    meetings = defaultdict(list)
    for meeting in dataset["meetings"]:
        if period.contains(meeting["date"]):
            meetings[meeting["chain_id"]].append(meeting)
    posts = defaultdict(list)
    for post in dataset["chain_posts"]:
        if post["since"] <= period.last_day:
            posts[post["chain_id"]].append(post)
    facts = []
    for chain in chains:
        for quarter in period.quarters():
            routine = sorted(m["id"] for m in meetings[chain] if m["kind"] == "routine" and quarter.contains(m["date"]))
            facts.append(
                Fact(
                    "chain_quarter",
                    chain,
                    quarter,
                    {"routine_meetings": len(routine)},
                    {"routine_meetings": tuple(routine)},
                )
            )
        held = {post["role"] for post in posts[chain]}
        raised = sum(m["issues_raised"] for m in meetings[chain])
        resolved = sum(m["issues_resolved"] for m in meetings[chain])
        values = {
            **{role: int(role in held) for role in ROLES},
            "posts_held": len(held),
            "missing_posts": ", ".join(role for role in ROLES if role not in held),
            "issues_raised": raised,
            "issues_resolved": resolved,
            "resolution_rate": resolved / raised if raised else 0,
        }
        evidence = {
            "holders": tuple(sorted({post["cadre_id"] for post in posts[chain]})),
            "meetings": tuple(sorted(m["id"] for m in meetings[chain])),
        }
        facts.append(Fact("chain_period", chain, period, values, evidence))
    return facts
