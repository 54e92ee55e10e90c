"""XLSX reports print as they are (issue 22): A4 landscape, one page wide, the header row on every
page, title and page numbers in the page header and footer, the cover on one page, sheets named in
the report's language; the sample's Chinese assessment prints on at most 15 pages in LibreOffice."""

from __future__ import annotations

import copy
import io
import os
import re
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
from fixture_data import SMALL
from openpyxl import Workbook, load_workbook
from test_assess import service_dataset

from evalkit.cli import main
from evalkit.report.document import Cell, Document, Table
from evalkit.report.xlsx import render_xlsx
from evalkit.testing import run_cli, write_dataset

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "sample_data"
A4 = 9  # the paper size code of the Office Open XML standard
SOFFICE_SECONDS = 300
#: The sample's assessment: the cover, two score tables, three compliance tables (organisational life
#: after branches), the coverage pack's summary and its failures, every finding, the rules in force;
#: each named after its table's title.
SHEETS = {
    "zh": ["封面", "部门", "干部", "党支部", "组织生活", "产业链", "组织覆盖", "组织覆盖——不通过", "检查结果", "规则"],
    "en": [
        "Cover",
        "Departments",
        "Cadres",
        "Branches",
        "Organisational life",
        "Chains",
        "Coverage",
        "Coverage — failed",
        "Findings",
        "Rules",
    ],
}


def assess_sample(folder: Path, lang: str) -> Path:
    target = folder / f"assessment-{lang}.xlsx"
    args = ["assess", str(SAMPLE), "--period", "2024", "--lang", lang, "--format", "xlsx", "--output", str(target)]
    assert main(args) == 0
    return target


@pytest.fixture(scope="module")
def sample_files(tmp_path_factory) -> dict[str, Path]:
    """The sample's assessment of 2024 as XLSX, in Chinese and in English."""
    folder = tmp_path_factory.mktemp("print")
    return {lang: assess_sample(folder, lang) for lang in ("zh", "en")}


@pytest.fixture(scope="module")
def sample_books(sample_files) -> dict[str, Workbook]:
    """The workbooks as openpyxl reads them back (read only by the tests)."""
    return {lang: load_workbook(path) for lang, path in sample_files.items()}


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_sheets_are_named_in_the_reports_language(sample_books, lang):
    assert sample_books[lang].sheetnames == SHEETS[lang]


@pytest.mark.parametrize(
    ("args", "sheets"),
    [
        (["check", "--lang", "zh"], ["封面", "需关注", "检查结果", "规则", "附注"]),
        (["check"], ["Cover", "Needs attention", "Findings", "Rules", "Notes"]),
        (["explain", "--subject", "D3", "--lang", "zh"], ["封面", "指标", "加减分", "附注"]),
    ],
)
def test_check_and_explain_sheets_are_named_too(tmp_path, args, sheets):
    """Check's findings that need attention and its every finding share a title: the first is named
    by its key; explain has tables of indicators and adjustments (D3 has some), and lines of text."""
    folder = write_dataset(tmp_path / "data", service_dataset(copy.deepcopy(SMALL)))
    target = tmp_path / "report.xlsx"
    command, *options = args
    run_cli([command, str(folder), "--period", "2024", *options, "--format", "xlsx", "--output", str(target)])
    book = load_workbook(target)
    assert book.sheetnames == sheets
    assert {(sheet.page_setup.orientation, sheet.page_setup.fitToWidth) for sheet in book} == {("landscape", 1)}
    notes = book[sheets[-1]]  # lines of text, as wide as a page: longer ones wrap
    assert notes.column_dimensions["A"].width == 120 and notes["A1"].alignment.wrap_text
    assert notes.print_title_rows is None and notes.page_setup.fitToHeight == 0


@pytest.mark.parametrize(
    ("lang", "title", "footer"),
    [("zh", "2024年度考核——", "第 &P 页，共 &N 页"), ("en", "Assessment 2024 — ", "Page &P of &N")],
)
def test_every_sheet_prints_on_a4_landscape_one_page_wide(sample_books, lang, title, footer):
    book = sample_books[lang]
    assert [sheet.oddHeader.center.text for sheet in book] == [title + name for name in SHEETS[lang]]
    tables = len(SHEETS[lang]) - 1
    assert [sheet.oddFooter.center.text for sheet in book] == [footer] * (tables + 1)
    assert [sheet.page_setup.fitToHeight for sheet in book] == [1] + [0] * tables  # the cover on one page
    assert [sheet.print_title_rows for sheet in book] == [None] + ["$1:$1"] * tables  # the header row on every page
    for sheet in book:
        assert sheet.page_setup.paperSize == A4 and sheet.page_setup.orientation == "landscape", sheet.title
        assert sheet.sheet_properties.pageSetUpPr.fitToPage and sheet.page_setup.fitToWidth == 1, sheet.title
        margins = sheet.page_margins
        assert (margins.left, margins.right, margins.top, margins.bottom) == (0.4, 0.4, 0.6, 0.6), sheet.title
        assert (margins.header, margins.footer) == (0.25, 0.25) and sheet.print_options.gridLines, sheet.title


