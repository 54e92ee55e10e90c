"""What the tests of `evalkit serve` share: the sample ledger as one workbook, and a run through the pages."""

from __future__ import annotations

import csv
import io
import re
import time
from pathlib import Path

from openpyxl import Workbook, load_workbook

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"


def sample_workbook(rename: dict[str, str] | None = None) -> bytes:
    """The sample dataset as one XLSX workbook, a sheet per record type (its CSV files' headers
    and values as typed, its workbook's sheets), as a secretary would keep it; `rename` changes
    organisations' names by id."""
    book = Workbook()
    book.remove(book.active)
    for path in sorted(SAMPLE.glob("*.csv")):
        sheet = book.create_sheet(path.stem)
        with path.open(encoding="utf-8-sig", newline="") as file:
            for number, row in enumerate(csv.reader(file)):
                if path.stem == "organizations" and number and rename and row[0] in rename:
                    row[1] = rename[row[0]]
                sheet.append(row)
    for source in load_workbook(SAMPLE / "ledgers.xlsx").worksheets:
        sheet = book.create_sheet(source.title)
        for row in source.iter_rows(values_only=True):
            sheet.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf" value="([^"]+)"', html)[1]


def upload(client, files: list[tuple[str, bytes]]):
    """POST `files` to the self-check's upload form, as the page's form sends them."""
    csrf = csrf_of(client.get("/").text)
    parts = [("files", (name, content, "application/octet-stream")) for name, content in files]
    return client.post("/upload", data={"csrf": csrf}, files=parts)


def finished(client, response, seconds: float = 120):
    """The page a run's page refreshes to once the run is done."""
    deadline = time.monotonic() + seconds
    while 'http-equiv="refresh"' in response.text and time.monotonic() < deadline:
        time.sleep(0.05)
        response = client.get(response.url)
    return response


def self_check(client, files: list[tuple[str, bytes]], subject: str, period: str):
    """Upload, pick the subject and the period, and wait for the result page."""
    page = upload(client, files)
    assert page.status_code == 200, page.text
    response = client.post("/check", data={"csrf": csrf_of(page.text), "subject": subject, "period": period})
    return finished(client, response)


def section(html: str, element_id: str) -> str:
    """The element `element_id` of a page, as HTML (the findings table, the grid, the next steps)."""
    tag = re.search(rf'<(\w+)[^>]*id="{element_id}"', html)
    start = tag.start()
    return html[start : html.index(f"</{tag[1]}>", start)]
