"""The rule engine adapter: the only module that imports durable-rules.

durable-rules is fast and does real forward chaining, but it keeps process-global state, starts
timer threads, swallows exceptions and has hard limits (see docs/engine.md). This module drives
its C extension directly, in the one shape that held up: a fresh native ruleset per run, a few
subjects per `sid` after an anchor fact, each subject's facts asserted one at a time in the given
order, the state deleted afterwards, and "no rule matched" treated as the normal outcome it is.

Input is engine-neutral (`EngineRule` with `conditions` trees); output is, per subject, its
`Firing`s in a deterministic order. Nothing here knows about findings, packs or policies.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from json.encoder import c_make_encoder, encode_basestring

import durable_rules_engine as _native

from .conditions import AllOf, Always, AnyOf, Compare, Condition

_RULESET = "evalkit"
_ANCHOR = "__anchor__"
#: Derived facts one subject may produce before its rules are taken to chain without end.
MAX_DERIVED_FACTS = 10_000
#: Subjects evaluated in one engine session (`sid`) before its state is deleted. Rules test one
#: fact at a time (no joins), so subjects sharing a sid cannot see each other's facts; sharing
#: saves the anchor and the state deletion each subject would cost (about 70 µs, a quarter of
#: the engine's time at M). Kept small: durable-rules misjudges identity in large sids.
SUBJECTS_PER_SID = 16
_OPERATORS = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte", "!=": "$neq"}
_NAME = re.compile(r"[A-Za-z0-9_:.-]+")
#: json.dumps(fact, ensure_ascii=False) for flat facts, by the C encoder json.dumps itself uses,
#: made once: json.dumps makes one per call, a third of the cost of encoding a small fact.
_encoder = c_make_encoder(None, json.JSONEncoder().default, encode_basestring, None, ": ", ", ", False, False, True)


@dataclass(frozen=True)
class EngineRule:
    """A rule: fires on each fact of `kind` that satisfies `condition`."""

    name: str
    kind: str
    condition: Condition = Always()


@dataclass(slots=True)
class Firing:
    """One match of a rule: the fact it fired on, and that fact's index in the subject's list
    (negative for derived facts). Not frozen, like findings and decisions: a province makes
    hundreds of thousands, and a frozen dataclass takes four times as long to make."""

    rule: str
    subject: str
    fact: Mapping
    index: int


class RuleError(Exception):
    """A rule's consequence failed (a chained-fact callback raised) for one subject."""

    def __init__(self, rule: str, subject: str, error: BaseException):
        self.rule, self.subject, self.error = rule, subject, error
        cause = str(error) if isinstance(error, _Reported) else f"{type(error).__name__}: {error}"
        super().__init__(f"rule {rule} on {subject}: {cause}")

    def __reduce__(self):
        """Crosses process boundaries as its text (the original error may not be picklable)."""
        return (RuleError, (self.rule, self.subject, _Reported(str(self).split(": ", 1)[1])))


class _Reported(Exception):
    """An error known only by its text, as it came back from another process."""


#: Evaluates one subject's facts: its firings and its failed consequences.
Evaluate = Callable[[str, Sequence[Mapping]], tuple[list[Firing], list[RuleError]]]


def _json_condition(condition: Condition) -> list[dict]:
    """durable-rules JSON tests for a condition tree (a list to be and-ed)."""
    if isinstance(condition, Always):
        return []
    if isinstance(condition, AllOf):
        return [test for item in condition.items for test in _json_condition(item)]
    if isinstance(condition, AnyOf):
        return [{"$or": [_and(_json_condition(item)) for item in condition.items]}]
    assert isinstance(condition, Compare)
    value = condition.value
    if condition.op == "==":
        return [{condition.field: value}]
    test = {_OPERATORS[condition.op]: {condition.field: value}}
    if condition.op == "!=":  # a missing field fails every test, $neq included (docs/engine.md)
        return [{"$or": [{"$nex": {condition.field: 1}}, test]}]
    return [test]


def _and(tests: list[dict]) -> dict:
    return tests[0] if len(tests) == 1 else {"$and": tests}


def compile_rules(rules: Sequence[EngineRule]) -> dict:
    """The durable-rules ruleset definition (without actions) for `rules`."""
    definition = {_ANCHOR: {"all": [{"m": {"kind": _ANCHOR}}]}}
    for rule in rules:
        # Every pattern starts with a positive `kind` test: a pattern of only negative tests
        # would also match the engine's internal state messages.
        definition[rule.name] = {"all": [{"m": _and([{"kind": rule.kind}, *_json_condition(rule.condition)])}]}
    return definition


#: durable-rules' answers to an assertion (its rules.h).
_NOT_HANDLED, _OBSERVED = 1, 2


