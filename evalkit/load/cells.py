"""Typing the files' text into their record types' columns: one SQL query types the distinct texts
of every file's columns, and each cell takes its text's value (`Typing`).

Every spelling docs/data-format.md accepts is written once, here, as a DuckDB expression per
column type; a cell whose text no expression of its column takes is a located `Problem` (file,
spreadsheet row, column, value, expected). A row with a problem is left out of the table (its id
kept, so references to it are not reported twice); a row whose cells are all blank is counted,
never reported.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from dataclasses import dataclass, field
from difflib import get_close_matches

import pyarrow as pa
import pyarrow.compute as pc

from ..errors import Note, Problem
from ..hanzi import TRADITIONAL_TO_SIMPLIFIED, fold, fold_nfkc
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


def parts_sql(kind: str, digits: str, iso: str = "NULL") -> str | None:
    """For a column type whose spelling has parts (dates, periods): the parts, as a struct, of a
    text whose digits are made ASCII (`digits`; for a moment, only when its ISO reading `iso`
    failed)."""
    if kind in (DATE, DATETIME):
        return f"CASE WHEN {iso} IS NULL THEN regexp_extract({digits}, {quoted(_MOMENT)}, {list(_MOMENT_PARTS)!r}) END"
    if kind == PERIOD:
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


def value_sql(
    column: Column, text: str, digits: str, folded: str, parts: str, numbers: dict[str, str], iso: str = "NULL"
) -> str:
    """The typed value of a non-blank cell whose stripped text is `text` (`digits`: with its
    digits made ASCII, `folded`: folded, `parts`: its parts, `numbers`: a moment's numbers from
    them, `iso`: its ISO reading as a moment; each worked out once, for the types that read it),
    or NULL when the column does not take that spelling. A date is read as a moment here
    (`final_sql` keeps it when it is midnight)."""
    kind = column.type
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
        items = f"list_filter({items}, lambda item: item <> '')"
        if column.enum is None:
            return items
        # A list of choices: each item read as an ENUM cell is; one item no choice takes makes the cell bad.
        codes = f"list_transform({items}, lambda item: {_choice(column, 'item', _fold('item'))})"
        return f"CASE WHEN list_bool_and(list_transform({codes}, lambda code: code IS NOT NULL)) THEN {codes} END"
    if kind == ENUM:
        return _choice(column, text, folded)
    if kind == PERIOD:
        quarter = f"CASE WHEN {parts}.q <> '' THEN 'Q' || {parts}.q ELSE '' END"
        return f"CASE WHEN {parts}.y <> '' THEN {parts}.y || {quarter} END"
    raise AssertionError(f"unknown column type {kind}")


def _choice(column: Column, text: str, folded: str) -> str:
    """The code an enumeration's cell (or a list of choices' item) `text` spells, `folded` being
    it folded: the code itself, or a label; NULL for anything else."""
    spellings = enum_spellings(column)
    cases = " ".join(f"WHEN {quoted(spelling)} THEN {quoted(code)}" for spelling, code in spellings.items())
    direct = " ".join(f"WHEN {quoted(code)} THEN {quoted(code)}" for code in column.enum)
    return f"coalesce(CASE {text} {direct} END, CASE {folded} {cases} END)"


def final_sql(column: Column, value: str, text: str) -> str:
    """A DATE column's moment as a date, when it is midnight; a blank boolean false (unknown, NULL,
    when the column is `nullable`), a blank list empty; other values as they are."""
    if column.type == DATE:
        return f"CASE WHEN CAST({value} AS TIME) = TIME '00:00:00' THEN CAST({value} AS DATE) END"
    if column.type == BOOL and not column.nullable:
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
    return None if column.nullable else {BOOL: False, LIST: []}.get(column.type)


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
    header: str  # the header as the file spells it (problems name the column so)


#: Headers of a running number, which a ledger may have and evalkit never reads (nor takes as `id`).
_NUMBERING = {"序号", "序", "no", "no.", "#"}
_BRACKETED = re.compile(r"[(（\[【][^)）\]】]*[)）\]】]")


def header_spelling(text: str) -> str:
    """A header as it is compared: NFKC (full-width letters made ASCII), Simplified, lower case,
    without a bracketed unit (`参加人数（人）`) or spaces."""
    normal = fold_nfkc(text)
    return re.sub(r"\s+", "", _BRACKETED.sub("", normal) or normal)


def _headers(record_type: RecordType) -> dict[str, Column]:
    """Every spelling of every column's header (its name, Chinese header, aliases) → the column."""
    return {header_spelling(h): c for c in record_type.columns for h in (c.name, c.zh, *c.aliases)}


