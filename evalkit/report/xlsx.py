"""XLSX score sheet: a cover (what the sheet was made from), then one sheet per table.

Header rows are frozen and bold, columns sized to their text (Chinese characters count double),
numbers stored as numbers with two decimals, grades and failed findings coloured. Every text is
stored as text: one that looks like a formula (`formula_like`) is marked so (quote prefix), and
control characters are written out (`visible`), which openpyxl could not store.

The workbook is made to be printed as it is (an assessment goes to a review meeting on paper):
every sheet is named in the document's language and prints on A4 landscape, one page wide, with
its title in the page header and page numbers in the footer; a table's header row is repeated on
every page and the cover fits on one page.
"""

from __future__ import annotations

import io
import re
from fractions import Fraction

from wcwidth import wcswidth

from ..errors import visible
from ..score.scoring import rounded
from .document import Cell, Document, Table, formula_like
from .words import STATUS_LABELS, WORDS

FILLS = {"good": "C6EFCE", "bad": "FFC7CE", "note": "FFEB9C"}
HEADER_FILL = "DDEBF7"
#: A table's column is at most this wide (17 Chinese characters: a branch's name) and wraps longer
#: text, so the findings fitted to the page's width print at 70 %, not 58 % (8-point text, not 6).
TABLE_WIDTH = 36
#: The cover's columns may be as wide as a SHA-256 (64 hex digits), which is read whole.
COVER_WIDTH = 66
#: A line of wrapped text, in points: 11-point text with a Chinese font's line spacing (Excel's
#: 15 cuts the foot of a third line in LibreOffice).
LINE_POINTS = 16
#: What wraps as one word: a run of letters, digits and punctuation, or one Chinese character
#: (lines break between them), or one space.
_WORDS = re.compile(r"[^\s\u2e80-\uffef]+|\S|\s")
#: Excel's rules for a sheet's name: at most 31 characters (UTF-16 units), none of these, not
#: "History" (Excel's own), unique whatever the case.
SHEET_NAME_LENGTH = 31
SHEET_NAME_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
RESERVED_SHEET_NAMES = {"history"}
#: Excel refuses a page header or footer longer than this, its codes (`&C`: centred) included.
HEADER_FOOTER_LENGTH = 255
MARGINS_INCHES = {"left": 0.4, "right": 0.4, "top": 0.6, "bottom": 0.6, "header": 0.25, "footer": 0.25}


