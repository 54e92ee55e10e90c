"""The annual assessment: scores of departments and cadres beside the compliance packs' tables.

Everything here is computed from one evaluation (findings and decisions) with no I/O, so every
renderer (text, JSON, ...) gets the same numbers.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction

import pyarrow as pa
import pyarrow.compute as pc

from ..facts import FactKind
from ..periods import Period
from ..rules.evaluate import Evaluation
from ..rules.packs import SCORE_ROLES, CompiledRule, Pack, ScoringSpec, TableSpec
from .scoring import UNGRADED, UNGRADED_LABEL, Score, score_subjects

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
    waived_quarters: int = 0  # quarters with a waived finding of the pack (compliant or not)

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
        """The scores of one subject kind, in rank order (then by id), the ungraded (no rank) last."""
        chosen = (s for s in self.scores if s.subject_kind == subject_kind)
        return sorted(chosen, key=lambda s: (s.rank is None, s.rank or 0, s.subject))

    def label(self, subject_kind: str, grade: str, lang: str) -> str:
        """A grade code in words (the pack's band label), e.g. excellent → 优秀 for a cadre."""
        if grade == UNGRADED:
            return UNGRADED_LABEL(lang)
        bands = self.scoring.grades.get(subject_kind, []) if self.scoring else []
        return next((band.label(lang) for band in bands if band.grade == grade), grade)


def assess(
    evaluation: Evaluation,
    packs: Sequence[Pack],
    rules: Sequence[CompiledRule],
    scoring: ScoringSpec | None,
    fact_kinds: dict[str, FactKind],
) -> Assessment:
    score_rules = [rule for rule in rules if rule.role in SCORE_ROLES]
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

    `findings` is the findings table (the pack's own rows are read), grouped by subject and rule
    (the first status of STATUS_PRECEDENCE present) and by subject and quarter. A quarter is
    checked when any of its findings is not `skip`, and compliant when it is checked and none of
    its findings failed (or erred): pass, waived and skip all keep it compliant. A quarter is
    waived when any of its findings is `waived`, whether the quarter is compliant or not (the rate
    is not changed by it: it says how much of the rate rests on waivers).
    """
    spec = pack.spec.table
    rule_ids = tuple(rule.spec.id for rule in rules if rule.pack == pack.name)
    statuses: dict[str, dict[str, str]] = {}
    quarters: dict[str, list[tuple[Period, str]]] = defaultdict(list)
    waived: dict[str, int] = defaultdict(int)  # subject → its quarters with a waived finding
    periods: dict[tuple[int, int], Period] = {}  # made once each
    own = None
    if findings is not None:  # only the columns read: the filter copies what it keeps
        own = findings.select(["pack", "rule", "subject", "status", "year", "quarter"])
        own = own.filter(pc.equal(own["pack"], pack.name))
    if own is not None and own.num_rows:
        own = own.append_column("place", pc.index_in(own["rule"], value_set=pa.array(rule_ids, pa.string())))
        own = own.append_column("first", pc.index_in(own["status"], value_set=pa.array(STATUS_PRECEDENCE)))
        for subject, place, first in _grouped(own, ["subject", "place"], [("first", "min")]):
            found = statuses.setdefault(subject, {})
            if place is not None:
                found[rule_ids[place]] = STATUS_PRECEDENCE[first]
        quarterly = own.filter(pc.not_equal(own["quarter"], 0))
        failed = pc.is_in(quarterly["status"], value_set=pa.array(["fail", "error"]))
        quarterly = quarterly.append_column("skipped", pc.equal(quarterly["status"], "skip"))
        quarterly = quarterly.append_column("failed", failed)
        quarterly = quarterly.append_column("waived", pc.equal(quarterly["status"], "waived"))
        aggregates = [("skipped", "all"), ("failed", "any"), ("waived", "any")]
        for subject, year, quarter, skipped, failed, any_waived in _grouped(
            quarterly, ["subject", "year", "quarter"], aggregates
        ):
            state = "skipped" if skipped else "non_compliant" if failed else "compliant"
            quarters[subject].append((periods.setdefault((year, quarter), Period(year, quarter)), state))
            waived[subject] += any_waived
    rows = []
    for subject, summary in statuses.items():
        if not spec.quarters:
            rows.append(TableRow(subject, summary, waived_quarters=waived[subject]))
            continue
        states = tuple(quarters[subject])
        checked = sum(state != "skipped" for _, state in states)
        compliant = sum(state == "compliant" for _, state in states)
        rows.append(TableRow(subject, summary, checked, compliant, states, waived[subject]))
    return ComplianceTable(pack.name, spec, rule_ids, tuple(rows))


def _grouped(table, keys: list[str], aggregates: list[tuple[str, str]]):
    """`table`'s rows grouped by `keys`, in the keys' order: tuples of the keys and aggregates."""
    grouped = table.group_by(keys).aggregate(aggregates).sort_by([(key, "ascending") for key in keys])
    names = [*keys, *(f"{column}_{function}" for column, function in aggregates)]
    return zip(*(grouped[name].to_pylist() for name in names), strict=True)
