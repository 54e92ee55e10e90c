"""Rendering evaluation results as text tables (tabulate) or JSON, in English or Chinese."""

from __future__ import annotations

import json
from collections import Counter

from tabulate import tabulate

from .evaluate import Evaluation
from .findings import STATUSES, Finding
from .packs import Pack

STATUS_LABELS = {
    "en": {status: status for status in STATUSES},
    "zh": {"pass": "通过", "fail": "不通过", "skip": "不适用", "waived": "已豁免", "error": "出错"},
}
HEADERS = {
    "en": ("subject", "name", "period", "rule", "title", "status", "message"),
    "zh": ("对象", "名称", "期间", "规则", "规则名称", "结果", "说明"),
}
WORDS = {
    "en": {
        "summary": "{total} findings: {counts}",
        "next": "What to do next",
        "errors": "Errors while running",
        "missing": "missing results",
        "nothing": "{subject} has no findings of its own in {period}: check covers branches, chain committees "
        "and enterprises; a department's or cadre's score is shown by `evalkit explain --subject {subject}`.",
    },
    "zh": {
        "summary": "共 {total} 条检查结果：{counts}",
        "next": "下一步要做的",
        "errors": "运行中出错",
        "missing": "缺少的结果",
        "nothing": "{subject} 在 {period} 没有检查结果：检查针对党支部、产业链党委和企业；部门或干部的得分请用 "
        "`evalkit explain --subject {subject}` 查看。",
    },
}


def packs_json(packs: list[Pack]) -> list[dict]:
    return [{"name": p.name, "version": p.spec.version, "sha256": p.sha256, "source": p.origin} for p in packs]


def check_json(evaluation: Evaluation, packs: list[Pack], lang: str) -> str:
    data = {
        "period": str(evaluation.period),
        "findings": [finding.to_json(lang) for finding in evaluation.findings],
        "errors": [error.to_json() for error in evaluation.errors],
        "packs": packs_json(packs),
    }
    return json.dumps(data, ensure_ascii=False, indent=1) + "\n"


def check_text(evaluation: Evaluation, titles: dict, names: dict[str, str], lang: str, subject: str | None) -> str:
    """A table of the findings that need attention (every finding for one subject), then advice."""
    words = WORDS[lang]
    labels = STATUS_LABELS[lang]
    counts = Counter(f.status for f in evaluation.findings)
    summary = ", ".join(f"{counts[s]} {labels[s]}" for s in labels if counts[s])
    shown = [f for f in evaluation.findings if subject or f.status in ("fail", "waived", "error")]
    rows = [_row(f, titles, names, lang) for f in shown]
    parts = [words["summary"].format(total=len(evaluation.findings), counts=summary or "0")]
    if rows:
        parts.append(tabulate(rows, headers=HEADERS[lang], tablefmt="simple"))
    advice = [f.advice[lang] for f in evaluation.findings if f.status == "fail" and f.advice]
    if subject and not evaluation.findings:
        parts.append(words["nothing"].format(subject=subject, period=evaluation.period))
    if subject and advice:
        parts.append(words["next"] + ":\n" + "\n".join(f"  {n}. {line}" for n, line in enumerate(advice, 1)))
    if evaluation.errors:
        lines = [
            f"  {e.plugin}: {e.error} ({words['missing']}: {', '.join(e.rules) or '-'})" for e in evaluation.errors
        ]
        parts.append(words["errors"] + ":\n" + "\n".join(lines))
    return "\n\n".join(parts) + "\n"


def _row(finding: Finding, titles: dict, names: dict[str, str], lang: str) -> list:
    message = finding.messages[lang]
    if finding.waiver is not None:
        message += f" [{finding.waiver.reason} / {finding.waiver.approved_by}]"
    return [
        finding.subject,
        names.get(finding.subject, ""),
        str(finding.period),
        finding.rule,
        titles[finding.rule](lang),
        STATUS_LABELS[lang][finding.status],
        message,
    ]
