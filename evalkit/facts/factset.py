"""Every kind's facts as one table, checked and in one total order: what the rules read.

A plugin gives its facts as `Fact` objects or as `FactTable`s; both become, per kind, one Arrow
table with the columns `subject`, `subject_kind`, `period`, `year`, `quarter` (0 for a year),
the kind's fields and `evidence:NAME` lists, sorted by subject, period, the values (as text)
and the evidence, so nothing downstream depends on the order in which plugins built them.
"""

from __future__ import annotations

from collections.abc import Sequence

import pyarrow as pa
import pyarrow.compute as pc

from ..periods import Period
from . import Fact, FactKind, FactTable, evidence_column


class UnsoundFacts(ValueError):
    """A plugin's facts of one kind are not what the kind declares; `subjects` are those
    concerned (empty: all of them)."""

    def __init__(self, error: str, subjects: Sequence[str] = ()):
        super().__init__(error)
        self.subjects = tuple(subjects)


def from_facts(kind: FactKind, facts: Sequence[Fact]) -> pa.Table:
    """Sound `Fact` objects of one kind (the session checked each with `FactKind.problem`) as a
    table; a field whose values are whole and fractional numbers becomes fractional (2 reads as 2.0)."""
    columns = {
        "subject": pa.array([fact.subject for fact in facts], pa.string()),
        "subject_kind": pa.array([kind.subject_kind_of(fact) for fact in facts], pa.string()),
        "period": pa.array([str(fact.period) for fact in facts], pa.string()),
    }
    for name in kind.fields:
        columns[name] = _values(kind, name, [fact.values[name] for fact in facts])
    for name in kind.evidence:
        columns[evidence_column(name)] = pa.array(
            [list(fact.evidence.get(name, ())) for fact in facts], pa.list_(pa.string())
        )
    return pa.table(columns)


def _values(kind: FactKind, name: str, values: list) -> pa.Array:
    types = set(map(type, values))
    if types <= {int}:
        return pa.array(values, pa.int64())
    if types <= {int, float}:
        return pa.array([float(value) for value in values], pa.float64())
    if types <= {str}:
        return pa.array(values, pa.string())
    raise UnsoundFacts(f"{kind.name} fact: {name} mixes numbers and text")


def from_table(kind: FactKind, facts: FactTable) -> pa.Table:
    """A plugin's `FactTable`, checked: exactly the kind's fields, as numbers or text with no
    blank and no NaN; a known subject kind; a period; evidence as lists of ids."""
    table = facts.table
    if not isinstance(table, pa.Table):
        raise UnsoundFacts(f"{kind.name} facts: a FactTable holds a pyarrow.Table, not {type(table).__name__}")
    names = set(table.column_names)
    wanted = {"subject", "period", *kind.fields}
    allowed = wanted | {"subject_kind"} | {evidence_column(name) for name in kind.evidence}
    missing, extra = sorted(wanted - names), sorted(names - allowed)
    if missing or extra:
        parts = [f"lacks {', '.join(missing)}"] if missing else []
        parts += [f"has undeclared {', '.join(extra)}"] if extra else []
        raise UnsoundFacts(f"{kind.name} facts: {' and '.join(parts)}")
    columns = {"subject": _text(kind, table, "subject")}
    if "subject_kind" in names:
        columns["subject_kind"] = _text(kind, table, "subject_kind")
    elif len(kind.subject_kinds) == 1:
        columns["subject_kind"] = pa.array([kind.subject_kind] * table.num_rows, pa.string())
    else:
        raise UnsoundFacts(f"{kind.name} facts: lack subject_kind (the kind serves {kind.subject_kind})")
    bad_kind = pc.invert(pc.is_in(columns["subject_kind"], value_set=pa.array(kind.subject_kinds)))
    if pc.any(bad_kind).as_py():
        first = pc.filter(columns["subject_kind"], bad_kind)[0].as_py()
        raise UnsoundFacts(f"{kind.name} fact: subject_kind {first!r} is not {', '.join(kind.subject_kinds)}")
    columns["period"] = _text(kind, table, "period")
    for name in kind.fields:
        column = table.column(name)
        if column.null_count:
            raise UnsoundFacts(f"{kind.name} facts: {name} has blanks")
        if pa.types.is_integer(column.type):
            column = column.cast(pa.int64())
        elif pa.types.is_floating(column.type):
            column = column.cast(pa.float64())
            if pc.any(pc.is_nan(column)).as_py():
                raise UnsoundFacts(f"{kind.name} facts: {name} holds NaN, not a number")
        elif not pa.types.is_string(column.type) and not pa.types.is_large_string(column.type):
            raise UnsoundFacts(f"{kind.name} facts: {name} is {column.type}, not a number or text (flags are 0/1)")
        columns[name] = column.cast(pa.string()) if pa.types.is_large_string(column.type) else column
    for name in kind.evidence:
        key = evidence_column(name)
        if key in names:
            columns[key] = table.column(key).cast(pa.list_(pa.string()))
        else:  # a list nobody reads, left unbuilt (evalkit_facts' `evidence`)
            columns[key] = _empty_lists(table.num_rows)
    return pa.table(columns)


