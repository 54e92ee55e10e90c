"""Ledgers as branch secretaries keep them (issue 21): workbooks made here the way Excel users make
them (a title row, merged cells, section rows, Chinese sheet and header names, full-width ids,
near-miss labels), misnamed and unknown files, a GBK CSV as a Chinese Windows Excel writes it.
Each test asserts the exact notes and problems, in English and Chinese."""

from __future__ import annotations

import copy

import pytest
from fixture_data import SMALL
from openpyxl import Workbook

from evalkit.errors import DatasetError
from evalkit.load.dataset import load_dataset
from evalkit.testing import run_cli, write_dataset

HEADER = ["序号", "编号", "组织单位", "活动日期", "活动类别", "活动名称", "参加人数（人）", "联办单位"]


def _without(*names: str) -> dict:
    return {name: rows for name, rows in copy.deepcopy(SMALL).items() if name not in names}


def _ledger(folder, rows, title="一号支部2024年活动台账", merges=(), sheet="活动台账", book="一号支部台账.xlsx"):
    """A workbook with one sheet of activities: a title row merged across the top, the header,
    then `rows` (lists of cells under HEADER), and the merged ranges `merges`."""
    workbook = Workbook()
    worksheet = workbook.active
    worksheet.title = sheet
    worksheet.append([title])
    worksheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADER))
    worksheet.append(HEADER)
    for row in rows:
        worksheet.append(row)
    for merged in merges:
        worksheet.merge_cells(merged)
    workbook.save(folder / book)
    return folder


def _notes(dataset_or_error, lang="en") -> list[str]:
    return [note.text(lang) for note in dataset_or_error.notes]


def _problems(error: DatasetError, lang="en") -> list[str]:
    return [problem.text(lang) for problem in error.problems]


def test_a_secretarys_workbook_loads_as_typed(tmp_path):
    """A title row, 序号, header synonyms with a unit, a section row merged across, a vertically
    merged organiser, a full-width reference: read as meant, each with one note."""
    folder = write_dataset(tmp_path / "data", _without("activities"))
    rows = [
        ["第一季度"],
        [1, "A1", "B1", "2024-03-05", "党员教育", "学习会", 10, "J1"],
        [2, "A2", None, "2024-03-20", "志愿服务", "社区服务", 8, None],
        [3, "A3", "Ｂ１", "2024-03-28", "业务协作", "对接会", 6, "Ｊ１"],
    ]
    _ledger(folder, rows, merges=["A3:H3", "C4:C5"])
    dataset = load_dataset(folder)
    activities = dataset.tables["activities"]
    assert activities.files == ("一号支部台账.xlsx#活动台账",)
    assert activities.column("id") == ("A1", "A2", "A3")
    assert activities.column("org_id") == ("B1", "B1", "B1")
    assert activities.column("category") == ("member_education", "volunteer_service", "business_collaboration")
    assert activities.column("participants") == (10, 8, 6)
    assert activities.column("co_hosts") == (("J1",), (), ("J1",))
    assert activities.row_numbers.to_pylist() == [4, 5, 6]
    assert _notes(dataset) == [
        "一号支部台账.xlsx#活动台账: row 1 above the header (row 2) not read: 一号支部2024年活动台账",
        "一号支部台账.xlsx#活动台账: merged cells filled down: 组织单位 rows 4–5",
        "一号支部台账.xlsx#活动台账: section headings not read: row 3",
    ]
    assert _notes(dataset, "zh") == [
        "一号支部台账.xlsx#活动台账：表头（第 2 行）以上的第 1 行未读取：一号支部2024年活动台账",
        "一号支部台账.xlsx#活动台账：合并单元格已向下填充：组织单位 第 4–5 行",
        "一号支部台账.xlsx#活动台账：分节标题行未读取：第 3 行",
    ]


def test_an_id_is_never_filled_down(tmp_path):
    """A merged id cell leaves the rows below it without an id: each a problem, not a copy."""
    folder = write_dataset(tmp_path / "data", _without("activities"))
    rows = [
        [1, "A1", "B1", "2024-03-05", "党员教育", "学习会", 10, None],
        [2, None, "B1", "2024-03-20", "志愿服务", "社区服务", 8, None],
    ]
    _ledger(folder, rows, merges=["B3:B4"])
    with pytest.raises(DatasetError) as raised:
        load_dataset(folder)
    assert _problems(raised.value) == ["一号支部台账.xlsx#活动台账:4 [编号] expected a value (text)"]
    assert _problems(raised.value, "zh") == ["一号支部台账.xlsx#活动台账:4 [编号]：应为填写内容（文本）"]


