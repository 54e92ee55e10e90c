"""The facts → rules arrow: evaluate the packs' rules over the facts, collect findings and decisions.

The engine decides; this module only translates: compiled rules become engine rules, facts
become engine messages, what fired becomes findings. A condition reads only its fact's fields,
so the engine is asked once per distinct message (a fact's kind and the fields its rules read)
and its answer holds for every fact with those values: a province's million facts are a few
thousand questions. A check rule gives one finding per fact of its kind: `skip` when its skip
rule fired, `fail` when its `when` rule fired (`waived` when a waiver covers it), `pass`
otherwise. Failed and waived findings are facts in turn, so chained rules (OPF10) judge the
engine's own findings. Score rules give `Decision`s instead: for each fact, did `skip_when`
match (an indicator is n/a) and did `when` match (an item earns its points, a veto holds); the
scoring step turns them into points.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from .engine import EngineRule, RuleEngine, fields_read
from .facts import Fact, FactKind
from .findings import LANGS, Finding, Waiver, find_waiver, render_template, waivers_of
from .packs import CompiledRule
from .periods import Period
from .words import period_label

if TYPE_CHECKING:
    from .load import Dataset


class RuleError(Exception):
    """A rule could not be decided for one subject."""

    def __init__(self, rule: str, subject: str, error: BaseException):
        self.rule, self.subject, self.error = rule, subject, error
        super().__init__(f"rule {rule} on {subject}: {type(error).__name__}: {error}")


@dataclass
class RunError:
    """Something that failed while running; the results it names are missing."""

    plugin: str
    error: str
    rules: list[str] = field(default_factory=list)
    subjects: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"plugin": self.plugin, "error": self.error, "rules": self.rules, "subjects": self.subjects}


@dataclass(slots=True)
class Decision:
    """What the engine decided about one fact under one score rule (not frozen: see Finding)."""

    rule: str
    fact: Fact
    subject_kind: str
    skipped: bool  # skip_when matched
    matched: bool  # when matched (and the rule was not skipped)


@dataclass
class Evaluation:
    period: Period
    facts: list[Fact]
    findings: list[Finding]
    errors: list[RunError]
    decisions: list[Decision] = field(default_factory=list)


def engine_rules(rules: Sequence[CompiledRule]) -> list[EngineRule]:
    """One engine rule per outcome a pack rule can have (fail, skip, applies, chained)."""
    compiled = []
    for rule in rules:
        rid, kind = rule.spec.id, rule.spec.fact
        if rule.when is not None:
            compiled.append(EngineRule(f"{rid}:when", kind, rule.when))
        if rule.skip is not None:
            compiled.append(EngineRule(f"{rid}:skip", kind, rule.skip))
        if rule.applies is not None:
            compiled.append(EngineRule(f"{rid}:applies", kind, rule.applies))
        if rule.chain_findings is not None:
            # The engine picks the findings that count; the distinct quarters among them are
            # tallied afterwards. Joins over derived facts crash durable-rules (docs/engine.md).
            compiled.append(EngineRule(f"{rid}:chain", "finding", rule.chain_findings))
    return compiled


class _Outcomes:
    """Which engine rules fired on which of one subject's facts."""

    def __init__(self, fired: Iterable[set[str]]):
        self.fired: dict[tuple[str, str], set[int]] = defaultdict(set)  # (rule id, outcome) → fact indexes
        for index, names in enumerate(fired):
            for name in names:
                rule, _, outcome = name.partition(":")
                self.fired[rule, outcome].add(index)

    def on(self, rule: str, outcome: str) -> set[int] | frozenset[int]:
        """The indexes of the facts the rule's `outcome` fired on (tested per fact by set membership)."""
        return self.fired.get((rule, outcome), _NONE)


_NONE: frozenset[int] = frozenset()


def _judged(engine: RuleEngine, rules: Sequence[EngineRule], messages: list[dict]) -> tuple[list, list]:
    """Per message, the engine rules it satisfies and what kept the engine from judging it (or
    None). The engine is asked once per distinct message as its rules read it (its kind and the
    fields they test), in a total order, so the answer never depends on the order facts came in."""
    reads: dict[str, set[str]] = defaultdict(set)
    for rule in rules:
        reads[rule.kind] |= fields_read(rule.condition)
    read = {kind: ("kind", *sorted(fields)) for kind, fields in reads.items()}
    keys = [tuple((name, m[name]) for name in read.get(m["kind"], ("kind",)) if name in m) for m in messages]
    distinct = sorted(set(keys), key=lambda key: [(name, type(value).__name__, value) for name, value in key])
    fired, failed = engine.judge([dict(key) for key in distinct])
    answers = dict(zip(distinct, fired, strict=True))
    errors = {distinct[index]: error for index, error in failed}
    return [answers[key] for key in keys], [errors.get(key) for key in keys]


