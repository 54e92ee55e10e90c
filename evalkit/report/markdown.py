"""Markdown: the whole report, detail tables included, for wikis and pull requests."""

from __future__ import annotations

from ..errors import visible
from .document import Document, Paragraph
from .text import paragraph_lines, table_text


def _in_cell(text: str) -> str:
    """A cell's text as a Markdown table cell: a `|` would end the cell, a line break the row."""
    return visible(text).replace("|", "\\|").replace("\n", "<br>")


def render_markdown(document: Document) -> str:
    colon = "：" if document.lang == "zh" else ":"
    parts = [f"# {document.title}", "\n".join(f"- **{label}**{colon} {value}" for label, value in document.meta)]
    for block in [*document.blocks, *document.provenance]:
        if isinstance(block, Paragraph):
            lines = paragraph_lines(block, colon)
            if block.title:
                lines[0] = f"**{lines[0]}**"
            parts.append("\n".join(line.replace("\n", " ") for line in lines))
        elif block.rows:
            notes = "".join(f"\n\n{note}" for note in block.notes)
            parts.append(f"## {block.title}\n\n{table_text(block, 'github', _in_cell)}{notes}")
    return visible("\n\n".join(parts)) + "\n"
