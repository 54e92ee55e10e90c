"""Findings: the outcome of one rule for one subject in one period, with the records behind it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from .periods import Period

STATUSES = ("pass", "fail", "skip", "waived", "error")
LANGS = ("en", "zh")


@dataclass(frozen=True)
class Waiver:
    rule: str
    subject: str
    period: Period | None  # None: always
    reason: str
    approved_by: str

    def covers(self, rule: str, subject: str, period: Period) -> bool:
        return rule == self.rule and subject == self.subject and period.within(self.period)


@dataclass(slots=True)
class Finding:
    """Not frozen (never changed after it is made, all the same): a province makes a million
    findings, and a frozen dataclass takes four times as long to make."""

    rule: str
    pack: str
    subject: str
    subject_kind: str
    period: Period
    status: str
    severity: str
    messages: Mapping[str, str]  # language → message
    evidence: tuple[str, ...] = ()
    waiver: Waiver | None = None
    advice: Mapping[str, str] | None = None  # language → what to do next (failed findings of rules with advice)

    def sort_key(self) -> tuple:
        """By subject, period (in `Period`'s order, compared as numbers: a province sorts a
        million findings) and rule."""
        return (self.subject, self.period.year, self.period.quarter or 5, self.rule)

    def to_json(self, lang: str = "en") -> dict:
        data = {
            "rule": self.rule,
            "pack": self.pack,
            "subject": self.subject,
            "subject_kind": self.subject_kind,
            "period": str(self.period),
            "status": self.status,
            "severity": self.severity,
            "message": self.messages[lang],
            "evidence": list(self.evidence),
        }
        if self.waiver is not None:
            data["waiver"] = {"reason": self.waiver.reason, "approved_by": self.waiver.approved_by}
        return data


#: The dataset's waivers by (rule, subject), each list in the file's order.
WaiverIndex = Mapping[tuple[str, str], Sequence[Waiver]]


def find_waiver(waivers: WaiverIndex, rule: str, subject: str, period: Period) -> Waiver | None:
    """The first waiver covering `rule` for `subject` in `period`, if any."""
    return next((w for w in waivers.get((rule, subject), ()) if w.covers(rule, subject, period)), None)


def waivers_of(rows: list[Mapping]) -> dict[tuple[str, str], tuple[Waiver, ...]]:
    """The waivers of the dataset's rows, by (rule, subject): a failed finding looks up its own."""
    found: dict[tuple[str, str], list[Waiver]] = defaultdict(list)
    for r in rows:
        found[(r["rule"], r["subject_id"])].append(
            Waiver(r["rule"], r["subject_id"], r.get("period"), r["reason"], r["approved_by"])
        )
    return {key: tuple(waivers) for key, waivers in found.items()}


def render_template(template: str, values: Mapping[str, object]) -> str:
    """Fill `{name}` placeholders; a name the values lack stays visible rather than failing."""
    try:
        return template.format_map(values)
    except KeyError:
        return template.format_map(_Visible(values))


class _Visible(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
