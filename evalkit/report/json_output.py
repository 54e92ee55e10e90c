"""The JSON of `check`, `assess` and `explain` (docs/output.md): exact numbers rounded to 6 decimals.

A document is exactly what `json.dumps(data, ensure_ascii=False, indent=1)` and a newline
would be, written a top-level value at a time, so it is never held whole: a province's
assessment holds a million findings, hundreds of megabytes. json.dumps is pure Python once
indenting (about 20 µs a finding), so the long lists are written otherwise: the findings
column-wise, a batch at a time, from the findings table (`_findings`), the scores and the
compliance tables' rows each in one piece (`_score`, `_table_row`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from fractions import Fraction
from functools import cache, partial
from json.encoder import encode_basestring

import pyarrow as pa
import pyarrow.compute as pc

from ..rules.evaluate import Evaluation
from ..rules.findings import Findings, arrow_text, expired_waiver_text
from ..rules.packs import CompiledRule, Pack
from ..score.assessment import SCORE_TABLES, Assessment, ComplianceTable, TableRow
from ..score.scoring import Indicator, QuotaPool, Score, rounded

_string = encode_basestring  # the C escaper json.dumps uses with ensure_ascii=False


class Written(str):
    """A value's JSON text, written already (as json.dumps(indent=1) writes it at the top level)."""


@dataclass(frozen=True)
class Items:
    """A list whose items come as JSON text written two levels deep, a chunk of one or more
    (joined by ",\\n  ") at a time, made as the list is written."""

    chunks: Iterable[str]


@dataclass(frozen=True)
class JsonText:
    """A JSON document of top-level values: JSON values, `Written` texts and `Items`."""

    data: dict[str, object]

    def write_to(self, write: Callable[[str], object]) -> None:
        separator = "{"
        for key, value in self.data.items():
            write(f"{separator}\n {_string(key)}: ")
            separator = ","
            if isinstance(value, Items):
                opening = "[\n  "
                for chunk in value.chunks:
                    write(opening + chunk)
                    opening = ",\n  "
                write("[]" if opening == "[\n  " else "\n ]")
            else:
                text = value if isinstance(value, Written) else json.dumps(value, ensure_ascii=False, indent=1)
                write(text.replace("\n", "\n "))  # one level deeper (a JSON text has no newline in a string)
        write("\n}\n" if self.data else "{}\n")

    def kept(self) -> JsonText:
        """This text with its lists' items made now and held, so that it can be written twice."""
        return JsonText({key: Items(list(v.chunks)) if isinstance(v, Items) else v for key, v in self.data.items()})


def _listed(texts: Iterable[str]) -> Items:
    """Values written at the top level, as items of a top-level list (two levels deep)."""
    return Items(text.replace("\n", "\n  ") for text in texts)


def number(value: Fraction | None) -> float | None:
    """A JSON number: the exact value rounded half up to 6 decimals."""
    return None if value is None else rounded(value, 6)


def _scalar(value) -> str:
    """A string, integer, finite float (a rounded number), boolean or None as json.dumps writes it."""
    if type(value) is str:
        return _string(value)
    return "null" if value is None else "true" if value is True else "false" if value is False else repr(value)


def _strings(values: tuple[str, ...], level: int) -> str:
    """A list of strings as json.dumps(indent=1) writes it `level` levels deep."""
    inner = "\n" + " " * (level + 1)
    return f"[{inner}{(',' + inner).join(map(_string, values))}\n{' ' * level}]" if values else "[]"


def packs_json(packs: list[Pack]) -> list[dict]:
    return [{"name": p.name, "version": p.spec.version, "sha256": p.sha256, "source": p.origin} for p in packs]