@dataclass(frozen=True)
class Job:
    """Everything rule evaluation needs besides the facts."""

    period: Period
    rules: tuple[CompiledRule, ...]
    fact_kinds: dict[str, FactKind]
    waivers: dict[tuple[str, str], tuple[Waiver, ...]]  # by (rule, subject)
    langs: tuple[str, ...] = LANGS  # the languages findings' messages are written in


Result = tuple[list[Finding], list[Decision], list[RuleError]]


def evaluate(
    dataset: Dataset,
    period: Period,
    rules: Sequence[CompiledRule],
    facts: list[Fact],
    fact_kinds: dict[str, FactKind],
    subjects: set[str] | None = None,
    langs: tuple[str, ...] = LANGS,
) -> Result:
    """Evaluate `rules` over `facts` (optionally only `subjects`).

    Returns the check rules' findings (messages in `langs`), the score rules' decisions and the
    failed consequences.
    """
    job = Job(period, tuple(rules), fact_kinds, waivers_of(dataset["waivers"]), tuple(langs))
    chosen = [fact for fact in facts if subjects is None or fact.subject in subjects]
    return evaluate_facts(job, chosen)


def evaluate_facts(job: Job, facts: list[Fact]) -> Result:
    """The engine over `facts`: findings (sorted), decisions and the rules it could not decide."""
    by_subject = _by_subject(facts)
    rules = engine_rules(job.rules)
    engine = RuleEngine(rules)
    messages = {subject: [fact.message() for fact in items] for subject, items in by_subject.items()}
    fired, failed = _judged(engine, rules, [message for items in messages.values() for message in items])
    findings, decisions, rule_errors = [], [], []
    checked: dict[str, list[Finding]] = {}
    start = 0
    for subject, items in by_subject.items():
        end = start + len(items)
        rule_errors += [RuleError("(engine)", subject, error) for error in failed[start:end] if error is not None]
        outcomes = _Outcomes(fired[start:end])
        start = end
        of_kind: dict[str, list[int]] = defaultdict(list)  # kind → indexes of the subject's facts
        for index, fact in enumerate(items):
            of_kind[fact.kind].append(index)
        checked[subject] = []
        for rule in job.rules:
            indexes = of_kind.get(rule.spec.fact)
            if indexes is None or rule.role in ("chain", "quota"):  # a quota is the scoring step's, across subjects
                continue
            if rule.role == "check":
                checked[subject] += _findings_for(job, rule, subject, items, messages[subject], indexes, outcomes)
            else:
                decisions += _decisions_for(job, rule, items, indexes, outcomes)
        findings += checked[subject]
    findings += _chained(job, engine, rules, by_subject, checked)
    findings.sort(key=Finding.sort_key)
    rule_errors.sort(key=lambda error: (error.subject, error.rule))
    return findings, decisions, rule_errors


def _chained(job: Job, engine: RuleEngine, rules, by_subject: dict[str, list[Fact]], checked) -> list[Finding]:
    """The chained rules' findings: the engine judges the check rules' failed and waived
    findings, as facts of kind `finding`; a chained rule counts the quarters of those it picks."""
    chains = [rule for rule in job.rules if rule.role == "chain"]
    if not chains:
        return []
    derived = {
        subject: [
            {
                "kind": "finding",
                "rule": finding.rule,
                "pack": finding.pack,
                "subject": subject,
                "status": finding.status,
                "period": str(finding.period),
                "year": finding.period.year,
                "quarter": finding.period.quarter or 0,
            }
            for finding in found
            if finding.status in ("fail", "waived")
        ]
        for subject, found in checked.items()
    }
    fired, _ = _judged(engine, rules, [fact for facts in derived.values() for fact in facts])
    found, start = [], 0
    for subject, facts in derived.items():
        picked = fired[start : start + len(facts)]
        start += len(facts)
        kinds = {fact.kind for fact in by_subject[subject]}
        for rule in chains:
            if rule.spec.fact in kinds and not (rule.spec.only_for_year and not job.period.is_year):
                matches = [fact for fact, names in zip(facts, picked, strict=True) if f"{rule.spec.id}:chain" in names]
                found.append(_chain_finding(job, rule, subject, matches))
    return found


