"""Finding a dataset's files and reading them into raw rows (header + cells), CSV or XLSX.

Nothing is typed here: `rows.py` parses the cells. Encodings are detected, never asked for:
UTF-8 (with or without BOM), UTF-16 with BOM, and GB18030 (a superset of GBK, what Excel on a
Chinese Windows writes by default). A UTF-8 CSV file can also be read a batch of records at a
time, column by column, by Arrow's CSV reader (C++, on a thread of its own): at a province's
millions of records that is the loader's fast path.
"""

from __future__ import annotations

import codecs
import csv
import queue
import re
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from .cells import is_blank
from .errors import Problem


@dataclass
class RawTable:
    """The cells of one record type as found in one file (or one sheet of a workbook)."""

    name: str
    file: str  # as shown to the user: "requests.csv" or "ledgers.xlsx#talent"
    header: list[object]
    rows: Callable[[], Iterator[tuple[int, list[object]]]]  # reads (spreadsheet row number, cells)
    #: Or None; reads batches of records: (row number of the first, an Arrow string array per column).
    batches: Callable[[], Iterator[tuple[int, list]]] | None = None
    blank_rows: int = 0  # blank rows the reader already left out of `rows`


class UnreadableRow(Exception):
    """Raised by a table's rows iterator when the rest of the file cannot be read."""

    def __init__(self, problem: Problem):
        super().__init__(str(problem))
        self.problem = problem


class IrregularCsv(Exception):
    """Raised by a table's batches when a record is not what the fast reader takes (a record of
    another width or too long for a block, a carriage return in a cell): the csv module reads
    the file instead."""


class NotText(ValueError):
    """The file is not text in the encoding tried (undecodable at byte `position`), or holds
    binary data (`position` None)."""

    def __init__(self, expected: str, position: int | None):
        super().__init__(expected)
        self.expected, self.position = expected, position


def detect_encoding(path: Path) -> str:
    """The encoding a spreadsheet program wrote the CSV file in; raises `NotText` otherwise.

    The whole file is checked, never held whole (a province's requests file is hundreds of
    megabytes): decoded a megabyte at a time, or for a large UTF-8 file validated by Arrow on
    the file mapped into memory; the loader then reads it as a stream.
    """
    with path.open("rb") as file:
        start = file.read(len(codecs.BOM_UTF8))
    if start.startswith(codecs.BOM_UTF8):
        return _scan(path, "utf-8-sig")[0]
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _scan(path, "utf-16")[0]
    try:
        encoding, head = _scan(path, "utf-8")
    except NotText as error:
        if error.position is None:  # binary data, not another encoding
            raise
        try:
            return _scan(path, "gb18030")[0]
        except NotText as other:
            # Name the failure of the encoding that read further: most likely the file's own.
            further = error if other.position is not None and other.position < error.position else other
            raise further from None
    # Short GBK text can also be valid UTF-8 ("学习" in GBK reads as "ѧϰ"): such text is full of
    # Greek, Cyrillic and other two-byte UTF-8 letters, which a Chinese ledger does not hold.
    # Longer GBK text is never valid UTF-8 in practice, so the first megabyte is enough to look at.
    if _count(_MISREAD_LETTERS, head) > _count(_HANZI, head):
        try:
            return _scan(path, "gb18030")[0]
        except NotText:
            pass
    return encoding


def _scan(path: Path, encoding: str) -> tuple[str, str]:
    """Decode the whole file as `encoding`; return it and the first megabyte of text.

    A large UTF-8 file found sound by Arrow as a whole is decoded only as far as that megabyte;
    otherwise each chunk is decoded here, which places the first bad byte."""
    whole = encoding in ("utf-8", "utf-8-sig") and path.stat().st_size >= _BATCHES_FROM_BYTES and _utf8_text(path)
    decoder = codecs.getincrementaldecoder(encoding)()
    head, offset = "", 0
    with path.open("rb") as file:
        while True:
            chunk = file.read(_CHUNK_BYTES)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                expected = f"a text file in UTF-8 or GB18030 ({error.reason} at byte {offset + error.start})"
                raise NotText(expected, offset + error.start) from None
            if "\0" in text:
                raise NotText("a CSV text file (this one holds binary data)", None)
            if len(head) < _SNIFF_CHARS:
                head += text[: _SNIFF_CHARS - len(head)]
            if not chunk or (whole and len(head) == _SNIFF_CHARS):
                return encoding, head
            offset += len(chunk)


def _utf8_text(path: Path) -> bool:
    """Whether the whole file is UTF-8 without a NUL byte, tested by Arrow's C++ on the file
    mapped into memory: about eight times as fast as decoding it a megabyte at a time here
    (hundreds of megabytes at a province)."""
    import mmap

    import pyarrow  # a large file: read by Arrow next

    try:
        with path.open("rb") as file, mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) as mapped:
            return _mapped_utf8_text(mapped, pyarrow)
    except (OSError, ValueError):  # no mapping to be had (an odd file system, a file emptied meanwhile)
        return False


