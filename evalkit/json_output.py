"""The JSON of `check`, `assess` and `explain` (docs/output.md): exact numbers rounded to 6 decimals."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from functools import partial
from json.encoder import encode_basestring
from typing import Any

from .assessment import SCORE_TABLES, Assessment, ComplianceTable, TableRow
from .evaluate import Evaluation
from .findings import Finding
from .forked import Forked, ForkedText, can_fork
from .packs import Pack
from .scoring import Score, rounded


def number(value: Fraction | None) -> float | None:
    """A JSON number: the exact value rounded half up to 6 decimals."""
    return None if value is None else rounded(value, 6)


@dataclass(frozen=True)
class JsonText:
    """A JSON document made as it is written: `json.dumps(data, ensure_ascii=False, indent=1)`
    and a newline, byte for byte.

    The standard library's encoder is pure Python once indenting, and builds the whole text in
    memory; an assessment at province size holds about a million findings (hundreds of
    megabytes). This writes the same text with the same C string escaping, a piece at a time,
    and takes a `LazyList` as a list, so findings can be encoded as they are made.
    """

    data: dict
    #: Top-level `LazyList`s of at least this many items (a province's findings) are written by
    #: a forked process while this one writes what comes before them (Linux; None: never).
    fork_from: int | None = None
    #: Top-level values a forked process has been writing since before this document was made
    #: (`FindingsAhead`), by key; used once, by the first write.
    ahead: Mapping[str, ForkedText] = field(default_factory=dict)

    def write_to(self, write: Callable[[str], None]) -> None:
        started: list[Forked] = []
        ahead = {id(self.data[key]): text for key, text in self.ahead.items()}
        try:
            self._write_ahead(ahead, started)
            writer = _Writer(write, ahead)
            writer.value(self.data, "\n")
            writer.parts.append("\n")
            writer.flush()
        finally:
            for child in started:
                child.stop()
            for text in ahead.values():
                text.close()

    def _write_ahead(self, ahead: dict[int, ForkedText], started: list[Forked]) -> None:
        """Has each long top-level list written by a forked process (`ahead`, by the list's id)."""
        if self.fork_from is None or not can_fork():
            return
        for value in self.data.values():
            if isinstance(value, LazyList) and len(value.items) >= self.fork_from and id(value) not in ahead:
                ahead[id(value)] = _written_ahead(value, started)

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


class _Writer:
    """Writes a JSON value in pieces of about ten thousand tokens each (not a call per token)."""

    def __init__(self, write: Callable[[str], None], ahead: dict[int, ForkedText] | None = None) -> None:
        self.write = write
        self.parts: list[str] = []
        self.ahead = ahead or {}  # lists another process is writing (by id)

    @classmethod
    def write_value(cls, value, newline: str, write: Callable[[str], None]) -> None:
        writer = cls(write)
        writer.value(value, newline)
        writer.flush()

    def flush(self) -> None:
        self.write("".join(self.parts))
        self.parts.clear()

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
            record = _record(value, newline)
            if record is not None:
                parts.append(record)
                return
            inner = newline + " "
            separator = "{" + inner
            for key, item in value.items():
                # Text keys and values (nearly all) are written here, not by another call each:
                # the writer's time halves.
                key = _string(key) if type(key) is str else _key(key)
                if type(item) is str:
                    parts.append(separator + key + ": " + _string(item))
                elif (scalar := _SCALAR_TEXT.get(type(item))) is not None:
                    parts.append(separator + key + ": " + scalar(item))
                else:
                    parts.append(separator + key + ": ")
                    self.value(item, inner)
                separator = "," + inner
            parts.append(newline + "}")
        elif isinstance(value, (list, tuple, LazyList)):
            if (text := self.ahead.get(id(value))) is not None:
                self.flush()
                text.write_to(self.write)
                return
            inner = newline + " "
            separator = "[" + inner
            for item in value:
                if type(item) is str:
                    parts.append(separator + _string(item))
                elif (scalar := _SCALAR_TEXT.get(type(item))) is not None:
                    parts.append(separator + scalar(item))
                else:
                    parts.append(separator)
                    self.value(item, inner)
                separator = "," + inner
                if len(parts) > 10_000:
                    self.flush()
            parts.append("[]" if separator[0] == "[" else newline + "]")
        else:
            raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _written_ahead(value: LazyList, started: list[Forked]) -> ForkedText:
    """A top-level list of a document, written from now on by a forked process (see `Forked`)."""
    return ForkedText(partial(_Writer.write_value, value, "\n "), started)


_string = encode_basestring  # the C escaper json.dumps uses with ensure_ascii=False


#: %-templates of records' keys, by (keys, indentation); few: findings and table rows share theirs.
_LAYOUTS: dict[tuple, str] = {}


def _record(value: dict, newline: str) -> str | None:
    """A dict whose values are all numbers, text or lists of text (a finding, a score's
    indicator, a table row's statuses), written in one piece; None for any other dict.

    Its keys' layout at this indentation is made once, as a %-template, and only the values are
    encoded per dict: a third of the time of writing it key by key, for a province's million findings.
    """
    if not _RECORD_VALUES.issuperset(map(type, value.values())):  # e.g. a score, holding dicts
        return None
    filled = []
    inner = newline + "  "
    for item in value.values():
        if type(item) is str:
            filled.append(_string(item))
        elif (scalar := _SCALAR_TEXT.get(type(item))) is not None:
            filled.append(scalar(item))
        else:  # a list (the values' types are tested above)
            try:
                texts = ("," + inner).join(map(_string, item))
            except TypeError:  # an item that is not text
                return None
            filled.append(f"[{inner}{texts}{newline} ]" if item else "[]")
    layout = (tuple(value), newline)
    template = _LAYOUTS.get(layout)
    if template is None:
        if not all(type(key) is str for key in value):  # 1 and True are equal keys, not equal text
            return None
        keys = (_string(key).replace("%", "%%") for key in value)
        template = "{" + ",".join(f"{newline} {key}: %s" for key in keys) + newline + "}"
        if len(_LAYOUTS) < 1000:
            _LAYOUTS[layout] = template
    return template % tuple(filled)


def _scalar(value: int | float | None) -> str:
    if value is None or value is True or value is False:
        return _SCALAR_TEXT[type(value)](value)
    return int.__repr__(value) if isinstance(value, int) else _float(value)


def _float(value: float) -> str:
    if value != value:
        return "NaN"
    if value in (math.inf, -math.inf):
        return "Infinity" if value > 0 else "-Infinity"
    return float.__repr__(value)


#: The text of a number or constant of exactly these types (an int subclass goes by `_scalar`).
_SCALAR_TEXT: dict[type, Callable] = {
    int: int.__repr__,
    float: _float,
    bool: lambda value: "true" if value else "false",
    type(None): lambda value: "null",
}


#: The types of the values a record may hold (its lists must hold text, tested as they are written).
_RECORD_VALUES = frozenset(_SCALAR_TEXT) | {str, list}


def _key(key) -> str:
    """A dict key as json.dumps writes it: text, or a number or constant in quotes."""
    if isinstance(key, str):
        return _string(key)
    if key is None or isinstance(key, (int, float)):
        return _string(_scalar(key))
    raise TypeError(f"keys must be str, int, float, bool or None, not {type(key).__name__}")


def packs_json(packs: list[Pack]) -> list[dict]:
    return [{"name": p.name, "version": p.spec.version, "sha256": p.sha256, "source": p.origin} for p in packs]


def findings_json(findings: Sequence[Finding], lang: str) -> LazyList:
    return LazyList(findings, lambda finding: finding.to_json(lang))


class FindingsAhead:
    """A `Session.evaluated` callback: as soon as the rules have run, a province's findings (most
    of `assess`'s JSON) start being written by a forked process, on the core scoring leaves idle;
    `texts` then goes into the document (`JsonText.ahead`). Fewer than `fork_from`: not started."""

    def __init__(self, lang: str, fork_from: int):
        self.lang, self.fork_from = lang, fork_from
        self.texts: dict[str, ForkedText] = {}
        self.started: list[Forked] = []

    def __call__(self, evaluation: Evaluation) -> None:
        if len(evaluation.findings) >= self.fork_from and can_fork():
            self.texts["findings"] = _written_ahead(findings_json(evaluation.findings, self.lang), self.started)

    def close(self) -> None:
        """Stops and forgets what was started (written or not: the command is over)."""
        for child in self.started:
            child.stop()
        for text in self.texts.values():
            text.close()


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
