"""Generate the sample dataset: one year (2024) of a development zone's chain party work.

The data are modelled on the article about the zone's three industrial-chain party
committees (食品饮料, 生物医药, 高端装备): about 40 enterprise branches (25 of them new),
three joint branches, 220 chain enterprises, eight government departments and their cadres,
and a year of 1+4 activities, council meetings, service requests (点单 → 派单 → 接单),
visits and talent cultivation, exported in February 2025. The files follow the dataset
contract (docs/data-format.md) and show its format features: English-header CSV, Chinese-header CSV
with a BOM and Chinese labels, and an XLSX workbook. The data carry deliberate gaps
(listed in README.md) so that every default rule has something to find, and the
departments' and cadres' service quality differs so that grades spread.

The script is deterministic: the same seed writes byte-identical files.

    python sample_data/generate.py [--seed 2024] [--out DIR]
"""

from __future__ import annotations

import argparse
import csv
import io
import random
import zipfile
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path

from openpyxl import Workbook
from openpyxl.writer.excel import ExcelWriter

DEFAULT_SEED = 2024
YEAR = 2024
YEAR_START = date(YEAR, 1, 1)
YEAR_END = date(YEAR, 12, 31)
EXPORTED_AT = datetime(2025, 2, 10, 9, 0)  # what has not happened by then is not in the data
ZIP_ENTRY_TIME = (2025, 2, 10, 9, 0, 0)

# Sizes
N_BRANCHES = 40  # B01..B40, B01-B03 in the chain leaders
N_OLD_BRANCHES = 15  # B01..B15 predate the 一企一支部 drive; B16..B40 are its 25 new ones
N_ACTIVITIES = 500
N_REQUESTS = 480  # plain requests of 2024, besides batches, repeats and the edges of the year
N_REQUESTS_CARRIED_IN = 5  # submitted in late December 2023, dispatched in January 2024
N_REQUESTS_OF_2023 = 3  # dispatched and handled in December 2023
N_REQUESTS_OF_2025 = 30  # submitted in the three weeks before the export
N_REQUESTS_PENDING = 5  # submitted over the weekend before the export (Monday 10 February, 09:00)
N_REPEATS = 8  # requests that repeat (reopened_from) an earlier resolved one
N_VISITS = 350
N_VISITED_ENTERPRISES = 192  # the article: 走访企业190余家, 发放政策200余份
N_POLICY_PACKAGES = 215
TALENT_TRACKS = {
    "backbone_to_member": 27,
    "member_backbone_to_manager": 52,
    "member_to_backbone": 15,
}
MENTORED_SHARE = 0.4


@dataclass(frozen=True)
class Chain:
    id: str
    name: str
    established_on: date
    enterprises: int
    leader_title: str  # title of the zone leader who heads the chain
    instructor_department: str  # the department whose deputy head is the instructor
    industries: tuple[str, ...]


CHAINS = (
    Chain(
        id="C1",
        name="食品饮料产业链党委",
        established_on=date(2022, 6, 15),
        enterprises=88,
        leader_title="开发区党工委副书记",
        instructor_department="D1",
        industries=("食品", "食品科技", "饮料", "乳业", "粮油", "调味品", "烘焙食品", "冷链物流"),
    ),
    Chain(
        id="C2",
        name="生物医药产业链党委",
        established_on=date(2022, 9, 1),
        enterprises=60,
        leader_title="开发区党工委委员、管委会副主任",
        instructor_department="D5",
        industries=("生物医药", "制药", "生物科技", "医疗器械", "中药饮片", "药用辅料", "检测技术"),
    ),
    Chain(
        id="C3",
        name="高端装备产业链党委",
        established_on=date(2023, 2, 20),
        enterprises=72,
        leader_title="开发区党工委委员、管委会副主任",
        instructor_department="D2",
        industries=("智能装备", "机械制造", "精密机械", "数控设备", "液压机械", "电气设备", "汽车零部件"),
    ),
)
CHAIN_IDS = tuple(chain.id for chain in CHAINS)
LATE_POSTS = {("C3", "liaison"): date(2024, 7, 1)}  # vacant until then: CHN02 fails Q1-Q2

# Branches set up during 2024 (B29 and B30 exactly on 1 January, so checked all year);
# a branch is not checked in the quarters that began before it existed.
BRANCHES_OF_2024 = {
    "B29": date(2024, 1, 1),
    "B30": date(2024, 1, 1),
    "B31": date(2024, 5, 10),
    "B32": date(2024, 2, 26),
    "B33": date(2024, 4, 1),
    "B34": date(2024, 3, 18),
    "B35": date(2024, 6, 28),
    "B36": date(2024, 7, 1),
    "B37": date(2024, 8, 15),
    "B38": date(2024, 1, 2),
    "B39": date(2024, 4, 20),
    "B40": date(2024, 9, 12),
}
DRIVE_START = date(2023, 10, 9)  # the 一企一支部 drive; B16..B28 date from its first months


@dataclass(frozen=True)
class JointBranch:
    id: str
    name: str
    parent_id: str
    chain_id: str | None
    established_on: date
    small_members: dict[str, int]  # chain -> enterprises with 1-2 members it covers
    eligible_enterprise_chain: str | None  # chain of an enterprise with >= 3 members it covers (COV01)


JOINT_BRANCHES = (
    JointBranch(
        id="J1",
        name="食品饮料产业链第一联合党支部",
        parent_id="C1",
        chain_id="C1",
        established_on=date(2023, 4, 18),
        small_members={"C1": 10},
        eligible_enterprise_chain="C1",
    ),
    JointBranch(  # under the general committee, which has no base: OPF01 fails (waived)
        id="J2",
        name="开发区综合党委小微企业联合党支部",
        parent_id="G1",
        chain_id=None,
        established_on=date(2023, 9, 6),
        small_members={"C1": 3, "C2": 3, "C3": 3},
        eligible_enterprise_chain="C3",
    ),
    JointBranch(  # its own base opens only in October
        id="J3",
        name="开发区综合党委科创企业联合党支部",
        parent_id="G1",
        chain_id=None,
        established_on=date(2024, 6, 12),
        small_members={"C2": 5, "C3": 4},
        eligible_enterprise_chain=None,
    ),
)
UNCOVERED_SMALL = ("C2", "C3")  # chains of enterprises with 1-2 members and no organisation


@dataclass(frozen=True)
class Base:
    id: str
    name: str
    org_id: str
    opened_on: date | None  # None: an old base, opened some time before 2023


BASES = (
    Base("Z01", "食品饮料产业链党群服务中心", "C1", date(2022, 9, 28)),
    Base("Z02", "生物医药产业链红色驿站", "C2", date(2022, 12, 16)),
    Base("Z03", "高端装备产业链党建活动室", "C3", date(2023, 5, 12)),
    Base("Z04", "链主企业党员活动室", "B01", None),
    Base("Z05", "链主企业党员活动室", "B02", None),
    Base("Z06", "党员之家", "B12", date(2024, 11, 18)),
    Base("Z07", "科创企业联合党支部活动室", "J3", date(2024, 10, 8)),  # late: OPF01 Q3
)
ROADS = ("创新路", "致远街", "汇鑫路", "兴业大道", "科创路", "安澜街", "富民路", "济北大道")


@dataclass(frozen=True)
class Department:
    id: str
    name: str
    cadres: int
    accept_share: float  # requests accepted within 24 h
    late_accept_hours: tuple[float, float]
    on_time_share: float
    dissatisfied_share: float
    stall_share: float  # requests that sit for weeks or months
    visited: int  # distinct enterprises its cadres visit (the target is 20)


