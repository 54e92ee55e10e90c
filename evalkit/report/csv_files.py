"""CSV: one file per table (UTF-8 with BOM, so Excel opens Chinese text right), plus the cover."""

from __future__ import annotations

import csv
import io

from .document import Document, Table


def _csv(headers: list[str], rows: list[list[str]]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def render_csv(document: Document) -> dict[str, bytes]:
    """{file name: content}: cover.csv (period, dataset, ...), each table as KEY.csv, notes.csv."""
    files = {"cover.csv": _csv(["", document.title], [[label, value] for label, value in document.meta])}
    tables: list[Table] = [*document.tables(), *document.provenance]
    for table in tables:
        files[f"{table.key}.csv"] = _csv(table.headers, [[cell.text() for cell in row] for row in table.rows])
    if document.notes():
        files["notes.csv"] = _csv([""], [[line] for line in document.notes()])
    return files