def test_long_text_wraps_in_a_capped_column(sample_books):
    """Widths fit the text up to 36 (17 Chinese characters); longer text wraps, so fitting the
    findings to the page's width does not shrink the print."""
    findings = sample_books["zh"]["检查结果"]
    widths = {letter: findings.column_dimensions[letter].width for letter in "ADFG"}
    # 对象: ids of 3 characters, the minimum 6; 规则: LIFE01 + 2; 结果: 不通过 (width 6) + 2; 说明: capped
    assert widths == {"A": 6, "D": 8, "F": 8, "G": 36}
    row = next(row for row in range(2, findings.max_row + 1) if findings.cell(row, 4).value == "OPF01")  # B01's first
    message = findings.cell(row, 7)
    assert message.value == "2024年第一季度有可用的活动阵地：Z01, Z04" and message.alignment.wrap_text
    assert not findings.cell(row, 1).alignment.wrap_text and findings.cell(row, 1).alignment.vertical == "top"
    # 2024 (4) and 14 Chinese characters (28) fill 32 of the 35 a line holds (36 less the padding):
    # "Z01," (4) starts a second line; 16 points a line
    assert findings.row_dimensions[row].height == 32 and findings.row_dimensions[1].height is None


def test_a_row_is_as_tall_as_its_wrapped_lines():
    """A Chinese character is 2 wide and lines break between them, Latin text at spaces; a line holds
    35 (the column's 36 less the padding), and takes 16 points."""
    texts = ["字" * 40, " ".join(["aaaa"] * 12), "short"]
    document = Document("T", "en", blocks=[Table("t", "T", ["text"], [[Cell(text)] for text in texts])])
    sheet = load_workbook(io.BytesIO(render_xlsx(document)))["T"]
    assert sheet.column_dimensions["A"].width == 36
    # 17 characters a line (34): 17 + 17 + 6; 7 words a line (34, then a space): 7 + 5; one line
    assert [sheet.row_dimensions[row].height for row in (2, 3, 4)] == [48, 32, None]


def test_the_findings_open_filtered_to_what_needs_attention(sample_books):
    """1931 findings, 1667 passes and 216 skips (the check's summary line): their rows are hidden by
    a filter on the status column (结果, the 6th); the 48 that failed (43) or were waived (5) are shown and printed."""
    findings = sample_books["zh"]["检查结果"]
    statuses = {row: findings.cell(row, 6).value for row in range(2, findings.max_row + 1)}
    hidden = {row for row in statuses if findings.row_dimensions[row].hidden}
    assert len(statuses) == 1931 and len(hidden) == 1667 + 216
    assert {statuses[row] for row in hidden} == {"通过", "不适用"}
    assert {statuses[row] for row in statuses.keys() - hidden} <= {"不通过", "已豁免"}
    (column,) = findings.auto_filter.filterColumn
    assert column.colId == 5 and column.customFilters._and
    assert [(c.operator, c.val) for c in column.customFilters.customFilter] == [
        ("notEqual", "通过"),
        ("notEqual", "不适用"),
    ]
    assert findings.auto_filter.ref == "A1:H1932"


def test_sheet_names_follow_excels_rules_and_headers_keep_ampersands():
    def table(key: str, title: str) -> Table:
        return Table(key, title, ["x"], [[Cell("1")]])

    titles = ["Q1/Q2: [draft]*?", "findings", "Findings", "History", "'quoted'", "x" * 40, "😀" * 20, "y" * 300]
    document = Document("R&D 2024", "en", blocks=[table(f"t{n}", title) for n, title in enumerate(titles)])
    book = load_workbook(io.BytesIO(render_xlsx(document)))
    assert book.sheetnames == [
        "Cover",
        "Q1_Q2_ _draft___",  # none of []:*?/\
        "findings",
        "Findings (2)",  # unique whatever the case
        "History (2)",  # Excel's own
        "quoted",  # no apostrophe first or last
        "x" * 31,
        "😀" * 15,  # 31 UTF-16 units at most: each of these is 2
        "y" * 31,
    ]
    headers = [sheet.oddHeader.center.text for sheet in book]
    assert headers[:3] == ["R&&D 2024 — Cover", "R&&D 2024 — Q1/Q2: [draft]*?", "R&&D 2024 — findings"]
    # 255 characters at most with the code &C (centred): "R&&D 2024 — " is 12, then 240 y and the ellipsis
    assert headers[-1] == "R&&D 2024 — " + "y" * 240 + "…" and len(headers[-1]) == 253


def pdf_pages(pdf: bytes) -> int:
    """Pages of a PDF as LibreOffice writes it: one `/Type /Page` object each (`/Pages` is their tree)."""
    return len(re.findall(rb"/Type\s*/Page(?![A-Za-z])", pdf))


@pytest.mark.slow  # drives another program (LibreOffice), as the slow set's tests do
def test_the_chinese_assessment_prints_on_at_most_15_pages(sample_files, tmp_path):
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        pytest.fail("LibreOffice is needed to count printed pages: apt-get install libreoffice-calc (never skipped)")
    profile = f"-env:UserInstallation=file://{tmp_path / 'profile'}"  # its own, so parallel runs don't collide
    convert = [soffice, profile, "--headless", "--convert-to", "pdf", "--outdir", str(tmp_path)]
    # soffice starts office processes of its own: a session of their own, so a timeout ends them all
    process = subprocess.Popen([*convert, str(sample_files["zh"])], stderr=subprocess.PIPE, start_new_session=True)
    try:
        _, errors = process.communicate(timeout=SOFFICE_SECONDS)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.communicate()
        pytest.fail(f"LibreOffice did not convert the workbook to PDF in {SOFFICE_SECONDS} s")
    assert process.returncode == 0, errors.decode(errors="replace")
    pages = pdf_pages((tmp_path / "assessment-zh.pdf").read_bytes())
    # at least a page per sheet; about 100 before the print setup (14 with the findings filtered)
    assert 10 <= pages <= 15
