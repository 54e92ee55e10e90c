"""The scoring step on hand-made decisions, and score packs that must be refused."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pyarrow as pa
import pytest
from hypothesis import given
from hypothesis import strategies as st

from evalkit.facts import Fact
from evalkit.facts.factset import from_facts
from evalkit.periods import Period
from evalkit.score.scoring import Adjustment, Indicator, Score, rounded, score_subjects
from evalkit.session import Session
from evalkit.testing import run_cli

YEAR = Period(2024)
SERVICE_PACK = Path(__file__).resolve().parent.parent / "rules" / "service.yaml"


@pytest.fixture(scope="module")
def session():
    return Session(autoload=False)


def service(subject, resolved=1, visited=10):
    values = {
        "requests": 1,
        "accepted_in_window": 1,
        "measured": 1,
        "on_time": 1,
        "resolved": resolved,
        "rated": 1,
        "satisfied": 1,
        "enterprises_visited": visited,
        "visit_target": 10,
        "department": "D1",
    }
    return Fact("service", subject, YEAR, values, {}, "cadre")


def scored(session, services: list[Fact], *matched: tuple[str, str, str, int]):
    """The scores of cadres with these service facts, their four indicators decided (not
    skipped), and for each (rule, kind, subject, count) `count` facts of `kind` the rule
    matched for that subject: the tables the evaluation gives the scoring step."""
    items: dict[str, list[Fact]] = {}
    decisions = [
        (rule, "service", index, fact.subject, "cadre", False, False)
        for index, fact in enumerate(services)
        for rule in ("SVC01", "SVC02", "SVC03", "SVC04")
    ]
    for rule, kind, subject, count in matched:
        for n in range(count):
            found = items.setdefault(kind, [])
            values = (
                {"talent": f"T{n}", "track": "member_to_backbone"}
                if kind == "mentoring"
                else {"batch": f"B{n}", "requests": 2, "others": 0, "unresolved": 0}
            )
            found.append(Fact(kind, subject, YEAR, values, {"talent": (f"T{n}",), "requests": (f"R{n}",)}, "cadre"))
            decisions.append((rule, kind, len(found) - 1, subject, "cadre", False, True))
    kinds = session.fact_kinds
    facts = {"service": from_facts(kinds["service"], services)}
    facts |= {kind: from_facts(kinds[kind], found) for kind, found in items.items()}
    names = ("rule", "kind", "fact", "subject", "subject_kind", "skipped", "matched")
    table = pa.table({name: [row[n] for row in decisions] for n, name in enumerate(names)})
    score_rules = [rule for rule in session.rules if rule.role in ("indicator", "adjustment", "veto", "quota")]
    return {score.subject: score for score in score_subjects(score_rules, session.scoring, table, facts)}


def test_total_is_clipped_to_105(session):
    scores = scored(session, [service("K1")], ("SVC11", "mentoring", "K1", 6), ("SVC10", "batch", "K1", 3))
    score = scores["K1"]
    assert (score.base, score.bonus, score.unclipped, score.total) == (100, 8, 108, 105)


def test_quota_tie_on_total_and_resolved_goes_to_the_smaller_id_in_string_order(session):
    facts = [
        service("K9"),
        service("K10"),
        service("K2", visited=5),
        service("K3", visited=5),
        service("K4", visited=5),
    ]
    scores = scored(session, facts)
    # five cadres → one may be excellent; K9 and K10 both 100 with one resolved request each:
    # "K10" < "K9" as text, so K10 keeps the grade.
    assert scores["K10"].grade == "excellent" and scores["K9"].grade == "competent"
    assert scores["K9"].demoted_by == "SVC31" and scores["K9"].rank == scores["K10"].rank == 1
    assert scores["K2"].total == 90 and scores["K2"].band.grade == "excellent" and scores["K2"].grade == "competent"
    assert scores["K2"].rank == 3


def test_totals_equal_as_floats_still_rank_by_their_exact_value(session):
    # K1 accepted all but one of 10**17 requests: its total is below 100 by 2e-16, the same
    # float as K2's exact 100, yet K2 ranks first (and K1, the smaller id, does not share it).
    k1, k2 = service("K1"), service("K2")
    k1.values.update(requests=10**17, accepted_in_window=10**17 - 1)
    scores = scored(session, [k1, k2])
    assert float(scores["K1"].total) == float(scores["K2"].total) == 100.0
    assert scores["K1"].total == 100 - Fraction(20, 10**17)  # 100 × (100 - 20 × 10**-17) / 100
    assert (scores["K2"].rank, scores["K1"].rank) == (1, 2)


def test_rounding_is_half_up():
    assert rounded(Fraction(2675, 1000), 2) == 2.68  # the float 2.675 would round down
    assert rounded(Fraction(-5, 1000), 2) == -0.01
    assert rounded(Fraction(2, 3), 6) == 0.666667
    assert repr(rounded(Fraction(-1, 10**9), 6)) == "-0.0"  # a negative value keeps its sign
    assert rounded(Fraction(-24863593587, 19), 7) == -1308610188.7894735  # the magnitude made a float first


fractions = st.fractions(min_value=-50, max_value=50, max_denominator=1000)
adjustments = st.lists(
    st.builds(
        Adjustment,
        st.just("R"),
        fractions.filter(bool),
        st.none() | st.fractions(min_value=0, max_value=20, max_denominator=100),
        st.lists(st.just(("e",)), max_size=5).map(tuple),
    ),
    max_size=5,
)


@given(adjustments, st.fractions(min_value=0, max_value=30, max_denominator=10), fractions, fractions)
def test_totals_are_the_exact_fraction_arithmetic(adjusted, cap, low, high):
    """The sums and clips, computed on integer numerators and denominators, equal Fraction's own."""
    indicators = [Indicator("I", Fraction(1), 3, 7, True)]
    score = Score("S", "cadre", indicators, adjusted, (), (), 0, cap, (low, high))  # a pack may even have low > high
    points = []
    for a in adjusted:
        uncapped = a.each * len(a.items)
        points.append(uncapped if a.cap is None or abs(uncapped) <= a.cap else (a.cap if uncapped > 0 else -a.cap))
        assert (a.uncapped, a.points) == (uncapped, points[-1])
    bonus = sum((p for p in points if p > 0), Fraction(0))
    deduction = min(-sum((p for p in points if p < 0), Fraction(0)), cap)
    unclipped = Fraction(300, 7) + bonus - deduction
    assert (score.bonus, score.deduction, score.unclipped) == (bonus, deduction, unclipped)
    assert score.total == max(low, min(high, unclipped))


