"""Typing a file's cells into the rows of a `Table`, collecting each bad cell as a located problem.

Two paths give the same rows and the same problems. Record by record (`_parse_row`) reads any
source: XLSX sheets, CSV files in other encodings, files with irregular rows. Batch by batch,
column by column (`_add_batch`) is the fast path for a regular UTF-8 CSV file: its cells come
from Arrow's CSV reader, and a column whose cells all have their common spelling is typed in one
pass; any column holding another spelling is typed cell by cell by the record path's own rules.
"""

from __future__ import annotations

from array import array
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator
from itertools import islice, repeat
from operator import attrgetter

from .cells import (
    COMMON_SPELLINGS,
    FAST_PARSERS,
    CellError,
    all_commonly_spelled,
    as_text,
    enum_lookup,
    is_blank,
    longest,
    parse_cell,
)
from .errors import Problem
from .hanzi import fold
from .readers import IrregularCsv, RawTable, UnreadableRow, read_ahead
from .schema import BOOL, DATETIME, ENUM, LIST, STR, Column, RecordType

_BLANK = {BOOL: False, LIST: ()}  # what a blank cell means where blank is not "missing"


class Table:
    """The valid rows of one record type, with where each came from.

    Held as rows (a dict per row, as the record-by-record loader makes them) or as columns (a
    list of values per column, in row order, as the batch loader makes them); each form is made
    from the other on first use and kept (a table grown afterwards makes it again). A province's
    large tables arrive as columns, and the built-in checks and plugins read their columns
    (`column`), so their rows are never made: a request costs 407 bytes loaded instead of 496,
    and 1.8 µs less. `rows` stays what plugins iterate; rows are read, never changed.
    """

    def __init__(self, record_type: RecordType, file: str | None = None, blank_rows: int = 0):
        self.type = record_type
        self.file = file  # None: the dataset has no file for this record type
        self.row_numbers = array("q")  # 8 bytes a row, not an int object
        self.blank_rows = blank_rows
        self.rejected_rows = 0
        self.rejected_ids: set[str] = set()  # ids of rows refused for bad cells
        self._rows: list[dict] | None = []
        self._columns: dict[str, list] = {}
        self._names: list[str] = []  # the rows' keys, in order, when held as columns

    def __len__(self) -> int:
        return len(self.row_numbers)

    @property
    def rows(self) -> list[dict]:
        if self._rows is None:
            rows = _key_sharing_rows(self._names)(len(self))
            records = zip(*(self._columns[name] for name in self._names), strict=True)
            deque(map(dict.update, rows, map(zip, repeat(self._names), records)), maxlen=0)  # filled by C loops
            self._rows = rows
        return self._rows

    def column(self, name: str) -> list:
        """The values of column `name` in row order (None where a row lacks it)."""
        if name not in self._columns:
            rows = self._rows
            self._columns[name] = [None] * len(self) if rows is None else [row.get(name) for row in rows]
        return self._columns[name]

    def located(self) -> Iterator[tuple[int, dict]]:
        """(spreadsheet row number, row) pairs, for problems found after parsing."""
        return zip(self.row_numbers, self.rows, strict=True)

    def add_row(self, number: int, row: dict) -> None:
        assert self._rows is not None and not self._names, "a table is made of rows or of columns"
        self._rows.append(row)
        self.row_numbers.append(number)
        if self._columns:  # made from the rows before this one
            self._columns.clear()

    def add_columns(self, numbers: Iterable[int], names: list[str], columns: Iterable[list]) -> None:
        """Rows given as their columns' values (`names` in the rows' key order)."""
        if not self._names:
            assert not self._rows, "a table is made of rows or of columns"
            self._names = names
        self._rows = None  # made again, when asked, from all the columns
        self._columns = {name: self._columns.get(name, []) for name in names}  # none of another name
        for name, values in zip(names, columns, strict=True):
            self._columns[name] += values
        self.row_numbers.extend(numbers)


