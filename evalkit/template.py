"""`evalkit template`: a blank ledger workbook that loads unchanged once it is filled in.

One sheet per record type, named and headed in the chosen language (the loader takes English and
Chinese names alike), with nothing below the header, so a filled template holds only what was
typed. The cells help the typing; evalkit's validation does the checking: enumerations and
booleans get a drop-down, date columns a date format, and every other text column the text
format, so Excel keeps the id 001 as 001 rather than making it the number 1. Formats are set on
whole columns, not on cells, which keeps the sheets empty. What each column means, whether it
must be filled and an example value are on one sheet of notes, the only place examples appear.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from .errors import UsageError
from .report.xlsx import HEADER_FILL, fit_widths
from .schema import BOOL, DATE, DATETIME, ENUM, INT, PERIOD, SUBJECT_TABLES, Column, RecordType

EXCEL_ROWS = 1_048_576  # drop-downs reach a sheet's last row: no row where they stop working
FORMATS = {DATE: "yyyy-mm-dd", DATETIME: "yyyy-mm-dd hh:mm", INT: "General"}  # any other type: text ("@")
MAX_LIST_FORMULA = 255  # Excel's limit on a drop-down's inline list; a longer one makes it repair the file

WORDS = {
    "en": {
        "notes": "README",
        "title": "Ledger template",
        "intro": "One sheet per ledger: keep its first row (the header) as it is and write one record per row "
        "from row 2 on; a ledger you do not keep may stay empty or be deleted. Drop-downs list the choices; "
        "dates are written 2024-07-03. Examples are on this sheet only. Put the filled workbook in a folder "
        "and run: evalkit check FOLDER --period 2024Q3",
        "headers": ("sheet", "column", "meaning", "what to write", "required", "example"),
        "yes": "yes",
        "no": "no",
        "choose": "Not one of the choices: choose one from the list.",
    },
    "zh": {
        "notes": "说明",
        "title": "台账模板",
        "intro": "每个工作表是一本台账：第一行是表头，请勿改动；从第二行起每行填写一条记录；不用的台账留空或删除即可。"
        "下拉框列出可选值；日期写作 2024-07-03。示例只在本页。填好后把文件放进一个文件夹，"
        "运行：evalkit check 文件夹 --period 2024Q3 --lang zh",
        "headers": ("工作表", "列名", "含义", "填写要求", "必填", "示例"),
        "yes": "是",
        "no": "否",
        "choose": "不是下拉框中的选项：请从下拉框中选择。",
    },
}
ZH_DOCS = {  # RecordType.doc in Chinese
    "organizations": "党组织（组织树）：党工委、综合党委、产业链党委、党支部、联合党支部，每个组织一行。",
    "enterprises": "产业链上的企业，每家企业一行。",
    "departments": "政府部门，每个部门一行。",
    "cadres": "干部名册：部门干部和企业党组织书记。",
    "chain_posts": "产业链党委的岗位（牵头负责人、党建指导员、联络员、强链先锋）由谁担任。",
    "activity_bases": "活动阵地（1+4 中的“1”）。",
    "activities": "党支部和产业链党委开展的活动（1+4 中的“4”），每次活动一行。",
    "meetings": "产业链议事会会议（一季一议、一事一商）。",
    "requests": "企业诉求：企业点单、党委派单、部门接单、办结。",
    "visits": "干部走访企业的记录。",
    "talent": "三培养：骨干培养成党员、党员培养成骨干、党员骨干培养成管理人员。",
    "incidents": "一票否决的事项。",
    "waivers": "经批准免于某条规则检查的事项（豁免）。",
    "calendar": "工作日历：覆盖节假日库的放假日和调休上班日，并补充节假日库没有的年份（按工作日计算时限时使用）。",
    "branch_meetings": "党支部的组织生活（三会一课、主题党日、组织生活会、民主评议党员），每次会议一行；可兼几种类型。",
}
EXAMPLE_IDS = {
    "organizations": "B07",
    "enterprises": "E12",
    "departments": "D03",
    "cadres": "K015",
    "activity_bases": "S02",
    "activities": "A0231",
    "meetings": "M08",
    "requests": "R0412",
    "visits": "V0087",
    "talent": "T05",
    "incidents": "X01",
}
EXAMPLES = {  # "table.column": an example where its type and reference say too little (choices: the code)
    "organizations.name": "食品产业链第一党支部",
    "organizations.kind": "branch",
    "organizations.parent_id": "C01",
    "enterprises.name": "甲食品有限公司",
    "enterprises.employees": "480",
    "departments.name": "投资促进局",
    "cadres.name": "王明",
    "cadres.title": "党支部书记",
    "activity_bases.name": "党群服务中心",
    "activity_bases.address": "创业路 8 号",
    "activities.title": "产业链供需对接会",
    "activities.co_hosts": "B08;J02",
    "activities.evidence": "照片 12 张、签到表",
    "requests.category": "融资",
    "requests.title": "申请技改贷款贴息",
    "requests.status": "resolved",
    "requests.dispatched_by": "C01",
    "requests.batch_id": "P2024-03",
    "requests.reopened_from": "R0398",
    "talent.person": "赵四",
    "incidents.subject_id": "D03",
    "incidents.reason": "推诿企业诉求被通报",
    "waivers.rule": "OPF01",
    "waivers.subject_id": "B07",
    "waivers.reason": "借用会员企业会议室开展活动",
    "waivers.approved_by": "党工委",
    "waivers.expires_on": "2024-09-30",
    "calendar.date": "2024-10-12",
    "calendar.kind": "workday",
    "calendar.note": "国庆节调休上班",
}
TYPE_EXAMPLES = {DATE: "2024-07-03", DATETIME: "2024-07-03 09:30", INT: "12", PERIOD: "2024Q3"}


def template_xlsx(record_types: Sequence[RecordType], lang: str, names: Sequence[str] = ()) -> bytes:
    """The template of `record_types`, or of those `names` names (English or Chinese), in their order."""
    from openpyxl import Workbook

    chosen = _chosen(record_types, names)
    book = Workbook()
    book.active.title = WORDS[lang]["notes"]
    _notes(book.active, chosen, {t.name: t for t in record_types}, lang)
    for record_type in chosen:
        _ledger(book.create_sheet(_title(record_type, lang)), record_type, lang)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _chosen(record_types: Sequence[RecordType], names: Sequence[str]) -> list[RecordType]:
    if not names:
        return list(record_types)
    spellings = {spelling: t.name for t in record_types for spelling in (t.name.lower(), t.zh)}
    unknown = [name for name in names if name.strip().lower() not in spellings]
    if unknown:
        known = ", ".join(f"{t.name} ({t.zh})" for t in record_types)
        raise UsageError(
            f"--record-types: no record type {', '.join(unknown)}; the record types are {known}",
            f"--record-types：没有台账 {'、'.join(unknown)}；可选的台账有 {known}",
        )
    wanted = {spellings[name.strip().lower()] for name in names}
    return [t for t in record_types if t.name in wanted]


def _ledger(sheet, record_type: RecordType, lang: str) -> None:
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    columns = record_type.columns
    sheet.append([_header(column, lang) for column in columns])
    for cell in sheet[1]:
        cell.font, cell.fill = Font(bold=True), PatternFill("solid", fgColor=HEADER_FILL)
    sheet.freeze_panes = "A2"
    fit_widths(sheet, [[_header(c, lang) for c in columns], [_example(record_type, c, lang) for c in columns]])
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        sheet.column_dimensions[letter].number_format = FORMATS.get(column.type, "@")
        formula = '"' + ",".join(_choices(column, lang)) + '"'
        if formula != '""' and len(formula) <= MAX_LIST_FORMULA:
            choose = WORDS[lang]["choose"]
            validation = DataValidation("list", formula1=formula, allow_blank=True, error=choose, errorStyle="warning")
            validation.showErrorMessage = True
            validation.add(f"{letter}2:{letter}{EXCEL_ROWS}")
            sheet.add_data_validation(validation)


def _notes(sheet, chosen: list[RecordType], types: dict[str, RecordType], lang: str) -> None:
    """The sheet of notes: for each record type its meaning, then a row per column."""
    from openpyxl.styles import Font

    words = WORDS[lang]
    sheet.append([words["title"]])
    sheet["A1"].font = Font(bold=True, size=14)
    sheet.append([words["intro"]])
    sheet.append([])
    rows = [(list(words["headers"]), True)]
    for record_type in chosen:
        title = _title(record_type, lang)
        rows.append(([title, "", _doc(record_type, lang)], True))
        for column in record_type.columns:
            required = words["yes"] if column.must_have_value else words["no"]
            meaning, example = _meaning(record_type, column, types, lang), _example(record_type, column, lang)
            rows.append(([title, _header(column, lang), meaning, _kind(column, lang), required, example], False))
    for row, bold in rows:
        sheet.append(row)
        for cell in sheet[sheet.max_row] if bold else ():
            cell.font = Font(bold=True)
    sheet.freeze_panes = "A5"
    fit_widths(sheet, [row for row, _ in rows])


def _doc(record_type: RecordType, lang: str) -> str:
    if lang == "zh" and record_type.name in ZH_DOCS:
        return ZH_DOCS[record_type.name]
    return record_type.doc[:1].upper() + record_type.doc[1:] + "."


def _title(record_type: RecordType, lang: str) -> str:
    return record_type.zh if lang == "zh" else record_type.name


def _header(column: Column, lang: str) -> str:
    return column.zh if lang == "zh" else column.name


def _choices(column: Column, lang: str) -> list[str]:
    """What a drop-down offers: an enumeration's main Chinese labels or codes, a boolean's two values."""
    if column.type == ENUM:
        assert column.enum is not None
        return [labels[0] if lang == "zh" else code for code, labels in column.enum.items()]
    if column.type == BOOL:
        return ["是", "否"] if lang == "zh" else ["true", "false"]
    return []


def _kind(column: Column, lang: str) -> str:
    """What a cell of the column holds, in words."""
    if lang == "zh" and column.type == ENUM:
        return "从下拉框选择：" + "、".join(_choices(column, lang))
    return column.expected(lang)


def _meaning(record_type: RecordType, column: Column, types: dict[str, RecordType], lang: str) -> str:
    parts = []
    subject = record_type.name in SUBJECT_TABLES
    if column.name == record_type.id_column and lang == "zh":
        parts.append("编号，不可重复" + ("；党组织、企业、部门、干部的编号互不相同" if subject else ""))
    elif column.name == record_type.id_column:
        parts.append("unique" + (" across the subject tables" if subject else ""))
    if column.ref and lang == "zh":
        target = types[column.ref.table]
        kinds = [target.column(target.kind_column).enum[kind][0] for kind in column.ref.kinds]
        parts.append(f"{target.zh}表中{'或'.join(kinds)}的编号")
    elif column.ref:
        parts.append(column.ref.describe())
    if column.note:
        parts.append(column.note)
    return ("；" if lang == "zh" else "; ").join(parts)


def _example(record_type: RecordType, column: Column, lang: str) -> str:
    example = EXAMPLES.get(f"{record_type.name}.{column.name}")
    if column.enum:
        code = example or next(iter(column.enum))
        return column.enum[code][0] if lang == "zh" else code
    if example:
        return example
    if column.name == record_type.id_column:
        return EXAMPLE_IDS.get(record_type.name, "")
    if column.ref:
        return "C01" if "chain_committee" in column.ref.kinds else EXAMPLE_IDS.get(column.ref.table, "")
    if choices := _choices(column, lang):
        return choices[0]
    return TYPE_EXAMPLES.get(column.type, "")
