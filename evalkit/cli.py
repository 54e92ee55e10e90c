"""The `evalkit` command: arguments, wiring the library's steps together, exit codes and error messages."""

from __future__ import annotations

import argparse
import os
import sys
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import fields
from datetime import date, datetime, timezone, tzinfo
from fractions import Fraction
from itertools import groupby
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .cli_language import LANGS, lang_option, say, zh_message
from .cli_parser import build_parser, merge_global_options
from .config import SETTINGS, Configuration
from .errors import DatasetError, EvalkitError, Note, OutOfMemory, UsageError, visible
from .periods import Period
from .progress import Progress
from .report import NEEDS_OUTPUT, check_output, render, write
from .report.compare import (
    Comparison,
    add_comparison,
    check_comparable,
    compare,
    diff_document,
    parse_output,
    parse_shift,
    read_output,
)
from .report.document import Paragraph
from .report.json_output import JsonText, assess_json, check_json, explain_json, rules_json
from .report.text import TEXT_WIDTH, render_text
from .report.views import Context, assess_document, basis, check_document, explain_document
from .report.words import WORDS
from .rules.evaluate import Evaluation
from .rules.findings import Finding
from .rules.packs import Pack, diff_packs, effective_weights
from .schema import Limits
from .score.assessment import SCORE_TABLES, Assessment
from .session import Session
from .signals import Terminated, stopping_on_signals
from .template import template_xlsx
from .verify import verify


def _print_table(rows: list, headers: list[str]) -> None:
    """A listing command's table (tabulate is imported here: 25 ms that no report needs)."""
    from tabulate import tabulate

    print(tabulate(rows, headers=headers))


def _session(args: argparse.Namespace, shipped_packs: bool = False) -> Session:
    """The session the options ask for (with `shipped_packs`: the same plugins, no --rules-dir)."""
    modules = [m for m in args.plugin if not m.startswith("no:")]
    blocked = [m[3:] for m in args.plugin if m.startswith("no:")]
    session = Session(modules, blocked, args.plugins_dir, None if shipped_packs else args.rules_dir)
    args.sessions.append(session)  # -v shows their plugins' tracebacks
    return session


def _where(args: argparse.Namespace):
    """Where a folder of shards' tasks run (`shards.Where`), or None: the dataset is loaded in
    this process as one (--jobs and --executor not given)."""
    jobs, executor = getattr(args, "jobs", None), getattr(args, "executor", None)
    spill, keep = getattr(args, "spill", None), getattr(args, "keep_spill", False)
    if jobs is None and executor is None:
        if spill or keep:
            raise UsageError(
                "--spill and --keep-spill are for a folder of shards run as tasks (--jobs N or --executor)",
                "--spill 和 --keep-spill 用于以任务方式运行的分片文件夹（--jobs N 或 --executor）",
            )
        return None
    if jobs is not None and executor is not None:
        raise UsageError(
            "--jobs runs the shards in local processes, --executor on a Dask cluster: name one",
            "--jobs 在本机进程中运行各分片，--executor 在 Dask 集群上运行：只能选一个",
        )
    if getattr(args, "partial", False):
        raise UsageError(
            "--partial checks one branch's own ledger, not a folder of shards: leave out --jobs and --executor",
            "--partial 用于检查一个支部自己的台账，不用于分片文件夹：请去掉 --jobs 和 --executor",
        )
    if keep and not spill:
        raise UsageError("--keep-spill keeps the tables of --spill DIR: name DIR", "--keep-spill 需要配合 --spill DIR")
    if spill and Path(spill).resolve().is_relative_to(Path(args.dataset).resolve()):
        raise UsageError(
            f"--spill {spill}: inside the dataset, which evalkit never writes; name a folder outside it",
            f"--spill {spill}：位于数据集内，evalkit 从不写入数据集；请指定数据集以外的文件夹",
        )
    from .shards import Where

    return Where(jobs or 1, executor, spill, keep, args.workers)


def _limits(args: argparse.Namespace) -> Limits:
    """The input limits the options set (each option is named after its field)."""
    return Limits(**{field.name: getattr(args, field.name) for field in fields(Limits)})


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except ValueError as error:
        raise UsageError(str(error), f"“{text}”不是有效的期间（应为年份如 2024，或季度如 2024Q2）") from None


def _year(text: str) -> Period:
    period = _period(text)
    if not period.is_year:
        raise UsageError(
            f"--period {text}: the assessment is annual; give a year such as {period.year}",
            f"--period {text}：年度考核按年进行，请给出年份，如 {period.year}",
        )
    return period