def locate_header(record_type: RecordType, text: TextTable) -> tuple[TextTable, Note | None]:
    """The table read from its header row: the first of the first 20 rows that names every
    required column, else the one naming the most columns; the rows above it (a ledger's title,
    often merged across the top) are left out with a note."""
    known, required = _headers(record_type), {c.name for c in record_type.columns if c.must_have_value}
    size = min(_HEADER_ROWS - 1, len(text.rows))
    candidates = [text.header] + [[_cell(column, n) for column in text.columns] for n in range(size)]
    named = [{known[h].name for cell in row if cell and (h := header_spelling(cell)) in known} for row in candidates]
    best = next((n for n, names in enumerate(named) if required <= names), None)
    if best is None:
        best = max(range(len(named)), key=lambda n: (len(named[n]), -n))
    if best == 0:
        return text, None
    above = [cell for row in candidates[:best] for cell in row if cell and cell.strip()]
    header_row = text.rows[best - 1].as_py()
    title = " ".join(above)[:60]
    rows = "row 1" if header_row == 2 else f"rows 1–{header_row - 1}"
    rows_zh = "第 1 行" if header_row == 2 else f"第 1–{header_row - 1} 行"
    note = Note(
        text.file,
        f"{rows} above the header (row {header_row}) not read" + (f": {title}" if title else ""),
        f"表头（第 {header_row} 行）以上的{rows_zh}未读取" + (f"：{title}" if title else ""),
    )
    located = TextTable(
        text.name,
        text.file,
        candidates[best],
        [column.slice(best) for column in text.columns],
        text.rows.slice(best),
        text.unreadable,
        text.blank_rows,
        text.formulas,
        text.merges,
        header_row,
    )
    return located, note


_HEADER_ROWS = 20


def _cell(column, n: int) -> str | None:
    value = column[n].as_py()
    return value if value is None else str(value)


def _slots(record_type: RecordType, text: TextTable) -> tuple[list[_Slot], list[Problem], list[Note]]:
    """Which column each header cell names, the problems of the header row, and a note for each
    header naming no column (kept as an extra column), with the closest columns."""
    known = _headers(record_type)
    slots, problems, notes, seen = [], [], [], {}
    for index, cell in enumerate(text.header):
        header = as_text(cell) if cell is not None else ""
        spelled = header_spelling(header)
        if not spelled or spelled in _NUMBERING:
            continue  # an unnamed column is not data (Excel leaves them behind), nor a running number
        column = known.get(spelled)
        key = column.name if column else header
        if key in seen:
            problems.append(
                Problem(
                    text.file,
                    text.header_row,
                    header,
                    "",
                    f"each column once ({key} is also column {seen[key] + 1})",
                    f"每列只出现一次（{key} 也在第 {seen[key] + 1} 列）",
                )
            )
            continue
        seen[key] = index
        slots.append(_Slot(index, column, key, header))
        if column is None and (note := _unknown_header(record_type, text.file, header, spelled, known)):
            notes.append(note)
    for column in record_type.columns:
        if column.must_have_value and column.name not in seen:
            problems.append(
                Problem(
                    text.file,
                    text.header_row,
                    column.name,
                    "",
                    f"a column {column.name} [{column.zh}]",
                    f"名为“{column.zh}”（{column.name}）的列",
                )
            )
    return slots, problems, notes


def _unknown_header(record_type: RecordType, file: str, header: str, spelled: str, known: dict) -> Note | None:
    """The note on a header naming no column of `record_type` but close to some (a misspelling:
    kept as an extra column, unread by the rules), or None: extra columns are allowed."""
    close = get_close_matches(spelled, known, 3, 0.6)
    closest = list({known[spelling].name: known[spelling] for spelling in close}.values())
    if not closest:
        return None
    return Note(
        file,
        f"column '{header}' is not a column of {record_type.name}: kept, not read by the rules; did you mean "
        + " or ".join(f"{c.name} [{c.zh}]" for c in closest)
        + "?",
        f"“{header}”不是 {record_type.zh} 的列：保留，规则不读取；是否应为"
        + "或".join(f"“{c.zh}”" for c in closest)
        + "？",
    )