def _mapped_utf8_text(mapped, pyarrow) -> bool:
    """Whether mapped bytes are UTF-8 without a NUL, Arrow validating them as one cell of text.
    Its buffers go when it returns, so the mapping can close."""
    if mapped.find(b"\0") >= 0:
        return False
    data = pyarrow.py_buffer(mapped)
    offsets = pyarrow.array([0, len(data)], pyarrow.int64()).buffers()[1]
    try:
        pyarrow.Array.from_buffers(pyarrow.large_string(), 1, [None, offsets, data]).validate(full=True)
    except pyarrow.ArrowInvalid:
        return False
    return True


_CHUNK_BYTES = 1 << 20
_SNIFF_CHARS = 1_000_000
_MISREAD_LETTERS = re.compile(r"[^\u0100-\u07ff]+")
_HANZI = re.compile(r"[^\u4e00-\u9fff]+")


def _count(others: re.Pattern, text: str) -> int:
    """How many characters of `text` are in the class whose complement is `others` (in C, not per char)."""
    return len(others.sub("", text))


def read_csv(path: Path, name: str) -> RawTable | Problem:
    try:
        encoding = detect_encoding(path)
    except NotText as error:
        return Problem(path.name, None, "", "", error.expected)
    # Long cells are refused by the loader with their row and column (max_cell_chars), not by
    # the csv module's own limit, which would stop the whole file.
    csv.field_size_limit(2**31 - 1)
    with path.open(encoding=encoding, newline="") as file:
        try:
            header = next(csv.reader(file))
        except StopIteration:
            return Problem(path.name, 1, "", "", "a header row (the file is empty)")
        except csv.Error as error:
            return Problem(path.name, 1, "", "", f"a readable CSV header ({error})")
    fast = bool(header) and encoding in ("utf-8", "utf-8-sig") and path.stat().st_size >= _BATCHES_FROM_BYTES
    batches = (lambda: _csv_batches(path, len(header))) if fast else None
    return RawTable(name, path.name, header, lambda: _csv_rows(path, encoding), batches)


def _csv_rows(path: Path, encoding: str) -> Iterator[tuple[int, list[object]]]:
    """The records after the header, read as a stream (the file is open only while they are read)."""
    # A spreadsheet shows one record per row even when a quoted cell spans lines, so the
    # row number is the record's position, not the physical line.
    number = 1
    with path.open(encoding=encoding, newline="") as file:
        reader = csv.reader(file)
        next(reader)  # the header, read by read_csv
        try:
            for number, cells in enumerate(reader, start=2):
                yield number, cells
        except csv.Error as error:
            raise UnreadableRow(Problem(path.name, number + 1, "", "", f"a readable CSV row ({error})")) from None


#: Bytes of the file per batch of records (a few thousand records).
_BATCH_BYTES = 1 << 20
#: Smaller files are read record by record: Arrow's import (0.1–0.2 s) would cost a district's
#: whole assessment more than it saves.
_BATCHES_FROM_BYTES = 1 << 20


