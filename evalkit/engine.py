"""The rule engine adapter: the only module that imports durable-rules.

durable-rules is fast and does real forward chaining, but it keeps process-global state, starts
timer threads, swallows exceptions and has hard limits (see docs/engine.md). This module wraps it
in the one shape that held up: a fresh timer-less host per run, a few subjects per `sid` after an
anchor fact, each subject's facts asserted one at a time in the given order, the state deleted
afterwards, and "no rule matched" treated as the normal outcome it is.

Input is engine-neutral (`EngineRule` with `conditions` trees); output is, per subject, its
`Firing`s in a deterministic order. Nothing here knows about findings, packs or policies.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

import durable_rules_engine
from durable.engine import Host, MessageNotHandledException

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


@dataclass(frozen=True)
class EngineRule:
    """A rule: fires on each fact of `kind` that satisfies `condition`."""

    name: str
    kind: str
    condition: Condition = Always()


@dataclass(frozen=True)
class Firing:
    """One match of a rule: the fact (as asserted, with its `_n`) it fired on."""

    rule: str
    subject: str
    fact: Mapping


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


class _QuietHost(Host):
    """A host without the two self-re-arming timer threads that `Host` starts and never stops."""

    def _run(self) -> None:
        pass


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


class _Run:
    """The state of one evaluation run: the subject being evaluated, its firings so far."""

    def __init__(self, chain: Callable[[Firing], Iterable[dict]] | None):
        self.chain = chain
        self.start("")

    def start(self, subject: str) -> None:
        self.subject = subject
        self.firings: list[Firing] = []
        self.errors: list[RuleError] = []
        # Chained facts wait here and are asserted after the action returns: asserting from
        # inside an action hangs or crashes the engine when one fact fired several rules.
        self.pending: list[dict] = []

    def fired(self, rule_name: str, c) -> None:
        if rule_name == _ANCHOR:
            return
        firing = Firing(rule_name, self.subject, _clean(c.m._d))
        self.firings.append(firing)
        if self.chain is None:
            return
        try:
            self.pending.extend(self.chain(firing))
        except Exception as error:  # durable-rules would swallow it: keep it for the report
            self.errors.append(RuleError(rule_name, self.subject, error))


class _Action:
    """The consequence of one engine rule: report the firing to the run."""

    def __init__(self, run: _Run, rule_name: str):
        self.run, self.rule_name = run, rule_name

    def __call__(self, c) -> None:
        self.run.fired(self.rule_name, c)


def _clean(message: Mapping) -> dict:
    return {k: v for k, v in message.items() if k not in ("sid", "id", "$s")}


def _assert(host: Host, fact: dict) -> None:
    try:
        host.assert_fact(_RULESET, fact)
    except MessageNotHandledException:
        pass  # no rule matched: the normal outcome for a fact that passes


class RuleEngine:
    """Compiled rules, evaluated one subject at a time with a fresh engine state per run."""

    def __init__(self, rules: Sequence[EngineRule]):
        names = [rule.name for rule in rules]
        if len(set(names)) != len(names) or _ANCHOR in names:
            raise ValueError("engine rule names must be unique")
        self.rules = tuple(rules)
        self.definition = compile_rules(self.rules)

    @contextmanager
    def open(self, chain: Callable[[Firing], Iterable[dict]] | None = None) -> Iterator[Evaluate]:
        """A run of the engine: yields `evaluate(subject, facts) -> (firings, failed consequences)`.

        Call it once per subject. `chain(firing)` may return new facts to assert for the same
        subject (forward chaining); they are asserted after the subject's own facts, in the order
        they were derived. Facts must hold only numbers and text and need a `kind`; each is
        asserted with `_n`, its index in the subject's list (negative for derived facts), which
        firings carry back.
        """
        run = _Run(chain)
        definition = copy.deepcopy(self.definition)  # register_rulesets consumes its input
        for name, rule in definition.items():
            # A bound method of one parameter: durable-rules takes two parameters as asynchronous.
            rule["run"] = _Action(run, name).__call__
        host = _QuietHost()
        host.register_rulesets({_RULESET: definition})
        ruleset = host.get_ruleset(_RULESET)
        evaluated = 0  # subjects so far; each SUBJECTS_PER_SID of them in turn share one sid

        def evaluate(subject: str, facts: Sequence[Mapping]) -> tuple[list[Firing], list[RuleError]]:
            nonlocal evaluated
            group, place = divmod(evaluated, SUBJECTS_PER_SID)
            sid = str(group)
            if place == 0:  # a new sid; the previous one is done
                if group:
                    host.delete_state(_RULESET, str(group - 1))
                host.assert_fact(_RULESET, {"sid": sid, "kind": _ANCHOR})
            evaluated += 1
            run.start(subject)
            for index, fact in enumerate(facts):
                _assert(host, {**fact, "sid": sid, "_n": index})
            chained = 0
            while run.pending:  # forward chaining, one derived fact at a time
                chained += 1
                if chained > MAX_DERIVED_FACTS:
                    run.errors.append(RuleError("(chaining)", subject, RecursionError("rules chain without end")))
                    run.pending.clear()
                    break
                _assert(host, {**run.pending.pop(0), "sid": sid, "_n": -chained})
            return run.firings, run.errors

        try:
            yield evaluate
        finally:
            if evaluated:
                host.delete_state(_RULESET, str((evaluated - 1) // SUBJECTS_PER_SID))
            durable_rules_engine.delete_ruleset(ruleset._handle)
