"""What each command shows a person, as a `Document`: the same for text, markdown, CSV, XLSX and HTML.

`check` → the findings that need attention (every finding for one subject) and what to do next;
`assess` → departments, cadres, the compliance tables and a summary of each compliance pack without
one (coverage), with charts for HTML; `explain` → one subject's arithmetic, step by step, so a
reviewer can redo it by hand.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date
from fractions import Fraction

import pyarrow.compute as pc

from ..rules.evaluate import Evaluation, RunError
from ..rules.findings import Finding, Findings, Today
from ..rules.packs import CompiledRule, Pack, RuleSpec
from ..score.assessment import SCORE_TABLES, STATUS_PRECEDENCE, Assessment, ComplianceTable
from ..score.scoring import Score
from .document import Bar, Cell, Charts, Document, Paragraph, Table, cells
from .words import KIND_LABELS, STATUS_LABELS, WORDS

STATUS_MARKS = {"pass": "good", "fail": "bad", "error": "bad", "waived": "note", "skip": ""}
#: The organisational life pack's table, whose rate the branches table shows beside its own.
LIFE_TABLE = "branch_life"


@dataclass
class Context:
    """What every view needs besides the results: names, rule titles, language and provenance;
    the day the report is made (advice depends on it) and, for a self-check, the date and title of
    each record its findings name as evidence (by id: only records that have both)."""

    lang: str
    rules: list[CompiledRule]
    names: dict[str, str]
    departments: dict[str, str | None] = field(default_factory=dict)  # cadre → department
    meta: list[tuple[str, str]] = field(default_factory=list)
    packs: list[Pack] = field(default_factory=list)
    plugins: list[tuple[str, str, str]] = field(default_factory=list)  # name, version, source
    today: date = field(default_factory=date.today)  # local date; --today
    records: dict[str, tuple[date, str]] = field(default_factory=dict)  # evidence id → date, title
    calendar: dict | None = None  # the working-day calendar when a pack counts working days (`Calendar.describe`)

    @classmethod
    def of_run(cls, lang: str, session, dataset, packs: list[Pack], about: tuple[str, ...], today: date, findings=()):
        """A run's context, as the command and the web page build it: `about` is the period's
        label, the dataset as its user names it and when the report is made (the cover's first
        lines, then the input's digest); with `findings` (a self-check's), the date and title of
        the records they name; the working-day calendar when one of the `packs` counts them."""
        names, _, departments = dataset.subjects()
        meta = list(zip((WORDS[lang][key] for key in ("period", "dataset", "generated")), about, strict=True))
        meta.append((WORDS[lang]["digest"], dataset.digest()))
        plugins = [(i.name, i.version, i.source) for i in session.plugins.infos.values()]
        context = cls(lang, session.rules, names, departments, meta, packs, plugins, today)
        context.records = dataset.dated_titles({i for f in findings for i in f.evidence})
        context.calendar = session.calendar(dataset, packs)
        return context

    @property
    def words(self) -> dict:
        return WORDS[self.lang]

    def __post_init__(self) -> None:
        self.titles = {r.spec.id: r.spec.title(self.lang) for r in self.rules}

    def title(self, rule: str) -> str:
        return self.titles.get(rule, rule)

    def evidence(self, ids: tuple[str, ...]) -> str:
        """Evidence ids, each with its record's date and title when known: `A12 (2024-07-03 Volunteer day)`."""
        template = self.words["evidence_record"]
        return ", ".join(
            id_
            if (record := self.records.get(id_)) is None
            else template.format(id=id_, date=record[0].isoformat(), title=record[1])
            for id_ in ids
        )

    def advice_day(self) -> Today:
        """The day advice is written as of, with this language's words for the days left."""
        words = self.words
        return Today(self.today, words["days_left"], words["one_day_left"], words["due_today"])

    def document(self, title: str) -> Document:
        words = self.words
        provenance = [
            Table(
                "packs",
                words["packs"],
                list(words["pack_headers"]),
                [cells(p.name, p.spec.version, p.sha256, p.origin) for p in self.packs],
            ),
            Table("plugins", words["plugins"], list(words["plugin_headers"]), [cells(*p) for p in self.plugins]),
        ]
        if self.calendar is not None:
            row = cells(self.calendar["library"], self.calendar["digest"], self.calendar["overrides"])
            provenance.append(Table("calendar", words["calendar"], list(words["calendar_headers"]), [row]))
        return Document(title, self.lang, list(self.meta), provenance)


