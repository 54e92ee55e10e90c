"""A report as every output format sees it: titled tables of typed cells, paragraphs and charts.

The views (views.py) build one `Document` per command; each renderer (render/) turns it into
text, markdown, CSV, XLSX or HTML. Numbers stay exact here and are rounded only when shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from fractions import Fraction

from ..errors import visible
from ..score.scoring import rounded

#: What a spreadsheet program may read as the start of a formula (a tab or CR may hide one).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?%?")


def formula_like(text: str) -> bool:
    """Whether a spreadsheet could take `text` for a formula (`=HYPERLINK(…)` in a department's
    name): it starts with = + - @, a tab or a CR, and is not just a number such as -2.00."""
    return text.startswith(_FORMULA_START) and not _NUMBER.fullmatch(text)


@dataclass(frozen=True)
class Cell:
    """One value of a table: `style` says how it is shown (text; number, 2 decimals; signed;
    change, signed but 0.00 without a sign; percent), `mark` what it means for the reader ("",
    good, bad or note: renderers colour it)."""

    value: object = None  # str, int, Fraction or None
    style: str = "text"
    mark: str = ""

    def text(self) -> str:
        """The cell as a table shows it: numbers rounded half up to 2 decimals."""
        value = self.value
        if value is None:
            return ""
        if self.style == "percent":
            return f"{rounded(Fraction(value) * 100, 2):.2f}%"
        if self.style in ("number", "signed") and isinstance(value, (int, Fraction)):
            return f"{rounded(Fraction(value), 2):{'+' if self.style == 'signed' else ''}.2f}"
        if self.style == "change" and isinstance(value, (int, Fraction)):
            cents = rounded(Fraction(value), 2)
            return f"{cents:+.2f}" if cents else "0.00"
        return visible(str(value))

    def number(self) -> float | int | None:
        """The cell's value for a spreadsheet: 2-decimal numbers, whole numbers as they are."""
        if isinstance(self.value, Fraction):
            return rounded(self.value * (100 if self.style == "percent" else 1), 2)
        return self.value if isinstance(self.value, int) else None


def cells(*values: object) -> list[Cell]:
    """Plain text or whole-number cells."""
    return [value if isinstance(value, Cell) else Cell(value) for value in values]


@dataclass
class Table:
    key: str  # a file or sheet name: departments, cadres, findings, ...
    title: str
    headers: list[str]
    rows: list[list[Cell]]
    notes: list[str] = field(default_factory=list)
    detail: bool = False  # long listings the terminal view leaves out (the other formats keep them)


@dataclass
class Paragraph:
    lines: list[str]
    title: str = ""
    numbered: bool = False


@dataclass
class Bar:
    subject: str
    label: str
    value: Fraction
    mark: str
    name: str = ""  # what the chart shows (the id is its hover text); the id when empty
    previous: Fraction | None = None  # the earlier run's total (--compare), drawn as a mark on the bar
    change: str = ""  # the change since then, shown after the value: +0.65 ↑


@dataclass
class Charts:
    """What the HTML report draws: bars against grade bands, and a subject × quarter grid."""

    bars_title: str = ""
    bars: list[Bar] = field(default_factory=list)
    bands: list[tuple[str, Fraction]] = field(default_factory=list)  # (label, lower bound)
    grid_title: str = ""
    grid_columns: list[str] = field(default_factory=list)
    grid: list[tuple[str, str, list[tuple[str, str]]]] = field(default_factory=list)  # subject, name, (state, label)


@dataclass
class Document:
    title: str
    lang: str
    meta: list[tuple[str, str]] = field(default_factory=list)  # period, dataset, generated at, digest
    provenance: list[Table] = field(default_factory=list)  # packs and plugins used
    blocks: list[Table | Paragraph] = field(default_factory=list)
    charts: Charts | None = None

    def tables(self) -> list[Table]:
        return [block for block in self.blocks if isinstance(block, Table)]

    def notes(self) -> list[str]:
        """The paragraphs' lines (summaries, arithmetic, advice), for formats made of tables."""
        lines = []
        for block in self.blocks:
            if isinstance(block, Paragraph):
                lines += ([block.title] if block.title else []) + block.lines
        return lines
