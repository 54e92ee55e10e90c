"""`evalkit explain`: how one subject's findings and score came about, step by step.

Written so a reviewer can redo the arithmetic by hand: every indicator with its numerator and
denominator, every adjustment with the records behind each item, the caps, the band, the veto,
the quota and the rank.
"""

from __future__ import annotations

from fractions import Fraction

from tabulate import tabulate

from .assess_report import cell, dumps, finding_lines, score_json, table_row_json
from .assessment import Assessment
from .packs import CompiledRule, Pack
from .report import packs_json
from .scoring import Score, quota_limit, rounded

WORDS = {
    "en": {
        "kinds": {
            "department": "department",
            "cadre": "cadre",
            "organization": "organisation",
            "enterprise": "enterprise",
        },
        "pools": {"department": "departments", "cadre": "cadres"},
        "indicators": "Indicators",
        "indicator_headers": ("rule", "title", "measured", "share", "weight", "points"),
        "na": "n/a (nothing to measure: left out)",
        "capped_share": " (at most 1)",
        "base": "Base = ({points}) × 100 / ({weights}) = {base}",
        "no_base": "Base = 0 (no indicator applicable)",
        "adjustments": "Adjustments",
        "adjustment_headers": ("rule", "title", "items", "each", "points", "records"),
        "capped": "{points} (cap {cap})",
        "no_adjustments": "Adjustments: none",
        "deductions": "Deductions together: {all}, at most {cap} → {deduction}",
        "total": "Total = {base} + {bonus} − {deduction} = {unclipped}",
        "clipped": ", kept within {low}–{high}: {total}",
        "band": "Band: total {total} {rule} → {grade}",
        "at_least": "≥ {floor}",
        "below": "below every other band",
        "veto": "Veto {rules}: records {evidence} → lowest grade, {grade}",
        "no_veto": "Veto: none",
        "quota": "Quota {rule}: {holders} of {pool} {kinds} would be {grade}, at most {allowed} may; "
        "lowered to {demoted}",
        "grade": "Grade: {grade}",
        "rank": "Rank: {rank} of {pool} (by total; equal totals share a rank)",
        "provisional": "Provisional: results this score depends on are missing (see errors).",
        "findings": "Findings",
        "finding_headers": ("period", "rule", "title", "status", "message", "records"),
        "no_findings": "Findings: none",
        "annual": "Scores are annual: --period {year} shows how this subject's score came about.",
        "quarters": "Quarters checked {checked}, compliant {compliant}, rate {rate}",
    },
    "zh": {
        "kinds": {"department": "部门", "cadre": "干部", "organization": "党组织", "enterprise": "企业"},
        "pools": {"department": "部门", "cadre": "干部"},
        "indicators": "指标",
        "indicator_headers": ("规则", "名称", "计量", "比例", "权重", "得分"),
        "na": "不适用（无可计量的事项，不计入）",
        "capped_share": "（封顶为 1）",
        "base": "基础分 = （{points}）× 100 ÷（{weights}）= {base}",
        "no_base": "基础分 = 0（没有适用的指标）",
        "adjustments": "加减分",
        "adjustment_headers": ("规则", "名称", "事项数", "每项", "分值", "依据记录"),
        "capped": "{points}（上限 {cap}）",
        "no_adjustments": "加减分：无",
        "deductions": "扣分合计：{all}，最多扣 {cap} 分 → {deduction}",
        "total": "总分 = {base} + {bonus} − {deduction} = {unclipped}",
        "clipped": "，限定在 {low}–{high} 之间：{total}",
        "band": "分档：总分 {total} {rule} → {grade}",
        "at_least": "≥ {floor}",
        "below": "低于其他各档",
        "veto": "一票否决 {rules}：记录 {evidence} → 最低等次 {grade}",
        "no_veto": "一票否决：无",
        "quota": "优秀比例 {rule}：{pool} 名{kinds}中有 {holders} 名达到{grade}，最多 {allowed} 名；调整为{demoted}",
        "grade": "等次：{grade}",
        "rank": "排名：第 {rank} 名，共 {pool} 名（按总分，同分同名次）",
        "provisional": "暂定：所依据的部分结果缺失（见运行错误）。",
        "findings": "检查结果",
        "finding_headers": ("期间", "规则", "名称", "结果", "说明", "依据记录"),
        "no_findings": "检查结果：无",
        "annual": "考核得分按年度计算：使用 --period {year} 查看该对象的得分过程。",
        "quarters": "检查季度 {checked} 个，达标 {compliant} 个，达标率 {rate}",
    },
}


def _fraction(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}" if value.denominator != 1 else str(value.numerator)


def explain_json(
    assessment: Assessment, subject: str, subject_kind: str, packs: list[Pack], names, departments, lang
) -> str:
    evaluation = assessment.evaluation
    score = next((s for s in assessment.scores if s.subject == subject), None)
    data: dict = {
        "period": str(evaluation.period),
        "subject": subject,
        "subject_kind": subject_kind,
        "name": names.get(subject, ""),
        "score": score_json(score, names, departments) if score else None,
    }
    for table in assessment.tables:
        for row in table.rows:
            if row.subject == subject:
                data[table.spec.name] = table_row_json(table, row, names)
    data |= {
        "findings": [f.to_json(lang) for f in evaluation.findings if f.subject == subject],
        "packs": packs_json(packs),
        "errors": [error.to_json() for error in evaluation.errors],
    }
    return dumps(data)


