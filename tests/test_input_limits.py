"""Hostile and careless input files (issue 20, input limits): each limit is a problem naming the
file and the option that raises it; a workbook's declared dimension is not believed; a formula
never calculated is a problem, never a blank; a dataset entry that is not a regular file inside
the folder is a problem naming it. Every case exits 2, changes no input and leaves nothing."""

from __future__ import annotations

import os
import re
import socket
import stat
import zipfile
from pathlib import Path

import pytest
from openpyxl import Workbook

from evalkit.testing import run_cli, write_dataset


def _state(root: Path) -> dict[str, object]:
    """Every entry under `root`: a regular file's bytes, else what it is (a FIFO is never opened)."""
    state: dict[str, object] = {}
    for path in sorted(root.rglob("*")):
        mode = path.lstat().st_mode
        if stat.S_ISLNK(mode):
            state[str(path)] = ("link", os.readlink(path))
        elif stat.S_ISREG(mode):
            state[str(path)] = path.read_bytes()
        else:
            state[str(path)] = stat.S_IFMT(mode)
    return state


def _refused(folder: Path, *options: str):
    """`evalkit validate FOLDER OPTIONS`, asserted to exit 2 with the input left as it was and
    nothing added next to it."""
    before = _state(folder.parent)
    result = run_cli(["validate", str(folder), *options])
    assert result.exit_code == 2, result.stderr
    assert "Traceback" not in result.stderr
    assert _state(folder.parent) == before
    return result


def _workbook(folder: Path, name: str, rows: list[list]) -> Path:
    """A workbook `name` with one sheet, named after its stem."""
    book = Workbook()
    book.active.title = Path(name).stem
    for row in rows:
        book.active.append(row)
    book.save(folder / name)
    return folder / name


def _rewrite_part(path: Path, part: str, change) -> None:
    """Rewrite one part of a zip file with `change(bytes) -> bytes` (compressed as usual)."""
    with zipfile.ZipFile(path) as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    parts[part] = change(parts.get(part, b""))
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def _departments_as_workbook(small_dir: Path, small: dict, name: str = "departments.xlsx") -> Path:
    (small_dir / "departments.csv").unlink()
    rows = [["id", "name"], *([row["id"], row["name"]] for row in small["departments"])]
    return _workbook(small_dir, name, rows)


def test_declared_dimension_is_not_believed(small_dir, small):
    """A sheet declaring all of Excel's 17 billion cells, with one blank cell in its last row, is
    read by the rows it holds (padded to the dimension, it took minutes)."""
    book = _departments_as_workbook(small_dir, small)
    sheet = "xl/worksheets/sheet1.xml"
    last = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t> </t></is></c></row></sheetData>'

    def declared(xml: bytes) -> bytes:
        xml = re.sub(rb'<dimension ref="[^"]*"', b'<dimension ref="A1:XFD1048576"', xml)
        return xml.replace(b"</sheetData>", last)

    _rewrite_part(book, sheet, declared)
    with zipfile.ZipFile(book) as archive:
        assert b'<dimension ref="A1:XFD1048576"' in archive.read(sheet) and book.stat().st_size < 10_000
    result = run_cli(["validate", str(small_dir)])
    assert result.exit_code == 0, result.stderr
    assert "departments 2," in result.stdout