def _chain_finding(job: Job, rule: CompiledRule, subject: str, matches: list[dict]) -> Finding:
    """A chained rule's finding for the period: `fail` when the findings it picked fall in at
    least its number of quarters."""
    matched = sorted({f"{m['rule']}@{m['period']}" for m in matches})
    quarters = sorted({m["period"] for m in matches})
    status = "fail" if len(quarters) >= rule.chain_count else "pass"
    evidence = tuple(matched) if status == "fail" else ()
    values = {"subject": subject, "period": str(job.period), "quarters": ", ".join(quarters), "count": len(quarters)}
    subject_kind = job.fact_kinds[rule.spec.fact].subject_kind
    return _finding(job, rule, subject, subject_kind, job.period, status, evidence, values)


def _decisions_for(job: Job, rule: CompiledRule, facts, indexes, outcomes: _Outcomes) -> list[Decision]:
    """Decisions on the subject's facts of the rule's kind (given by their indexes in `facts`)."""
    rid = rule.spec.id
    kind = job.fact_kinds[rule.spec.fact]
    applies = outcomes.on(rid, "applies") if rule.applies is not None else None
    skipped, matched = outcomes.on(rid, "skip"), outcomes.on(rid, "when")
    decisions = []
    for index in indexes:
        if applies is not None and index not in applies:
            continue
        fact = facts[index]
        decisions.append(Decision(rid, fact, kind.subject_kind_of(fact), index in skipped, index in matched))
    return decisions


def _by_subject(facts: list[Fact]) -> dict[str, list[Fact]]:
    """Each subject's facts, subjects in order, facts in a total order (kind, period, values,
    evidence), so findings and decisions never depend on the order plugins built facts in.

    Values and evidence are compared only among facts of the same subject, kind and period (an
    item fact's), not for all of a province's facts.
    """
    outlined: dict[tuple, list[Fact]] = defaultdict(list)
    for fact in facts:  # a period's order is (year, quarter, with the whole year after its quarters)
        outlined[fact.subject, fact.kind, fact.period.year, fact.period.quarter or 5].append(fact)
    by_subject: dict[str, list[Fact]] = defaultdict(list)
    for outline in sorted(outlined):
        same = outlined[outline]
        by_subject[outline[0]] += same if len(same) == 1 else sorted(same, key=_tie_order)
    return by_subject


def _tie_order(fact: Fact) -> tuple:
    values = fact.values
    return sorted(zip(values, map(str, values.values()), strict=True)), sorted(fact.evidence.items())


def _findings_for(job: Job, rule: CompiledRule, subject: str, facts, messages, indexes, outcomes) -> list[Finding]:
    """Findings on the subject's facts of the rule's kind (given by their indexes in `facts`).

    `messages` are the facts as the engine saw them; a finding's message fills its template
    with those values.
    """
    spec = rule.spec
    kind = job.fact_kinds[spec.fact]
    applies = outcomes.on(spec.id, "applies") if rule.applies is not None else None
    skipped, failed = outcomes.on(spec.id, "skip"), outcomes.on(spec.id, "when")
    found = []
    for index in indexes:
        if applies is not None and index not in applies:
            continue
        status = "skip" if index in skipped else "fail" if index in failed else "pass"
        fact = facts[index]
        evidence = tuple(sorted(fact.evidence.get(spec.evidence, ()))) if spec.evidence and status != "skip" else ()
        values = {**messages[index], "evidence": ", ".join(evidence), "count": len(evidence)}
        subject_kind = kind.subject_kind_of(fact)
        found.append(_finding(job, rule, subject, subject_kind, fact.period, status, evidence, values))
    return found


def _finding(job: Job, rule: CompiledRule, subject, subject_kind, period, status, evidence, values) -> Finding:
    """A finding, its message (and advice, when failed) written in each of the job's languages."""
    spec = rule.spec
    values = {**spec.params, "last_day": period.last_day.isoformat(), **values}
    template = spec.message.get("fail" if status == "fail" else status) or spec.message.get("pass")
    waiver = find_waiver(job.waivers, spec.id, subject, period) if status == "fail" else None
    if waiver is not None:
        status = "waived"
    messages = {}
    advice = {} if spec.advice and status == "fail" else None  # most findings have none: no dict each
    for lang in job.langs:
        localized = _in(lang, values)
        messages[lang] = render_template(template(lang), localized) if template else ""
        if advice is not None:
            advice[lang] = render_template(spec.advice(lang), localized)
    return Finding(
        spec.id, rule.pack, subject, subject_kind, period, status, spec.severity, messages, evidence, waiver, advice
    )


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
    return "、".join(period_label(Period.parse(p), lang) for p in periods.split(", "))
