"""1+4 facts: for each branch and quarter, the activity bases it can use and its activities by kind.

An activity counts for its organiser and for each co-host; a base counts for its organisation
and for every organisation below it; an ancestor's own activities do not count for its branches.
The facts are one grouped query over the dataset's tables (`Dataset.sql`).
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from evalkit import hookimpl
from evalkit.facts import FactKind, FactTable
from evalkit.schema import BRANCH_KINDS

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
    quarters = ", ".join(
        f"({quarter.quarter}, '{quarter}', DATE '{quarter.first_day}', DATE '{quarter.last_day}')"
        for quarter in period.quarters()
    )
    query = _FACTS.replace("$quarters", quarters)
    table = dataset.sql(query, {"first": period.first_day, "last": period.last_day}).to_arrow_table()
    return [FactTable("branch_quarter", table)]


#: Per branch and quarter of the period: established after the quarter's first day or not, the
#: bases of the branch and its ancestors opened by its last day, and each category's activities
#: the branch organised or co-hosted in it: an activity once per organisation, however named (ids
#: are unique, so a co-host named twice or also the organiser is dropped from the list, not
#: the million activities made distinct).
_FACTS = f"""
WITH RECURSIVE
branches AS (SELECT _row, id, established_on FROM organizations WHERE kind IN {BRANCH_KINDS}),
quarters(quarter, period, first_day, last_day) AS (VALUES $quarters),
lineage(branch, org) AS (
    SELECT id, id FROM branches
    UNION ALL
    SELECT lineage.branch, organizations.parent_id FROM lineage
    JOIN organizations ON organizations.id = lineage.org WHERE organizations.parent_id IS NOT NULL),
bases AS (
    SELECT lineage.branch, quarters.quarter, list(activity_bases.id ORDER BY activity_bases.id) AS ids
    FROM lineage JOIN activity_bases ON activity_bases.org_id = lineage.org
    JOIN quarters ON activity_bases.opened_on <= quarters.last_day
    GROUP BY lineage.branch, quarters.quarter),
held AS (
    SELECT id, org, category, quarter(date) AS quarter FROM (
        SELECT id, org_id AS org, category, date FROM activities
        UNION ALL
        SELECT id, unnest(list_filter(list_distinct(co_hosts), lambda host: host <> org_id)), category, date
        FROM activities)
    WHERE date BETWEEN $first AND $last),
counted AS (
    SELECT org AS branch, quarter,
           {", ".join(f"list(id ORDER BY id) FILTER (WHERE category = '{c}') AS {c}" for c in CATEGORIES)}
    FROM held GROUP BY org, quarter)
SELECT subject, period, not_established, len(bases) AS bases,
       {", ".join(f"len({c}) AS {c}" for c in CATEGORIES)},
       bases AS "evidence:bases", {", ".join(f'{c} AS "evidence:{c}"' for c in CATEGORIES)}
FROM (
    SELECT branches.id AS subject, quarters.period,
           CAST(branches.established_on > quarters.first_day AS BIGINT) AS not_established,
           coalesce(bases.ids, []) AS bases, {", ".join(f"coalesce(counted.{c}, []) AS {c}" for c in CATEGORIES)}
    FROM branches CROSS JOIN quarters
    LEFT JOIN bases ON bases.branch = branches.id AND bases.quarter = quarters.quarter
    LEFT JOIN counted ON counted.branch = branches.id AND counted.quarter = quarters.quarter)
"""