def _kind(column: Column | None) -> tuple:
    """Columns of one kind take the same spellings (text: an STR column, an extra one, or one no
    header names), so one expression types them all."""
    if column is None or column.type == STR:
        return (STR,)
    return (column.type, tuple(column.enum.items()) if column.enum else (), column.nullable)


class Typing:
    """The typing of a dataset's files, in three steps. `add` reads a file's cells into columns:
    a text column whose cells are plain stays as read, any other is encoded by Arrow as a
    dictionary of its distinct texts (its entries, shared by the file's columns of one kind) and
    each cell's entry, and the file's text is let go. `run` then types every entry of every file
    in one query, and each file's `typed` looks its cells' values and faults up.

    Cells repeat (dates, enums, numbers; at L the 8 million request times hold 540,000 distinct
    texts), and Arrow's hash of a cell costs a fraction of typing it: typing L took 7.7 s cell by
    cell, in a query per file, and takes 1.6 s (measured back to back). Planning costs DuckDB more
    than running a small query: one query for the dataset's 17 kinds (about 20 ms) replaces one
    per file (25-60 ms each)."""

    def __init__(self, max_chars: int):
        self.max_chars = max_chars
        self.kinds: dict[tuple, int] = {}  # a kind → its number in the query
        self.columns: list[Column | None] = []  # each kind's column (None: text)
        self.entries: list[_Entries] = []
        self.result: dict[str, pa.Array] = {}

    def add(self, record_type: RecordType, text: TextTable) -> _File:
        return _File(self, record_type, text)

    def encode(self, column: Column | None, cells: list[pa.ChunkedArray]) -> tuple[_Entries, list[pa.ChunkedArray]]:
        """The distinct texts of `cells` (columns of one kind, `column`'s), and per column each
        cell's entry among them."""
        number = self.kinds.setdefault(_kind(column), len(self.kinds))
        if number == len(self.columns):
            self.columns.append(column)
        joined = pa.chunked_array([chunk for cell in cells for chunk in cell.chunks], pa.string())
        encoded = pc.dictionary_encode(joined, null_encoding="encode")
        at = pa.chunked_array([chunk.indices for chunk in encoded.chunks], pa.int32())
        texts = encoded.chunks[0].dictionary if encoded.num_chunks else pa.array([], pa.string())
        start = self.entries[-1].start + len(self.entries[-1].text) if self.entries else 0
        self.entries.append(_Entries(self, number, start, texts))
        places, offset = [], 0
        for cell in cells:
            places.append(at.slice(offset, len(cell)))
            offset += len(cell)
        return self.entries[-1], places

    def run(self, connection) -> None:
        """Types every entry (in one query)."""
        if not self.entries:
            return
        kinds = [pa.repeat(pa.scalar(entries.kind, pa.int32()), len(entries.text)) for entries in self.entries]
        texts = [entries.text.cast(pa.large_string()) for entries in self.entries]  # over 2 GB, too
        places = pc.cumulative_sum(pa.repeat(pa.scalar(1, pa.int64()), sum(map(len, texts))))  # 1, 2, ...
        table = pa.table([places, pa.concat_arrays(kinds), pa.concat_arrays(texts)], ["n", "k", "text"])
        view = "evalkit_entries"
        connection.register(view, table)
        try:
            query = _entries_query(view, self.columns, self.max_chars, _unstripped(table.column("text")))
            result = connection.sql(query).to_arrow_table()
        finally:
            connection.unregister(view)
        self.result = {name: result.column(name).combine_chunks() for name in result.column_names}


@dataclass
class _Entries:
    """The distinct texts of one file's cells of one kind, and once typed, what each is."""

    typing: Typing
    kind: int  # the kind's number in the query
    start: int  # where the entries start among the query's
    text: pa.Array

    def fact(self, name: str) -> pa.Array:
        """Whether each entry is too long ("long") or blank ("blank"), or its value ("value")."""
        name = _output(self.typing.columns[self.kind]) if name == "value" else name
        return self.typing.result[name].slice(self.start, len(self.text))