def test_zip_bomb_is_refused_before_it_is_opened(small_dir, small):
    """A sheet of 50 MB of one repeated row compresses about 500 times: refused by the zip's
    directory, before openpyxl inflates anything."""
    book = _departments_as_workbook(small_dir, small)
    row = b'<row><c t="inlineStr"><is><t>D9</t></is></c><c t="inlineStr"><is><t>x</t></is></c></row>'
    bomb = b"<worksheet><sheetData>" + row * (50_000_000 // len(row)) + b"</sheetData></worksheet>"
    _rewrite_part(book, "xl/worksheets/sheet1.xml", lambda xml: bomb)
    result = _refused(small_dir)
    assert re.search(
        r"departments\.xlsx expected parts that inflate at most 100 times "
        r"\(xl/worksheets/sheet1\.xml inflates [\d,]+ times; raise --max-xlsx-ratio\)",
        result.stderr,
    ), result.stderr


def test_workbook_too_large_uncompressed(small_dir, small):
    """Parts that do not compress much (random text) but inflate past --max-xlsx-mb."""
    book = _departments_as_workbook(small_dir, small)
    _rewrite_part(book, "xl/media/noise.txt", lambda data: os.urandom(1 << 20).hex().encode())  # 2 MB
    result = _refused(small_dir, "--max-xlsx-mb", "1")
    expected = "departments.xlsx expected a workbook of at most 1 MB uncompressed (this one inflates to 2 MB; "
    assert expected + "raise --max-xlsx-mb)" in result.stderr
    assert run_cli(["validate", str(small_dir)]).exit_code == 0  # within the default


def _more_visits(small_dir: Path, small: dict, count: int) -> list[dict]:
    """`count` valid visits (the small dataset's, repeated under new ids), written to visits.csv."""
    visits = [{**small["visits"][n % len(small["visits"])], "id": f"V{n}"} for n in range(count)]
    write_dataset(small_dir, {"visits": visits})
    return visits


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_too_many_rows(small_dir, small, kind):
    """Rows past --max-rows are not read; the first refused row is named."""
    visits = _more_visits(small_dir, small, 6)
    if kind == "xlsx":
        (small_dir / "visits.csv").unlink()
        header = list(visits[0])
        _workbook(small_dir, "visits.xlsx", [header, *([row[c] for c in header] for row in visits)])
    file = "visits.csv" if kind == "csv" else "visits.xlsx#visits"
    assert run_cli(["validate", str(small_dir), "--max-rows", "6"]).exit_code == 0
    result = _refused(small_dir, "--max-rows", "5")
    assert f"  {file}:7 expected at most 5 rows (the rest of the file is not read; raise --max-rows)" in result.stderr


def test_a_row_of_two_million_cells_is_one_problem(small_dir):
    """One row with 2 million extra cells: one problem for the row, and the file's reading
    stops there (it once gave a column and a problem line per cell)."""
    path = small_dir / "departments.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[1] += ",x" * 2_000_000
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = _refused(small_dir)
    expected = (
        "departments.csv:2 expected at most 1,000 cells in a row (this one has 2,000,002; "
        "the rest of the file is not read; raise --max-cells-per-row)"
    )
    assert expected in result.stderr
    assert len(result.stderr.splitlines()) < 10


def test_a_blank_tail_of_cells_is_no_cell(small_dir):
    """Trailing empty cells (a spreadsheet's export may leave thousands) are not cells."""
    path = small_dir / "departments.csv"
    path.write_text("\n".join(line + "," * 5_000 for line in path.read_text("utf-8").splitlines()) + "\n", "utf-8")
    assert run_cli(["validate", str(small_dir)]).exit_code == 0


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_problems_listed_per_file_are_capped(small_dir, small, lang):
    """The first --max-problems problems of each file, then how many more."""
    visits = _more_visits(small_dir, small, 7)
    write_dataset(small_dir, {"visits": [{**row, "policies_delivered": "many"} for row in visits]})
    result = _refused(small_dir, "--max-problems", "2", "--lang", lang)
    listed = [f"  visits.csv:{row} [policies_delivered] 'many': expected a whole number ≥ 0" for row in (2, 3)]
    if lang == "zh":
        listed = [f"  visits.csv:{row} [policies_delivered] 'many'：应为整数（≥ 0）" for row in (2, 3)]
        more = "  visits.csv：另有 5 个问题未列出（可用 --max-problems 调高）"
    else:
        more = "  visits.csv: 5 more problems not shown (raise --max-problems)"
    assert "7" in result.stderr.splitlines()[0]
    assert result.stderr.splitlines()[1:] == [*listed, more]


def test_formula_without_saved_result_is_a_problem(small_dir, small):
    """openpyxl reads a formula never calculated as blank: it is a problem at its cell, once
    (not also "a value"), and a formula with a saved result reads as that result."""
    rows = [["id", "name"], ["D1", '="财政"&"局"'], ["D2", "=A3"]]
    book = _workbook(small_dir, "departments.xlsx", rows)
    (small_dir / "departments.csv").unlink()

    def saved(xml: bytes) -> bytes:  # D1's name as Excel saves it: the formula and its result
        result = "</f><v>财政局</v>".encode()
        return xml.replace(b'<c r="B2"><f>', b'<c r="B2" t="str"><f>').replace(b"</f><v />", result, 1)

    _rewrite_part(book, "xl/worksheets/sheet1.xml", saved)
    result = _refused(small_dir)
    problems = [line.strip() for line in result.stderr.splitlines()[1:]]
    expected = "a value, not a formula without a saved result (open the file in Excel and save it)"
    assert f"departments.xlsx#departments:3 [name] '=A3': expected {expected}" in problems
    assert not any("departments.xlsx#departments:2" in line for line in problems)
    assert not any("departments.xlsx#departments:3 [name] expected a value (" in line for line in problems)


def test_formula_with_empty_text_result_is_blank(small_dir, small):
    """`=IF(…,"",…)` saved by Excel holds an empty text: a blank cell, not a problem."""
    rows = [["id", "name", "note"], *([d["id"], d["name"], '=""'] for d in small["departments"])]
    book = _workbook(small_dir, "departments.xlsx", rows)
    (small_dir / "departments.csv").unlink()
    _rewrite_part(book, "xl/worksheets/sheet1.xml", lambda xml: re.sub(rb'(<c r="C\d")>', rb'\1 t="str">', xml))
    result = run_cli(["validate", str(small_dir)])
    assert result.exit_code == 0, result.stderr


def _fifo(path: Path) -> str:
    os.mkfifo(path)
    return "a regular file (this is a named pipe (FIFO))"


def _folder(path: Path) -> str:
    path.mkdir()
    (path / "inside.csv").write_text("rule,subject_id,reason,approved_by\n", encoding="utf-8")
    return "a regular file (this is a folder)"


def _dangling(path: Path) -> str:
    path.symlink_to("gone.csv")
    return "a file (this is a link to gone.csv, which does not exist)"


def _outside(path: Path) -> str:
    outside = path.parent.parent / "elsewhere.csv"
    outside.write_text("rule,subject_id,reason,approved_by\n", encoding="utf-8")
    path.symlink_to(outside)
    return f"a file inside the dataset folder (this is a link to {outside.resolve()})"


def _socket(path: Path) -> str:
    server = socket.socket(socket.AF_UNIX)
    server.bind(str(path))
    server.close()  # the socket file stays
    return "a regular file (this is a socket)"


@pytest.mark.parametrize("make", [_fifo, _folder, _dangling, _outside, _socket])
def test_entry_that_is_not_a_regular_file_inside(small_dir, make):
    """waivers.csv that is a FIFO, a folder, a dangling link, a link out of the dataset folder
    or a socket: a problem naming it, never skipped as if absent, never opened (a FIFO blocks)."""
    expected = make(small_dir / "waivers.csv")
    result = _refused(small_dir)
    assert f"  waivers.csv expected {expected}" in result.stderr.splitlines()


def test_a_link_inside_the_folder_is_read(small_dir):
    (small_dir / "kept").mkdir()  # a sub-folder is not read
    (small_dir / "departments.csv").rename(small_dir / "kept" / "departments.csv")
    (small_dir / "departments.csv").symlink_to("kept/departments.csv")
    assert run_cli(["validate", str(small_dir)]).exit_code == 0


def test_unreadable_file(small_dir, monkeypatch):
    """A file evalkit may not read (as root, permissions do not stop reads: simulated)."""
    path = small_dir / "departments.csv"
    real_open = Path.open

    def refusing_open(self, *args, **kwargs):
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return real_open(self, *args, **kwargs)

    before = _state(small_dir.parent)
    with monkeypatch.context() as patch:
        patch.setattr(Path, "open", refusing_open)
        result = run_cli(["validate", str(small_dir)])
    assert result.exit_code == 2 and _state(small_dir.parent) == before
    assert "  departments.csv expected a readable file (Permission denied)" in result.stderr.splitlines()


def test_a_sheet_cut_short_is_a_problem(small_dir, small):
    """A sheet whose XML ends mid-way (a copy interrupted) is a problem naming it, not a traceback."""
    book = _departments_as_workbook(small_dir, small)
    _rewrite_part(book, "xl/worksheets/sheet1.xml", lambda xml: xml[: xml.index(b"</sheetData>") - 20])
    result = _refused(small_dir)
    assert "  departments.xlsx#departments expected a readable .xlsx workbook (ParseError: " in result.stderr
