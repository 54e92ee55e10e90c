"""The `evalkit` command's parser: its commands, their options and their help (in English here,
in Chinese through cli_language.py). What each command does is cli.py's."""

from __future__ import annotations

import argparse
from dataclasses import fields

from . import __version__
from .cli_language import LANGS, ChineseParser, Parser
from .report import FORMATS
from .report.text import TEXT_WIDTH
from .schema import Limits

#: A folder of shards is loaded as the one dataset of its sub-folders (load/files.py `shard_names`).
DATASET_HELP = "the dataset folder, or a folder of shards: one dataset per sub-folder (docs/scale.md)"


def _positive(text: str) -> int:
    """A limit's value: a whole number ≥ 1 (commas allowed: 2,000,000)."""
    try:
        number = int(text.replace(",", ""))
    except ValueError:
        number = 0
    if number < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number ≥ 1")
    return number


TODAY_HELP = "the day next steps are written as of: days left, or a quarter already ended (default: today)"
WIDE_HELP = f"text tables at their full width, nothing cut or wrapped to fit {TEXT_WIDTH} columns"
TZ_HELP = (
    "the time zone of the report's time (generated at), such as Asia/Shanghai (default: EVALKIT_TZ, else the system's)"
)
COMPARE_HELP = "an earlier JSON output of this command (--format json): the report shows what changed since"
SHIFT_HELP = (
    "compare with the earlier output N years later: with --shift 1y its 2024Q3 matches 2025Q3, 2024 matches 2025"
)
EXIT_ON_HELP = "with new: exit 1 only for failures new or unwaived since the earlier output (not a new rule's)"
GENERATED_AT_HELP = (
    "the report's time (generated at), ISO 8601 such as 2024-12-31T09:30:00+08:00, for a report that is the same "
    "when made again (default: SOURCE_DATE_EPOCH, else now)"
)


#: Each option every command takes, by its name in the parsed arguments, with its value when it is
#: given neither before nor after the command's name: None for the settings a configuration file
#: or the environment may give (evalkit/config.py decides them).
GLOBAL_DEFAULTS = {
    "plugin": [],
    "plugins_dir": None,
    "rules_dir": None,
    "lang": None,
    "tz": None,
    "verbosity": "normal",
    **{field.name: field.default for field in fields(Limits)},
    "max_problems": 1_000,
}


def _global_options(parser: argparse.ArgumentParser, before_command: bool) -> None:
    """The options every command takes, on the top-level parser (`before_command`: `evalkit -q
    --lang zh check …`) and on each command's.

    argparse copies everything a command's parser holds over what the top level parsed, so the
    top level's go to `NAME_before_command`, and none has a default: `merge_global_options`
    takes the one after the command's name, else the one before it (-p: both), else
    `GLOBAL_DEFAULTS`. The top level's help lists only --lang (each command's lists them all);
    --tz after the command's name is the evaluating commands' own."""

    def add(group, *names: str, dest: str, help: str, **kwargs) -> None:
        if before_command:
            dest, help = f"{dest}_before_command", help if names == ("--lang",) else argparse.SUPPRESS
        group.add_argument(*names, dest=dest, default=None, help=help, **kwargs)

    add(
        parser,
        "-p",
        dest="plugin",
        action="append",
        metavar="MODULE",
        help="load one more plugin module; -p no:NAME blocks the plugin NAME",
    )
    add(parser, "--plugins-dir", dest="plugins_dir", metavar="DIR", help="load every *.py file of DIR as a plugin")
    rules_help = "more rule packs, or replacements of shipped ones by name"
    add(parser, "--rules-dir", dest="rules_dir", metavar="DIR", help=rules_help)
    lang_help = "language of messages and reports (default: EVALKIT_LANG, else evalkit.toml's lang, else en)"
    add(parser, "--lang", dest="lang", choices=LANGS, help=lang_help)
    quiet_help = "no progress line, warnings or notes: only errors"
    add(parser, "-q", "--quiet", dest="verbosity", action="store_const", const="quiet", help=quiet_help)
    verbose_help = "also each stage's time and, when a plugin failed (exit 3), its traceback"
    add(parser, "-v", "--verbose", dest="verbosity", action="store_const", const="verbose", help=verbose_help)
    if before_command:
        add(parser, "--tz", dest="tz", metavar="ZONE", help=TZ_HELP)
    limits = (
        parser if before_command else parser.add_argument_group("input limits (each refusal names its file and option)")
    )
    for option, text in (
        ("--max-cell-chars", "refuse cells longer than N characters"),
        ("--max-rows", "refuse files and sheets of more than N rows"),
        ("--max-cells-per-row", "refuse rows of more than N cells"),
        ("--max-xlsx-mb", "refuse workbooks of more than N MB uncompressed"),
        ("--max-xlsx-ratio", "refuse workbooks with a part over 1 MB that inflates more than N times"),
        ("--max-problems", "list the first N problems of each file, then how many more"),
    ):
        dest = option[2:].replace("-", "_")
        help = f"{text} (default {GLOBAL_DEFAULTS[dest]:,})"
        add(limits, option, dest=dest, type=_positive, metavar="N", help=help)