class _Cells:
    """One column of a file: its entries (a plain text column is its own, one per cell), each
    cell's entry (`at`, None for a plain column), and once typed each entry's facts."""

    def __init__(self, text, at: pa.ChunkedArray | None = None, entries: _Entries | None = None):
        self.text, self.at, self.entries = text, at, entries
        self.long = self.blank = self.value = None

    def look_up(self) -> None:
        """The facts of the entries, once typed."""
        if self.entries is None:
            self.long, self.blank, self.value = None, pc.is_null(self.text), self.text
        else:
            long = self.entries.fact("long")
            self.long = long if pc.any(long).as_py() else None  # None: no text is too long
            self.blank, self.value = self.entries.fact("blank"), self.entries.fact("value")

    def per_cell(self, facts):
        """`facts` of the entries, as one per cell."""
        return facts if self.at is None else pc.take(facts, self.at)

    def at_cells(self, facts, positions: pa.Array) -> list:
        """`facts` of the entries, for the cells at `positions`, as Python values."""
        return facts.take(positions if self.at is None else self.at.take(positions)).to_pylist()


def _plain(cells: pa.ChunkedArray, max_chars: int) -> bool:
    """Whether a text column needs no typing at all: each cell is its own stripped text and none
    can be too long (no whitespace to strip, none empty: a blank cell is None, none with more
    bytes than `max_chars`). Arrow trims the same `WHITESPACE` as `ek_strip` (a test checks each
    character) in about 20 ns a cell, where `ek_strip`'s regular expressions took 140 (M's
    request titles: 5 ms against 28), and a plain column is passed on as it was read, never
    copied (nearly every text column of the sample, S, M and L is plain)."""
    if cells.null_count == len(cells):
        return True
    lengths = pc.binary_length(cells)
    return pc.max(lengths).as_py() <= max_chars and pc.min(lengths).as_py() > 0 and not _unstripped(cells, lengths)


def _unstripped(texts, lengths=None) -> bool:
    """Whether some of `texts` has whitespace to strip (Arrow trims the same `WHITESPACE` as
    `ek_strip`: a test checks each character)."""
    lengths = pc.binary_length(texts) if lengths is None else lengths
    return pc.sum(pc.binary_length(pc.utf8_trim(texts, WHITESPACE))).as_py() != pc.sum(lengths).as_py()


