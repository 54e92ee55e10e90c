"""Coverage facts ("one enterprise, one branch"): how each enterprise with party members is
covered, as one query over the dataset's tables (`Dataset.sql`)."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

from evalkit import hookimpl
from evalkit.facts import FactKind, FactTable


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
    table = dataset.sql(_COVERAGE, {"last": period.last_day, "period": str(period)}).to_arrow_table()
    return [FactTable("enterprise_coverage", table)]


#: Each enterprise with party members, the organisation covering it if established by the
#: period's last day, and whether that is a branch inside the enterprise itself.
_COVERAGE = """
SELECT enterprises.id AS subject, $period AS period, enterprises.party_members,
       CAST(coalesce(covering.kind = 'branch' AND covering.enterprise_id = enterprises.id, false) AS BIGINT)
           AS own_branch,
       CAST(covering.id IS NOT NULL AS BIGINT) AS covered,
       CASE WHEN covering.id IS NOT NULL THEN [covering.id] ELSE []::VARCHAR[] END AS "evidence:covering_org"
FROM enterprises
LEFT JOIN organizations covering
       ON covering.id = enterprises.party_org_id AND covering.established_on <= $last
WHERE enterprises.party_members >= 1
"""
