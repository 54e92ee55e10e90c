"""A self-contained HTML report: inline CSS and SVG, findings filters in a few lines of script.

No network: nothing is loaded from anywhere, so the file can be mailed, archived or shown on a
meeting-room screen as it is. Print-friendly: the filters hide and tables break across pages.
"""

from __future__ import annotations

from html import escape

from .document import Charts, Document, Paragraph, Table

STYLE = """
body{font-family:"Noto Sans CJK SC","Microsoft YaHei","PingFang SC",sans-serif;margin:2em;color:#222}
h1{font-size:1.6em}h2{font-size:1.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.5em 0;font-size:.9em}
th,td{border:1px solid #ccc;padding:.25em .5em;text-align:left;vertical-align:top}
th{background:#ddebf7}td.n{text-align:right;font-variant-numeric:tabular-nums}
.good{background:#c6efce}.bad{background:#ffc7ce}.note{background:#ffeb9c}
.meta td{border:none;padding:.1em .6em .1em 0}.notes{font-size:.85em;color:#555}
.filters{margin:.5em 0}.filters select,.filters input{margin-right:1em}
svg text{font-size:12px;font-family:inherit}
@media print{.filters{display:none}body{margin:0}tr{page-break-inside:avoid}}
"""

SCRIPT = """
function filterFindings(){
  var s=document.getElementById('f-status').value,t=document.getElementById('f-text').value.toLowerCase();
  document.querySelectorAll('#findings tbody tr').forEach(function(r){
    var ok=(!s||r.dataset.status===s)&&(!t||r.textContent.toLowerCase().indexOf(t)>=0);
    r.style.display=ok?'':'none';});
}
"""


def render_html(document: Document) -> str:
    lang = "zh-CN" if document.lang == "zh" else "en"
    parts = [
        f'<!DOCTYPE html><html lang="{lang}"><head><meta charset="utf-8">',
        f"<title>{escape(document.title)}</title><style>{STYLE}</style></head><body>",
        f"<h1>{escape(document.title)}</h1>",
        '<table class="meta">'
        + "".join(f"<tr><td>{escape(k)}</td><td>{escape(v)}</td></tr>" for k, v in document.meta)
        + "</table>",
    ]
    if document.charts:
        parts.append(_charts(document.charts))
    for block in document.blocks:
        parts.append(_paragraph(block) if isinstance(block, Paragraph) else _table(block))
    for table in document.provenance:
        parts.append(_table(table))
    parts.append(f"<script>{SCRIPT}</script></body></html>")
    return "\n".join(parts) + "\n"


def _paragraph(paragraph: Paragraph) -> str:
    items = "".join(f"<li>{escape(line)}</li>" for line in paragraph.lines)
    body = f"<ol>{items}</ol>" if paragraph.numbered else "".join(f"<p>{escape(x)}</p>" for x in paragraph.lines)
    return (f"<h2>{escape(paragraph.title)}</h2>" if paragraph.title else "") + body


def _table(table: Table) -> str:
    is_findings = table.key in ("findings", "attention")
    status_column = 5 if is_findings else None
    head = "".join(f"<th>{escape(h)}</th>" for h in table.headers)
    rows = []
    for row in table.rows:
        status = f' data-status="{escape(row[status_column].text())}"' if status_column is not None else ""
        tds = []
        for cell in row:
            classes = " ".join(c for c in (cell.mark, "n" if cell.style != "text" else "") if c)
            tds.append(
                f'<td class="{classes}">{escape(cell.text())}</td>' if classes else f"<td>{escape(cell.text())}</td>"
            )
        rows.append(f"<tr{status}>{''.join(tds)}</tr>")
    filters = ""
    if is_findings and table.rows:
        statuses = sorted({row[status_column].text() for row in table.rows})
        options = '<option value="">*</option>' + "".join(f"<option>{escape(s)}</option>" for s in statuses)
        filters = (
            f'<div class="filters"><select id="f-status" onchange="filterFindings()">{options}</select>'
            '<input id="f-text" type="search" placeholder="…" oninput="filterFindings()"></div>'
        )
    table_id = ' id="findings"' if table.key == "findings" else ""
    notes = "".join(f'<p class="notes">{escape(n)}</p>' for n in table.notes)
    return (
        f"<h2>{escape(table.title)}</h2>{filters if table_id else ''}"
        f"<table{table_id}><thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table>{notes}"
    )


