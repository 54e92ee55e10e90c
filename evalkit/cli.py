"""The `evalkit` command: argument parsing, exit codes and error messages, nothing else."""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path

from tabulate import tabulate

from . import __version__
from .assess_report import assess_json, assess_text
from .dataset import DEFAULT_MAX_CELL_CHARS
from .errors import DatasetError, EvalkitError, UsageError
from .explain import explain_json, explain_text
from .periods import Period
from .report import check_json, check_text
from .schema import SUBJECT_TABLES
from .session import Session


def _session(args: argparse.Namespace) -> Session:
    modules = [m for m in args.plugin if not m.startswith("no:")]
    blocked = [m[3:] for m in args.plugin if m.startswith("no:")]
    return Session(modules, blocked, args.plugins_dir, args.rules_dir)


def _period(text: str) -> Period:
    try:
        return Period.parse(text)
    except ValueError as error:
        raise UsageError(str(error)) from None


def _emit(text: str, output: str | None) -> None:
    """Print, or write `output` atomically: a failed run never leaves a half-written file."""
    if output is None:
        sys.stdout.write(text)
        return
    target = Path(output)
    if not target.parent.is_dir():
        raise UsageError(f"{output}: the folder {target.parent} does not exist")
    if target.is_dir():
        raise UsageError(f"{output}: is a folder; name the file to write")
    try:
        handle, temporary = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as error:
        raise UsageError(f"{output}: cannot write there ({error.strerror})") from None
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, 0o666 & ~_umask())  # mkstemp makes it private; a report is an ordinary file
        os.replace(temporary, target)
    except BaseException as error:
        os.unlink(temporary)
        if isinstance(error, OSError):
            raise UsageError(f"{output}: cannot write there ({error.strerror})") from None
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _validate(args: argparse.Namespace) -> int:
    dataset = _session(args).load(args.dataset, args.max_cell_chars)
    counts = ", ".join(f"{name} {count}" for name, count in dataset.counts().items())
    blank = sum(table.blank_rows for table in dataset.tables.values())
    skipped = f"; {blank} blank row(s) skipped" if blank else ""
    print(f"{args.dataset}: valid ({counts}{skipped})")
    return 0


#: The subject kind of the records of each subject table.
SUBJECT_KINDS = dict(zip(SUBJECT_TABLES, ("organization", "enterprise", "department", "cadre"), strict=True))


class _Subjects:
    """Names, kinds and cadres' departments of the dataset's subjects, for reports."""

    def __init__(self, dataset):
        self.names = {row["id"]: row["name"] for name in SUBJECT_TABLES for row in dataset[name]}
        self.kinds = {row["id"]: SUBJECT_KINDS[name] for name in SUBJECT_TABLES for row in dataset[name]}
        self.departments = {row["id"]: row["department_id"] for row in dataset["cadres"]}

    def require(self, subject: str | None) -> None:
        if subject and subject not in self.names:
            raise UsageError(f"--subject {subject}: no organisation, enterprise, department or cadre has this id")


def _load(session: Session, args: argparse.Namespace, period: Period):
    """Load the dataset; warn (on stderr) when nothing in it is dated in the period."""
    dataset = session.load(args.dataset, args.max_cell_chars)
    if not dataset.dated_in(period):
        print(
            f"warning: no activity, meeting, request, visit, talent or incident record is dated in {period}; "
            "the results below measure nothing (is the period right?)",
            file=sys.stderr,
        )
    return dataset


def _check(args: argparse.Namespace) -> int:
    session = _session(args)
    period = _period(args.period)
    dataset = _load(session, args, period)
    subjects = _Subjects(dataset)
    subjects.require(args.subject)
    names = subjects.names
    evaluation = session.check(dataset, period, {args.subject} if args.subject else None)
    if args.format == "json":
        text = check_json(evaluation, [p for p in session.packs if p.spec.kind == "compliance"], args.lang)
    else:
        titles = {rule.spec.id: rule.spec.title for rule in session.rules}
        text = check_text(evaluation, titles, names, args.lang, args.subject)
    _emit(text, args.output)
    if evaluation.errors:
        return 3
    failed = any(finding.status == "fail" for finding in evaluation.findings)
    return 1 if failed and not args.exit_zero else 0


def _year(text: str) -> Period:
    period = _period(text)
    if not period.is_year:
        raise UsageError(f"--period {text}: the assessment is annual; give a year such as {period.year}")
    return period


def _assess(args: argparse.Namespace) -> int:
    session = _session(args)
    period = _year(args.period)
    dataset = _load(session, args, period)
    subjects = _Subjects(dataset)
    assessment = session.assess(dataset, period)
    if args.format == "json":
        text = assess_json(assessment, session.packs, subjects.names, subjects.departments, args.lang)
    else:
        text = assess_text(assessment, session.rules, session.packs, subjects.names, subjects.departments, args.lang)
    _emit(text, args.output)
    return 3 if assessment.evaluation.errors else 0


def _explain(args: argparse.Namespace) -> int:
    session = _session(args)
    period = _period(args.period)
    dataset = _load(session, args, period)
    subjects = _Subjects(dataset)
    subjects.require(args.subject)
    assessment = session.assess(dataset, period)
    kind = subjects.kinds[args.subject]
    if args.format == "json":
        text = explain_json(
            assessment, args.subject, kind, session.packs, subjects.names, subjects.departments, args.lang
        )
    else:
        text = explain_text(assessment, args.subject, kind, session.rules, subjects.names, args.lang)
    _emit(text, args.output)
    return 3 if assessment.evaluation.errors else 0