def merge_global_options(args: argparse.Namespace) -> None:
    """Each global option's value: the one given after the command's name, else before it (-p:
    those before, then those after), else its default (`_global_options`)."""
    for dest, default in GLOBAL_DEFAULTS.items():
        before, after = vars(args).pop(f"{dest}_before_command", None), getattr(args, dest, None)
        if dest == "plugin":
            setattr(args, dest, [*(before or []), *(after or [])])
        else:
            setattr(args, dest, next((value for value in (after, before) if value is not None), default))


def _shard_options(command: argparse.ArgumentParser) -> None:
    """check's and assess's options on a folder of shards run as tasks (docs/scale.md)."""
    shards = command.add_argument_group("a folder of shards, each shard a task")
    shards.add_argument(
        "--jobs", type=_positive, metavar="N", help="run the shards as tasks in N local processes (1: this process)"
    )
    shards.add_argument(
        "--executor", metavar="dask://HOST:PORT", help="run the shards as tasks on this Dask scheduler's cluster"
    )
    shards.add_argument(
        "--spill", metavar="DIR", help="the tasks write their tables under DIR, a folder every worker can read"
    )
    shards.add_argument("--keep-spill", action="store_true", help="keep the tables in --spill DIR after the run")


NO_WAIVERS_HELP = "the audit view: results as if waivers.csv were empty (a waived finding counts as failed)"


def _waiver_options(command: argparse.ArgumentParser) -> None:
    """check's and assess's options on waivers: the audit view, and unused waivers refused."""
    command.add_argument("--no-waivers", action="store_true", help=NO_WAIVERS_HELP)
    command.add_argument(
        "--strict",
        action="store_true",
        help="exit 2, writing nothing, when a warning says a waiver waived nothing or a file was not read",
    )