def test_near_misses_are_refused_with_a_suggestion(tmp_path):
    """`志愿服务活动` and `志愿者服务` are not applied silently: refused, with what was meant;
    2024-02-30 says there is no such day; the column is named as the file spells it."""
    folder = write_dataset(tmp_path / "data", _without("activities"))
    rows = [
        [1, "A1", "B1", "2024-02-30", "志愿服务活动", "学习会", 10, None],
        [2, "A2", "B1", "2024-03-20", "志愿者服务", "社区服务", 8, None],
    ]
    _ledger(folder, rows)
    with pytest.raises(DatasetError) as raised:
        load_dataset(folder)
    choices = (
        "business_collaboration (业务协作), member_education (党员教育), "
        "model_publicity (典型宣传), volunteer_service (志愿服务)"
    )
    assert _problems(raised.value) == [
        "一号支部台账.xlsx#活动台账:3 [活动日期] '2024-02-30': expected a date YYYY-MM-DD: 2024-02 has no day 30",
        f"一号支部台账.xlsx#活动台账:3 [活动类别] '志愿服务活动': expected one of {choices}: "
        "did you mean volunteer_service (志愿服务)?",
        f"一号支部台账.xlsx#活动台账:4 [活动类别] '志愿者服务': expected one of {choices}: "
        "did you mean volunteer_service (志愿服务)?",
    ]
    assert _problems(raised.value, "zh") == [
        "一号支部台账.xlsx#活动台账:3 [活动日期] '2024-02-30'：应为日期，如 2024-07-03（2024年2月没有30日）",
        "一号支部台账.xlsx#活动台账:3 [活动类别] '志愿服务活动'：应为以下之一：业务协作、党员教育、典型宣传、志愿服务"
        "——是否应为“志愿服务”？",
        "一号支部台账.xlsx#活动台账:4 [活动类别] '志愿者服务'：应为以下之一：业务协作、党员教育、典型宣传、志愿服务"
        "——是否应为“志愿服务”？",
    ]


def test_a_date_with_no_such_month_or_day_says_which(tmp_path):
    """A month past 12 is named (2024-13-05: no month 13), as a day past the month's end is, in
    a date-time too; a date that is not spelled as one gets the format alone."""
    folder = write_dataset(tmp_path / "data", _without("activities"))
    rows = [
        [1, "A1", "B1", "2024-13-05", "党员教育", "学习会", 10, None],
        [2, "A2", "B1", "2024-04-00", "党员教育", "学习会", 10, None],
        [3, "A3", "B1", "2024年4月31日", "党员教育", "学习会", 10, None],
        [4, "A4", "B1", "四月五日", "党员教育", "学习会", 10, None],
    ]
    _ledger(folder, rows)
    with pytest.raises(DatasetError) as raised:
        load_dataset(folder)
    where = "一号支部台账.xlsx#活动台账"
    assert _problems(raised.value) == [
        f"{where}:3 [活动日期] '2024-13-05': expected a date YYYY-MM-DD: there is no month 13",
        f"{where}:4 [活动日期] '2024-04-00': expected a date YYYY-MM-DD: 2024-04 has no day 0",
        f"{where}:5 [活动日期] '2024年4月31日': expected a date YYYY-MM-DD: 2024-04 has no day 31",
        f"{where}:6 [活动日期] '四月五日': expected a date YYYY-MM-DD",
    ]
    assert _problems(raised.value, "zh")[0] == f"{where}:3 [活动日期] '2024-13-05'：应为日期，如 2024-07-03（没有13月）"
    tables = _without()
    tables["requests"][0]["dispatched_at"] = "2024-13-45 10:00"
    with pytest.raises(DatasetError) as raised:
        load_dataset(write_dataset(tmp_path / "requests", tables))
    assert [p.text() for p in raised.value.problems if p.column == "dispatched_at"] == [
        "requests.csv:2 [dispatched_at] '2024-13-45 10:00': expected a date-time YYYY-MM-DD HH:MM: there is no month 13"
    ]


