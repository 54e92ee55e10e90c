"""Organisational life (组织生活) facts: for each branch and quarter, its meetings of each kind and
the months of the quarter without one; for a year, its 组织生活会 and 民主评议党员.

A month, quarter or year is checked only when the branch was established by its first day: a
quarter's monthly counts cover only its checked months, and name the months missing a meeting in
both languages (`2024-07, 2024-09` / `7月、9月`) for the messages. A meeting of several kinds
counts for each. The facts are grouped queries over the dataset's tables (`Dataset.sql`); the
rules (rules/branch_life.yaml) decide. The pack needs `branch_meetings`: a dataset without that
ledger leaves it out (`needs`), so these facts are never asked for there.
"""

from __future__ import annotations

from datetime import date
from importlib.resources import files
from pathlib import Path

from evalkit import hookimpl
from evalkit.facts import FactKind, FactTable
from evalkit.schema import BRANCH_KINDS

#: The meetings every checked month needs (a rule each), by the name of their fact fields.
MONTHLY = {"committee": "committee_meeting", "party_group": "group_meeting", "theme_day": "theme_day"}
#: The meetings a quarter needs, and those a year needs, by the name of their count field.
QUARTERLY = {"general_meetings": "general_meeting", "party_lectures": "party_lecture"}
YEARLY = {"life_meetings": "life_meeting", "member_reviews": "member_review"}


@hookimpl
def evalkit_fact_kinds():
    quarter_fields = {
        "not_established": "1 when the branch was established after the quarter's first day, else 0",
        "checked_months": "months of the quarter on whose first day the branch was established (0 to 3)",
        "has_committee": "1 when the branch has a committee (has_committee; blank: member_count ≥ 7), else 0",
        "party_groups": "the branch's party groups (party_groups; blank: 0)",
        **{field: f"{kind} meetings in the quarter" for field, kind in QUARTERLY.items()},
        "quorum_counted": "general meetings of the quarter giving both voting_present and voting_members",
        "quorum_short": "of those, the meetings with voting_present × 2 < voting_members",
    }
    for name, kind in MONTHLY.items():
        quarter_fields[f"{name}_gaps"] = f"checked months of the quarter without a {kind}"
        quarter_fields[f"{name}_gap_months"] = "those months, as 2024-07, 2024-09 (empty when none)"
        quarter_fields[f"{name}_gap_months_zh"] = "those months, as 7月、9月 (empty when none)"
    quarter_evidence = {
        **{field: f"the {kind} meetings" for field, kind in QUARTERLY.items()},
        **{name: f"the {kind} meetings" for name, kind in MONTHLY.items()},
        "short_meetings": "the general meetings with fewer than half the voting members present",
    }
    year_fields = {
        "not_established": "1 when the branch was established after the year's first day, else 0",
        **{field: f"{kind} meetings in the year" for field, kind in YEARLY.items()},
    }
    year_evidence = {field: f"the {kind} meetings" for field, kind in YEARLY.items()}
    return [
        FactKind(
            "branch_life_quarter",
            "organization",
            quarter_fields,
            "one branch (or joint branch) in one quarter: its organisational life",
            quarter_evidence,
        ),
        FactKind(
            "branch_life_year",
            "organization",
            year_fields,
            "one branch (or joint branch) in one year (built for year periods only)",
            year_evidence,
        ),
    ]


@hookimpl
def evalkit_rule_packs():
    return [Path(str(files("evalkit_rules") / "branch_life.yaml"))]


@hookimpl
def evalkit_facts(dataset, period):
    months = ", ".join(
        f"('{quarter}', DATE '{quarter.first_day}', DATE '{date(quarter.year, month, 1)}')"
        for quarter in period.quarters()
        for month in range(3 * quarter.quarter - 2, 3 * quarter.quarter + 1)
    )
    bounds = {"first": period.first_day, "last": period.last_day}
    tables = [
        FactTable("branch_life_quarter", dataset.sql(_QUARTERS.replace("$months", months), bounds).to_arrow_table())
    ]
    if period.is_year:
        year = dataset.sql(_YEAR, {**bounds, "period": str(period)}).to_arrow_table()
        tables.append(FactTable("branch_life_year", year))
    return tables


def _ids(kind: str, where: str = "") -> str:
    """The ids of the held meetings of `kind` (and `where`), sorted, as a list (empty when none)."""
    return f"coalesce(list(id ORDER BY id) FILTER (WHERE list_contains(kind, '{kind}'){where}), [])"


