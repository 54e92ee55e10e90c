"""Every output format of check, assess and explain, in both languages, written atomically."""

from __future__ import annotations

import copy
import csv
import io
import json
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pyarrow as pa
import pytest
from fixture_data import SMALL
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook
from test_assess import service_dataset

from evalkit.progress import Progress
from evalkit.report.json_output import Items, JsonText, Written
from evalkit.testing import run_cli, write_dataset


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return write_dataset(tmp_path_factory.mktemp("reports"), service_dataset(copy.deepcopy(SMALL)))


def assess(folder, *extra):
    result = run_cli(["assess", str(folder), "--period", "2024", *extra])
    assert result.exit_code == 0, result.stderr
    return result


def test_xlsx_score_sheet(folder, tmp_path):
    target = tmp_path / "scores.xlsx"
    assess(folder, "--format", "xlsx", "--output", str(target))
    packs = {p["name"]: p["sha256"] for p in assess(folder, "--format", "json").json["packs"]}
    book = load_workbook(target)
    assert book.sheetnames == [
        "Cover",
        "Departments",
        "Cadres",
        "Branches",
        "Chains",
        "Coverage",
        "Findings",
        "Rules",
    ]
    departments = book["Departments"]
    assert departments.freeze_panes == "A2"
    headers = [cell.value for cell in departments[1]]
    assert headers[:3] == ["rank", "subject", "name"] and headers[-3:] == ["total", "recommended grade", "veto"]
    rows = {row[1]: dict(zip(headers, row, strict=True)) for row in departments.iter_rows(min_row=2, values_only=True)}
    assert rows["D2"]["total"] == 70.0 and rows["D2"]["deduction"] == 20.0  # hand-computed in test_assess
    assert rows["D1"]["recommended grade"] == "poor†" and rows["D1"]["veto"] == "vetoed: other"
    total_cell = departments.cell(2, headers.index("total") + 1)
    assert total_cell.number_format == "0.00"
    d1_row = next(r for r in range(2, departments.max_row + 1) if departments.cell(r, 2).value == "D1")
    grade_cell = departments.cell(d1_row, headers.index("recommended grade") + 1)
    assert grade_cell.fill.fgColor.rgb.endswith("FFC7CE")  # poor: red
    findings = book["Findings"]
    finding_headers = [cell.value for cell in findings[1]]
    assert "evidence" in finding_headers
    failed = [row for row in findings.iter_rows(min_row=2) if row[5].value == "fail"]
    assert failed and all(row[5].fill.fgColor.rgb.endswith("FFC7CE") for row in failed)
    cover = [[cell for cell in row if cell is not None] for row in book["Cover"].iter_rows(values_only=True)]
    assert ["period", "2024"] in cover and any(row[:1] == ["input digest (SHA-256)"] for row in cover)
    for name, digest in packs.items():
        assert [name, "1", digest, name] in cover


def test_html_report_is_self_contained_with_charts_and_every_subject(folder, tmp_path):
    target = tmp_path / "report.html"
    assess(folder, "--format", "html", "--output", str(target))
    text = target.read_text(encoding="utf-8")

    class Collect(HTMLParser):
        def __init__(self):
            super().__init__()
            self.tags, self.cells, self.external = [], [], []

        def handle_starttag(self, tag, attrs):
            self.tags.append(tag)
            attributes = dict(attrs)
            if attributes.get("src") or (tag == "link" and attributes.get("href")):
                self.external.append(attributes)

        def handle_data(self, data):
            self.cells.append(data.strip())

    parsed = Collect()
    parsed.feed(text)
    assert parsed.tags.count("svg") == 2 and parsed.external == []
    for subject in ["D1", "D2", "D3", "D4", "K1", "K2", "K4", "K5", "K6", "B1", "J1", "C1"]:
        assert subject in parsed.cells, subject
    assert 'id="findings"' in text and "filterFindings" in text and "@media print" in text


def numbers(table: bytes) -> list[list[str]]:
    """The numeric cells of a CSV table, row by row."""
    rows = list(csv.reader(io.StringIO(table.decode("utf-8-sig"))))[1:]
    return [[cell for cell in row if cell.replace(".", "").replace("%", "").replace("+", "").isdigit()] for row in rows]


def test_zh_and_en_carry_the_same_numbers(folder, tmp_path):
    assess(folder, "--format", "csv", "--output", str(tmp_path / "en.zip"))
    assess(folder, "--format", "csv", "--output", str(tmp_path / "zh"), "--lang", "zh")
    english = zipfile.ZipFile(tmp_path / "en.zip")
    written = sorted(p.name for p in (tmp_path / "zh").iterdir() if p.name != ".evalkit-report")  # the marker
    assert sorted(english.namelist()) == written
    for name in ("departments.csv", "cadres.csv", "branches.csv"):
        assert numbers(english.read(name)) == numbers((tmp_path / "zh" / name).read_bytes()), name
    zh_departments = (tmp_path / "zh" / "departments.csv").read_bytes().decode("utf-8-sig")
    assert "等次" in zh_departments and "一票否决" in zh_departments and "一般" in zh_departments


def test_markdown_and_explain_formats(folder, tmp_path):
    markdown = assess(folder, "--format", "markdown").stdout
    assert markdown.startswith("# Assessment 2024") and "## Departments" in markdown and "| D2 " in markdown
    explained = run_cli(["explain", str(folder), "--period", "2024", "--subject", "D3", "--format", "markdown"])
    assert "## Adjustments" in explained.stdout and "+6.00 (cap 5) → +5.00" in explained.stdout
    target = tmp_path / "b1.xlsx"
    run_cli(["check", str(folder), "--period", "2024", "--subject", "B1", "--format", "xlsx", "--output", str(target)])
    assert "Findings" in load_workbook(target).sheetnames