def _status(status: str, lang: str) -> Cell:
    return Cell(STATUS_LABELS[lang][status], mark=STATUS_MARKS[status])


def findings_table(findings: list[Finding], ctx: Context, detail: bool, key: str = "findings") -> Table:
    rows = []
    for f in findings:
        message = f.message(ctx.lang)
        if f.waiver is not None:
            message += f" [{f.waiver.reason} / {f.waiver.approved_by}, {f.waiver.source}]"
        if f.expired_waiver is not None:
            message += f" [{f.expired_waiver.text(ctx.lang)}]"
        period = f.period.label(ctx.lang)
        rows.append(
            [
                *cells(f.subject, ctx.names.get(f.subject, ""), period, f.rule, ctx.title(f.rule)),
                _status(f.status, ctx.lang),
            ]
            + cells(message, ctx.evidence(f.evidence))
        )
    return Table(key, ctx.words["findings"], list(ctx.words["finding_headers"]), rows, detail=detail)


def errors_table(errors: list[RunError], ctx: Context) -> Table:
    words = ctx.words
    rows = [
        cells(e.plugin, e.error, ", ".join(e.rules) or "-", ", ".join(e.subjects) or words["all_subjects"])
        for e in errors
    ]
    for row in rows:
        row[1] = Cell(row[1].value, mark="bad")
    return Table("errors", words["errors"], list(words["error_headers"]), rows)


def rules_table(ctx: Context) -> Table:
    """The rules in force (of the packs the report lists) and what each enforces: the kind of its
    basis and the basis as its pack quotes it (— when the pack gives none). A detail table: the
    terminal report leaves it out (`evalkit rules` lists them), the other formats keep it."""
    words, packs = ctx.words, {pack.name for pack in ctx.packs}
    rows = [
        cells(rule.spec.id, ctx.title(rule.spec.id), rule.pack, *basis(rule.spec, ctx.lang))
        for rule in ctx.rules
        if rule.pack in packs
    ]
    return Table("rules", words["rules"], list(words["basis_headers"]), rows, detail=True)


def basis(spec: RuleSpec, lang: str) -> tuple[str, str]:
    """A rule's basis kind in words and its basis, each — when its pack gives none."""
    words = WORDS[lang]
    kind = words["basis_kinds"][spec.basis_kind] if spec.basis_kind else words["no_basis"]
    return kind, spec.basis or words["no_basis"]


# check -----------------------------------------------------------------------------------------


def check_document(evaluation: Evaluation, ctx: Context, subject: str | None) -> Document:
    words, labels = ctx.words, STATUS_LABELS[ctx.lang]
    doc = ctx.document(_audited(words["check_title"].format(period=evaluation.period.label(ctx.lang)), evaluation, ctx))
    counts = Counter(f.status for f in evaluation.findings)
    separator = "，" if ctx.lang == "zh" else ", "
    summary = separator.join(f"{labels[s]} {counts[s]}" for s in labels if counts[s]) or "0"
    doc.blocks.append(Paragraph([words["summary"].format(total=len(evaluation.findings), counts=summary)]))
    doc.blocks += _warnings(evaluation, ctx)
    shown = [f for f in evaluation.findings if subject or f.status in ("fail", "waived", "error")]
    if shown:
        doc.blocks.append(findings_table(shown, ctx, detail=False, key="findings" if subject else "attention"))
    if subject and not evaluation.findings:
        doc.blocks.append(Paragraph([words["nothing"].format(subject=subject, period=evaluation.period)]))
    today = ctx.advice_day()
    advice = [
        text for f in evaluation.findings if f.status == "fail" and (text := f.advice(ctx.lang, today)) is not None
    ]
    if subject and advice:
        doc.blocks.append(Paragraph(advice, words["next"], numbered=True))
    if not subject and evaluation.findings:
        doc.blocks.append(findings_table(evaluation.findings, ctx, detail=True))
    doc.blocks.append(rules_table(ctx))
    if evaluation.errors:
        doc.blocks.append(errors_table(evaluation.errors, ctx))
    return doc


