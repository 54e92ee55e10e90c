"""The JSON of `check`, `assess` and `explain` (docs/output.md): exact numbers rounded to 6 decimals."""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import partial
from json.encoder import encode_basestring
from typing import Any

from ..rules.evaluate import Evaluation
from ..rules.findings import Finding
from ..rules.packs import Pack
from ..score.assessment import SCORE_TABLES, Assessment, ComplianceTable, TableRow
from ..score.scoring import Score, rounded


def number(value: Fraction | None) -> float | None:
    """A JSON number: the exact value rounded half up to 6 decimals."""
    return None if value is None else rounded(value, 6)


@dataclass(frozen=True)
class JsonText:
    """A JSON document written a piece at a time: exactly `json.dumps(data, ensure_ascii=False,
    indent=1)` and a newline.

    The standard library's encoder is pure Python once indenting (about 20 µs a finding) and
    builds the whole text in memory; a province's assessment holds about a million findings,
    hundreds of megabytes. This writes the same text, one top-level value at a time, strings
    escaped by the standard library's C escaper, and takes a `LazyList` as a list, so findings
    are made as they are written and never held.
    """

    data: dict

    def write_to(self, write: Callable[[str], object]) -> None:
        separator = "{"
        for key, value in self.data.items():
            write(f"{separator}\n {_string(_key(key))}: ")
            if isinstance(value, LazyList):
                write(_items(value, 1))
            else:
                write(_text(value, 1))
            separator = ","
        write("\n}\n" if self.data else "{}\n")

    def __str__(self) -> str:
        pieces: list[str] = []
        self.write_to(pieces.append)
        return "".join(pieces)


@dataclass(frozen=True)
class LazyList:
    """A JSON list whose items are made from `items` as it is written (each time), never held."""

    items: Sequence
    make: Callable[[Any], object]

    def __iter__(self) -> Iterator:
        return map(self.make, self.items)


_string = encode_basestring  # the C escaper json.dumps uses with ensure_ascii=False


def _items(values: Iterable, level: int) -> str:
    inner = "\n" + " " * (level + 1)
    texts = [_text(value, level + 1) for value in values]
    return f"[{inner}{(',' + inner).join(texts)}\n{' ' * level}]" if texts else "[]"


def _text(value, level: int) -> str:
    """`value` as json.dumps(indent=1) writes it `level` levels deep."""
    kind = type(value)
    if kind is str:
        return _string(value)
    if kind is _Written:
        return value
    if kind is dict:
        if not value:
            return "{}"
        inner = "\n" + " " * (level + 1)
        deeper = level + 1
        pairs = [
            _string(key if type(key) is str else _key(key))
            + ": "
            + (_string(item) if type(item) is str else _text(item, deeper))
            for key, item in value.items()
        ]
        return "{" + inner + ("," + inner).join(pairs) + "\n" + " " * level + "}"
    if kind is list or kind is tuple or kind is LazyList:
        if value and all(type(item) is str for item in value):  # evidence: ids, written here at once
            inner = "\n" + " " * (level + 1)
            return "[" + inner + ("," + inner).join(map(_string, value)) + "\n" + " " * level + "]"
        return _items(value, level)
    if value is None or kind is bool or kind is int or kind is float:
        return _SCALARS[kind](value)
    if isinstance(value, (str, int, float, dict, list, tuple)):  # a subclass: as json.dumps takes it
        return json.dumps(value, ensure_ascii=False, indent=1).replace("\n", "\n" + " " * level)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


#: Scalars as json.dumps writes them (floats by repr, NaN and infinities as JavaScript spells them).
_SCALARS = {
    type(None): lambda value: "null",
    bool: lambda value: "true" if value else "false",
    int: int.__repr__,
    float: lambda value: float.__repr__(value) if math.isfinite(value) else json.dumps(value),
}


def _key(key) -> str:
    """A dict key as json.dumps writes it: text, or a number or constant as text."""
    if isinstance(key, str):
        return key
    if key is None or isinstance(key, (bool, int, float)):
        return json.dumps(key)
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def packs_json(packs: list[Pack]) -> list[dict]:
    return [{"name": p.name, "version": p.spec.version, "sha256": p.sha256, "source": p.origin} for p in packs]


def findings_json(findings: Sequence[Finding], lang: str) -> LazyList:
    """The findings as a top-level list of the document (each written at its indentation)."""
    return LazyList(findings, lambda finding: _Written(_finding_text(finding, lang)))


class _Written(str):
    """JSON text already written for its place in the document (a finding in a top-level list)."""


def _finding_text(finding: Finding, lang: str) -> str:
    """`finding.to_json(lang)` as json.dumps(indent=1) writes it two levels deep, made in one
    piece: a province's report writes a million of them (a fifth of the generic writer's time;
    a test compares the two)."""
    evidence = "[]"
    if finding.evidence:
        evidence = "[\n    " + ",\n    ".join(map(_string, finding.evidence)) + "\n   ]"
    text = _FINDING % (
        _string(finding.rule),
        _string(finding.pack),
        _string(finding.subject),
        _string(finding.subject_kind),
        _string(str(finding.period)),
        _string(finding.status),
        _string(finding.severity),
        _string(finding.message(lang)),
        evidence,
    )
    if finding.waiver is not None:
        text += _WAIVER % (_string(finding.waiver.reason), _string(finding.waiver.approved_by))
    return text + "\n  }"


_FINDING = "{" + ",".join(
    f'\n   "{key}": %s'
    for key in ("rule", "pack", "subject", "subject_kind", "period", "status", "severity", "message", "evidence")
)
_WAIVER = ',\n   "waiver": {\n    "reason": %s,\n    "approved_by": %s\n   }'


def check_json(evaluation: Evaluation, packs: list[Pack], lang: str) -> JsonText:
    return JsonText(
        {
            "period": str(evaluation.period),
            "findings": findings_json(evaluation.findings, lang),
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


def assess_json(assessment: Assessment, packs: list[Pack], names: dict, departments: dict, lang: str) -> JsonText:
    evaluation = assessment.evaluation
    data: dict = {"period": str(evaluation.period)}
    for kind, key in SCORE_TABLES.items():
        data[key] = LazyList(assessment.scores_of(kind), partial(score_json, names=names, departments=departments))
    for table in assessment.tables:
        data[table.spec.name] = [table_row_json(table, row, names) for row in table.rows]
    data |= {
        "findings": findings_json(evaluation.findings, lang),
        "packs": packs_json(packs),
        "errors": [error.to_json() for error in evaluation.errors],
    }
    return JsonText(data)


def explain_json(
    assessment: Assessment, subject: str, subject_kind: str, packs: list[Pack], names: dict, departments: dict, lang
) -> JsonText:
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
    return JsonText(data)
