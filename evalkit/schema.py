"""The dataset format as data: record types, their columns, types, Chinese aliases and references.

This table is the single source of the public contract (docs/data-format.md is generated from it
and checked against it by a test). Plugins may add record types of their own with the same classes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

# Column types. An optional column of docs/data-format.md is `required=False` here.
STR, INT, DATE, DATETIME, BOOL, LIST, ENUM, PERIOD = "str", "int", "date", "datetime", "bool", "list", "enum", "period"

#: Every subject (organisation, enterprise, department, cadre) has an id unique across these tables.
SUBJECT_TABLES = ("organizations", "enterprises", "departments", "cadres")
#: The subject kind of the records of each subject table.
TABLE_SUBJECT_KINDS = dict(zip(SUBJECT_TABLES, ("organization", "enterprise", "department", "cadre"), strict=True))

#: Cells longer than this are refused: a ledger never needs them, and they are how a damaged
#: or hostile file would blow up memory.
DEFAULT_MAX_CELL_CHARS = 1_000_000


@dataclass(frozen=True)
class Limits:
    """How much of a file evalkit reads before refusing it, each a command-line option. The
    defaults are far above real ledgers (a province's requests.csv has 2 million rows, a ledger a
    few dozen columns, a workbook's parts inflate about 10 times) and far below what would take
    a machine's memory or hang a run."""

    max_cell_chars: int = DEFAULT_MAX_CELL_CHARS
    max_rows: int = 10_000_000  # per file or sheet, the header not counted
    max_cells_per_row: int = 1_000  # up to a row's last non-blank cell
    max_xlsx_mb: int = 1_024  # a workbook's parts together, uncompressed (MiB)
    max_xlsx_ratio: int = 100  # a part's uncompressed size over its compressed one, for parts over 1 MiB


@dataclass(frozen=True)
class Ref:
    """A column that names a record of another table (optionally only of some kinds)."""

    table: str
    kinds: tuple[str, ...] = ()

    def describe(self) -> str:
        if self.kinds:
            return f"the id of a {' or '.join(self.kinds)} in {self.table}"
        return f"the id of a record in {self.table}"


@dataclass(frozen=True)
class Column:
    """One column of a record type: its English name, Chinese label and what a cell may hold."""

    name: str
    zh: str
    type: str = STR
    required: bool = True
    enum: dict[str, tuple[str, ...]] | None = None  # code -> Chinese labels (first is the main one)
    ref: Ref | None = None
    note: str = ""
    aliases: tuple[str, ...] = ()  # more headers a ledger may spell it with (Chinese)
    nullable: bool = False  # a BOOL whose blank cell is unknown (None), not false: a default applies

    @property
    def must_have_value(self) -> bool:
        """Booleans and lists of ids are never required: a blank cell means false / empty. A list
        of choices (a meeting's kinds) is: a meeting of no kind says nothing."""
        if self.type == LIST and self.enum is not None:
            return self.required
        return self.required and self.type not in (BOOL, LIST)

    def expected(self, lang: str = "en") -> str:
        """What a valid cell of this column looks like, in words a spreadsheet user understands."""
        if self.type == LIST and self.enum is not None:
            if lang == "zh":
                return "以下一项或多项，多项用 ; 分隔：" + "、".join(labels[0] for labels in self.enum.values())
            choices = ", ".join(f"{code} ({labels[0]})" for code, labels in self.enum.items())
            return f"one or more of {choices}, separated by ;"
        if self.type == BOOL and self.nullable:
            return ("true/false, 1/0, yes/no or 是/否 (blank: not stated)", "是/否（空白为未填写）")[lang == "zh"]
        if self.type == ENUM:
            assert self.enum is not None
            if lang == "zh":
                return "以下之一：" + "、".join(labels[0] for labels in self.enum.values())
            choices = ", ".join(f"{code} ({labels[0]})" for code, labels in self.enum.items())
            return f"one of {choices}"
        return _EXPECTED[self.type][lang == "zh"]


#: What a cell of each (non-enumeration) column type holds, in English and Chinese.
_EXPECTED = {
    STR: ("text", "文本"),
    INT: ("a whole number ≥ 0", "整数（≥ 0）"),
    DATE: ("a date YYYY-MM-DD", "日期，如 2024-07-03"),
    DATETIME: ("a date-time YYYY-MM-DD HH:MM", "日期和时间，如 2024-07-03 09:30"),
    BOOL: ("true/false, 1/0, yes/no or 是/否", "是/否（空白为否）"),
    LIST: ("ids separated by ;", "编号，多个用 ; 分隔（空白为无）"),
    PERIOD: ("a year such as 2024 or a quarter such as 2024Q2", "年份如 2024，或季度如 2024Q2"),
}


@dataclass(frozen=True)
class RecordType:
    """A record type: one CSV file or one XLSX sheet named `name`, or `zh`, or one of `aliases`."""

    name: str
    zh: str
    columns: tuple[Column, ...]
    aliases: tuple[str, ...] = ()  # more names of its file or sheet (Chinese)
    id_column: str | None = "id"
    doc: str = ""
    kind_column: str | None = None  # the column other tables' Ref.kinds refer to
    dated_by: str | None = None  # the column that places a record in a period (docs/rules.md)
    _by_name: dict[str, Column] = field(default_factory=dict, compare=False, repr=False)

    def __post_init__(self) -> None:
        self._by_name.update({c.name: c for c in self.columns})

    def column(self, name: str) -> Column:
        return self._by_name[name]


def _enum(*pairs: tuple[str, str]) -> dict[str, tuple[str, ...]]:
    """Build an enum from (code, "label / alternative label") pairs."""
    return {code: tuple(label.split(" / ")) for code, label in pairs}


ORG_KINDS = _enum(
    ("working_committee", "党工委 / 开发区党工委"),
    ("general_committee", "综合党委 / 开发区综合党委"),
    ("chain_committee", "产业链党委"),
    ("branch", "党支部"),
    ("joint_branch", "联合党支部"),
)
#: The organisations that are party branches: each runs the "1+4" method and its organisational life.
BRANCH_KINDS = ("branch", "joint_branch")
SEGMENTS = _enum(("upstream", "上游"), ("midstream", "中游"), ("downstream", "下游"))
SIZES = _enum(("large", "大型"), ("medium", "中型"), ("small", "小型"), ("micro", "微型"))
POST_ROLES = _enum(
    ("leader", "牵头负责人"), ("instructor", "党建指导员"), ("liaison", "联络员"), ("pioneer", "强链先锋")
)
ACTIVITY_CATEGORIES = _enum(
    ("business_collaboration", "业务协作"),
    ("member_education", "党员教育"),
    ("model_publicity", "典型宣传"),
    ("volunteer_service", "志愿服务"),
)
MEETING_KINDS = _enum(("routine", "一季一议 / 日常"), ("ad_hoc", "一事一商 / 要事"))
REQUEST_STATUSES = _enum(
    ("submitted", "已点单"),
    ("dispatched", "已派单"),
    ("accepted", "已接单"),
    ("resolved", "已办结"),
    ("rejected", "已退回"),
    ("withdrawn", "已撤回"),
)
SATISFACTION = _enum(("satisfied", "满意"), ("basically_satisfied", "基本满意"), ("dissatisfied", "不满意"))
TALENT_TRACKS = _enum(
    ("backbone_to_member", "骨干培养成党员"),
    ("member_to_backbone", "党员培养成骨干"),
    ("member_backbone_to_manager", "党员骨干培养成管理人员"),
)
SUBJECT_KINDS = _enum(("department", "部门"), ("cadre", "干部"), ("organization", "党组织"))
CALENDAR_KINDS = _enum(("workday", "上班 / 工作日 / 调休上班"), ("holiday", "放假 / 休息日 / 节假日"))
INCIDENT_CATEGORIES = _enum(
    ("work_safety", "安全生产"),
    ("integrity", "党风廉政建设"),
    ("environment", "节能环保 / 环保节能"),
    ("stability", "综治维稳"),
    ("other", "其他"),
)
CADRE_STATUS_KINDS = _enum(
    ("probation", "试用期"),
    ("leave", "病事假"),
    ("investigation", "立案审查调查"),
    ("warning", "警告处分"),
    ("demerit", "记过处分"),
    ("serious_demerit", "记大过处分"),
    ("demotion", "降级处分"),
    ("dismissal", "撤职处分"),
)
BRANCH_MEETING_KINDS = _enum(
    ("general_meeting", "党员大会 / 支部党员大会 / 党支部党员大会"),
    ("committee_meeting", "支委会 / 支部委员会会议 / 党支部委员会会议"),
    ("group_meeting", "党小组会"),
    ("party_lecture", "党课"),
    ("theme_day", "主题党日"),
    ("life_meeting", "组织生活会"),
    ("member_review", "民主评议党员 / 民主评议"),
)

CHAIN = Ref("organizations", ("chain_committee",))
ORG = Ref("organizations")
ENTERPRISE = Ref("enterprises")
DEPARTMENT = Ref("departments")
CADRE = Ref("cadres")


def _c(name: str, zh: str, type: str = STR, *, opt: bool = False, **kw) -> Column:
    return Column(name, zh, type, required=not opt, **kw)


CORE_RECORD_TYPES: tuple[RecordType, ...] = (
    RecordType(
        "organizations",
        "党组织",
        (
            _c("id", "编号"),
            _c("name", "名称"),
            _c("kind", "类型", ENUM, enum=ORG_KINDS),
            _c("parent_id", "上级组织", opt=True, ref=ORG, note="no cycles; several roots allowed"),
            _c("chain_id", "产业链", opt=True, ref=CHAIN, note="a chain committee names itself"),
            _c("enterprise_id", "所在企业", opt=True, ref=ENTERPRISE, note="the enterprise of a branch"),
            _c("established_on", "成立日期", DATE),
            _c("member_count", "党员人数", INT),
            _c(
                "has_committee",
                "设支委会",
                BOOL,
                opt=True,
                nullable=True,
                note="blank or absent: yes when member_count ≥ 7 (branch_life)",
            ),
            _c("party_groups", "党小组数", INT, opt=True, note="blank: 0 (branch_life)"),
        ),
        doc="party organisations (the tree)",
        aliases=("组织", "党组织台账"),
        kind_column="kind",
    ),
    RecordType(
        "enterprises",
        "企业",
        (
            _c("id", "编号"),
            _c("name", "企业名称"),
            _c("chain_id", "产业链", ref=CHAIN),
            _c("segment", "环节", ENUM, opt=True, enum=SEGMENTS),
            _c("size", "规模", ENUM, enum=SIZES),
            _c("chain_leader", "链主", BOOL),
            _c("employees", "职工人数", INT),
            _c("party_members", "党员人数", INT),
            _c("party_org_id", "所属党组织", opt=True, ref=Ref("organizations", BRANCH_KINDS)),
        ),
        doc="chain enterprises",
        aliases=("企业台账", "链上企业"),
    ),
    RecordType(
        "departments",
        "部门",
        (_c("id", "编号"), _c("name", "部门名称")),
        doc="government departments",
    ),
    RecordType(
        "cadres",
        "干部",
        (
            _c("id", "编号"),
            _c("name", "姓名"),
            _c("department_id", "所在部门", opt=True, ref=DEPARTMENT),
            _c("enterprise_id", "所在企业", opt=True, ref=ENTERPRISE),
            _c("title", "职务", opt=True),
            _c("party_member", "是否党员", BOOL),
        ),
        doc="officials and enterprise party secretaries",
        aliases=("干部名册",),
    ),
    RecordType(
        "chain_posts",
        "产业链岗位",
        (
            _c("chain_id", "产业链", ref=CHAIN),
            _c("role", "岗位", ENUM, enum=POST_ROLES),
            _c("cadre_id", "人员", ref=CADRE),
            _c("since", "任职日期", DATE),
        ),
        id_column=None,
        doc="who staffs each chain committee",
        aliases=("链上岗位",),
    ),
    RecordType(
        "activity_bases",
        "活动阵地",
        (
            _c("id", "编号"),
            _c("name", "阵地名称"),
            _c("org_id", "所属组织", ref=ORG),
            _c("address", "地址", opt=True),
            _c("opened_on", "启用日期", DATE),
        ),
        doc='activity venues (the "1" of 1+4)',
    ),
    RecordType(
        "activities",
        "活动台账",
        (
            _c("id", "编号"),
            _c("org_id", "组织单位", ref=ORG, note="the organiser", aliases=("主办单位", "党组织")),
            _c("date", "活动日期", DATE, aliases=("活动时间", "日期")),
            _c("category", "活动类型", ENUM, enum=ACTIVITY_CATEGORIES, aliases=("活动类别", "类别")),
            _c("title", "活动主题", aliases=("活动名称", "活动内容", "主题")),
            _c("base_id", "活动阵地", opt=True, ref=Ref("activity_bases"), aliases=("阵地",)),
            _c("participants", "参加人数", INT, aliases=("参与人数", "人数")),
            _c(
                "co_hosts",
                "联办单位",
                LIST,
                ref=ORG,
                note="counts for each co-host too",
                aliases=("联合开展单位", "协办单位"),
            ),
            _c("evidence", "佐证材料", opt=True, aliases=("佐证", "附件")),
        ),
        doc='branch and chain activities (the "4" of 1+4)',
        aliases=("活动",),
        dated_by="date",
    ),
    RecordType(
        "meetings",
        "议事会议",
        (
            _c("id", "编号"),
            _c("chain_id", "产业链", ref=CHAIN),
            _c("date", "会议日期", DATE),
            _c("kind", "会议类型", ENUM, enum=MEETING_KINDS),
            _c("issues_raised", "议定事项", INT),
            _c("issues_resolved", "解决事项", INT, note="at most issues_raised"),
        ),
        doc="chain council meetings (议事会)",
        aliases=("联席会议", "议事会"),
        dated_by="date",
    ),
    RecordType(
        "requests",
        "企业诉求",
        (
            _c("id", "编号"),
            _c("enterprise_id", "企业", ref=ENTERPRISE),
            _c("category", "诉求类别"),
            _c("title", "诉求内容"),
            _c("submitted_at", "点单时间", DATETIME),
            _c("dispatched_at", "派单时间", DATETIME, opt=True, note="≥ submitted_at"),
            _c("dispatched_by", "派单组织", opt=True, ref=ORG),
            _c("department_id", "承办部门", opt=True, ref=DEPARTMENT, note="required once dispatched"),
            _c("accepted_at", "接单时间", DATETIME, opt=True, note="≥ dispatched_at"),
            _c("cadre_id", "承办人", opt=True, ref=CADRE),
            _c("due_on", "办结时限", DATE, opt=True, note="default: dispatch date + the pack's time limit"),
            _c("resolved_at", "办结时间", DATETIME, opt=True, note="≥ accepted_at"),
            _c("status", "状态", ENUM, enum=REQUEST_STATUSES),
            _c("satisfaction", "满意度", ENUM, opt=True, enum=SATISFACTION),
            _c("key_project", "专项推进", BOOL),
            _c("batch_id", "集中办理批次", opt=True),
            _c("reopened_from", "重复诉求", opt=True, ref=Ref("requests"), note="an earlier request repeated"),
        ),
        doc="enterprise service requests (点单 → 派单 → 接单)",
        aliases=("诉求台账", "点单台账", "诉求"),
        dated_by="dispatched_at",
    ),
    RecordType(
        "visits",
        "走访台账",
        (
            _c("id", "编号"),
            _c("cadre_id", "走访人", ref=CADRE),
            _c("enterprise_id", "走访企业", ref=ENTERPRISE),
            _c("date", "走访日期", DATE),
            _c("policies_delivered", "发放政策数", INT),
            _c("needs_recorded", "收集诉求数", INT),
        ),
        doc="cadres' visits to enterprises",
        aliases=("走访",),
        dated_by="date",
    ),
    RecordType(
        "talent",
        "三培养",
        (
            _c("id", "编号"),
            _c("person", "姓名"),
            _c("enterprise_id", "企业", ref=ENTERPRISE),
            _c("track", "培养方向", ENUM, enum=TALENT_TRACKS),
            _c("date", "完成日期", DATE),
            _c("mentor_id", "培养联系人", opt=True, ref=CADRE),
        ),
        doc="the three cultivations (三培养)",
        aliases=("人才培养",),
        dated_by="date",
    ),
    RecordType(
        "incidents",
        "否决事项",
        (
            _c("id", "编号"),
            _c("subject_kind", "对象类型", ENUM, enum=SUBJECT_KINDS),
            _c("subject_id", "对象", note="a department, cadre or organisation, as subject_kind says"),
            _c("date", "发生日期", DATE),
            _c("reason", "事由"),
            _c("category", "类别", ENUM, opt=True, enum=INCIDENT_CATEGORIES, note="blank: other"),
        ),
        doc="facts that veto a grade (一票否决)",
        dated_by="date",
    ),
    RecordType(
        "waivers",
        "豁免",
        (
            _c("rule", "规则", note="a rule id of a loaded pack"),
            _c("subject_id", "对象", note="any subject id"),
            _c("period", "期间", PERIOD, opt=True, note="2024, 2024Q2, or empty for always"),
            _c("reason", "理由"),
            _c("approved_by", "审批人"),
            _c("approved_on", "审批日期", DATE, opt=True, note="a pack's max_waiver_days counts from it"),
            _c(
                "expires_on",
                "到期日",
                DATE,
                opt=True,
                note="the last day it holds: it waives a finding whose period ends by then; blank: never expires",
            ),
        ),
        id_column=None,
        doc="approved exemptions from a compliance rule",
        aliases=("豁免审批",),
    ),
    RecordType(
        "calendar",
        "工作日历",
        (
            _c("date", "日期", DATE, note="one row per date"),
            _c("kind", "类型", ENUM, enum=CALENDAR_KINDS),
            _c("note", "说明", opt=True, note="e.g. 国庆节调休"),
        ),
        id_column=None,
        doc="working days overriding the holiday library, and covering a year it lacks (time limits in working days)",
        aliases=("日历", "节假日安排"),
    ),
    RecordType(
        "cadre_status",
        "干部考核状态",
        (
            _c("id", "编号"),
            _c("cadre_id", "干部", ref=CADRE),
            _c("kind", "类型", ENUM, enum=CADRE_STATUS_KINDS),
            _c("from_date", "开始日期", DATE),
            _c("to_date", "结束日期", DATE, opt=True, note="≥ from_date; blank: still in force"),
            _c("note", "说明", opt=True),
        ),
        doc="a cadre's probation, leave, investigation or sanction, in force from from_date to to_date",
    ),
    RecordType(
        "branch_meetings",
        "组织生活台账",
        (
            _c("id", "编号"),
            _c("org_id", "党组织", ref=Ref("organizations", BRANCH_KINDS)),
            _c("date", "日期", DATE),
            _c("kind", "类型", LIST, enum=BRANCH_MEETING_KINDS, note="a meeting may be several kinds at once"),
            _c("title", "主题", opt=True),
            _c("voting_present", "到会有表决权党员数", INT, opt=True),
            _c("voting_members", "应到会有表决权党员数", INT, opt=True),
            _c("evidence", "佐证材料", opt=True),
        ),
        doc="a branch's organisational life (三会一课, 主题党日, 组织生活会, 民主评议党员)",
        aliases=("组织生活",),
        dated_by="date",
    ),
)