# assess ----------------------------------------------------------------------------------------


def assess_document(assessment: Assessment, ctx: Context) -> Document:
    words = ctx.words
    doc = ctx.document(
        _audited(words["assess_title"].format(year=assessment.evaluation.period.year), assessment.evaluation, ctx)
    )
    doc.blocks += _warnings(assessment.evaluation, ctx)
    for kind in SCORE_TABLES:
        scores = assessment.scores_of(kind)
        if scores:
            doc.blocks.append(_score_table(assessment, kind, scores, ctx))
    life = next((table for table in assessment.tables if table.spec.name == LIFE_TABLE), None)
    for table in _in_order(assessment.tables):
        doc.blocks.append(_compliance_table(table, ctx, life if table.spec.name == "branches" else None))
    for pack in ctx.packs:
        if pack.spec.kind == "compliance" and pack.spec.table is None:
            doc.blocks += _rule_summary(pack, assessment.evaluation.findings, ctx)
    doc.blocks.append(findings_table(assessment.evaluation.findings, ctx, detail=True))
    doc.blocks.append(rules_table(ctx))
    if assessment.evaluation.errors:
        doc.blocks.append(errors_table(assessment.evaluation.errors, ctx))
    doc.charts = _charts(assessment, ctx)
    return doc


def _audited(title: str, evaluation: Evaluation, ctx: Context) -> str:
    """A report's title, saying so when it is the audit view (--no-waivers): its numbers are not
    the ones the office reports, and a printed page must not be mistaken for them."""
    return ctx.words["audit_title"].format(title=title) if evaluation.audit else title


def _warnings(evaluation: Evaluation, ctx: Context) -> list[Paragraph]:
    """The waivers that waived nothing, each named by file and row (none: no block)."""
    if not evaluation.unused_waivers:
        return []
    return [Paragraph([unused.text(ctx.lang) for unused in evaluation.unused_waivers], ctx.words["warnings"])]


def _in_order(tables: list[ComplianceTable]) -> list[ComplianceTable]:
    """The compliance tables by name, but the organisational life table right after the branches
    table, whose rate column it explains."""
    return sorted(tables, key=lambda table: "branches " if table.spec.name == LIFE_TABLE else table.spec.name)


def _grade_mark(assessment: Assessment, score: Score) -> str:
    if score.demoted_by or score.provisional or score.capped_by or score.ungraded:
        return "note"
    bands = assessment.scoring.grades[score.subject_kind]
    if score.grade == bands[0].grade:
        return "good"
    return "bad" if score.grade == bands[-1].grade else ""


def _score_table(assessment: Assessment, kind: str, scores: list[Score], ctx: Context) -> Table:
    words = ctx.words
    indicator_ids = [i.rule for i in scores[0].indicators]
    headers = [words["rank"], words["subject"], words["person_name" if kind == "cadre" else "name"]]
    headers += [words["department"]] if kind == "cadre" else []
    headers += [f"{rule} {ctx.title(rule)}" for rule in indicator_ids]  # the id traces it to its pack
    headers += [words[k] for k in ("base", "bonus", "deduction", "total", "grade", "veto")]
    rows, notes = [], [words["legend"]]
    separator = "、" if ctx.lang == "zh" else ", "
    committee = {band.grade for band in assessment.scoring.grades[kind] if band.committee}
    for score in scores:
        row = cells(
            words["no_rank"] if score.rank is None else score.rank, score.subject, ctx.names.get(score.subject, "")
        )
        if kind == "cadre":
            department = ctx.departments.get(score.subject) or ""
            row.append(Cell(f"{department} {ctx.names.get(department, '')}".strip()))
        row += [Cell(i.points, "number") if i.applicable else Cell(words["na"]) for i in score.indicators]
        grade = assessment.label(kind, score.grade, ctx.lang)
        if score.ungraded:
            reasons = separator.join(_reason(score, reason, ctx) for reason in score.ungraded_reasons)
            grade = words["ungraded_cell"].format(grade=grade, reasons=reasons)
        marks = (
            (score.grade in committee, "†", "committee"),
            (score.capped_by, "^", "capped_note"),
            (score.demoted_by, "*", "demoted"),
            (score.provisional, "?", "provisional"),
        )
        for flag, mark, note in marks:
            if flag:
                grade += mark
                notes += [words[note]] if words[note] not in notes else []
        row += [Cell(score.base, "number"), Cell(score.bonus, "number"), Cell(score.deduction, "number")]
        row += [Cell(score.total, "number"), Cell(grade, mark=_grade_mark(assessment, score))]
        row.append(_veto_cell(score, ctx) if score.vetoed else Cell(""))
        rows.append(row)
    notes += _quota_notes(assessment, kind, scores, ctx)
    key = SCORE_TABLES[kind]
    return Table(key, words[key], headers, rows, notes)