#: The meetings of the period, each with the first day of its month and of its quarter.
_HELD = f"""
branches AS (
    SELECT id, established_on, CAST(coalesce(has_committee, member_count >= 7) AS BIGINT) AS has_committee,
           coalesce(party_groups, 0) AS party_groups
    FROM organizations WHERE kind IN {BRANCH_KINDS}),
held AS (
    SELECT id, org_id AS branch, kind, voting_present, voting_members,
           CAST(date_trunc('month', date) AS DATE) AS month, CAST(date_trunc('quarter', date) AS DATE) AS quarter
    FROM branch_meetings WHERE date BETWEEN $first AND $last)"""

#: Each checked month's meetings of each monthly kind (`MONTHLY`), and per quarter the checked
#: months without one: counted, and named in English and Chinese.
_MONTHLY_COUNTS = ", ".join(
    f"count(held.id) FILTER (WHERE list_contains(held.kind, '{kind}')) AS {name}" for name, kind in MONTHLY.items()
)
_GAPS = ", ".join(
    f"""count(*) FILTER (WHERE checked AND {name} = 0) AS {name}_gaps,
    coalesce(string_agg(strftime(month, '%Y-%m'), ', ' ORDER BY month) FILTER (WHERE checked AND {name} = 0), '')
        AS {name}_gap_months,
    coalesce(string_agg(month(month) || '月', '、' ORDER BY month) FILTER (WHERE checked AND {name} = 0), '')
        AS {name}_gap_months_zh"""
    for name in MONTHLY
)

#: Per branch and quarter of the period: whether it was established on the quarter's first day,
#: how many of its months were checked, each checked month's committee, group and theme-day
#: meetings (the months without one counted and named), and the quarter's general meetings,
#: party lectures and quorums (voting_present × 2 ≥ voting_members: half is enough).
_QUARTERS = f"""
WITH {_HELD},
months(period, quarter, month) AS (VALUES $months),
monthly AS (
    SELECT branches.id AS branch, months.period, months.quarter, months.month,
           branches.established_on <= months.month AS checked,
           {_MONTHLY_COUNTS}
    FROM branches CROSS JOIN months
    LEFT JOIN held ON held.branch = branches.id AND held.month = months.month
    GROUP BY ALL),
gaps AS (
    SELECT branch, period, quarter, count(*) FILTER (WHERE checked) AS checked_months,
           {_GAPS}
    FROM monthly GROUP BY branch, period, quarter),
counted AS (
    SELECT branch, quarter,
           {", ".join(f"{_ids(kind)} AS {field}" for field, kind in QUARTERLY.items())},
           {", ".join(f"{_ids(kind)} AS {name}" for name, kind in MONTHLY.items())},
           count(*) FILTER (WHERE list_contains(kind, 'general_meeting') AND voting_present IS NOT NULL
                            AND voting_members IS NOT NULL) AS quorum_counted,
           {_ids("general_meeting", " AND voting_present * 2 < voting_members")} AS short_meetings
    FROM held GROUP BY branch, quarter)
SELECT gaps.branch AS subject, gaps.period,
       CAST(branches.established_on > gaps.quarter AS BIGINT) AS not_established, gaps.checked_months,
       branches.has_committee, branches.party_groups,
       {", ".join(f"len(coalesce(counted.{field}, [])) AS {field}" for field in QUARTERLY)},
       coalesce(counted.quorum_counted, 0) AS quorum_counted,
       len(coalesce(counted.short_meetings, [])) AS quorum_short,
       {", ".join(f"gaps.{name}_gaps, gaps.{name}_gap_months, gaps.{name}_gap_months_zh" for name in MONTHLY)},
       {", ".join(f'coalesce(counted.{field}, []) AS "evidence:{field}"' for field in [*QUARTERLY, *MONTHLY])},
       coalesce(counted.short_meetings, []) AS "evidence:short_meetings"
FROM gaps JOIN branches ON branches.id = gaps.branch
LEFT JOIN counted ON counted.branch = gaps.branch AND counted.quarter = gaps.quarter
"""

#: Per branch, for a year period: whether it was established on the year's first day, and its
#: 组织生活会 and 民主评议党员 of the year.
_YEAR = f"""
WITH {_HELD},
counted AS (
    SELECT branch, {", ".join(f"{_ids(kind)} AS {field}" for field, kind in YEARLY.items())}
    FROM held GROUP BY branch)
SELECT branches.id AS subject, $period AS period,
       CAST(branches.established_on > $first AS BIGINT) AS not_established,
       {", ".join(f"len(coalesce(counted.{field}, [])) AS {field}" for field in YEARLY)},
       {", ".join(f'coalesce(counted.{field}, []) AS "evidence:{field}"' for field in YEARLY)}
FROM branches LEFT JOIN counted ON counted.branch = branches.id
"""
