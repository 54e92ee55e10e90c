"""Loading a dataset folder into typed tables, collecting every problem on the way.

`load_dataset` is the whole "load" arrow of the data flow: files → typed rows → cross-file
validation. It either returns a `Dataset` nothing downstream needs to doubt, or raises
`DatasetError` with every problem (file, row, column, value, expected).
"""

from __future__ import annotations

import hashlib
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path

from .cells import FAST_PARSERS, CellError, as_text, enum_lookup, is_blank, parse_cell
from .errors import DatasetError, Problem, UsageError
from .hanzi import fold
from .readers import RawTable, UnreadableRow, find_tables
from .schema import BOOL, CORE_RECORD_TYPES, ENUM, LIST, STR, Column, RecordType
from .validation import validate_dataset

#: Cells longer than this are refused: a ledger never needs them, and they are how a damaged
#: or hostile file would blow up memory.
DEFAULT_MAX_CELL_CHARS = 1_000_000
_BLANK = {BOOL: False, LIST: ()}  # what a blank cell means where blank is not "missing"


@dataclass
class Table:
    """The valid rows of one record type, with where each came from."""

    type: RecordType
    file: str | None = None  # None: the dataset has no file for this record type
    rows: list[dict] = field(default_factory=list)
    row_numbers: array = field(default_factory=lambda: array("q"))  # 8 bytes a row, not an int object
    blank_rows: int = 0
    rejected_rows: int = 0
    rejected_ids: set[str] = field(default_factory=set)  # ids of rows refused for bad cells

    def located(self) -> Iterator[tuple[int, dict]]:
        """(spreadsheet row number, row) pairs, for problems found after parsing."""
        return zip(self.row_numbers, self.rows, strict=True)


@dataclass
class Dataset:
    """A validated dataset: one `Table` per known record type (empty when it has no file)."""

    folder: Path
    tables: dict[str, Table]

    def __getitem__(self, name: str) -> list[dict]:
        return self.tables[name].rows

    def by_id(self, name: str) -> dict[str, dict]:
        return {row["id"]: row for row in self.tables[name].rows}

    def has_records_in(self, period) -> bool:
        """Whether any record is dated in `period` (requests by dispatch, the others by their date).

        It stops at the first one: a province's millions of records are not walked to say yes."""
        for table in self.tables.values():
            column = table.type.dated_by
            if column and any(row[column] is not None and period.contains(_day(row[column])) for row in table.rows):
                return True
        return False

    def digest(self) -> str:
        """SHA-256 over the names and bytes of the files read, so a report can be traced to its inputs."""
        hasher = hashlib.sha256()
        for name in sorted({table.file.split("#")[0] for table in self.tables.values() if table.file}):
            hasher.update(name.encode("utf-8") + b"\0")
            with (self.folder / name).open("rb") as file:
                while chunk := file.read(1 << 20):
                    hasher.update(chunk)
        return hasher.hexdigest()

    def counts(self) -> dict[str, int]:
        return {name: len(table.rows) for name, table in self.tables.items()}


class _Header:
    """Which column each header cell names, and the problems of the header row."""

    def __init__(self, record_type: RecordType, raw: RawTable):
        names = {}
        for column in record_type.columns:
            names[column.name.lower()] = column
            names[fold(column.zh)] = column
        #: Per named cell: (cell index, column or None, column name or header text, the parser of
        #: the column's common spelling or None).
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
            self.slots.append((index, column, key, FAST_PARSERS.get(column.type) if column else None))
        #: Optional columns the file lacks: every row gets them blank, so rows always have all columns.
        self.absent = {c.name: _BLANK.get(c.type) for c in record_type.columns if c.name not in seen}
        for column in record_type.columns:
            if column.must_have_value and column.name not in seen:
                self.problems.append(Problem(raw.file, 1, column.name, "", f"a column {column.name} [{column.zh}]"))
        self.width = len(raw.header)


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def _parse_table(record_type: RecordType, raw: RawTable, max_cell_chars: int) -> tuple[Table, list[Problem]]:
    header = _Header(record_type, raw)
    problems = list(header.problems)
    table = Table(record_type, raw.file, blank_rows=raw.blank_rows)
    # Per column, what its fast parser looks values up in: an enum's spellings, or for text the
    # one string kept per distinct value (a reference's ids always; other text while it repeats).
    lookups = {c.name: enum_lookup(c) for c in record_type.columns if c.type == ENUM}
    lookups |= {c.name: {} for c in record_type.columns if c.type == STR}
    texts = [c.name for c in record_type.columns if c.type == STR and c.ref is None]
    try:
        for count, (number, cells) in enumerate(raw.rows, start=1):
            _add_row(table, header, raw.file, number, cells, lookups, max_cell_chars, problems)
            if count % _SHARING_CHECKED_EVERY == 0:
                _stop_sharing_unique(lookups, texts, count)
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
        table.rejected_rows += 1
        id_column = table.type.id_column
        if id_column and not is_blank(row.get(id_column)):
            table.rejected_ids.add(row[id_column])
    else:
        table.rows.append(row)
        table.row_numbers.append(number)