def test_full_width_ids_are_the_same_ids(tmp_path):
    """Ids are compared in NFKC: `Ｄ１` in a second row of departments is a duplicate of D1."""
    tables = _without()
    tables["departments"].append({"id": "Ｄ１", "name": "重复的局"})
    folder = write_dataset(tmp_path / "data", tables)
    with pytest.raises(DatasetError) as raised:
        load_dataset(folder)
    assert _problems(raised.value) == [
        "departments.csv:4 [id] 'D1': expected a unique id (already used in departments.csv row 2)"
    ]
    assert _problems(raised.value, "zh") == [
        "departments.csv:4 [id] 'D1'：应为不重复的编号（departments.csv 第 2 行已用过这个编号）"
    ]


def test_files_named_in_chinese_with_copies_and_years_are_read_in_name_order(tmp_path):
    """`活动台账 (1).csv` and `activities_2024.csv` are both activities, concatenated in name
    order, each row keeping its file and row number; one note says so."""
    tables = _without("activities")
    folder = write_dataset(tmp_path / "data", tables)
    first, second = copy.deepcopy(SMALL["activities"][0]), copy.deepcopy(SMALL["activities"][0])
    second |= {"id": "A9", "date": "2024-06-01"}
    write_dataset(tmp_path / "one", {"activities": [first]})
    write_dataset(tmp_path / "two", {"activities": [second]})
    (tmp_path / "one" / "activities.csv").rename(folder / "activities_2024.csv")
    (tmp_path / "two" / "activities.csv").rename(folder / "活动台账 (1).csv")
    dataset = load_dataset(folder)
    activities = dataset.tables["activities"]
    assert activities.files == ("activities_2024.csv", "活动台账 (1).csv")
    assert activities.column("id") == ("A1", "A9")
    rows = dataset.sql("SELECT _file, _row, id FROM activities").fetchall()
    assert rows == [("activities_2024.csv", 2, "A1"), ("活动台账 (1).csv", 2, "A9")]
    assert _notes(dataset) == [
        "activities_2024.csv: activities read from 2 files, in this order: activities_2024.csv, 活动台账 (1).csv"
    ]
    assert _notes(dataset, "zh") == [
        "activities_2024.csv：活动台账（activities）由 2 个文件依次合并读取：activities_2024.csv, 活动台账 (1).csv"
    ]


def test_a_file_naming_no_record_type_is_never_ignored_in_silence(tmp_path):
    """A misnamed CSV and sheet are warnings naming the closest record type, so is a spreadsheet
    evalkit cannot read; a Word file, README, a notes sheet, a blank sheet and Excel's lock file
    pass in silence."""
    folder = write_dataset(tmp_path / "data", _without("activities"))
    (folder / "organizations.csv").rename(folder / "党组织台账.csv")
    write_dataset(tmp_path / "other", {"activities": SMALL["activities"]})
    (tmp_path / "other" / "activities.csv").rename(folder / "活动记录表.csv")
    (folder / "说明.docx").write_bytes(b"PK")
    (folder / "走访台账.ods").write_bytes(b"PK")
    (folder / "README.txt").write_text("台账说明", encoding="utf-8")
    (folder / "~$一号支部台账.xlsx").write_bytes(b"lock")
    workbook = Workbook()
    workbook.active.title = "说明"
    workbook.active.append(["填写说明"])
    workbook.create_sheet("Sheet2")
    workbook.create_sheet("活动阵地表").append(["编号"])
    workbook.save(folder / "一号支部台账.xlsx")
    dataset = load_dataset(folder)
    assert dataset.tables["organizations"].files == ("党组织台账.csv",)
    assert len(dataset.tables["activities"]) == 0
    assert _notes(dataset) == [
        "一号支部台账.xlsx#活动阵地表: not read: is it activity_bases (活动阵地)?",
        "活动记录表.csv: not read: is it activities (活动台账)?",
        "走访台账.ods: not read: evalkit reads .csv, .xlsx and .xls files (save it as .xlsx)",
    ]
    assert _notes(dataset, "zh") == [
        "一号支部台账.xlsx#活动阵地表：未读取——是否应为 activity_bases（活动阵地）？",
        "活动记录表.csv：未读取——是否应为 activities（活动台账）？",
        "走访台账.ods：未读取：只读取 .csv、.xlsx、.xls 文件（请另存为 .xlsx）",
    ]
    assert [note.warning for note in dataset.notes] == [True, True, True]


