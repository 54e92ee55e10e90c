"""Typing a file's text into a record type's columns, in one SQL query per file.

Every spelling docs/data-format.md accepts is written once, here, as a DuckDB expression per
column type; a cell whose text no expression of its column takes is a located `Problem` (file,
spreadsheet row, column, value, expected). A row with a problem is left out of the table (its id
kept, so references to it are not reported twice); a row whose cells are all blank is counted,
never reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import Problem
from ..hanzi import TRADITIONAL_TO_SIMPLIFIED, fold
from ..schema import BOOL, DATE, DATETIME, ENUM, INT, LIST, PERIOD, STR, Column, RecordType
from .files import TextTable, as_text

#: What Python's str.strip() strips (and str.isspace() tests); a test checks it against Python.
WHITESPACE = (
    "\t\n\x0b\x0c\r\x1c\x1d\x1e\x1f \x85\xa0\u1680"
    "\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000"
)
TRUE = ("true", "1", "yes", "y", "是", "t")
FALSE = ("false", "0", "no", "n", "否", "f")
#: A date: 2024-03-05, 2024/3/5, 2024.3.5 or 2024年3月5日; then optionally a time of day.
_MOMENT = (
    r"^([0-9]{4})(?:-([0-9]{1,2})-([0-9]{1,2})|/([0-9]{1,2})/([0-9]{1,2})|\.([0-9]{1,2})\.([0-9]{1,2})"
    r"|年([0-9]{1,2})月([0-9]{1,2})日)(?:[ T]\s*([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?$"
)
_MOMENT_PARTS = ("y", "m1", "d1", "m2", "d2", "m3", "d3", "m4", "d4", "h", "mi", "s")
#: Excel stores dates as days since 1899-12-30; a CSV exported with "General" cells shows that
#: number. Only serials of five digits (the years 1927–2173) are dates, so a stray number is not.
_SERIAL = r"^[0-9]{5}(\.[0-9]+)?$"
_ARROW_TYPES = {
    STR: pa.string(),
    INT: pa.int64(),
    DATE: pa.date32(),
    DATETIME: pa.timestamp("us"),
    BOOL: pa.bool_(),
    LIST: pa.list_(pa.string()),
    ENUM: pa.string(),
    PERIOD: pa.string(),
}


def quoted(text: str) -> str:
    """`text` as an SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


_SPACES = "[" + "".join(f"\\x{{{ord(char):x}}}" for char in WHITESPACE) + "]+"
_TRADITIONAL, _SIMPLIFIED = "".join(TRADITIONAL_TO_SIMPLIFIED), "".join(TRADITIONAL_TO_SIMPLIFIED.values())


_SPACE = _SPACES[:-1]


def _strip(text: str) -> str:
    """`text` without the whitespace Python's str.strip() strips."""
    return f"ek_strip({text})"


def _digits(text: str) -> str:
    """`text` with full-width digits made ASCII."""
    return f"ek_digits({text})"


def _fold(text: str) -> str:
    """`text` (already stripped) as `hanzi.fold` makes it: Simplified and lower case."""
    return f"ek_fold({text})"


def define_macros(connection) -> None:
    """The text functions the typing queries share, defined once on the connection (its own,
    not the process's). Only text that needs rewriting is rewritten: most cells have no
    surrounding space, no full-width digit and no Traditional character."""
    simplified = f"translate(x, {quoted(_TRADITIONAL)}, {quoted(_SIMPLIFIED)})"
    connection.execute(
        f"""CREATE MACRO ek_strip(x) AS CASE WHEN regexp_matches(x, '^{_SPACE}|{_SPACE}$')
                THEN regexp_replace(x, '^{_SPACES}|{_SPACES}$', '', 'g') ELSE x END;
            CREATE MACRO ek_digits(x) AS CASE WHEN regexp_matches(x, '[０-９]')
                THEN translate(x, '０１２３４５６７８９', '0123456789') ELSE x END;
            CREATE MACRO ek_fold(x) AS lower(CASE WHEN regexp_matches(x, {quoted("[" + _TRADITIONAL + "]")})
                THEN {simplified} ELSE x END);"""
    )


#: The spelling nearly every date and date-time cell has (ISO, two-digit fields in range, a
#: year from 0001): DuckDB's own cast reads it at a tenth of the cost of taking `_MOMENT` apart,
#: and every such text reads the same either way (a test checks).
_ISO_MOMENT = r"^[0-9]{4}-[0-9]{2}-[0-9]{2}(?:[ T](?:[01][0-9]|2[0-3]):[0-5][0-9](?::[0-5][0-9])?)?$"


