"""What the pages ask of the library, as functions run in a worker process (jobs.py): each returns
plain, picklable data, so a page is drawn from it in the server without the rule engine.

durable-rules keeps process-wide state; running every evaluation in a worker of its own pool, one
job at a time per worker, keeps two visitors' runs apart. A fresh `Session` per job: its plugins'
failures are the run's own."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone

from ..errors import DatasetError, Note, Problem
from ..periods import Period
from ..report.document import Document, Paragraph
from ..report.words import STATUS_LABELS
from ..session import Session

LANGS = ("zh", "en")


@dataclass(frozen=True)
class Rules:
    """Where the rules come from: the `--plugins-dir`, `--rules-dir` and `-p` modules of the server."""

    plugins_dir: str | None = None
    rules_dir: str | None = None
    modules: tuple[str, ...] = ()
    blocked: tuple[str, ...] = ()

    def session(self) -> Session:
        return Session(self.modules, self.blocked, self.plugins_dir, self.rules_dir)


@dataclass
class Inspection:
    """An upload as read: its problems (nothing else happens then), notes, organisations and periods."""

    problems: list[Problem] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    organisations: list[tuple[str, str]] = field(default_factory=list)  # id, name
    periods: list[str] = field(default_factory=list)  # codes: 2024, 2024Q1, ...


@dataclass
class Report:
    """One run's result in both languages: the page's document and the downloads."""

    documents: dict[str, Document]
    html: dict[str, str]
    xlsx: dict[str, bytes]
    counts: dict[str, int] = field(default_factory=dict)  # status → findings
    grid: dict[str, dict] = field(default_factory=dict)  # lang → {"columns": [...], "rows": [(label, cells)]}
    errors: int = 0  # plugin or rule failures: the parts listed as missing


def inspect(folder: str, rules: Rules) -> Inspection:
    """Load `folder` as a partial ledger (as `check --partial`) and say what it holds."""
    session = rules.session()
    try:
        dataset = session.load(folder, partial=True)
    except DatasetError as error:
        return Inspection(problems=list(error.problems), notes=list(error.notes))
    names, kinds, _ = dataset.subjects()
    organisations = sorted((id_, name or "") for id_, name in names.items() if kinds[id_] == "organization")
    return Inspection(notes=list(dataset.notes), organisations=organisations, periods=_periods(dataset))


def _periods(dataset) -> list[str]:
    """The years the dated records fall in, each followed by its quarters that hold a record."""
    years: set[int] = set()
    for name, table in dataset.tables.items():
        column = table.type.dated_by
        if column and len(table):
            query = f"SELECT DISTINCT year(CAST({column} AS DATE)) FROM {dataset.view(name)} WHERE {column} IS NOT NULL"
            years.update(int(row[0]) for row in dataset.connection.execute(query).fetchall())
    codes = []
    for year in sorted(years):
        codes.append(str(year))
        codes += [str(quarter) for quarter in Period(year).quarters() if dataset.has_records_in(quarter)]
    return codes


def self_check(folder: str, subject: str, period: str, shown_as: str, rules: Rules, today: date) -> Report:
    """A branch's self-check of its partial ledger (`check --partial --subject`), in both languages."""
    from ..cli import PARTIAL
    from ..report.views import check_document

    session = rules.session()
    session.check_engine()
    dataset = session.load(folder, partial=True)
    evaluation = session.check(dataset, Period.parse(period), {subject})
    packs = [p for p in session.active_packs(dataset) if p.spec.kind == "compliance"]
    documents = {}
    for lang in LANGS:
        context = _context(session, dataset, packs, period, shown_as, lang, today, evaluation.findings)
        documents[lang] = check_document(evaluation, context, subject)
        documents[lang].blocks.insert(1, Paragraph([PARTIAL[lang]]))
    counts = {status: 0 for status in STATUS_LABELS["en"]}
    for finding in evaluation.findings:
        counts[finding.status] += 1
    grid = {lang: _grid(evaluation.findings, Period.parse(period), session, lang) for lang in LANGS}
    return _report(documents, counts, grid, len(evaluation.errors))


def assess(folder: str, period: str, shown_as: str, rules: Rules, today: date) -> Report | Inspection:
    """The annual assessment of a whole dataset (`assess`), in both languages; the dataset's
    problems instead when it does not validate."""
    from ..report.views import assess_document

    session = rules.session()
    session.check_engine()
    try:
        dataset = session.load(folder)
    except DatasetError as error:
        return Inspection(problems=list(error.problems), notes=list(error.notes))
    assessment = session.assess(dataset, Period.parse(period))
    packs = session.active_packs(dataset)
    documents = {
        lang: assess_document(assessment, _context(session, dataset, packs, period, shown_as, lang, today))
        for lang in LANGS
    }
    counts = {status: 0 for status in STATUS_LABELS["en"]}
    for finding in assessment.evaluation.findings:
        counts[finding.status] += 1
    return _report(documents, counts, {}, len(assessment.evaluation.errors))


def _report(documents: dict[str, Document], counts: dict, grid: dict, errors: int) -> Report:
    from ..report import render

    return Report(
        documents,
        {lang: render(document, "html") for lang, document in documents.items()},
        {lang: render(document, "xlsx") for lang, document in documents.items()},
        counts,
        grid,
        errors,
    )


def _context(session, dataset, packs, period: str, shown_as: str, lang: str, today: date, findings=()):
    """The report's context as the command builds it, the upload named as its files, never by the
    server's temporary folder."""
    from ..report.views import Context

    generated = datetime.now(timezone.utc).astimezone().isoformat(timespec="seconds")
    about = (Period.parse(period).label(lang), shown_as, generated)
    return Context.of_run(lang, session, dataset, packs, about, today, findings)


def _grid(findings, period: Period, session: Session, lang: str) -> dict:
    """The quarter × check grid of one subject: each quarterly rule's status in each quarter."""
    quarters = period.quarters()
    by_cell = {(str(f.period), f.rule): f.status for f in findings if f.period.quarter is not None}
    columns = sorted({rule for _, rule in by_cell})
    titles = {rule.spec.id: rule.spec.title(lang) for rule in session.rules}
    rows = [(quarter.label(lang), [by_cell.get((str(quarter), rule), "") for rule in columns]) for quarter in quarters]
    return {"columns": [(rule, titles.get(rule, rule)) for rule in columns], "rows": rows}


def rule_rows(rules: Rules) -> dict[str, list[list[str]]]:
    """The rules in force, per language: id, title, pack, basis kind, basis."""
    from ..report.views import Context, rules_table

    session = rules.session()
    tables = {}
    for lang in LANGS:
        context = Context(lang, session.rules, {}, packs=session.packs)
        tables[lang] = [[cell.text() for cell in row] for row in rules_table(context).rows]
    return tables


def template(rules: Rules) -> dict[str, bytes]:
    """The blank ledger workbook in each language (`evalkit template`)."""
    from ..template import template_xlsx

    record_types = rules.session().record_types
    return {lang: template_xlsx(record_types, lang) for lang in LANGS}


def shown_name(files: list[str]) -> str:
    """How a report names an upload: its files, not the server's folder."""
    return ", ".join(files) if files else "-"