def _today(text: str | None) -> date:
    """The day advice is written as of: --today, or today's local date."""
    if text is None:
        return date.today()
    try:
        return datetime.strptime(text, "%Y-%m-%d").date()
    except ValueError:
        raise UsageError(
            f"--today {text}: not a date (expected YYYY-MM-DD, such as 2025-09-16)",
            f"--today {text}：不是有效的日期（应为 YYYY-MM-DD，如 2025-09-16）",
        ) from None


#: The time zone of a report's "generated at" when --tz is not given (else the system's).
def _zone(name: str | None) -> tzinfo | None:
    """The zone a report's "generated at" is shown in: --tz as configured (evalkit/config.py:
    the command line, EVALKIT_TZ, evalkit.toml), else None (the system's), so a report made on a
    server set to UTC can still show the office's time."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise UsageError(
            f"--tz {name}: not a time zone (expected a name such as Asia/Shanghai or UTC)",
            f"--tz {name}：不是有效的时区（应为时区名称，如 Asia/Shanghai 或 UTC）",
        ) from None


def _generated_at(args: argparse.Namespace) -> str:
    """A report's "generated at": local time with its offset (2024-12-31T09:30:00+08:00) in the zone
    of --tz, else EVALKIT_TZ, else the system's. --generated-at, else SOURCE_DATE_EPOCH (seconds since
    1970, the reproducible-builds convention), pins the time, so a report made again is the same
    file; a time given without an offset is the zone's wall-clock time."""
    zone = _zone(args.tz)
    text = args.generated_at
    if text is None and (epoch := os.environ.get("SOURCE_DATE_EPOCH", "").strip()):
        try:
            pinned = datetime.fromtimestamp(int(epoch), timezone.utc).astimezone(zone)
        except (ValueError, OverflowError, OSError):
            raise UsageError(
                f"SOURCE_DATE_EPOCH {epoch}: not a number of seconds since 1970-01-01 (such as 1735608600)",
                f"SOURCE_DATE_EPOCH {epoch}：不是自 1970-01-01 起的秒数（如 1735608600）",
            ) from None
    elif text is None:
        pinned = datetime.now(timezone.utc).astimezone(zone)
    else:
        stripped = text.strip()
        try:  # Python 3.10's fromisoformat takes no Z
            given = datetime.fromisoformat(stripped[:-1] + "+00:00" if stripped[-1:] in ("Z", "z") else stripped)
            if given.tzinfo is None:
                given = given.replace(tzinfo=zone) if zone is not None else given.astimezone()
            pinned = given.astimezone(zone)
        except (ValueError, OverflowError):
            raise UsageError(
                f"--generated-at {text}: not a time (expected ISO 8601, such as 2024-12-31T09:30:00+08:00)",
                f"--generated-at {text}：不是有效的时间（应为 ISO 8601 格式，如 2024-12-31T09:30:00+08:00）",
            ) from None
    return pinned.isoformat(timespec="seconds")


def _validate(args: argparse.Namespace) -> int:
    lang = args.lang
    dataset = _session(args).load(args.dataset, _limits(args))
    _print_notes(dataset.notes, lang, _quiet(args))
    if args.strict and (warnings := sum(note.warning for note in dataset.notes)):
        raise UsageError(*(say("--strict: {count} warning(s) about files not read", x, count=warnings) for x in LANGS))
    names = {name: table.type.zh if lang == "zh" else name for name, table in dataset.tables.items()}
    counts = say(", ", lang).join(
        say("{type} {count}", lang, type=names[name], count=count) for name, count in dataset.counts().items()
    )
    blank = sum(table.blank_rows for table in dataset.tables.values())
    skipped = say("; {blank} blank row(s) skipped", lang, blank=blank) if blank else ""
    print(say("{dataset}: valid ({counts}{skipped})", lang, dataset=args.dataset, counts=counts, skipped=skipped))
    return 0