def test_unknown_headers_are_named_with_the_closest_columns(tmp_path):
    """A header that names no column is kept (plugins may read it), with a note on what it is
    closest to; a missing required column says which header it expected."""
    tables = _without("activities")
    folder = write_dataset(tmp_path / "data", tables)
    activities = [
        {k if k != "category" else "活动分类": v for k, v in row.items()} for row in copy.deepcopy(SMALL["activities"])
    ]
    write_dataset(folder, {"activities": activities})
    with pytest.raises(DatasetError) as raised:
        load_dataset(folder)
    assert _notes(raised.value) == [
        "activities.csv: column '活动分类' is not a column of activities: kept, not read by the rules; "
        "did you mean category [活动类型]?"
    ]
    assert _notes(raised.value, "zh") == [
        "activities.csv：“活动分类”不是 活动台账 的列：保留，规则不读取；是否应为“活动类型”？"
    ]
    assert _problems(raised.value) == ["activities.csv:1 [category] expected a column category [活动类型]"]
    assert _problems(raised.value, "zh") == ["activities.csv:1 [category]：应为名为“活动类型”（category）的列"]


def test_a_gbk_csv_with_a_title_row_and_a_section_row(tmp_path):
    """As Excel on a Chinese Windows saves a ledger: GBK, a title row, a quarter heading."""
    folder = write_dataset(tmp_path / "data", _without("activities"))
    lines = [
        "一号支部活动台账,,,,,,,",
        ",".join(HEADER),
        "第一季度,,,,,,,",
        "1,A1,B1,2024/3/5,党员教育,学习会,10,J1",
    ]
    (folder / "活动.csv").write_bytes(("\r\n".join(lines) + "\r\n").encode("gbk"))
    dataset = load_dataset(folder)
    assert dataset.tables["activities"].column("category") == ("member_education",)
    assert dataset.tables["activities"].row_numbers.to_pylist() == [4]
    assert _notes(dataset) == [
        "活动.csv: row 1 above the header (row 2) not read: 一号支部活动台账",
        "活动.csv: section headings not read: row 3",
    ]
    assert _notes(dataset, "zh") == [
        "活动.csv：表头（第 2 行）以上的第 1 行未读取：一号支部活动台账",
        "活动.csv：分节标题行未读取：第 3 行",
    ]


def test_an_xls_workbook_is_read(tmp_path):
    """Excel 97-2003 workbooks (.xls) are read as .xlsx ones are, merged cells too."""
    xlwt = pytest.importorskip("xlwt")
    folder = write_dataset(tmp_path / "data", _without("activities"))
    book = xlwt.Workbook()
    sheet = book.add_sheet("活动台账")
    sheet.write_merge(0, 0, 0, len(HEADER) - 1, "一号支部活动台账")
    for position, header in enumerate(HEADER):
        sheet.write(1, position, header)
    for position, cell in enumerate([1, "A1", "B1", "2024-03-05", "党员教育", "学习会", 10, "J1"]):
        sheet.write(2, position, cell)
    for position, cell in enumerate([2, "A2", None, "2024-03-20", "志愿服务", "社区服务", 8, None]):
        if cell is not None:
            sheet.write(3, position, cell)
    sheet.merge(2, 3, 2, 2)
    book.save(str(folder / "一号支部台账.xls"))
    dataset = load_dataset(folder)
    assert dataset.tables["activities"].column("org_id") == ("B1", "B1")
    assert dataset.tables["activities"].column("participants") == (10, 8)


def test_problems_print_in_chinese_with_the_column_as_typed(tmp_path):
    folder = write_dataset(tmp_path / "data", _without("activities"))
    _ledger(folder, [[1, "A1", "B1", "2024-03-05", "党员教育", "学习会", "十", None]])
    result = run_cli(["validate", str(folder), "--lang", "zh"])
    assert result.exit_code == 2
    assert "  一号支部台账.xlsx#活动台账:3 [参加人数（人）] '十'：应为整数（≥ 0）" in result.stderr.splitlines()


def test_a_lone_cell_in_an_undated_ledger_is_a_record_not_a_section(tmp_path):
    """Only dated ledgers (activities, visits, ...) have quarter headings: a departments row
    holding only `2024` is a department without a name, reported."""
    tables = _without()
    tables["departments"].append({"id": "2024", "name": None})
    folder = write_dataset(tmp_path / "data", tables)
    with pytest.raises(DatasetError) as raised:
        load_dataset(folder)
    assert _problems(raised.value) == ["departments.csv:4 [name] expected a value (text)"]
    assert raised.value.notes == []