DEPARTMENTS = (
    Department("D1", "投资促进局", 6, 0.97, (25, 40), 0.96, 0.02, 0.0, 40),
    Department("D2", "经济发展局", 5, 0.95, (25, 40), 0.93, 0.03, 0.0, 36),
    Department("D3", "财政局", 5, 0.86, (25, 48), 0.82, 0.08, 0.02, 22),
    Department("D4", "发展和改革局", 5, 0.88, (25, 40), 0.85, 0.06, 0.01, 26),
    Department("D5", "科技局", 5, 0.98, (25, 36), 0.96, 0.02, 0.0, 34),
    Department("D6", "市场监督管理局", 5, 0.82, (26, 50), 0.78, 0.12, 0.03, 16),
    Department("D7", "人力资源和社会保障局", 5, 0.94, (25, 40), 0.91, 0.04, 0.0, 38),
    Department("D8", "行政审批服务局", 4, 0.42, (30, 64), 0.58, 0.22, 0.06, 12),
)
DEPARTMENT_BY_ID = {department.id: department for department in DEPARTMENTS}
CADRE_TITLES = ("局长", "副局长", "综合科科长", "业务科科长", "一级主任科员", "一级科员")
NON_MEMBER_CADRES = ("K005", "K020", "K030")

# Request categories: the department that handles them, their weight, typical titles.
REQUEST_CATEGORIES = {
    "finance": (
        "D3",
        15,
        ("申请流动资金贷款贴息", "咨询科创金融服务驿站融资对接", "申领稳岗扩产奖补资金", "办理政府采购合同融资"),
    ),
    "talent": (
        "D7",
        15,
        ("招聘一线技术工人", "申请引进博士人才安家补贴", "协调“共享用工”调剂岗位", "组织职工职业技能等级认定"),
    ),
    "land": ("D1", 6, ("协调项目二期建设用地", "申请租赁标准厂房", "解决厂区道路用地边界问题")),
    "investment": ("D1", 5, ("对接上下游配套企业落户", "协调新上生产线项目签约")),
    "permits": ("D8", 13, ("办理建设工程规划许可", "办理排污许可变更", "申请施工许可并联审批", "办理食品经营许可变更")),
    "policy": ("D2", 10, ("咨询工业企业技术改造奖补政策", "申报专精特新中小企业", "咨询“惠企政策包”兑现流程")),
    "utilities": ("D2", 5, ("协调工业用电增容", "解决厂区天然气接入", "协调污水管网接入")),
    "project": ("D4", 9, ("办理技改项目备案", "申报省重点建设项目", "协调项目能评审查")),
    "technology": ("D5", 11, ("申报高新技术企业认定", "对接高校院所联合攻关", "申报科技计划项目", "建设企业技术中心")),
    "market": ("D6", 11, ("办理商标注册指导", "申请产品质量检验检测服务", "咨询团体标准制定", "办理计量器具检定")),
}
COMPLEX_CATEGORIES = ("land", "project")  # often given a longer, explicit due date
DEFAULT_DUE_DAYS = 10
KEY_PROJECT_DUE_DAYS = 7
COMPLEX_DUE_DAYS = 30


@dataclass(frozen=True)
class Batch:
    id: str
    category: str  # and so the department
    title: str
    first_submitted: date
    size: int
    twist: str | None  # one_open, one_withdrawn or two_cadres; None for a plain batch


BATCHES = (
    Batch("BT01", "talent", "申请高校毕业生就业见习补贴", date(2024, 3, 11), 4, None),
    Batch("BT02", "finance", "申报中小微企业贷款贴息", date(2024, 4, 8), 3, None),
    Batch("BT03", "permits", "办理食品生产许可证延续", date(2024, 5, 20), 3, "one_open"),
    Batch("BT04", "technology", "申报科技型中小企业评价入库", date(2024, 6, 3), 4, None),
    Batch("BT05", "talent", "申请职业技能培训补贴", date(2024, 7, 15), 4, "one_withdrawn"),
    Batch("BT06", "land", "协调园区标准厂房租赁", date(2024, 8, 26), 2, "two_cadres"),
    Batch("BT07", "utilities", "申请工业用电报装增容", date(2024, 9, 9), 3, None),
    Batch("BT08", "finance", "申领首台（套）装备保险补偿资金", date(2024, 11, 4), 2, None),
)
REPEAT_WEIGHTS = {"D8": 4, "D6": 3, "D3": 2}  # repeats come back more where service is weak

CATEGORIES = (
    "business_collaboration",
    "member_education",
    "model_publicity",
    "volunteer_service",
)
CATEGORY_LABELS = {
    "business_collaboration": "业务协作",
    "member_education": "党员教育",
    "model_publicity": "典型宣传",
    "volunteer_service": "志愿服务",
}
ACTIVITY_TITLES = {
    "business_collaboration": (
        "供应链上下游对接会",
        "“共享用工”交流会",
        "银企对接进园区",
        "链上企业福利产品互换互购",
        "产学研合作洽谈会",
        "安全生产经验交流会",
    ),
    "member_education": (
        "主题党日：学习党的二十届三中全会精神",
        "党纪学习教育专题党课",
        "“三会一课”集中学习",
        "红色教育基地参观学习",
        "党员冬训专题学习",
    ),
    "model_publicity": (
        "“强链先锋”事迹宣讲",
        "优秀党员技术骨干分享会",
        "“党员先锋岗”评选表彰",
        "劳模工匠进企业",
        "身边好人好事宣讲",
    ),
    "volunteer_service": (
        "“一起益企”志愿服务",
        "社区环境整治志愿活动",
        "无偿献血志愿活动",
        "关爱一线职工送清凉",
        "防汛保供志愿服务",
    ),
}
CHAIN_ACTIVITY_CATEGORIES = ("business_collaboration", "volunteer_service")  # each quarter
ZONE_EXCHANGE_MONTHS = range(2, 13)  # 交流对接活动 (10余场) of the general committee
CO_HOST_SIZES = ((1, 2, 3), (0.6, 0.25, 0.15))  # organiser plus 0-2 co-hosting branches
EVIDENCE_KINDS = ("会议纪要.pdf", "活动照片.zip", "签到表.jpg")

# A branch-quarter-category listed here has no activity: the OPF findings to expect.
ACTIVITY_GAPS = frozenset(
    {
        # one quarter missed each: findings, no rectification
        ("B03", 2, "model_publicity"),
        ("B07", 3, "volunteer_service"),
        ("B11", 1, "business_collaboration"),
        ("B14", 4, "member_education"),
        ("B18", 1, "volunteer_service"),
        ("B22", 3, "model_publicity"),
        ("B25", 2, "business_collaboration"),
        ("B28", 4, "volunteer_service"),
        ("B33", 3, "model_publicity"),
        ("B36", 4, "member_education"),
        # two or more quarters missed: OPF10 rectification
        ("B09", 1, "volunteer_service"),
        ("B09", 2, "volunteer_service"),
        ("B16", 1, "model_publicity"),
        ("B16", 3, "model_publicity"),
        ("B16", 3, "business_collaboration"),
        ("B27", 2, "volunteer_service"),
        ("B27", 3, "volunteer_service"),
        ("B27", 4, "volunteer_service"),
        ("J1", 1, "member_education"),
        ("J1", 4, "model_publicity"),
    }
)
# The only activity of its kind in its quarter, held on a quarter's edge.
EDGE_ACTIVITY_DATES = {
    ("B02", "member_education"): date(2024, 3, 31),
    ("B05", "volunteer_service"): date(2024, 6, 30),
    ("B11", "business_collaboration"): date(2024, 4, 1),  # the day after its Q1 gap
    ("B20", "business_collaboration"): date(2024, 9, 30),
    ("B14", "model_publicity"): date(2024, 12, 31),
}

# Council meetings (the article: 6 routine + 1 urgent, 11 key issues resolved).
MEETINGS = (
    ("M01", "C1", date(2024, 3, 28), "routine", 2, 2, "年度工作计划与链上资源共享清单"),
    ("M02", "C2", date(2024, 5, 16), "routine", 3, 2, "高校院所合作与博士后创新实践基地"),
    ("M03", "C1", date(2024, 6, 26), "routine", 1, 1, "“共享用工”交流机制"),
    ("M04", "C1", date(2024, 8, 9), "ad_hoc", 2, 2, "汛期原料保供与物流通道"),
    ("M05", "C3", date(2024, 9, 30), "routine", 2, 2, "首台（套）装备推广应用"),
    ("M06", "C2", date(2024, 11, 21), "routine", 2, 1, "药品注册检验排队问题"),
    ("M07", "C1", date(2024, 12, 20), "routine", 1, 1, "年度工作总结与次年计划"),
)