class _Run:
    """One evaluating command: its session, dataset, period and the report context, with progress shown."""

    def __init__(self, args: argparse.Namespace, progress: Progress, annual: bool = False):
        inputs = [path for path in (args.dataset, args.rules_dir, args.plugins_dir) if path is not None]
        check_output(args.output, inputs)
        args.format = _report_format(args.format, args.output)
        if args.format in NEEDS_OUTPUT and not args.output:
            raise UsageError(
                f"--format {args.format} writes files: name one with --output",
                f"--format {args.format} 会生成文件：请用 --output 指定文件名",
            )
        if getattr(args, "partitions", None) is not None:
            raise UsageError(
                "--partitions was removed: evalkit runs in one process, its queries on every core "
                "(--workers N sets how many); a folder of shards' shards run as tasks with --jobs N or "
                "--executor dask://HOST:PORT (docs/scale.md)",
                "--partitions 已取消：evalkit 在一个进程中运行，查询使用全部核心（--workers N 指定数量）；"
                "分片文件夹的各分片可用 --jobs N 或 --executor dask://主机:端口 作为任务运行（见 docs/scale.md）",
            )
        self.args = args
        self.progress = progress
        self.period = _year(args.period) if annual else _period(args.period)
        self.today = _today(getattr(args, "today", None))
        self.generated_at = _generated_at(args)
        self.where = _where(args)
        progress.step(WORDS[args.lang]["loading"])
        self.session = _session(args)
        self.session.check_engine()
        if self.where is None:
            self.dataset = self.session.load(
                args.dataset, _limits(args), args.workers, getattr(args, "partial", False), self._shard_read
            )
            self._loaded()
            progress.step(WORDS[args.lang]["evaluating"])

    def evaluate(self, kinds: tuple[str, ...], subjects: set[str] | None, waivers: bool) -> Evaluation:
        """The rules of the packs of `kinds` over the dataset, or over each shard as a task
        (--jobs, --executor: shards.py), whose parts the driver gathers."""
        if self.where is None:
            return self.session.check(self.dataset, self.period, subjects, kinds, waivers)
        from .shards import evaluate_shards

        self.dataset, evaluation = evaluate_shards(
            self.session,
            self.args.dataset,
            self.period,
            kinds,
            subjects,
            waivers,
            _limits(self.args),
            self.where,
            self._shard_done,
        )
        self._loaded()
        if self.dataset.kept and not _quiet(self.args):
            kept = say("note: the tasks' tables are kept in {folder}", self.args.lang, folder=self.dataset.kept)
            print(kept, file=sys.stderr)
        self.progress.step(WORDS[self.args.lang]["evaluating"])
        return evaluation

    def _loaded(self) -> None:
        """What a run says of its dataset once loaded: notes, a period nothing is dated in."""
        args = self.args
        _print_notes(self.dataset.notes, args.lang, _quiet(args))
        args.dataset_notes = self.dataset.notes
        if not _quiet(args) and not self.dataset.has_records_in(self.period):
            nothing = (
                "no activity, meeting, request, visit, talent or incident record is dated in {period}; the results "
                "below measure nothing (is the period right?)"
            )
            period = self.period.label(args.lang)
            print(say("warning: ", args.lang) + say(nothing, args.lang, period=period), file=sys.stderr)
        self._subjects(args)

    def _shard_read(self, done: int, total: int) -> None:
        """The progress line of a folder of shards: how many are read."""
        self.progress.detail = say("{done}/{total} shards", self.args.lang, done=done, total=total)

    def _shard_done(self, done: int, total: int) -> None:
        """The progress line of shards run as tasks: how many are done."""
        self.progress.detail = say("{done}/{total} shards done", self.args.lang, done=done, total=total)

    def _subjects(self, args: argparse.Namespace) -> None:
        """Names, kinds and departments of the subjects; the one `--subject` names must exist."""
        self.names, self.kinds, self.departments = self.dataset.subjects()
        if getattr(args, "subject", None):
            args.subject = _subject(args.subject, self.names)

    def context(self, packs: list[Pack], findings: Iterable[Finding] = ()) -> Context:
        """The report's context; with `findings` (a self-check's), the date and title of the
        records they name as evidence."""
        about = (self.period.label(self.args.lang), str(self.args.dataset), self.generated_at)
        return Context.of_run(self.args.lang, self.session, self.dataset, packs, about, self.today, findings)

    def emit(self, document_or_json) -> None:
        self.progress.step(WORDS[self.args.lang]["rendering"])
        if isinstance(document_or_json, JsonText):
            write(document_or_json, self.args.output)
        elif self.args.format == "text":  # the one format fitted to a width, unless --wide
            write(render_text(document_or_json, None if self.args.wide else TEXT_WIDTH), self.args.output)
        else:
            write(render(document_or_json, self.args.format), self.args.output)


#: The report format each --output suffix names (.zip: a zip of CSV tables; .csv, refused without
#: --format csv, would be a folder of them).
OUTPUT_SUFFIXES = {
    ".xlsx": "xlsx",
    ".html": "html",
    ".md": "markdown",
    ".json": "json",
    ".txt": "text",
    ".zip": "csv",
    ".csv": "csv",
}