def _veto_cell(score: Score, ctx: Context) -> Cell:
    """`vetoed`, with the categories of the incidents that vetoed (when the facts have categories)."""
    words = ctx.words
    if not score.veto_categories:
        return Cell(words["vetoed"], mark="bad")
    categories = ("、" if ctx.lang == "zh" else ", ").join(_category(code, ctx) for code in score.veto_categories)
    return Cell(words["vetoed_cell"].format(vetoed=words["vetoed"], categories=categories), mark="bad")


def _reason(score: Score, reason: str, ctx: Context) -> str:
    """An ungraded subject's reason in a few words: the shipped reasons' words, else the title
    of the (first) rule that gave it."""
    words = ctx.words["ungraded_reasons"]
    if reason in words:
        return words[reason]
    rules = {rule.spec.ungraded.reason: rule.spec.id for rule in ctx.rules if rule.role == "ungraded"}
    return ctx.title(rules.get(reason, reason))


def _category(code: str, ctx: Context) -> str:
    return ctx.words["incident_categories"].get(code, code)


def _quota_notes(assessment: Assessment, kind: str, scores: list[Score], ctx: Context) -> list[str]:
    """One line per quota pool of these scores: its base, its limit and the effective share."""
    words, lines = ctx.words, []
    pools = {score.quota_pool for score in scores if score.quota_pool is not None}
    for pool in sorted(pools, key=lambda pool: (pool.rule, pool.department or "")):
        quota = next(r for r in ctx.rules if r.spec.id == pool.rule).spec.quota
        values = {
            "rule": pool.rule,
            "base": pool.base,
            "kinds": words["pools"].get(kind, kind),
            "limit": pool.limit,
            "grade": assessment.label(kind, quota.grade, ctx.lang),
            "share": Cell(pool.share, "percent").text(),
        }
        if pool.department is None:
            lines.append(words["quota_note"].format(**values))
        else:
            department = f"{pool.department} {ctx.names.get(pool.department, '')}".strip()
            lines.append(words["quota_note_department"].format(department=department, **values))
    return lines


def _compliance_table(table: ComplianceTable, ctx: Context, life: ComplianceTable | None = None) -> Table:
    """A compliance pack's table; the branches' with each branch's organisational life rate
    beside (`life`: the branch_life table, when that pack judged the dataset), blank for a branch
    none of whose quarters it checked."""
    words = ctx.words
    headers = [words["subject"], words["name"]]
    if table.spec.quarters:
        headers += [words["checked"], words["compliant"], words["rate"]]
    headers += [words["waived_quarters"]]
    headers += [f"{rule} {ctx.title(rule)}" for rule in table.spec.columns]
    headers += [words["life_rate"]] if life is not None else []
    life_rates = {row.subject: row.compliance_rate for row in life.rows} if life is not None else {}
    rows = []
    for row in table.rows:
        line = cells(row.subject, ctx.names.get(row.subject, ""))
        if table.spec.quarters:
            line += [Cell(row.checked_quarters), Cell(row.compliant_quarters), Cell(row.compliance_rate, "percent")]
        line += [Cell(row.waived_quarters)]
        line += [
            _status(row.statuses[rule], ctx.lang) if rule in row.statuses else Cell("") for rule in table.spec.columns
        ]
        line += [Cell(life_rates.get(row.subject), "percent")] if life is not None else []
        rows.append(line)
    return Table(table.spec.name, table.spec.title(ctx.lang), headers, rows)