class _File:
    """One file's cells on their way to typed rows (`Typing`)."""

    def __init__(self, typing: Typing, record_type: RecordType, text: TextTable):
        text, above = locate_header(record_type, text)
        self.record_type, self.file, self.rows = record_type, text.file, text.rows
        self.unreadable, self.blank_rows, self.formulas = text.unreadable, text.blank_rows, text.formulas
        self.slots, self.problems, self.notes = _slots(record_type, text)
        self.notes = [above] * bool(above) + self.notes
        self.beyond = list(range(len(text.header), len(text.columns)))
        self.max_chars = typing.max_chars
        named = {slot.index: slot.column for slot in self.slots}
        cells = [
            column if isinstance(column, pa.ChunkedArray) else pa.chunked_array([column]) for column in text.columns
        ]
        identifying = {slot.index for slot in self.slots if _identifies(record_type, slot.column)}
        cells = [_normal(column) if index in identifying else column for index, column in enumerate(cells)]
        id_index = next((slot.index for slot in self.slots if slot.key == record_type.id_column), None)
        cells = self._filled_down(cells, text.merges, id_index)
        cells = self._without_sections(cells, text, len(self.slots))
        self.cells: list[_Cells | None] = [None] * len(cells)
        kinds: dict[tuple, tuple[Column | None, list[int]]] = {}
        for index, column in enumerate(cells):
            kind = _kind(named.get(index))
            if kind == (STR,) and _plain(column, typing.max_chars):
                self.cells[index] = _Cells(column)
            else:
                kinds.setdefault(kind, (named.get(index), []))[1].append(index)
        for column, indexes in kinds.values():
            entries, places = typing.encode(column, [cells[index] for index in indexes])
            for index, at in zip(indexes, places, strict=True):
                self.cells[index] = _Cells(entries.text, at, entries)

    def _filled_down(self, cells: list, merges, id_index: int | None) -> list:
        """`cells` with each vertically merged range's value written into the cells below it (a
        workbook keeps it in the first cell only), but in the id column: an id is never copied."""
        down = (
            [merge for merge in merges if merge[2] > merge[0] and merge[2] >= self.rows[0].as_py()]
            if len(self.rows)
            else []
        )
        if not down:
            return cells
        place = {number: n for n, number in enumerate(self.rows.to_pylist())}
        values: dict[int, list] = {}
        filled = []
        for top, left, bottom, right in down:
            for index in range(left, min(right + 1, len(cells))):
                if index == id_index or top not in place:
                    continue
                column = values.setdefault(index, cells[index].to_pylist())
                below = [place[number] for number in range(top + 1, bottom + 1) if number in place]
                for n in below:
                    column[n] = column[place[top]]
                if below:
                    filled.append((self._header_of(index), top, bottom))
        if not filled:
            return cells
        for index, column in values.items():
            cells[index] = pa.chunked_array([pa.array(column, pa.string())])
        ranges = "; ".join(f"{header} rows {top}–{bottom}" for header, top, bottom in filled)
        ranges_zh = "；".join(f"{header} 第 {top}–{bottom} 行" for header, top, bottom in filled)
        self.notes.append(Note(self.file, f"merged cells filled down: {ranges}", f"合并单元格已向下填充：{ranges_zh}"))
        return cells

    def _header_of(self, index: int) -> str:
        return next((slot.header for slot in self.slots if slot.index == index), f"column {index + 1}")

    def _without_sections(self, cells: list, text: TextTable, width: int) -> list:
        """`cells` without the section rows (a heading such as 第三季度 between the records of a
        dated ledger, such as activities): a row with one non-blank cell, which in a workbook is
        merged across at least half the header, and in a CSV file is the first cell and reads as
        a quarter, month or year heading. Ledgers of organisations or departments have none: a
        row of theirs with one cell is a record missing its values, and reported."""
        if not cells or not len(self.rows) or not self.record_type.dated_by:
            return cells
        filled = pc.cast(pc.is_valid(cells[0]), pa.int8())
        for column in cells[1:]:
            filled = pc.add(filled, pc.cast(pc.is_valid(column), pa.int8()))
        lone = pc.equal(filled, 1)
        if not pc.any(lone).as_py():
            return cells
        numbers = self.rows.filter(_array(lone)).to_pylist()
        if text.file.endswith(".csv"):
            firsts = cells[0].filter(lone).to_pylist()  # a few cells: such rows are rare
            sections = {n for n, first in zip(numbers, firsts, strict=True) if first and _SECTION.match(first)}
        else:
            wide = {
                top for top, left, bottom, right in text.merges if top == bottom and 2 * (right - left + 1) >= width
            }
            sections = set(numbers) & wide
        if not sections:
            return cells
        keep = pc.invert(pc.is_in(self.rows, pa.array(sorted(sections), pa.int64())))
        self.rows = self.rows.filter(keep)
        listed = ", ".join(map(str, sorted(sections)))
        rows = "row" if len(sections) == 1 else "rows"
        zh = f"分节标题行未读取：第 {listed} 行"
        self.notes.append(Note(self.file, f"section headings not read: {rows} {listed}", zh))
        return [column.filter(keep) for column in cells]

    def typed(self) -> Typed:
        """The rows without a fault, typed, and the problems of the others (once the entries are)."""
        for cells in self.cells:
            cells.look_up()
        slots, size = self.slots, len(self.rows)
        faults = [_faults(self.cells[slot.index], slot.column, False) for slot in slots]
        faults += [_faults(self.cells[index], None, True) for index in self.beyond]
        blank = _blank_rows(self.cells, size)
        faulty = None
        for fault in faults:
            if fault is not None:
                faulty = pc.is_valid(fault) if faulty is None else pc.or_(faulty, pc.is_valid(fault))
        if faulty is not None and blank is not None:
            faulty = pc.and_(faulty, pc.invert(blank))
        bad = []
        if faulty is not None and pc.any(faulty).as_py():
            at = pc.indices_nonzero(_array(faulty))
            texts = [cells.at_cells(cells.text, at) for cells in self.cells]
            codes = [[None] * len(at) if fault is None else fault.take(at).to_pylist() for fault in faults]
            numbers = self.rows.take(at).to_pylist()
            bad = [(number, [t[n] for t in texts], [c[n] for c in codes]) for n, number in enumerate(numbers)]
        problems, rejected_ids = _problems(
            self.file, slots, self.beyond, bad, self.max_chars, self.record_type.id_column, self.formulas
        )
        left_out = faulty if blank is None else blank if faulty is None else pc.or_(blank, faulty)
        values = [self.cells[slot.index].per_cell(self.cells[slot.index].value) for slot in slots]
        rows = self.rows
        if left_out is not None and pc.any(left_out).as_py():
            keep = _array(pc.invert(left_out))
            values, rows = [value.filter(keep) for value in values], rows.filter(keep)
        blank_rows = self.blank_rows + ((pc.sum(blank).as_py() or 0) if blank is not None else 0)
        problems = self.problems + problems + _formula_problems(self.file, slots, self.formulas)
        problems += [self.unreadable] if self.unreadable else []
        return Typed(_arranged(self.record_type, slots, values, len(rows)), rows, problems, blank_rows, rejected_ids)


