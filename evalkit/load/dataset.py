"""A loaded dataset: one typed Arrow table per record type, queried with DuckDB.

`load_dataset` is the whole "load" arrow of the data flow: files → tables of text → typed
tables → cross-record checks. It either returns a `Dataset` nothing downstream needs to doubt,
or raises `DatasetError` with every problem (file, row, column, value, expected).

Plugins read a table as rows (`dataset[name]`, read-only mappings of Python values), as columns
(`dataset.columns(name, ...)`), by id (`dataset.by_id(name)`), or as a DuckDB relation
(`dataset.relation(name)`, `dataset.sql(query)`), which is how large tables are best read:
grouped queries. Nothing a plugin is given can be changed in place (a try raises, and the
plugin fails by name), so no plugin can change what another reads.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from types import MappingProxyType

import duckdb
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import DatasetError, Note, Problem, UsageError
from ..periods import Period
from ..schema import CORE_RECORD_TYPES, DEFAULT_MAX_CELL_CHARS, LIST, PERIOD, TABLE_SUBJECT_KINDS, Limits, RecordType
from .cells import Typing, define_macros
from .checks import validate_dataset
from .files import find_tables, shard_names

__all__ = ["DEFAULT_MAX_CELL_CHARS", "Dataset", "Limits", "Table", "load_dataset"]


class Table:
    """The valid rows of one record type, as one Arrow table, with where each came from: one file
    or sheet, or several read one after the other (activities_2023.csv, activities_2024.csv)."""

    def __init__(
        self, record_type: RecordType, files: Sequence[str] = (), arrow: pa.Table | None = None, rows=None, sources=None
    ):
        self.type = record_type
        self.files = tuple(files)  # in the order read; empty: the dataset has no file for this record type
        self.file = ", ".join(self.files) or None  # as a message names the table's files
        if arrow is None:
            arrow = pa.table(
                [pa.array([], _arrow_type(column)) for column in record_type.columns],
                names=[column.name for column in record_type.columns],
            )
        self.arrow = arrow
        self.row_numbers: pa.Array = rows if rows is not None else pa.array([], pa.int64())
        #: Each row's file, as its place in `files` (int16: a dictionary's indices, 2 bytes a row).
        self.sources: pa.Array = sources if sources is not None else pa.repeat(pa.scalar(0, pa.int16()), len(arrow))
        self.headers: dict[str, str] = {}  # a column's header as the file spells it (problems name it so)
        self.blank_rows = 0
        self.rejected_ids: set[str] = set()
        self._columns: dict[str, tuple] = {}
        self._rows: tuple[Mapping[str, object], ...] | None = None

    def __len__(self) -> int:
        return self.arrow.num_rows

    def column(self, name: str) -> tuple:
        """The values of column `name` in row order (None where the file lacks it), as Python
        values: lists are tuples, periods `Period`s. Read-only, like everything a plugin is given."""
        if name not in self._columns:
            if name not in self.arrow.column_names:
                self._columns[name] = (None,) * len(self)
            else:
                values = self.arrow.column(name).to_pylist()
                kind = self.type.column(name).type if name in {c.name for c in self.type.columns} else None
                if kind == LIST:
                    values = [tuple(value) for value in values]
                elif kind == PERIOD:
                    values = [None if value is None else Period.parse(value) for value in values]
                self._columns[name] = tuple(values)
        return self._columns[name]

    @property
    def rows(self) -> tuple[Mapping[str, object], ...]:
        """Each row as a read-only mapping of Python values, in the file's order (made once, when
        asked, and shared by every plugin: none can change what another reads)."""
        if self._rows is None:
            names = self.arrow.column_names
            self._rows = tuple(
                MappingProxyType(dict(zip(names, values, strict=True)))
                for values in zip(*map(self.column, names), strict=True)
            )
        return self._rows

    def header(self, column: str) -> str:
        """Column `column` as the file names it (`活动类型`), or its name when no file does."""
        return self.headers.get(column, column)

    def relation_table(self) -> pa.Table:
        """The table's columns with each row's file as `_file` and its spreadsheet row number as
        `_row` (for queries, and for problems that name where a row is)."""
        names = [name for name in self.arrow.column_names if name not in ("_row", "_file")]
        file = pa.DictionaryArray.from_arrays(self.sources, pa.array(self.files or [""], pa.string()))
        columns = [self.row_numbers, file, *(self.arrow.column(name) for name in names)]
        return pa.table(columns, names=["_row", "_file", *names])


def _arrow_type(column) -> pa.DataType:
    from .cells import _ARROW_TYPES

    return _ARROW_TYPES[column.type]


class Dataset:
    """A validated dataset: one `Table` per known record type (empty when it has no file)."""

    def __init__(
        self,
        folder: Path,
        tables: dict[str, Table],
        connection: duckdb.DuckDBPyConnection,
        notes: list[Note] | None = None,
        shards: Sequence[str] = (),
    ):
        self.folder = folder
        #: The sub-folders read as shards, in order (empty: one dataset); a file's name starts with its shard's.
        self.shards = tuple(shards)
        #: The record types with a file or sheet (a pack's `needs`); a shard's task is told the run's.
        self.ledgers = frozenset(name for name, table in tables.items() if table.files)
        #: A shard loaded alone (`load_dataset(shard=...)`): its references to records it does not
        #: hold, for the driver to look for in the other shards (`checks.Crossing`); else None.
        self.crossings: list | None = None
        self.notes: list[Note] = notes or []  # how the files were read (rows skipped, files not read, ...)
        self.tables: Mapping[str, Table] = MappingProxyType(tables)
        self.connection = connection
        self._subjects = None
        for name, table in tables.items():
            connection.register(name, table.relation_table())

    @staticmethod
    def view(name: str) -> str:
        """The record type's table in SQL: a view named after it (its columns and `_row`)."""
        return '"' + name.replace('"', '""') + '"'

    def relation(self, name: str) -> duckdb.DuckDBPyRelation:
        """A record type's table as a DuckDB relation: its columns and `_row`, the spreadsheet
        row number. Group, join and filter it; it is read, never changed."""
        return self.connection.table(self.view(name))

    def sql(self, query: str, params: dict | None = None) -> duckdb.DuckDBPyRelation:
        """A query over the record types, each a view named after it (`SELECT ... FROM requests`),
        with `$name` parameters: how the built-in plugins build a province's facts. Queries
        only: a statement that would change the dataset (DROP, CREATE, INSERT, ...) is refused."""
        for statement in duckdb.extract_statements(query):
            if statement.type != duckdb.StatementType.SELECT:
                raise ValueError(f"Dataset.sql runs queries (SELECT) only, not {statement.type.name}")
        return self.connection.sql(query, params=params)

    def __getitem__(self, name: str) -> tuple[Mapping[str, object], ...]:
        """The rows of a record type, a read-only mapping each."""
        return self.tables[name].rows

    def columns(self, name: str, *columns: str) -> Iterator[tuple]:
        """Each row of a record type as a tuple of the `columns` named (no dict per row)."""
        table = self.tables[name]
        return zip(*map(table.column, columns), strict=True)

    def by_id(self, name: str) -> dict[str, Mapping[str, object]]:
        return {row["id"]: row for row in self.tables[name].rows}

    def subjects(self) -> tuple[Mapping[str, str], Mapping[str, str], Mapping[str, str | None]]:
        """What reports name subjects by: every subject's name and kind (organization,
        enterprise, department, cadre) by id, and each cadre's department. Read as columns, not
        rows: a province has about 250,000 subjects, and a dict per row took 1.2 s. Read once
        (the command and each report it makes ask; the web page makes two), so read-only: a
        plugin given the dataset changes no report's names."""
        if self._subjects is None:
            names, kinds = {}, {}
            for table, kind in TABLE_SUBJECT_KINDS.items():
                for id_, name in self.columns(table, "id", "name"):
                    names[id_], kinds[id_] = name, kind
            departments = dict(self.columns("cadres", "id", "department_id"))
            self._subjects = tuple(map(MappingProxyType, (names, kinds, departments)))
        return self._subjects

    def dated_titles(self, ids: set[str]) -> dict[str, tuple[date, str]]:
        """The date and title of each of `ids` that is the id of a record with both (an activity),
        as a self-check names its evidence; an id of records of two types stays out."""
        found, seen = {}, Counter()
        wanted = pa.array(sorted(ids), pa.string())
        for table in self.tables.values() if ids else ():
            if "id" not in table.arrow.column_names:
                continue
            hits = table.arrow.filter(pc.is_in(table.arrow.column("id").cast(pa.string()), value_set=wanted))
            seen.update(hits.column("id").to_pylist())
            if {"date", "title"} <= set(hits.column_names):
                rows = zip(*(hits.column(name).to_pylist() for name in ("id", "date", "title")), strict=True)
                found.update((id_, (day, title)) for id_, day, title in rows if day is not None and title)
        return {id_: record for id_, record in found.items() if seen[id_] == 1}

    def has_records_in(self, period: Period) -> bool:
        """Whether any record is dated in `period` (requests by dispatch, the others by their date)."""
        first, last = period.first_day.isoformat(), period.last_day.isoformat()
        for name, table in self.tables.items():
            column = table.type.dated_by
            if column and len(table):
                query = f"SELECT 1 FROM {self.view(name)} WHERE CAST({column} AS DATE) BETWEEN ? AND ? LIMIT 1"
                if self.connection.execute(query, [first, last]).fetchall():
                    return True
        return False

    def describe_calendar(self) -> dict[str, object]:
        """The working-day calendar as a report names it (`workdays.Calendar.describe`)."""
        from ..workdays import Calendar

        return Calendar.of(self).describe()

    def files(self) -> set[str]:
        """The files read, by their path from the dataset's folder (a sheet's, `book.xlsx#名单`,
        its workbook's: a folder's name may hold a `#` too)."""
        return {_SHEET.sub("", file) for table in self.tables.values() for file in table.files}

    def digest(self) -> str:
        return files_digest(self.folder, self.files())

    def counts(self) -> dict[str, int]:
        return {name: len(table) for name, table in self.tables.items()}