def _report_format(given: str | None, output: str | None) -> str:
    """The report's format: --format, else the one --output's suffix names, else text, so
    `--output scores.xlsx` is a workbook, never text under a workbook's name. A --format the
    suffix contradicts is refused (the file would not open as its name says), and so is a .csv
    name without --format csv: a CSV report is several tables, a .zip or a folder of files."""
    suffix = Path(output).suffix.lower() if output and output != "-" else ""
    implied = OUTPUT_SUFFIXES.get(suffix)
    if given is None and suffix == ".csv":
        raise UsageError(
            *(
                say(
                    "--output {output}: a CSV report is several tables: name a .zip file, or a folder with "
                    "--format csv",
                    lang,
                    output=output,
                )
                for lang in LANGS
            )
        )
    if given is not None and implied not in (None, given):
        values = {"format": given, "output": output, "suffix": suffix, "implied": implied}
        raise UsageError(
            *(
                say(
                    "--format {format} contradicts --output {output} (a {suffix} file is {implied}): drop one of them",
                    lang,
                    **values,
                )
                for lang in LANGS
            )
        )
    return given or implied or "text"


def _subject(given: str, names: dict[str, str]) -> str:
    """The id --subject names: an id, in its NFKC form too (Ｂ０７ is B07, as the ledgers' ids
    are read), else the one subject with exactly that name (NFKC, trimmed): a secretary types the
    branch's name as evalkit prints it. Several subjects of that name are refused with their ids;
    no match with the ids differing only in case suggested."""
    key = unicodedata.normalize("NFKC", given).strip()
    if given in names or key in names:
        return given if given in names else key
    named = sorted(id_ for id_, name in names.items() if name and unicodedata.normalize("NFKC", name).strip() == key)
    if len(named) == 1:
        return named[0]
    if named:
        values = {"subject": given, "count": len(named), "ids": ", ".join(named)}
        raise UsageError(
            *(
                say("--subject {subject}: {count} subjects have this name ({ids}); give the id of one", lang, **values)
                for lang in LANGS
            )
        )
    cased = sorted(id_ for id_ in names if id_.casefold() == key.casefold())
    raise UsageError(
        f"--subject {given}: no organisation, enterprise, department or cadre has this id"
        + (f" (did you mean {', '.join(cased)}?)" if cased else ""),
        f"--subject {given}：数据中没有这个编号的党组织、企业、部门或干部（编号区分大小写）"
        + (f"（是否应为 {'、'.join(cased)}？）" if cased else ""),
    )


def _quiet(args: argparse.Namespace) -> bool:
    """-q: no progress line, no warnings or notes; errors only."""
    return args.verbosity == "quiet"


@contextmanager
def _stages(args: argparse.Namespace) -> Iterator[Progress]:
    """The progress line of an evaluating command (none with -q; with -v each stage's time), which
    also names the stage memory ran out in."""

    def timing(stage: str, seconds: float) -> str:
        return say("{stage}: {seconds:.2f} s", args.lang, stage=stage, seconds=seconds)

    with Progress(live=not _quiet(args), timing=timing if args.verbosity == "verbose" else None) as progress:
        try:
            yield progress
        except MemoryError:  # Arrow's ArrowMemoryError too
            raise _out_of_memory(progress.stage) from None
        except Exception as error:
            if type(error).__name__ == "OutOfMemoryException":  # DuckDB's, not imported here
                raise _out_of_memory(progress.stage) from None
            raise


def _out_of_memory(stage: str) -> OutOfMemory:
    """The error naming `stage` (a progress word, in the run's language) in both languages."""
    key = next((k for k in ("evaluating", "rendering") if stage in (WORDS["en"][k], WORDS["zh"][k])), "loading")
    return OutOfMemory(WORDS["en"][key], WORDS["zh"][key])


#: The line a check of a partial ledger shows after its summary: facts count what the ledger holds.
PARTIAL = {
    "en": "partial ledger: only the ledger's activity bases were counted (OPF01)",
    "zh": "部分台账：只统计了台账中的活动阵地（OPF01）",
}


def _earlier(args: argparse.Namespace) -> dict | None:
    """The output --compare names, read before any work (a file that is not a check or assess
    output is refused at once); --exit-on and --shift need it."""
    if args.compare is None:
        for option, given in (("--exit-on", args.exit_on), ("--shift", args.shift)):
            if given is not None:
                raise UsageError(
                    *(
                        say("{option} compares with an earlier run: add --compare OLD.json", x, option=option)
                        for x in LANGS
                    )
                )
        return None
    args.shift_years = parse_shift(args.shift) if args.shift is not None else 0
    return read_output(args.compare)


