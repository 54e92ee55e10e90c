"""`evalkit template`: the blank workbook, its notes sheet, and that a filled-in template loads unchanged."""

from __future__ import annotations

from datetime import date, datetime

import pytest
from openpyxl import load_workbook

from evalkit.schema import BOOL, CORE_RECORD_TYPES, DATE, DATETIME, ENUM, LIST
from evalkit.session import Session
from evalkit.testing import run_cli, write_dataset

ZH_SHEETS = (
    "党组织 企业 部门 干部 产业链岗位 活动阵地 活动台账 议事会议 企业诉求 走访台账 三培养 否决事项 豁免 "
    "工作日历 干部考核状态 组织生活台账"
).split()
ACTIVITIES = next(record_type for record_type in CORE_RECORD_TYPES if record_type.name == "activities")


def _template(path, *options: str):
    """The workbook `evalkit template --output PATH OPTIONS` writes."""
    result = run_cli(["template", "--output", str(path), *options])
    assert (result.exit_code, result.stderr) == (0, "")
    return load_workbook(path)


def _validation(sheet, column: str) -> tuple[str, str]:
    """The sqref and list of the drop-down of the sheet's `column` (a letter)."""
    [validation] = [v for v in sheet.data_validations.dataValidation if str(v.sqref).startswith(f"{column}2:")]
    return str(validation.sqref), validation.formula1


def test_zh_template_sheets_headers_drop_downs_and_formats(tmp_path):
    book = _template(tmp_path / "模板.xlsx", "--lang", "zh")
    assert book.sheetnames == ["说明", *ZH_SHEETS]
    activities = book["活动台账"]
    headers = [cell.value for cell in activities[1]]
    assert headers == "编号 组织单位 活动日期 活动类型 活动主题 活动阵地 参加人数 联办单位 佐证材料".split()
    assert activities["A1"].font.bold and activities.freeze_panes == "A2"
    assert _validation(activities, "D") == ("D2:D1048576", '"业务协作,党员教育,典型宣传,志愿服务"')
    formats = {letter: activities.column_dimensions[letter].number_format for letter in "ACG"}
    assert formats == {"A": "@", "C": "yyyy-mm-dd", "G": "General"}  # an id stays text: 001 is not 1
    assert activities.column_dimensions["E"].width > activities.column_dimensions["A"].width
    assert _validation(book["企业"], "F") == ("F2:F1048576", '"是,否"')  # 链主
    assert book["企业诉求"].column_dimensions["E"].number_format == "yyyy-mm-dd hh:mm"  # 点单时间
    assert all(book[name].max_row == 1 for name in ZH_SHEETS), "no example rows in the ledgers"


def test_en_template_uses_names_and_codes(tmp_path):
    book = _template(tmp_path / "template.xlsx")
    assert book.sheetnames == ["README", *(record_type.name for record_type in CORE_RECORD_TYPES)]
    activities = book["activities"]
    assert [cell.value for cell in activities[1]] == [column.name for column in ACTIVITIES.columns]
    assert (
        _validation(activities, "D")[1] == '"business_collaboration,member_education,model_publicity,volunteer_service"'
    )
    assert _validation(book["enterprises"], "F")[1] == '"true,false"'


def _notes_row(sheet, title: str, header: str) -> list:
    return next(
        [cell.value for cell in row] for row in sheet.iter_rows() if row[0].value == title and row[1].value == header
    )


def test_notes_sheet_says_what_each_column_means_with_an_example(tmp_path):
    notes = _template(tmp_path / "模板.xlsx", "--lang", "zh")["说明"]
    assert notes["A1"].value == "台账模板"
    assert [cell.value for cell in notes[4]] == ["工作表", "列名", "含义", "填写要求", "必填", "示例"]
    assert _notes_row(notes, "活动台账", None)[2] == "党支部和产业链党委开展的活动（1+4 中的“4”），每次活动一行。"
    category = _notes_row(notes, "活动台账", "活动类型")
    assert category == [
        "活动台账",
        "活动类型",
        None,
        "从下拉框选择：业务协作、党员教育、典型宣传、志愿服务",
        "是",
        "业务协作",
    ]
    chain = _notes_row(notes, "企业", "产业链")
    assert chain == ["企业", "产业链", "党组织表中产业链党委的编号", "文本", "是", "C01"]
    assert _notes_row(notes, "活动台账", "联办单位")[2:] == [
        "党组织表中的编号；counts for each co-host too",
        "编号，多个用 ; 分隔（空白为无）",
        "否",
        "B08;J02",
    ]
    readme = _template(tmp_path / "template.xlsx")["README"]
    date_column = _notes_row(readme, "activities", "date")
    assert date_column == ["activities", "date", None, "a date YYYY-MM-DD", "yes", "2024-07-03"]
    assert _notes_row(readme, "organizations", "kind")[5] == "branch"


def test_record_types_limits_the_sheets(tmp_path):
    book = _template(tmp_path / "模板.xlsx", "--record-types", "activities，党组织", "--lang", "zh")
    assert book.sheetnames == ["说明", "党组织", "活动台账"]  # the dataset format's order
    assert {row[0].value for row in book["说明"].iter_rows(min_row=5)} == {"党组织", "活动台账"}