def _identifies(record_type: RecordType, column: Column | None) -> bool:
    """Whether a column holds ids, references or codes, compared after NFKC: `Ｂ４１` is `B41`."""
    if column is None:
        return False
    return (
        column.name == record_type.id_column
        or column.ref is not None
        or column.name.endswith("_id")
        or column.type == ENUM
    )


def _normal(cells: pa.ChunkedArray) -> pa.ChunkedArray:
    """`cells` in NFKC (full-width letters and digits made ASCII); an all-ASCII column (nearly
    every one) is NFKC already and is passed on as it is."""
    if cells.null_count == len(cells) or pc.all(pc.string_is_ascii(cells)).as_py() is not False:
        return cells
    return pc.utf8_normalize(cells, "NFKC")


#: A section heading in a CSV ledger's first column: 第三季度, 2024年第三季度, 三季度, Q3, 7月, 2024年.
_SECTION = re.compile(
    r"^\s*(?=\S)(?:\d{4}\s*年?\s*)?(?:第?[一二三四1-4]\s*季度|[Qq][1-4]|(?:\d{1,2}|[一二三四五六七八九十]{1,3})\s*月(?:份)?|年|年度)?\s*$"
)


def _entries_query(view: str, kinds: list[Column | None], max_chars: int, strip: bool) -> str:
    """The query typing the entries of `view` (n: its place, k: its kind, text): whether each is
    too long, blank, and its value by its kind's column (None: text), in the column of its type
    (`_output`). Layer by layer: the stripped text (`strip`: whether some text has whitespace to
    strip); what several types read (ISO moment, ASCII digits, folded text), then parts and a
    moment's numbers, each worked out once and only for the entries that read it; values; final
    values. (Spelled out once each, expressions stay small: DuckDB plans the query in a few
    milliseconds.)"""

    def of(*types) -> str:
        numbers = [str(n) for n, column in enumerate(kinds) if column is not None and column.type in types]
        return f"k IN ({', '.join(numbers)})" if numbers else ""

    moments = of(DATE, DATETIME)
    digits = " OR ".join(filter(None, [of(INT, PERIOD), moments and f"({moments} AND i IS NULL)"]))
    layers = [
        {"i": (moments, iso_moment_sql("t"))},
        {"d": (digits, _digits("t")), "f": (of(ENUM), _fold("t"))},
        {"gm": (moments, parts_sql(DATE, "d", "i")), "gp": (of(PERIOD), parts_sql(PERIOD, "d"))},
        {name: (moments and "gm IS NOT NULL", number_sql("gm", names)) for name, names in MOMENT_NUMBERS.items()},
        {},  # values
    ]
    values: dict[str, list[str]] = {}  # each value's expression → the kinds it types (dates and times share one)
    numbers = {name: name for name in MOMENT_NUMBERS}
    for n, column in enumerate(kinds):
        if column is not None and column.type != STR:
            part = "gp" if column.type == PERIOD else "gm"
            values.setdefault(value_sql(column, "t", "d", "f", part, numbers, "i"), []).append(str(n))
    value_of = {}
    for number, (sql, typed) in enumerate(values.items()):
        layers[-1][f"w{number}"] = (f"k IN ({', '.join(typed)})", sql)
        value_of |= dict.fromkeys(typed, f"w{number}")
    finals: dict[str, list[str]] = {}  # the final values, a column per type
    for n, column in enumerate(kinds):
        final = "t" if str(n) not in value_of else final_sql(column, value_of[str(n)], "t")
        finals.setdefault(_output(column), []).append(f"WHEN {n} THEN {final}")
    text = _strip("text") if strip else "text"
    too_long = f"coalesce(strlen(text) > {max_chars} AND length(text) > {max_chars}, false)"
    query = f"SELECT n, k, nullif({text}, '') AS t, {too_long} AS long FROM {view}"
    for layer in layers:
        columns = [f"CASE WHEN {where} THEN {sql} END AS {name}" for name, (where, sql) in layer.items() if where]
        if columns:
            query = f"SELECT *, {', '.join(columns)} FROM ({query})"
    outputs = "".join(f", CASE k {' '.join(cases)} END AS {name}" for name, cases in finals.items())
    # DuckDB does not always keep the order of an Arrow table's rows through a query of many
    # expressions (seen at M, one load in three, and with many small chunks): the order is asked
    # for (at L 25 ms of the query's 130).
    return f"SELECT long, t IS NULL AS blank{outputs} FROM ({query}) ORDER BY n"