def _comparison(
    args: argparse.Namespace, earlier: dict | None, output: Callable[[], JsonText]
) -> tuple[Comparison | None, JsonText | None]:
    """What changed from the --compare output to this run's JSON output (`output` makes it; it is
    written to text here and read as the earlier one was, so both sides are compared alike), and
    that output, kept to be written again (None without --compare)."""
    if earlier is None:
        return None, None
    made = output().kept()
    text: list[str] = []
    made.write_to(text.append)
    later = parse_output("".join(text), args.output or "-")
    return compare(earlier, later, args.shift_years, args.compare, args.output or "-"), made


def _exit_code(args: argparse.Namespace, failed: bool, comparison: Comparison | None) -> int:
    """1 when findings failed (`failed`) or, with --exit-on new, only when a failure is new or
    unwaived since the earlier run; --exit-zero turns 1 into 0."""
    if args.exit_on == "new":
        failed = comparison is not None and comparison.has_new_failures()
    return 1 if failed and not args.exit_zero else 0


def _check(args: argparse.Namespace) -> int:
    if args.partial and not args.subject:
        raise UsageError(
            "--partial checks one branch's own ledger: name the branch with --subject ID",
            "--partial 用于检查本支部自己的台账：请用 --subject 编号 指明支部",
        )
    earlier = _earlier(args)
    with _stages(args) as progress:
        run = _Run(args, progress)
        if earlier is not None:
            check_comparable(earlier, "check", args.subject, str(run.period), args.shift_years, args.compare)
        subjects = {args.subject} if args.subject else None
        evaluation = run.evaluate(("compliance",), subjects, not args.no_waivers)
        _warn_unused_waivers(evaluation, args)
        packs = [p for p in run.session.active_packs(run.dataset) if p.spec.kind == "compliance"]
        rules = rules_json(run.session.rules, packs, args.lang)

        def output() -> JsonText:
            calendar = run.session.calendar(run.dataset, packs)
            return check_json(evaluation, packs, args.lang, calendar, args.subject, rules)

        comparison, made = _comparison(args, earlier, output)
        if args.format == "json":
            run.emit(_with_comparison(made or output(), comparison))
        else:
            findings = evaluation.findings if args.subject else ()
            context = run.context(packs, findings)
            document = check_document(evaluation, context, args.subject)
            if args.partial:  # after the summary
                document.blocks.insert(1, Paragraph([PARTIAL[args.lang]]))
            if comparison is not None:
                add_comparison(document, comparison, context.titles, run.names)
            run.emit(document)
    if evaluation.errors:
        return 3
    return _exit_code(args, any(finding.status == "fail" for finding in evaluation.findings), comparison)


def _with_comparison(output: JsonText, comparison: Comparison | None) -> JsonText:
    """The JSON output with what changed since the --compare output, last (docs/output.md)."""
    if comparison is not None:
        output.data["comparison"] = comparison.to_json()
    return output


def _assess(args: argparse.Namespace) -> int:
    earlier = _earlier(args)
    with _stages(args) as progress:
        run = _Run(args, progress, annual=True)
        if earlier is not None:
            check_comparable(earlier, "assess", None, str(run.period), args.shift_years, args.compare)
        evaluation = run.evaluate(run.session.assessed_kinds(run.period), None, not args.no_waivers)
        assessment = run.session.scored(evaluation, run.dataset)
        _warn_unused_waivers(assessment.evaluation, args)
        packs = run.session.active_packs(run.dataset)
        rules = rules_json(run.session.rules, packs, args.lang)

        def output() -> JsonText:
            calendar = run.session.calendar(run.dataset, packs)
            return assess_json(assessment, packs, run.names, run.departments, args.lang, calendar, rules)

        comparison, made = _comparison(args, earlier, output)
        if args.format == "json":
            run.emit(_with_comparison(made or output(), comparison))
        else:
            context = run.context(packs)
            document = assess_document(assessment, context)
            if comparison is not None:
                add_comparison(
                    document, comparison, context.titles, run.names, _grade_words(assessment, comparison, args.lang)
                )
            run.emit(document)
    return 3 if assessment.evaluation.errors else _exit_code(args, False, comparison)


def _grade_words(assessment: Assessment, comparison: Comparison, lang: str) -> dict[str, dict[str, str]]:
    """Each grade code of the compared score tables in words, the earlier run's by this run's packs."""
    kinds = {key: kind for kind, key in SCORE_TABLES.items()}
    return {
        key: {
            code: assessment.label(kinds[key], code, lang)
            for row in rows
            for code in (row.grade, row.old_grade)
            if code
        }
        for key, rows in comparison.scores.items()
    }


