"""The annual assessment: scores of departments and cadres beside the compliance packs' tables.

Everything here is computed from one evaluation (findings and decisions) with no I/O, so every
renderer (text, JSON, ...) gets the same numbers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

from ..facts import FactKind
from ..periods import Period
from ..rules.evaluate import Evaluation
from ..rules.packs import CompiledRule, Pack, ScoringSpec, TableSpec
from .scoring import Score, score_subjects

#: The subject kinds that get scores, and the name of their table in every report.
SCORE_TABLES = {"department": "departments", "cadre": "cadres"}
#: How a rule's findings over a period add up to one status: the first present wins.
STATUS_PRECEDENCE = ("error", "fail", "waived", "pass", "skip")


@dataclass(frozen=True)
class TableRow:
    subject: str
    statuses: dict[str, str]  # rule id → its findings' status over the period
    checked_quarters: int | None = None  # None: the table does not count quarters
    compliant_quarters: int | None = None
    quarters: tuple[tuple[Period, str], ...] = ()  # each quarter: compliant, non_compliant or skipped

    @property
    def compliance_rate(self) -> Fraction | None:
        if not self.checked_quarters:
            return None
        return Fraction(self.compliant_quarters, self.checked_quarters)


@dataclass(frozen=True)
class ComplianceTable:
    """One compliance pack's summary per subject (branches for 1+4, chains for councils)."""

    pack: str
    spec: TableSpec
    rules: tuple[str, ...]
    rows: tuple[TableRow, ...]


@dataclass
class Assessment:
    evaluation: Evaluation
    scoring: ScoringSpec | None
    scores: list[Score]
    tables: list[ComplianceTable]

    def scores_of(self, subject_kind: str) -> list[Score]:
        """The scores of one subject kind, in rank order (then by id)."""
        return sorted((s for s in self.scores if s.subject_kind == subject_kind), key=lambda s: (s.rank, s.subject))

    def label(self, subject_kind: str, grade: str, lang: str) -> str:
        """A grade code in words (the pack's band label), e.g. excellent → 优秀 for a cadre."""
        bands = self.scoring.grades.get(subject_kind, []) if self.scoring else []
        return next((band.label(lang) for band in bands if band.grade == grade), grade)


def assess(
    evaluation: Evaluation,
    packs: Sequence[Pack],
    rules: Sequence[CompiledRule],
    scoring: ScoringSpec | None,
    fact_kinds: dict[str, FactKind],
) -> Assessment:
    score_rules = [rule for rule in rules if rule.role in ("indicator", "adjustment", "veto", "quota")]
    subject_kinds = {rule.spec.id: fact_kinds[rule.spec.fact].subject_kinds for rule in score_rules}
    scores = []
    if scoring:
        scores = score_subjects(
            score_rules, scoring, evaluation.decisions, evaluation.facts, evaluation.errors, subject_kinds
        )
    tables = [compliance_table(pack, rules, evaluation.findings.table) for pack in packs if pack.spec.table]
    tables.sort(key=lambda table: table.spec.name)
    return Assessment(evaluation, scoring, scores, tables)


def compliance_table(pack: Pack, rules: Sequence[CompiledRule], findings) -> ComplianceTable:
    """Each subject's status per rule over the period; for a quarterly table, quarters checked and compliant.

    `findings` is the findings table (the pack's own rows are read). A quarter is checked when
    any of its findings is not `skip`, and compliant when it is checked and none of its
    findings failed (or erred): pass, waived and skip all keep it compliant.
    """
    import pyarrow.compute as pc

    spec = pack.spec.table
    rule_ids = tuple(rule.spec.id for rule in rules if rule.pack == pack.name)
    statuses: dict[str, dict[str, set[str]]] = defaultdict(lambda: defaultdict(set))
    quarters: dict[str, dict[Period, set[str]]] = defaultdict(lambda: defaultdict(set))
    own = findings.filter(pc.equal(findings.column("pack"), pack.name)) if findings is not None else None
    if own is not None and own.num_rows:
        by_rule = own.group_by(["subject", "rule"]).aggregate([("status", "distinct")])
        for subject, rule, found in zip(
            *(by_rule.column(n).to_pylist() for n in ("subject", "rule", "status_distinct")), strict=True
        ):
            statuses[subject][rule].update(found)
        quarterly = own.filter(pc.not_equal(own.column("quarter"), 0))
        by_quarter = quarterly.group_by(["subject", "period"]).aggregate([("status", "distinct")])
        for subject, period, found in zip(
            *(by_quarter.column(n).to_pylist() for n in ("subject", "period", "status_distinct")), strict=True
        ):
            quarters[subject][Period.parse(period)].update(found)
    rows = []
    for subject in sorted(statuses):
        summary = {rule: _overall(statuses[subject][rule]) for rule in rule_ids if statuses[subject][rule]}
        if not spec.quarters:
            rows.append(TableRow(subject, summary))
            continue
        states = tuple((quarter, _quarter_state(found)) for quarter, found in sorted(quarters[subject].items()))
        checked = sum(state != "skipped" for _, state in states)
        compliant = sum(state == "compliant" for _, state in states)
        rows.append(TableRow(subject, summary, checked, compliant, states))
    return ComplianceTable(pack.name, spec, rule_ids, tuple(rows))


def _quarter_state(found: set[str]) -> str:
    if found == {"skip"}:
        return "skipped"
    return "non_compliant" if found & {"fail", "error"} else "compliant"


def _overall(found: set[str]) -> str:
    return next(status for status in STATUS_PRECEDENCE if status in found)
