"""The `evalkit` command: argument parsing, exit codes and error messages, nothing else."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from . import __version__
from .dataset import load_dataset
from .errors import DatasetError, EvalkitError


def _validate(args: argparse.Namespace) -> int:
    dataset = load_dataset(args.dataset)
    counts = ", ".join(f"{name} {count}" for name, count in dataset.counts().items())
    blank = sum(table.blank_rows for table in dataset.tables.values())
    skipped = f"; {blank} blank row(s) skipped" if blank else ""
    print(f"{args.dataset}: valid ({counts}{skipped})")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="evalkit", description=__doc__)
    parser.add_argument("--version", action="version", version=f"evalkit {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    validate = commands.add_parser("validate", help="check files, types and references; list every problem")
    validate.add_argument("dataset", help="the dataset folder")
    validate.set_defaults(run=_validate)
    return parser


def _print_dataset_error(error: DatasetError) -> None:
    print(f"error: the dataset does not validate ({len(error.problems)} problem(s)):", file=sys.stderr)
    for problem in error.problems:
        print(f"  {problem}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return args.run(args)
    except DatasetError as error:
        _print_dataset_error(error)
        return error.exit_code
    except EvalkitError as error:
        print(f"error: {error}", file=sys.stderr)
        return error.exit_code


if __name__ == "__main__":
    sys.exit(main())