def _parse_row(header: _Header, file: str, number: int, cells: list, lookups: dict, max_chars: int):
    """One row's typed values and its problems. Hot: runs for every row of every file."""
    row: dict = dict(header.absent)
    problems = []
    width = len(cells)
    for index, column, name, fast in header.slots:
        value = cells[index] if index < width else None
        if type(value) is str:
            if len(value) > max_chars:
                problems.append(
                    Problem(file, number, name, value[:40] + "…", f"a cell of at most {max_chars} characters")
                )
                continue
            if not value or value.isspace():
                value = None
            elif fast is not None:
                try:
                    row[name] = fast(value, lookups.get(name))
                    continue
                except (ValueError, KeyError):
                    pass  # not the common spelling: parse_cell's general parsers decide
        if value is None:
            if column and column.must_have_value:
                problems.append(Problem(file, number, name, "", f"a value ({column.expected()})"))
            row[name] = _BLANK.get(column.type) if column else None
            continue
        if column is None:
            row[name] = as_text(value)  # extra column: kept as text for plugins
            continue
        try:
            row[name] = parse_cell(column, value, lookups.get(name))
        except CellError:
            row[name] = as_text(value)
            problems.append(Problem(file, number, name, as_text(value), column.expected()))
    for index in range(header.width, width):
        if not is_blank(cells[index]):
            problems.append(
                Problem(
                    file, number, f"column {index + 1}", as_text(cells[index]), "no cell beyond the last named column"
                )
            )
    return row, problems


def load_dataset(
    folder: str | Path,
    record_types: Iterable[RecordType] = CORE_RECORD_TYPES,
    known_rules: set[str] | None = None,
    max_cell_chars: int = DEFAULT_MAX_CELL_CHARS,
    stage: Callable[[str], None] = lambda name: None,
) -> Dataset:
    """Load and validate every record type in `folder`; raise `DatasetError` listing every problem.

    `known_rules`, when given, are the rule ids a waiver may name. `stage` is told when reading
    ends and validation starts (benchmarks time the two).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(
            f"{folder}: not a folder (a dataset is a folder of .csv/.xlsx files)",
            f"{folder}：不是文件夹（数据集是存放 .csv/.xlsx 台账文件的文件夹）",
        )
    types = {t.name: t for t in record_types}
    raws, problems = find_tables(folder, list(types))
    if not raws and not problems:
        raise UsageError(
            f"{folder}: no dataset files in this folder (expected files such as organizations.csv and "
            "requests.csv, or an .xlsx workbook with sheets of those names)",
            f"{folder}：文件夹里没有台账文件（应有 organizations.csv、requests.csv 等，或含同名工作表的 .xlsx 工作簿）",
        )
    tables = {name: Table(t) for name, t in types.items()}
    for raw in raws:
        tables[raw.name], table_problems = _parse_table(types[raw.name], raw, max_cell_chars)
        problems += table_problems
    dataset = Dataset(folder, tables)
    stage("validate")
    problems += validate_dataset(dataset, known_rules)
    if problems:
        raise DatasetError(problems)
    return dataset