def _charts(charts: Charts) -> str:
    return _bars(charts) + _grid(charts)


def _bars(charts: Charts) -> str:
    """Department totals as horizontal bars on a 0–105 scale, with a dashed line at each band's floor."""
    if not charts.bars:
        return ""
    row, left, width = 22, 90, 520
    top = 20
    height = top + row * len(charts.bars) + 16 * len(charts.bands) + 20
    scale = width / 105
    svg = [
        f'<svg class="chart" role="img" width="{left + width + 120}" height="{height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    colours = {"good": "#4caf50", "bad": "#e57373", "": "#64b5f6", "note": "#ffd54f"}
    for n, bar in enumerate(charts.bars):
        y = top + n * row
        value = float(bar.value)
        svg.append(f'<text x="0" y="{y + 14}">{escape(bar.subject)}</text>')
        svg.append(
            f'<rect x="{left}" y="{y + 3}" width="{value * scale:.1f}" height="{row - 6}" fill="{colours[bar.mark]}">'
            f"<title>{escape(bar.subject)} {value:.2f} {escape(bar.label)}</title></rect>"
        )
        svg.append(f'<text x="{left + value * scale + 4:.1f}" y="{y + 14}">{value:.2f} {escape(bar.label)}</text>')
    bottom = top + row * len(charts.bars)
    for n, (label, floor) in enumerate(charts.bands):  # one line of labels per band: they never overlap
        x, y = left + float(floor) * scale, bottom + 16 * (n + 1)
        svg.append(
            f'<line x1="{x:.1f}" y1="{top - 5}" x2="{x:.1f}" y2="{y - 12}" stroke="#555" stroke-dasharray="4 3"/>'
        )
        svg.append(f'<text x="{x + 2:.1f}" y="{y}">≥{float(floor):g} {escape(label)}</text>')
    svg.append("</svg>")
    return f"<h2>{escape(charts.bars_title)}</h2>" + "".join(svg)


def _grid(charts: Charts) -> str:
    """Branches × quarters, one coloured square each (a title tells the state on hover)."""
    if not charts.grid:
        return ""
    cell, left, top = 24, 60, 20
    colours = {"compliant": "#4caf50", "non_compliant": "#e57373", "skipped": "#e0e0e0"}
    width = left + cell * len(charts.grid_columns) + 10
    height = top + cell * len(charts.grid) + 10
    svg = [f'<svg class="chart" role="img" width="{width + 200}" height="{height}" xmlns="http://www.w3.org/2000/svg">']
    for n, column in enumerate(charts.grid_columns):
        svg.append(f'<text x="{left + n * cell}" y="{top - 6}">{escape(column)}</text>')
    for r, (subject, name, states) in enumerate(charts.grid):
        y = top + r * cell
        svg.append(f'<text x="0" y="{y + 13}">{escape(subject)}</text>')
        for c, (state, label) in enumerate(states):
            tip = f"{subject} {name} {charts.grid_columns[c]}: {label}"
            svg.append(
                f'<rect x="{left + c * cell}" y="{y}" width="{cell - 2}" height="{cell - 2}" fill="{colours[state]}">'
                f"<title>{escape(tip)}</title></rect>"
            )
    legend_x = left + cell * len(charts.grid_columns) + 20
    labels = {state: label for _, _, states in charts.grid for state, label in states}
    for n, (state, label) in enumerate(sorted(labels.items())):
        svg.append(f'<rect x="{legend_x}" y="{top + n * cell}" width="12" height="12" fill="{colours[state]}"/>')
        svg.append(f'<text x="{legend_x + 16}" y="{top + n * cell + 11}">{escape(label)}</text>')
    svg.append("</svg>")
    return f"<h2>{escape(charts.grid_title)}</h2>" + "".join(svg)