class _Run:
    """One evaluation run: the native ruleset, the subject being evaluated, its firings so far.

    It talks to durable-rules' C extension directly. Its Python host (`durable.engine.Host`)
    adds, per fact, a closure, a second JSON encoding inside a "not handled" exception that
    also leaves a reference cycle behind, and a state write-back after each action; and it
    starts timer threads that never stop. Without it, a fact costs about half as much.
    """

    def __init__(self, handle: int, chain: Callable[[Firing], Iterable[dict]] | None):
        self.handle, self.chain = handle, chain
        self.start("")

    def start(self, subject: str) -> None:
        self.subject = subject
        self.firings: list[Firing] = []
        self.errors: list[RuleError] = []
        # Chained facts wait here and are asserted after the firing is handled, one at a time:
        # asserting while the engine has an action open hangs or crashes it.
        self.pending: list[dict] = []

    def assert_fact(self, fact: Mapping, sid: str, index: int) -> None:
        """Asserts one fact in session `sid` and handles each rule it fired, in the engine's order.

        "Not handled" (no rule matched) is the normal outcome for a fact that passes.
        """
        code, state = _native.assert_fact(self.handle, _message(fact, sid, index))
        if code == _NOT_HANDLED:
            return
        if code == _OBSERVED:  # durable-rules took it for a fact it has seen (docs/engine.md)
            error = RuntimeError(
                "durable-rules took a fact for one it had already seen, so did not evaluate it: "
                f"{ {**fact, 'sid': sid, '_n': index} }"  # the fact as asserted
            )
            self.errors.append(RuleError("(engine)", self.subject, error))
            return
        started = _native.start_action_for_state(self.handle, state)
        action = started[1] if started else None
        while action:
            # An action reads {"RULE": {"m": FACT}}. Every rule tests one fact, so what an
            # assertion fires is about that fact: only the rule's name (plain, see
            # RuleEngine) is read, not the whole text.
            self.fired(action[2 : action.index('"', 2)], fact, index)
            action = _native.complete_and_start_action(self.handle, state)

    def fired(self, rule_name: str, fact: Mapping, index: int) -> None:
        if rule_name == _ANCHOR:
            return
        firing = Firing(rule_name, self.subject, fact, index)
        self.firings.append(firing)
        if self.chain is None:
            return
        try:
            self.pending.extend(self.chain(firing))
        except Exception as error:  # keep it for the report; the subject's other rules go on
            self.errors.append(RuleError(rule_name, self.subject, error))


def _message(fact: Mapping, sid: str, index: int) -> str:
    """The engine's message for a fact: its JSON with the session and index added as text, not
    by copying the fact into a new dict (a province asserts a million facts)."""
    if "sid" in fact or "_n" in fact:  # the engine's own fields win, as in {**fact, "sid": ...}
        fact = {name: value for name, value in fact.items() if name not in ("sid", "_n")}
    return f'{"".join(_encoder(fact, 0))[:-1]}, "sid": "{sid}", "_n": {index}}}'


class RuleEngine:
    """Compiled rules, evaluated one subject at a time with a fresh engine state per run."""

    def __init__(self, rules: Sequence[EngineRule]):
        names = [rule.name for rule in rules]
        if len(set(names)) != len(names) or _ANCHOR in names:
            raise ValueError("engine rule names must be unique")
        if not all(_NAME.fullmatch(name) for name in names):
            raise ValueError("engine rule names are letters, digits and _ : . - only")
        self.rules = tuple(rules)
        self.definition = json.dumps(compile_rules(self.rules), ensure_ascii=False)

    @contextmanager
    def open(self, chain: Callable[[Firing], Iterable[dict]] | None = None) -> Iterator[Evaluate]:
        """A run of the engine: yields `evaluate(subject, facts) -> (firings, failed consequences)`.

        Call it once per subject. `chain(firing)` may return new facts to assert for the same
        subject (forward chaining); they are asserted after the subject's own facts, in the order
        they were derived. Facts must hold only numbers and text and need a `kind`; each is
        asserted with its index in the subject's list (`_n`; negative for derived facts), which
        firings carry back.
        """
        handle = _native.create_ruleset(_RULESET, self.definition)
        run = _Run(handle, chain)
        evaluated = 0  # subjects so far; each SUBJECTS_PER_SID of them in turn share one sid

        def evaluate(subject: str, facts: Sequence[Mapping]) -> tuple[list[Firing], list[RuleError]]:
            nonlocal evaluated
            group, place = divmod(evaluated, SUBJECTS_PER_SID)
            sid = str(group)
            if place == 0:  # a new sid; the previous one is done
                if group:
                    _native.delete_state(handle, str(group - 1))
                run.assert_fact({"kind": _ANCHOR}, sid, 0)
            evaluated += 1
            run.start(subject)
            for index, fact in enumerate(facts):
                run.assert_fact(fact, sid, index)
            chained = 0
            while run.pending:  # forward chaining, one derived fact at a time
                chained += 1
                if chained > MAX_DERIVED_FACTS:
                    run.errors.append(RuleError("(chaining)", subject, RecursionError("rules chain without end")))
                    run.pending.clear()
                    break
                run.assert_fact(run.pending.pop(0), sid, -chained)
            return run.firings, run.errors

        try:
            yield evaluate
        finally:
            if evaluated:
                _native.delete_state(handle, str((evaluated - 1) // SUBJECTS_PER_SID))
            _native.delete_ruleset(handle)