INCIDENTS = (  # I02's category is blank: it counts as other
    ("I01", "cadre", "K034", date(2024, 7, 15), "违规接受服务企业宴请，受到党内警告处分", "integrity"),
    ("I02", "department", "D5", date(2024, 10, 22), "科技项目资金审核把关不严，被区委巡察通报", None),
)
# Cadres' standing (cadre_status), a ledger typed in Chinese: on 2024-12-31 K013 is in probation,
# K038 under an open investigation and K039 under a demerit, and K010's two overlapping leaves
# cover 184 days of 2024: four cadres ungraded. K011's leave covers 183 days of 2024 (it began in
# 2023) and K016's investigation was closed: both graded. K004's warning caps an excellent total
# at competent; K030's leaves an incompetent one as it is.
CADRE_STATUSES = (
    ("S01", "K013", "probation", date(2024, 9, 1), date(2025, 8, 31), "新录用公务员试用期一年"),
    ("S02", "K016", "investigation", date(2024, 3, 4), date(2024, 6, 28), "审查调查已结案"),
    ("S03", "K038", "investigation", date(2024, 11, 18), None, "立案审查调查中"),
    ("S04", "K039", "demerit", date(2024, 6, 12), date(2025, 12, 11), "记过处分，处分期十八个月"),
    ("S05", "K004", "warning", date(2024, 1, 20), date(2024, 7, 19), "警告处分，处分期六个月"),
    ("S06", "K030", "warning", date(2024, 10, 8), date(2025, 4, 7), "警告处分，处分期六个月"),
    ("S07", "K010", "leave", date(2024, 1, 1), date(2024, 4, 30), "病假"),
    ("S08", "K010", "leave", date(2024, 4, 15), date(2024, 7, 2), "事假"),
    ("S09", "K011", "leave", date(2023, 12, 1), date(2024, 7, 1), "病假"),
)
WAIVERS = (
    ("OPF01", "J2", "2024", "使用成员企业会议室开展活动", "开发区综合党委", date(2024, 1, 8), date(2024, 12, 31)),
    ("CHN01", "C1", "2024Q3", "三季度例会并入防汛保供一事一商议事会", "开发区党工委", date(2024, 7, 20), date(2024, 9, 30)),
    # J3's own base opens only on 2024-10-08; the room it borrowed was lent until the end of August,
    # so the waiver expired before Q3 ended: J3 fails OPF01 in Q3 all the same, and the report says why.
    ("OPF01", "J3", "2024Q3", "借用成员企业会议室至8月底", "开发区综合党委", date(2024, 7, 1), date(2024, 8, 31)),
)
MENTOR_OF_MANY = "K035"  # mentors 7 talent records: the +5 cap of SVC11 shows
MENTOR_OF_MANY_RECORDS = 7

# Names (all invented)
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔谭陆范金石贾夏付方白邹孟熊秦邱江尹薛段雷侯史陶贺顾毛郝邵"
)
GIVEN_NAME_CHARS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍鹏飞辉建志宏海波宁浩博文凯雪梅"
    "琳颖晨阳瑞峰亮斌毅欣悦佳慧鑫宇航睿泽晓东春振国庆金凤莉倩"
)
PLACE_NAMES = ("济北", "济阳", "北辰", "澄源", "河畔", "泺川")
BRAND_CHARS = "禾润康瑞恒泰鼎盛源丰益嘉宏信达德隆元和顺安鸿睿沃锦晟拓辰航捷"

# Columns of each record type, in the order of docs/data-format.md
COLUMNS = {
    name: tuple(columns.split())
    for name, columns in {
        "organizations": "id name kind parent_id chain_id enterprise_id established_on member_count has_committee "
        "party_groups",
        "enterprises": "id name chain_id segment size chain_leader employees party_members party_org_id",
        "departments": "id name",
        "cadres": "id name department_id enterprise_id title party_member",
        "chain_posts": "chain_id role cadre_id since",
        "activity_bases": "id name org_id address opened_on",
        "activities": "id org_id date category title base_id participants co_hosts evidence",
        # topic is an extra column: kept, and ignored by the built-in rules
        "meetings": "id chain_id date kind issues_raised issues_resolved topic",
        "requests": "id enterprise_id category title submitted_at dispatched_at dispatched_by department_id "
        "accepted_at cadre_id due_on resolved_at status satisfaction key_project batch_id reopened_from",
        "visits": "id cadre_id enterprise_id date policies_delivered needs_recorded",
        "talent": "id person enterprise_id track date mentor_id",
        "incidents": "id subject_kind subject_id date reason category",
        "cadre_status": "id cadre_id kind from_date to_date note",
        "waivers": "rule subject_id period reason approved_by approved_on expires_on",
        "branch_meetings": "id org_id date kind title voting_present voting_members evidence",
    }.items()
}
# Ledgers kept the way a branch secretary types them in Excel: Chinese headers and labels.
CHINESE_HEADERS = {
    "activities": {
        "id": "编号",
        "org_id": "组织单位",
        "date": "活动日期",
        "category": "活动类型",
        "title": "活动主题",
        "base_id": "活动阵地",
        "participants": "参加人数",
        "co_hosts": "联办单位",
        "evidence": "佐证材料",
    },
    "visits": {
        "id": "编号",
        "cadre_id": "走访人",
        "enterprise_id": "走访企业",
        "date": "走访日期",
        "policies_delivered": "发放政策数",
        "needs_recorded": "收集诉求数",
    },
}
CHINESE_HEADERS["cadre_status"] = {
    "id": "编号",
    "cadre_id": "干部",
    "kind": "类型",
    "from_date": "开始日期",
    "to_date": "结束日期",
    "note": "说明",
}
CADRE_STATUS_LABELS = {
    "probation": "试用期",
    "leave": "病事假",
    "investigation": "立案审查调查",
    "warning": "警告处分",
    "demerit": "记过处分",
}
CHINESE_HEADERS["branch_meetings"] = {
    "id": "编号",
    "org_id": "党组织",
    "date": "日期",
    "kind": "类型",
    "title": "主题",
    "voting_present": "到会有表决权党员数",
    "voting_members": "应到会有表决权党员数",
    "evidence": "佐证材料",
}
CHINESE_LABELS = {"activities": {"category": CATEGORY_LABELS}, "cadre_status": {"kind": CADRE_STATUS_LABELS}}
WORKBOOK_NAME = "ledgers.xlsx"
WORKBOOK_SHEETS = ("talent", "meetings")

Record = dict[str, object]


# Calendar helpers


def quarter_of(day: date) -> int:
    return (day.month - 1) // 3 + 1


def quarter_first_day(quarter: int) -> date:
    return date(YEAR, 3 * quarter - 2, 1)


def quarter_last_day(quarter: int) -> date:
    return date(YEAR, 3 * quarter + 1, 1) - timedelta(days=1) if quarter < 4 else YEAR_END


def random_day(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randint(0, (last - first).days))


def office_time(rng: random.Random, day: date) -> datetime:
    return datetime.combine(day, time(rng.randint(8, 17), rng.randrange(0, 60)))


def after_hours(rng: random.Random, start: datetime, low: float, high: float) -> datetime:
    """A moment `low` to `high` hours after `start`, to the minute; offices work 08:00-20:00,
    so a moment in the night moves to the next morning."""
    moment = start + timedelta(minutes=rng.randint(int(low * 60), int(high * 60)))
    if 8 <= moment.hour < 20:
        return moment
    morning = moment.date() + timedelta(days=1 if moment.hour >= 20 else 0)
    return datetime.combine(morning, time(rng.randint(8, 9), rng.randrange(0, 60)))


