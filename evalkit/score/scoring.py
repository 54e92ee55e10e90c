"""The score arrow: the engine's decisions on score rules → points, totals, grades, quota and ranks.

A grade is decided in this order: ungraded (an `ungraded` rule matched: no grade, no rank, not
in any quota's base) → veto (the lowest grade) → cap (at most the cap's grade) → quota → ranks.

Pure functions over decisions and facts; no I/O and no second look at the engine. The decisions
are read a rule at a time as columns (each indicator's numbers taken from its facts by row), so
only the scored subjects and the items that earn or cost points become Python values. Arithmetic
on them is exact (`Fraction`): a base of exactly 60 is 60, so bands, ties and ranks compare
exact values. Rounding happens only when a number is written out (`rounded`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import cache
from typing import NamedTuple

import pyarrow.compute as pc

from ..facts import evidence_column
from ..rules.evaluate import RunError
from ..rules.packs import DECIDED_ROLES, Band, CompiledRule, ScoringSpec, Text

#: The grade of a subject an `ungraded` rule matched (不确定等次): no band, no rank, no quota.
UNGRADED = "ungraded"
UNGRADED_LABEL = Text(en="ungraded", zh="不确定等次")


@cache
def exact(number: int | float | str) -> Fraction:
    """A pack number as written (0.2 is 1/5, not the float nearest to it); a pack has few numbers."""
    return Fraction(str(number))


def rounded(value: Fraction, places: int) -> float:
    """`value` rounded half up (away from zero) to `places` decimals.

    In integers: floor(|n|/d * scale + 1/2) is (2|n| * scale + d) // 2d, the same number without
    making three intermediate fractions (a province's report rounds a million), and the sign from
    the numerator, not from the fraction made a float.
    """
    scale = 10**places
    numerator, denominator = value.numerator, value.denominator
    magnitude = float((2 * abs(numerator) * scale + denominator) // (2 * denominator)) / scale
    return -magnitude if numerator < 0 else magnitude  # -0.0 for a small negative value, as copysign gave


def _less(a: Fraction, b: Fraction) -> bool:
    """a < b, compared as integers (denominators are positive), without the numeric tower's checks."""
    return a.numerator * b.denominator < b.numerator * a.denominator


_ZERO = Fraction(0)


def _sum(fractions: list[Fraction]) -> Fraction:
    """The exact sum, kept as an integer numerator and denominator and made a fraction once."""
    if len(fractions) < 2:
        return fractions[0] if fractions else _ZERO
    numerator, denominator = 0, 1
    for fraction in fractions:
        numerator = numerator * fraction.denominator + fraction.numerator * denominator
        denominator *= fraction.denominator
    return Fraction(numerator, denominator)


class Indicator(NamedTuple):
    """One indicator of a score (a tuple: a province's scores have a quarter of a million)."""

    rule: str
    weight: Fraction
    numerator: int
    denominator: int
    applicable: bool  # False: nothing to measure (n/a), left out of the base

    @property
    def value(self) -> Fraction | None:
        """numerator / denominator, at most 1."""
        return Fraction(min(self.numerator, self.denominator), self.denominator) if self.applicable else None

    @property
    def points(self) -> Fraction | None:
        """weight × value, as one fraction."""
        if not self.applicable:
            return None
        return Fraction(
            self.weight.numerator * min(self.numerator, self.denominator), self.weight.denominator * self.denominator
        )


@dataclass(slots=True)
class Adjustment:
    """The facts one adjustment rule matched for a subject, and the points they earn (computed
    once, when made: every report asks for them)."""

    rule: str
    each: Fraction  # points per matched fact: positive a bonus, negative a deduction
    cap: Fraction | None
    items: Sequence[Sequence[str]]  # each matched fact's evidence (the rule's evidence list)
    uncapped: Fraction = field(init=False)
    points: Fraction = field(init=False)

    def __post_init__(self):
        self.uncapped = Fraction(self.each.numerator * len(self.items), self.each.denominator)
        self.points = self.uncapped
        if self.cap is not None and _less(self.cap, abs(self.uncapped)):
            self.points = self.cap if self.uncapped.numerator > 0 else -self.cap

    @property
    def evidence(self) -> tuple[str, ...]:
        return tuple(sorted({record for item in self.items for record in item}))


@dataclass(frozen=True, slots=True)
class QuotaPool:
    """The subjects one quota rule counts together (all of a kind, or one department's cadres):
    `base` graded subjects, of whom at most `limit` keep the quota's grade."""

    rule: str
    department: str | None  # the department of a quota scoped by department; None for scope all
    base: int
    limit: int

    @property
    def share(self) -> Fraction:
        """The share of the base that may keep the grade: limit / base (more than the pack's
        share where `at_least` or rounding half up gives more)."""
        return Fraction(self.limit, self.base)


@dataclass(slots=True)
class Score:
    """One department's or cadre's score, with every step that led to its grade.

    The sums are computed when the score is made: indicators and adjustments never change, and
    grades and ranks need every total.
    """

    subject: str
    subject_kind: str
    indicators: list[Indicator]
    adjustments: list[Adjustment]
    vetoes: tuple[str, ...]  # the veto rules that matched
    veto_evidence: tuple[str, ...]
    tie_break: int
    deduction_cap: Fraction
    total_range: tuple[Fraction, Fraction]
    band: Band | None = None  # the band the total falls in
    grade: str = ""  # after ungraded, veto, cap and quota
    demoted_by: str | None = None  # the quota rule that took the grade down
    rank: int | None = 0  # None: ungraded
    provisional: bool = False
    veto_categories: tuple[str, ...] = ()  # the categories of the incidents that vetoed
    ungraded_by: tuple[str, ...] = ()  # the `ungraded` rules that matched
    ungraded_reasons: tuple[str, ...] = ()  # their reasons, in rule order
    ungraded_evidence: tuple[str, ...] = ()
    capped_by: str | None = None  # the reason of the cap that lowered the grade
    cap_rule: str | None = None  # the rule of that cap
    cap_evidence: tuple[str, ...] = ()
    department: str | None = None  # the subject's department, for a quota scoped by department
    quota_pool: QuotaPool | None = None  # the pool of the quota that counted it
    base: Fraction = field(init=False)  # 100 × the applicable indicators' points / their weights; 0 when none
    bonus: Fraction = field(init=False)
    deductions: Fraction = field(init=False)  # all deductions, before the cap
    deduction: Fraction = field(init=False)
    unclipped: Fraction = field(init=False)
    total: Fraction = field(init=False)

    def __post_init__(self):
        points, points_of, weights, weights_of = 0, 1, 0, 1  # numerator, denominator of each sum
        for _, weight, numerator, denominator, applicable in self.indicators:
            if applicable:
                point, point_of = weight.numerator * min(numerator, denominator), weight.denominator * denominator
                points, points_of = points * point_of + point * points_of, points_of * point_of
                weights, weights_of = (
                    weights * weight.denominator + weight.numerator * weights_of,
                    weights_of * weight.denominator,
                )
        self.base = Fraction(100 * points * weights_of, points_of * weights) if weights else _ZERO
        gains = [a.points for a in self.adjustments if a.points.numerator > 0]
        losses = [-a.points for a in self.adjustments if a.points.numerator < 0]
        self.bonus, self.deductions = _sum(gains), _sum(losses)
        self.deduction = self.deduction_cap if _less(self.deduction_cap, self.deductions) else self.deductions
        self.unclipped = _sum([self.base, self.bonus, -self.deduction]) if gains or losses else self.base
        low, high = self.total_range
        under_high = self.unclipped if _less(self.unclipped, high) else high
        self.total = under_high if _less(low, under_high) else low

    @property
    def vetoed(self) -> bool:
        return bool(self.vetoes)

    @property
    def ungraded(self) -> bool:
        return bool(self.ungraded_by)


def score_subjects(
    rules: Sequence[CompiledRule],
    scoring: ScoringSpec,
    decisions,
    facts: dict,
    errors: Sequence[RunError] = (),
    subject_kinds: dict[str, tuple[str, ...]] | None = None,
) -> list[Score]:
    """Score every subject that has an indicator decision; grades, quota and ranks across them.

    `decisions` is the evaluation's table of score-rule decisions (in rule order, then fact
    order), `facts` the fact tables they point into. `subject_kinds` maps each rule id to the
    subject kinds its facts are about; with `errors` it tells which scores are provisional.
    """
    kinds, indicators, items, categories = _decided(rules, decisions, facts)
    tie_breaks, departments = {}, {}
    for rule in rules:
        if rule.role == "quota" and rule.spec.fact in facts:
            quota, table = rule.spec.quota, facts[rule.spec.fact]
            values = zip(table["subject"].to_pylist(), table[quota.tie_break].to_pylist(), strict=True)
            tie_breaks |= {(quota.subject_kind, subject): int(value) for subject, value in values}
            if quota.scope == "department":
                values = zip(table["subject"].to_pylist(), table["department"].to_pylist(), strict=True)
                departments |= {(quota.subject_kind, subject): department for subject, department in values}
    adjusting = [(rule.spec.id, rule.spec.adjustment) for rule in rules if rule.role == "adjustment"]
    adjusting = [(rule, exact(a.points), None if a.cap is None else exact(a.cap)) for rule, a in adjusting]
    vetoing = [rule.spec.id for rule in rules if rule.role == "veto"]
    ungrading = [(rule.spec.id, rule.spec.ungraded.reason) for rule in rules if rule.role == "ungraded"]
    capping = [(rule.spec.id, rule.spec.cap) for rule in rules if rule.role == "cap"]
    cap, total_range = exact(scoring.deduction_cap), (exact(scoring.min_total), exact(scoring.max_total))
    scores = []
    for subject in sorted(indicators):
        matched, kind = items.get(subject, {}), kinds[subject]
        adjustments = [Adjustment(rule, each, most, matched[rule]) for rule, each, most in adjusting if rule in matched]
        vetoes = tuple(rule for rule in vetoing if rule in matched)
        evidence = _evidence(matched, vetoes)
        scored = list(indicators[subject].values()), adjustments, vetoes, evidence, tie_breaks.get((kind, subject), 0)
        score = Score(subject, kind, *scored, cap, total_range)
        score.veto_categories = tuple(sorted(categories.get(subject, ())))
        ungraded = [(rule, reason) for rule, reason in ungrading if rule in matched]
        score.ungraded_by = tuple(rule for rule, _ in ungraded)
        score.ungraded_reasons = tuple(dict.fromkeys(reason for _, reason in ungraded))
        score.ungraded_evidence = _evidence(matched, score.ungraded_by)
        score.department = departments.get((kind, subject))
        scores.append(score)
        _grade(score, scoring, [(rule, spec) for rule, spec in capping if rule in matched])
        score.cap_evidence = _evidence(matched, (score.cap_rule,) if score.cap_rule else ())
    for rule in rules:
        if rule.role == "quota":
            _apply_quota(rule, scores)
    _mark_provisional(scores, rules, errors, subject_kinds or {})
    _rank(scores, scoring.veto_rank)
    return scores


def _evidence(matched: dict[str, list], rules: Sequence[str]) -> tuple[str, ...]:
    """The records behind the facts `rules` matched (`matched`: rule → each fact's evidence), sorted."""
    return tuple(sorted({record for rule in rules for item in matched[rule] for record in item}))


def _grade(score: Score, scoring: ScoringSpec, caps: list) -> None:
    """The score's band and its grade before the quota: ungraded, else the lowest grade when
    vetoed, else the band's grade lowered to each matched cap's grade it is above (`caps`: the
    cap rules that matched, as (rule id, CapSpec), in rule order)."""
    bands = scoring.grades[score.subject_kind]
    score.band = next(b for b in bands if b.at_least is None or not _less(score.total, exact(b.at_least)))
    if score.ungraded:
        score.grade = UNGRADED
        return
    if score.vetoed:
        score.grade = bands[-1].grade
        return
    order = [band.grade for band in bands]  # highest first
    score.grade = score.band.grade
    for rule, spec in caps:
        if order.index(score.grade) < order.index(spec.grade):
            score.grade, score.capped_by, score.cap_rule = spec.grade, spec.reason, rule


def _decided(rules, decisions, facts) -> tuple[dict, dict, dict, dict]:
    """Per subject: its kind and its indicators by rule (subjects with an indicator decision are
    scored), the evidence of each fact its adjustment, veto, ungraded and cap rules matched, by
    rule, and the categories of the facts that vetoed it (of facts that have a `category`).

    Read a rule at a time: its decisions are a slice of columns, and an indicator's numerator
    and denominator are taken from its facts' columns by row.
    """
    kinds: dict[str, str] = {}
    indicators: dict[str, dict[str, Indicator]] = defaultdict(dict)
    items: dict[str, dict[str, list]] = defaultdict(lambda: defaultdict(list))
    categories: dict[str, set[str]] = defaultdict(set)
    if decisions is None or not decisions.num_rows:
        return kinds, indicators, items, categories
    for rule in rules:
        spec = rule.spec
        if rule.role not in DECIDED_ROLES:
            continue
        rows = decisions.filter(pc.equal(decisions["rule"], spec.id))
        if not rows.num_rows:
            continue
        if rule.role == "indicator":
            weight = exact(spec.indicator.weight)
            names = (spec.indicator.numerator, spec.indicator.denominator)
            numbers = [facts[spec.fact][name].take(rows["fact"]).to_pylist() for name in names]
            columns = (rows[name].to_pylist() for name in ("subject", "subject_kind", "skipped"))
            for subject, kind, skipped, numerator, denominator in zip(*columns, *numbers, strict=True):
                kinds.setdefault(subject, kind)
                applicable = not skipped and int(denominator) > 0
                indicators[subject][spec.id] = Indicator(spec.id, weight, int(numerator), int(denominator), applicable)
        else:
            rows = rows.filter(rows["matched"])
            evidence = [()] * rows.num_rows
            if spec.evidence:
                evidence = facts[spec.fact][evidence_column(spec.evidence)].take(rows["fact"]).to_pylist()
            for subject, found in zip(rows["subject"].to_pylist(), evidence, strict=True):
                items[subject][spec.id].append(found)
            if rule.role == "veto" and "category" in facts[spec.fact].column_names:
                found = facts[spec.fact]["category"].take(rows["fact"]).to_pylist()
                for subject, category in zip(rows["subject"].to_pylist(), found, strict=True):
                    categories[subject].add(category)
    return kinds, indicators, items, categories


_HALF = Fraction(1, 2)


def quota_limit(rule: CompiledRule, base: int) -> int:
    """How many of a pool's `base` graded subjects may keep the quota's grade: max(`at_least`,
    share × base rounded down (`floor`) or half up (`half_up`: 6 × 0.25 = 1.5 → 2))."""
    quota = rule.spec.quota
    share = exact(quota.share) * base
    return max(quota.at_least, math.floor(share + _HALF if quota.rounding == "half_up" else share))


def _apply_quota(rule: CompiledRule, scores: list[Score]) -> None:
    """In each pool, the holders of the grade past the limit, lowest total first (then
    tie-break, id), drop a grade. A pool is the graded subjects of the quota's kind (vetoed and
    capped ones count; ungraded ones do not), all together or by department (`scope`).

    `scores` are in id order, and a sort in reverse keeps equal keys in their order: the highest
    total, then tie-break, first, and the smaller id first among equals."""
    quota = rule.spec.quota
    pools: dict[str | None, list[Score]] = defaultdict(list)
    for score in scores:
        if score.subject_kind == quota.subject_kind and not score.ungraded:
            pools[score.department if quota.scope == "department" else None].append(score)
    for department, pool in pools.items():
        counted = QuotaPool(rule.spec.id, department, len(pool), quota_limit(rule, len(pool)))
        holders = [s for s in pool if s.grade == quota.grade]
        holders.sort(key=lambda s: (*_exactly(s.total), s.tie_break), reverse=True)
        for score in pool:
            score.quota_pool = counted
        for score in holders[counted.limit :]:
            score.grade = quota.demote_to
            score.demoted_by = rule.spec.id


def _rank(scores: list[Score], veto_rank: str) -> None:
    """Rank the graded subjects of each kind by total, descending; equal totals share a rank
    (1, 1, 3). With `veto_rank` last, vetoed subjects come after all the others, from (the
    number not vetoed + 1), by total among themselves. Ungraded subjects have no rank (None).
    `scores` are in id order, which a sort in reverse keeps among equal totals, and a sort by
    veto keeps the order of totals within each tier."""
    by_kind: dict[str, list[Score]] = defaultdict(list)
    for score in scores:
        if score.ungraded:
            score.rank = None
        else:
            by_kind[score.subject_kind].append(score)
    last = veto_rank == "last"
    for group in by_kind.values():
        group.sort(key=lambda s: _exactly(s.total), reverse=True)
        if last:
            group.sort(key=lambda s: s.vetoed)
        for position, score in enumerate(group):
            before = group[position - 1] if position else None
            same = before is not None and before.total == score.total and (not last or before.vetoed == score.vetoed)
            score.rank = before.rank if same else position + 1


def _exactly(total: Fraction) -> tuple[float, Fraction]:
    """A sort key for totals: the float decides wherever it differs (rounding is monotonic, so it
    never orders two totals wrongly) and the exact total only between equal floats, so a
    province's sort seldom compares fractions."""
    return float(total), total


def _mark_provisional(scores: list[Score], rules, errors: Sequence[RunError], subject_kinds) -> None:
    """A score is provisional when a score rule for its kind of subject could not run for it;
    a quota then makes every grade of that kind provisional, since any of them may move."""
    missing = {(rule, kind) for error in errors for rule in error.rules for kind in subject_kinds.get(rule, ())}
    for score in scores:
        score.provisional = any(
            (rule, score.subject_kind) in missing and (not error.subjects or score.subject in error.subjects)
            for error in errors
            for rule in error.rules
        )
    quota_kinds = {rule.spec.quota.subject_kind for rule in rules if rule.role == "quota"}
    unsure = {s.subject_kind for s in scores if s.provisional} & quota_kinds
    for score in scores:
        score.provisional = score.provisional or score.subject_kind in unsure