def _rule_summary(pack: Pack, findings: Findings, ctx: Context) -> list[Table]:
    """A compliance pack without a table of its own (coverage), rule by rule: how many subjects it
    applies to and how many of them pass, fail or are waived over the period (each subject's
    status as in the compliance tables), then the failed findings by subject and name, so the
    assessment shows which enterprises still need a branch. Nothing when the pack found nothing."""
    words, labels = ctx.words, STATUS_LABELS[ctx.lang]
    own = findings.table.filter(pc.equal(findings.table["pack"], pack.name))
    if not own.num_rows:
        return []
    statuses: dict[str, dict[str, str]] = defaultdict(dict)  # rule → subject → its status, when not skip
    kinds, failed = set(), []
    for finding in Findings(own, findings.facts, findings.rules, findings.period):
        kinds.add(finding.subject_kind)
        known = statuses[finding.rule].get(finding.subject, "skip")
        if STATUS_PRECEDENCE.index(finding.status) < STATUS_PRECEDENCE.index(known):
            statuses[finding.rule][finding.subject] = finding.status
        if finding.status == "fail":
            failed.append(finding)
    erred = any("error" in by_subject.values() for by_subject in statuses.values())
    shown = ["pass", "fail", "waived"] + (["error"] if erred else [])
    applies_to = " / ".join(words["counted"][kind] for kind in sorted(kinds))
    headers = [*words["summary_headers"], applies_to] + [labels[status] for status in shown]
    rows = []
    for rule in (r.spec.id for r in ctx.rules if r.pack == pack.name):
        counts = Counter(statuses[rule].values())
        row = cells(rule, ctx.title(rule), len(statuses[rule]))
        rows.append(row + [Cell(counts[s], mark=STATUS_MARKS[s] if counts[s] else "") for s in shown])
    title = pack.spec.title(ctx.lang)
    tables = [Table(pack.name, title, headers, rows)]
    if failed:
        rows = [
            cells(f.subject, ctx.names.get(f.subject, ""), f.rule, ctx.title(f.rule), f.message(ctx.lang))
            for f in failed
        ]
        failed_title = words["failed_title"].format(pack=title)
        tables.append(Table(f"{pack.name}_failed", failed_title, list(words["failed_headers"]), rows))
    return tables


def _charts(assessment: Assessment, ctx: Context) -> Charts:
    words = ctx.words
    charts = Charts(bars_title=words["chart_totals"], grid_title=words["chart_grid"])
    for score in assessment.scores_of("department"):
        label = assessment.label("department", score.grade, ctx.lang)
        mark = _grade_mark(assessment, score)
        charts.bars.append(Bar(score.subject, label, score.total, mark, ctx.names.get(score.subject, "")))
    if assessment.scoring and "department" in assessment.scoring.grades:
        charts.bands = [
            (band.label(ctx.lang), Fraction(str(band.at_least)))
            for band in assessment.scoring.grades["department"]
            if band.at_least is not None
        ]
    quarterly = next((t for t in _in_order(assessment.tables) if t.spec.quarters), None)  # the 1+4 branches first
    if quarterly is not None:
        quarters = sorted({q for row in quarterly.rows for q, _ in row.quarters})
        charts.grid_columns = [
            f"Q{q.quarter}" if ctx.lang == "en" else f"{'一二三四'[q.quarter - 1]}季度" for q in quarters
        ]
        states = words["grid_states"]
        for row in quarterly.rows:
            by_quarter = dict(row.quarters)
            marks = [(by_quarter.get(q, "skipped"), states[by_quarter.get(q, "skipped")]) for q in quarters]
            charts.grid.append((row.subject, ctx.names.get(row.subject, ""), marks))
    return charts


# explain ---------------------------------------------------------------------------------------


