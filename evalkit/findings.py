"""Findings: the outcome of one rule for one subject in one period, with the records behind it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

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


@dataclass(frozen=True, slots=True)
class Finding:
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
    advice: Mapping[str, str] = field(default_factory=dict)  # language → what to do next (failed only)

    def sort_key(self) -> tuple:
        return (self.subject, self.period, self.rule)

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


def find_waiver(waivers: Sequence[Waiver], rule: str, subject: str, period: Period) -> Waiver | None:
    """The first waiver covering `rule` for `subject` in `period`, if any."""
    return next((w for w in waivers if w.covers(rule, subject, period)), None)


def waivers_of(rows: list[Mapping]) -> list[Waiver]:
    return [Waiver(r["rule"], r["subject_id"], r.get("period"), r["reason"], r["approved_by"]) for r in rows]


def render_template(template: str, values: Mapping[str, object]) -> str:
    """Fill `{name}` placeholders; a name the values lack stays visible rather than failing."""
    try:
        return template.format_map(values)
    except KeyError:
        return template.format_map(_Visible(values))


class _Visible(dict):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"