def build_parser(lang: str = "en") -> argparse.ArgumentParser:
    """The command's parser, speaking `lang` (help and usage errors)."""
    parser = (ChineseParser if lang == "zh" else Parser)(
        prog="evalkit",
        description="Assessment tables from party-building ledgers.",
        epilog="The options every command takes (-q, -v, --lang, -p, --plugins-dir, --rules-dir, --tz, the input "
        "limits) may also come before COMMAND; the one after it wins. evalkit COMMAND --help lists them.",
    )
    parser.add_argument("--version", action="version", version=f"evalkit {__version__}")
    _global_options(parser, before_command=True)
    common = argparse.ArgumentParser(add_help=False)
    _global_options(common, before_command=False)
    reporting = argparse.ArgumentParser(add_help=False)  # check, assess, explain and diff
    reporting.add_argument(
        "-f",
        "--format",
        choices=FORMATS,
        metavar="FORMAT",
        help="text, markdown, html, csv, json or xlsx (default: the one --output's suffix names: .xlsx .html .md "
        ".json .txt, .zip for csv; else text); csv and xlsx need --output",
    )
    reporting.add_argument(
        "-o", "--output", metavar="FILE", help="write to FILE (atomically; - is stdout) instead of printing"
    )
    reporting.add_argument("--wide", action="store_true", help=WIDE_HELP)
    evaluating = argparse.ArgumentParser(add_help=False, parents=[reporting])  # check, assess and explain
    evaluating.add_argument("dataset", help=DATASET_HELP)
    evaluating.add_argument(
        "--workers", type=int, metavar="N", help="threads the dataset's queries may use (default: one per core)"
    )
    evaluating.add_argument("--tz", metavar="ZONE", help=TZ_HELP)
    evaluating.add_argument("--generated-at", metavar="TIME", help=GENERATED_AT_HELP)
    evaluating.add_argument("--partitions", help=argparse.SUPPRESS)  # removed: refused with a word on why
    comparing = argparse.ArgumentParser(add_help=False)  # check, assess and diff
    comparing.add_argument("--shift", metavar="Ny", help=SHIFT_HELP)
    comparing.add_argument("--exit-on", choices=["new"], help=EXIT_ON_HELP)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser(
        "validate", parents=[common], help="check files, types, references; list every problem"
    )
    validate.add_argument("dataset", help=DATASET_HELP)
    validate.add_argument("--strict", action="store_true", help="exit 2 when a warning says a file was not read")

    check = commands.add_parser(
        "check", parents=[common, evaluating, comparing], help="compliance findings (1+4, councils, coverage)"
    )
    check.add_argument("--compare", metavar="OLD.json", help=COMPARE_HELP)
    check.add_argument("--period", help="a year (2024) or a quarter (2024Q2)")
    check.add_argument("--subject", metavar="ID", help="only this subject, by id or name (a branch's self-check)")
    check.add_argument("--exit-zero", action="store_true", help="exit 0 even when findings failed")
    check.add_argument("--today", metavar="YYYY-MM-DD", help=TODAY_HELP)
    check.add_argument(
        "--partial",
        action="store_true",
        help="the dataset is only --subject's own ledger: organisations, enterprises, departments and cadres "
        "it names but does not hold are listed, not checked",
    )

    assess = commands.add_parser(
        "assess",
        parents=[common, evaluating, comparing],
        help="annual assessment: departments, cadres, branches, chains",
    )
    assess.add_argument("--period", help="a year, such as 2024")
    assess.add_argument("--compare", metavar="OLD.json", help=COMPARE_HELP)
    assess.add_argument("--exit-zero", action="store_true", help="exit 0 even when --exit-on new found new failures")
    for command in (check, assess):
        _waiver_options(command)
        _shard_options(command)

    explain = commands.add_parser(
        "explain", parents=[common, evaluating], help="how one subject's findings and score came about"
    )
    explain.add_argument("--period", help="a year (2024) or a quarter (2024Q2)")
    explain.add_argument("--today", metavar="YYYY-MM-DD", help=TODAY_HELP)
    explain.add_argument(
        "--subject", required=True, metavar="ID", help="a department, cadre, organisation or enterprise, by id or name"
    )
    explain.add_argument("--no-waivers", action="store_true", help=NO_WAIVERS_HELP)

    diff = commands.add_parser(
        "diff",
        parents=[common, comparing, reporting],
        help="what changed from one saved check or assess JSON output to another",
    )
    diff.add_argument("old", metavar="OLD.json", help="the earlier output (--format json)")
    diff.add_argument("new", metavar="NEW.json", help="the later output, of the same command and --subject")
    diff.add_argument("--exit-zero", action="store_true", help="exit 0 even when --exit-on new found new failures")
    rules = commands.add_parser("rules", parents=[common], help="every rule: id, pack, title, parameters, source")
    rules.add_argument("--diff", action="store_true", help="show what --rules-dir changes from the shipped packs")
    verify_cases = commands.add_parser("verify", parents=[common], help="run rule test cases (a folder of YAML cases)")
    verify_cases.add_argument("cases", help="the folder of cases (base.yaml and one file per case)")
    commands.add_parser("plugins", parents=[common], help="loaded plugins, where each came from, version")
    template = commands.add_parser(
        "template", parents=[common], help="a blank XLSX workbook of ledgers to fill in: drop-downs, notes, examples"
    )
    template.add_argument(
        "-o", "--output", required=True, metavar="FILE.xlsx", help="the workbook to write (a new file)"
    )
    template.add_argument(
        "--record-types",
        metavar="NAMES",
        help="only these ledgers, comma-separated English or Chinese names (default: every record type)",
    )
    config = commands.add_parser(
        "config",
        parents=[common],
        help="each setting in force (lang, period, tz, rules_dir, plugins_dir) and its source",
    )
    config.add_argument("dataset", nargs="?", help="a dataset folder, whose evalkit.toml counts too")
    _serve_parser(commands, common)
    return parser


def _serve_parser(commands, common: argparse.ArgumentParser) -> None:
    """`evalkit serve`: the pages (evalkit/serve/, the serve extra)."""
    serve = commands.add_parser(
        "serve", parents=[common], help="the self-check and the assessment as web pages (needs the serve extra)"
    )
    serve.add_argument("--host", default="127.0.0.1", help="the address to listen on (default 127.0.0.1: this machine)")
    serve.add_argument("--port", type=int, default=8000, help="the port to listen on (default 8000)")
    serve.add_argument(
        "--dataset", dest="serve_dataset", metavar="DIR", help="the office's dataset, for the annual assessment page"
    )
    serve.add_argument(
        "--token", help="the access token of the annual assessment pages (default: EVALKIT_TOKEN; none: pages off)"
    )
    serve.add_argument(
        "--max-upload", type=_positive, default=50, metavar="MB", help="the largest request, in MB (default 50)"
    )
    serve.add_argument(
        "--keep-uploads", metavar="DIR", help="keep a copy of every upload in DIR (default: uploads are never kept)"
    )
    serve.add_argument(
        "--workers",
        dest="serve_workers",
        type=_positive,
        default=1,
        metavar="N",
        help="processes that run checks, one run each at a time (default 1)",
    )