def iso_moment_sql(text: str) -> str:
    """The TIMESTAMP of an ISO-spelled text (`_ISO_MOMENT`), or NULL for any other spelling."""
    return (
        f"CASE WHEN regexp_matches({text}, {quoted(_ISO_MOMENT)}) AND NOT starts_with({text}, '0000') "
        f"THEN try_cast({text} AS TIMESTAMP) END"
    )


def parts_sql(column: Column, text: str, iso: str = "NULL") -> str | None:
    """For a column whose spelling has parts (dates, periods): the text's parts as a struct
    (for a moment whose ISO reading `iso` failed)."""
    digits = _digits(text)
    if column.type in (DATE, DATETIME):
        return f"CASE WHEN {iso} IS NULL THEN regexp_extract({digits}, {quoted(_MOMENT)}, {list(_MOMENT_PARTS)!r}) END"
    if column.type == PERIOD:
        return f"regexp_extract({digits}, '^([0-9]{{4}})(?:[Qq]([1-4]))?$', ['y', 'q'])"
    return None


#: A moment's numbers from its parts (`parts_sql`): year, month, day, hour, minute, second.
MOMENT_NUMBERS = {
    "year": ("y",),
    "month": ("m1", "m2", "m3", "m4"),
    "day": ("d1", "d2", "d3", "d4"),
    "hour": ("h",),
    "minute": ("mi",),
    "second": ("s",),
}


def number_sql(parts: str, names: tuple[str, ...]) -> str:
    """The number in whichever of the parts `names` matched (0 when none did)."""
    found = ", ".join(f"nullif({parts}.{name}, '')" for name in names)
    return f"CAST(coalesce({found}, '0') AS INTEGER)"


def value_sql(column: Column, text: str, parts: str, numbers: dict[str, str], iso: str = "NULL") -> str:
    """The typed value of a non-blank cell whose stripped text is `text` (with its `parts` and,
    for a moment, its `numbers`), or NULL when the column does not take that spelling. A date is
    read as a moment here (`final_sql` keeps it when it is midnight)."""
    kind = column.type
    digits = _digits(text)
    if kind == STR:
        return text
    if kind == INT:
        number = f"regexp_extract({digits}, '^\\+?([0-9]{{1,18}})(\\.0*)?$', 1)"
        return f"CAST(nullif({number}, '') AS BIGINT)"
    if kind in (DATE, DATETIME):
        year, month, day, hour, minute, second = numbers.values()
        serial = f"TIMESTAMP '1899-12-30' + to_seconds(CAST(round_even(CAST({digits} AS DOUBLE) * 86400, 0) AS BIGINT))"
        return (
            f"CASE WHEN {iso} IS NOT NULL THEN {iso} "
            f"WHEN regexp_matches({digits}, {quoted(_SERIAL)}) THEN {serial} "
            f"WHEN {parts}.y = '' OR {year} < 1 OR {month} NOT BETWEEN 1 AND 12 THEN NULL "
            f"WHEN {day} BETWEEN 1 AND day(last_day(make_date({year}, {month}, 1))) "
            f"AND {hour} < 24 AND {minute} < 60 AND {second} < 60 "
            f"THEN make_timestamp({year}, {month}, {day}, {hour}, {minute}, {second}) END"
        )
    if kind == BOOL:
        spelled = f"lower({text})"
        true, false = f"list_contains({_list(TRUE)}, {spelled})", f"list_contains({_list(FALSE)}, {spelled})"
        return f"CASE WHEN {true} THEN true WHEN {false} THEN false END"
    if kind == LIST:
        items = f"list_transform(regexp_split_to_array({text}, '[;；]'), lambda item: {_strip('item')})"
        return f"list_filter({items}, lambda item: item <> '')"
    if kind == ENUM:
        spellings = enum_spellings(column)
        cases = " ".join(f"WHEN {quoted(spelling)} THEN {quoted(code)}" for spelling, code in spellings.items())
        direct = " ".join(f"WHEN {quoted(code)} THEN {quoted(code)}" for code in column.enum)
        return f"coalesce(CASE {text} {direct} END, CASE {_fold(text)} {cases} END)"
    if kind == PERIOD:
        quarter = f"CASE WHEN {parts}.q <> '' THEN 'Q' || {parts}.q ELSE '' END"
        return f"CASE WHEN {parts}.y <> '' THEN {parts}.y || {quarter} END"
    raise AssertionError(f"unknown column type {kind}")


def final_sql(column: Column, value: str, text: str) -> str:
    """A DATE column's moment as a date, when it is midnight; a blank boolean false, a blank
    list empty; other values as they are."""
    if column.type == DATE:
        return f"CASE WHEN CAST({value} AS TIME) = TIME '00:00:00' THEN CAST({value} AS DATE) END"
    if column.type == BOOL:
        return f"CASE WHEN {text} IS NULL THEN false ELSE {value} END"
    if column.type == LIST:
        return f"CASE WHEN {text} IS NULL THEN CAST([] AS VARCHAR[]) ELSE {value} END"
    return value