def _csv_batches(path: Path, width: int) -> Iterator[tuple[int, list]]:
    """The records after the header, a batch at a time, each as `width` Arrow string arrays.

    Arrow's reader is set to read as the csv module does (tested on quoting edge cases): every
    cell text, "" for an empty one, quoted line breaks kept, an empty line a record of empty
    cells, a BOM skipped. Raises `IrregularCsv` when a record is not `width` cells long or a
    cell holds a carriage return.
    """
    import pyarrow
    import pyarrow.compute as arrow
    from pyarrow import csv as arrow_csv  # imported late: small datasets never pay for it

    names = [str(index) for index in range(width)]
    number, skip = 1, 1  # the header is the first record, read already by read_csv
    try:
        reader = arrow_csv.open_csv(
            path,
            read_options=arrow_csv.ReadOptions(column_names=names, block_size=_BATCH_BYTES),
            parse_options=arrow_csv.ParseOptions(newlines_in_values=True, ignore_empty_lines=False),
            convert_options=arrow_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pyarrow.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        for batch in reader:
            # All columns in one test: each Arrow call from this thread waits for Python's lock.
            if arrow.any(arrow.match_substring(pyarrow.concat_arrays(batch.columns), "\r")).as_py():
                # Arrow drops the \n of a quoted \r\n that ends a block (apache/arrow#51368): a
                # file with a carriage return in a cell is read by the csv module instead.
                raise IrregularCsv("a carriage return inside a cell")
            yield number + skip, [column.slice(skip) for column in batch.columns]
            number += batch.num_rows
            skip = 0
    except pyarrow.ArrowException as error:
        raise IrregularCsv(str(error)) from None
    reader = batch = None  # read to the end: the memory Arrow kept for reading goes back to the system
    pyarrow.default_memory_pool().release_unused()


def read_ahead(items: Iterator, depth: int = 2) -> Iterator:
    """The items of `items`, made on a thread of their own, up to `depth` ahead of the reader.

    For work that runs outside Python's lock (Arrow reading and testing a file's next batches)
    while the reader turns the previous batch into Python objects: the machine's second core
    does the first. An error on the thread is raised to the reader. However the reader stops
    (at the end, early, or interrupted), the thread has ended and `items` is closed when it does.
    """
    ready: queue.Queue = queue.Queue(depth)
    stopped = threading.Event()

    def hand_over(entry: tuple) -> bool:
        """Waits for room for `entry`; False when the reader has stopped meanwhile."""
        while not stopped.is_set():
            try:
                ready.put(entry, timeout=0.05)
                return True
            except queue.Full:
                continue
        return False

    def make() -> None:
        try:
            for item in items:
                if not hand_over((item, None)):
                    return
            hand_over((_DONE, None))
        except BaseException as error:  # noqa: BLE001 - handed to the reader, who raises it
            hand_over((None, error))

    thread = threading.Thread(target=make, name="evalkit-read-ahead", daemon=True)
    with _quick_switching():
        thread.start()
        try:
            while True:
                item, error = ready.get()
                if error is not None:
                    raise error
                if item is _DONE:
                    return
                yield item
        finally:
            stopped.set()
            thread.join()  # at most the batch being read: Arrow must not be left running at exit
            if hasattr(items, "close"):
                items.close()


_DONE = object()


@contextmanager
def _quick_switching() -> Iterator[None]:
    """Python's switch interval at 0.2 ms while any read-ahead runs (5 ms otherwise): the thread
    needs Python's lock between its Arrow calls, a few dozen times a batch, and at 5 ms a wait
    the reader would mostly wait for it instead of working alongside. Restored after the last."""
    global _reading_ahead, _usual_switching
    with _switching_lock:
        if _reading_ahead == 0:
            _usual_switching = sys.getswitchinterval()
            sys.setswitchinterval(0.0002)
        _reading_ahead += 1
    try:
        yield
    finally:
        with _switching_lock:
            _reading_ahead -= 1
            if _reading_ahead == 0:
                sys.setswitchinterval(_usual_switching)


_switching_lock = threading.Lock()
_reading_ahead = 0  # read-aheads running
_usual_switching = 0.005


def read_workbook(path: Path, wanted: dict[str, str]) -> tuple[list[RawTable], list[Problem]]:
    """Read the sheets of `path` whose folded name is a key of `wanted` (→ record type)."""
    from openpyxl import load_workbook  # imported late: CSV-only datasets never pay for it

    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged file
        return [], [Problem(path.name, None, "", "", f"a readable .xlsx workbook ({type(error).__name__}: {error})")]
    tables, problems = [], []
    try:
        for sheet in book.worksheets:
            name = wanted.get(sheet.title.strip().lower())
            if name is None:
                continue
            label = f"{path.name}#{sheet.title}"
            cells = sheet.iter_rows(values_only=True)
            header = next(cells, None)
            if header is None:
                problems.append(Problem(label, 1, "", "", "a header row (the sheet is empty)"))
                continue
            rows, blank = [], 0  # blank rows are only counted: a sheet may drag a million behind it
            for number, row in enumerate(cells, start=2):
                if all(is_blank(cell) for cell in row):
                    blank += 1
                else:
                    rows.append((number, list(row)))
            tables.append(RawTable(name, label, list(header), lambda rows=rows: iter(rows), blank_rows=blank))
    finally:
        book.close()  # read-only workbooks hold the file open until closed
    return tables, problems


def find_tables(folder: Path, names: list[str]) -> tuple[list[RawTable], list[Problem]]:
    """Locate every record type's file or sheet in `folder`; a record type found twice is a problem."""
    wanted = {name.lower(): name for name in names}
    tables: list[RawTable] = []
    problems: list[Problem] = []
    for path in sorted(folder.iterdir()):
        suffix = path.suffix.lower()
        if path.name.startswith(("~$", ".")) or not path.is_file():
            continue  # Excel's lock files and hidden files
        if suffix == ".csv" and path.stem.lower() in wanted:
            found = read_csv(path, wanted[path.stem.lower()])
            (problems if isinstance(found, Problem) else tables).append(found)
        elif suffix in (".xlsx", ".xlsm"):
            sheets, sheet_problems = read_workbook(path, wanted)
            tables += sheets
            problems += sheet_problems
    seen: dict[str, str] = {}
    unique = []
    for table in tables:
        if table.name in seen:
            problems.append(
                Problem(table.file, None, "", "", f"one place for {table.name} (also in {seen[table.name]})")
            )
        else:
            seen[table.name] = table.file
            unique.append(table)
    return unique, problems
