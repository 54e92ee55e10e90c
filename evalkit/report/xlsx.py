"""XLSX score sheet: a cover (what the sheet was made from), then one sheet per table.

Header rows are frozen and bold, columns sized to their text (Chinese characters count double),
numbers stored as numbers with two decimals, grades and failed findings coloured. Every text is
stored as text: one that looks like a formula (`formula_like`) is marked so (quote prefix), and
control characters are written out (`visible`), which openpyxl could not store.
"""

from __future__ import annotations

import io
from fractions import Fraction

from wcwidth import wcswidth

from ..errors import visible
from ..score.scoring import rounded
from .document import Cell, Document, formula_like

FILLS = {"good": "C6EFCE", "bad": "FFC7CE", "note": "FFEB9C"}
HEADER_FILL = "DDEBF7"


def render_xlsx(document: Document) -> bytes:
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill

    book = Workbook()
    cover = book.active
    cover.title = _sheet_name("cover")
    _append(cover, [document.title])
    cover["A1"].font = Font(bold=True, size=14)
    for label, value in document.meta:
        _append(cover, [label, value])
    for table in document.provenance:
        cover.append([])
        _append(cover, [table.title])
        cover.cell(cover.max_row, 1).font = Font(bold=True)
        _append(cover, table.headers)
        for row in table.rows:
            _append(cover, [cell.text() for cell in row])
    fit_widths(cover, [[str(c.value or "") for c in row] for row in cover.iter_rows()])
    bold = Font(bold=True)
    header_fill = PatternFill("solid", fgColor=HEADER_FILL)
    fills = {mark: PatternFill("solid", fgColor=colour) for mark, colour in FILLS.items()}
    for table in document.tables():
        sheet = book.create_sheet(_sheet_name(table.key))
        _append(sheet, table.headers)
        for cell in sheet[1]:
            cell.font, cell.fill = bold, header_fill
            cell.alignment = Alignment(vertical="center")
        for row in table.rows:
            _append(sheet, [_value(cell) for cell in row])
            for target, cell in zip(sheet[sheet.max_row], row, strict=False):
                if cell.style == "percent":
                    target.number_format = "0.00%"
                elif cell.style in ("number", "signed") and isinstance(cell.value, (int, Fraction)):
                    target.number_format = "+0.00;-0.00;0.00" if cell.style == "signed" else "0.00"
                if cell.mark:
                    target.fill = fills[cell.mark]
        for note in table.notes:
            sheet.append([])
            _append(sheet, [note])
        sheet.freeze_panes = "A2"
        sheet.auto_filter.ref = sheet.dimensions if table.rows else None
        fit_widths(sheet, [table.headers, *[[cell.text() for cell in row] for row in table.rows]])
    if document.notes():  # explain's arithmetic, check's advice: one line per row
        sheet = book.create_sheet("notes")
        for line in document.notes():
            _append(sheet, [line])
        sheet.column_dimensions["A"].width = 120
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _append(sheet, values: list) -> None:
    """A row of values, every text stored as text (see the module's docstring)."""
    sheet.append([visible(value) if isinstance(value, str) else value for value in values])
    for target in sheet[sheet.max_row]:
        if isinstance(target.value, str) and formula_like(target.value):
            target.data_type, target.quotePrefix = "s", True


def _value(cell: Cell) -> object:
    if cell.style == "percent" and isinstance(cell.value, Fraction):
        return rounded(cell.value, 4)
    number = cell.number()
    return number if number is not None else cell.text()


def _sheet_name(key: str) -> str:
    return key[:31]  # Excel's limit on sheet names


def fit_widths(sheet, rows: list[list[str]]) -> None:
    """Column widths that fit the longest text (capped, so a long message wraps the view, not the sheet)."""
    from openpyxl.utils import get_column_letter

    widths: dict[int, int] = {}
    for row in rows:
        for index, text in enumerate(row, start=1):
            width = max(wcswidth(text), len(text)) if text else 0
            widths[index] = max(widths.get(index, 0), width)
    for index, width in widths.items():
        sheet.column_dimensions[get_column_letter(index)].width = min(max(width + 2, 6), 60)
