"""Rendering an assessment as JSON (docs/output.md) or text tables, and one subject's explanation.

JSON numbers are rounded half up to 6 decimals, table numbers to 2; the computation behind both
is exact (scoring.py), so the two never disagree beyond rounding.
"""

from __future__ import annotations

import json
from fractions import Fraction

from tabulate import tabulate

from .assessment import Assessment, ComplianceTable, TableRow
from .findings import Finding
from .packs import CompiledRule, Pack
from .report import STATUS_LABELS, packs_json
from .scoring import Score, rounded

SCORED_KINDS = ("department", "cadre")
TABLE_KEYS = {"department": "departments", "cadre": "cadres"}
WORDS = {
    "en": {
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
        "demoted": "* lowered to this grade by the excellence quota",
        "provisional": "? provisional: results it depends on are missing (see errors)",
        "errors": "Errors while running",
        "missing": "missing results",
        "assessment": "Assessment {period}",
        "packs": "rule packs",
    },
    "zh": {
        "departments": "部门",
        "cadres": "干部",
        "rank": "排名",
        "subject": "对象",
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
        "demoted": "* 受优秀比例限制调整为该等次",
        "provisional": "? 暂定：所依据的部分结果缺失（见运行错误）",
        "errors": "运行中出错",
        "missing": "缺少的结果",
        "assessment": "{period} 年度考核",
        "packs": "规则包",
    },
}


def number(value: Fraction | None) -> float | None:
    """A JSON number: exact value rounded half up to 6 decimals."""
    return None if value is None else rounded(value, 6)


def cell(value: Fraction | None, signed: bool = False) -> str:
    """A table number: rounded half up to 2 decimals."""
    if value is None:
        return ""
    return f"{rounded(value, 2):{'+' if signed else ''}.2f}"


# JSON ---------------------------------------------------------------------------------------


def score_json(score: Score, names: dict[str, str], departments: dict[str, str]) -> dict:
    data = {"subject": score.subject, "name": names.get(score.subject, "")}
    if score.subject_kind == "cadre":
        data["department"] = departments.get(score.subject)
    data |= {
        "rank": score.rank,
        "total": number(score.total),
        "grade": score.grade,
        "vetoed": score.vetoed,
        "base": number(score.base),
        "bonus": number(score.bonus),
        "deduction": number(score.deduction),
        "indicators": {
            i.rule: {
                "value": number(i.value),
                "numerator": i.numerator,
                "denominator": i.denominator,
                "weight": int(i.weight) if i.weight.denominator == 1 else number(i.weight),
                "points": number(i.points),
                "applicable": i.applicable,
            }
            for i in score.indicators
        },
        "adjustments": [
            {"rule": a.rule, "points": number(a.points), "items": len(a.items), "evidence": list(a.evidence)}
            for a in score.adjustments
        ],
        "band": score.band.grade,
        "veto_evidence": list(score.veto_evidence),
        "demoted_by": score.demoted_by,
        "provisional": score.provisional,
    }
    return data


def table_row_json(table: ComplianceTable, row: TableRow, names: dict[str, str]) -> dict:
    data = {"subject": row.subject, "name": names.get(row.subject, "")}
    if table.spec.quarters:
        data |= {
            "checked_quarters": row.checked_quarters,
            "compliant_quarters": row.compliant_quarters,
            "compliance_rate": number(row.compliance_rate),
        }
    data["findings"] = row.statuses
    return data


def assess_json(assessment: Assessment, packs: list[Pack], names: dict, departments: dict, lang: str) -> str:
    evaluation = assessment.evaluation
    data: dict = {"period": str(evaluation.period)}
    for kind in SCORED_KINDS:
        data[TABLE_KEYS[kind]] = [score_json(s, names, departments) for s in assessment.scores_of(kind)]
    for table in assessment.tables:
        data[table.spec.name] = [table_row_json(table, row, names) for row in table.rows]
    data |= {
        "findings": [finding.to_json(lang) for finding in evaluation.findings],
        "packs": packs_json(packs),
        "errors": [error.to_json() for error in evaluation.errors],
    }
    return dumps(data)


