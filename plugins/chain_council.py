"""Chain council facts: routine meetings per quarter, the four posts and issue resolution per
period, as grouped queries over the dataset's tables (`Dataset.sql`)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from evalkit import hookimpl
from evalkit.facts import FactKind, FactTable

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
    quarters = ", ".join(f"({quarter.quarter}, '{quarter}')" for quarter in period.quarters())
    routine = dataset.sql(_ROUTINE.replace("$quarters", quarters), params).to_arrow_table()
    whole = dataset.sql(_PERIOD, params | {"period": str(period)}).to_arrow_table()
    return [FactTable("chain_quarter", routine), FactTable("chain_period", whole)]


#: Per chain committee and quarter of the period: its routine council meetings.
_ROUTINE = """
WITH chains AS (SELECT id FROM organizations WHERE kind = 'chain_committee'),
quarters(quarter, period) AS (VALUES $quarters),
held AS (
    SELECT chains.id AS subject, quarters.period,
           coalesce(list(meetings.id ORDER BY meetings.id) FILTER (WHERE meetings.id IS NOT NULL), []) AS ids
    FROM chains CROSS JOIN quarters
    LEFT JOIN meetings ON meetings.chain_id = chains.id AND meetings.kind = 'routine'
         AND quarter(meetings.date) = quarters.quarter AND meetings.date BETWEEN $first AND $last
    GROUP BY chains.id, quarters.period)
SELECT subject, period, len(ids) AS routine_meetings, ids AS "evidence:routine_meetings" FROM held
"""

#: Per chain committee over the period: the roles held on its last day and by whom, its
#: council meetings and their issues raised and resolved.
_PERIOD = f"""
WITH chains AS (SELECT id FROM organizations WHERE kind = 'chain_committee'),
held AS (
    SELECT chain_id, list(DISTINCT role) AS roles, list(DISTINCT cadre_id ORDER BY cadre_id) AS holders
    FROM chain_posts WHERE since <= $last GROUP BY chain_id),
met AS (
    SELECT chain_id, list(id ORDER BY id) AS ids, sum(issues_raised) AS raised, sum(issues_resolved) AS resolved
    FROM meetings WHERE date BETWEEN $first AND $last GROUP BY chain_id),
chained AS (
    SELECT chains.id AS subject, coalesce(held.roles, []) AS roles, coalesce(held.holders, []) AS holders,
           coalesce(met.ids, []) AS meetings, CAST(coalesce(met.raised, 0) AS BIGINT) AS raised,
           CAST(coalesce(met.resolved, 0) AS BIGINT) AS resolved
    FROM chains LEFT JOIN held ON held.chain_id = chains.id LEFT JOIN met ON met.chain_id = chains.id)
SELECT subject, $period AS period,
       {", ".join(f"CAST(list_contains(roles, '{role}') AS BIGINT) AS {role}" for role in ROLES)},
       len(roles) AS posts_held,
       array_to_string(list_filter({list(ROLES)!r}, lambda role: NOT list_contains(roles, role)), ', ')
           AS missing_posts,
       raised AS issues_raised, resolved AS issues_resolved,
       CASE WHEN raised > 0 THEN resolved / raised ELSE 0 END AS resolution_rate,
       holders AS "evidence:holders", meetings AS "evidence:meetings"
FROM chained
"""