def _diff(args: argparse.Namespace) -> int:
    """What changed from one saved check or assess JSON output to another."""
    check_output(args.output, [args.old, args.new])
    args.format = _report_format(args.format, args.output)
    if args.format in NEEDS_OUTPUT and not args.output:
        raise UsageError(
            f"--format {args.format} writes files: name one with --output",
            f"--format {args.format} 会生成文件：请用 --output 指定文件名",
        )
    shift = parse_shift(args.shift) if args.shift is not None else 0
    old, new = read_output(args.old), read_output(args.new)
    comparison = compare(old, new, shift, args.old, args.new)
    if args.format == "json":
        write(JsonText({"command": "diff", **comparison.to_json()}), args.output)
    else:
        document = diff_document(comparison, old, new, args.lang)
        write(
            render_text(document, None if args.wide else TEXT_WIDTH)
            if args.format == "text"
            else render(document, args.format),
            args.output,
        )
    return _exit_code(args, False, comparison)


def _warn_unused_waivers(evaluation: Evaluation, args: argparse.Namespace) -> None:
    """Each waiver that waived nothing, on stderr (none with -q), the first --max-problems of them
    as problems are listed (a province's thousand waivers are each in its JSON); with --strict, any
    warning so far (these, or a file not read) ends the run with exit 2 before a report is written."""
    unused = () if _quiet(args) else evaluation.unused_waivers
    for waiver in unused[: args.max_problems]:
        print(say("warning: ", args.lang) + waiver.text(args.lang), file=sys.stderr)
    if (more := len(unused) - args.max_problems) > 0:
        print(
            say("warning: ", args.lang)
            + say("{more} more unused waivers not shown (raise --max-problems)", args.lang, more=f"{more:,}"),
            file=sys.stderr,
        )
    warnings = len(evaluation.unused_waivers) + sum(note.warning for note in args.dataset_notes)
    if args.strict and warnings:
        raise UsageError(
            *(
                say("--strict: {count} warning(s) (unused waivers, files not read); nothing written", x, count=warnings)
                for x in LANGS
            )
        )


def _explain(args: argparse.Namespace) -> int:
    with _stages(args) as progress:
        run = _Run(args, progress)
        assessment = run.session.assess(run.dataset, run.period, waivers=not args.no_waivers)
        kind = run.kinds[args.subject]
        packs = run.session.active_packs(run.dataset)
        if args.format == "json":
            calendar = run.session.calendar(run.dataset, packs)
            run.emit(
                explain_json(assessment, args.subject, kind, packs, run.names, run.departments, args.lang, calendar)
            )
        else:
            run.emit(explain_document(assessment, args.subject, kind, run.context(packs)))
    return 3 if assessment.evaluation.errors else 0


def _rules(args: argparse.Namespace) -> int:
    session = _session(args)
    if args.diff:
        lines = diff_packs(_session(args, shipped_packs=True).packs, session.packs)
        if args.lang == "zh":
            lines = [zh_message(line) for line in lines]
        print("\n".join(lines) if lines else say("the shipped rule packs are used as they are", args.lang))
        return _plugin_failures(session, args.lang)
    packs = {pack.name: pack for pack in session.packs}
    effective = effective_weights(session.rules, session.fact_kinds)
    rows = []
    for rule in session.rules:
        spec = rule.spec
        params = ", ".join(_numbers(spec, effective.get(spec.id, {}), args.lang))
        severity = WORDS[args.lang]["severities"][spec.severity]
        rows.append([spec.id, rule.pack, spec.title(args.lang), severity, params, packs[rule.pack].origin])
    _print_table(rows, WORDS[args.lang]["rule_headers"])
    print()  # each rule's basis in a table of its own: beside the parameters it would pass the 120 cells of a line
    rule_word, _, _, *basis_words = WORDS[args.lang]["basis_headers"]  # rule, (title, pack,) basis kind, basis
    rows = [[rule.spec.id, *basis(rule.spec, args.lang)] for rule in session.rules]
    _print_table(rows, [rule_word, *basis_words])
    return _plugin_failures(session, args.lang)