# Names


class NameMaker:
    """Invented, unique names of people and enterprises."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.used: set[str] = set()

    def _unique(self, make) -> str:
        name = make()
        while name in self.used:
            name = make()
        self.used.add(name)
        return name

    def person(self) -> str:
        return self._unique(
            lambda: self.rng.choice(SURNAMES) + "".join(self.rng.sample(GIVEN_NAME_CHARS, self.rng.choice((1, 2, 2))))
        )

    def enterprise(self, chain: Chain, size: str) -> str:
        suffix = self.rng.choice(("股份有限公司", "集团有限公司")) if size == "large" else "有限公司"
        return self._unique(
            lambda: (
                self.rng.choice(PLACE_NAMES)
                + "".join(self.rng.sample(BRAND_CHARS, 2))
                + self.rng.choice(chain.industries)
                + suffix
            )
        )


# Enterprises and the party organisation tree


def branch_ids() -> list[str]:
    return [f"B{number:02d}" for number in range(1, N_BRANCHES + 1)]


def branch_chain(branch_id: str) -> str:
    return CHAIN_IDS[(int(branch_id[1:]) - 1) % len(CHAIN_IDS)]


def enterprise_roles() -> list[tuple[str, str, str | None]]:
    """(chain, role, covering organisation) for every enterprise, before shuffling."""
    roles: list[tuple[str, str, str | None]] = []
    for number, branch_id in enumerate(branch_ids(), start=1):
        role = "leader" if number <= len(CHAINS) else "own_branch"
        roles.append((branch_chain(branch_id), role, branch_id))
    for joint in JOINT_BRANCHES:
        for chain_id, count in joint.small_members.items():
            roles += [(chain_id, "small", joint.id)] * count
        if joint.eligible_enterprise_chain:
            roles.append((joint.eligible_enterprise_chain, "eligible_in_joint", joint.id))
    roles += [(chain_id, "small", None) for chain_id in UNCOVERED_SMALL]
    for chain in CHAINS:
        present = sum(1 for role in roles if role[0] == chain.id)
        roles += [(chain.id, "no_members", None)] * (chain.enterprises - present)
    return roles


def enterprise_size(rng: random.Random, role: str) -> str:
    if role == "leader":
        return "large"
    if role == "own_branch":
        return rng.choices(("large", "medium", "small"), (0.12, 0.38, 0.5))[0]
    if role == "no_members":
        return rng.choices(("medium", "small", "micro"), (0.08, 0.4, 0.52))[0]
    return rng.choice(("small", "micro"))


def employee_count(rng: random.Random, size: str, leader: bool) -> int:
    low, high = {
        "large": (1000, 3500),
        "medium": (300, 999),
        "small": (20, 299),
        "micro": (3, 19),
    }[size]
    return rng.randint(2000, 5000) if leader else rng.randint(low, high)


def party_member_count(rng: random.Random, role: str, size: str) -> int:
    if role == "no_members":
        return 0
    if role == "small":
        return rng.choice((1, 1, 2))
    if role == "eligible_in_joint":
        return rng.randint(3, 5)
    if role == "leader":
        return rng.randint(40, 60)
    low, high = {"large": (25, 55), "medium": (8, 30), "small": (3, 12)}[size]
    return rng.randint(low, high)


def make_enterprises(rng: random.Random, names: NameMaker) -> list[Record]:
    roles = enterprise_roles()
    rng.shuffle(roles)
    chains = {chain.id: chain for chain in CHAINS}
    enterprises = []
    for number, (chain_id, role, org_id) in enumerate(roles, start=1):
        size = enterprise_size(rng, role)
        leader = role == "leader"
        segment = rng.choice(("upstream", "midstream", "downstream"))
        enterprises.append(
            {
                "id": f"E{number:03d}",
                "name": names.enterprise(chains[chain_id], size),
                "chain_id": chain_id,
                "segment": None if rng.random() < 0.06 else segment,
                "size": size,
                "chain_leader": leader,
                "employees": employee_count(rng, size, leader),
                "party_members": party_member_count(rng, role, size),
                "party_org_id": org_id,
            }
        )
    return enterprises


def branch_established_on(rng: random.Random, branch_id: str) -> date:
    number = int(branch_id[1:])
    if branch_id in BRANCHES_OF_2024:
        return BRANCHES_OF_2024[branch_id]
    if number > N_OLD_BRANCHES:
        return random_day(rng, DRIVE_START, date(2023, 12, 29))
    return random_day(rng, date(2008, 1, 1), date(2022, 12, 31))


def organization(
    id_: str,
    name: str,
    kind: str,
    established_on: date,
    member_count: int,
    parent_id: str | None = None,
    chain_id: str | None = None,
    enterprise_id: str | None = None,
) -> Record:
    return {
        "id": id_,
        "name": name,
        "kind": kind,
        "parent_id": parent_id,
        "chain_id": chain_id,
        "enterprise_id": enterprise_id,
        "established_on": established_on,
        "member_count": member_count,
    }


def make_organizations(rng: random.Random, enterprises: list[Record]) -> list[Record]:
    """The four-level tree: 党工委 → 综合党委 → chain committees → branches."""
    organizations = [
        organization("W1", "济北经济开发区党工委", "working_committee", date(2006, 5, 12), 52),
        organization("G1", "济北经济开发区综合党委", "general_committee", date(2018, 7, 1), 9, "W1"),
    ]
    for chain in CHAINS:
        organizations.append(
            organization(
                chain.id,
                chain.name,
                "chain_committee",
                chain.established_on,
                rng.randint(7, 9),
                parent_id="G1",
                chain_id=chain.id,
            )
        )
    home = {e["party_org_id"]: e for e in enterprises if e["party_members"] >= 3}
    for branch_id in branch_ids():
        enterprise = home[branch_id]
        organizations.append(
            organization(
                branch_id,
                f"{enterprise['name']}党支部",
                "branch",
                branch_established_on(rng, branch_id),
                enterprise["party_members"],
                parent_id=branch_chain(branch_id),
                chain_id=branch_chain(branch_id),
                enterprise_id=enterprise["id"],
            )
        )
    for joint in JOINT_BRANCHES:
        members = sum(e["party_members"] for e in enterprises if e["party_org_id"] == joint.id)
        organizations.append(
            organization(
                joint.id,
                joint.name,
                "joint_branch",
                joint.established_on,
                members,
                parent_id=joint.parent_id,
                chain_id=joint.chain_id,
            )
        )
    return organizations


def make_departments() -> list[Record]:
    return [{"id": department.id, "name": department.name} for department in DEPARTMENTS]


def make_activity_bases(rng: random.Random, organizations: list[Record]) -> list[Record]:
    names = {org["id"]: org["name"] for org in organizations}
    bases = []
    for base in BASES:
        owner = names[base.org_id]
        name = base.name if base.org_id[0] in "CJ" else f"{owner.removesuffix('党支部')}{base.name}"
        opened = base.opened_on or random_day(rng, date(2019, 1, 1), date(2022, 12, 31))
        bases.append(
            {
                "id": base.id,
                "name": name,
                "org_id": base.org_id,
                "address": f"济北经济开发区{rng.choice(ROADS)}{rng.randint(1, 399)}号",
                "opened_on": opened,
            }
        )
    return bases


# People and posts


def make_cadres(rng: random.Random, names: NameMaker, enterprises: list[Record]) -> list[Record]:
    """Department cadres K001.., then the zone leaders, liaisons and pioneers of each chain."""
    cadres = []

    def add(department_id, enterprise_id, title):
        cadre_id = f"K{len(cadres) + 1:03d}"
        cadres.append(
            {
                "id": cadre_id,
                "name": names.person(),
                "department_id": department_id,
                "enterprise_id": enterprise_id,
                "title": title,
                "party_member": cadre_id not in NON_MEMBER_CADRES,
            }
        )

    for department in DEPARTMENTS:
        for rank in range(department.cadres):
            add(department.id, None, CADRE_TITLES[rank])
    for chain in CHAINS:
        add(None, None, chain.leader_title)
    for _ in CHAINS:
        add(None, None, "专职党务工作者")
    leaders = {e["chain_id"]: e["id"] for e in enterprises if e["chain_leader"]}
    for chain in CHAINS:
        add(None, leaders[chain.id], "党支部书记")
    return cadres


def make_chain_posts(cadres: list[Record]) -> list[Record]:
    deputies = {c["department_id"]: c["id"] for c in cadres if c["title"] == "副局长"}
    leaders = [c["id"] for c in cadres if c["title"].startswith("开发区")]
    liaisons = [c["id"] for c in cadres if c["title"] == "专职党务工作者"]
    pioneers = [c["id"] for c in cadres if c["enterprise_id"]]
    posts = []
    for number, chain in enumerate(CHAINS):
        holders = {
            "leader": leaders[number],
            "instructor": deputies[chain.instructor_department],
            "liaison": liaisons[number],
            "pioneer": pioneers[number],
        }
        for role, cadre_id in holders.items():
            since = LATE_POSTS.get((chain.id, role), chain.established_on)
            posts.append({"chain_id": chain.id, "role": role, "cadre_id": cadre_id, "since": since})
    return posts


# 1+4 activities


def checked_quarters(organization: Record) -> list[int]:
    return [quarter for quarter in range(1, 5) if organization["established_on"] <= quarter_first_day(quarter)]


def random_day_in(rng: random.Random, quarter: int) -> date:
    return random_day(rng, quarter_first_day(quarter), quarter_last_day(quarter))


def edge_day(hosts: list[str], category: str, quarter: int) -> date | None:
    for host in hosts:
        day = EDGE_ACTIVITY_DATES.get((host, category))
        if day and quarter_of(day) == quarter:
            return day
    return None


class ActivityMaker:
    """Makes activity records with a plausible venue, turnout and evidence."""

    def __init__(self, rng: random.Random, organizations: list[Record], bases: list[Record]):
        self.rng = rng
        self.bases = bases
        self.parents = {org["id"]: org["parent_id"] for org in organizations}
        self.members = {org["id"]: org["member_count"] for org in organizations}

    def base_for(self, org_id: str, day: date) -> str | None:
        """A base of the organiser or of an ancestor, open that day, 70 % of the time."""
        lineage = []
        while org_id:
            lineage.append(org_id)
            org_id = self.parents[org_id]
        open_bases = [b["id"] for b in self.bases if b["org_id"] in lineage and b["opened_on"] <= day]
        return self.rng.choice(open_bases) if open_bases and self.rng.random() < 0.7 else None

    def make(
        self,
        hosts: list[str],
        day: date,
        category: str,
        title: str | None = None,
        base_id: str | None = None,
    ) -> Record:
        """An activity of hosts[0], co-hosted by the others."""
        rng = self.rng
        members = sum(self.members[host] for host in hosts)
        evidence = f"{day.isoformat()}-{rng.choice(EVIDENCE_KINDS)}" if rng.random() < 0.85 else None
        return {
            "org_id": hosts[0],
            "date": day,
            "category": category,
            "title": title or rng.choice(ACTIVITY_TITLES[category]),
            "base_id": base_id or self.base_for(hosts[0], day),
            "participants": max(5, min(80, int(members * rng.uniform(0.6, 1.1)) + rng.randint(3, 20))),
            "co_hosts": sorted(hosts[1:]),
            "evidence": evidence,
        }


def branch_slot_activities(maker: ActivityMaker, branches: list[Record]) -> list[Record]:
    """Every checked branch-quarter-category not in ACTIVITY_GAPS gets an activity.

    Branches of one chain (or, for joint branches without a chain, of one parent) often
    co-host: one activity then counts for its organiser and each co-host.
    """
    rng = maker.rng
    groups: dict[str, list[Record]] = {}
    for branch in branches:
        groups.setdefault(branch["chain_id"] or branch["parent_id"], []).append(branch)
    activities = []
    for group in groups.values():
        for quarter in range(1, 5):
            for category in CATEGORIES:
                waiting = [
                    b["id"]
                    for b in group
                    if quarter in checked_quarters(b) and (b["id"], quarter, category) not in ACTIVITY_GAPS
                ]
                rng.shuffle(waiting)
                while waiting:
                    size = rng.choices(*CO_HOST_SIZES)[0]
                    hosts, waiting = waiting[:size], waiting[size:]
                    day = edge_day(hosts, category, quarter) or random_day_in(rng, quarter)
                    activities.append(maker.make(hosts, day, category))
    return activities


def founding_activities(maker: ActivityMaker, branches: list[Record]) -> list[Record]:
    """A branch set up in 2024 holds its founding meeting on the day it is established."""
    return [
        maker.make([b["id"]], b["established_on"], "member_education", "党支部成立大会暨首次主题党日")
        for b in branches
        if b["established_on"] >= YEAR_START
    ]


def committee_activities(maker: ActivityMaker, bases: list[Record]) -> list[Record]:
    """Chain and general committees' own activities (they do not count for branches)."""
    rng = maker.rng
    activities = [
        maker.make(
            [chain_id],
            random_day_in(rng, quarter),
            category,
            "产业链党委" + rng.choice(ACTIVITY_TITLES[category]),
        )
        for chain_id in CHAIN_IDS
        for quarter in range(1, 5)
        for category in CHAIN_ACTIVITY_CATEGORIES
    ]
    chain_bases = {b["org_id"]: b["id"] for b in bases}
    for number, month in enumerate(ZONE_EXCHANGE_MONTHS):
        host = CHAIN_IDS[number % len(CHAIN_IDS)]
        activities.append(
            maker.make(
                ["G1", host],
                random_day(rng, date(YEAR, month, 1), date(YEAR, month, 28)),
                "business_collaboration",
                "链主企业轮值交流对接活动",
                chain_bases[host],
            )
        )
    return activities


