"""Helpers for tests of evalkit and of plugins: build a dataset folder from a dict, run the CLI.

from evalkit.testing import write_dataset, run_cli
write_dataset(tmp_path, {"departments": [{"id": "D1", "name": "Finance"}]})
result = run_cli(["check", str(tmp_path), "--period", "2024", "--format", "json"])
assert result.exit_code == 0 and result.json["findings"] == []
"""

from __future__ import annotations

import contextlib
import csv
import io
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path


def write_dataset(
    folder: str | Path, tables: Mapping[str, Sequence[Mapping[str, object]]], encoding: str = "utf-8"
) -> Path:
    """Write one CSV per table; the header is the union of the rows' keys in first-seen order.

    An empty table writes no file. Values are written as they are (`None` as a blank cell, lists
    joined with `;`), so a test can write invalid cells on purpose.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        if not rows:
            continue  # a record type with no file is an empty table
        header: dict[str, None] = {}
        for row in rows:
            header.update(dict.fromkeys(row))
        with open(folder / f"{name}.csv", "w", newline="", encoding=encoding) as file:
            writer = csv.writer(file)
            writer.writerow(header)
            for row in rows:
                writer.writerow([_cell(row.get(column)) for column in header])
    return folder


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return ";".join(map(str, value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str

    @property
    def json(self) -> dict:
        return json.loads(self.stdout)


def run_cli(args: Sequence[str]) -> CliResult:
    """Run `evalkit ARGS` in this process and capture what it prints."""
    from .cli import main

    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            code = main(list(args))
        except SystemExit as exit:  # argparse exits on usage errors
            code = exit.code if isinstance(exit.code, int) else 2
    return CliResult(code, out.getvalue(), err.getvalue())