class _Header:
    """Which column each header cell names, and the problems of the header row."""

    def __init__(self, record_type: RecordType, raw: RawTable):
        names = {}
        for column in record_type.columns:
            names[column.name.lower()] = column
            names[fold(column.zh)] = column
        #: Per named cell: (cell index, column or None, column name or header text, the parser of
        #: the column's common spelling or None). An extra column is text, kept for plugins.
        self.slots: list[tuple[int, Column | None, str, Callable | None]] = []
        self.problems: list[Problem] = []
        seen: dict[str, int] = {}
        for index, cell in enumerate(raw.header):
            text = as_text(cell) if cell is not None else ""
            if not text:
                continue  # an unnamed column is not data (Excel leaves them behind)
            column = names.get(fold(text))
            key = column.name if column else text
            if key in seen:
                self.problems.append(
                    Problem(raw.file, 1, text, "", f"each column once ({key} is also column {seen[key] + 1})")
                )
                continue
            seen[key] = index
            self.slots.append((index, column, key, FAST_PARSERS.get(column.type if column else STR)))
        #: Optional columns the file lacks: every row gets them blank, so rows always have all columns.
        self.absent = {c.name: _BLANK.get(c.type) for c in record_type.columns if c.name not in seen}
        #: A row's keys, in order: the absent columns, then the file's.
        self.names = [*self.absent, *(name for _, _, name, _ in self.slots)]
        self.new_rows = _key_sharing_rows(self.names)
        for column in record_type.columns:
            if column.must_have_value and column.name not in seen:
                self.problems.append(Problem(raw.file, 1, column.name, "", f"a column {column.name} [{column.zh}]"))
        self.width = len(raw.header)


def _key_sharing_rows(names: list[str]) -> Callable[[int], list[dict]]:
    """A maker of `count` empty rows that share one table of `names` (PEP 412's key-sharing dicts).

    A row is the attribute dict of an instance of a class of the file's own, the instance itself
    dropped: filled with `names` in that order, each row holds only its values. A request takes
    247 bytes instead of 472 as a dict of its own (CPython 3.10–3.12); a province's five million
    rows, about a gigabyte less. Rows are plain dicts all the same.
    """
    row_class = type("Row", (), {})
    first = row_class()
    try:
        for name in names:  # the class learns its keys, in order, the way Python 3.10 needs
            setattr(first, name, None)
    except (TypeError, AttributeError):  # a column named like an attribute of every object (__class__)
        return lambda count: [{} for _ in range(count)]
    # Made by C loops (instances by iter(), their dicts by attrgetter): no Python call per row.
    return lambda count: list(map(_ATTRIBUTES, islice(iter(row_class, None), count)))


_ATTRIBUTES = attrgetter("__dict__")


def parse_table(record_type: RecordType, raw: RawTable, max_cell_chars: int) -> tuple[Table, list[Problem]]:
    """The typed rows of `raw` and the problems of its header and cells."""
    if raw.batches is not None:
        try:
            return _parse(record_type, raw, max_cell_chars, by_batch=True)
        except IrregularCsv:
            pass  # read again record by record, which places the irregular record
    return _parse(record_type, raw, max_cell_chars, by_batch=False)


def _parse(record_type: RecordType, raw: RawTable, max_cell_chars: int, by_batch: bool) -> tuple[Table, list[Problem]]:
    header = _Header(record_type, raw)
    problems = list(header.problems)
    table = Table(record_type, raw.file, blank_rows=raw.blank_rows)
    # Per column, what its fast parser looks values up in: an enum's spellings, or for text the
    # one string kept per distinct value (a reference's ids always; other text while it repeats).
    lookups = {c.name: enum_lookup(c) for c in record_type.columns if c.type == ENUM}
    lookups |= {c.name: {} for c in record_type.columns if c.type == STR}
    texts = [c.name for c in record_type.columns if c.type == STR and c.ref is None]
    parsed = 0
    try:
        if by_batch:
            assert raw.batches is not None
            looked_at = ((first, arrays, _spellings(header, arrays, max_cell_chars)) for first, arrays in raw.batches())
            for first, arrays, spellings in read_ahead(looked_at):
                _add_batch(table, header, raw.file, first, arrays, spellings, lookups, max_cell_chars, problems)
                parsed += len(arrays[0]) if arrays else 0
                _stop_sharing_unique(lookups, texts, parsed)
        else:
            for number, cells in raw.rows():
                _add_row(table, header, raw.file, number, cells, lookups, max_cell_chars, problems)
                parsed += 1
                if parsed % _SHARING_CHECKED_EVERY == 0:
                    _stop_sharing_unique(lookups, texts, parsed)
    except UnreadableRow as error:
        problems.append(error.problem)
    return table, problems


#: Rows between looks at which text columns still repeat enough to share their strings.
_SHARING_CHECKED_EVERY = 4096


def _stop_sharing_unique(lookups: dict, texts: list[str], rows: int) -> None:
    """Stop sharing the strings of the text columns (not references) that do not repeat enough.

    A text that repeats (a category, a standard title) is stored once per distinct value, as
    columnar formats do with dictionary encoding: about 130 bytes less per request at the
    benchmark's province. A column of mostly distinct values (ids, free titles) would only pay
    for the table, so sharing stops once more than a quarter of its values so far are distinct.
    """
    for name in texts:
        if lookups[name] is not None and len(lookups[name]) > rows // 4:
            lookups[name] = None