#: A sheet's name after its workbook's (`book.xlsx#名单`), as the loader names a sheet it read.
_SHEET = re.compile(r"(?:(?<=\.xlsx)|(?<=\.xlsm)|(?<=\.xls))#.*\Z", re.IGNORECASE | re.DOTALL)


def files_digest(folder: Path, names: Iterable[str]) -> str:
    """SHA-256 over the names and bytes of the files read (by their path from `folder`), so a
    report can be traced to its inputs."""
    hasher = hashlib.sha256()
    for name in sorted(names):
        hasher.update(name.encode("utf-8") + b"\0")
        with (folder / name).open("rb") as file:
            while chunk := file.read(1 << 20):
                hasher.update(chunk)
    return hasher.hexdigest()


def connect(threads: int | None = None) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection as evalkit uses one (the loader's, the shards' driver's): rows keep
    their file's order through every query; no DuckDB extension is ever fetched or loaded (a run
    must not reach the network, and gives the same results everywhere); no progress bar on stderr
    (a long query's, which would mix with evalkit's own messages); `threads`, default one per core."""
    config = {
        "preserve_insertion_order": True,
        "autoinstall_known_extensions": False,
        "autoload_known_extensions": False,
        **({"threads": threads} if threads else {}),
    }
    connection = duckdb.connect(config=config)
    connection.execute("SET enable_progress_bar = false")
    return connection


def _concatenated(record_type: RecordType, files: list) -> tuple[Table, list[Problem]]:
    """One table of the typed rows of a record type's files, in the order read, each row keeping
    its file and row number. Extra columns one file has and another lacks are blank in the latter."""
    typed = [file.typed() for file in files]
    arrow = (
        pa.concat_tables([rows.table for rows in typed], promote_options="default")
        if len(typed) > 1
        else typed[0].table
    )
    numbers = pa.concat_arrays([rows.rows for rows in typed]) if len(typed) > 1 else typed[0].rows
    sources = pa.concat_arrays([pa.repeat(pa.scalar(n, pa.int16()), len(rows.rows)) for n, rows in enumerate(typed)])
    table = Table(record_type, [file.file for file in files], arrow, numbers, sources)
    for file in reversed(files):  # the first file's spelling of a header wins
        table.headers.update({slot.key: slot.header for slot in file.slots})
    table.blank_rows = sum(rows.blank_rows for rows in typed)
    table.rejected_ids = set().union(*(rows.rejected_ids for rows in typed))
    return table, [problem for rows in typed for problem in rows.problems]


def load_dataset(
    folder: str | Path,
    record_types: Iterable[RecordType] = CORE_RECORD_TYPES,
    known_rules: set[str] | None = None,
    limits: Limits | None = None,
    threads: int | None = None,
    partial: bool = False,
    waiver_days: dict[str, int] | None = None,
    shard_read: Callable[[int, int], None] | None = None,
    shard: str | None = None,
) -> Dataset:
    """Load and validate every record type in `folder`; raise `DatasetError` listing every problem.

    A folder of shards (`files.shard_names`: no ledger at its top, a complete dataset in each
    sub-folder) is loaded as the one dataset its shards' files make one shard after the other,
    each file named by its shard (`north/requests.csv`), and checked for what crosses shards
    (checks.py): every shard's problems are listed together.

    `known_rules`, when given, are the rule ids a waiver may name; `limits`, how much of a file
    is read before it is refused (default `Limits()`); `threads`, how many threads DuckDB may use (default: one per
    core); `partial`, the dataset is one branch's own ledger: a reference to an organisation,
    enterprise, department or cadre it does not hold is a note, not a problem (checks.py);
    `waiver_days`, rule id → its pack's max_waiver_days, how long a waiver of it may hold;
    `shard_read(done, total)`, told as each shard of a folder of shards is read; `shard`, one
    shard of the folder of shards to read (with `_common/`), as a task does: its references to
    records it does not hold are `dataset.crossings`, for the driver (shards.py).
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise UsageError(
            f"{folder}: not a folder (a dataset is a folder of .csv/.xlsx files)",
            f"{folder}：不是文件夹（数据集是存放 .csv/.xlsx 台账文件的文件夹）",
        )
    types = {t.name: t for t in record_types}
    connection = connect(threads)
    define_macros(connection)
    notes: list[Note] = []
    problems: list[Problem] = []
    limits = limits or Limits()
    typing, sources = Typing(limits.max_cell_chars), {}
    shards = shard_names(folder) if shard is None else (shard,)
    for text in find_tables(folder, types.values(), limits, shards, shard_read):
        if isinstance(text, Note):
            notes.append(text)
        elif isinstance(text, Problem):
            problems.append(text)
        else:
            sources.setdefault(text.name, []).append(typing.add(types[text.name], text))
        # Each file's text is let go once read into columns, before the next is read, and the
        # memory Arrow keeps for reuse goes back to the system (at L 1.22 → 1.13 GB of peak RSS).
        del text
        pa.default_memory_pool().release_unused()
    if not sources and not problems:
        unread = "".join(f"\n  {note.text()}" for note in notes)
        unread_zh = "".join(f"\n  {note.text('zh')}" for note in notes)
        raise UsageError(
            f"{folder}: no dataset files in this folder (expected files such as organizations.csv and "
            f"requests.csv, or an .xlsx workbook with sheets of those names){unread}",
            f"{folder}：文件夹里没有台账文件（应有 organizations.csv、requests.csv 等，"
            f"或含同名工作表的 .xlsx 工作簿）{unread_zh}",
        )
    typing.run(connection)
    tables = {name: Table(record_type) for name, record_type in types.items()}
    for name in list(sources):
        files = sources.pop(name)  # their cells' entries are let go once looked up
        tables[name], found = _concatenated(types[name], files)
        problems += found
        notes += [note for file in files for note in file.notes]
        if len(files) > 1 and not shards:  # a folder of shards is read so by design
            listed = ", ".join(file.file for file in files)
            notes.append(
                Note(
                    files[0].file,
                    f"{name} read from {len(files)} files, in this order: {listed}",
                    f"{types[name].zh}（{name}）由 {len(files)} 个文件依次合并读取：{listed}",
                )
            )
    del typing
    pa.default_memory_pool().release_unused()
    dataset = Dataset(folder, tables, connection, notes, shards)
    dataset.crossings = None if shard is None else []
    problems += validate_dataset(dataset, known_rules, partial, waiver_days)
    if problems:
        raise DatasetError(problems, dataset.notes)
    return dataset
