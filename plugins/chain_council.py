"""Chain council facts: routine meetings per quarter, the four posts and issue resolution per
period, as grouped queries over the dataset's tables (`Dataset.sql`)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from evalkit import Period, hookimpl
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
    params = {"first": period.first_day, "last": period.last_day}
    facts = []
    for chain, quarter, meetings in dataset.sql(_ROUTINE, params).fetchall():
        values, evidence = {"routine_meetings": len(meetings)}, {"routine_meetings": tuple(meetings)}
        facts.append(Fact("chain_quarter", chain, Period(period.year, quarter), values, evidence))
    if not period.is_year:  # a quarter's own fact is its only quarter's
        facts = [fact for fact in facts if fact.period == period]
    for chain, roles, holders, meetings, raised, resolved in dataset.sql(_PERIOD, params).fetchall():
        held = set(roles)
        values = {
            **{role: int(role in held) for role in ROLES},
            "posts_held": len(held),
            "missing_posts": ", ".join(role for role in ROLES if role not in held),
            "issues_raised": raised,
            "issues_resolved": resolved,
            "resolution_rate": resolved / raised if raised else 0,
        }
        evidence = {"holders": tuple(holders), "meetings": tuple(meetings)}
        facts.append(Fact("chain_period", chain, period, values, evidence))
    return facts


#: Per chain committee and quarter of the year: its routine council meetings (a quarter's are
#: counted within the period asked for only).
_ROUTINE = """
WITH chains AS (SELECT id FROM organizations WHERE kind = 'chain_committee'),
quarters(quarter) AS (VALUES (1), (2), (3), (4))
SELECT chains.id, quarters.quarter,
       coalesce(list(meetings.id ORDER BY meetings.id) FILTER (WHERE meetings.id IS NOT NULL), [])
FROM chains CROSS JOIN quarters
LEFT JOIN meetings ON meetings.chain_id = chains.id AND meetings.kind = 'routine'
     AND quarter(meetings.date) = quarters.quarter AND meetings.date BETWEEN $first AND $last
GROUP BY chains.id, quarters.quarter ORDER BY chains.id, quarters.quarter
"""

#: Per chain committee over the period: the roles held on its last day and by whom, its
#: council meetings and their issues raised and resolved.
_PERIOD = """
WITH chains AS (SELECT id FROM organizations WHERE kind = 'chain_committee'),
held AS (
    SELECT chain_id, list(DISTINCT role) AS roles, list(DISTINCT cadre_id ORDER BY cadre_id) AS holders
    FROM chain_posts WHERE since <= $last GROUP BY chain_id),
met AS (
    SELECT chain_id, list(id ORDER BY id) AS ids, sum(issues_raised) AS raised, sum(issues_resolved) AS resolved
    FROM meetings WHERE date BETWEEN $first AND $last GROUP BY chain_id)
SELECT chains.id, coalesce(held.roles, []), coalesce(held.holders, []), coalesce(met.ids, []),
       CAST(coalesce(met.raised, 0) AS BIGINT), CAST(coalesce(met.resolved, 0) AS BIGINT)
FROM chains LEFT JOIN held ON held.chain_id = chains.id LEFT JOIN met ON met.chain_id = chains.id
ORDER BY chains.id
"""
