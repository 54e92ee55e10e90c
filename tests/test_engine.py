"""The durable-rules adapter on its own: what fires on which fact, chaining, shared sessions, names."""

from __future__ import annotations

import pytest

from evalkit.conditions import AllOf, Always, Compare
from evalkit.engine import SUBJECTS_PER_SID, EngineRule, RuleEngine

RULES = [
    EngineRule("LOW:when", "count", Compare("n", "<", 3)),
    EngineRule("NONE:when", "count", AllOf((Compare("n", "==", 0), Compare("label", "!=", "x")))),
    EngineRule("ANY:when", "note", Always()),
    EngineRule("FOUND:chain", "finding", Compare("rule", "==", "LOW")),
]


def fired(firings) -> list[tuple[str, int]]:
    return sorted((firing.rule, firing.index) for firing in firings)


def test_each_fact_fires_exactly_its_rules():
    with RuleEngine(RULES).open() as evaluate:
        firings, errors = evaluate(
            "S1",
            [
                {"kind": "count", "subject": "S1", "n": 0},  # LOW and NONE (label missing counts as != "x")
                {"kind": "count", "subject": "S1", "n": 2, "label": "x"},  # LOW only
                {"kind": "count", "subject": "S1", "n": 0, "label": "x"},  # LOW only: label is "x"
                {"kind": "count", "subject": "S1", "n": 7},  # nothing
                {"kind": "note", "subject": "S1", "text": "任何"},  # ANY
            ],
        )
    assert errors == []
    assert fired(firings) == [("ANY:when", 4), ("LOW:when", 0), ("LOW:when", 1), ("LOW:when", 2), ("NONE:when", 0)]
    assert all(firing.subject == "S1" for firing in firings)
    assert next(f for f in firings if f.rule == "ANY:when").fact["text"] == "任何"


def test_chained_facts_fire_after_the_subjects_own_facts():
    def chain(firing):
        rule, _, outcome = firing.rule.partition(":")
        return [{"kind": "finding", "subject": firing.subject, "rule": rule}] if outcome == "when" else []

    with RuleEngine(RULES).open(chain) as evaluate:
        firings, _ = evaluate("S1", [{"kind": "count", "subject": "S1", "n": 1}, {"kind": "note", "subject": "S1"}])
    # LOW (fact 0) and ANY (fact 1) each derive a finding (-1, -2); only LOW's matches FOUND.
    assert fired(firings) == [("ANY:when", 1), ("FOUND:chain", -1), ("LOW:when", 0)]


def test_subjects_sharing_a_session_do_not_see_each_other():
    facts = [{"kind": "count", "subject": "?", "n": 1}, {"kind": "count", "subject": "?", "n": 5}]
    with RuleEngine(RULES).open() as evaluate:
        subjects = [f"S{i}" for i in range(SUBJECTS_PER_SID + 3)]  # more than one session's worth
        results = [evaluate(subject, [{**fact, "subject": subject} for fact in facts]) for subject in subjects]
    for subject, (firings, errors) in zip(subjects, results, strict=True):
        assert errors == [] and fired(firings) == [("LOW:when", 0)]
        assert {firing.fact["subject"] for firing in firings} == {subject}


def test_a_failing_consequence_is_reported_and_the_rest_goes_on():
    def chain(firing):
        raise ValueError("broken")

    with RuleEngine(RULES).open(chain) as evaluate:
        firings, errors = evaluate(
            "S1", [{"kind": "count", "subject": "S1", "n": 1}, {"kind": "note", "subject": "S1"}]
        )
    assert fired(firings) == [("ANY:when", 1), ("LOW:when", 0)]
    assert [str(error) for error in errors] == [
        "rule LOW:when on S1: ValueError: broken",
        "rule ANY:when on S1: ValueError: broken",
    ]


@pytest.mark.parametrize("name", ['A"1:when', "A 1", "", "A\\1"])
def test_rule_names_are_plain(name):
    with pytest.raises(ValueError, match="letters, digits"):
        RuleEngine([EngineRule(name, "count")])


def test_a_fact_the_engine_takes_for_one_already_seen_is_reported_as_asserted():
    # durable-rules identifies facts by an `id` field: the second fact below is never evaluated.
    with RuleEngine([EngineRule("R:when", "k", Compare("x", ">", 0))]).open() as evaluate:
        firings, errors = evaluate("S1", [{"kind": "k", "id": "A", "x": 1}, {"kind": "k", "id": "A", "x": 2}])
    assert fired(firings) == [("R:when", 0)]
    assert [str(error) for error in errors] == [
        "rule (engine) on S1: RuntimeError: durable-rules took a fact for one it had already seen, so did not "
        "evaluate it: {'kind': 'k', 'id': 'A', 'x': 2, 'sid': '0', '_n': 1}"
    ]