def extra_activities(maker: ActivityMaker, branches: list[Record], count: int) -> list[Record]:
    """Second activities of a kind in a quarter; never in a gap, nor on an edge slot."""
    rng = maker.rng
    slots = [
        (b["id"], quarter, category)
        for b in branches
        for quarter in checked_quarters(b)
        for category in CATEGORIES
        if (b["id"], quarter, category) not in ACTIVITY_GAPS and (b["id"], category) not in EDGE_ACTIVITY_DATES
    ]
    return [
        maker.make([org_id], random_day_in(rng, quarter), category)
        for org_id, quarter, category in rng.sample(slots, count)
    ]


def make_activities(rng: random.Random, organizations: list[Record], bases: list[Record]) -> list[Record]:
    maker = ActivityMaker(rng, organizations, bases)
    branches = [org for org in organizations if org["kind"] in ("branch", "joint_branch")]
    activities = (
        branch_slot_activities(maker, branches)
        + founding_activities(maker, branches)
        + committee_activities(maker, bases)
    )
    activities += extra_activities(maker, branches, N_ACTIVITIES - len(activities))
    activities.sort(key=lambda a: (a["date"], a["org_id"], a["category"]))
    for number, record in enumerate(activities, start=1):
        record["id"] = f"A{number:04d}"
    return activities


def make_meetings() -> list[Record]:
    return [dict(zip(COLUMNS["meetings"], meeting, strict=True)) for meeting in MEETINGS]


# Service requests: 点单 → 派单 → 接单 → 办结