def _findings(findings: Findings, lang: str) -> Items:
    """The findings, as json.dumps(indent=1) writes their dicts in a top-level list, a batch at
    a time: each key's text for the whole batch in Arrow, then joined finding by finding."""

    def chunks() -> Iterator[str]:
        for batch in findings.batches():
            values = {key: batch.column(key) for key in _FINDING_KEYS}
            values["message"] = findings.messages(batch, lang)
            pieces: list = []
            for key, texts in values.items():
                pieces += [arrow_text(('",\n' if pieces else "{\n") + f'   "{key}": "'), _escaped(texts)]
            reason, by = _escaped(batch.column("waiver_reason")), _escaped(batch.column("waiver_by"))
            file, row = batch.column("waiver_file"), pc.cast(batch.column("waiver_row"), pa.string())
            source = (_SOURCE, _escaped(file), ":", row, _END, "")
            waiver = pc.binary_join_element_wise(*_texts(_WAIVER, reason, _BY, by, *source))
            expired = _expired(batch, file, row, lang)  # the file's name as it is: the whole text is escaped
            evidence = _evidence(batch.column("evidence"))
            cited = (pc.fill_null(waiver, _NOTHING), pc.fill_null(expired, _NOTHING))
            end = _texts(_EVIDENCE, evidence, *cited, "\n  }", "")
            written = pc.binary_join_element_wise(*pieces, *end)
            yield _joined(written, _NEXT).as_py()

    return Items(chunks())


def _expired(batch: pa.RecordBatch, file: pa.Array, row: pa.Array, lang: str) -> pa.Array:
    """The `expired_waiver` key of each failed finding whose waiver expired (null for the others)."""
    day = pc.cast(batch.column("waiver_expired"), pa.string())
    text = expired_waiver_text(file, row, batch.column("rule"), batch.column("subject"), day, lang)
    return pc.binary_join_element_wise(*_texts(_EXPIRED, _escaped(text), '"', ""))


def _texts(*pieces) -> list:
    """Arrays, and strings as Arrow scalars (`arrow_text`)."""
    return [arrow_text(piece) if type(piece) is str else piece for piece in pieces]


_FINDING_KEYS = ("rule", "pack", "subject", "subject_kind", "period", "status", "severity")
_EVIDENCE, _WAIVER, _BY = '",\n   "evidence": ', ',\n   "waiver": {\n    "reason": "', '",\n    "approved_by": "'
_SOURCE, _END, _EXPIRED = '",\n    "source": "', '"\n   }', ',\n   "expired_waiver": "'
_NOTHING, _NEXT, _NO_EVIDENCE = arrow_text(""), arrow_text(",\n  "), arrow_text("[]")
_ESCAPE = r'[\x00-\x1f"\\]'  # what json's escaper escapes (with ensure_ascii=False)


def _escaped(texts: pa.Array) -> pa.Array:
    """Strings as they are inside JSON strings: escaped by json's own escaper where they need it
    (a quote, a backslash or a control character: seldom, so looked for in all at once first)."""
    if not pc.match_substring_regex(_joined(texts, _NOTHING), _ESCAPE).as_py():
        return texts
    needed = pc.fill_null(pc.match_substring_regex(texts, _ESCAPE), False)
    inner = pa.array([_string(text)[1:-1] for text in texts.filter(needed).to_pylist()], pa.string())
    return pc.replace_with_mask(texts, needed, inner)


def _joined(texts: pa.Array, separator: pa.Scalar) -> pa.Scalar:
    """An array's texts (but nulls) as one text."""
    texts = texts.drop_null()
    return pc.binary_join(pa.ListArray.from_arrays(pa.array([0, len(texts)], pa.int32()), texts), separator)[0]


def _evidence(lists: pa.ListArray) -> pa.Array:
    """Lists of strings as json.dumps(indent=1) writes them three levels deep."""
    offsets = pc.subtract(lists.offsets, lists.offsets[0])
    items = pc.binary_join(pa.ListArray.from_arrays(offsets, _escaped(lists.flatten())), arrow_text('",\n    "'))
    written = pc.binary_join_element_wise(*_texts('[\n    "', items, '"\n   ]', ""))
    return pc.if_else(pc.cast(pc.list_value_length(lists), pa.bool_()), written, _NO_EVIDENCE)


