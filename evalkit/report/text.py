"""Terminal text: tables aligned with tabulate (wide Chinese characters counted by wcwidth)."""

from __future__ import annotations

from collections.abc import Callable

from tabulate import tabulate

from ..errors import visible
from .document import Document, Paragraph, Table
from .words import WORDS


def table_text(table: Table, tablefmt: str = "simple", shown: Callable[[str], str] = visible) -> str:
    """The table aligned, each header and cell as `shown` makes it (control characters written out)."""
    rows = [[shown(cell.text()) for cell in row] for row in table.rows]
    headers = [shown(header) for header in table.headers]
    return tabulate(rows, headers=headers, tablefmt=tablefmt, disable_numparse=True)


def paragraph_lines(paragraph: Paragraph, colon: str) -> list[str]:
    if paragraph.numbered:
        lines = [f"  {n}. {line}" for n, line in enumerate(paragraph.lines, 1)]
    else:
        lines = list(paragraph.lines)
    return ([paragraph.title + colon.strip()] if paragraph.title else []) + lines


def render_text(document: Document) -> str:
    """The title, the packs used, then every block except the long detail tables."""
    words = WORDS[document.lang]
    colon = "：" if document.lang == "zh" else ": "
    packs = next(t for t in document.provenance if t.key == "packs")
    plugins = next(t for t in document.provenance if t.key == "plugins")
    used = ", ".join(f"{row[0].text()} {row[1].text()} ({row[2].text()[:12]})" for row in packs.rows)
    loaded = ", ".join(f"{row[0].text()} {row[1].text()}".strip() for row in plugins.rows)
    parts = [f"{document.title}\n{words['packs']}{colon}{used}\n{words['plugins']}{colon}{loaded}"]
    for block in document.blocks:
        if isinstance(block, Paragraph):
            parts.append("\n".join(paragraph_lines(block, colon)))
        elif not block.detail:
            notes = "".join(f"\n{note}" for note in block.notes)
            parts.append(f"{block.title}\n{table_text(block)}{notes}")
    return visible("\n\n".join(parts)) + "\n"
