"""Findings: the outcome of one rule for one subject in one period, with the records behind it.

A run's findings are one table (`evaluate.py` makes it), read a batch of rows at a time: the
JSON report turns a batch into text column-wise, the other reports read it as `Finding`s. A
finding's message is written only when a report asks for it, in the report's language, from its
rule's template and the values of the fact it judged, and column-wise too: per rule, status and
fact kind, each placeholder's distinct values are formatted once and the template's pieces are
joined in Arrow, so a province's million messages cost a few thousand Python calls.

Advice (what to do next after a failed finding) is written the same way, as of the day the report
is made (`Today`): a rule may advise one way while a finding's period is open and another once it
has ended. Messages never depend on that day (the JSON report is reproducible); advice is not in it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from functools import cache
from string import Formatter

import pyarrow as pa
import pyarrow.compute as pc

from ..periods import Period


@dataclass(frozen=True)
class Waiver:
    """The waiver that turned a finding `waived`, named by its file and row wherever it is cited."""

    reason: str
    approved_by: str
    file: str
    row: int

    @property
    def source(self) -> str:
        return f"{self.file}:{self.row}"


@dataclass(frozen=True)
class ExpiredWaiver:
    """A waiver that names a failed finding but expired before the last day of its period, so the
    finding stays `fail`: "waivers.csv:7 (OPF05 B07) expired on 2024-08-15"."""

    file: str
    row: int
    rule: str
    subject: str
    expired_on: date

    def text(self, lang: str) -> str:
        return expired_waiver_text(self.file, str(self.row), self.rule, self.subject, self.expired_on.isoformat(), lang)


def expired_waiver_text(file, row, rule, subject, day, lang: str):
    """How a report says a waiver expired, in `lang`, from texts (or Arrow arrays, joined column-wise)."""
    if lang == "zh":
        pieces = (file, " 第", row, "行（", rule, " ", subject, "）已于", day, "到期")
    else:
        pieces = (file, ":", row, " (", rule, " ", subject, ") expired on ", day)
    if all(isinstance(piece, str) for piece in pieces):
        return "".join(pieces)
    return pc.binary_join_element_wise(*(arrow_text(p) if isinstance(p, str) else p for p in pieces), arrow_text(""))


@dataclass(frozen=True)
class Today:
    """The day a report is made, for advice: a finding's period has ended when its last day is
    before it. And how the report's language says the days left until a period's last day
    ({time_left}): "14 days left", "1 day left", "due today" (the words are the report's)."""

    day: date
    days_left: str = "{days} days left"
    one_day_left: str = "1 day left"
    due_today: str = "due today"

    def ended(self, period: Period) -> bool:
        return period.last_day < self.day

    def days_to(self, period: Period) -> int:
        return (period.last_day - self.day).days

    def time_left(self, days: int) -> str:
        if days == 0:
            return self.due_today
        return self.one_day_left if days == 1 else self.days_left.format(days=days)


@dataclass(slots=True)
class Finding:
    """One finding; `message` and `advice` give its text in a language (written for its whole
    batch when the first finding of the batch asks)."""

    rule: str
    pack: str
    subject: str
    subject_kind: str
    period: Period
    status: str
    severity: str
    evidence: tuple[str, ...]
    waiver: Waiver | None
    texts: Callable[[str, Today | None], list]  # its batch's messages (or advice as of a day) in a language
    row: int  # in its batch
    expired_waiver: ExpiredWaiver | None = None  # a failed finding's waiver that expired

    def message(self, lang: str) -> str:
        return self.texts(lang, None)[self.row]

    def advice(self, lang: str, today: Today) -> str | None:
        """What to do next as of `today`, for a failed finding of a rule with advice; else None."""
        return self.texts(lang, today)[self.row]


class Findings:
    """A run's findings table (sorted by subject, period and rule), read in batches or as `Finding`s.

    `facts` are the fact tables by kind (a finding names its fact's kind and row) and `rules`
    the compiled rules by id, whose templates write the messages.
    """

    def __init__(self, table: pa.Table, facts: Mapping, rules: Mapping, period: Period):
        self.table, self.facts, self.rules, self.period = table, facts, rules, period

    def __len__(self) -> int:
        return self.table.num_rows

    def of(self, subject: str) -> Findings:
        """The findings of one subject."""
        table = self.table.filter(pc.equal(self.table.column("subject"), subject))
        return Findings(table, self.facts, self.rules, self.period)

    def batches(self) -> Iterator[pa.RecordBatch]:
        """The table a batch of rows at a time (a province has a million findings)."""
        return (batch for batch in self.table.to_batches(max_chunksize=_BATCH) if batch.num_rows)

    def __iter__(self) -> Iterator[Finding]:
        periods: dict[str, Period] = {}
        for batch in self.batches():
            texts = cache(lambda lang, today, batch=batch: self.messages(batch, lang, today).to_pylist())
            columns = (batch.column(name).to_pylist() for name in _READ)
            for row, (rule, pack, subject, kind, period, status, severity, evidence, reason, by, *cited) in enumerate(
                zip(*columns, strict=True)
            ):
                if period not in periods:
                    periods[period] = Period.parse(period)
                file, line, expired_on = cited
                waiver = Waiver(reason, by, file, line) if reason is not None else None
                expired = ExpiredWaiver(file, line, rule, subject, expired_on) if expired_on is not None else None
                found = (rule, pack, subject, kind, periods[period], status, severity, tuple(evidence), waiver)
                yield Finding(*found, texts, row, expired)

    def messages(self, batch: pa.RecordBatch, lang: str, advice: Today | None = None) -> pa.Array:
        """Each finding's message in `lang` (or, given the day, its advice as of that day: null for
        a finding without), written per group of findings of one rule, status and fact kind (and
        period, for advice), which share a template."""
        group = _GROUP + ["period"] if advice is not None else _GROUP
        keys = pa.Table.from_batches([batch]).select(group)
        keys = keys.append_column("row", pa.array(range(batch.num_rows), pa.int64()))
        groups = keys.group_by(group, use_threads=False).aggregate([("row", "list")])
        texts, places = [], []
        for key, rows in zip(groups.select(group).to_pylist(), groups.column("row_list"), strict=True):
            rule, status, kind, *period = key.values()
            ended = advice is not None and advice.ended(Period.parse(period[0]))
            texts.append(self._written(batch, rows.values, rule, status, kind, lang, advice, ended))
            places.append(rows.values)
        return pa.concat_arrays(texts).take(pc.sort_indices(pa.concat_arrays(places)))

    def _written(
        self,
        batch,
        rows: pa.Array,
        rule: str,
        status: str,
        kind: str | None,
        lang: str,
        advice: Today | None,
        ended: bool,
    ):
        """The texts of the `rows` of `batch`, findings of one rule, status and fact kind (None: a
        chained rule's): the template's literal pieces and placeholders, joined row by row in Arrow.
        Advice (`advice`: the day it is written on) of a finding whose period has `ended` or not."""
        spec = self.rules[rule].spec
        if advice is not None:
            text = spec.advice.text(ended) if status == "fail" and spec.advice is not None else None
        else:  # a waived finding reads as the failure it was
            text = spec.message.get("fail" if status in ("fail", "waived") else status) or spec.message.get("pass")
        if text is None:
            return pa.nulls(len(rows), pa.string()) if advice is not None else pa.repeat(arrow_text(""), len(rows))
        pieces = [arrow_text("")]  # an empty template is an empty text
        for literal, name, format_spec, _ in Formatter().parse(text(lang)):  # packs allow no !r
            pieces.append(arrow_text(literal))
            if name is not None:
                pieces.append(self._placeholder(batch, rows, spec, kind, name, lang, format_spec, advice))
        joined = pc.binary_join_element_wise(*pieces, arrow_text(""))
        return joined if isinstance(joined, pa.Array) else pa.repeat(joined, len(rows))

    def _placeholder(self, batch, rows, spec, kind, name: str, lang: str, format_spec: str, today: Today | None):
        """Placeholder `name` of each of the findings, formatted as the template asks (as
        `str.format` does): an array, or a text when it is the same for all (a parameter).
        Each distinct value is formatted once."""
        values, read = self._values(batch, rows, spec, kind, name, today)

        def formatted(value) -> str:
            value = read(value)
            if lang != "en" and name in ("period", "quarters") and value:
                value = _periods_in(str(value), lang)  # periods in words: 2024Q3 → 2024年第三季度
            try:
                return format(value, format_spec)
            except (TypeError, ValueError):  # a number's format (checked with the pack) on a text field
                return str(value)

        if values is None:
            return arrow_text(formatted(None))
        encoded = values.dictionary_encode(null_encoding="encode")
        return pa.array(map(formatted, encoded.dictionary.to_pylist()), pa.string()).take(encoded.indices)

    def _values(self, batch: pa.RecordBatch, rows: pa.Array, spec, kind: str | None, name: str, today: Today | None):
        """Where placeholder `name` takes its values from: (an array of the findings' values, or
        None for one value for all, and how to read a value). A name without a value stays as
        written. Later sources win, as the values were once merged: parameters, the last day
        (and in advice the days left until it, as of `today`), the fact's values, then the
        evidence and its count."""

        def column(field: str) -> pa.Array:
            return batch.column(field).take(rows)

        if kind is None:  # a chained rule's finding
            if name in ("subject", "period", "quarters"):
                return column(name), _same
            if name == "count":
                return column("quarters"), lambda quarters: len(quarters.split(", ")) if quarters else 0
        else:
            if name == "evidence":
                return pc.binary_join(column("evidence"), arrow_text(", ")), _same
            if name == "count":
                return pc.list_value_length(column("evidence")), _same
            if name == "kind":
                return None, lambda _: kind
            facts = self.facts[kind]
            if name in facts.column_names and name != "subject_kind" and not name.startswith("evidence:"):
                return facts.column(name).take(column("fact_row")).combine_chunks(), _same
        if name == "last_day" or (name == "due" and today is not None):
            return column("period"), lambda period: Period.parse(period).last_day.isoformat()
        if name == "days_left" and today is not None:
            return column("period"), lambda period: today.days_to(Period.parse(period))
        if name == "time_left" and today is not None:
            return column("period"), lambda period: today.time_left(today.days_to(Period.parse(period)))
        if name in spec.params:
            return None, lambda _: spec.params[name]
        return None, lambda _: "{" + name + "}"


def arrow_text(text: str) -> pa.Scalar:
    """A string as an Arrow scalar for a compute function, typed: given a Python str, pyarrow
    infers its type, trying to import dateutil each time (a fifth of a millisecond)."""
    return pa.scalar(text, pa.string())


def _same(value):
    return value


#: The columns of the findings table a `Finding` is made of, in its fields' order.
_READ = ("rule", "pack", "subject", "subject_kind", "period", "status", "severity", "evidence")
_READ += ("waiver_reason", "waiver_by", "waiver_file", "waiver_row", "waiver_expired")
#: The columns that choose a finding's template.
_GROUP = ["rule", "status", "fact_kind"]
#: Rows of the findings table read at a time.
_BATCH = 65_536


def _periods_in(periods: str, lang: str) -> str:
    """Periods as `lang` reads them: "2024Q1, 2024Q3" → "2024年第一季度、2024年第三季度"."""
    return "、".join(Period.parse(p).label(lang) for p in periods.split(", "))