def explain_document(assessment: Assessment, subject: str, subject_kind: str, ctx: Context) -> Document:
    words = ctx.words
    period = assessment.evaluation.period
    title = words["explain_title"].format(
        subject=subject,
        name=ctx.names.get(subject, ""),
        kind=KIND_LABELS[ctx.lang].get(subject_kind, subject_kind),
        period=period.label(ctx.lang),
    )
    doc = ctx.document(_audited(title, assessment.evaluation, ctx))
    score = next((s for s in assessment.scores if s.subject == subject), None)
    if score is not None:
        doc.blocks += _score_blocks(assessment, score, ctx)
    quarterly = [(table, row) for table in _in_order(assessment.tables) if table.spec.quarters for row in table.rows]
    quarterly = [(table, row) for table, row in quarterly if row.subject == subject]
    for table, row in quarterly:
        rate = "–" if row.compliance_rate is None else Cell(row.compliance_rate, "percent").text()
        line = words["quarters"].format(checked=row.checked_quarters, compliant=row.compliant_quarters, rate=rate)
        # a branch in two quarterly tables (1+4 and organisational life): each line names its table
        doc.blocks.append(Paragraph([line], table.spec.title(ctx.lang) if len(quarterly) > 1 else ""))
    findings = [f for f in assessment.evaluation.findings if f.subject == subject]
    if findings:
        doc.blocks.append(findings_table(findings, ctx, detail=False))
    judged = {f.rule for f in findings}
    if score is not None:
        judged |= {i.rule for i in score.indicators} | {a.rule for a in score.adjustments} | set(score.vetoes)
        judged |= set(score.ungraded_by) | {rule for rule in (score.cap_rule, score.demoted_by) if rule}
    if judged:
        doc.blocks.append(_basis_lines(judged, ctx))
    if not findings and score is None:
        doc.blocks.append(Paragraph([words["no_findings"]]))
    if score is None and subject_kind in SCORE_TABLES and not period.is_year:
        doc.blocks.append(Paragraph([words["annual"].format(year=period.year)]))
    if assessment.evaluation.errors:
        doc.blocks.append(errors_table(assessment.evaluation.errors, ctx))
    return doc


def _basis_lines(rule_ids: set[str], ctx: Context) -> Paragraph:
    """What each rule that judged the subject (its findings, its score's) enforces, a line each in the rules' order."""
    template = ctx.words["basis_line"]
    lines = [
        template.format(rule=rule.spec.id, title=ctx.title(rule.spec.id), kind=kind, basis=text)
        for rule in ctx.rules
        if rule.spec.id in rule_ids
        for kind, text in [basis(rule.spec, ctx.lang)]
    ]
    return Paragraph(lines, ctx.words["basis"])


def _fraction(value: Fraction) -> str:
    return f"{value.numerator}/{value.denominator}" if value.denominator != 1 else str(value.numerator)


def _score_blocks(assessment: Assessment, score: Score, ctx: Context) -> list[Table | Paragraph]:
    words = ctx.words
    rows = []
    applicable = [i for i in score.indicators if i.applicable]
    total_weight = sum(i.weight for i in applicable)
    for i in score.indicators:
        measured = f"{i.numerator} / {i.denominator}"
        if i.applicable:
            share = _fraction(i.value) + (words["capped_share"] if i.numerator > i.denominator else "")
            effective = _n(i.weight * 100 / total_weight)  # its part of the base: weights renormalised to 100
            row = cells(i.rule, ctx.title(i.rule), measured, share, _fraction(i.weight), effective)
            rows.append([*row, Cell(i.points, "number")])
        else:
            rows.append(cells(i.rule, ctx.title(i.rule), measured, words["na_long"], _fraction(i.weight), "–", ""))
    blocks: list[Table | Paragraph] = [Table("indicators", words["indicators"], list(words["indicator_headers"]), rows)]
    if applicable:
        points = " + ".join(Cell(i.points, "number").text() for i in applicable)
        weights = " + ".join(_fraction(i.weight) for i in applicable)
        blocks.append(Paragraph([words["base_line"].format(points=points, weights=weights, base=_n(score.base))]))
    else:
        blocks.append(Paragraph([words["no_base"]]))
    if score.adjustments:
        rows = []
        for a in score.adjustments:
            points = _n(a.points, signed=True)
            if a.cap is not None and abs(a.uncapped) > a.cap:
                points = (
                    words["capped"].format(points=_n(a.uncapped, signed=True), cap=_fraction(a.cap)) + f" → {points}"
                )
            records = "; ".join(", ".join(item) for item in a.items)
            rows.append(cells(a.rule, ctx.title(a.rule), len(a.items), _n(a.each, signed=True), points, records))
        blocks.append(Table("adjustments", words["adjustments"], list(words["adjustment_headers"]), rows))
    else:
        blocks.append(Paragraph([words["no_adjustments"]]))
    blocks.append(Paragraph(_grade_lines(assessment, score, ctx)))
    return blocks


