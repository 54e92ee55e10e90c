"""Markdown: the whole report, detail tables included, for wikis and pull requests; never cut or
wrapped to a width (a Markdown viewer lays the tables out)."""

from __future__ import annotations

from ..errors import visible
from .document import Document, Paragraph, Table


def _in_cell(text: str) -> str:
    """A cell's text as a Markdown table cell: a `|` would end the cell, a line break the row."""
    return visible(text).replace("|", "\\|").replace("\n", "<br>")


def _table(table: Table) -> str:
    from tabulate import tabulate  # 25 ms to import (wcwidth's tables): only for Markdown

    rows = [[_in_cell(cell.text()) for cell in row] for row in table.rows]
    headers = [_in_cell(header) for header in table.headers]
    return tabulate(rows, headers=headers, tablefmt="github", disable_numparse=True)


def _paragraph(paragraph: Paragraph, colon: str) -> str:
    if paragraph.numbered:
        lines = [f"  {n}. {line}" for n, line in enumerate(paragraph.lines, 1)]
    else:
        lines = list(paragraph.lines)
    title = [f"**{paragraph.title}{colon.strip()}**"] if paragraph.title else []
    return "\n".join(line.replace("\n", " ") for line in title + lines)


def render_markdown(document: Document) -> str:
    colon = "：" if document.lang == "zh" else ":"
    parts = [f"# {document.title}", "\n".join(f"- **{label}**{colon} {value}" for label, value in document.meta)]
    for block in [*document.blocks, *document.provenance]:
        if isinstance(block, Paragraph):
            parts.append(_paragraph(block, colon))
        elif block.rows:
            notes = "".join(f"\n\n{note}" for note in block.notes)
            parts.append(f"## {block.title}\n\n{_table(block)}{notes}")
    return visible("\n\n".join(parts)) + "\n"
