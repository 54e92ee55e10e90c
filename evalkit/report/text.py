"""Terminal text: tables aligned by display width (a Chinese character takes two cells, as wcwidth
measures it), fitted to a terminal of TEXT_WIDTH cells unless `--wide` asks for the full width.

A table wider than that is narrowed step by step, each step only while it is still too wide, so
nothing is lost that need not be: headers wider than their column go onto two lines; columns are
set one space apart instead of two; names (the columns headed `name` or `department`) are cut
with `…`, keeping their start (the id of `D7 人力资源…`), to NARROWEST cells at the least; then
the text columns (messages, evidence, labels) wrap onto more lines, never inside a word or an
id. A table that still does not fit (a great many columns) is printed wider. Every other line
(titles, notes, paragraphs) wraps at a space or between Chinese characters.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache

from wcwidth import wcswidth, wcwidth

from ..errors import visible
from .document import Document, Paragraph, Table
from .words import WORDS

#: Display cells a report fits by default: a terminal or a console window as commonly sized.
TEXT_WIDTH = 120
#: A name is cut, a text column wrapped, no narrower than this (`北辰盛和…`: four characters and `…`).
NARROWEST = 10
#: Characters a line does not start with, and characters it does not end with (Chinese line breaking).
_NOT_FIRST = set("，。、：；！？）》」』”’…%,.:;!?)]}")
_NOT_LAST = set("（《「『“‘([{")
_SPACED = re.compile(r"( *)([^ ]*)")


def display_width(text: str) -> int:
    """Cells `text` takes on a terminal (a character wcwidth cannot measure counts as none)."""
    if text.isascii():  # one cell each: report text has no control characters (see `visible`)
        return len(text)
    width = wcswidth(text)
    return width if width >= 0 else sum(max(wcwidth(char), 0) for char in text)


@lru_cache(maxsize=4096)  # a table's cells repeat (names, statuses, messages), each measured several times
def _pieces(text: str) -> tuple[tuple[str, str], ...]:
    """`text` as the pieces a line may break between, each with the spaces before it: a line
    breaks at spaces and next to a Chinese (wide) character, but not before closing or after
    opening punctuation."""
    if text.isascii():
        return tuple(found for found in _SPACED.findall(text) if found != ("", ""))
    pieces: list[tuple[str, str]] = []
    spaces, piece, wide_before = "", "", False
    for char in text:
        if char == " ":
            if piece:
                pieces.append((spaces, piece))
                spaces, piece = "", ""
            spaces += " "
            continue
        wide = wcwidth(char) == 2
        if piece and (wide or wide_before) and char not in _NOT_FIRST and piece[-1] not in _NOT_LAST:
            pieces.append((spaces, piece))
            spaces, piece = "", ""
        piece, wide_before = piece + char, wide
    if piece or spaces:
        pieces.append((spaces, piece))
    return tuple(pieces)


def wrapped(text: str, width: int, indent: str = "") -> list[str]:
    """`text` in lines of at most `width` cells (a piece wider than that gets a line of its own),
    every line but the first starting with `indent`; the spaces at a break are left out."""
    lines: list[str] = []
    line, used = "", 0
    for spaces, piece in _pieces(text):
        size = display_width(piece)
        if line.strip() and used + len(spaces) + size > width:
            lines.append(line)
            line, used = indent + piece, display_width(indent) + size
        else:
            line, used = line + spaces + piece, used + len(spaces) + size
    return [*lines, line]


def _longest_piece(text: str) -> int:
    return max((display_width(piece) for _, piece in _pieces(text)), default=0)


def _on_two_lines(text: str) -> str:
    """`text` broken once where its longer line is shortest: at a space when it has one
    (`SVC01` over `及时接单`, not `SVC01 及时` over `接单`), else between Chinese characters
    leaving two at least on each line (`检查` over `季度`, but `排名` and `基础分` stay whole)."""
    pieces = _pieces(text)
    places = [i for i in range(1, len(pieces)) if pieces[i][0]] or range(2, len(pieces) - 1)
    best = text
    for i in places:
        first = "".join(spaces + piece for spaces, piece in pieces[:i])
        second = pieces[i][1] + "".join(spaces + piece for spaces, piece in pieces[i + 1 :])
        candidate = f"{first}\n{second}"
        if _lines_width(candidate) < _lines_width(best):
            best = candidate
    return best


def _lines_width(text: str) -> int:
    return max(display_width(line) for line in text.split("\n"))


def cut(text: str, width: int) -> str:
    """`text` cut to `width` cells, its end replaced by `…`."""
    if display_width(text) <= width:
        return text
    kept, used = "", 0
    for char in text:
        size = max(wcwidth(char), 0)
        if used + size > width - 1:
            break
        kept, used = kept + char, used + size
    return kept + "…"


@dataclass
class _Column:
    header: str  # "\n" between its lines
    cells: list[str]
    kind: str  # "name": cut to fit; "text": wraps to fit; "fixed": numbers
    limit: int | None = None  # cells the column is narrowed to, None: as wide as it needs
    measured: dict[int | None, int] = field(default_factory=dict)  # limit → content width, measured once
    shown: dict[tuple[str, int], list[str]] = field(default_factory=dict)  # (cell, limit) → its lines

    def lines(self, cell: str) -> list[str]:
        """A cell's lines as the column shows it (a line break in a ledger's value is kept)."""
        if self.limit is None:
            return cell.split("\n")
        if (cell, self.limit) not in self.shown:
            if self.kind == "name":
                lines = [cut(line, self.limit) for line in cell.split("\n")]
            else:
                lines = [shown for line in cell.split("\n") for shown in wrapped(line, self.limit)]
            self.shown[cell, self.limit] = lines
        return self.shown[cell, self.limit]

    @property
    def content_width(self) -> int:
        """Cells the widest of the column's cells takes as the column shows it."""
        if self.limit not in self.measured:
            lines = (line for cell in self.cells for line in self.lines(cell))
            self.measured[self.limit] = max(map(display_width, lines), default=0)
        return self.measured[self.limit]

    @property
    def width(self) -> int:
        return max(_lines_width(self.header), self.content_width)

    @property
    def narrowest(self) -> int:
        """How narrow cutting or wrapping may make the column: a text column keeps its words whole."""
        floor = max(NARROWEST, _lines_width(self.header))
        if self.kind == "text":
            words = (_longest_piece(line) for cell in self.cells for line in cell.split("\n"))
            floor = max(floor, max(words, default=0))
        return min(floor, self.width)


