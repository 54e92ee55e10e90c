"""A self-contained HTML report: inline CSS and SVG, findings filters in a few lines of script.

No network: nothing is loaded from anywhere, so the file can be mailed, archived or shown on a
meeting-room screen as it is. Everything reads without a script (the filters, which need one, are
shown only when it runs). Print-friendly: the filters hide and tables break across pages.

The charts are laid out here, where no browser measures text: every label is given the room its
widest rendering could take (`_width`) and a row taller than any font's line box, so no two labels
overlap whatever font the reader's machine has.
"""

from __future__ import annotations

import unicodedata
from html import escape

from ..errors import visible
from .document import Bar, Cell, Charts, Document, Paragraph, Table
from .words import WORDS

STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;margin:2em;color:#222}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#ddebf7}td.n{text-align:right;font-variant-numeric:tabular-nums}
td.w{white-space:nowrap}
.good{background:#c6efce}.bad{background:#ffc7ce}.note{background:#ffeb9c}
.meta td{border:none;padding:.1em .6em .1em 0}.notes{font-size:.85em;color:#555}
.filters{margin:.5em 0}.filters label{margin-right:1.5em;white-space:nowrap}
.filters select,.filters input{margin-left:.4em}
svg.chart{display:block;max-width:100%;height:auto}
svg text{font-size:12px;font-family:inherit}
svg text.v{paint-order:stroke;stroke:#fff;stroke-width:3px;stroke-linejoin:round}
@media print{.filters{display:none}body{margin:0}tr{page-break-inside:avoid}}
"""

SCRIPT = """
document.querySelectorAll('.filters').forEach(function(f){f.hidden=false;});
function filterFindings(){
  var s=document.getElementById('f-status').value,t=document.getElementById('f-text').value.toLowerCase();
  document.querySelectorAll('#findings tbody tr').forEach(function(r){
    var ok=(!s||r.dataset.status===s)&&(!t||r.textContent.toLowerCase().indexOf(t)>=0);
    r.style.display=ok?'':'none';});
}
"""

FONT = 12  # px: the charts' text (svg text above)
LINE = 20  # px: a row of labels, taller than the line box of any font at 12 px (Noto CJK's is 17.4)
BASELINE = 15  # px below a row's top: room for the tallest ascent (14.4) above, a descent (3.6) below
PAD = 4
NAME_WIDTH = 20 * FONT  # a longer name is cut short with "…" (the whole name is its hover text)
SHORT_WORD = 6  # characters: a table cell of one word this short is never broken (不通过, 基本称职)


def render_html(document: Document) -> str:
    lang = "zh-CN" if document.lang == "zh" else "en"
    parts = [
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{escape(document.title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(document.title)}</h1>",
        '<table class="meta">'
        + "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in document.meta)
        + "</table>",
    ]
    if document.charts:
        parts.append(_charts(document.charts))
    for block in document.blocks:
        parts.append(_paragraph(block) if isinstance(block, Paragraph) else _table(block, document.lang))
    for table in document.provenance:
        parts.append(_table(table, document.lang))
    parts.append(f"<script>{SCRIPT}</script></body></html>")
    return "\n".join(parts) + "\n"


def _paragraph(paragraph: Paragraph) -> str:
    items = "".join(f"<li>{escape(line)}</li>" for line in paragraph.lines)
    body = f"<ol>{items}</ol>" if paragraph.numbered else "".join(f"<p>{escape(x)}</p>" for x in paragraph.lines)
    return (f"<h2>{escape(paragraph.title)}</h2>" if paragraph.title else "") + body


def _cell(cell: Cell) -> str:
    """A table cell; a short word in it is kept on one line, since a squeezed column that breaks
    不通过 into 不通 and 过 is misread, while the room one word takes is never missed."""
    text = cell.text()
    short = len(text) <= SHORT_WORD and not any(char.isspace() for char in text)
    classes = " ".join(c for c in (cell.mark, "n" if cell.style != "text" else "", "w" if short else "") if c)
    return f'<td class="{classes}">{escape(text)}</td>' if classes else f"<td>{escape(text)}</td>"


def _table(table: Table, lang: str) -> str:
    is_findings = table.key in ("findings", "attention")
    status_column = 5 if is_findings else None
    head = "".join(f"<th>{escape(h)}</th>" for h in table.headers)
    rows = []
    for row in table.rows:
        status = f' data-status="{escape(row[status_column].text())}"' if status_column is not None else ""
        rows.append(f"<tr{status}>{''.join(_cell(cell) for cell in row)}</tr>")
    table_id = ' id="findings"' if table.key == "findings" else ""
    filters = _filters(table, status_column, lang) if table_id and table.rows else ""
    notes = "".join(f'<p class="notes">{escape(n)}</p>' for n in table.notes)
    return (
        f"<h2>{escape(table.title)}</h2>{filters}"
        f"<table{table_id}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{notes}"
    )


def _filters(table: Table, status_column: int, lang: str) -> str:
    """The findings' filters, each with its label: a status (all first, then the statuses present
    in the order pass, fail, skip, waived, error) and a text. Hidden until the script shows them:
    without a script they could do nothing."""
    words = WORDS[lang]
    order = list(words["statuses"].values())
    present = {row[status_column].text() for row in table.rows}
    statuses = sorted(present, key=lambda s: (order.index(s) if s in order else len(order), s))
    options = f'<option value="">{escape(words["all"])}</option>' + "".join(
        f"<option>{escape(s)}</option>" for s in statuses
    )
    return (
        f'<div class="filters" hidden><label>{escape(words["filter_status"])}'
        f'<select id="f-status" onchange="filterFindings()">{options}</select></label>'
        f'<label>{escape(words["filter"])}<input id="f-text" type="search" '
        f'placeholder="{escape(words["filter_hint"])}" oninput="filterFindings()"></label></div>'
    )


def _width(text: str) -> float:
    """At least the width `text` takes at 12 px in any font a browser may use: a Chinese character,
    or a symbol Chinese fonts draw wide (≥, …), 1 em; W and M nearly 1 em, other capitals 0.8 em,
    a space 0.35 em, anything else 0.65 em (DejaVu Sans, the widest common fallback, stays below)."""
    ems = 0.0
    for char in text:
        if unicodedata.east_asian_width(char) in "WFA" or char in "MWmw@%":
            ems += 1
        elif char.isupper():
            ems += 0.8
        else:
            ems += 0.35 if char == " " else 0.65
    return ems * FONT


def _fit(text: str) -> str:
    """`text` cut short with "…" to at most NAME_WIDTH."""
    if _width(text) <= NAME_WIDTH:
        return text
    while text and _width(text + "…") > NAME_WIDTH:
        text = text[:-1]
    return text + "…"


def _svg(width: float, height: float, title: str, body: list[str]) -> str:
    """A chart: drawn at its size, scaled down as a whole (never re-flowed) on a narrower screen."""
    return (
        f'<svg class="chart" role="img" aria-label="{escape(title)}" width="{width:.0f}" height="{height:.0f}" '
        f'viewBox="0 0 {width:.0f} {height:.0f}" xmlns="http://www.w3.org/2000/svg">{"".join(body)}</svg>'
    )


def _charts(charts: Charts) -> str:
    return _bars(charts) + _grid(charts)


def _bars(charts: Charts) -> str:
    """Department totals as horizontal bars on a 0–105 scale, each named (its id on hover), with
    a dashed line at each grade band's floor.

    The band labels stand above the bars, each beside the top of its line, one row per band, the
    lowest floor first: a label is right of its own line, and the lines reaching its row are of
    lower floors, so left of it; no label meets another or a line, however close the floors."""
    if not charts.bars:
        return ""
    scale = 520 / 105
    names = [_fit(visible(bar.name or bar.subject)) for bar in charts.bars]
    left = PAD + max(_width(name) for name in names) + 8
    bands = sorted(charts.bands, key=lambda band: band[1])
    top = PAD + LINE * len(bands) + 4
    row = 24
    bottom = top + row * len(charts.bars)
    right = left + 105 * scale
    svg = []
    for n, (label, floor) in enumerate(bands):
        x, y = left + float(floor) * scale, PAD + LINE * n
        text = f"≥{float(floor):g} {visible(label)}"
        right = max(right, x + 3 + _width(text))
        svg.append(
            f'<g class="band"><line x1="{x:.1f}" y1="{y}" x2="{x:.1f}" y2="{bottom}" stroke="#555" '
            f'stroke-dasharray="4 3"/><text x="{x + 3:.1f}" y="{y + BASELINE}">{escape(text)}</text></g>'
        )
    colours = {"good": "#4caf50", "bad": "#e57373", "": "#64b5f6", "note": "#ffd54f"}
    for n, (bar, name) in enumerate(zip(charts.bars, names, strict=True)):
        y = top + n * row
        end = left + float(bar.value) * scale
        value = f"{Cell(bar.value, 'number').text()} {visible(bar.label)}"
        value += f" ({bar.change})" if bar.change else ""
        reach = end if bar.previous is None else max(end, left + float(bar.previous) * scale)  # the value after both
        right = max(right, reach + 4 + _width(value))
        tip = f"{visible(bar.subject)} {visible(bar.name)}: {value}" if bar.name else f"{visible(bar.subject)}: {value}"
        svg.append(
            f'<g class="bar"><title>{escape(tip)}</title>'
            f'<text class="name" x="{left - 8:.1f}" y="{y + BASELINE + 2}" text-anchor="end">{escape(name)}</text>'
            f'<rect x="{left:.1f}" y="{y + 4}" width="{end - left:.1f}" height="{row - 8}" fill="{colours[bar.mark]}"/>'
            f'<text class="v" x="{reach + 4:.1f}" y="{y + BASELINE + 2}">{escape(value)}</text>'
            + _previous(bar, left, scale, y, row)
            + "</g>"
        )
    return f"<h2>{escape(charts.bars_title)}</h2>" + _svg(right + PAD, bottom + PAD, charts.bars_title, svg)


def _previous(bar: Bar, left: float, scale: float, y: float, row: int) -> str:
    """The earlier run's total (--compare) as a dark tick across the bar, joined to the bar's end
    by a thin line: the change drawn, rising or falling."""
    if bar.previous is None:
        return ""
    x, end = left + float(bar.previous) * scale, left + float(bar.value) * scale
    middle = y + row / 2
    return (
        f'<line class="previous" x1="{x:.1f}" y1="{y + 2}" x2="{x:.1f}" y2="{y + row - 2}" stroke="#333" '
        f'stroke-width="2"/><line x1="{x:.1f}" y1="{middle:.1f}" x2="{end:.1f}" y2="{middle:.1f}" stroke="#333"/>'
    )


def _grid(charts: Charts) -> str:
    """Branches × quarters, one coloured square each (its title tells the state on hover), each
    row named (its id on hover); a column as wide as its quarter's label (一季度 takes 3 em)."""
    if not charts.grid:
        return ""
    cell = 24
    column = max(cell, max(_width(label) for label in charts.grid_columns) + 8)
    names = [_fit(visible(name or subject)) for subject, name, _ in charts.grid]
    left = PAD + max(_width(name) for name in names) + 8
    top = PAD + LINE + 2
    colours = {"compliant": "#4caf50", "non_compliant": "#e57373", "skipped": "#e0e0e0"}
    svg = []
    for c, label in enumerate(charts.grid_columns):
        x = left + c * column + column / 2
        svg.append(f'<text x="{x:.1f}" y="{PAD + BASELINE}" text-anchor="middle">{escape(label)}</text>')
    for r, ((subject, name, states), shown) in enumerate(zip(charts.grid, names, strict=True)):
        y = top + r * cell
        tip = f"{visible(subject)} {visible(name)}" if name else visible(subject)
        svg.append(
            f'<g class="row"><title>{escape(tip)}</title>'
            f'<text x="{left - 8:.1f}" y="{y + 16}" text-anchor="end">{escape(shown)}</text></g>'
        )
        for c, (state, label) in enumerate(states):
            x = left + c * column + (column - cell + 2) / 2
            svg.append(
                f'<rect x="{x:.1f}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{colours[state]}">'
                f"<title>{escape(f'{tip} {charts.grid_columns[c]}: {label}')}</title></rect>"
            )
    legend_x = left + column * len(charts.grid_columns) + 16
    labels = sorted({state: label for _, _, states in charts.grid for state, label in states}.items())
    for n, (state, label) in enumerate(labels):
        y = top + n * cell
        svg.append(
            f'<g class="legend"><rect x="{legend_x:.1f}" y="{y + 5}" width="12" height="12" fill="{colours[state]}"/>'
            f'<text x="{legend_x + 16:.1f}" y="{y + 16}">{escape(label)}</text></g>'
        )
    width = legend_x + 16 + max(_width(label) for _, label in labels) + PAD
    height = top + cell * max(len(charts.grid), len(labels)) + PAD
    return f"<h2>{escape(charts.grid_title)}</h2>" + _svg(width, height, charts.grid_title, svg)