def render_xlsx(document: Document) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    words = WORDS[document.lang]
    taken: set[str] = set()
    book = Workbook()
    cover = book.active
    cover.title = _sheet_name(words["sheets"]["cover"], taken)
    add = _rows(cover)
    add([document.title])
    cover["A1"].font = Font(bold=True, size=14)
    for label, value in document.meta:
        add([label, value])
    for table in document.provenance:
        add([])
        add([table.title])[0].font = Font(bold=True)
        add(table.headers)
        for row in table.rows:
            add([cell.text() for cell in row])
    _wrap(cover, fit_widths(cover, [[str(c.value or "") for c in row] for row in cover.iter_rows()], COVER_WIDTH))
    _print_setup(cover, document, words["sheets"]["cover"], pages_tall=1)
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor=HEADER_FILL)
    fills = {mark: PatternFill("solid", fgColor=colour) for mark, colour in FILLS.items()}
    body = {wraps: Alignment(wrap_text=wraps, vertical="top") for wraps in (False, True)}
    for table in document.tables():
        sheet = book.create_sheet(_sheet_name(words["sheets"].get(table.key, table.title), taken))
        texts = [table.headers, *[[cell.text() for cell in row] for row in table.rows]]
        wrapped = fit_widths(sheet, texts, TABLE_WIDTH)
        add = _rows(sheet)
        for cell in add(table.headers):
            cell.font, cell.fill = bold, header_fill
            cell.alignment = Alignment(wrap_text=cell.column in wrapped, vertical="center")
        for row in table.rows:
            for target, cell in zip(add([_value(cell) for cell in row]), row, strict=True):
                target.alignment = body[target.column in wrapped]  # top: a row with a wrapped cell reads across
                if cell.style == "percent":
                    target.number_format = "0.00%"
                elif cell.style in ("number", "signed", "change") and isinstance(cell.value, (int, Fraction)):
                    target.number_format = "0.00" if cell.style == "number" else "+0.00;-0.00;0.00"
                if cell.mark:
                    target.fill = fills[cell.mark]
        _fit_heights(sheet, wrapped)  # the table's rows: a note below it runs across the columns
        for note in table.notes:
            add([])
            add([note])
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions if table.rows else None
        if table.detail:
            _hide_settled(sheet, table, [STATUS_LABELS[document.lang][status] for status in ("pass", "skip")])
        _print_setup(sheet, document, table.title, pages_tall=0)
        sheet.print_title_rows = "1:1"
    if document.notes():  # explain's arithmetic, check's advice: one line per row
        sheet = book.create_sheet(_sheet_name(words["sheets"]["notes"], taken))
        add = _rows(sheet)
        for line in document.notes():
            add([line])
        sheet.column_dimensions["A"].width = 120
        _wrap(sheet, {1})
        _print_setup(sheet, document, words["sheets"]["notes"], pages_tall=0)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _rows(sheet):
    """A function that writes a row of values below the last it wrote (every text stored as text,
    see the module's docstring) and returns its cells. It counts the rows itself: openpyxl's
    `max_row` scans every cell, which made the sample's workbook take 2.7 s, not 0.5."""
    written = 0

    def add(values: list) -> list:
        nonlocal written
        written += 1
        cells = []
        for column, value in enumerate(values, start=1):
            cell = sheet.cell(written, column, visible(value) if isinstance(value, str) else value)
            if isinstance(cell.value, str) and formula_like(cell.value):
                cell.data_type, cell.quotePrefix = "s", True
            cells.append(cell)
        return cells

    return add


def _value(cell: Cell) -> object:
    if cell.style == "percent" and isinstance(cell.value, Fraction):
        return rounded(cell.value, 4)
    number = cell.number()
    return number if number is not None else cell.text()


def _sheet_name(title: str, taken: set[str]) -> str:
    """`title` as Excel accepts a sheet's name (see SHEET_NAME_*), numbered `(2)`, `(3)` when the
    workbook has a sheet of that name already; `taken` holds the names given so far."""
    name = _shortened(SHEET_NAME_FORBIDDEN.sub("_", visible(title)), SHEET_NAME_LENGTH) or "_"
    number, candidate = 1, name
    while candidate.casefold() in taken | RESERVED_SHEET_NAMES:
        number += 1
        suffix = f" ({number})"
        candidate = _shortened(name, SHEET_NAME_LENGTH - len(suffix)) + suffix
    taken.add(candidate.casefold())
    return candidate


def _shortened(name: str, length: int) -> str:
    """`name` cut to `length` UTF-16 units (Excel's measure), without the leading or trailing
    apostrophes and spaces Excel refuses or drops."""
    while len(name.encode("utf-16-le")) // 2 > length:
        name = name[:-1]
    return name.strip(" '")


def _hide_settled(sheet, table: Table, settled: list[str]) -> None:
    """A long listing (assess's every finding of the year: two thousand rows, most of them passes
    and, for branches set up during the year, skips) opens filtered to the rows that need
    attention (failed, waived, erred), so the sample's workbook prints on 15 pages, not 30;
    clearing the filter shows every row. The filter is on the column whose cells are coloured (the
    status); a hidden row is the filter's doing, not a change to the data."""
    from openpyxl.worksheet.filters import CustomFilter, CustomFilters, FilterColumn

    column = next((i for i in range(len(table.headers)) if any(row[i].mark for row in table.rows)), None)
    if column is None:
        return
    hidden = [number for number, row in enumerate(table.rows, start=2) if row[column].value in settled]
    if not hidden:
        return
    conditions = [CustomFilter(operator="notEqual", val=value) for value in settled]
    condition = CustomFilters(_and=True, customFilter=conditions)
    sheet.auto_filter.filterColumn.append(FilterColumn(colId=column, customFilters=condition))
    for number in hidden:
        sheet.row_dimensions[number].hidden = True