def explain_text(
    assessment: Assessment, subject: str, subject_kind: str, rules: list[CompiledRule], names, lang: str
) -> str:
    words = WORDS[lang]
    titles = {rule.spec.id: rule.spec.title(lang) for rule in rules}
    period = assessment.evaluation.period
    parts = [f"{subject} {names.get(subject, '')} — {words['kinds'].get(subject_kind, subject_kind)}, {period}"]
    score = next((s for s in assessment.scores if s.subject == subject), None)
    if score is not None:
        parts += _score_parts(assessment, score, rules, titles, words, lang)
    for table in assessment.tables:
        for row in table.rows:
            if row.subject == subject and table.spec.quarters:
                rate = "–" if row.compliance_rate is None else f"{rounded(row.compliance_rate * 100, 2):.2f}%"
                parts.append(
                    words["quarters"].format(checked=row.checked_quarters, compliant=row.compliant_quarters, rate=rate)
                )
    findings = [f for f in assessment.evaluation.findings if f.subject == subject]
    if findings:
        table = tabulate(finding_lines(findings, titles, lang), headers=words["finding_headers"], disable_numparse=True)
        parts.append(f"{words['findings']}\n{table}")
    elif score is None:
        parts.append(words["no_findings"])
    if score is None and subject_kind in ("department", "cadre") and not period.is_year:
        parts.append(words["annual"].format(year=period.year))
    return "\n\n".join(parts) + "\n"


def _score_parts(assessment: Assessment, score: Score, rules, titles, words, lang) -> list[str]:
    parts = []
    rows = []
    for i in score.indicators:
        measured = f"{i.numerator} / {i.denominator}"
        if i.applicable:
            share = _fraction(i.value) + (words["capped_share"] if i.numerator > i.denominator else "")
            rows.append([i.rule, titles[i.rule], measured, share, _fraction(i.weight), cell(i.points)])
        else:
            rows.append([i.rule, titles[i.rule], measured, words["na"], _fraction(i.weight), ""])
    parts.append(f"{words['indicators']}\n" + tabulate(rows, headers=words["indicator_headers"], disable_numparse=True))
    applicable = [i for i in score.indicators if i.applicable]
    if applicable:
        points = " + ".join(cell(i.points) for i in applicable)
        weights = " + ".join(_fraction(i.weight) for i in applicable)
        parts.append(words["base"].format(points=points, weights=weights, base=cell(score.base)))
    else:
        parts.append(words["no_base"])
    by_id = {rule.spec.id: rule for rule in rules}
    if score.adjustments:
        rows = []
        for a in score.adjustments:
            points = cell(a.points, signed=True)
            if a.cap is not None and abs(a.uncapped) > a.cap:
                points = (
                    words["capped"].format(points=cell(a.uncapped, signed=True), cap=_fraction(a.cap)) + f" → {points}"
                )
            records = "; ".join(", ".join(item) for item in a.items)
            rows.append([a.rule, titles[a.rule], len(a.items), cell(a.each, signed=True), points, records])
        parts.append(
            f"{words['adjustments']}\n" + tabulate(rows, headers=words["adjustment_headers"], disable_numparse=True)
        )
    else:
        parts.append(words["no_adjustments"])
    lines = []
    if score.deductions:
        lines.append(
            words["deductions"].format(
                all=cell(score.deductions), cap=_fraction(score.deduction_cap), deduction=cell(score.deduction)
            )
        )
    total = words["total"].format(
        base=cell(score.base), bonus=cell(score.bonus), deduction=cell(score.deduction), unclipped=cell(score.unclipped)
    )
    low, high = score.total_range
    if score.total != score.unclipped:
        total += words["clipped"].format(low=_fraction(low), high=_fraction(high), total=cell(score.total))
    lines.append(total)
    kind = score.subject_kind
    floor = score.band.at_least
    rule = words["at_least"].format(floor=floor) if floor is not None else words["below"]
    lines.append(
        words["band"].format(total=cell(score.total), rule=rule, grade=assessment.label(kind, score.band.grade, lang))
    )
    if score.vetoed:
        lowest = assessment.label(kind, assessment.scoring.grades[kind][-1].grade, lang)
        lines.append(
            words["veto"].format(rules=", ".join(score.vetoes), evidence=", ".join(score.veto_evidence), grade=lowest)
        )
    else:
        lines.append(words["no_veto"])
    pool = assessment.scores_of(kind)
    if score.demoted_by:
        quota_rule = by_id[score.demoted_by]
        quota = quota_rule.spec.quota
        holders = sum(s.band.grade == quota.grade and not s.vetoed for s in pool)
        lines.append(
            words["quota"].format(
                rule=score.demoted_by,
                holders=holders,
                pool=len(pool),
                kinds=words["pools"].get(kind, kind),
                grade=assessment.label(kind, quota.grade, lang),
                allowed=quota_limit(quota_rule, len(pool)),
                demoted=assessment.label(kind, quota.demote_to, lang),
            )
        )
    lines.append(words["grade"].format(grade=assessment.label(kind, score.grade, lang)))
    lines.append(words["rank"].format(rank=score.rank, pool=len(pool)))
    if score.provisional:
        lines.append(words["provisional"])
    parts.append("\n".join(lines))
    return parts
