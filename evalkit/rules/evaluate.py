"""The facts → rules arrow: the packs' rules over the fact tables, giving findings and decisions.

The engine decides; this module only translates, in SQL over the fact tables. A condition
reads only its fact's fields, so the engine is asked once per distinct combination of a fact's
kind and the fields its rules read, and each answer joins back to every fact with those values:
a province's million facts are a few thousand questions. A check rule gives one finding per
fact of its kind: `skip` when its skip rule fired, `fail` when its `when` rule fired (`waived`
when a waiver covers it), `pass` otherwise. Failed and waived findings are facts in turn, of
kind `finding`, so chained rules (OPF10) judge the engine's own findings. Score rules give
decisions instead: per fact, did `skip_when` match (an indicator is n/a) and did `when` match
(an item earns its points, a veto holds); the scoring step turns them into points.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from ..facts import FactKind, evidence_column
from ..periods import Period
from .engine import EngineRule, RuleEngine, fields_read
from .findings import Findings
from .packs import DECIDED_ROLES, CompiledRule

#: The columns of the findings table, in order (`Findings` reads them).
FINDING_COLUMNS = (
    "rule, pack, subject, subject_kind, period, year, quarter, status, severity, evidence, "
    "waiver_reason, waiver_by, fact_kind, fact_row, quarters, waiver_file, waiver_row, waiver_expired"
)
#: No waivers, as the table `evaluate` reads them: the audit view (`check --no-waivers`).
NO_WAIVERS = (
    "(SELECT NULL::VARCHAR AS rule, NULL::VARCHAR AS subject_id, NULL::VARCHAR AS period, NULL::VARCHAR AS reason, "
    "NULL::VARCHAR AS approved_by, NULL::DATE AS expires_on, NULL::VARCHAR AS _file, NULL::BIGINT AS _row WHERE false)"
)


class RuleError(Exception):
    """A rule could not be decided for one subject."""

    def __init__(self, rule: str, subject: str, error: BaseException):
        self.rule, self.subject, self.error = rule, subject, error
        super().__init__(f"rule {rule} on {subject}: {type(error).__name__}: {error}")


@dataclass
class RunError:
    """Something that failed while running; the results it names are missing."""

    plugin: str
    error: str
    rules: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"plugin": self.plugin, "error": self.error, "rules": self.rules, "subjects": self.subjects}


@dataclass
class Evaluation:
    """A run's results: the fact tables (by kind), the findings, what failed, and the score
    rules' decisions (rule, kind, fact: the fact's row in its kind's table, subject,
    subject_kind, skipped, matched)."""

    period: Period
    facts: dict[str, pa.Table]
    findings: Findings
    errors: list[RunError]
    decisions: pa.Table | None = None
    unused_waivers: list[UnusedWaiver] = field(default_factory=list)
    audit: bool = False  # waivers ignored (--no-waivers)


@dataclass(frozen=True)
class UnusedWaiver:
    """A waiver that could have waived a finding of this run and waived none (`unused_waivers`)."""

    file: str
    row: int
    rule: str
    subject: str
    period: str | None

    def text(self, lang: str) -> str:
        period = f" {self.period}" if self.period else ""
        if lang == "zh":
            return (
                f"{self.file} 第{self.row}行（{self.rule} {self.subject}{period}）未使用：本次运行中它没有豁免任何结果"
                "（可删除，或核对其规则、对象和期间）"
            )
        return (
            f"{self.file}:{self.row} ({self.rule} {self.subject}{period}) is unused: it waived no finding in this run "
            "(remove it, or check its rule, subject and period)"
        )

    def to_json(self, lang: str) -> dict:
        return {
            "kind": "unused_waiver",
            "waiver": f"{self.file}:{self.row}",
            "rule": self.rule,
            "subject": self.subject,
            "period": self.period,
            "message": self.text(lang),
        }


def unused_waivers(connection, findings: pa.Table, waivers: str, period: Period) -> list[UnusedWaiver]:
    """The waivers whose rule was evaluated for their subject in this run (a finding of the rule
    names the subject), whose period overlaps the run's, and that no finding cites, neither as
    its waiver nor as one that expired (that one the finding's report names already)."""
    connection.register("evalkit_unused_findings", findings.select(["rule", "subject", "waiver_file", "waiver_row"]))
    try:
        rows = connection.execute(
            f"""SELECT CAST(w._file AS VARCHAR) AS file, w._row, w.rule, w.subject_id, w.period
                FROM {waivers} w
                WHERE EXISTS (SELECT 1 FROM evalkit_unused_findings f
                              WHERE f.rule = w.rule AND f.subject = w.subject_id)
                  AND NOT EXISTS (SELECT 1 FROM evalkit_unused_findings f
                                  WHERE f.waiver_file = CAST(w._file AS VARCHAR) AND f.waiver_row = w._row)
                ORDER BY file, w._row"""
        ).fetchall()
    finally:
        connection.unregister("evalkit_unused_findings")
    return [
        UnusedWaiver(file, row, rule, subject, waived)
        for file, row, rule, subject, waived in rows
        if waived is None or _overlap(Period.parse(waived), period)
    ]


def _overlap(one: Period, other: Period) -> bool:
    return one.first_day <= other.last_day and other.first_day <= one.last_day


def engine_rules(rules: Sequence[CompiledRule]) -> list[EngineRule]:
    """One engine rule per outcome a pack rule can have (fail, skip, applies, chained)."""
    compiled = []
    for rule in rules:
        rid, kind = rule.spec.id, rule.spec.fact
        if rule.when is not None:
            compiled.append(EngineRule(f"{rid}:when", kind, rule.when))
        if rule.skip is not None:
            compiled.append(EngineRule(f"{rid}:skip", kind, rule.skip))
        if rule.applies is not None:
            compiled.append(EngineRule(f"{rid}:applies", kind, rule.applies))
        if rule.chain_findings is not None:
            # The engine picks the findings that count; the distinct quarters among them are
            # tallied afterwards. Joins over derived facts crash durable-rules (docs/engine.md).
            compiled.append(EngineRule(f"{rid}:chain", "finding", rule.chain_findings))
    return compiled


def engines(rules: Sequence[EngineRule]) -> dict[str, RuleEngine]:
    """An engine per fact kind: a fact is asserted only among its own kind's rules."""
    kinds = dict.fromkeys(rule.kind for rule in rules)
    return {kind: RuleEngine([rule for rule in rules if rule.kind == kind]) for kind in kinds}


def _name(text: str) -> str:
    """`text` as an SQL identifier."""
    return '"' + text.replace('"', '""') + '"'


def _literal(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


class _Judge:
    """Asks the engine about tables of facts, once per distinct fact, and joins the answers back.

    Each table gets one boolean column per engine rule of its kind (named after the rule), and
    `_failed`: the error of a fact the engine could not judge (or NULL)."""

    def __init__(self, rules: list[EngineRule]):
        self.reads: dict[str, set[str]] = defaultdict(set)
        self.of_kind: dict[str, list[str]] = defaultdict(list)
        for rule in rules:
            self.reads[rule.kind] |= fields_read(rule.condition)
            self.of_kind[rule.kind].append(rule.name)
        self.engines = engines(rules)

    def judged(self, kind: str, table: pa.Table) -> pa.Table:
        """`table` with the outcome columns of `kind`'s rules. The engine answers each distinct
        combination of the fields the rules read once; each fact takes its combination's answer
        by row, so the facts' own columns are not copied and the rules read a table."""
        fields = sorted(self.reads.get(kind, ()))
        keys, at = _distinct(table, fields)
        engine = self.engines.get(kind) or RuleEngine([])
        fired, failed = engine.judge([{"kind": kind, **dict(zip(fields, key, strict=True))} for key in keys])
        for name in self.of_kind.get(kind, []):
            table = table.append_column(name, pa.array([name in answer for answer in fired], pa.bool_()).take(at))
        error_of = dict(failed)
        errors = pa.array([str(error_of[n]) if n in error_of else None for n in range(len(keys))], pa.string())
        return table.append_column("_failed", errors.take(at))


def _distinct(table: pa.Table, fields: list[str]) -> tuple[list[tuple], pa.Array]:
    """The distinct combinations of `fields` in `table`, in ascending order (the order the
    engine is asked them), and each row's number among them. Grouped in Arrow: a fact kind's
    table is already one, and a query here cost a millisecond or more per kind at any size."""
    if not fields:  # the rules read no field: one question for every fact
        return [()] * bool(table.num_rows), pa.repeat(pa.scalar(0, pa.int64()), table.num_rows)
    rows = table.select(fields).append_column("_row", pa.array(range(table.num_rows), pa.int64()))
    grouped = rows.group_by(fields, use_threads=False).aggregate([("_row", "list")])
    grouped = grouped.sort_by([(name, "ascending") for name in fields])
    members = grouped["_row_list"].combine_chunks()
    # each group's rows, flattened, are a permutation of the rows: its sort order inverts it
    at = pc.list_parent_indices(members).take(pc.sort_indices(pc.list_flatten(members)))
    return list(zip(*(grouped[name].to_pylist() for name in fields), strict=True)), at


def evaluate(
    connection,
    period: Period,
    rules: Sequence[CompiledRule],
    facts: dict[str, pa.Table],
    fact_kinds: dict[str, FactKind],
    waivers: str,
    subjects: set[str] | None = None,
) -> tuple[pa.Table, pa.Table, list[RuleError]]:
    """Evaluate `rules` over the fact tables (optionally only `subjects`) in `connection`, where
    `waivers` names the table of waivers (rule, subject_id, period, reason, approved_by,
    expires_on, _file, _row; `NO_WAIVERS` for none).

    Returns the findings table (sorted by subject, period and rule), the decisions table and
    the rules the engine could not decide.
    """
    compiled = engine_rules(rules)
    judge = _Judge(compiled)
    findings, decisions, errors = [], [], []
    views: dict[str, str] = {}  # kind → its facts with their outcomes (registered tables)
    try:
        for number, (kind, table) in enumerate(sorted(facts.items())):
            table = table.append_column("fact", pa.array(range(table.num_rows), pa.int64()))  # its row in `facts`
            if subjects is not None:
                table = table.filter(
                    pc.is_in(table.column("subject"), value_set=pa.array(sorted(subjects), pa.string()))
                )
            outcomes = views[kind] = f"evalkit_outcomes_{number}"
            judged = judge.judged(kind, table)
            connection.register(outcomes, judged)
            if judged["_failed"].null_count < judged.num_rows:
                errors += [
                    RuleError("(engine)", subject, RuntimeError(error))
                    for subject, error in connection.execute(
                        f"SELECT DISTINCT subject, _failed FROM {outcomes} WHERE _failed IS NOT NULL ORDER BY ALL"
                    ).fetchall()
                ]
            for rule in rules:
                if rule.spec.fact != kind:
                    continue
                if rule.role == "check":
                    findings.append(_checked(rule, kind, outcomes))
                elif rule.role in DECIDED_ROLES:
                    decisions.append(_decided(rule, rules.index(rule), kind, outcomes))
        checks = " UNION ALL ".join(findings) or _NO_FINDINGS
        # a table, not a view: the chained rules read it, and then the findings' query does
        connection.execute(f"CREATE OR REPLACE TEMP TABLE evalkit_checked AS {_waived(checks, waivers)}")
        chained = _chained(connection, judge, rules, period, views, fact_kinds, waivers)
        table = connection.sql(
            f"SELECT {FINDING_COLUMNS} FROM (SELECT * FROM evalkit_checked{chained}) "
            "ORDER BY subject, year, coalesce(nullif(quarter, 0), 5), rule, fact_row"
        ).to_arrow_table()
        decided = connection.sql(
            f"SELECT * EXCLUDE (place) FROM ({' UNION ALL '.join(decisions) or _NO_DECISIONS}) ORDER BY place, fact"
        ).to_arrow_table()
    finally:
        for view in views.values():
            connection.unregister(view)
        connection.execute("DROP TABLE IF EXISTS evalkit_checked")
    errors.sort(key=lambda error: (error.subject, error.rule))
    return table, decided, errors


_NO_FINDINGS = (
    "SELECT NULL::VARCHAR AS rule, NULL::VARCHAR AS pack, NULL::VARCHAR AS subject, NULL::VARCHAR AS subject_kind, "
    "NULL::VARCHAR AS period, NULL::BIGINT AS year, NULL::BIGINT AS quarter, NULL::VARCHAR AS status, "
    "NULL::VARCHAR AS severity, NULL::VARCHAR[] AS evidence, NULL::VARCHAR AS fact_kind, NULL::BIGINT AS fact_row, "
    "NULL::VARCHAR AS quarters WHERE false"
)
_NO_DECISIONS = (
    "SELECT NULL::VARCHAR AS rule, NULL::VARCHAR AS kind, NULL::BIGINT AS fact, NULL::VARCHAR AS subject, "
    "NULL::VARCHAR AS subject_kind, NULL::BOOLEAN AS skipped, NULL::BOOLEAN AS matched, 0 AS place WHERE false"
)


def _outcome(rule: CompiledRule, outcome: str) -> str:
    """Whether the rule's `outcome` fired on a fact (false when the rule has no such condition)."""
    present = {"when": rule.when, "skip": rule.skip, "applies": rule.applies}[outcome] is not None
    return _name(f"{rule.spec.id}:{outcome}") if present else "false"


def _checked(rule: CompiledRule, kind: str, outcomes: str) -> str:
    """A check rule's findings, one per fact of its kind (where the rule applies)."""
    spec = rule.spec
    skipped, failed = _outcome(rule, "skip"), _outcome(rule, "when")
    status = f"CASE WHEN {skipped} THEN 'skip' WHEN {failed} THEN 'fail' ELSE 'pass' END"
    evidence = "[]::VARCHAR[]"
    if spec.evidence:
        evidence = f"CASE WHEN {skipped} THEN {evidence} ELSE list_sort({_name(evidence_column(spec.evidence))}) END"
    where = f" WHERE {_outcome(rule, 'applies')}" if rule.applies is not None else ""
    return (
        f"SELECT {_literal(spec.id)} AS rule, {_literal(rule.pack)} AS pack, subject, subject_kind, period, year, "
        f"quarter, {status} AS status, {_literal(spec.severity)} AS severity, {evidence} AS evidence, "
        f"{_literal(kind)} AS fact_kind, fact AS fact_row, NULL::VARCHAR AS quarters FROM {outcomes}{where}"
    )


def _decided(rule: CompiledRule, place: int, kind: str, outcomes: str) -> str:
    """A score rule's decisions, one per fact of its kind (where the rule applies); `place` is
    the rule's among the rules, the decisions' order."""
    where = f" WHERE {_outcome(rule, 'applies')}" if rule.applies is not None else ""
    return (
        f"SELECT {_literal(rule.spec.id)} AS rule, {_literal(kind)} AS kind, fact, subject, subject_kind, "
        f"{_outcome(rule, 'skip')} AS skipped, {_outcome(rule, 'when')} AS matched, {place} AS place "
        f"FROM {outcomes}{where}"
    )


def _waived(findings: str, waivers: str) -> str:
    """`findings` with each failed one covered by a waiver (the first in the file that names its
    rule and subject, whose period holds the finding's, and that has not expired by the last day
    of the finding's period) turned `waived`, with its reason and its file and row. A failed one
    that only expired waivers name stays failed and names the first of them (`waiver_expired`:
    its expiry), so the report says why it was not waived."""
    return f"""
        WITH found AS ({findings}),
        matching AS (
            SELECT found.rule, found.subject, found.period, w.reason, w.approved_by, w.expires_on, w._row,
                   CAST(w._file AS VARCHAR) AS file,
                   w.expires_on IS NULL OR w.expires_on >= CASE WHEN found.quarter = 0
                       THEN make_date(found.year, 12, 31)
                       ELSE last_day(make_date(found.year, found.quarter * 3, 1)) END AS holds
            FROM (SELECT DISTINCT rule, subject, period, year, quarter FROM found WHERE status = 'fail') found
            JOIN {waivers} w ON w.rule = found.rule AND w.subject_id = found.subject
                 AND (w.period IS NULL OR w.period = found.period OR w.period = CAST(found.year AS VARCHAR))),
        covering AS (  -- the first waiver that holds, else the first that expired, each whole (by file, then row)
            SELECT rule, subject, period,
                   arg_min({{'reason': reason, 'by': approved_by, 'file': file, 'row': _row}}, (file, _row))
                       FILTER (WHERE holds) AS held,
                   arg_min({{'file': file, 'row': _row, 'on': expires_on}}, (file, _row))
                       FILTER (WHERE NOT holds) AS expired
            FROM matching GROUP BY rule, subject, period)
        SELECT found.* REPLACE (CASE WHEN found.status = 'fail' AND covering.held IS NOT NULL
                                     THEN 'waived' ELSE found.status END AS status),
               covering.held.reason AS waiver_reason, covering.held.by AS waiver_by,
               CASE WHEN found.status = 'fail' THEN coalesce(covering.held.file, covering.expired.file) END
                   AS waiver_file,
               CASE WHEN found.status = 'fail' THEN coalesce(covering.held.row, covering.expired.row) END AS waiver_row,
               CASE WHEN found.status = 'fail' AND covering.held IS NULL THEN covering.expired.on END
                   AS waiver_expired
        FROM found LEFT JOIN covering USING (rule, subject, period)"""


def _chained(connection, judge: _Judge, rules, period: Period, views: dict[str, str], fact_kinds, waivers) -> str:
    """The chained rules' findings, as more rows for the findings' UNION (or ""): the check
    rules' failed and waived findings, judged as facts of kind `finding`; a chained rule counts
    the distinct quarters of those it picks, per subject having facts of its kind (in `views`)."""
    chains = [
        rule
        for rule in rules
        if rule.role == "chain" and rule.spec.fact in views and (period.is_year or not rule.spec.only_for_year)
    ]
    if not chains:
        return ""
    derived = connection.sql(
        "SELECT rule, pack, subject, status, period, year, quarter FROM evalkit_checked "
        "WHERE status IN ('fail', 'waived')"
    ).to_arrow_table()
    views["finding"] = "evalkit_derived_outcomes"
    connection.register(views["finding"], judge.judged("finding", derived))
    parts = []
    for rule in chains:
        spec = rule.spec
        failed = f"len(quarters) >= {rule.chain_count}"
        parts.append(
            f"""SELECT {_literal(spec.id)} AS rule, {_literal(rule.pack)} AS pack, subject,
                       {_literal(fact_kinds[spec.fact].subject_kind)} AS subject_kind,
                       {_literal(str(period))} AS period,
                       {period.year} AS year, {period.quarter or 0} AS quarter,
                       CASE WHEN {failed} THEN 'fail' ELSE 'pass' END AS status, {_literal(spec.severity)} AS severity,
                       CASE WHEN {failed} THEN matched ELSE []::VARCHAR[] END AS evidence,
                       NULL::VARCHAR AS fact_kind, NULL::BIGINT AS fact_row, array_to_string(quarters, ', ') AS quarters
                FROM (
                    SELECT subjects.subject,
                           coalesce(list(DISTINCT picked.period ORDER BY picked.period), []) AS quarters,
                           coalesce(list(DISTINCT picked.finding ORDER BY picked.finding), []) AS matched
                    FROM (SELECT DISTINCT subject FROM {views[spec.fact]}) subjects
                    LEFT JOIN (SELECT subject, period, rule || '@' || period AS finding FROM evalkit_derived_outcomes
                               WHERE {_name(spec.id + ":chain")}) picked USING (subject)
                    GROUP BY subjects.subject)"""
        )
    return f" UNION ALL ({_waived(' UNION ALL '.join(parts), waivers)})"
