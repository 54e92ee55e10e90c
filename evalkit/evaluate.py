"""The facts → rules arrow: evaluate the packs' rules over the facts, collect findings and decisions.

The engine decides; this module only translates: compiled rules become engine rules, facts
become engine messages, firings become findings. A check rule gives one finding per fact of its
kind: `skip` when its skip rule fired, `fail` when its `when` rule fired (`waived` when a waiver
covers it), `pass` otherwise. A failed finding is itself asserted as a fact, so chained rules
(OPF10) see the engine's own findings. Score rules give `Decision`s instead: for each fact, did
`skip_when` match (an indicator is n/a) and did `when` match (an item earns its points, a veto
holds); the scoring step turns them into points.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING, Protocol

from .engine import EngineRule, Firing, RuleEngine, RuleError
from .facts import Fact, FactKind
from .findings import LANGS, Finding, Waiver, find_waiver, render_template, waivers_of
from .packs import CompiledRule
from .periods import Period
from .words import period_label

if TYPE_CHECKING:  # the dataset module imports forked processes, which evaluate
    from .dataset import Dataset


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

    def __init__(self, firings: Iterable[Firing]):
        self.fired: dict[tuple[str, str], set[int]] = defaultdict(set)  # (rule id, outcome) → fact indexes
        self.chained: dict[str, list[Firing]] = defaultdict(list)
        for firing in firings:
            rule, _, outcome = firing.rule.partition(":")
            if outcome == "chain":
                self.chained[rule].append(firing)
            else:
                self.fired[rule, outcome].add(firing.index)

    def on(self, rule: str, outcome: str) -> set[int] | frozenset[int]:
        """The indexes of the facts the rule's `outcome` fired on (tested per fact by set membership)."""
        return self.fired.get((rule, outcome), _NONE)


_NONE: frozenset[int] = frozenset()


@dataclass(frozen=True)
class Job:
    """Everything rule evaluation needs besides the facts: plain data, picklable, no plugin code,
    so a partition can be evaluated in another process or on another machine."""

    period: Period
    rules: tuple[CompiledRule, ...]
    fact_kinds: dict[str, FactKind]
    waivers: dict[tuple[str, str], tuple[Waiver, ...]]  # by (rule, subject)
    langs: tuple[str, ...] = LANGS  # the languages findings' messages are written in


Result = tuple[list[Finding], list[Decision], list[RuleError]]


class Runner(Protocol):
    """Evaluates a job over facts somewhere (in-process, a process pool, a cluster); same result."""

    def run(self, job: Job, facts: list[Fact]) -> Result: ...

    def close(self) -> None:
        """Lets go of its processes or cluster connection when the command ends."""


def evaluate(
    dataset: Dataset,
    period: Period,
    rules: Sequence[CompiledRule],
    facts: list[Fact],
    fact_kinds: dict[str, FactKind],
    subjects: set[str] | None = None,
    runner: Runner | None = None,
    langs: tuple[str, ...] = LANGS,
) -> Result:
    """Evaluate `rules` over `facts` (optionally only `subjects`), in-process or with `runner`.

    Returns the check rules' findings (messages in `langs`), the score rules' decisions and the
    failed consequences.
    """
    job = Job(period, tuple(rules), fact_kinds, waivers_of(dataset["waivers"]), tuple(langs))
    chosen = [fact for fact in facts if subjects is None or fact.subject in subjects]
    return runner.run(job, chosen) if runner is not None else evaluate_facts(job, chosen)


def evaluate_facts(job: Job, facts: list[Fact]) -> Result:
    """The engine over `facts`, subject by subject: findings (sorted), decisions and failed consequences."""
    by_rule = {rule.spec.id: rule for rule in job.rules}
    by_subject = _by_subject(facts)

    def chain(firing: Firing) -> list[dict]:
        rule_id, _, outcome = firing.rule.partition(":")
        rule = by_rule[rule_id]
        if outcome != "when" or rule.role != "check":
            return []
        fact = firing.fact
        waived = find_waiver(job.waivers, rule_id, firing.subject, by_subject[firing.subject][firing.index].period)
        return [
            {
                "kind": "finding",
                "rule": rule_id,
                "pack": rule.pack,
                "subject": firing.subject,
                "status": "fail" if waived is None else "waived",
                "period": fact["period"],
                "year": fact["year"],
                "quarter": fact["quarter"],
            }
        ]

    findings, decisions, rule_errors = [], [], []
    with RuleEngine(engine_rules(job.rules)).open(chain) as run:
        for subject, items in by_subject.items():
            messages = [fact.message() for fact in items]
            firings, errors = run(subject, messages)
            rule_errors += errors
            outcomes = _Outcomes(firings)
            of_kind: dict[str, list[int]] = defaultdict(list)  # kind → indexes of the subject's facts
            for index, fact in enumerate(items):
                of_kind[fact.kind].append(index)
            for rule in job.rules:
                indexes = of_kind.get(rule.spec.fact)
                if indexes is None:  # no fact of its kind: neither findings nor decisions
                    continue
                if rule.role in ("check", "chain"):
                    findings += _findings_for(job, rule, subject, items, messages, indexes, outcomes)
                elif rule.role != "quota":  # a quota is the scoring step's, across subjects
                    decisions += _decisions_for(job, rule, items, indexes, outcomes)
    findings.sort(key=Finding.sort_key)
    rule_errors.sort(key=lambda error: (error.subject, error.rule))
    return findings, decisions, rule_errors


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
    if rule.chain_findings is not None:
        period = job.period
        if spec.only_for_year and not period.is_year:
            return []
        if not indexes:
            return []
        matches = [firing.fact for firing in outcomes.chained.get(spec.id, [])]
        matched = sorted({f"{m['rule']}@{m['period']}" for m in matches})
        quarters = sorted({m["period"] for m in matches})
        status = "fail" if len(quarters) >= rule.chain_count else "pass"
        if status == "pass":
            matched = []
        values = {"subject": subject, "period": str(period), "quarters": ", ".join(quarters), "count": len(quarters)}
        return [_finding(job, rule, subject, kind.subject_kind, period, status, tuple(matched), values)]
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