class RequestDesk:
    """Simulates requests through their lifecycle as each department handles them."""

    def __init__(self, rng: random.Random, cadres: list[Record], enterprises: list[Record]):
        self.rng = rng
        self.enterprises = enterprises
        self.enterprise_weights = [
            {"large": 4, "medium": 2.5, "small": 1.2, "micro": 0.6}[e["size"]] for e in enterprises
        ]
        self.cadres: dict[str, list[str]] = {}
        self.cadre_load: dict[str, float] = {}
        self.cadre_skill: dict[str, float] = {}
        for cadre in cadres:
            if cadre["department_id"]:
                self.cadres.setdefault(cadre["department_id"], []).append(cadre["id"])
                head = cadre["title"] == CADRE_TITLES[0]
                self.cadre_load[cadre["id"]] = 0.15 if head else rng.uniform(0.6, 1.6)
                self.cadre_skill[cadre["id"]] = rng.uniform(-0.08, 0.04)

    def pick_cadre(self, department_id: str) -> str:
        ids = self.cadres[department_id]
        return self.rng.choices(ids, [self.cadre_load[i] for i in ids])[0]

    def new(self, enterprise: Record, category: str, title: str, submitted_at: datetime) -> Record:
        return {
            "enterprise_id": enterprise["id"],
            "chain_id": enterprise["chain_id"],
            "large": enterprise["size"] == "large",
            "category": category,
            "title": title,
            "submitted_at": submitted_at,
            "dispatched_at": None,
            "dispatched_by": None,
            "department_id": None,
            "accepted_at": None,
            "cadre_id": None,
            "due_on": None,
            "resolved_at": None,
            "status": "submitted",
            "satisfaction": None,
            "key_project": False,
            "batch_id": None,
            "reopened_from": None,
        }

    def random_request(self, first: date, last: date) -> Record:
        rng = self.rng
        enterprise = rng.choices(self.enterprises, self.enterprise_weights)[0]
        category = rng.choices(list(REQUEST_CATEGORIES), [spec[1] for spec in REQUEST_CATEGORIES.values()])[0]
        title = rng.choice(REQUEST_CATEGORIES[category][2])
        return self.new(enterprise, category, title, office_time(rng, random_day(rng, first, last)))

    def dispatch(self, request: Record, at: datetime, by: str, cadre_id: str | None = None) -> None:
        department_id = REQUEST_CATEGORIES[request["category"]][0]
        request.update(
            dispatched_at=at,
            dispatched_by=by,
            department_id=department_id,
            cadre_id=cadre_id or self.pick_cadre(department_id),
            status="dispatched",
        )
        rng = self.rng
        if (request["large"] and rng.random() < 0.3) or rng.random() < 0.02:
            request.update(key_project=True, due_on=at.date() + timedelta(KEY_PROJECT_DUE_DAYS))
        elif request["category"] in COMPLEX_CATEGORIES and rng.random() < 0.5:
            request["due_on"] = at.date() + timedelta(COMPLEX_DUE_DAYS)

    def handle(self, request: Record) -> None:
        """Dispatch, accept, resolve (or withdraw, reject) as far as the export time allows."""
        rng = self.rng
        outcome = rng.choices(("resolved", "withdrawn", "rejected"), (0.95, 0.025, 0.025))[0]
        if outcome == "withdrawn" and rng.random() < 0.4:
            request["status"] = outcome  # before the chain committee dispatched it
            return
        if request["dispatched_at"] is None:
            low, high = rng.choices(((0.5, 6), (6, 30), (30, 72)), (0.7, 0.25, 0.05))[0]
            at = after_hours(rng, request["submitted_at"], low, high)
            if at > EXPORTED_AT:
                return
            self.dispatch(request, at, request["chain_id"])
        department = DEPARTMENT_BY_ID[request["department_id"]]
        skill = self.cadre_skill[request["cadre_id"]]
        if rng.random() < department.accept_share + skill:
            accepted = after_hours(rng, request["dispatched_at"], 0.3, 23.5)
        else:
            accepted = after_hours(rng, request["dispatched_at"], *department.late_accept_hours)
        if outcome != "resolved" and rng.random() < 0.5:
            request["status"] = outcome  # before the department accepted it
            return
        if accepted > EXPORTED_AT:
            return
        request.update(accepted_at=accepted, status="accepted")
        if outcome != "resolved":
            request["status"] = outcome
            return
        resolved = self.resolution_time(request, department, skill)
        if resolved <= EXPORTED_AT:
            late = resolved.date() > self.due(request)
            request.update(resolved_at=resolved, status="resolved", satisfaction=self.rating(department, late))

    def due(self, request: Record) -> date:
        return request["due_on"] or request["dispatched_at"].date() + timedelta(DEFAULT_DUE_DAYS)

    def resolution_time(self, request: Record, department: Department, skill: float) -> datetime:
        rng = self.rng
        accepted = request["accepted_at"]
        due = self.due(request)
        if rng.random() < department.stall_share:
            day = due + timedelta(rng.randint(30, 110))
        elif rng.random() < department.on_time_share + skill and accepted.date() <= due:
            day = random_day(rng, accepted.date(), min(due, accepted.date() + timedelta(8)))
        else:
            day = due + timedelta(rng.randint(1, 20))
        return max(office_time(rng, day), after_hours(rng, accepted, 1, 3))

    def rating(self, department: Department, late: bool) -> str | None:
        rng = self.rng
        if rng.random() < 0.15:
            return None
        if rng.random() < department.dissatisfied_share * (2 if late else 1):
            return "dissatisfied"
        return "satisfied" if rng.random() < 0.8 else "basically_satisfied"


def plain_requests(desk: RequestDesk) -> list[Record]:
    """Requests of 2024, with some from the months either side of it."""
    rng = desk.rng
    requests = [desk.random_request(YEAR_START, YEAR_END) for _ in range(N_REQUESTS)]
    requests += [desk.random_request(date(2023, 12, 1), date(2023, 12, 12)) for _ in range(N_REQUESTS_OF_2023)]
    requests += [desk.random_request(date(2025, 1, 20), date(2025, 2, 7)) for _ in range(N_REQUESTS_OF_2025)]
    for request in requests:
        desk.handle(request)
    for _ in range(N_REQUESTS_CARRIED_IN):
        request = desk.random_request(date(2023, 12, 27), date(2023, 12, 29))
        after_new_year = after_hours(rng, datetime(2024, 1, 2, 8, 30), 0, 2)
        desk.dispatch(request, after_new_year, request["chain_id"])
        desk.handle(request)
        requests.append(request)
    for _ in range(N_REQUESTS_PENDING):  # dispatched from 08:00 on Monday, or not yet
        request = desk.random_request(date(2025, 2, 8), date(2025, 2, 9))
        monday_morning = after_hours(rng, datetime(2025, 2, 10, 8, 0), 0, 1.5)
        if monday_morning <= EXPORTED_AT:
            desk.dispatch(request, monday_morning, request["chain_id"])
        requests.append(request)
    return requests


def batch_requests(desk: RequestDesk, enterprises: list[Record]) -> list[Record]:
    """Similar requests of several enterprises, dispatched and handled together."""
    rng = desk.rng
    requests = []
    for batch in BATCHES:
        department_id = REQUEST_CATEGORIES[batch.category][0]
        cadre_ids = rng.sample(desk.cadres[department_id][1:], 2)  # not the head
        dispatched = datetime.combine(batch.first_submitted + timedelta(4), time(9, 0))
        resolved = datetime.combine(dispatched.date() + timedelta(6), time(16, 0))
        for number, enterprise in enumerate(rng.sample(enterprises, batch.size)):
            submitted = office_time(rng, batch.first_submitted + timedelta(rng.randint(0, 3)))
            request = desk.new(enterprise, batch.category, batch.title, submitted)
            two_cadres = batch.twist == "two_cadres" and number == 1
            desk.dispatch(request, dispatched, "G1", cadre_ids[1] if two_cadres else cadre_ids[0])
            request.update(
                batch_id=batch.id,
                accepted_at=after_hours(rng, dispatched, 1, 6),
                status="accepted",
            )
            last = number == batch.size - 1
            if batch.twist == "one_withdrawn" and last:
                request["status"] = "withdrawn"
            elif not (batch.twist == "one_open" and last):
                request.update(resolved_at=resolved, status="resolved")
                request["satisfaction"] = rng.choice(("satisfied", "satisfied", None))
            requests.append(request)
    return requests


