"""Findings: the outcome of one rule for one subject in one period, with the records behind it.

A run's findings are one table (`evaluate.py` makes it); `Findings` reads it a finding at a
time, and a finding's message is written only when a report asks for it, in the report's
language, from its rule's template and the values of the fact it judged.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from string import Formatter

from ..periods import Period


@dataclass(frozen=True)
class Waiver:
    reason: str
    approved_by: str


@dataclass(slots=True)
class Finding:
    """One finding; `message` and `advice` write its text in a language when asked."""

    rule: str
    pack: str
    subject: str
    subject_kind: str
    period: Period
    status: str
    severity: str
    evidence: tuple[str, ...]
    waiver: Waiver | None
    source: Findings
    fact_kind: str | None  # the judged fact's kind and row in its table (None: a chained rule's finding)
    fact_row: int | None
    quarters: str | None  # a chained rule's finding: the quarters it counted

    def message(self, lang: str) -> str:
        return self.source.text(self, lang, advice=False)

    def advice(self, lang: str) -> str | None:
        """What to do next, for a failed finding of a rule with advice; else None."""
        return self.source.text(self, lang, advice=True) if self.status == "fail" else None

    def to_json(self, lang: str = "en") -> dict:
        data = {
            "rule": self.rule,
            "pack": self.pack,
            "subject": self.subject,
            "subject_kind": self.subject_kind,
            "period": str(self.period),
            "status": self.status,
            "severity": self.severity,
            "message": self.message(lang),
            "evidence": list(self.evidence),
        }
        if self.waiver is not None:
            data["waiver"] = {"reason": self.waiver.reason, "approved_by": self.waiver.approved_by}
        return data


class Findings:
    """A run's findings table (sorted by subject, period and rule), read as `Finding`s.

    `facts` are the fact tables by kind (a finding names its fact's kind and row) and `rules`
    the compiled rules by id, whose templates write the messages.
    """

    def __init__(self, table, facts: Mapping, rules: Mapping, period: Period):
        self.table, self.facts, self.rules, self.period = table, facts, rules, period
        self._fact_values: dict[str, dict[str, list]] = {}
        self._templates: dict[tuple, tuple | None] = {}

    def __len__(self) -> int:
        return self.table.num_rows

    def __iter__(self) -> Iterator[Finding]:
        """The findings in order, read a batch of rows at a time (a province has a million)."""
        periods: dict[str, Period] = {}
        for batch in self.table.to_batches(max_chunksize=_BATCH):
            for rule, pack, subject, kind, period, status, severity, evidence, reason, by, *fact in zip(
                *(batch.column(name).to_pylist() for name in _READ), strict=True
            ):
                if period not in periods:
                    periods[period] = Period.parse(period)
                waiver = Waiver(reason, by) if reason is not None else None
                found = (rule, pack, subject, kind, periods[period], status, severity, tuple(evidence), waiver, self)
                yield Finding(*found, *fact)

    def text(self, finding: Finding, lang: str, advice: bool) -> str | None:
        """The finding's message (or advice) in `lang`: its rule's template filled with the
        rule's parameters, the period's last day, the judged fact's values and the evidence."""
        key = (finding.rule, "advice" if advice else finding.status, lang, finding.fact_kind)
        if key not in self._templates:
            self._templates[key] = self._template(*key)
        compiled = self._templates[key]
        if compiled is None:
            return None if advice else ""
        template, getters = compiled
        return render_template(template, _in(lang, {name: get(finding) for name, get in getters}))

    def _template(self, rule: str, status: str, lang: str, kind: str | None):
        """A rule's template for a status (or its advice) in `lang`, with how to get each of
        its placeholders' values from a finding; None when the rule has no such text."""
        spec = self.rules[rule].spec
        if status == "advice":
            text = spec.advice
        else:  # a waived finding reads as the failure it was
            text = spec.message.get("fail" if status in ("fail", "waived") else status) or spec.message.get("pass")
        if text is None:
            return None
        template = text(lang)
        getters = []
        for name in _placeholders(template):
            get = self._getter(spec, kind, name)
            if get is not None:
                getters.append((name, get))
        return template, tuple(getters)

    def _getter(self, spec, kind: str | None, name: str):
        """How to read placeholder `name` of a finding judged on a fact of `kind` (None: a
        chained rule's finding), or None when it has no such value (the placeholder stays).
        Later sources win, as the values were once merged: parameters, the last day, the fact's
        values, then the evidence and its count."""
        if kind is None:  # a chained rule's finding
            chained = {
                "subject": lambda f: f.subject,
                "period": lambda f: str(f.period),
                "quarters": lambda f: f.quarters,
                "count": lambda f: len(f.quarters.split(", ")) if f.quarters else 0,
            }
            if name in chained:
                return chained[name]
        else:
            if name == "evidence":
                return lambda f: ", ".join(f.evidence)
            if name == "count":
                return lambda f: len(f.evidence)
            if name == "kind":
                return lambda f: kind
            column = self._fact(kind).get(name)
            if column is not None:
                return lambda f: column[f.fact_row]
        if name == "last_day":
            return lambda f: f.period.last_day.isoformat()
        if name in spec.params:
            value = spec.params[name]
            return lambda f: value
        return None

    def _fact(self, kind: str) -> dict[str, list]:
        """A fact table's values as Python lists (made once per kind, when a message needs them)."""
        if kind not in self._fact_values:
            table = self.facts[kind]
            names = [name for name in table.column_names if not name.startswith("evidence:")]
            self._fact_values[kind] = {name: table.column(name).to_pylist() for name in names if name != "subject_kind"}
        return self._fact_values[kind]


@cache
def _placeholders(template: str) -> tuple[str, ...]:
    """The names a template's `{name}` placeholders ask for."""
    return tuple({name for _, name, _, _ in Formatter().parse(template) if name})


#: The columns of the findings table a `Finding` is made of, in its fields' order.
_READ = (
    *("rule", "pack", "subject", "subject_kind", "period", "status", "severity", "evidence"),
    *("waiver_reason", "waiver_by", "fact_kind", "fact_row", "quarters"),
)
#: Rows of the findings table made into Python values at a time.
_BATCH = 65_536


def render_template(template: str, values: Mapping[str, object]) -> str:
    """Fill `{name}` placeholders; a name the values lack stays visible rather than failing."""
    try:
        return template.format_map(values)
    except KeyError:
        return template.format_map(_Visible(values))


class _Visible(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def _in(lang: str, values: dict) -> dict:
    """Template values as `lang` reads them: periods in words (2024Q3 → 2024年第三季度)."""
    if lang == "en":
        return values
    named = dict(values)
    for key in ("period", "quarters"):
        if named.get(key):
            named[key] = _periods_in(str(named[key]), lang)
    return named


@cache  # a report's findings name the same few periods over and over
def _periods_in(periods: str, lang: str) -> str:
    """Periods as `lang` reads them: "2024Q1, 2024Q3" → "2024年第一季度、2024年第三季度"."""
    return "、".join(Period.parse(p).label(lang) for p in periods.split(", "))