def rules_json(rules: list[CompiledRule], packs: list[Pack], lang: str) -> list[dict]:
    """Every rule of the `packs` evaluated, so a later output can tell a rule new since this one."""
    evaluated = {pack.name for pack in packs}
    return [{"id": r.spec.id, "pack": r.pack, "title": r.spec.title(lang)} for r in rules if r.pack in evaluated]


def check_json(
    evaluation: Evaluation,
    packs: list[Pack],
    lang: str,
    calendar: dict | None = None,
    subject: str | None = None,
    rules: list[dict] | None = None,
) -> JsonText:
    """`subject` is --subject's (null for every subject); `rules`, `rules_json`'s: with the
    command, what `evalkit diff` needs to know two outputs comparable."""
    return JsonText(
        {
            "period": str(evaluation.period),
            "command": "check",
            "subject": subject,
            "findings": _findings(evaluation.findings, lang),
            "errors": [error.to_json() for error in evaluation.errors],
            "packs": packs_json(packs),
            "rules": rules or [],
            **({"calendar": calendar} if calendar is not None else {}),
            **_audit_keys(evaluation, lang),
        }
    )


def _audit_keys(evaluation: Evaluation, lang: str) -> dict:
    """`"audit": true` in the audit view (--no-waivers) and the `warnings` (unused waivers), each
    only when there is something to say: a report without them is as it was before waivers expired."""
    warnings = [unused.to_json(lang) for unused in evaluation.unused_waivers]
    return {**({"audit": True} if evaluation.audit else {}), **({"warnings": warnings} if warnings else {})}


def _score(score: Score, names: dict[str, str], departments: dict, indicators: Callable[[Indicator], str]) -> Written:
    """A score as json.dumps(indent=1) writes it at the top level, in one piece (a province's
    report has fifty thousand); `indicators` writes an indicator (`_indicator`, each distinct
    one once: a province's cadres share a few thousand among two hundred thousand)."""
    indicators_text = "".join(map(indicators, score.indicators))
    adjustments = "".join(
        _ADJUSTMENT % (_string(a.rule), number(a.points), len(a.items), _strings(a.evidence, 3))
        for a in score.adjustments
    )
    department = f'\n "department": {_scalar(departments.get(score.subject))},' if score.subject_kind == "cadre" else ""
    return Written(
        _SCORE
        % (
            _string(score.subject),
            _string(names.get(score.subject, "")),
            department,
            _scalar(score.rank),
            number(score.total),
            _string(score.grade),
            _scalar(score.vetoed),
            number(score.base),
            number(score.bonus),
            number(score.deduction),
            "{" + indicators_text[1:] + "\n }" if indicators_text else "{}",
            "[" + adjustments[1:] + "\n ]" if adjustments else "[]",
            _string(score.band.grade),
            _strings(score.veto_evidence, 1),
            _strings(score.veto_categories, 1),
            _strings(score.ungraded_reasons, 1),
            _scalar(score.capped_by),
            _scalar(score.demoted_by),
            _quota(score.quota_pool),
            _scalar(score.provisional),
        )
    )


def _quota(pool: QuotaPool | None) -> str:
    """The quota pool that counted a score (null when no quota did): its base, limit and the
    effective share limit / base."""
    if pool is None:
        return "null"
    values = (_string(pool.rule), _scalar(pool.department), pool.base, pool.limit, _scalar(number(pool.share)))
    return _QUOTA % values


def _indicator(i: Indicator) -> str:
    """An indicator as a score's text has it, after a comma."""
    weight = i.weight.numerator if i.weight.denominator == 1 else number(i.weight)
    value, points, numerator, denominator = (
        _scalar(x) for x in (number(i.value), number(i.points), i.numerator, i.denominator)
    )
    return _INDICATOR % (_string(i.rule), value, numerator, denominator, weight, points, _scalar(i.applicable))