def repeat_requests(desk: RequestDesk, requests: list[Record]) -> list[Record]:
    """Enterprises that come back with the same problem after it was marked resolved."""
    rng = desk.rng
    earlier = [r for r in requests if r["status"] == "resolved" and r["dispatched_at"] < datetime(YEAR, 10, 1)]
    weights = [REPEAT_WEIGHTS.get(r["department_id"], 1) for r in earlier]
    originals = [next(r for r in earlier if r["dispatched_at"].year < YEAR)]
    while len(originals) < N_REPEATS:
        candidate = rng.choices(earlier, weights)[0]
        if candidate not in originals:
            originals.append(candidate)
    repeats = []
    for original in originals:
        enterprise = next(e for e in desk.enterprises if e["id"] == original["enterprise_id"])
        # back 10 to 60 days later; the one from December 2023 comes back in the new year
        since = max(original["resolved_at"].date(), YEAR_START)
        submitted = office_time(rng, since + timedelta(rng.randint(10, 60)))
        request = desk.new(enterprise, original["category"], "再次反映：" + original["title"], submitted)
        request["reopened_from"] = original
        desk.dispatch(request, after_hours(rng, submitted, 1, 8), enterprise["chain_id"], original["cadre_id"])
        desk.handle(request)
        repeats.append(request)
    return repeats


def plant_request_edges(requests: list[Record]) -> None:
    """Boundary cases: an acceptance exactly 24 h after dispatch, a resolution on the due day."""
    in_march = [
        r
        for r in requests
        if r["department_id"] == "D3"
        and r["status"] == "resolved"
        and r["dispatched_at"].month == 3
        and r["dispatched_at"].year == YEAR
    ]
    exact = in_march[0]
    exact["accepted_at"] = exact["dispatched_at"] + timedelta(hours=24)
    exact["resolved_at"] = max(exact["resolved_at"], exact["accepted_at"] + timedelta(hours=3))
    on_due_day = next(
        r
        for r in requests
        if r["department_id"] == "D8"
        and r["status"] == "resolved"
        and r["due_on"] is None
        and r["dispatched_at"] >= datetime(YEAR, 4, 1)
    )
    on_due_day["resolved_at"] = datetime.combine(
        on_due_day["dispatched_at"].date() + timedelta(DEFAULT_DUE_DAYS), time(17, 30)
    )


def make_requests(rng: random.Random, cadres: list[Record], enterprises: list[Record]) -> list[Record]:
    desk = RequestDesk(rng, cadres, enterprises)
    requests = plain_requests(desk) + batch_requests(desk, enterprises)
    requests += repeat_requests(desk, requests)
    plant_request_edges(requests)
    requests.sort(key=lambda r: (r["submitted_at"], r["enterprise_id"]))
    for number, request in enumerate(requests, start=1):
        request["id"] = f"R{number:04d}"
    for request in requests:
        if request["reopened_from"]:
            request["reopened_from"] = request["reopened_from"]["id"]
    return requests


# Visits and talent


def make_visits(rng: random.Random, cadres: list[Record], enterprises: list[Record]) -> list[Record]:
    """Each department visits its number of distinct enterprises; together about 190."""
    visited = rng.sample([e["id"] for e in enterprises], N_VISITED_ENTERPRISES)
    per_department: dict[str, list[str]] = {d.id: [] for d in DEPARTMENTS}
    for enterprise_id in visited:  # every visited enterprise by at least one department
        open_ = [d for d in DEPARTMENTS if len(per_department[d.id]) < d.visited]
        department = rng.choices(open_, [d.visited - len(per_department[d.id]) for d in open_])[0]
        per_department[department.id].append(enterprise_id)
    for department in DEPARTMENTS:
        own = per_department[department.id]
        others = [e for e in visited if e not in own]
        own += rng.sample(others, department.visited - len(own))
    pairs = []
    for department in DEPARTMENTS:
        staff = [c["id"] for c in cadres if c["department_id"] == department.id]
        weights = [rng.uniform(0.4, 1.6) for _ in staff]
        pairs += [(rng.choices(staff, weights)[0], e) for e in per_department[department.id]]
    pairs += rng.choices(pairs, k=N_VISITS - len(pairs))  # revisits
    visits = [
        {
            "cadre_id": cadre_id,
            "enterprise_id": enterprise_id,
            "date": random_day(rng, YEAR_START, YEAR_END),
            "policies_delivered": 0,
            "needs_recorded": rng.choices((0, 1, 2, 3), (0.5, 0.3, 0.15, 0.05))[0],
        }
        for cadre_id, enterprise_id in pairs
    ]
    for _ in range(N_POLICY_PACKAGES):  # at most 3 handed over on one visit
        rng.choice([v for v in visits if v["policies_delivered"] < 3])["policies_delivered"] += 1
    visits.sort(key=lambda v: (v["date"], v["cadre_id"], v["enterprise_id"]))
    for number, visit in enumerate(visits, start=1):
        visit["id"] = f"V{number:04d}"
    return visits


def make_talent(rng: random.Random, names: NameMaker, cadres: list[Record], enterprises: list[Record]) -> list[Record]:
    with_members = [e for e in enterprises if e["party_members"] > 0]
    weights = [e["party_members"] for e in with_members]
    covered = [e for e in enterprises if e["party_org_id"]]
    records = []
    for track, count in TALENT_TRACKS.items():
        for _ in range(count):
            if track == "backbone_to_member":
                enterprise = rng.choice(covered)
            else:
                enterprise = rng.choices(with_members, weights)[0]
            records.append(
                {
                    "person": names.person(),
                    "enterprise_id": enterprise["id"],
                    "track": track,
                    "date": random_day(rng, YEAR_START, YEAR_END),
                    "mentor_id": None,
                }
            )
    mentors = [c["id"] for c in cadres if c["department_id"] and c["id"] != MENTOR_OF_MANY]
    mentored = rng.sample(records, round(MENTORED_SHARE * len(records)))
    for number, record in enumerate(mentored):
        many = number < MENTOR_OF_MANY_RECORDS
        record["mentor_id"] = MENTOR_OF_MANY if many else rng.choice(mentors)
    records.sort(key=lambda t: (t["date"], t["enterprise_id"], t["person"]))
    for number, record in enumerate(records, start=1):
        record["id"] = f"T{number:03d}"
    return records


def make_incidents() -> list[Record]:
    return [dict(zip(COLUMNS["incidents"], incident, strict=True)) for incident in INCIDENTS]


def make_cadre_statuses() -> list[Record]:
    return [dict(zip(COLUMNS["cadre_status"], status, strict=True)) for status in CADRE_STATUSES]


def make_waivers() -> list[Record]:
    return [dict(zip(COLUMNS["waivers"], waiver, strict=True)) for waiver in WAIVERS]


# Writing


def cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return ";".join(value)
    return str(value)


def write_csv(path: Path, name: str, records: list[Record]) -> None:
    """English headers and codes, or for a Chinese ledger its labels, with a BOM as Excel writes."""
    columns = COLUMNS[name]
    headers = CHINESE_HEADERS.get(name)
    labels = CHINESE_LABELS.get(name, {})
    with path.open("w", encoding="utf-8-sig" if headers else "utf-8", newline="") as file:
        writer = csv.writer(file, lineterminator="\n")
        writer.writerow([headers[c] for c in columns] if headers else columns)
        for record in records:
            writer.writerow([cell_text(labels[c][record[c]] if c in labels else record[c]) for c in columns])