def _list(texts) -> str:
    return "[" + ", ".join(map(quoted, texts)) + "]"


def enum_spellings(column: Column) -> dict[str, str]:
    """Every accepted spelling of the column's enum (the code, or a label folded) → its code."""
    assert column.enum is not None
    spellings = {}
    for code, labels in column.enum.items():
        spellings[code] = code
        for label in labels:
            spellings[fold(label)] = code
    return spellings


def blank_value(column: Column) -> object:
    """What a blank cell means where blank is not "missing": false, an empty list, or nothing."""
    return {BOOL: False, LIST: []}.get(column.type)


@dataclass
class Typed:
    """One file's rows, typed, and what was wrong with the others."""

    table: pa.Table  # the rows without problems; absent optional columns blank
    rows: pa.Array  # their spreadsheet row numbers
    problems: list[Problem] = field(default_factory=list)
    blank_rows: int = 0
    rejected_ids: set[str] = field(default_factory=set)


@dataclass(frozen=True)
class _Slot:
    index: int  # the cell's position in the record
    column: Column | None  # None: an extra column, kept as text for plugins
    key: str  # the column's name, or the header's text for an extra column


def _slots(record_type: RecordType, text: TextTable) -> tuple[list[_Slot], list[Problem]]:
    """Which column each header cell names, and the problems of the header row."""
    names = {}
    for column in record_type.columns:
        names[column.name.lower()] = column
        names[fold(column.zh)] = column
    slots, problems, seen = [], [], {}
    for index, cell in enumerate(text.header):
        header = as_text(cell) if cell is not None else ""
        if not header:
            continue  # an unnamed column is not data (Excel leaves them behind)
        column = names.get(fold(header))
        key = column.name if column else header
        if key in seen:
            problems.append(
                Problem(text.file, 1, header, "", f"each column once ({key} is also column {seen[key] + 1})")
            )
            continue
        seen[key] = index
        slots.append(_Slot(index, column, key))
    for column in record_type.columns:
        if column.must_have_value and column.name not in seen:
            problems.append(Problem(text.file, 1, column.name, "", f"a column {column.name} [{column.zh}]"))
    return slots, problems


def type_table(connection, record_type: RecordType, text: TextTable, max_chars: int) -> Typed:
    """`text` typed by the record type's columns (one query), with every problem found."""
    slots, problems = _slots(record_type, text)
    width = len(text.columns)
    cells = pa.table([text.rows, *text.columns], names=["row", *(f"c{index}" for index in range(width))])
    view = "evalkit_text"
    connection.register(view, cells)
    try:
        typed = _typed(connection, view, record_type, text, slots, width, max_chars)
    finally:
        connection.unregister(view)
    typed.problems = problems + typed.problems + ([text.unreadable] if text.unreadable else [])
    typed.blank_rows += text.blank_rows
    return typed