def _total(columns: list[_Column], gap: int) -> int:
    return sum(column.width for column in columns) + gap * (len(columns) - 1)


def _narrowed(columns: list[_Column], excess: int) -> None:
    """Narrows `columns` by `excess` cells in all, the widest first (all wider than some level
    are brought down to it), none below its narrowest; as far as they go when that is not enough."""
    widths = [column.width for column in columns]
    floors = [column.narrowest for column in columns]

    def saved(level: int) -> int:
        return sum(width - max(floor, min(width, level)) for width, floor in zip(widths, floors, strict=True))

    level, high = 0, max(widths, default=0)  # the highest level that saves enough, else 0
    while level < high:
        middle = (level + high + 1) // 2
        level, high = (middle, high) if saved(middle) >= excess else (level, middle - 1)
    for column, width, floor in zip(columns, widths, floors, strict=True):
        if max(floor, level) < width:
            column.limit = max(floor, level)


def table_lines(table: Table, names: set[str], width: int | None) -> list[str]:
    """The table's header, a rule under it and its rows, within `width` cells if it can be made
    to fit (see the module's docstring); None: each column as wide as its widest cell."""
    columns = [
        _Column(
            visible(header),
            [row[i].text() for row in table.rows],
            "name" if header in names else "text" if all(row[i].style == "text" for row in table.rows) else "fixed",
        )
        for i, header in enumerate(table.headers)
    ]
    gap = 2
    if width is not None and _total(columns, gap) > width:
        _headers_wrapped(columns, _total(columns, gap) - width)
        for step in ("gap", "name", "text"):
            excess = _total(columns, gap) - width
            if excess <= 0:
                break
            if step == "gap":
                gap = 1
            else:
                _narrowed([column for column in columns if column.kind == step], excess)
        if _total(columns, gap) > width:  # a text column's header may hold it wider than its words: two lines
            _headers_wrapped(columns, _total(columns, gap) - width, to_words=True)
            _narrowed([column for column in columns if column.kind == "text"], _total(columns, gap) - width)
    return _aligned(columns, gap)