def write_workbook(path: Path, sheets: dict[str, list[Record]]) -> None:
    """An XLSX with real date cells, saved reproducibly (fixed properties and zip times)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for name, records in sheets.items():
        sheet = workbook.create_sheet(name)
        sheet.append(COLUMNS[name])
        for record in records:
            sheet.append([record[c] for c in COLUMNS[name]])
        for row in sheet.iter_rows(min_row=2):
            for cell in row:
                if isinstance(cell.value, date):
                    cell.number_format = "yyyy-mm-dd"
    properties = workbook.properties
    properties.creator = properties.lastModifiedBy = "evalkit sample_data/generate.py"
    properties.created = properties.modified = EXPORTED_AT
    buffer = io.BytesIO()
    ExcelWriter(workbook, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED)).save()  # save() closes it
    with zipfile.ZipFile(buffer) as source, zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as target:
        for entry in source.infolist():
            target.writestr(zipfile.ZipInfo(entry.filename, ZIP_ENTRY_TIME), source.read(entry), zipfile.ZIP_DEFLATED)


# Organisational life (组织生活, the branch_life pack): every branch's meetings of 2024 from the
# month it is established in, written by rule (no random draw: the other files stay as they
# were), with the deliberate gaps below (README.md lists them).
MEETING_LABELS = {
    "general_meeting": "党员大会",
    "committee_meeting": "支委会",
    "group_meeting": "党小组会",
    "party_lecture": "党课",
    "theme_day": "主题党日",
    "life_meeting": "组织生活会",
    "member_review": "民主评议党员",
}
#: has_committee (None: blank, so member_count ≥ 7 decides) and party_groups (None: blank, 0).
LIFE_ORGANIZATION = {"B01": (None, 3), "B02": (None, 2), "B06": (None, 2), "B13": (False, None), "B15": (None, 4)}
LIFE_ORGANIZATION |= {"B12": (True, None), "B23": (None, 2), "J1": (True, 2)}
#: Meetings left out: (branch, kind, month).
LIFE_GAPS = {
    ("B03", "general_meeting", 5),  # LIFE01 fails Q2 (its Q2 general meeting is in May)
    ("B05", "committee_meeting", 8),  # LIFE02 fails Q3: 2024-08
    ("B06", "group_meeting", 7),  # LIFE03 fails Q3: 2024-07, 2024-09
    ("B06", "group_meeting", 9),
    ("B11", "theme_day", 3),  # LIFE05 fails Q1: 2024-03
    ("B14", "party_lecture", 12),  # LIFE04 fails Q4 (its lecture is a meeting of its own, in December)
    ("B21", "life_meeting", 12),  # LIFE06 fails 2024
    ("B24", "member_review", 12),  # LIFE07 fails 2024
}
#: General meetings whose voting counts are not those of every member but these (present, members).
LIFE_QUORUMS = {("B17", 8): (11, 23), ("B26", 5): (8, 16)}  # LIFE08: B17 fails Q3 (22 < 23), B26 exactly half
#: Branches whose general meetings give no voting counts (LIFE08 skips).
LIFE_UNCOUNTED = {"J2", "J3"}


def make_branch_meetings(organizations: list[Record]) -> list[Record]:
    """Each branch, every month from the one it is established in: a theme day; a committee
    meeting (with a committee) and a party group meeting (with groups); each quarter's middle
    month a general meeting that is also the party lecture (one meeting of two kinds, `;`) for
    even-numbered branches, a separate lecture the month after for the others; each December an
    organisational life meeting with the member review. Edges: B02's June theme day is on
    2024-06-30, its July one on 2024-07-01; B20's Q3 lecture on 2024-09-30."""
    planned: list[tuple[Record, int, date, list[str], str, bool]] = []
    for number, org in enumerate(o for o in organizations if o["kind"] in ("branch", "joint_branch")):
        branch = org["id"]
        committee, groups = LIFE_ORGANIZATION.get(branch, (None, None))
        committee = int(org["member_count"]) >= 7 if committee is None else committee
        day = 3 + number % 20
        for month in range(1, 13):
            theme = date(2024, month, day)
            if branch == "B02" and month in (6, 7):
                theme = date(2024, 6, 30) if month == 6 else date(2024, 7, 1)
            planned.append((org, number, theme, ["theme_day"], f"{month}月主题党日", False))
            if committee:
                planned.append(
                    (org, number, date(2024, month, day + 1), ["committee_meeting"], f"{month}月支委会", False)
                )
            if groups:
                planned.append(
                    (org, number, date(2024, month, day + 2), ["group_meeting"], f"{month}月党小组会", False)
                )
            if month % 3 == 2:
                lecture = number % 2 == 0
                kinds = ["general_meeting", "party_lecture"] if lecture else ["general_meeting"]
                title = f"第{month // 3 + 1}季度党员大会"
                planned.append((org, number, date(2024, month, day + 3), kinds, title, True))
                if not lecture:
                    when = date(2024, 9, 30) if branch == "B20" and month == 8 else date(2024, month + 1, day)
                    planned.append((org, number, when, ["party_lecture"], "专题党课", False))
            if month == 12:
                kinds = ["life_meeting", "member_review"]
                planned.append((org, number, date(2024, 12, 20), kinds, "年度组织生活会和民主评议党员", False))
    meetings = [meeting for plan in planned if (meeting := branch_meeting(*plan)) is not None]
    meetings.sort(key=lambda meeting: (meeting["date"], meeting["org_id"]))
    return [{"id": f"H{n:04d}", **meeting} for n, meeting in enumerate(meetings, 1)]


def branch_meeting(org: Record, number: int, when: date, kinds: list[str], title: str, counted: bool) -> Record | None:
    """A meeting of the branch `org` (the `number`-th), without its kinds left out by LIFE_GAPS and
    before the branch was established; with voting counts when `counted` (a general meeting)."""
    branch, members = org["id"], int(org["member_count"])
    kinds = [kind for kind in kinds if (branch, kind, when.month) not in LIFE_GAPS]
    if not kinds or when < org["established_on"]:
        return None
    present = voting = None
    if counted and branch not in LIFE_UNCOUNTED:
        present, voting = LIFE_QUORUMS.get((branch, when.month), (members - members // 5, members))
    return {
        "org_id": branch,
        "date": when,
        "kind": ";".join(MEETING_LABELS[kind] for kind in kinds),
        "title": title,
        "voting_present": present,
        "voting_members": voting,
        "evidence": "会议记录" if number % 3 == 0 else None,
    }


def add_life_columns(organizations: list[Record]) -> None:
    """has_committee and party_groups, blank but for the branches of LIFE_ORGANIZATION."""
    for org in organizations:
        committee, groups = LIFE_ORGANIZATION.get(org["id"], (None, None))
        org["has_committee"] = {None: None, True: "是", False: "否"}[committee]
        org["party_groups"] = groups


def build_dataset(rng: random.Random) -> dict[str, list[Record]]:
    names = NameMaker(rng)
    enterprises = make_enterprises(rng, names)
    organizations = make_organizations(rng, enterprises)
    bases = make_activity_bases(rng, organizations)
    cadres = make_cadres(rng, names, enterprises)
    add_life_columns(organizations)
    return {
        "organizations": organizations,
        "enterprises": enterprises,
        "departments": make_departments(),
        "cadres": cadres,
        "chain_posts": make_chain_posts(cadres),
        "activity_bases": bases,
        "activities": make_activities(rng, organizations, bases),
        "meetings": make_meetings(),
        "requests": make_requests(rng, cadres, enterprises),
        "visits": make_visits(rng, cadres, enterprises),
        "talent": make_talent(rng, names, cadres, enterprises),
        "incidents": make_incidents(),
        "waivers": make_waivers(),
        "cadre_status": make_cadre_statuses(),
        "branch_meetings": make_branch_meetings(organizations),
    }


def write_dataset(dataset: dict[str, list[Record]], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for name, records in dataset.items():
        if name not in WORKBOOK_SHEETS:
            write_csv(out / f"{name}.csv", name, records)
    write_workbook(out / WORKBOOK_NAME, {name: dataset[name] for name in WORKBOOK_SHEETS})


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help="random seed (2024)")
    parser.add_argument(
        "--out",
        type=Path,
        default=Path(__file__).resolve().parent,
        help="folder to write (default: the folder of this script)",
    )
    args = parser.parse_args(argv)
    write_dataset(build_dataset(random.Random(args.seed)), args.out)


if __name__ == "__main__":
    main()