def _numbers(spec, effective: dict | None = None, lang: str = "en") -> list[str]:
    """A rule's parameters and, for a score rule, its weight, points, cap or share.

    An indicator's weight is followed by its effective weight (`effective`: subject kind → its
    weight × 100 / the weights of all indicators scoring that kind) where that differs from it:
    `weight=20 (effective 18.18)`, or per subject kind when the kinds differ."""
    numbers = [f"{k}={v}" for k, v in spec.params.items()]
    if spec.indicator:
        numbers.append(f"weight={spec.indicator.weight}{_effective(spec.indicator.weight, effective or {}, lang)}")
    if spec.adjustment:
        numbers.append(f"points={spec.adjustment.points:+}")
        numbers += [f"cap={spec.adjustment.cap}"] if spec.adjustment.cap is not None else []
    if spec.quota:
        numbers += [f"share={spec.quota.share}", f"at_least={spec.quota.at_least}"]
    return numbers


def _effective(weight, effective: dict, lang: str) -> str:
    """` (effective 18.18)` after a weight that counts for another share of the base; `` otherwise."""
    if all(share == Fraction(str(weight)) for share in effective.values()):
        return ""
    word = "实际" if lang == "zh" else "effective"
    if len(set(effective.values())) == 1:
        return f" ({word} {_hundredths(next(iter(effective.values())))})"
    return f" ({word} " + ", ".join(f"{kind} {_hundredths(share)}" for kind, share in effective.items()) + ")"


def _hundredths(value) -> str:
    """A positive fraction rounded half up to 2 decimals, without trailing zeros: 18.18, 10, 12.5."""
    cents = (value * 200 + 1) // 2
    return f"{cents // 100}.{cents % 100:02d}".rstrip("0").rstrip(".")


def _verify(args: argparse.Namespace) -> int:
    session = _session(args)
    results = verify(session, args.cases)
    lang = args.lang
    rows = [[r.case, r.rule, say("pass" if r.passed else "FAIL", lang), "; ".join(r.problems)] for r in results]
    _print_table(rows, [say(word, lang) for word in ("case", "rule", "result", "why")])
    failed = sum(not r.passed for r in results)
    print(say("{passed} passed, {failed} failed", lang, passed=len(results) - failed, failed=failed))
    return 1 if failed else _plugin_failures(session, lang)


def _plugins(args: argparse.Namespace) -> int:
    session = _session(args)
    rows = [[info.name, info.version, info.source] for info in session.plugins.infos.values()]
    _print_table(rows, WORDS[args.lang]["plugin_headers"])
    return _plugin_failures(session, args.lang)


def _plugin_failures(session: Session, lang: str = "en") -> int:
    for failure in session.plugins.failures:
        line = say("plugin {plugin}: {error}", lang, plugin=failure.plugin, error=failure.error)
        print(say("error: ", lang) + line, file=sys.stderr)
    return 3 if session.plugins.failures else 0


def _config(args: argparse.Namespace) -> int:
    """Each setting in force and where it came from, as a run in this folder (on DATASET) would use them."""
    rows = [
        [key, say("(not set)", args.lang) if setting.value is None else setting.value, setting.source.text(args.lang)]
        for key, setting in args.settings.items()
    ]
    _print_table(rows, [say(word, args.lang) for word in ("setting", "value", "source")])
    return 0


def _print_tracebacks(sessions: Sequence[Session], lang: str) -> None:
    """-v when a plugin failed (exit 3): the traceback of each failure that raised, once."""
    told = set()
    for failure in (failure for session in sessions for failure in session.plugins.failures):
        if failure.traceback and (failure.plugin, failure.traceback) not in told:
            told.add((failure.plugin, failure.traceback))
            print(say("traceback of plugin {plugin}:", lang, plugin=failure.plugin), file=sys.stderr)
            print(visible(failure.traceback.rstrip("\n")), file=sys.stderr)


def _template(args: argparse.Namespace) -> int:
    """Write the blank workbook; never over an existing file, which may be a filled-in template."""
    if not args.output.lower().endswith(".xlsx"):
        raise UsageError(
            f"--output {args.output}: the template is an Excel workbook; name a .xlsx file",
            f"--output {args.output}：模板是 Excel 工作簿，请指定 .xlsx 文件名",
        )
    check_output(args.output, [path for path in (args.rules_dir, args.plugins_dir) if path is not None])
    if Path(args.output).exists():
        raise UsageError(
            f"--output {args.output}: exists, and may be a filled-in ledger; delete it first or name a new file",
            f"--output {args.output}：文件已存在，可能是已填写的台账；请先删除，或指定新的文件名",
        )
    names = [name for name in (args.record_types or "").replace("，", ",").split(",") if name.strip()]
    session = _session(args)
    write(template_xlsx(session.record_types, args.lang, names), args.output)
    return _plugin_failures(session, args.lang)


