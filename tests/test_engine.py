"""The durable-rules adapter on its own: what fires on which fact, sessions, names; and asking once
per distinct fact gives what asking fact by fact gives."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evalkit.rules.conditions import AllOf, Always, AnyOf, Compare
from evalkit.rules.engine import FACTS_PER_SID, EngineRule, RuleEngine
from evalkit.rules.evaluate import _distinct, _Judge

RULES = [
    EngineRule("LOW:when", "count", Compare("n", "<", 3)),
    EngineRule("NONE:when", "count", AllOf((Compare("n", "==", 0), Compare("label", "!=", "x")))),
    EngineRule("ANY:when", "note", Always()),
]


def test_each_fact_fires_exactly_its_rules():
    fired, failed = RuleEngine(RULES).judge(
        [
            {"kind": "count", "n": 0},  # LOW and NONE (label missing counts as != "x")
            {"kind": "count", "n": 2, "label": "x"},  # LOW only
            {"kind": "count", "n": 0, "label": "x"},  # LOW only: label is "x"
            {"kind": "count", "n": 7},  # nothing
            {"kind": "note", "text": "任何"},  # ANY
        ]
    )
    assert failed == []
    assert fired == [{"LOW:when", "NONE:when"}, {"LOW:when"}, {"LOW:when"}, set(), {"ANY:when"}]


def test_facts_in_different_sessions_are_judged_alike():
    facts = [{"kind": "count", "n": n % 5, "k": n} for n in range(3 * FACTS_PER_SID + 7)]
    fired, failed = RuleEngine(RULES).judge(facts)
    assert failed == []
    assert fired == [
        {"LOW:when", "NONE:when"} if n % 5 == 0 else {"LOW:when"} if n % 5 < 3 else set() for n in range(len(facts))
    ]


@pytest.mark.parametrize("name", ['A"1:when', "A 1", "", "A\\1"])
def test_rule_names_are_plain(name):
    with pytest.raises(ValueError, match="letters, digits"):
        RuleEngine([EngineRule(name, "count")])


def test_a_fact_the_engine_takes_for_one_already_seen_is_reported():
    # durable-rules identifies facts by an `id` field (reserved: no fact kind may declare it).
    fired, failed = RuleEngine([EngineRule("R:when", "k", Compare("x", ">", 0))]).judge(
        [{"kind": "k", "id": "A", "x": 1}, {"kind": "k", "id": "A", "x": 2}]
    )
    assert fired == [{"R:when"}, set()]
    assert [(index, str(error)) for index, error in failed] == [
        (1, "durable-rules took a fact for one already seen: {'kind': 'k', 'id': 'A', 'x': 2, 'sid': '0', '_n': 2}")
    ]


FIELDS = ("a", "b", "c")
VALUES = st.one_of(st.integers(0, 49), st.sampled_from(["x", "y", "中"]))
COMPARE = st.builds(Compare, st.sampled_from(FIELDS), st.sampled_from(["==", "!=", "<", "<=", ">", ">="]), VALUES)

# Conditions nested two levels deep at most (durable-rules refuses deeper and/or nesting with
# error 113) and of at most 16 tests.
NESTED = st.one_of(
    COMPARE,
    st.builds(AllOf, st.lists(COMPARE, min_size=1, max_size=4).map(tuple)),
    st.builds(AnyOf, st.lists(COMPARE, min_size=1, max_size=4).map(tuple)),
)
CONDITION = st.one_of(
    NESTED,
    st.builds(AllOf, st.lists(NESTED, min_size=1, max_size=4).map(tuple)),
    st.builds(AnyOf, st.lists(NESTED, min_size=1, max_size=4).map(tuple)),
)
FACT = st.fixed_dictionaries(
    {
        "a": st.integers(0, 49),
        "b": st.sampled_from(["x", "y", "中"]),
        "c": st.floats(0, 3).map(lambda x: round(x, 1)),
        "noise": st.integers(0, 3),
    }
)


@settings(max_examples=40, deadline=None)
@given(conditions=st.lists(CONDITION, min_size=1, max_size=4), facts=st.lists(FACT, min_size=1, max_size=25))
def test_asking_once_per_distinct_fact_equals_asking_fact_by_fact(conditions, facts):
    """Facts of one kind in a table, judged once per distinct combination of the fields the
    rules read (not `noise`) and joined back, get exactly the answers of asking fact by fact."""
    import pyarrow as pa

    rules = [EngineRule(f"R{n}:when", "k", condition) for n, condition in enumerate(conditions)]
    table = pa.table({**{name: [f[name] for f in facts] for name in FACT_NAMES}, "n": range(len(facts))})
    judged = _Judge(rules).judged("k", table)
    names = [rule.name for rule in rules]
    assert judged.select(table.column_names) == table  # the facts kept, in their order
    rows = list(zip(*(judged[name].to_pylist() for name in ["n", *names, "_failed"]), strict=True))
    assert [row[-1] for row in rows] == [None] * len(facts)
    joined = [{name for name, fired in zip(names, row[1:-1], strict=True) if fired} for row in rows]
    engine = RuleEngine(rules)
    assert joined == [engine.judge([{"kind": "k", **fact}])[0][0] for fact in facts]


FACT_NAMES = ("a", "b", "c", "noise")


def test_the_distinct_combinations_are_asked_in_order_and_each_fact_finds_its_own():
    import pyarrow as pa

    table = pa.table({"a": [2, 1, 2, 3], "b": ["x", "y", "x", "x"], "noise": [1, 2, 3, 4]})
    keys, at = _distinct(table, ["a", "b"])
    assert keys == [(1, "y"), (2, "x"), (3, "x")] and at.to_pylist() == [1, 0, 1, 2]
    keys, at = _distinct(table, [])  # rules reading no field: one question for all
    assert keys == [()] and at.to_pylist() == [0, 0, 0, 0]
    keys, at = _distinct(table.slice(0, 0), ["a"])
    assert keys == [] and at.to_pylist() == []


def test_more_rules_than_one_native_ruleset_takes_are_split_and_all_decide():
    """durable-rules hangs creating a ruleset of more than 512 rules: 600 go into rulesets of
    RULES_PER_RULESET, and each fact still gets every rule's answer."""
    from evalkit.rules.engine import RULES_PER_RULESET

    rules = [EngineRule(f"r{n}", "k", Compare("x", ">", n)) for n in range(600)]
    engine = RuleEngine(rules)
    assert len(engine.definitions) == -(-600 // RULES_PER_RULESET) and engine.refusal() is None
    fired, failed = engine.judge([{"kind": "k", "x": 0}, {"kind": "k", "x": 300}, {"kind": "k", "x": 1000}])
    assert failed == [] and [len(names) for names in fired] == [0, 300, 600]
    assert fired[1] == {f"r{n}" for n in range(300)}