def test_binary_formats_need_an_output_file(folder):
    result = run_cli(["assess", str(folder), "--period", "2024", "--format", "xlsx"])
    assert result.exit_code == 2 and "--output" in result.stderr


def test_a_failing_render_leaves_the_old_file_and_no_temporary(folder, tmp_path, monkeypatch):
    from evalkit import report

    target = tmp_path / "scores.xlsx"
    target.write_bytes(b"previous report")

    def broken(document):
        raise RuntimeError("renderer bug")

    monkeypatch.setitem(report._RENDERERS, "xlsx", broken)
    with pytest.raises(RuntimeError):
        run_cli(["assess", str(folder), "--period", "2024", "--format", "xlsx", "--output", str(target)])
    assert target.read_bytes() == b"previous report"
    assert [p.name for p in tmp_path.iterdir()] == ["scores.xlsx"]
    missing = run_cli(["assess", str(folder), "--period", "2024", "--output", str(tmp_path / "no" / "such.txt")])
    assert missing.exit_code == 2 and not (tmp_path / "no").exists()


class FakeTerminal(io.StringIO):
    def __init__(self, tty: bool):
        super().__init__()
        self.tty = tty

    def isatty(self) -> bool:
        return self.tty


@pytest.mark.parametrize("tty", [True, False])
def test_progress_only_on_a_terminal(tty):
    stream = FakeTerminal(tty)
    with Progress(delay=0, stream=stream) as progress:
        progress.step("evaluating the rules")
        if progress._thread is not None:  # only on a terminal; its thread shows the line twice a second
            progress.show()
    assert ("evaluating the rules…" in stream.getvalue()) == tty
    assert stream.getvalue().endswith("\r\033[K") == tty


def test_usage_errors_speak_chinese_with_lang_zh(folder):
    result = run_cli(["check", str(folder), "--period", "2024", "--subject", "B99", "--lang", "zh"])
    assert result.exit_code == 2 and result.stderr.startswith("错误：--subject B99：数据中没有这个编号")
    bad = run_cli(["check", str(folder), "--period", "2024-1", "--lang", "zh"])
    assert bad.exit_code == 2 and "不是有效的期间" in bad.stderr


_JSON_SCALARS = st.none() | st.booleans() | st.integers() | st.floats() | st.text()
#: Dicts of text and lists of text (findings' shape), which the writer lays out from a template.
_JSON_RECORDS = st.dictionaries(
    st.sampled_from(["%s", "a", "%", "b\n"]) | st.text(max_size=3),
    st.text() | st.lists(st.text(), max_size=3),
    max_size=4,
)
_JSON_VALUES = st.recursive(
    _JSON_SCALARS | _JSON_RECORDS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4),
    max_leaves=20,
)


def _written(document) -> str:
    pieces: list[str] = []
    document.write_to(pieces.append)
    return "".join(pieces)


@settings(max_examples=300, derandomize=True)
@given(st.dictionaries(st.text(max_size=5), _JSON_VALUES))
def test_json_text_is_the_standard_encoders_byte_for_byte(data):
    """The JSON writer of reports must write exactly what json.dumps(indent=1) writes."""
    assert _written(JsonText(data)) == json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def test_json_text_takes_items_and_written_values():
    document = JsonText({"a": Items(["1", '{\n   "b": []\n  }']), "c": Items([]), "d": Written('{\n "e": 1\n}')})
    assert _written(document) == '{\n "a": [\n  1,\n  {\n   "b": []\n  }\n ],\n "c": [],\n "d": {\n  "e": 1\n }\n}\n'


@settings(max_examples=300, derandomize=True)
@given(st.lists(st.none() | st.text(st.characters(blacklist_categories=("Cs",)))))
def test_strings_are_escaped_column_wise_as_json_escapes_them(texts):
    from evalkit.report.json_output import _escaped

    escaped = _escaped(pa.array(texts, pa.string())).to_pylist()
    assert escaped == [None if text is None else json.dumps(text, ensure_ascii=False)[1:-1] for text in texts]


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_findings_and_scores_are_written_as_the_standard_encoder_writes_them(lang):
    """Findings are written column-wise and scores in one piece each (a province has a million
    and fifty thousand): the same text as json.dumps gives of what it reads, and the findings
    the same as the `Finding`s the other formats read, waivers and evidence lists included."""
    from evalkit.periods import Period
    from evalkit.report.json_output import assess_json, explain_json
    from evalkit.session import Session

    session = Session(autoload=False)
    assessment = session.assess(session.load(Path(__file__).resolve().parent.parent / "sample_data"), Period(2024))
    findings = list(assessment.evaluation.findings)
    assert (
        any(f.waiver for f in findings) and any(f.evidence for f in findings) and any(not f.evidence for f in findings)
    )
    assert any(f.expired_waiver for f in findings)  # the sample's J3, waivers.csv:4
    text = _written(assess_json(assessment, session.packs, {}, {}, lang))
    data = json.loads(text)
    assert text == json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    assert data["findings"] == [
        {
            **dict(rule=f.rule, pack=f.pack, subject=f.subject, subject_kind=f.subject_kind, period=str(f.period)),
            **dict(status=f.status, severity=f.severity, message=f.message(lang), evidence=list(f.evidence)),
            **(
                {"waiver": {"reason": f.waiver.reason, "approved_by": f.waiver.approved_by, "source": f.waiver.source}}
                if f.waiver
                else {}
            ),
            **({"expired_waiver": f.expired_waiver.text(lang)} if f.expired_waiver else {}),
        }
        for f in findings
    ]
    explained = _written(explain_json(assessment, "D1", "department", session.packs, {}, {}, lang))
    assert explained == json.dumps(json.loads(explained), ensure_ascii=False, indent=1) + "\n"