def _n(value: Fraction, signed: bool = False) -> str:
    return Cell(value, "signed" if signed else "number").text()


def _grade_lines(assessment: Assessment, score: Score, ctx: Context) -> list[str]:
    words, lang, kind = ctx.words, ctx.lang, score.subject_kind
    lines = []
    if score.deductions:
        cap = _fraction(score.deduction_cap)
        lines.append(words["deductions"].format(all=_n(score.deductions), cap=cap, deduction=_n(score.deduction)))
    total = words["total_line"].format(
        base=_n(score.base), bonus=_n(score.bonus), deduction=_n(score.deduction), unclipped=_n(score.unclipped)
    )
    low, high = score.total_range
    if score.total != score.unclipped:
        total += words["clipped"].format(low=_fraction(low), high=_fraction(high), total=_n(score.total))
    lines.append(total)
    floor = score.band.at_least
    rule = words["at_least"].format(floor=floor) if floor is not None else words["below"]
    band = assessment.label(kind, score.band.grade, lang)
    lines.append(words["band"].format(total=_n(score.total), rule=rule, grade=band))
    if score.ungraded:
        evidence = ", ".join(score.ungraded_evidence)
        rules = ", ".join(f"{rule} {ctx.title(rule)}" for rule in score.ungraded_by)
        ungraded = assessment.label(kind, score.grade, lang)
        lines.append(words["ungraded_line"].format(rules=rules, evidence=evidence, grade=ungraded))
    if score.vetoed:
        lowest = assessment.label(kind, assessment.scoring.grades[kind][-1].grade, lang)
        evidence = ", ".join(score.veto_evidence)
        lines.append(words["veto_line"].format(rules=", ".join(score.vetoes), evidence=evidence, grade=lowest))
        if score.veto_categories:
            categories = ", ".join(f"{code} {_category(code, ctx)}" for code in score.veto_categories)
            lines.append(words["veto_categories_line"].format(categories=categories))
    else:
        lines.append(words["no_veto"])
    if score.cap_rule:
        evidence = ", ".join(score.cap_evidence)
        capped = assessment.label(kind, score.grade, lang)
        lines.append(words["cap_line"].format(rule=score.cap_rule, evidence=evidence, grade=capped))
    pool = assessment.scores_of(kind)
    if score.demoted_by:
        quota_rule = next(r for r in ctx.rules if r.spec.id == score.demoted_by)
        quota, counted = quota_rule.spec.quota, score.quota_pool
        same = [s for s in pool if s.quota_pool == counted]
        lines.append(
            words["quota"].format(
                rule=score.demoted_by,
                holders=sum(s.grade == quota.grade or s.demoted_by == score.demoted_by for s in same),
                pool=counted.base,
                kinds=words["pools"].get(kind, kind),
                grade=assessment.label(kind, quota.grade, lang),
                allowed=counted.limit,
                demoted=assessment.label(kind, quota.demote_to, lang),
            )
        )
    lines.append(words["grade_line"].format(grade=assessment.label(kind, score.grade, lang)))
    ranked = sum(s.rank is not None for s in pool)
    if score.rank is None:
        lines.append(words["no_rank_line"])
    else:
        last = assessment.scoring.veto_rank == "last"
        lines.append(words["rank_line_veto_last" if last else "rank_line"].format(rank=score.rank, pool=ranked))
    if score.provisional:
        lines.append(words["provisional_line"])
    return lines