def _output(column: Column | None) -> str:
    """The query's column for the values of `column`'s kind: one per type of value (enums and
    periods are text). Few columns, mostly NULL: one per kind (17 at L) held 70 MB more."""
    return "v_" + (STR if column is None or column.type in (ENUM, PERIOD) else column.type)


def _faults(cells: _Cells, column: Column | None, beyond: bool) -> pa.ChunkedArray | None:
    """Per cell, what is wrong with it, as the entries say: 'long' (too long), else 'missing'
    (blank in a column that must have a value), else 'bad' (no typed value); for a cell beyond
    the last named column, 'beyond' unless blank. None when no cell has a fault (looked up per
    cell only when an entry has one)."""
    nothing = pa.scalar(None, pa.string())
    if beyond:
        if pc.all(cells.blank).as_py():
            return None
        codes = pc.if_else(cells.blank, nothing, "beyond")
    else:
        required = column is not None and column.must_have_value
        missing = required and pc.any(cells.blank).as_py()
        bad = None  # a plain text column's value is its text: none is bad
        if cells.at is not None and column is not None:
            bad = pc.and_(pc.is_null(cells.value), pc.invert(cells.blank))
            bad = bad if pc.any(bad).as_py() else None
        if cells.long is None and bad is None and not missing:
            return None
        codes = pa.nulls(len(cells.blank), pa.string())
        if bad is not None:
            codes = pc.if_else(bad, "bad", codes)
        if missing:
            codes = pc.if_else(cells.blank, "missing", codes)
        if cells.long is not None:
            codes = pc.if_else(cells.long, "long", codes)
    codes = cells.per_cell(codes)
    return codes if codes.null_count < len(codes) else None


def _blank_rows(typed: list[_Cells], size: int):
    """Per row, whether all its cells are blank; None when no row is."""
    if not all(pc.any(cells.blank).as_py() for cells in typed):
        return None  # a column without a blank cell
    blank = None
    for cells in typed:
        mine = cells.per_cell(cells.blank)
        blank = mine if blank is None else pc.and_(blank, mine)
        if not pc.any(blank).as_py():
            return None
    return pa.repeat(True, size) if blank is None else blank


def _array(values) -> pa.Array:
    return values if isinstance(values, pa.Array) else values.combine_chunks()


def _problems(file: str, slots, beyond, bad: list[tuple], max_chars: int, id_column, formulas):
    """The problems of the rows with a fault, and the ids of those rows. A cell holding a formula
    never calculated is blank here, and has its own problem (`_formula_problems`)."""
    problems, rejected_ids = [], set()
    for number, cells, faults in bad:
        where = [(slot.index, slot.header, slot.column) for slot in slots]
        where += [(index, f"column {index + 1}", None) for index in beyond]
        for (index, header, column), fault in zip(where, faults, strict=True):
            if fault is None or (number, index) in formulas:
                continue
            cell = cells[index] or ""
            value = _shortened(cell) if fault == "long" else "" if fault == "missing" else as_text(cell)
            problems.append(Problem(file, number, header, value, *_expected(fault, column, value, max_chars)))
        for slot, fault in zip(slots, faults, strict=False):
            if slot.key == id_column and fault != "long" and cells[slot.index] and cells[slot.index].strip():
                rejected_ids.add(cells[slot.index].strip())
    return problems, rejected_ids


