"""Errors a user can cause. The CLI renders them as plain messages with their exit code."""

from __future__ import annotations

import re
from dataclasses import dataclass

#: Control characters (C0 but the line break, DEL, C1): raw, they drive a terminal (an ESC starts
#: an escape sequence) and openpyxl refuses them.
_CONTROLS = re.compile(r"[\x00-\x09\x0b-\x1f\x7f-\x9f]")


def visible(text: str) -> str:
    """`text` with each control character written out as `\\xNN`, the way Python shows it."""
    return _CONTROLS.sub(lambda control: f"\\x{ord(control.group()):02x}", text)


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the input, located as a spreadsheet user would look for it.

    `expected` says what the cell should hold in English, `zh` in Chinese (a branch secretary
    reads `--lang zh`); a problem without `zh` shows its English words in both languages."""

    file: str
    row: int | None  # as a spreadsheet shows it: the header is row 1; None for the whole file
    column: str  # as the file spells it (its header), else the column's name
    value: str
    expected: str
    zh: str = ""

    def text(self, lang: str = "en") -> str:
        where = visible(self.file if self.row is None else f"{self.file}:{self.row}")
        column = f" [{visible(self.column)}]" if self.column else ""
        if lang == "zh":
            value = f" {self.value!r}：" if self.value else "："
            return f"{where}{column}{value}应为{self.zh or self.expected}"
        value = f" {self.value!r}:" if self.value else ""
        return f"{where}{column}{value} expected {self.expected}"

    def __str__(self) -> str:
        return self.text("en")


@dataclass(frozen=True)
class Note:
    """Something a user should know about how the files were read, which is not an error: rows
    above the header skipped, merged cells filled down, a file not read. A `warning` is a note
    that may mean data was missed (`validate --strict` refuses the dataset for it)."""

    file: str
    en: str
    zh: str
    warning: bool = False

    def text(self, lang: str = "en") -> str:
        return f"{visible(self.file)}{'：' if lang == 'zh' else ': '}{visible(self.zh if lang == 'zh' else self.en)}"


class EvalkitError(Exception):
    """Base of the errors caused by input; `exit_code` follows docs/output.md."""

    exit_code = 2

    def __reduce__(self):
        """Pickled whole (its message and attributes, its constructor not called again): a shard's
        task sends it from another process or machine to the driver, which reports it."""
        return _rebuilt, (type(self), str(self), self.__dict__)


def _rebuilt(kind: type[EvalkitError], message: str, state: dict) -> EvalkitError:
    error = kind.__new__(kind)
    Exception.__init__(error, message)
    error.__dict__.update(state)
    return error


class UsageError(EvalkitError):
    """A command line that cannot be carried out (bad period, missing folder, ...).

    `zh` is the same message in Chinese, shown with `--lang zh` (branch secretaries read it).
    """

    def __init__(self, message: str, zh: str | None = None):
        super().__init__(message)
        self.zh = zh

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" and self.zh else str(self)


class DatasetError(EvalkitError):
    """The dataset does not validate; carries every problem found, sorted, and the notes on
    how its files were read (a file not read often explains the problems)."""

    def __init__(self, problems: list[Problem], notes: list[Note] | None = None):
        self.problems = sorted(problems, key=_problem_order)
        self.notes = notes or []
        super().__init__(f"{len(self.problems)} problem(s) in the dataset")


class OutOfMemory(EvalkitError):
    """The machine's memory ran out during a stage of the run; nothing was written."""

    exit_code = 4

    def __init__(self, stage: str, zh_stage: str):
        advice = "lower --workers (each thread holds memory of its own) or use a machine with more memory"
        super().__init__(f"out of memory while {stage}: nothing was written; {advice}")
        self.zh = f"内存不足（{zh_stage}时）：没有写出任何结果；请减小 --workers，或换用内存更大的机器"

    def text(self, lang: str) -> str:
        return self.zh if lang == "zh" else str(self)


class RulePackError(EvalkitError):
    """A rule pack is malformed; the message names the file, the rule and the key."""


class PluginError(EvalkitError):
    """A plugin could not be loaded or registered (two plugins claiming one rule id, ...)."""


def _problem_order(p: Problem) -> tuple:
    return (p.file, p.row or 0, p.column, p.value, p.expected)
