"""The JSON of `check`, `assess` and `explain` (docs/output.md): exact numbers rounded to 6 decimals."""

from __future__ import annotations

import math
from collections.abc import Iterator
from fractions import Fraction
from json.encoder import encode_basestring

from .assessment import SCORE_TABLES, Assessment, ComplianceTable, TableRow
from .evaluate import Evaluation
from .packs import Pack
from .scoring import Score, rounded


def number(value: Fraction | None) -> float | None:
    """A JSON number: the exact value rounded half up to 6 decimals."""
    return None if value is None else rounded(value, 6)


def dumps(data: dict) -> str:
    """`json.dumps(data, ensure_ascii=False, indent=1)` and a newline, byte for byte, only faster.

    The standard library's encoder is pure Python once indenting; an assessment at province
    size holds about a million findings. This one writes the same text with the same C string
    escaping, and also takes iterators as lists, so findings can be encoded as they are made.
    """
    writer = _Writer()
    writer.value(data, "\n")
    return writer.text() + "\n"


class _Writer:
    """The text of one JSON document, kept as a few large pieces rather than millions of small ones."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.pieces: list[str] = []

    def text(self) -> str:
        return "".join(self.pieces) + "".join(self.parts)

    def value(self, value, newline: str) -> None:
        parts = self.parts
        if isinstance(value, str):
            parts.append(_string(value))
        elif value is None or isinstance(value, (int, float)):
            parts.append(_scalar(value))
        elif isinstance(value, dict):
            if not value:
                parts.append("{}")
                return
            inner = newline + " "
            separator = "{" + inner
            for key, item in value.items():
                parts.append(separator + _key(key) + ": ")
                self.value(item, inner)
                separator = "," + inner
            parts.append(newline + "}")
        elif isinstance(value, (list, tuple, Iterator)):
            inner = newline + " "
            separator = "[" + inner
            for item in value:
                parts.append(separator)
                self.value(item, inner)
                separator = "," + inner
                if len(parts) > 10_000:
                    self.pieces.append("".join(parts))
                    parts.clear()
            parts.append("[]" if separator[0] == "[" else newline + "]")
        else:
            raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


_string = encode_basestring  # the C escaper json.dumps uses with ensure_ascii=False


def _scalar(value: int | float | None) -> str:
    if value is None:
        return "null"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return int.__repr__(value)
    if value != value:
        return "NaN"
    if value in (math.inf, -math.inf):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


def _key(key) -> str:
    """A dict key as json.dumps writes it: text, or a number or constant in quotes."""
    if isinstance(key, str):
        return _string(key)
    if key is None or isinstance(key, (int, float)):
        return _string(_scalar(key))
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def packs_json(packs: list[Pack]) -> list[dict]:
    return [{"name": p.name, "version": p.spec.version, "sha256": p.sha256, "source": p.origin} for p in packs]


def check_json(evaluation: Evaluation, packs: list[Pack], lang: str) -> str:
    return dumps(
        {
            "period": str(evaluation.period),
            "findings": [finding.to_json(lang) for finding in evaluation.findings],
            "errors": [error.to_json() for error in evaluation.errors],
            "packs": packs_json(packs),
        }
    )


def score_json(score: Score, names: dict[str, str], departments: dict) -> dict:
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
    for kind, key in SCORE_TABLES.items():
        data[key] = [score_json(s, names, departments) for s in assessment.scores_of(kind)]
    for table in assessment.tables:
        data[table.spec.name] = [table_row_json(table, row, names) for row in table.rows]
    data |= {
        "findings": (finding.to_json(lang) for finding in evaluation.findings),  # encoded as made
        "packs": packs_json(packs),
        "errors": [error.to_json() for error in evaluation.errors],
    }
    return dumps(data)


def explain_json(
    assessment: Assessment, subject: str, subject_kind: str, packs: list[Pack], names: dict, departments: dict, lang
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