def _typed(
    connection, view: str, record_type, text: TextTable, slots: list[_Slot], width: int, max_chars: int
) -> Typed:
    """Types the cells of `view` (row, c0, c1, ...) in one query, layer by layer (stripped
    text, its parts, their numbers, values, faults); rows without a fault make the table, the
    others the problems."""
    beyond = list(range(len(text.header), width))
    layers: list[list[str]] = [[f"nullif({_strip(f'c{index}')}, '') AS t{index}" for index in range(width)]]
    layers[0] += [
        f"strlen(c{slot.index}) > {max_chars} AND length(c{slot.index}) > {max_chars} AS l{n}"
        for n, slot in enumerate(slots)
    ]
    layers.append(
        [" AND ".join(f"t{index} IS NULL" for index in range(width)) + " AS blank" if width else "true AS blank"]
    )
    layers.append([])  # ISO moments
    layers.append([])  # parts
    layers.append([])  # numbers
    values, finals, faults = [], [], []
    for n, slot in enumerate(slots):
        column, text_of = slot.column, f"t{slot.index}"
        if column is None:  # an extra column: text, refused only when too long
            finals.append(f"{text_of} AS v{n}")
            faults.append(f"CASE WHEN l{n} THEN 'long' END AS p{n}")
            continue
        moment = column.type in (DATE, DATETIME)
        iso = f"i{n}" if moment else "NULL"
        if moment:
            layers[2].append(f"{iso_moment_sql(text_of)} AS {iso}")
        parts = parts_sql(column, text_of, iso)
        if parts:
            layers[3].append(f"{parts} AS g{n}")
        numbers = {name: f"{name}{n}" for name in MOMENT_NUMBERS} if moment else {}
        layers[4] += [f"{number_sql(f'g{n}', MOMENT_NUMBERS[name])} AS {ref}" for name, ref in numbers.items()]
        values.append(f"{value_sql(column, text_of, f'g{n}', numbers, iso)} AS w{n}")
        finals.append(f"{final_sql(column, f'w{n}', text_of)} AS v{n}")
        missing = "'missing'" if column.must_have_value else "NULL"
        faults.append(
            f"CASE WHEN l{n} THEN 'long' WHEN {text_of} IS NULL THEN {missing} WHEN v{n} IS NULL THEN 'bad' END AS p{n}"
        )
    faults += [
        f"CASE WHEN t{index} IS NOT NULL THEN 'beyond' END AS p{len(slots) + k}" for k, index in enumerate(beyond)
    ]
    query = f"SELECT * FROM {view}"
    for layer in [*layers, values, finals, faults]:
        if layer:
            query = f"SELECT *, {', '.join(layer)} FROM ({query})"
    names = [*(f"v{n}" for n in range(len(slots))), *(f"p{n}" for n in range(len(faults)))]
    # Rows keep the file's order: the connection preserves insertion order (`load_dataset`).
    result = connection.sql(f"SELECT {', '.join(['row', 'blank', *names])} FROM ({query})").to_arrow_table()
    blank = result.column("blank")
    faulty = pc.and_kleene(pc.invert(blank), _any_valid([result.column(f"p{n}") for n in range(len(faults))]))
    rows = result.filter(pc.invert(pc.or_(blank, faulty)))
    bad = result.filter(faulty)
    cells = pa.table([text.rows, *text.columns], names=["row", *(f"c{index}" for index in range(width))])
    bad_cells = cells.take(pc.index_in(bad.column("row"), value_set=text.rows))
    records = [
        (number, [column[at] for column in cell_columns], [column[at] for column in fault_columns])
        for cell_columns, fault_columns in [
            (
                [bad_cells.column(f"c{index}").to_pylist() for index in range(width)],
                [bad.column(f"p{n}").to_pylist() for n in range(len(faults))],
            )
        ]
        for at, number in enumerate(bad.column("row").to_pylist())
    ]
    problems, rejected_ids = _problems(text, slots, beyond, records, max_chars, record_type.id_column)
    blank_rows = pc.sum(blank).as_py() or 0
    return Typed(
        _arranged(record_type, slots, rows), rows.column("row").combine_chunks(), problems, blank_rows, rejected_ids
    )


def _any_valid(columns: list) -> pa.Array:
    """Per row, whether any of `columns` is not null."""
    found = pa.array([False] * (len(columns[0]) if columns else 0), pa.bool_())
    for column in columns:
        found = pc.or_(found, pc.is_valid(column))
    return found


def _problems(text: TextTable, slots, beyond, bad: list[tuple], max_chars: int, id_column):
    """The problems of the rows with a fault, and the ids of those rows."""
    problems, rejected_ids = [], set()
    expected = {
        "long": lambda column: f"a cell of at most {max_chars} characters",
        "missing": lambda column: f"a value ({column.expected()})",
        "bad": lambda column: column.expected(),
        "beyond": lambda column: "no cell beyond the last named column",
    }
    for number, cells, faults in bad:
        where = [(slot.index, slot.key, slot.column) for slot in slots]
        where += [(index, f"column {index + 1}", None) for index in beyond]
        for (index, key, column), fault in zip(where, faults, strict=True):
            if fault is None:
                continue
            cell = cells[index] or ""
            value = cell[:40] + "…" if fault == "long" else "" if fault == "missing" else as_text(cell)
            problems.append(Problem(text.file, number, key, value, expected[fault](column)))
        for slot, fault in zip(slots, faults, strict=False):
            if slot.key == id_column and fault != "long" and cells[slot.index] and cells[slot.index].strip():
                rejected_ids.add(cells[slot.index].strip())
    return problems, rejected_ids


def _arranged(record_type: RecordType, slots: list[_Slot], rows: pa.Table) -> pa.Table:
    """The typed rows with the record type's absent columns first (blank), then the file's."""
    present = {slot.key for slot in slots}
    arrays, names = [], []
    for column in record_type.columns:
        if column.name not in present:
            arrays.append(pa.array([blank_value(column)] * rows.num_rows, _ARROW_TYPES[column.type]))
            names.append(column.name)
    for n, slot in enumerate(slots):
        kind = _ARROW_TYPES[slot.column.type] if slot.column else pa.string()
        arrays.append(rows.column(f"v{n}").cast(kind))
        names.append(slot.key)
    return pa.table(arrays, names=names)