def _print_notes(notes: Sequence[Note], lang: str, quiet: bool = False) -> None:
    """The notes on how the files were read, on stderr: "note: FILE: text", a warning "warning: …"
    (none with -q)."""
    for note in () if quiet else notes:
        print(say("warning: " if note.warning else "note: ", lang) + note.text(lang), file=sys.stderr)


def _print_dataset_error(error: DatasetError, lang: str, max_problems: int, quiet: bool = False) -> None:
    """Every problem, but at most `max_problems` of each file, then how many more it has: a
    broken file can have millions, and the first ones show what is wrong with it. The notes on
    how the files were read come first (a file not read often explains the problems; not with -q)."""
    _print_notes(error.notes, lang, quiet)
    count = len(error.problems)
    if lang == "zh":
        print(f"错误：数据集未通过校验（{count} 个问题；格式为 文件:行 [列] '值': 应为……）：", file=sys.stderr)
    else:
        print(f"error: the dataset does not validate ({count} problem(s)):", file=sys.stderr)
    for file, problems in groupby(error.problems, key=lambda problem: problem.file):  # sorted by file
        problems = list(problems)
        for problem in problems[:max_problems]:
            print(f"  {problem.text(lang)}", file=sys.stderr)
        if (more := len(problems) - max_problems) > 0:
            if lang == "zh":
                print(f"  {visible(file)}：另有 {more:,} 个问题未列出（可用 --max-problems 调高）", file=sys.stderr)
            else:
                print(f"  {visible(file)}: {more:,} more problems not shown (raise --max-problems)", file=sys.stderr)


def _serve(args: argparse.Namespace) -> int:
    """The web pages (evalkit/serve/): imported only here, so the other commands never load them."""
    from .serve import serve

    return serve(args)


#: What each command of the parser (cli_parser.py) does.
COMMANDS = {
    "validate": _validate,
    "check": _check,
    "assess": _assess,
    "explain": _explain,
    "diff": _diff,
    "rules": _rules,
    "verify": _verify,
    "plugins": _plugins,
    "template": _template,
    "config": _config,
    "serve": _serve,
}


def main(argv: Sequence[str] | None = None) -> int:
    """The command's exit code. Output its reader stops reading (`evalkit rules | head`) ends the
    run quietly with 141, as a shell reports a command ended by SIGPIPE: Python's documented
    recipe, stdout sent to devnull so the flush at exit has nothing left to fail on."""
    try:
        try:
            return _main(sys.argv[1:] if argv is None else list(argv))
        finally:
            sys.stdout.flush()
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141


def _main(argv: list[str]) -> int:
    lang = lang_option(argv)
    try:  # the parser speaks the language in force before the dataset's evalkit.toml is known
        lang = lang or Configuration({}).setting("lang").value
    except UsageError as error:  # a wrong EVALKIT_LANG or configuration file: said in both languages
        for lang in LANGS:
            print(say("error: ", lang) + visible(error.text(lang)), file=sys.stderr)
        return error.exit_code
    parser = build_parser(lang)
    args = parser.parse_args(argv)
    merge_global_options(args)
    args.sessions = []
    try:
        args.settings = Configuration(
            {key: getattr(args, key, None) for key in SETTINGS}, getattr(args, "dataset", None)
        ).settings()
    except UsageError as error:
        print(say("error: ", lang) + visible(error.text(lang)), file=sys.stderr)
        return error.exit_code
    for key, setting in args.settings.items():
        setattr(args, key, setting.value)
    if args.period is None and any(action.dest == "period" for action in parser.command(args.command)._actions):
        build_parser(args.lang).command(args.command).error("the following arguments are required: --period")
    try:
        with stopping_on_signals():
            code = COMMANDS[args.command](args)
    except DatasetError as error:
        _print_dataset_error(error, args.lang, args.max_problems, _quiet(args))
        return error.exit_code
    except (UsageError, OutOfMemory) as error:
        print(say("error: ", args.lang) + visible(error.text(args.lang)), file=sys.stderr)
        return error.exit_code
    except EvalkitError as error:
        print(say("error: ", args.lang) + visible(str(error)), file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print(say("interrupted: nothing was written", args.lang), file=sys.stderr)
        return 130
    except Terminated:
        print(say("terminated: nothing was written", args.lang), file=sys.stderr)
        return 143
    if code == 3 and args.verbosity == "verbose":
        _print_tracebacks(args.sessions, args.lang)
    return code


if __name__ == "__main__":
    sys.exit(main())
