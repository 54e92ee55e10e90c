"""CSV: one file per table (UTF-8 with BOM, so Excel opens Chinese text right), plus the cover.

A text a spreadsheet could take for a formula is written with a leading `'` (`formula_like`):
Excel then shows it as the text it is, and nothing runs when the file is opened."""

from __future__ import annotations

import csv
import io

from ..errors import visible
from .document import Document, Table, formula_like


def _csv(headers: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerows([_inert(text) for text in row] for row in [headers, *rows])
    return out.getvalue().encode("utf-8-sig")


def _inert(text: str) -> str:
    text = visible(text)
    return "'" + text if formula_like(text) else text


def render_csv(document: Document) -> dict[str, bytes]:
    """{file name: content}: cover.csv (period, dataset, ...), each table as KEY.csv, notes.csv."""
    files = {"cover.csv": _csv(["", document.title], [[label, value] for label, value in document.meta])}
    tables: list[Table] = [*document.tables(), *document.provenance]
    for table in tables:
        files[f"{table.key}.csv"] = _csv(table.headers, [[cell.text() for cell in row] for row in table.rows])
    if document.notes():
        files["notes.csv"] = _csv([""], [[line] for line in document.notes()])
    return files