def _empty_lists(count: int) -> pa.ListArray:
    """`count` empty lists of ids, made from offsets alone: a province's facts are 800,000 rows,
    and `pa.array([[]] * count)` would build as many Python lists first."""
    return pa.ListArray.from_arrays(pa.repeat(pa.scalar(0, pa.int32()), count + 1), pa.array([], pa.string()))


def _text(kind: FactKind, table: pa.Table, name: str) -> pa.ChunkedArray:
    column = table.column(name)
    if not pa.types.is_string(column.type) or column.null_count:
        raise UnsoundFacts(f"{kind.name} facts: {name} must be text, never blank")
    return column


def ordered(connection, kind: FactKind, table: pa.Table) -> pa.Table:
    """The kind's facts with `year` and `quarter` (0 for a year), in the total order: subject,
    period (a year after its quarters), the values as text in the fields' name order, then the
    evidence lists; a period that is not one is refused.

    Only the order is computed in SQL, and the table taken in it: sorting carried every evidence
    list through the sort. The evidence lists only break ties, so they are sort keys only when
    the other keys have ties; and a table already in order (as a grouped query gives it) is kept.
    """
    for text in pc.unique(table["period"]).to_pylist():
        try:
            canonical = str(Period.parse(text)) == text
        except ValueError:
            canonical = False
        if not canonical:
            raise UnsoundFacts(f"{kind.name} facts: period {text!r} is not a year or a quarter (2024, 2024Q1)")
    # Two facts with the same subject, period and values (bit for bit) tie: their evidence lists
    # break the tie, if the kind has any. Facts that do not tie differ in the values' texts too.
    values = ["subject", "period", *sorted(kind.fields)]
    ties = bool(kind.evidence) and table.select(values).group_by(values).aggregate([]).num_rows < table.num_rows
    rows = pa.chunked_array([pa.array(range(table.num_rows), pa.int64())])
    connection.register("evalkit_unordered", table.append_column("_at", rows))
    try:
        fields = [f'"{name}"' for name in sorted(kind.fields)]
        year = "CAST(left(period, 4) AS BIGINT)"
        quarter = "CASE WHEN length(period) = 6 THEN CAST(right(period, 1) AS BIGINT) ELSE 0 END"
        keys = ["subject", year, f"coalesce(nullif({quarter}, 0), 5)"]
        keys += [f"CAST({name} AS VARCHAR)" for name in fields]
        keys += [f'"{evidence_column(name)}"' for name in sorted(kind.evidence)] if ties else []
        order = connection.sql(
            f"SELECT _at, {year} AS year, {quarter} AS quarter FROM evalkit_unordered ORDER BY {', '.join(keys)}"
        ).to_arrow_table()
    finally:
        connection.unregister("evalkit_unordered")
    if not order["_at"].equals(rows):
        table = table.take(order["_at"])
    return table.add_column(3, "year", order["year"]).add_column(4, "quarter", order["quarter"])