_SCORE = (
    '{\n "subject": %s,\n "name": %s,%s\n "rank": %s,\n "total": %r,\n "grade": %s,\n "vetoed": %s,\n'
    ' "base": %r,\n "bonus": %r,\n "deduction": %r,\n "indicators": %s,\n "adjustments": %s,\n "band": %s,\n'
    ' "veto_evidence": %s,\n "veto_categories": %s,\n "ungraded_reasons": %s,\n "capped_by": %s,\n'
    ' "demoted_by": %s,\n "quota": %s,\n "provisional": %s\n}'
)
_QUOTA = '{\n  "rule": %s,\n  "department": %s,\n  "base": %d,\n  "limit": %d,\n  "share": %s\n }'
_INDICATOR = (
    ',\n  %s: {\n   "value": %s,\n   "numerator": %s,\n   "denominator": %s,\n   "weight": %r,\n   "points": %s,\n'
    '   "applicable": %s\n  }'
)
_ADJUSTMENT = ',\n  {\n   "rule": %s,\n   "points": %r,\n   "items": %d,\n   "evidence": %s\n  }'


def _table_row(table: ComplianceTable, names: dict[str, str], row: TableRow) -> Written:
    """A compliance table's row as json.dumps(indent=1) writes it at the top level, in one piece."""
    counts = ""
    if table.spec.quarters:
        counts = _COUNTS % tuple(
            map(_scalar, (row.checked_quarters, row.compliant_quarters, number(row.compliance_rate)))
        )
    statuses = ",".join(f"\n  {_string(rule)}: {_string(status)}" for rule, status in row.statuses.items())
    findings = "{" + statuses + "\n }" if statuses else "{}"
    name = _string(names.get(row.subject, ""))
    return Written(_ROW % (_string(row.subject), name, counts, row.waived_quarters, findings))


_ROW = '{\n "subject": %s,\n "name": %s,%s\n "waived_quarters": %d,\n "findings": %s\n}'
_COUNTS = '\n "checked_quarters": %s,\n "compliant_quarters": %s,\n "compliance_rate": %s,'


def assess_json(
    assessment: Assessment,
    packs: list[Pack],
    names: dict,
    departments: dict,
    lang: str,
    calendar: dict | None = None,
    rules: list[dict] | None = None,
) -> JsonText:
    evaluation = assessment.evaluation
    data: dict = {"period": str(evaluation.period), "command": "assess", "subject": None}
    score = partial(_score, names=names, departments=departments, indicators=cache(_indicator))
    for kind, key in SCORE_TABLES.items():
        data[key] = _listed(map(score, assessment.scores_of(kind)))
    for table in assessment.tables:
        data[table.spec.name] = _listed(map(partial(_table_row, table, names), table.rows))
    data |= {
        "findings": _findings(evaluation.findings, lang),
        "packs": packs_json(packs),
        "rules": rules or [],
        **({"calendar": calendar} if calendar is not None else {}),
        "errors": [error.to_json() for error in evaluation.errors],
        **_audit_keys(evaluation, lang),
    }
    return JsonText(data)


def explain_json(
    assessment: Assessment,
    subject: str,
    subject_kind: str,
    packs: list[Pack],
    names: dict,
    departments: dict,
    lang,
    calendar: dict | None = None,
) -> JsonText:
    evaluation = assessment.evaluation
    score = next((s for s in assessment.scores if s.subject == subject), None)
    data: dict = {
        "period": str(evaluation.period),
        "subject": subject,
        "subject_kind": subject_kind,
        "name": names.get(subject, ""),
        "score": _score(score, names, departments, _indicator) if score else None,
    }
    for table in assessment.tables:
        for row in table.rows:
            if row.subject == subject:
                data[table.spec.name] = _table_row(table, names, row)
    data |= {
        "findings": _findings(evaluation.findings.of(subject), lang),
        "packs": packs_json(packs),
        **({"calendar": calendar} if calendar is not None else {}),
        "errors": [error.to_json() for error in evaluation.errors],
        **({"audit": True} if evaluation.audit else {}),
    }
    return JsonText(data)
