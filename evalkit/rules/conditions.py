"""The condition language of rule packs: a whitelisted subset of Python expressions.

    bases < min_bases
    member_education >= 2 and (participants >= 10 or key_project == 1)
    0 < share <= 0.5
    not (status == "fail")

Allowed: names (fact fields or rule parameters), numbers, quoted text, True/False, the
comparisons == != < <= > >= (chains such as `1 <= x < 5` are ranges), `and`, `or`, `not`, and
parentheses. Everything else (calls, attributes, arithmetic, subscripts, ...) is refused with
the offending piece named. Text is parsed with `ast`, never evaluated. The result is an
engine-neutral tree that `engine.py` compiles; `not` is pushed down to the comparisons, since
durable-rules' own negation misbehaves (docs/engine.md).
"""

from __future__ import annotations

import ast
from collections.abc import Callable, Mapping
from dataclasses import dataclass

Value = int | float | str

#: Beyond these a condition is refused when its pack loads: real ones are a line or two, and
#: deeper nesting (or larger numbers) is where the rule engine and Python's parser give out.
MAX_LENGTH, MAX_DEPTH, MAX_NUMBER = 2_000, 8, 10**15
_OPS = {ast.Eq: "==", ast.NotEq: "!=", ast.Lt: "<", ast.LtE: "<=", ast.Gt: ">", ast.GtE: ">="}
_NEGATED = {"==": "!=", "!=": "==", "<": ">=", "<=": ">", ">": "<=", ">=": "<"}
_MIRRORED = {"==": "==", "!=": "!=", "<": ">", "<=": ">=", ">": "<", ">=": "<="}


@dataclass(frozen=True)
class Compare:
    """`field op value`: a fact field compared with a constant."""

    field: str
    op: str
    value: Value


@dataclass(frozen=True)
class AllOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class AnyOf:
    items: tuple[Condition, ...]


@dataclass(frozen=True)
class Always:
    """`True`: the rule matches every fact of its kind."""


Condition = Compare | AllOf | AnyOf | Always


class ConditionError(ValueError):
    """The text is not a valid condition; the message says which piece and why."""


def parse_condition(
    text: str,
    params: Mapping[str, Value],
    is_field: Callable[[str], bool],
    max_depth: int = MAX_DEPTH,
) -> Condition:
    """Parse `text` into a condition tree.

    Names are rule parameters (replaced by their value) or fact fields (`is_field`).
    """
    text = str(text).strip()
    if len(text) > MAX_LENGTH:
        raise ConditionError(f"a condition of at most {MAX_LENGTH} characters, not {len(text)}")
    try:
        tree = ast.parse(text, mode="eval").body
    except SyntaxError as error:
        raise ConditionError(f"not a valid condition: {error.msg} in {text!r}") from None
    except (RecursionError, MemoryError):
        raise ConditionError(f"nested more than {max_depth} levels deep") from None
    return _Builder(text, params, is_field, max_depth).build(tree, negate=False)


class _Builder:
    def __init__(self, text, params, is_field, max_depth):
        self.text, self.params, self.is_field, self.max_depth = text, params, is_field, max_depth

    def refuse(self, node: ast.AST, why: str) -> ConditionError:
        piece = ast.get_source_segment(self.text, node) or type(node).__name__
        return ConditionError(f"{why}: {piece!r} in {self.text!r}")

    def build(self, node: ast.AST, negate: bool, depth: int = 0) -> Condition:
        if depth > self.max_depth:
            raise self.refuse(node, f"nested more than {self.max_depth} levels deep (and, or, not)")
        if isinstance(node, ast.BoolOp):
            items = tuple(self.build(value, negate, depth + 1) for value in node.values)
            is_and = isinstance(node.op, ast.And) != negate  # De Morgan
            return AllOf(items) if is_and else AnyOf(items)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
            return self.build(node.operand, not negate, depth + 1)
        if isinstance(node, ast.Compare):
            return self.compare(node, negate)
        if isinstance(node, ast.Constant) and node.value is True and not negate:
            return Always()
        raise self.refuse(node, "only comparisons joined by and/or/not are allowed")

    def compare(self, node: ast.Compare, negate: bool) -> Condition:
        operands = [node.left, *node.comparators]
        parts = []
        for left, op, right in zip(operands, node.ops, operands[1:], strict=False):
            if type(op) not in _OPS:
                raise self.refuse(node, "only == != < <= > >= compare")
            parts.append(self.pair(left, _OPS[type(op)], right, negate))
        if len(parts) == 1:
            return parts[0]
        return AnyOf(tuple(parts)) if negate else AllOf(tuple(parts))

    def pair(self, left: ast.AST, op: str, right: ast.AST, negate: bool) -> Compare:
        left_field, right_field = self.field(left), self.field(right)
        if left_field is None and isinstance(right_field, str):
            left, right, left_field, op = right, left, right_field, _MIRRORED[op]
        if not isinstance(left_field, str):
            raise self.refuse(left, "one side of a comparison must be a fact field")
        value = self.field(right)
        if isinstance(value, str):
            raise self.refuse(right, "compare a field with a number, text or parameter, not with another field")
        if value is None:
            value = self.value(right)
        return Compare(left_field, _NEGATED[op] if negate else op, value)

    def field(self, node: ast.AST) -> str | None:
        """The fact field `node` names, if it names one (parameters are values, not fields)."""
        if isinstance(node, ast.Name) and node.id not in self.params:
            if not self.is_field(node.id):
                raise self.refuse(node, "unknown name (neither a field of the fact nor a parameter of the rule)")
            return node.id
        return None

    def value(self, node: ast.AST) -> Value:
        if isinstance(node, ast.Name):
            value = self.params[node.id]
        elif isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) and _is_number(node.operand):
            value = -node.operand.value
        elif isinstance(node, ast.Constant):
            value = node.value
        else:
            raise self.refuse(node, "only numbers, quoted text and parameter names can be compared")
        if isinstance(value, bool):
            return int(value)  # facts carry flags as 0/1: the engine compares mixed types as text
        if not isinstance(value, (int, float, str)):
            raise self.refuse(node, "a parameter used in a condition must be a number or text")
        if isinstance(value, (int, float)) and not -MAX_NUMBER <= value <= MAX_NUMBER:  # NaN too
            raise self.refuse(node, f"a number between -{MAX_NUMBER:.0e} and {MAX_NUMBER:.0e}")
        return value


def _is_number(node: ast.AST) -> bool:
    return isinstance(node, ast.Constant) and type(node.value) in (int, float)