def _rules(args: argparse.Namespace) -> int:
    session = _session(args)
    packs = {pack.name: pack for pack in session.packs}
    rows = []
    for rule in session.rules:
        spec = rule.spec
        params = ", ".join(_numbers(spec))
        rows.append([spec.id, rule.pack, spec.title(args.lang), spec.severity, params, packs[rule.pack].origin])
    print(tabulate(rows, headers=["rule", "pack", "title", "severity", "parameters", "source"]))
    return _plugin_failures(session)


def _numbers(spec) -> list[str]:
    """A rule's parameters and, for a score rule, its weight, points, cap or share."""
    numbers = [f"{k}={v}" for k, v in spec.params.items()]
    if spec.indicator:
        numbers.append(f"weight={spec.indicator.weight}")
    if spec.adjustment:
        numbers.append(f"points={spec.adjustment.points:+}")
        numbers += [f"cap={spec.adjustment.cap}"] if spec.adjustment.cap is not None else []
    if spec.quota:
        numbers += [f"share={spec.quota.share}", f"at_least={spec.quota.at_least}"]
    return numbers


def _plugins(args: argparse.Namespace) -> int:
    session = _session(args)
    rows = [[info.name, info.version, info.source] for info in session.plugins.infos.values()]
    print(tabulate(rows, headers=["plugin", "version", "source"]))
    return _plugin_failures(session)


def _plugin_failures(session: Session) -> int:
    for failure in session.plugins.failures:
        print(f"error: plugin {failure.plugin}: {failure.error}", file=sys.stderr)
    return 3 if session.plugins.failures else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="evalkit", description="Assessment tables from party-building ledgers.")
    parser.add_argument("--version", action="version", version=f"evalkit {__version__}")
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument(
        "-p",
        dest="plugin",
        action="append",
        default=[],
        metavar="MODULE",
        help="load one more plugin module; -p no:NAME blocks the plugin NAME",
    )
    common.add_argument("--plugins-dir", metavar="DIR", help="load every *.py file of DIR as a plugin")
    common.add_argument("--rules-dir", metavar="DIR", help="more rule packs, or replacements of shipped ones by name")
    common.add_argument("--lang", choices=("en", "zh"), default="en", help="language of human-readable output")
    common.add_argument(
        "--max-cell-chars",
        type=int,
        default=DEFAULT_MAX_CELL_CHARS,
        metavar="N",
        help=f"refuse cells longer than N characters (default {DEFAULT_MAX_CELL_CHARS:,})",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser(
        "validate", parents=[common], help="check files, types, references; list every problem"
    )
    validate.add_argument("dataset", help="the dataset folder")
    validate.set_defaults(run=_validate)

    check = commands.add_parser("check", parents=[common], help="compliance findings (1+4, councils, coverage)")
    check.add_argument("dataset", help="the dataset folder")
    check.add_argument("--period", required=True, help="a year (2024) or a quarter (2024Q2)")
    check.add_argument("--subject", metavar="ID", help="only this subject (a branch's self-check)")
    check.add_argument("--format", choices=("text", "json"), default="text")
    check.add_argument("--output", metavar="FILE", help="write to FILE (atomically) instead of printing")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when findings failed")
    check.set_defaults(run=_check)

    assess = commands.add_parser(
        "assess", parents=[common], help="annual assessment: departments, cadres, branches, chains"
    )
    assess.add_argument("dataset", help="the dataset folder")
    assess.add_argument("--period", required=True, help="a year, such as 2024")
    assess.add_argument("--format", choices=("text", "json"), default="text")
    assess.add_argument("--output", metavar="FILE", help="write to FILE (atomically) instead of printing")
    assess.set_defaults(run=_assess)

    explain = commands.add_parser("explain", parents=[common], help="how one subject's findings and score came about")
    explain.add_argument("dataset", help="the dataset folder")
    explain.add_argument("--period", required=True, help="a year (2024) or a quarter (2024Q2)")
    explain.add_argument(
        "--subject", required=True, metavar="ID", help="a department, cadre, organisation or enterprise"
    )
    explain.add_argument("--format", choices=("text", "json"), default="text")
    explain.add_argument("--output", metavar="FILE", help="write to FILE (atomically) instead of printing")
    explain.set_defaults(run=_explain)

    rules = commands.add_parser("rules", parents=[common], help="every rule: id, pack, title, parameters, source")
    rules.set_defaults(run=_rules)
    plugins = commands.add_parser("plugins", parents=[common], help="loaded plugins, where each came from, version")
    plugins.set_defaults(run=_plugins)
    return parser


def _print_dataset_error(error: DatasetError) -> None:
    print(f"error: the dataset does not validate ({len(error.problems)} problem(s)):", file=sys.stderr)
    for problem in error.problems:
        print(f"  {problem}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except DatasetError as error:
        _print_dataset_error(error)
        return error.exit_code
    except EvalkitError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code
    except KeyboardInterrupt:
        print("interrupted: nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