def bad_pack(tmp_path, old: str, new: str) -> tuple[int, str]:
    text = SERVICE_PACK.read_text(encoding="utf-8")
    assert old in text
    folder = tmp_path / "rules"
    folder.mkdir()
    (folder / "service.yaml").write_text(text.replace(old, new, 1), encoding="utf-8")
    result = run_cli(["rules", "--rules-dir", str(folder)])
    assert "Traceback" not in result.stderr
    return result.exit_code, result.stderr


@pytest.mark.parametrize(
    "old, new, expected",
    [
        ("{grade: good, at_least: 80,", "{grade: good, at_least: 95,", "key scoring.grades.department: bands go"),
        ("demote_to: competent", "demote_to: average", "rule SVC31: key quota.demote_to: 'average' is not a grade"),
        ("numerator: on_time,", "numerator: on_tme,", "rule SVC02: key indicator.numerator: 'on_tme' is not a field"),
        ("adjustment: {points: -1}", "adjustment: {points: -1}\n    veto: true", "rule SVC21: key (the rule itself)"),
        ('    when: "days_past_due >= 0"\n', "", "an adjustment rule needs a `when` condition"),
        ("kind: score", "kind: compliance", "a compliance pack has check or chain rules, not an indicator rule"),
    ],
)
def test_bad_score_packs_are_refused(tmp_path, old, new, expected):
    code, stderr = bad_pack(tmp_path, old, new)
    assert code == 2
    assert expected in stderr
