"""The score arrow: the engine's decisions on score rules → points, totals, grades, quota and ranks.

Pure functions over decisions and facts; no I/O and no second look at the engine. Arithmetic is
exact (`Fraction`): a base of exactly 60 is 60, so bands, ties and ranks compare exact values.
Rounding happens only when a number is written out (`rounded`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import cache, cached_property

from ..facts import evidence_column
from ..rules.evaluate import RunError
from ..rules.packs import Band, CompiledRule, ScoringSpec


@cache
def exact(number: int | float | str) -> Fraction:
    """A pack number as written (0.2 is 1/5, not the float nearest to it); a pack has few numbers."""
    return Fraction(str(number))


def rounded(value: Fraction, places: int) -> float:
    """`value` rounded half up (away from zero) to `places` decimals.

    In integers: floor(|n|/d * scale + 1/2) is (2|n| * scale + d) // 2d, the same number without
    making three intermediate fractions (a sixth of the time; a province's report rounds a
    million), and the sign from the numerator, not from the fraction made a float.
    """
    scale = 10**places
    numerator, denominator = value.numerator, value.denominator
    magnitude = float((2 * abs(numerator) * scale + denominator) // (2 * denominator)) / scale
    return -magnitude if numerator < 0 else magnitude  # -0.0 for a small negative value, as copysign gave


def _less(a: Fraction, b: Fraction) -> bool:
    """a < b, compared as integers (denominators are positive): Fraction's own comparison goes
    through the numeric tower's checks, and a province's scores compare a million times."""
    return a.numerator * b.denominator < b.numerator * a.denominator


_ZERO = Fraction(0)


def _sum(fractions: list[Fraction]) -> Fraction:
    """The exact sum, summed as an integer numerator and denominator and made a fraction once
    (adding fractions one by one makes and reduces one per step)."""
    if len(fractions) < 2:
        return fractions[0] if fractions else _ZERO
    numerator, denominator = 0, 1
    for fraction in fractions:
        numerator = numerator * fraction.denominator + fraction.numerator * denominator
        denominator *= fraction.denominator
    return Fraction(numerator, denominator)


@dataclass(frozen=True)
class Indicator:
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
        """weight × value, as one fraction (not three: a province's report asks for half a million)."""
        if not self.applicable:
            return None
        return Fraction(
            self.weight.numerator * min(self.numerator, self.denominator), self.weight.denominator * self.denominator
        )


@dataclass(frozen=True)
class Adjustment:
    """The facts one adjustment rule matched for a subject, and the points they earn."""

    rule: str
    each: Fraction  # points per matched fact: positive a bonus, negative a deduction
    cap: Fraction | None
    items: tuple[tuple[str, ...], ...]  # each matched fact's evidence (the rule's evidence list)

    @property
    def evidence(self) -> tuple[str, ...]:
        return tuple(sorted({record for item in self.items for record in item}))

    @cached_property  # never changes; the sums and the report ask for it several times
    def uncapped(self) -> Fraction:
        return Fraction(self.each.numerator * len(self.items), self.each.denominator)

    @cached_property
    def points(self) -> Fraction:
        uncapped = self.uncapped
        if self.cap is None or not _less(self.cap, abs(uncapped)):
            return uncapped
        return self.cap if uncapped.numerator > 0 else -self.cap


@dataclass
class Score:
    """One department's or cadre's score, with every step that led to its grade.

    The sums are computed once (cached): indicators and adjustments never change after scoring.
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
    grade: str = ""  # after veto and quota
    demoted_by: str | None = None  # the quota rule that took the grade down
    rank: int = 0
    provisional: bool = False

    @cached_property
    def base(self) -> Fraction:
        """100 × the applicable indicators' points / their weights; 0 when none applies.

        Summed as integer numerators and denominators, made a fraction once at the end: the same
        exact number at a tenth of the cost of summing fractions.
        """
        points, points_of, weights, weights_of = 0, 1, 0, 1  # numerator, denominator of each sum
        for i in self.indicators:
            if i.applicable:
                weight, weight_of = i.weight.numerator, i.weight.denominator
                point, point_of = weight * min(i.numerator, i.denominator), weight_of * i.denominator
                points, points_of = points * point_of + point * points_of, points_of * point_of
                weights, weights_of = weights * weight_of + weight * weights_of, weights_of * weight_of
        return Fraction(100 * points * weights_of, points_of * weights) if weights else Fraction(0)

    @cached_property
    def bonus(self) -> Fraction:
        return _sum([a.points for a in self.adjustments if a.points.numerator > 0])

    @cached_property
    def deductions(self) -> Fraction:
        """All deductions, before the cap."""
        return -_sum([a.points for a in self.adjustments if a.points.numerator < 0])

    @cached_property
    def deduction(self) -> Fraction:
        return self.deduction_cap if _less(self.deduction_cap, self.deductions) else self.deductions

    @cached_property
    def unclipped(self) -> Fraction:
        return _sum([self.base, self.bonus, -self.deduction])

    @cached_property
    def total(self) -> Fraction:
        low, high = self.total_range
        under_high = self.unclipped if _less(self.unclipped, high) else high
        return under_high if _less(low, under_high) else low

    @property
    def vetoed(self) -> bool:
        return bool(self.vetoes)


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
    subject_kinds = subject_kinds or {}
    decided = _decided(rules, decisions, facts)
    tie_breaks = {}
    for rule in rules:
        if rule.role == "quota" and rule.spec.fact in facts:
            table = facts[rule.spec.fact]
            values = table.column(rule.spec.quota.tie_break).to_pylist()
            for subject, value in zip(table.column("subject").to_pylist(), values, strict=True):
                tie_breaks[rule.spec.quota.subject_kind, subject] = int(value)
    scores = []
    for subject, (indicators, matched) in sorted(decided.items()):
        if indicators:
            score = _score(subject, indicators, matched, rules, scoring)
            score.tie_break = tie_breaks.get((score.subject_kind, subject), 0)
            scores.append(score)
    for score in scores:
        bands = scoring.grades[score.subject_kind]
        score.band = next(b for b in bands if b.at_least is None or not _less(score.total, exact(b.at_least)))
        score.grade = bands[-1].grade if score.vetoed else score.band.grade
    for rule in rules:
        if rule.role == "quota":
            _apply_quota(rule, scores)
    _mark_provisional(scores, rules, errors, subject_kinds)
    _rank(scores)
    return scores


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


def _decided(rules, decisions, facts) -> dict[str, tuple[dict, dict]]:
    """Per subject, its indicators' (numerator, denominator, skipped, subject kind) by rule and
    the evidence of each fact its adjustment and veto rules matched, by rule (in fact order)."""
    by_id = {rule.spec.id: rule for rule in rules}
    decided: dict[str, tuple[dict, dict]] = defaultdict(lambda: ({}, defaultdict(list)))
    if decisions is None or not decisions.num_rows:
        return decided
    columns: dict[tuple[str, str], list] = {}

    def column(kind: str, name: str) -> list:
        if (kind, name) not in columns:
            columns[kind, name] = facts[kind].column(name).to_pylist()
        return columns[kind, name]

    rows = zip(*(decisions.column(name).to_pylist() for name in _DECISION), strict=True)
    for rule_id, kind, fact, subject, subject_kind, skipped, matched in rows:
        spec = by_id[rule_id].spec
        indicators, matching = decided[subject]
        if spec.indicator is not None:
            numerator = column(kind, spec.indicator.numerator)[fact]
            denominator = column(kind, spec.indicator.denominator)[fact]
            indicators[rule_id] = (numerator, denominator, skipped, subject_kind)
        elif matched:
            evidence = column(kind, evidence_column(spec.evidence))[fact] if spec.evidence else ()
            matching[rule_id].append(tuple(evidence))
    return decided


_DECISION = ("rule", "kind", "fact", "subject", "subject_kind", "skipped", "matched")


def _score(subject, indicators: dict, matched: dict, rules, scoring: ScoringSpec) -> Score:
    subject_kind = next(iter(indicators.values()))[3]
    built, adjustments, vetoes, veto_evidence = [], [], [], set()
    for rule in rules:
        spec = rule.spec
        items = tuple(matched.get(spec.id, ()))
        if rule.role == "indicator" and spec.id in indicators:
            numerator, denominator, skipped, _ = indicators[spec.id]
            applicable = not skipped and int(denominator) > 0
            built.append(Indicator(spec.id, exact(spec.indicator.weight), int(numerator), int(denominator), applicable))
        elif rule.role == "adjustment" and items:
            cap = exact(spec.adjustment.cap) if spec.adjustment.cap is not None else None
            adjustments.append(Adjustment(spec.id, exact(spec.adjustment.points), cap, items))
        elif rule.role == "veto" and items:
            vetoes.append(spec.id)
            veto_evidence.update(record for item in items for record in item)
    return Score(
        subject,
        subject_kind,
        built,
        adjustments,
        tuple(vetoes),
        tuple(sorted(veto_evidence)),
        0,
        exact(scoring.deduction_cap),
        (exact(scoring.min_total), exact(scoring.max_total)),
    )


def quota_limit(rule: CompiledRule, pool_size: int) -> int:
    """How many of `pool_size` subjects may keep the quota's grade: share rounded down, at least `at_least`."""
    quota = rule.spec.quota
    return max(quota.at_least, math.floor(exact(quota.share) * pool_size))


def _apply_quota(rule: CompiledRule, scores: list[Score]) -> None:
    """The holders of the grade past the limit, lowest total first (then tie-break, id), drop a grade."""
    quota = rule.spec.quota
    pool = [s for s in scores if s.subject_kind == quota.subject_kind]
    allowed = quota_limit(rule, len(pool))
    holders = sorted(
        (s for s in pool if s.grade == quota.grade), key=lambda s: (*_descending(s.total), -s.tie_break, s.subject)
    )
    for score in holders[allowed:]:
        score.grade = quota.demote_to
        score.demoted_by = rule.spec.id


def _rank(scores: list[Score]) -> None:
    """Rank within each subject kind by total, descending; equal totals share a rank (1, 1, 3)."""
    by_kind: dict[str, list[Score]] = defaultdict(list)
    for score in scores:
        by_kind[score.subject_kind].append(score)
    for group in by_kind.values():
        group.sort(key=lambda s: (*_descending(s.total), s.subject))
        for position, score in enumerate(group):
            same = position > 0 and group[position - 1].total == score.total
            score.rank = group[position - 1].rank if same else position + 1


def _descending(total: Fraction) -> tuple[float, Fraction]:
    """A sort key for totals, highest first: the float decides wherever it differs (rounding is
    monotonic, so it never orders two totals wrongly) and the exact total only between equal
    floats; fractions alone would make a province's sort compare in Python a million times."""
    return -float(total), -total