def _wrap(sheet, columns: set[int]) -> None:
    """The cells of `columns` (1-based) wrap their text, aligned to the top of their row."""
    from openpyxl.styles import Alignment

    wrapped = Alignment(wrap_text=True, vertical="top")
    for row in sheet.iter_rows():
        for cell in row:
            if cell.column in columns:
                cell.alignment = wrapped
    _fit_heights(sheet, columns)


def _fit_heights(sheet, columns: set[int]) -> None:
    """Rows as tall as the wrapped text of their cells in `columns`: LibreOffice keeps an XLSX row
    as tall as written (by default one line, which hides the rest of a wrapped text), and with
    heights written every program shows and prints the same rows."""
    from openpyxl.utils import get_column_letter

    widths = {column: sheet.column_dimensions[get_column_letter(column)].width for column in columns}
    for row in sheet.iter_rows():
        texts = [(cell.value, widths[cell.column]) for cell in row if cell.column in widths]
        lines = max((_lines(text, width) for text, width in texts if isinstance(text, str)), default=1)
        if lines > 1:
            sheet.row_dimensions[row[0].row].height = lines * LINE_POINTS


def _lines(text: str, width: float) -> int:
    """The lines `text` takes in a column `width` wide, wrapped as spreadsheets do: at spaces and
    between Chinese characters, a word wider than the column broken. Characters are measured as
    `fit_widths` does (a Chinese one 2, which is a little more than they take), so the estimate may
    leave a line blank, never hide one."""
    usable = width - 1  # the cell's padding
    lines, used = 1, 0.0
    for word in _WORDS.findall(text):
        size = max(wcswidth(word), len(word))
        if word.isspace():
            used += size
            continue
        if used and used + size > usable:
            lines, used = lines + 1, 0.0
        while size > usable:
            lines, size = lines + 1, size - usable
        used += size
    return lines


def _print_setup(sheet, document: Document, title: str, pages_tall: int) -> None:
    """A4 landscape, one page wide and `pages_tall` pages tall (0: as many as it takes), gridlines
    printed, `document title — title` in the header and `page P of N` in the footer."""
    words = WORDS[document.lang]
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.orientation = sheet.ORIENTATION_LANDSCAPE
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight = 1, pages_tall
    for side, inches in MARGINS_INCHES.items():
        setattr(sheet.page_margins, side, inches)
    sheet.print_options.gridLines = True
    sheet.oddHeader.center.text = _header_text(words["print_header"].format(document=document.title, sheet=title))
    sheet.oddFooter.center.text = words["print_footer"]


def _header_text(text: str) -> str:
    """`text` for the centre of a page header: `&` doubled (a single one starts a code such as
    &P), cut with `…` to Excel's length."""
    length = HEADER_FOOTER_LENGTH - len("&C")
    text = visible(text)
    if len(text.replace("&", "&&")) <= length:
        return text.replace("&", "&&")
    while len(text.replace("&", "&&")) > length - len("…"):
        text = text[:-1]
    return text.replace("&", "&&") + "…"


def fit_widths(sheet, rows: list[list[str]], widest: int = 60) -> set[int]:
    """Column widths that fit the longest text, at most `widest` (so a long message wraps, not the
    sheet); returns the columns (1-based) whose text is wider than that."""
    from openpyxl.utils import get_column_letter

    widths: dict[int, int] = {}
    for row in rows:
        for index, text in enumerate(row, start=1):
            width = max(wcswidth(text), len(text)) if text else 0
            widths[index] = max(widths.get(index, 0), width)
    for index, width in widths.items():
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 6), widest)
    return {index for index, width in widths.items() if width + 2 > widest}
