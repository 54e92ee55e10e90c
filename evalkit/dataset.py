"""Loading a dataset folder into typed tables, collecting every problem on the way.

`load_dataset` is the whole "load" arrow of the data flow: files → typed rows → cross-file
validation. It either returns a `Dataset` nothing downstream needs to doubt, or raises
`DatasetError` with every problem (file, row, column, value, expected). Asked to, it lets a
large dataset's cross-record checks finish in a forked process while the caller builds facts
(`Dataset.validated()` waits for them): the facts are used only once the dataset has passed.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import partial
from pathlib import Path

from .errors import DatasetError, UsageError
from .forked import FORK_FROM, ForkedResult, can_fork
from .readers import find_tables
from .rows import Table, parse_table
from .schema import CORE_RECORD_TYPES, RecordType
from .validation import parent_cycles, validate_dataset

#: Cells longer than this are refused: a ledger never needs them, and they are how a damaged
#: or hostile file would blow up memory.
DEFAULT_MAX_CELL_CHARS = 1_000_000


@dataclass
class Dataset:
    """A validated dataset: one `Table` per known record type (empty when it has no file).

    Or one still being validated in a forked process (`load_dataset(..., alongside=True)`):
    its cells are typed and its organisations' tree is sound; `validated()` says the rest.
    """

    folder: Path
    tables: dict[str, Table]
    validating: ForkedResult | None = field(default=None, repr=False)

    def validated(self) -> Dataset:
        """This dataset, once the validation running alongside has passed; else `DatasetError`."""
        if self.validating is not None:
            problems = self.validating.result()  # interrupted, it stops the process itself
            self.validating = None
            if problems:
                raise DatasetError(problems)
        return self

    def stop_validating(self) -> None:
        """Stops a validation running alongside whose verdict is no longer wanted (an interrupted run)."""
        if self.validating is not None:
            self.validating.stop()
            self.validating = None

    def __getitem__(self, name: str) -> list[dict]:
        """The rows of a record type, a dict each (made on first use from a large file's columns)."""
        return self.tables[name].rows

    def columns(self, name: str, *columns: str) -> Iterator[tuple]:
        """Each row of a record type as a tuple of the `columns` named, read from the columns
        without making rows: how the built-in plugins read a province's millions of requests."""
        table = self.tables[name]
        return zip(*map(table.column, columns), strict=True)

    def by_id(self, name: str) -> dict[str, dict]:
        return {row["id"]: row for row in self.tables[name].rows}

    def has_records_in(self, period) -> bool:
        """Whether any record is dated in `period` (requests by dispatch, the others by their date).

        It stops at the first one: a province's millions of records are not walked to say yes."""
        for table in self.tables.values():
            column = table.type.dated_by
            if column and any(value is not None and period.contains(_day(value)) for value in table.column(column)):
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
        return {name: len(table) for name, table in self.tables.items()}


def _day(value: date | datetime) -> date:
    return value.date() if isinstance(value, datetime) else value


def load_dataset(
    folder: str | Path,
    record_types: Iterable[RecordType] = CORE_RECORD_TYPES,
    known_rules: set[str] | None = None,
    max_cell_chars: int = DEFAULT_MAX_CELL_CHARS,
    stage: Callable[[str], None] = lambda name: None,
    alongside: bool = False,
) -> Dataset:
    """Load and validate every record type in `folder`; raise `DatasetError` listing every problem.

    `known_rules`, when given, are the rule ids a waiver may name. `stage` is told when reading
    ends and validation starts (benchmarks time the two).

    With `alongside`, a large dataset whose every cell is good and whose organisations' tree has
    no cycle (plugins walk it) is returned at once, its cross-record checks (ids, references,
    request lifecycles, ...) running in a forked process (Linux): the caller builds facts
    meanwhile and calls `Dataset.validated()` before using them. At L that hides 5 s of checks.
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
        tables[raw.name], table_problems = parse_table(types[raw.name], raw, max_cell_chars)
        problems += table_problems
    dataset = Dataset(folder, tables)
    stage("validate")
    records = sum(map(len, tables.values()))
    if alongside and not problems and records >= FORK_FROM and can_fork() and not any(parent_cycles(dataset)):
        dataset.validating = ForkedResult(partial(validate_dataset, dataset, known_rules), [])
        return dataset
    problems += validate_dataset(dataset, known_rules)
    if problems:
        raise DatasetError(problems)
    return dataset