def _headers_wrapped(columns: list[_Column], excess: int, to_words: bool = False) -> None:
    """Puts headers wider than their column's cells on two lines, those that gain most first,
    until the table is `excess` cells narrower or no header gains; `to_words`: measured against
    a text column's longest word (its cells may wrap that narrow), not its cells as shown."""
    gains = []
    for column in columns:
        two = _on_two_lines(column.header)
        cells = column.content_width
        if to_words and column.kind == "text":
            cells = min(
                cells, max((_longest_piece(line) for cell in column.cells for line in cell.split("\n")), default=0)
            )
        gain = _lines_width(column.header) - max(_lines_width(two), cells)
        if gain > 0:
            gains.append((gain, two, column))
    for gain, two, column in sorted(gains, key=lambda found: -found[0]):
        if excess <= 0:
            break
        column.header, excess = two, excess - gain


def _aligned(columns: list[_Column], gap: int) -> list[str]:
    widths = [column.width for column in columns]
    space = " " * gap

    def joined(texts: Iterable[str]) -> str:
        padded = (text + " " * (width - display_width(text)) for text, width in zip(texts, widths, strict=True))
        return space.join(padded).rstrip()

    headers = [column.header.split("\n") for column in columns]
    height = max((len(lines) for lines in headers), default=1)
    lines = [joined(([""] * (height - len(h)) + h)[row] for h in headers) for row in range(height)]
    lines.append(joined("-" * width for width in widths))
    for row in range(len(columns[0].cells) if columns else 0):
        cells = [column.lines(column.cells[row]) for column in columns]
        for line in range(max(len(cell) for cell in cells)):
            lines.append(joined(cell[line] if line < len(cell) else "" for cell in cells))
    return lines


def _fitted(text: str, width: int | None, indent: str = "") -> list[str]:
    """Each line of `text` wrapped to `width` (None: as it is)."""
    if width is None:
        return text.split("\n")
    return [shown for line in text.split("\n") for shown in wrapped(line, width, indent)]


def _listed(label: str, items: list[str], width: int | None) -> list[str]:
    """`label` and the items with `, ` between them, a line broken only between two items
    (`safety 1 (db3aeeab786a)` stays whole)."""
    lines, line = [], label
    for number, item in enumerate(items):
        piece = item + ("," if number < len(items) - 1 else "")
        if number == 0:
            line += piece
        elif width is not None and display_width(f"{line} {piece}") > width:
            lines.append(line)
            line = piece
        else:
            line += f" {piece}"
    return [*lines, line]


def _calendar(document: Document, width: int | None) -> list[str]:
    """The working-day calendar's line, when a pack counts working days (else none)."""
    words = WORDS[document.lang]
    table = next((t for t in document.provenance if t.key == "calendar"), None)
    if table is None:
        return []
    library, digest, overrides = (cell.text() for cell in table.rows[0])
    line = words["calendar_line"].format(library=library, digest=digest[:12], overrides=overrides)
    return _listed(visible(words["calendar"] + ("：" if document.lang == "zh" else ": ")), [line], width)


def render_text(document: Document, width: int | None = TEXT_WIDTH) -> str:
    """The title, the packs used, then every block except the long detail tables, within `width`
    display cells (None: `--wide`, every table at its full width and no line wrapped)."""
    words = WORDS[document.lang]
    names = {words["name"], words["department"]}
    colon = "：" if document.lang == "zh" else ": "
    packs = next(t for t in document.provenance if t.key == "packs")
    plugins = next(t for t in document.provenance if t.key == "plugins")
    used = [f"{row[0].text()} {row[1].text()} ({row[2].text()[:12]})" for row in packs.rows]
    loaded = [f"{row[0].text()} {row[1].text()}".strip() for row in plugins.rows]
    parts = [
        _fitted(visible(document.title), width)
        + _listed(visible(words["packs"] + colon), used, width)
        + _listed(visible(words["plugins"] + colon), loaded, width)
        + _calendar(document, width)
    ]
    for block in document.blocks:
        if isinstance(block, Paragraph):
            lines = _fitted(visible(block.title + colon.strip()), width) if block.title else []
            for number, line in enumerate(block.lines, 1):
                prefix = f"  {number}. " if block.numbered else ""
                lines += _fitted(visible(prefix + line), width, " " * len(prefix))
            parts.append(lines)
        elif not block.detail:
            notes = [shown for note in block.notes for shown in _fitted(visible(note), width)]
            parts.append([*_fitted(visible(block.title), width), *table_lines(block, names, width), *notes])
    return "\n\n".join("\n".join(part) for part in parts) + "\n"