def dumps(data: dict) -> str:
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


# Text ---------------------------------------------------------------------------------------


def assess_text(
    assessment: Assessment, rules: list[CompiledRule], packs: list[Pack], names: dict, departments: dict, lang: str
) -> str:
    words = WORDS[lang]
    titles = {rule.spec.id: rule.spec.title(lang) for rule in rules}
    period = str(assessment.evaluation.period)
    used = ", ".join(f"{p.name} {p.spec.version} ({p.sha256[:12]})" for p in packs)
    parts = [words["assessment"].format(period=period) + f"\n{words['packs']}: {used}"]
    notes = set()
    for kind in SCORED_KINDS:
        scores = assessment.scores_of(kind)
        if scores:
            parts.append(_score_table(assessment, kind, scores, titles, names, departments, lang, notes))
    for table in assessment.tables:
        parts.append(_compliance_table(table, titles, names, lang))
    parts += [words[note] for note in ("demoted", "provisional") if note in notes]
    errors = assessment.evaluation.errors
    if errors:
        lines = [f"  {e.plugin}: {e.error} ({words['missing']}: {', '.join(e.rules) or '-'})" for e in errors]
        parts.append(words["errors"] + ":\n" + "\n".join(lines))
    return "\n\n".join(parts) + "\n"


def _score_table(assessment, kind, scores, titles, names, departments, lang, notes: set) -> str:
    words = WORDS[lang]
    indicator_ids = [i.rule for i in scores[0].indicators]
    headers = [words["rank"], words["subject"], words["name"]]
    headers += [words["department"]] if kind == "cadre" else []
    headers += indicator_ids + [words[k] for k in ("base", "bonus", "deduction", "total", "grade", "veto")]
    rows = []
    for score in scores:
        row = [score.rank, score.subject, names.get(score.subject, "")]
        row += [departments.get(score.subject) or ""] if kind == "cadre" else []
        row += [cell(i.points) if i.applicable else words["na"] for i in score.indicators]
        grade = assessment.label(kind, score.grade, lang)
        if score.demoted_by:
            grade += "*"
            notes.add("demoted")
        if score.provisional:
            grade += "?"
            notes.add("provisional")
        row += [cell(score.base), cell(score.bonus), cell(score.deduction), cell(score.total), grade]
        row.append(words["vetoed"] if score.vetoed else "")
        rows.append(row)
    legend = ", ".join(f"{rule} {titles[rule]}" for rule in indicator_ids)
    table = tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True)
    return f"{words[TABLE_KEYS[kind]]} ({legend})\n{table}"


def _compliance_table(table: ComplianceTable, titles: dict, names: dict, lang: str) -> str:
    words = WORDS[lang]
    labels = STATUS_LABELS[lang]
    headers = [words["subject"], words["name"]]
    if table.spec.quarters:
        headers += [words["checked"], words["compliant"], words["rate"]]
    headers += [f"{rule} {titles[rule]}" for rule in table.spec.columns]
    rows = []
    for row in table.rows:
        line = [row.subject, names.get(row.subject, "")]
        if table.spec.quarters:
            rate = row.compliance_rate
            line += [
                row.checked_quarters,
                row.compliant_quarters,
                "" if rate is None else f"{rounded(rate * 100, 2):.2f}%",
            ]
        line += [labels.get(row.statuses.get(rule, ""), "") for rule in table.spec.columns]
        rows.append(line)
    return table.spec.title(lang) + "\n" + tabulate(rows, headers=headers, tablefmt="simple", disable_numparse=True)


def finding_lines(findings: list[Finding], titles: dict, lang: str) -> list[list]:
    """Rows of a findings table with their evidence, for an explanation."""
    labels = STATUS_LABELS[lang]
    return [
        [str(f.period), f.rule, titles[f.rule], labels[f.status], f.messages[lang], ", ".join(f.evidence)]
        for f in findings
    ]