def _add_row(table: Table, header, file, number, cells, lookups, max_cell_chars, problems: list[Problem]) -> None:
    """Parse one row into `table`, or count it as blank, or reject it with its problems."""
    if all(is_blank(cell) for cell in cells):
        table.blank_rows += 1
        return
    row, row_problems = _parse_row(header, file, number, cells, lookups, max_cell_chars)
    if row_problems:
        problems += row_problems
        _reject(table, row.get(table.type.id_column))
    else:
        table.add_row(number, row)


def _reject(table: Table, id_value: object) -> None:
    table.rejected_rows += 1
    if not is_blank(id_value):
        table.rejected_ids.add(id_value)


def _parse_row(header: _Header, file: str, number: int, cells: list, lookups: dict, max_chars: int):
    """One row's typed values and its problems."""
    (row,) = header.new_rows(1)
    row.update(header.absent)
    problems = []
    width = len(cells)
    for index, column, name, fast in header.slots:
        value = cells[index] if index < width else None
        row[name], problem = _cell(column, name, fast, lookups.get(name), value, max_chars, file, number)
        if problem is not None:
            problems.append(problem)
    for index in range(header.width, width):
        if not is_blank(cells[index]):
            problems.append(
                Problem(
                    file, number, f"column {index + 1}", as_text(cells[index]), "no cell beyond the last named column"
                )
            )
    return row, problems


def _cell(column, name, fast, lookup, value, max_chars, file, number) -> tuple[object, Problem | None]:
    """One cell's typed value and its problem (None when the cell is fine); the rules of both paths."""
    if type(value) is str:
        if len(value) > max_chars:
            return None, Problem(file, number, name, value[:40] + "…", f"a cell of at most {max_chars} characters")
        if not value or value.isspace():
            value = None
        elif fast is not None:
            try:
                return fast(value, lookup), None
            except (ValueError, KeyError):
                pass  # not the common spelling: parse_cell's general parsers decide
    if value is None:
        blank = _BLANK.get(column.type) if column else None
        if column and column.must_have_value:
            return blank, Problem(file, number, name, "", f"a value ({column.expected()})")
        return blank, None
    if column is None:
        return as_text(value), None
    try:
        return parse_cell(column, value, lookup), None
    except CellError:
        return as_text(value), Problem(file, number, name, as_text(value), column.expected())


#: What Arrow found of a batch's column (`_spellings`).
COMMON, LONG, OTHER = "common", "long", "other"


def _spellings(header: _Header, arrays: list, max_chars: int) -> list[list]:
    """Per named column of a batch, what Arrow tells of its cells before Python sees them:
    COMMON (each has its type's common spelling or is an allowed empty cell), LONG (some cell
    may be over the length limit) or OTHER; and, when its values repeat, its dictionary
    encoding (Python then types each distinct value once). Arrow's own code, on the read-ahead
    thread, in as few calls as it takes (each waits for Python's lock): the length limit is
    tested on the whole batch, and the spellings of the columns of one type together."""
    from pyarrow import concat_arrays  # loaded already: the batch came from Arrow

    spellings: list[list] = []  # per column [spelling, dictionary encoding or None]
    tested: dict[tuple[str, bool], list[tuple[list, object]]] = defaultdict(list)  # (type, optional) → columns
    any_long = bool(arrays) and longest(concat_arrays(arrays)) > max_chars
    for index, column, _, fast in header.slots:
        strings = arrays[index]
        kind = column.type if column else STR
        if fast is None or not len(strings):
            spellings.append([OTHER, None])
        elif any_long and longest(strings) > max_chars:
            spellings.append([LONG, None])
        else:
            repeating = _repeating(strings) if kind != DATETIME else None
            spellings.append([OTHER, repeating])
            if kind in COMMON_SPELLINGS:  # each distinct value tested once
                distinct = strings if repeating is None else repeating.dictionary
                tested[kind, not (column and column.must_have_value)].append((spellings[-1], distinct))
    for (kind, optional), columns in tested.items():
        if all_commonly_spelled(concat_arrays([cells for _, cells in columns]), kind, optional):
            common = [spelling for spelling, _ in columns]
        else:  # some column is not: which
            common = [spelling for spelling, cells in columns if all_commonly_spelled(cells, kind, optional)]
        for spelling in common:
            spelling[0] = COMMON
    return spellings


def _repeating(strings):
    """`strings` dictionary-encoded when at most a quarter of them are distinct, else None."""
    encoded = strings.dictionary_encode()
    return encoded if 4 * len(encoded.dictionary) <= len(strings) else None


