"""Finding a dataset's files and reading each into a table of text, CSV or XLSX alike.

Nothing is typed here (`cells.py` does that): a file becomes a `TextTable`, its header cells and
one Arrow string column per cell position, with each record's row number as a spreadsheet shows
it, an empty cell None. CSV encodings are detected, never asked for: UTF-8 (with or without BOM),
UTF-16 with BOM and GB18030 (a superset of GBK, what Excel on a Chinese Windows writes); other
encodings than UTF-8 are transcoded in Python first. Arrow's CSV reader reads the records; a
file it cannot read as the csv module would (records of another width, carriage returns inside
cells) is read by the csv module instead, into the same table. Files are read one at a time
(`find_tables`), so only one file's text is held at once.

A file from another hand may be hostile or broken: `Limits` bounds what is read (rows, cells
per row, a workbook's inflated size), each refusal a problem naming the file and the option
that raises the limit; a dataset entry that is not a regular file inside the folder is a
problem naming it, never skipped and never opened.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import stat
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from difflib import get_close_matches
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from pyarrow import csv as arrow_csv

from ..errors import Note, Problem
from ..hanzi import fold, fold_nfkc
from ..schema import Limits, RecordType


@dataclass
class TextTable:
    """The cells of one record type as found in one file (or one sheet of a workbook)."""

    name: str
    file: str  # as shown to the user: "requests.csv" or "ledgers.xlsx#talent"
    header: list[str | None]
    columns: list[pa.Array | pa.ChunkedArray]  # a string column per cell position (header's and beyond), None if empty
    rows: pa.Array  # each record's spreadsheet row number (the header is row 1)
    unreadable: Problem | None = None  # the rest of the file could not be read (or was refused) from this record on
    blank_rows: int = 0  # empty rows the reader left out already (a sheet may drag a million behind it)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)  # (row, position) → a formula never calculated
    #: A workbook's merged cells: (first row, first position, last row, last position), rows numbered as
    #: a spreadsheet shows them, positions from 0; their value is in the first cell only.
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)
    header_row: int = 1  # the row of `header` (rows above it are a title: `cells.locate_header`)


def as_text(value: object) -> str:
    """The text a user sees in a cell: XLSX numbers that are whole print without `.0`."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime):
        if value.time() == datetime.min.time():
            return value.date().isoformat()
        return value.strftime("%Y-%m-%d %H:%M:%S" if value.second else "%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return str(value).strip()


class NotText(ValueError):
    """The file is not text in the encoding tried (undecodable at byte `position`), or holds
    binary data (`position` None)."""

    def __init__(self, expected: str, position: int | None):
        super().__init__(expected)
        self.expected, self.position = expected, position


_CHUNK_BYTES = 1 << 20
_MISREAD_LETTERS = re.compile(r"[^\u0100-\u07ff]+")
_TWO_BYTE_LETTERS = bytes(range(0xC4, 0xE0))  # the lead bytes of U+0100-U+07FF in UTF-8
_HANZI = re.compile(r"[^\u4e00-\u9fff]+")


def detect_encoding(path: Path, utf8: bool | None = None) -> str:
    """The encoding a spreadsheet program wrote the CSV file in; raises `NotText` otherwise.

    `utf8`: whether the whole file is known to be UTF-8 without a NUL (Arrow's reader checks
    UTF-8 as it reads, `_arrow_records` looks for NUL); else it is decoded here, a megabyte at a
    time (never held whole)."""
    with path.open("rb") as file:
        start = file.read(len(codecs.BOM_UTF8))
    if start.startswith(codecs.BOM_UTF8):
        return "utf-8-sig" if utf8 else _decodes(path, "utf-8-sig")
    if start.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _decodes(path, "utf-16")
    try:
        if not utf8:
            _decodes(path, "utf-8")
    except NotText as error:
        if error.position is None:  # binary data, not another encoding
            raise
        try:
            return _decodes(path, "gb18030")
        except NotText as other:
            # Name the failure of the encoding that read further: most likely the file's own.
            further = error if other.position is not None and other.position < error.position else other
            raise further from None
    # Short GBK text can also be valid UTF-8 ("学习" in GBK reads as "ѧϰ"): such text is full of
    # Greek, Cyrillic and other two-byte UTF-8 letters, which a Chinese ledger does not hold. Most
    # hold none at all (no lead byte 0xC4-0xDF: a millisecond a megabyte, where counting took 8).
    with path.open("rb") as file:
        start = file.read(_CHUNK_BYTES)
    if len(start.translate(None, _TWO_BYTE_LETTERS)) == len(start):
        return "utf-8"
    head = start.decode("utf-8", errors="ignore")
    if len(_MISREAD_LETTERS.sub("", head)) > len(_HANZI.sub("", head)):
        try:
            return _decodes(path, "gb18030")
        except NotText:
            pass
    return "utf-8"


_BINARY = "a CSV text file (this one holds binary data)"


def _holds(source: Path | bytes, needles: tuple[bytes, ...]) -> set[bytes]:
    """Which of `needles` (single bytes) the file holds, looked for a megabyte at a time."""
    found: set[bytes] = set()
    with source.open("rb") if isinstance(source, Path) else io.BytesIO(source) as file:
        for chunk in iter(lambda: file.read(_CHUNK_BYTES), b""):
            found.update(needle for needle in needles if needle in chunk)
            if len(found) == len(needles):
                break
    return found


def _decodes(path: Path, encoding: str) -> str:
    """`encoding`, when the whole file decodes in it and holds no NUL; else `NotText`."""
    decoder = codecs.getincrementaldecoder(encoding)()
    offset = 0
    with path.open("rb") as file:
        while True:
            chunk = file.read(_CHUNK_BYTES)
            try:
                text = decoder.decode(chunk, final=not chunk)
            except UnicodeDecodeError as error:
                expected = f"a text file in UTF-8 or GB18030 ({error.reason} at byte {offset + error.start})"
                raise NotText(expected, offset + error.start) from None
            if "\0" in text:
                raise NotText(_BINARY, None)
            if not chunk:
                return encoding
            offset += len(chunk)


def read_csv(path: Path, name: str, limits: Limits = Limits()) -> TextTable | Problem:
    """The file's records as text. Arrow reads a UTF-8 file straight away, checking the text as
    it reads; any other encoding is transcoded to UTF-8 first (a branch's own small ledger)."""
    table = _arrow_records(path, path.name, name, limits)
    try:
        encoding = detect_encoding(path, utf8=isinstance(table, TextTable))
    except NotText as error:
        return Problem(path.name, None, "", "", error.expected)
    source: Path | bytes = path
    if encoding not in ("utf-8", "utf-8-sig") or table is None:
        source = path.read_bytes().decode(encoding).encode("utf-8")
        table = _arrow_records(source, path.name, name, limits)
    return _csv_records(source, path.name, name, limits) if table == _IRREGULAR else table


def too_many_rows(file: str, limits: Limits) -> Problem:
    """The problem of a file with more rows than `limits` allow, at the first row refused."""
    expected = f"at most {limits.max_rows:,} rows (the rest of the file is not read; raise --max-rows)"
    return Problem(file, limits.max_rows + 2, "", "", expected)


def _too_wide(row: Sequence, file: str, number: int, limits: Limits) -> Problem | None:
    """The problem of a row with a non-blank cell past the first `limits.max_cells_per_row`, or
    None (a blank tail, as a spreadsheet's export may leave, is no cell)."""
    if len(row) <= limits.max_cells_per_row:
        return None
    if _blank(row[limits.max_cells_per_row :]):
        return None
    expected = (
        f"at most {limits.max_cells_per_row:,} cells in a row (this one has {len(row):,}; "
        "the rest of the file is not read; raise --max-cells-per-row)"
    )
    return Problem(file, number, "", "", expected)


def _text(source: Path | bytes):
    return (
        source.open(encoding="utf-8-sig", newline="")
        if isinstance(source, Path)
        else io.StringIO(source.decode("utf-8-sig"), newline="")
    )


def _header(source: Path | bytes, file: str) -> list[str] | Problem:
    with _text(source) as text:
        try:
            return next(csv.reader(text))
        except StopIteration:
            return Problem(file, 1, "", "", "a header row (the file is empty)")
        except csv.Error as error:
            return Problem(file, 1, "", "", f"a readable CSV header ({error})")


_IRREGULAR = "irregular"


def _arrow_records(source: Path | bytes, file: str, name: str, limits: Limits) -> TextTable | Problem | str | None:
    """The records as read by Arrow's CSV reader, set to read as the csv module does (every cell
    text, an empty one None, quoted line breaks kept, an empty line a record of empty cells), or
    a problem with the header; None when the text is not UTF-8 or holds a NUL (the decoder then
    says which), and `_IRREGULAR` when a record is of another width or a cell holds a carriage
    return (Arrow drops the \\n of a quoted \\r\\n that ends a block): the csv module reads
    such a file. One look through the file first finds NUL, quotes and carriage returns: a file
    without a quote has no line break inside a cell, and Arrow reads it a quarter faster told so;
    only a file with both a quote and a carriage return has its cells searched for the latter.
    A header wider than `limits` allow is the csv module's too (it reads row by row, and refuses
    the first row that is too wide). Rows past `limits` are left out, and refused."""
    try:
        header = _header(source, file)
    except UnicodeDecodeError:
        return None
    if isinstance(header, Problem):
        return header
    if len(header) > limits.max_cells_per_row:
        return _IRREGULAR
    found = _holds(source, (b"\0", b'"', b"\r"))
    if b"\0" in found:
        return None
    names = [str(index) for index in range(len(header))]
    try:
        table = arrow_csv.read_csv(
            pa.BufferReader(source) if isinstance(source, bytes) else source,
            read_options=arrow_csv.ReadOptions(column_names=names, block_size=_block_size(source)),
            parse_options=arrow_csv.ParseOptions(newlines_in_values=b'"' in found, ignore_empty_lines=False),
            convert_options=arrow_csv.ConvertOptions(
                column_types=dict.fromkeys(names, pa.string()),
                null_values=[""],
                strings_can_be_null=True,
                quoted_strings_can_be_null=True,
            ),
        ).slice(1)  # the header, read already
    except pa.ArrowInvalid as error:
        return None if "UTF8" in str(error) else _IRREGULAR
    if {b'"', b"\r"} <= found and any(pc.any(pc.match_substring(column, "\r")).as_py() for column in table.columns):
        return _IRREGULAR
    refused = None
    if table.num_rows > limits.max_rows:
        table, refused = table.slice(0, limits.max_rows), too_many_rows(file, limits)
    return TextTable(name, file, list(header), table.columns, _numbers(table.num_rows), refused)


def _block_size(source: Path | bytes) -> int:
    """How much of the file Arrow reads at a time: a sixteenth of it, from 1 to 16 MB. Both cores
    still read a small file (M's files: 168 ms in blocks of 16 MB, 141 ms so), and a large one
    comes in few chunks, more of the memory its typed-away text held going back to the system
    (L's requests.csv in blocks of 1 MB left 564 MB of RSS, in blocks of 16 MB 501 MB)."""
    size = len(source) if isinstance(source, bytes) else source.stat().st_size
    return min(max(size // 16, 1 << 20), 16 << 20)


def _numbers(count: int) -> pa.Array:
    """The row numbers 2, 3, ... of `count` records after the header (made by Arrow: from a
    Python range, L's 4.9 million took 0.55 s, and take 0.05)."""
    return pc.cumulative_sum(pa.repeat(pa.scalar(1, pa.int64()), count), start=1)


def _csv_records(source: Path | bytes, file: str, name: str, limits: Limits) -> TextTable | Problem:
    """The records after the header as the csv module reads them, however irregular, up to the
    first that cannot be read or is past `limits`."""
    # A spreadsheet shows one record per row even when a quoted cell spans lines, so the
    # row number is the record's position, not the physical line.
    records, unreadable = [], None
    with _text(source) as text:
        reader = csv.reader(text)
        header = next(reader)
        if wide := _too_wide(header, file, 1, limits):
            return wide
        try:
            for record in reader:  # a row too many or too wide is read no further
                if len(records) == limits.max_rows:
                    unreadable = too_many_rows(file, limits)
                    break
                if unreadable := _too_wide(record, file, len(records) + 2, limits):
                    break
                records.append(record[: limits.max_cells_per_row])
        except csv.Error as error:  # the record after the last one read
            unreadable = Problem(file, len(records) + 2, "", "", f"a readable CSV row ({error})")
    header = header[: limits.max_cells_per_row]
    return _text_table(name, file, header, records, range(2, len(records) + 2), unreadable=unreadable)


def _text_table(name, file, header, records: list[list], numbers, unreadable=None, blank_rows=0):
    """A `TextTable` of records given as lists of cells (of any widths; None or text, an empty
    text made None)."""
    width = max([len(header), *map(len, records)])
    columns = [
        pa.array([(record[index] or None) if index < len(record) else None for record in records], pa.string())
        for index in range(width)
    ]
    numbers = pa.array(numbers, pa.int64())
    return TextTable(name, file, header, columns, numbers, unreadable, blank_rows)


def read_workbook(path: Path, names: Names, limits: Limits) -> tuple[list[TextTable], list[Problem | Note]]:
    """Read the sheets of `path` that name a record type; the others are noted (`Names.not_read`),
    but for blank sheets and notes sheets (`_NOTES_SHEETS`: a template's 说明). An .xls workbook
    (Excel 97-2003) is read by python-calamine, an .xlsx one by openpyxl."""
    if path.suffix.lower() == ".xls":
        return _read_xls(path, names, limits)
    from openpyxl import load_workbook  # imported late: CSV-only datasets never pay for it

    if refused := _inflation(path, limits):
        return [], [refused]
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except Exception as error:  # openpyxl raises many types for a damaged file
        return [], [_unreadable_workbook(path.name, error)]
    tables, others = [], []
    try:
        for sheet in book.worksheets:
            label = f"{path.name}#{sheet.title}"
            sheet.reset_dimensions()  # its declared size is not believed (`_read_sheet`)
            name = names[sheet.title]
            if name is None:
                if fold(sheet.title) not in _NOTES_SHEETS and not all(map(_blank, sheet.iter_rows(values_only=True))):
                    others.append(names.not_read(label, sheet.title))
                continue
            try:
                read = _read_sheet(sheet, name, label, limits)
            except MemoryError:
                raise  # the run's to report (it names the stage), not the file's
            except Exception as error:  # a damaged sheet (cut short, bad XML): openpyxl raises many types
                read = _unreadable_workbook(label, error)
            (others if isinstance(read, Problem) else tables).append(read)
    finally:
        book.close()  # read-only workbooks hold the file open until closed
    return tables, others


def _unreadable_workbook(label: str, error: Exception) -> Problem:
    reason = f"{type(error).__name__}: {error}"
    return Problem(label, None, "", "", f"a readable .xlsx workbook ({reason})", f"可读取的 Excel 工作簿（{reason}）")


def _blank(cells: Iterable) -> bool:
    """Whether every cell is empty or whitespace (a row Excel leaves behind, or a row's tail)."""
    return all(cell is None or (isinstance(cell, str) and not cell.strip()) for cell in cells)


def _read_sheet(sheet, name: str, label: str, limits: Limits) -> TextTable | Problem:
    """The records of a read-only sheet. Cells become the text a user sees in them (`as_text`);
    whitespace is kept, for the length limit to see it as in a CSV file. The sheet is read by
    the rows it holds: the dimension it declares is not believed (openpyxl would pad every row
    and the sheet to it: a 1.5 KB file declaring `A1:XFD1048576` hung evalkit)."""
    table = _records(sheet.iter_rows(values_only=True), name, label, limits)
    if isinstance(table, TextTable):
        last = table.unreadable.row - 1 if table.unreadable else None
        table.formulas = dict(_unsaved_formulas(sheet, last))
        table.merges = list(_merged_cells(sheet))
    return table


def _records(rows: Iterator[Sequence], name: str, label: str, limits: Limits) -> TextTable | Problem:
    """The records of a sheet's rows (cells as read: text, numbers, dates, None), blank rows
    counted, up to the first row past `limits`."""
    header = next(rows, None)
    if header is None:
        return Problem(label, 1, "", "", "a header row (the sheet is empty)", "表头行（工作表是空的）")
    if wide := _too_wide(header, label, 1, limits):
        return wide
    records, numbers, blank, refused = [], [], 0, None
    for number, row in enumerate(rows, start=2):
        refused = (
            too_many_rows(label, limits) if number > limits.max_rows + 1 else _too_wide(row, label, number, limits)
        )
        if refused:
            break
        if _blank(row):
            blank += 1
        else:
            records.append([_cell_text(cell) for cell in row[: limits.max_cells_per_row]])
            numbers.append(number)
    header_text = [None if cell is None else _cell_text(cell) for cell in header[: limits.max_cells_per_row]]
    return _text_table(name, label, header_text, records, numbers, refused, blank)


def _read_xls(path: Path, names: Names, limits: Limits) -> tuple[list[TextTable], list[Problem | Note]]:
    """The sheets of an Excel 97-2003 workbook, as `read_workbook` reads an .xlsx one. Such a file
    holds at most 65,536 rows of 256 cells a sheet: no limit but the row count can be reached."""
    from python_calamine import CalamineWorkbook

    try:
        book = CalamineWorkbook.from_path(str(path))
    except Exception as error:  # calamine raises its own types for a damaged file
        reason = f"{type(error).__name__}: {error}"
        return [], [
            Problem(
                path.name, None, "", "", f"a readable .xls workbook ({reason})", f"可读取的 Excel 工作簿（{reason}）"
            )
        ]
    tables, others = [], []
    for title in book.sheet_names:
        label = f"{path.name}#{title}"
        sheet = book.get_sheet_by_name(title)
        rows = [[None if cell == "" else cell for cell in row] for row in sheet.to_python(skip_empty_area=False)]
        name = names[title]
        if name is None:
            if fold(title) not in _NOTES_SHEETS and not all(map(_blank, rows)):
                others.append(names.not_read(label, title))
            continue
        read = _records(iter(rows), name, label, limits)
        if isinstance(read, TextTable):
            read.merges = [
                (top + 1, left, bottom + 1, right) for (top, left), (bottom, right) in sheet.merged_cell_ranges or ()
            ]
        (others if isinstance(read, Problem) else tables).append(read)
    book.close()
    return tables, others


def _inflation(path: Path, limits: Limits) -> Problem | None:
    """Why the workbook is refused before it is opened, from its zip directory: its parts inflate
    to more than `limits.max_xlsx_mb`, or one of over a megabyte inflates more than
    `limits.max_xlsx_ratio` times (a zip bomb: a few megabytes that openpyxl would inflate to
    gigabytes). Python's zip reader stops at the sizes the directory declares, so a part cannot
    inflate beyond them unnoticed. None for a file that is not a zip: openpyxl says what it is."""
    try:
        with zipfile.ZipFile(path) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError):
        return None
    size = sum(part.file_size for part in parts)
    if size > limits.max_xlsx_mb << 20:
        expected = (
            f"a workbook of at most {limits.max_xlsx_mb:,} MB uncompressed "
            f"(this one inflates to {size >> 20:,} MB; raise --max-xlsx-mb)"
        )
        return Problem(path.name, None, "", "", expected)
    for part in parts:
        if part.file_size > 1 << 20 and part.file_size > limits.max_xlsx_ratio * part.compress_size:
            ratio = part.file_size // max(part.compress_size, 1)
            expected = (
                f"parts that inflate at most {limits.max_xlsx_ratio:,} times "
                f"({part.filename} inflates {ratio:,} times; raise --max-xlsx-ratio)"
            )
            return Problem(path.name, None, "", "", expected)
    return None


#: A formula element in a sheet's XML (`<f>`, `<f t="shared" .../>`, or prefixed: `<x:f>`).
_FORMULA = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?f[\s/>]")


def _unsaved_formulas(sheet, last: int | None) -> Iterator[tuple[tuple[int, int], str]]:
    """The cells of a read-only `sheet` (up to row `last`, when given) that hold a formula without
    a saved result, as ((row, position), "=formula"): openpyxl reads such a cell as blank, and
    its value would be lost without a word. Excel saves every formula's result; a program
    writing a file may not. An empty text result (`t="str"`, an empty `<v>`) is a saved result.
    The sheet's XML (openpyxl's `_get_source`: openpyxl knows which part is the sheet) is
    parsed again only when it holds a formula at all, looked for a megabyte at a time."""
    from openpyxl.utils.cell import coordinate_to_tuple
    from openpyxl.xml.constants import SHEET_MAIN_NS
    from openpyxl.xml.functions import iterparse  # openpyxl's own parser (defusedxml when installed)

    with sheet._get_source() as source:
        tail = b""
        for chunk in iter(lambda: source.read(_CHUNK_BYTES), b""):
            if _FORMULA.search(tail + chunk):
                break
            tail = chunk[-64:]
        else:
            return
    data, row, cell, formula, value = (f"{{{SHEET_MAIN_NS}}}{tag}" for tag in ("sheetData", "row", "c", "f", "v"))
    with sheet._get_source() as source:
        rows, number = None, 0
        for event, element in iterparse(source, events=("start", "end")):
            if event == "start":
                rows = element if element.tag == data else rows
                continue
            if element.tag != row:
                continue
            number, position = int(element.get("r", number + 1)), 0
            if last is not None and number > last:
                return
            for found in element.iterfind(cell):
                place = found.get("r")
                position = coordinate_to_tuple(place)[1] if place else position + 1
                written = found.find(formula)
                if written is not None and not found.findtext(value) and found.get("t") != "str":
                    yield (number, position - 1), "=" + (written.text or "")
            if rows is not None:
                rows.clear()  # the rows read so far: a sheet's XML is never held whole


#: A merged range in a sheet's XML (`<mergeCell ref="A3:A5"/>`, or prefixed).
_MERGE = re.compile(rb'<(?:[A-Za-z_][\w.-]*:)?mergeCell\s+ref="([A-Z]+[0-9]+):([A-Z]+[0-9]+)"')


def _merged_cells(sheet) -> Iterator[tuple[int, int, int, int]]:
    """The merged ranges of a read-only `sheet` (openpyxl lists them only for sheets it reads
    whole), from its XML, a megabyte at a time: (first row, first position, last row, last position)."""
    from openpyxl.utils.cell import coordinate_to_tuple

    with sheet._get_source() as source:
        tail = b""
        for chunk in iter(lambda: source.read(_CHUNK_BYTES), b""):
            text = tail + chunk
            cut = text.rfind(b"<")  # a range cut by the chunk's end is read with the next chunk
            for found in _MERGE.finditer(text, 0, cut if cut > 0 else len(text)):
                (top, left), (bottom, right) = (coordinate_to_tuple(part.decode()) for part in found.groups())
                yield top, left - 1, bottom, right - 1
            tail = text[cut:] if cut > 0 else b""


def _cell_text(value: object) -> str | None:
    if value is None or isinstance(value, str):
        return value
    return as_text(value)


#: What a copy or a dated version adds to a name: ` (1)`, `（2）`, ` - 副本`, ` - Copy`, `_2024`,
#: `2024年`, `-2024-07`, `20240701`.
_ADDED = re.compile(
    r"(?:[\s_\-－—.]*(?:\(\d+\)|（\d+）|副本|copy|\d{4}(?:[-_./年]?\d{1,2}(?:[-_./月]?\d{1,2}日?)?月?)?年?))+$",
    re.IGNORECASE,
)
#: Spreadsheet files that are not ledgers, never read and never noted: hidden files, Excel's
#: lock files (~$), a README.
_BESIDE = re.compile(r"^(?:[.]|~\$|readme)", re.IGNORECASE)
_NOTES_SHEETS = {"说明", "填写说明", "readme", "notes", "instructions"}
SPREADSHEETS = (".csv", ".xlsx", ".xlsm", ".xls")
#: Spreadsheets evalkit does not read, whose ledgers would be missed: a warning each. Other
#: files (evidence photos, documents, scripts) pass in silence.
_OTHER_SPREADSHEETS = (".ods", ".et", ".numbers", ".xlsb", ".tsv")


def spelling(name: str) -> str:
    """A file's or sheet's name as it is compared: NFKC (full-width letters made ASCII),
    Simplified, lower case, without what a copy or a dated version adds, spaces, `_` and `-`."""
    folded = fold_nfkc(name)
    return re.sub(r"[\s_\-]+", "", _ADDED.sub("", folded) or folded)


class Names:
    """The record types' names as files and sheets may spell them (the English name, the Chinese
    name and its aliases), and the closest one to a name that is none of them."""

    def __init__(self, record_types: Iterable[RecordType]):
        self.types = {t.name: t for t in record_types}
        self.spellings = {spelling(n): t.name for t in self.types.values() for n in (t.name, t.zh, *t.aliases)}

    def __getitem__(self, name: str) -> str | None:
        """The record type a file stem or a sheet title names, or None."""
        return self.spellings.get(spelling(name))

    def not_read(self, file: str, name: str) -> Note:
        """The warning for a ledger-like file or sheet `name` that names no record type, with the
        closest record type: the longest spelling it contains or is contained in, else the
        closest by `difflib`."""
        spelled = spelling(name)
        within = [s for s in self.spellings if s and (s in spelled or spelled in s)]
        closest = (
            max(within, key=len) if within else next(iter(get_close_matches(spelled, self.spellings, 1, 0.5)), None)
        )
        if closest is None:
            return Note(
                file,
                "not read: no record type is named so (docs/data-format.md lists the names)",
                "未读取——没有这个名称的台账（台账名称见 docs/data-format.md）",
                warning=True,
            )
        record_type = self.types[self.spellings[closest]]
        return Note(
            file,
            f"not read: is it {record_type.name} ({record_type.zh})?",
            f"未读取——是否应为 {record_type.name}（{record_type.zh}）？",
            warning=True,
        )


#: The one sub-folder of a folder of shards that is not a shard: what every shard sees.
COMMON_FOLDER = "_common"
#: The record types `_common/` may hold: the working-day calendar, the same for every shard (and
#: only there: a shard's own calendar would be every shard's once the shards are one dataset).
COMMON_RECORD_TYPES = ("calendar",)


def shard_names(folder: Path) -> tuple[str, ...]:
    """The shards of `folder`, in sorted order, when it is a folder of shards (docs/scale.md): no
    spreadsheet at its top and one sub-folder or more, each a complete dataset (a district's).
    Sub-folders whose names start with `_` or `.` are not shards (`_common/` is read apart).
    Empty: `folder` is one dataset, whose sub-folders (evidence, documents) are passed over."""
    entries = sorted(folder.iterdir())
    if any(path.suffix.lower() in SPREADSHEETS and not _BESIDE.search(path.name) for path in entries):
        return ()
    return tuple(path.name for path in entries if path.is_dir() and not path.name.startswith(("_", ".")))


def find_tables(
    folder: Path,
    record_types: Iterable[RecordType],
    limits: Limits,
    shards: Sequence[str] = (),
    shard_read: Callable[[int, int], None] | None = None,
) -> Iterator[TextTable | Problem | Note]:
    """Each record type's files and sheets in `folder` (`_folder_tables`), or with `shards`, in
    `_common/` and then in each shard's sub-folder in turn, every file named by its path from
    `folder` (`north/requests.csv`): each record type's rows are the shards' rows one shard after
    the other, as in one folder holding the shards' files concatenated in that order.
    `shard_read(done, total)` is told each time a shard's files are all read (a progress line)."""
    names = Names(record_types)
    if not shards:
        yield from _folder_tables(folder, names, limits)
        return
    if (folder / COMMON_FOLDER).is_dir():
        for found in _folder_tables(folder / COMMON_FOLDER, names, limits, f"{COMMON_FOLDER}/"):
            if isinstance(found, TextTable) and found.name not in COMMON_RECORD_TYPES:
                yield _misplaced(found.file, common=False)
            else:
                yield found
    for done, shard in enumerate(shards, 1):
        ledgers = 0  # files and sheets of record types, read or refused: none, and a district is missing
        for found in _folder_tables(folder / shard, names, limits, f"{shard}/"):
            ledgers += not isinstance(found, Note)
            if isinstance(found, TextTable) and found.name in COMMON_RECORD_TYPES:
                yield _misplaced(found.file, common=True)
            else:
                yield found
        if not ledgers:
            expected = (
                "a dataset's ledgers in every shard (this folder has none)",
                "每个分片都应有台账（此文件夹中没有）",
            )
            yield Problem(f"{shard}/", None, "", "", *expected)
        if shard_read is not None:
            shard_read(done, len(shards))


def _misplaced(file: str, common: bool) -> Problem:
    """A file of a folder of shards in the wrong place (`common`: it belongs in `_common/`)."""
    if common:
        return Problem(
            file,
            None,
            "",
            "",
            f"the working-day calendar in {COMMON_FOLDER}/, where every shard sees it",
            f"工作日历（calendar）应放在 {COMMON_FOLDER}/ 中，供所有分片共用",
        )
    return Problem(
        file,
        None,
        "",
        "",
        f"only the working-day calendar (calendar) in {COMMON_FOLDER}/: other ledgers belong in a shard",
        f"{COMMON_FOLDER}/ 中只能放工作日历（calendar），其他台账应放在各分片中",
    )


def _placed(found: TextTable | Problem | Note, prefix: str) -> TextTable | Problem | Note:
    """`found` with its file named from the folder of shards (`prefix`: the shard's folder and `/`)."""
    if not prefix:
        return found
    if isinstance(found, TextTable):
        unreadable = found.unreadable and replace(found.unreadable, file=prefix + found.unreadable.file)
        return replace(found, file=prefix + found.file, unreadable=unreadable)
    return replace(found, file=prefix + found.file)


def _folder_tables(
    folder: Path, names: Names, limits: Limits, prefix: str = ""
) -> Iterator[TextTable | Problem | Note]:
    """Each record type's files and sheets in `folder` (or the problem reading one), read one at
    a time in the order of the files' names: a file's text can be typed and let go before the
    next is read. A spreadsheet file or sheet that names no record type is a warning (`Names`),
    as is a spreadsheet of a format evalkit does not read; other files (evidence, documents),
    what sits beside ledgers (`_BESIDE`) and sub-folders are passed over in silence. An entry
    named as a ledger that is not a regular file inside the folder is a problem: skipping it
    would take a record type as empty (all its rules passing on nothing). Each is named with
    `prefix` first: its shard's folder, in a folder of shards."""
    inside = folder.resolve()
    for path in sorted(folder.iterdir()):
        suffix = path.suffix.lower()
        if _BESIDE.search(path.name):
            continue
        name = names[path.stem] if suffix == ".csv" else None
        if name is None and suffix not in SPREADSHEETS[1:]:
            if suffix == ".csv":
                yield _placed(names.not_read(path.name, path.stem), prefix)
            elif suffix in _OTHER_SPREADSHEETS:
                yield Note(
                    prefix + path.name,
                    "not read: evalkit reads .csv, .xlsx and .xls files (save it as .xlsx)",
                    "未读取：只读取 .csv、.xlsx、.xls 文件（请另存为 .xlsx）",
                    warning=True,
                )
            continue
        if refusal := _not_a_file(path, inside):
            yield Problem(prefix + path.name, None, "", "", *refusal)
            continue
        try:
            read = [read_csv(path, name, limits)] if name else _sheets(path, names, limits)
        except OSError as error:  # unreadable, or gone since listed
            reason = error.strerror or str(error)
            read = [Problem(path.name, None, "", "", f"a readable file ({reason})", f"可读取的文件（{reason}）")]
        yield from (_placed(found, prefix) for found in read)


def _sheets(path: Path, names: Names, limits: Limits) -> list[TextTable | Problem | Note]:
    """The workbook's sheets of record types, then its notes and problems."""
    sheets, others = read_workbook(path, names, limits)
    return [*sheets, *others]


def _not_a_file(path: Path, folder: Path) -> tuple[str, str] | None:
    """Why the entry `path` of `folder` (resolved) is not a file to read (in English and
    Chinese), or None. Only its metadata is looked at: opening a FIFO waits for a writer, forever."""
    try:
        if path.is_symlink() and not (target := path.resolve()).is_relative_to(folder):
            return (
                f"a file inside the dataset folder (this is a link to {target})",
                f"数据集文件夹内的文件（这是指向 {target} 的链接）",
            )
        mode = path.stat().st_mode
    except FileNotFoundError as error:
        if path.is_symlink():
            target = os.readlink(path)
            return (
                f"a file (this is a link to {target}, which does not exist)",
                f"文件（这是指向 {target} 的链接，目标不存在）",
            )
        return f"a readable file ({error.strerror})", f"可读取的文件（{error.strerror}）"  # removed since listed
    except (OSError, RuntimeError) as error:  # RuntimeError: a loop of links (Python < 3.13)
        reason = getattr(error, "strerror", None) or error
        return f"a readable file ({reason})", f"可读取的文件（{reason}）"
    if stat.S_ISREG(mode):
        return None
    kinds = {
        stat.S_ISDIR: ("a folder", "文件夹"),
        stat.S_ISFIFO: ("a named pipe (FIFO)", "命名管道"),
        stat.S_ISSOCK: ("a socket", "套接字"),
    }
    en, zh = next((kind for test, kind in kinds.items() if test(mode)), ("a device", "设备"))
    return f"a regular file (this is {en})", f"普通文件（这是{zh}）"