def _expected(fault: str, column: Column | None, value: str, max_chars: int) -> tuple[str, str]:
    """What a cell with `fault` should have held, in English and Chinese."""
    if fault == "long":
        return f"a cell of at most {max_chars} characters", f"不超过 {max_chars} 个字符的内容"
    if fault == "beyond":
        return "no cell beyond the last named column", "最后一个有表头的列之后没有内容"
    assert column is not None
    if fault == "missing":
        return f"a value ({column.expected()})", f"填写内容（{column.expected('zh')}）"
    en, zh = column.expected(), column.expected("zh")
    if column.type == ENUM and (meant := _meant(column, value)):
        code, label = meant
        return f"{en}: did you mean {code} ({label})?", f"{zh}——是否应为“{label}”？"
    if column.type == LIST and column.enum is not None:
        return _unknown_choice(column, value, en, zh)
    if column.type in (DATE, DATETIME) and (why := _impossible_date(value)):
        return f"{en}: {why[0]}", f"{zh}（{why[1]}）"
    return en, zh


def _unknown_choice(column: Column, value: str, en: str, zh: str) -> tuple[str, str]:
    """What a list of choices' cell should have held: the first item no choice takes named, with
    the choice it most likely means (`党员会;党课`: 党员会 is not a kind; did you mean 党员大会?)."""
    spellings = enum_spellings(column)
    items = [item.strip() for item in re.split("[;；]", value) if item.strip()]
    item = next((i for i in items if i not in column.enum and fold(i) not in spellings), value)
    meant = _meant(column, item)
    if meant is None:
        return f"{en} ({item!r} is none of them)", f"{zh}（“{item}”不在其中）"
    code, label = meant
    return f"{en}: {item!r}, did you mean {code} ({label})?", f"{zh}——“{item}”是否应为“{label}”？"


def _meant(column: Column, value: str) -> tuple[str, str] | None:
    """The code and label a near-miss enumeration value most likely means (never applied, only
    suggested): a label it contains or is contained in, else the closest code or label; half the
    characters in common is close enough to suggest (安全事故 → 安全生产 work_safety)."""
    assert column.enum is not None
    spelled = fold_nfkc(value)
    labels = {fold(label): code for code, labels in column.enum.items() for label in labels}
    within = [label for label in labels if label in spelled or spelled in label]
    close = within or get_close_matches(spelled, [*labels, *column.enum], 1, 0.5)
    if not close:
        return None
    code = labels.get(close[0], close[0])
    return code, column.enum[code][0]


_DAY = re.compile(r"^\s*([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?(?:[ T].*)?$")


def _impossible_date(value: str) -> tuple[str, str] | None:
    """Why a date spelled right is no day of the calendar, in English and Chinese: its month
    (2024-13-05: there is no month 13) or its day (2024-02-30: 2024-02 has no day 30)."""
    found = _DAY.match(unicodedata.normalize("NFKC", value))
    if not found:
        return None
    year, month, day = map(int, found.groups())
    if year < 1:
        return None
    if not 1 <= month <= 12:
        return f"there is no month {month}", f"没有{month}月"
    if not 1 <= day <= calendar.monthrange(year, month)[1]:
        return f"{year}-{month:02d} has no day {day}", f"{year}年{month}月没有{day}日"
    return None


def _formula_problems(file: str, slots: list[_Slot], formulas: dict[tuple[int, int], str]) -> list[Problem]:
    """A problem for each cell holding a formula without a saved result (read as blank: its value
    is not in the file)."""
    headers = {slot.index: slot.header for slot in slots}
    expected = "a value, not a formula without a saved result (open the file in Excel and save it)"
    zh = "数值，而不是没有保存计算结果的公式（请用 Excel 打开并保存）"
    return [
        Problem(file, row, headers.get(index, f"column {index + 1}"), _shortened(formula), expected, zh)
        for (row, index), formula in formulas.items()
    ]


def _shortened(text: str) -> str:
    return text[:40] + "…" if len(text) > 40 else text


def _arranged(record_type: RecordType, slots: list[_Slot], values: list, size: int) -> pa.Table:
    """The typed rows with the record type's absent columns first (blank), then the file's."""
    present = {slot.key for slot in slots}
    arrays, names = [], []
    for column in record_type.columns:
        if column.name not in present:
            arrays.append(pa.array([blank_value(column)] * size, _ARROW_TYPES[column.type]))
            names.append(column.name)
    for slot, value in zip(slots, values, strict=True):
        arrays.append(value.cast(_ARROW_TYPES[slot.column.type] if slot.column else pa.string()))
        names.append(slot.key)
    return pa.table(arrays, names=names)
