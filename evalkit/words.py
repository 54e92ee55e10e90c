"""Every word evalkit shows a person, in English and Chinese (`--lang en|zh`).

Rule titles, finding messages and grade labels come from the rule packs; this module holds the
rest: column headers, statuses, section titles and the sentences of explanations. Sentences are
whole templates per language, never pieced together from fragments.
"""

from __future__ import annotations

from .periods import Period

STATUS_LABELS = {
    "en": {"pass": "pass", "fail": "fail", "skip": "skip", "waived": "waived", "error": "error"},
    "zh": {"pass": "通过", "fail": "不通过", "skip": "不适用", "waived": "已豁免", "error": "出错"},
}

KIND_LABELS = {
    "en": {"department": "department", "cadre": "cadre", "organization": "organisation", "enterprise": "enterprise"},
    "zh": {"department": "部门", "cadre": "干部", "organization": "党组织", "enterprise": "企业"},
}

WORDS = {
    "en": {
        # documents
        "check_title": "Compliance check {period}",
        "assess_title": "Assessment {year}",
        "explain_title": "{subject} {name} — {kind}, {period}",
        "period": "period",
        "dataset": "dataset",
        "generated": "generated at",
        "digest": "input digest (SHA-256)",
        "packs": "rule packs",
        "plugins": "plugins",
        "pack_headers": ("pack", "version", "SHA-256", "source"),
        "plugin_headers": ("plugin", "version", "source"),
        "rule_headers": ("rule", "pack", "title", "severity", "parameters", "source"),
        "severities": {"low": "low", "medium": "medium", "high": "high"},
        "loading": "loading the dataset",
        "evaluating": "evaluating the rules",
        "rendering": "writing the report",
        "cover": "cover",
        # findings
        "finding_headers": ("subject", "name", "period", "rule", "title", "status", "message", "evidence"),
        "findings": "Findings",
        "summary": "{total} findings: {counts}",
        "next": "What to do next",
        "errors": "Errors while running",
        "error_headers": ("plugin", "error", "missing results", "subjects"),
        "all_subjects": "all",
        "nothing": "{subject} has no findings of its own in {period}: check covers branches, chain committees "
        "and enterprises; a department's or cadre's score is shown by `evalkit explain --subject {subject}`.",
        # assessment tables
        "departments": "Departments",
        "cadres": "Cadres",
        "rank": "rank",
        "subject": "subject",
        "name": "name",
        "department": "department",
        "base": "base",
        "bonus": "bonus",
        "deduction": "deduction",
        "total": "total",
        "grade": "grade",
        "veto": "veto",
        "vetoed": "vetoed",
        "na": "n/a",
        "checked": "checked quarters",
        "compliant": "compliant quarters",
        "rate": "rate",
        "legend": "Points rounded half up to 2 decimals; base = applicable points × 100 / their weights (n/a left "
        "out), so columns may differ from the base by 0.01.",
        "demoted": "* lowered to this grade by the excellence quota",
        "provisional": "? provisional: results it depends on are missing (see errors)",
        "chart_totals": "Department totals and grade bands",
        "chart_grid": "Branch compliance by quarter",
        "grid_states": {"compliant": "compliant", "non_compliant": "non-compliant", "skipped": "not checked"},
        "filter": "Filter",
        "all": "all",
        # explanations
        "indicators": "Indicators",
        "indicator_headers": ("rule", "title", "measured", "share", "weight", "points"),
        "na_long": "n/a (nothing to measure: left out)",
        "capped_share": " (at most 1)",
        "base_line": "Base = ({points}) × 100 / ({weights}) = {base}",
        "no_base": "Base = 0 (no indicator applicable)",
        "adjustments": "Adjustments",
        "adjustment_headers": ("rule", "title", "items", "each", "points", "records"),
        "capped": "{points} (cap {cap})",
        "no_adjustments": "Adjustments: none",
        "deductions": "Deductions together: {all}, at most {cap} → {deduction}",
        "total_line": "Total = {base} + {bonus} − {deduction} = {unclipped}",
        "clipped": ", kept within {low}–{high}: {total}",
        "band": "Band: total {total} {rule} → {grade}",
        "at_least": "≥ {floor}",
        "below": "below every other band",
        "veto_line": "Veto {rules}: records {evidence} → lowest grade, {grade}",
        "no_veto": "Veto: none",
        "quota": "Quota {rule}: {holders} of {pool} {kinds} would be {grade}, at most {allowed} may; "
        "lowered to {demoted}",
        "pools": {"department": "departments", "cadre": "cadres"},
        "grade_line": "Grade: {grade}",
        "rank_line": "Rank: {rank} of {pool} (by total; equal totals share a rank)",
        "provisional_line": "Provisional: results this score depends on are missing (see errors).",
        "score": "Score",
        "no_findings": "Findings: none",
        "annual": "Scores are annual: --period {year} shows how this subject's score came about.",
        "quarters": "Quarters checked {checked}, compliant {compliant}, rate {rate}",
    },
    "zh": {
        "check_title": "{period}合规检查",
        "assess_title": "{year}年度考核",
        "explain_title": "{subject} {name}（{kind}），{period}",
        "period": "期间",
        "dataset": "数据集",
        "generated": "生成时间",
        "digest": "输入数据摘要（SHA-256）",
        "packs": "规则包",
        "plugins": "插件",
        "pack_headers": ("规则包", "版本", "SHA-256", "来源"),
        "plugin_headers": ("插件", "版本", "来源"),
        "rule_headers": ("规则", "规则包", "名称", "严重程度", "参数", "来源"),
        "severities": {"low": "低", "medium": "中", "high": "高"},
        "loading": "正在读取数据",
        "evaluating": "正在执行规则",
        "rendering": "正在生成报告",
        "cover": "封面",
        "finding_headers": ("对象", "名称", "期间", "规则", "规则名称", "结果", "说明", "依据记录"),
        "findings": "检查结果",
        "summary": "共 {total} 条检查结果：{counts}",
        "next": "下一步要做的",
        "errors": "运行中出错",
        "error_headers": ("插件", "错误", "缺少的结果", "对象"),
        "all_subjects": "全部",
        "nothing": "{subject} 在 {period} 没有检查结果：检查针对党支部、产业链党委和企业；部门或干部的得分请用 "
        "`evalkit explain --subject {subject}` 查看。",
        "departments": "部门",
        "cadres": "干部",
        "rank": "排名",
        "subject": "编号",
        "name": "名称",
        "department": "所在部门",
        "base": "基础分",
        "bonus": "加分",
        "deduction": "扣分",
        "total": "总分",
        "grade": "等次",
        "veto": "否决",
        "vetoed": "一票否决",
        "na": "不适用",
        "checked": "检查季度",
        "compliant": "达标季度",
        "rate": "达标率",
        "legend": "分值按四舍五入保留两位小数；基础分 = 适用指标得分 × 100 ÷ 其权重之和（不适用的指标不计入），"
        "因此各列之和与基础分可能相差 0.01。",
        "demoted": "* 受优秀比例限制调整为该等次",
        "provisional": "? 暂定：所依据的部分结果缺失（见运行错误）",
        "chart_totals": "各部门总分与等次分档",
        "chart_grid": "各党支部分季度达标情况",
        "grid_states": {"compliant": "达标", "non_compliant": "不达标", "skipped": "不检查"},
        "filter": "筛选",
        "all": "全部",
        "indicators": "指标",
        "indicator_headers": ("规则", "名称", "计量", "比例", "权重", "得分"),
        "na_long": "不适用（无可计量的事项，不计入）",
        "capped_share": "（封顶为 1）",
        "base_line": "基础分 = （{points}）× 100 ÷（{weights}）= {base}",
        "no_base": "基础分 = 0（没有适用的指标）",
        "adjustments": "加减分",
        "adjustment_headers": ("规则", "名称", "事项数", "每项", "分值", "依据记录"),
        "capped": "{points}（上限 {cap}）",
        "no_adjustments": "加减分：无",
        "deductions": "扣分合计：{all}，最多扣 {cap} 分 → {deduction}",
        "total_line": "总分 = {base} + {bonus} − {deduction} = {unclipped}",
        "clipped": "，限定在 {low}–{high} 之间：{total}",
        "band": "分档：总分 {total} {rule} → {grade}",
        "at_least": "≥ {floor}",
        "below": "低于其他各档",
        "veto_line": "一票否决 {rules}：记录 {evidence} → 最低等次 {grade}",
        "no_veto": "一票否决：无",
        "quota": "优秀比例 {rule}：{pool} 名{kinds}中有 {holders} 名达到{grade}，最多 {allowed} 名；调整为{demoted}",
        "pools": {"department": "部门", "cadre": "干部"},
        "grade_line": "等次：{grade}",
        "rank_line": "排名：第 {rank} 名，共 {pool} 名（按总分，同分同名次）",
        "provisional_line": "暂定：所依据的部分结果缺失（见运行错误）。",
        "score": "得分",
        "no_findings": "检查结果：无",
        "annual": "考核得分按年度计算：使用 --period {year} 查看该对象的得分过程。",
        "quarters": "检查季度 {checked} 个，达标 {compliant} 个，达标率 {rate}",
    },
}


def period_label(period: Period, lang: str) -> str:
    """A period as a reader says it: 2024Q3 → 2024年第三季度 in Chinese; the code in English."""
    if lang != "zh":
        return str(period)
    if period.quarter is None:
        return f"{period.year}年"
    return f"{period.year}年第{'一二三四'[period.quarter - 1]}季度"
