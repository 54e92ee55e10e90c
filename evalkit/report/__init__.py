"""Output formats: every evaluating command renders one `Document` (or its JSON) in the chosen format.

`render` returns text, bytes (xlsx) or a mapping of file names to bytes (csv: one file per
table); `write` puts any of them on stdout or into `--output` atomically.
"""

from __future__ import annotations

from .csv_files import render_csv
from .document import Document
from .html import render_html
from .markdown import render_markdown
from .output import check_output, write
from .text import render_text
from .xlsx import render_xlsx

FORMATS = ("text", "markdown", "html", "csv", "json", "xlsx")
#: Formats that are not one text stream: they need --output.
NEEDS_OUTPUT = ("csv", "xlsx")

_RENDERERS = {
    "text": render_text,
    "markdown": render_markdown,
    "html": render_html,
    "csv": render_csv,
    "xlsx": render_xlsx,
}


def render(document: Document, format: str) -> str | bytes | dict[str, bytes]:
    return _RENDERERS[format](document)


__all__ = ["FORMATS", "NEEDS_OUTPUT", "check_output", "render", "write"]
