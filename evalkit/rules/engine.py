"""The rule engine adapter: the only module that imports durable-rules.

durable-rules keeps process-global state, starts timer threads, swallows exceptions and has hard
limits (see docs/engine.md). This module drives its C extension directly, in the one shape that
held up: a fresh native ruleset per call, facts asserted one at a time in the given order into
small sessions (`sid`s) that each start with an anchor fact and are deleted when full, and "no
rule matched" taken for the normal outcome it is.

Input is engine-neutral (`EngineRule` with `conditions` trees, and facts as flat mappings of
numbers and text); output is, per fact, the names of the rules it satisfied. A condition reads
only its fact's fields, so callers ask once per distinct fact and join the answer back to every
fact with the same values. Nothing here knows about findings, packs or policies.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..errors import UsageError
from .conditions import AllOf, Always, AnyOf, Compare, Condition

_RULESET = "evalkit"
_ANCHOR = "__anchor__"
#: Facts asserted in one engine session (`sid`) before its state is deleted: durable-rules
#: misjudges the identity of facts in large sessions (docs/engine.md), and a small one costs
#: only its anchor and its deletion.
FACTS_PER_SID = 64
#: Rules in one native ruleset. durable-rules hangs creating a ruleset of more than 512 rules
#: (512 simple ones take 20 ms, 513 never return) and refuses a fact that fires more than 64 of
#: one ruleset's rules (error 303): larger rule sets are split into rulesets of 64, each fact
#: asserted in each (the shipped packs' rules fit in one).
RULES_PER_RULESET = 64
_OPERATORS = {"<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte", "!=": "$neq"}
_NAME = re.compile(r"[A-Za-z0-9_:.-]+")


@dataclass(frozen=True)
class EngineRule:
    """A rule: fires on each fact of `kind` that satisfies `condition`."""

    name: str
    kind: str
    condition: Condition = Always()


def _native():
    """durable-rules' C extension, loaded only when rules run. It is built on install; built for
    Python 3.13 without the README's CPPFLAGS it installs but cannot load (undefined symbol
    PyEval_CallObject): say so and how to rebuild it, rather than end in a traceback."""
    try:
        import durable_rules_engine
    except ImportError as error:
        command = (
            f'CPPFLAGS="-DPyEval_CallObject=PyObject_CallObject" {sys.executable} -m pip install '
            "--no-cache-dir --force-reinstall durable-rules==2.0.28"
        )
        raise UsageError(
            f"the rule engine durable-rules cannot be loaded ({error}); rebuild it with: {command}",
            f"规则引擎 durable-rules 无法加载（{error}）；请用以下命令重新编译安装：{command}",
        ) from None
    return durable_rules_engine


class EngineError(RuntimeError):
    """durable-rules did not evaluate a fact (it took it for one it had seen already)."""


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


def fields_read(condition: Condition | None) -> set[str]:
    """The fact fields a condition tests."""
    if condition is None or isinstance(condition, Always):
        return set()
    if isinstance(condition, Compare):
        return {condition.field}
    return set().union(*map(fields_read, condition.items))


#: durable-rules' answers to an assertion (its rules.h).
_NOT_HANDLED, _OBSERVED = 1, 2


class RuleEngine:
    """Compiled rules, asked which of them each fact satisfies."""

    def __init__(self, rules: Sequence[EngineRule]):
        names = [rule.name for rule in rules]
        if len(set(names)) != len(names) or _ANCHOR in names:
            raise ValueError("engine rule names must be unique")
        if not all(_NAME.fullmatch(name) for name in names):
            raise ValueError("engine rule names are letters, digits and _ : . - only")
        self.rules = tuple(rules)
        self.definitions = [
            json.dumps(compile_rules(self.rules[start : start + RULES_PER_RULESET]), ensure_ascii=False)
            for start in range(0, max(len(self.rules), 1), RULES_PER_RULESET)
        ]

    def refusal(self) -> str | None:
        """Why durable-rules will not take these rules (its own error, such as 113 for conditions
        that expand past its limits), or None: asked before a command reads data."""
        native = _native()
        for definition in self.definitions:
            try:
                handle = native.create_ruleset(_RULESET, definition)
            except Exception as error:  # the extension's own error type
                return str(error)
            native.delete_ruleset(handle)
        return None

    def judge(self, facts: Sequence[Mapping]) -> tuple[list[set[str]], list[tuple[int, EngineError]]]:
        """Per fact (numbers and text only, with a `kind`), the names of the rules it satisfies;
        and the facts the engine failed to evaluate, by index. Facts should be distinct: each is
        asserted once, whatever else holds the same values."""
        native = _native()

        fired: list[set[str]] = [set() for _ in facts]
        failed: dict[int, EngineError] = {}
        for definition in self.definitions:
            handle = native.create_ruleset(_RULESET, definition)
            try:
                for start in range(0, len(facts), FACTS_PER_SID):
                    sid = str(start // FACTS_PER_SID)
                    _assert(native, handle, {"kind": _ANCHOR}, sid, 0, set())
                    for index in range(start, min(start + FACTS_PER_SID, len(facts))):
                        fact = facts[index]
                        if _assert(native, handle, fact, sid, index + 1, fired[index]) == _OBSERVED:
                            shown = {**fact, "sid": sid, "_n": index + 1}
                            failed[index] = EngineError(f"durable-rules took a fact for one already seen: {shown}")
                    native.delete_state(handle, sid)
            finally:
                native.delete_ruleset(handle)
        return fired, sorted(failed.items())


def _assert(native, handle: int, fact: Mapping, sid: str, number: int, fired: set[str]) -> int:
    """Asserts one fact in session `sid`; adds the names of the rules it fired to `fired`.
    "Not handled" (no rule matched) is the normal outcome for a fact no rule fails."""
    message = json.dumps({**fact, "sid": sid, "_n": number}, ensure_ascii=False)
    code, state = native.assert_fact(handle, message)
    if code in (_NOT_HANDLED, _OBSERVED):
        return code
    started = native.start_action_for_state(handle, state)
    action = started[1] if started else None
    while action:
        # An action reads {"RULE": {"m": FACT}}: only the rule's name (plain, see RuleEngine) is read.
        name = action[2 : action.index('"', 2)]
        if name != _ANCHOR:
            fired.add(name)
        action = native.complete_and_start_action(handle, state)
    return code