def test_unknown_record_type_is_refused_with_the_known_ones(tmp_path):
    result = run_cli(["template", "--output", str(tmp_path / "t.xlsx"), "--record-types", "activities,meeting"])
    assert result.exit_code == 2
    assert "no record type meeting; the record types are organizations (党组织), " in result.stderr
    assert not (tmp_path / "t.xlsx").exists()


def test_output_must_be_a_new_xlsx_file(tmp_path):
    result = run_cli(["template", "--output", str(tmp_path / "t.csv"), "--lang", "zh"])
    assert result.exit_code == 2 and "模板是 Excel 工作簿，请指定 .xlsx 文件名" in result.stderr
    filled = tmp_path / "台账.xlsx"
    filled.write_bytes(b"a filled-in ledger")
    result = run_cli(["template", "--output", str(filled)])
    assert result.exit_code == 2 and "exists, and may be a filled-in ledger" in result.stderr
    assert filled.read_bytes() == b"a filled-in ledger"
    assert run_cli(["template"]).exit_code == 2  # --output is required


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_blank_template_validates(tmp_path, lang):
    folder = tmp_path / "ledgers"
    folder.mkdir()
    _template(folder / "台账.xlsx", "--lang", lang)
    result = run_cli(["validate", str(folder)])
    assert result.exit_code == 0, result.stderr
    assert "valid (organizations 0, " in result.stdout


def _fill(path, lang: str, tables: dict[str, list[dict]]) -> None:
    """Type `tables` (records as the test data spells them: codes, true/false) into the template at
    `path` as a secretary would: choices and booleans as the drop-downs offer them, dates as date cells."""
    book = load_workbook(path)
    for record_type in CORE_RECORD_TYPES:
        sheet = book[record_type.zh if lang == "zh" else record_type.name]
        position = {(c.zh if lang == "zh" else c.name): c for c in record_type.columns}
        columns = {index: position[cell.value] for index, cell in enumerate(sheet[1], start=1)}
        for row, record in enumerate(tables.get(record_type.name, []), start=2):
            for index, column in columns.items():
                value = record.get(column.name)
                if value is None:
                    continue
                if column.type == ENUM and lang == "zh":
                    value = column.enum[value][0]
                elif column.type == BOOL:
                    value = {"en": ("false", "true"), "zh": ("否", "是")}[lang][value]
                elif column.type == DATE:
                    value = date.fromisoformat(value)
                elif column.type == DATETIME:
                    value = datetime.fromisoformat(value)
                elif column.type == LIST:
                    value = ";".join(value)
                sheet.cell(row, index, value)
    book.save(path)


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_filled_template_loads_as_the_same_records_in_csv_files(tmp_path, small, lang):
    folder = tmp_path / "ledgers"
    folder.mkdir()
    _template(folder / "台账.xlsx", "--lang", lang)
    _fill(folder / "台账.xlsx", lang, small)
    session = Session(autoload=False)
    from_template = session.load(folder)
    from_csv = session.load(write_dataset(tmp_path / "csv", small))
    for record_type in CORE_RECORD_TYPES:
        rows = [dict(row) for row in from_template[record_type.name]]
        assert rows == [dict(row) for row in from_csv[record_type.name]], record_type.name


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_branch_self_check_on_a_filled_template(tmp_path, small, lang):
    """B1 (a branch of chain committee C1, whose base S1 it may use) holds a volunteer service and a
    member education in 2024Q3 and nothing else: OPF01, OPF03 and OPF05 pass, OPF02 and OPF04 fail.
    Its organisational life sheet (组织生活台账) is left with its header: a ledger kept, and empty, so
    B1 (12 members: a committee) held no general meeting, committee meeting, lecture or theme day
    (LIFE01, 02, 04, 05 fail) and no general meeting gave voting counts (LIFE08 skips)."""
    q3 = {"org_id": "B1", "base_id": "S1", "participants": 20, "co_hosts": [], "evidence": None}
    small["activities"] += [
        {**q3, "id": "A7", "date": "2024-07-03", "category": "volunteer_service", "title": "走访困难职工"},
        {**q3, "id": "A8", "date": "2024-08-15", "category": "member_education", "title": "专题党课"},
    ]
    folder = tmp_path / "ledgers"
    folder.mkdir()
    _template(folder / "台账.xlsx", "--lang", lang)
    _fill(folder / "台账.xlsx", lang, small)
    result = run_cli(["check", str(folder), "--period", "2024Q3", "--subject", "B1", "--format", "json"])
    assert result.exit_code == 1, result.stderr
    findings = {finding["rule"]: (finding["status"], finding["evidence"]) for finding in result.json["findings"]}
    assert findings == {
        "OPF01": ("pass", ["S1"]),
        "OPF02": ("fail", []),
        "OPF03": ("pass", ["A8"]),
        "OPF04": ("fail", []),
        "OPF05": ("pass", ["A7"]),
        "LIFE01": ("fail", []),
        "LIFE02": ("fail", []),
        "LIFE04": ("fail", []),
        "LIFE05": ("fail", []),
        "LIFE08": ("skip", []),
    }