def _add_batch(
    table: Table, header, file, first, arrays, spellings, lookups, max_chars, problems: list[Problem]
) -> None:
    """Parse a batch of records given as Arrow string arrays, one per column (rows `first`,
    `first` + 1, ...), with their `_spellings`, into `table`."""
    size = len(arrays[0]) if arrays else 0
    columns: list = [None] * len(arrays)  # each column's cells, as Python text once needed
    typed, found = [], []  # found: (offset in the batch, problem)
    for (index, column, name, fast), (spelling, repeating) in zip(header.slots, spellings, strict=True):
        lookup = lookups.get(name)
        columns[index], values = _typed_column(column, fast, lookup, arrays[index], spelling, repeating)
        if values is None:  # some cell has another spelling, or a problem: cell by cell
            values = []
            for offset, cell in enumerate(columns[index]):
                value, problem = _cell(column, name, fast, lookup, cell, max_chars, file, first + offset)
                values.append(value)
                if problem is not None:
                    found.append((offset, problem))
        typed.append(values)
    # A blank record is counted, never reported. A required column commonly spelled throughout
    # (an id, usually) has no empty cell, so the batch has no blank record: no walk over its rows.
    filled = any(
        spelling == COMMON and column is not None and column.must_have_value
        for (_, column, _, _), (spelling, _) in zip(header.slots, spellings, strict=True)
    )
    blank = set() if filled else _blank_rows(columns, arrays, size)
    table.blank_rows += len(blank)
    problems += [problem for offset, problem in found if offset not in blank]
    bad = {offset for offset, _ in found} - blank
    skipped = bad | blank
    if bad:
        slot_names = header.names[len(header.absent) :]
        ids = typed[slot_names.index(table.type.id_column)] if table.type.id_column in slot_names else None
        for offset in bad:
            _reject(table, None if ids is None else ids[offset])
    numbers = range(first, first + size)
    if skipped:
        typed = [[value for offset, value in enumerate(values) if offset not in skipped] for values in typed]
        numbers = [number for number in numbers if number - first not in skipped]
    absent = [[value] * len(numbers) for value in header.absent.values()]
    table.add_columns(numbers, header.names, absent + typed)


def _typed_column(
    column: Column | None, fast, lookup, strings, spelling: str, repeating
) -> tuple[list | None, list | None]:
    """A batch's column: its cells as text (None when only its distinct values were read), and
    their typed values when every cell has its common spelling or a spelling its fast parser
    takes, or is an allowed empty cell (None when some cell needs the general rules)."""
    if fast is None or spelling == LONG or not len(strings):
        return strings.to_pylist(), None
    kind = column.type if column else STR
    cells = strings.to_pylist() if repeating is None else None
    try:  # values that repeat are typed once each (and share one object)
        values = _values(kind, fast, lookup, cells or repeating.dictionary.to_pylist(), spelling, column)
    except (ValueError, KeyError):
        values = None
    if values is None or (kind == STR and "" in values):  # "": a cell of spaces only, blank: the general rules decide
        return cells or strings.to_pylist(), None
    if repeating is not None:
        values = list(map(values.__getitem__, repeating.indices.to_pylist()))
    return cells, values


def _values(kind, fast, lookup, cells, spelling, column) -> list:
    """Typed `cells` (raises ValueError or KeyError when a cell needs the general rules)."""
    if spelling == COMMON:
        return _commonly_spelled_values(kind, lookup, cells)
    blank = _BLANK.get(kind)
    if not (column and column.must_have_value):
        return [fast(cell, lookup) if cell else blank for cell in cells]
    return [fast(cell, lookup) for cell in cells]  # an empty cell raises (text: "", caught below)


def _commonly_spelled_values(kind: str, lookup, cells: list[str]) -> list:
    """The values of cells that all have the common spelling of `kind`, or are empty (None)."""
    full = "" not in cells  # no empty cell: a C loop, no test per cell
    if kind != STR:
        convert = COMMON_SPELLINGS[kind][1]
        return list(map(convert, cells)) if full else [convert(cell) if cell else None for cell in cells]
    if lookup is None:  # text with nothing to strip is its own value
        return list(cells) if full else [cell or None for cell in cells]
    return [lookup.setdefault(cell, cell) if cell else None for cell in cells]  # one string per distinct text


def _blank_rows(columns: list, arrays: list, size: int) -> set[int]:
    """The offsets of the batch's records whose every cell is blank (`columns`: the cells read so
    far as text, or None)."""
    candidates = range(size)
    for cells, strings in zip(columns, arrays, strict=True):
        cells = cells if cells is not None else strings.to_pylist()
        candidates = [offset for offset in candidates if not cells[offset] or cells[offset].isspace()]
        if not candidates:
            break
    return set(candidates)
