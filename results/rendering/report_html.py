"""HTML building blocks of the report: its inline style, escaped text, intervals, tables and figures."""

from __future__ import annotations

import html

from results.rendering.chart_parts import to_svg
from results.rendering.formatting import format_number

REPORT_CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;max-width:980px;margin:2em auto;
padding:0 1em;color:#222;line-height:1.45}
h1{margin-bottom:.2em} h2{border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:2em}
table{border-collapse:collapse;margin:.6em 0} th,td{border:1px solid #ddd;padding:.3em .6em;text-align:left}
th{background:#f4f4f4} td.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
.grid{display:flex;flex-wrap:wrap;gap:0 1.5em}
figure{margin:1.2em 0} figcaption{font-size:.9em;color:#555} .meta{color:#555;font-size:.95em}
.note{background:#f7f7f2;border-left:4px solid #bbb;padding:.5em .8em}
"""


def esc(text) -> str:
    """``text`` as HTML-escaped text."""
    return html.escape(str(text))


def format_interval(low, high, fmt=format_number) -> str:
    """``[low, high]`` with each bound formatted by ``fmt``."""
    return f"[{fmt(low)}, {fmt(high)}]"


def html_table(header: list[str], rows: list[list[str]], numeric: tuple[int, ...] = ()) -> str:
    """An HTML table; the columns at the ``numeric`` positions are right-aligned and never wrapped."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join(
        "<tr>"
        + "".join(f'<td class="num">{esc(c)}</td>' if i in numeric else f"<td>{esc(c)}</td>" for i, c in enumerate(row))
        + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def html_figure(chart, caption: str) -> str:
    """A chart as inline SVG with its caption."""
    return f"<figure>{to_svg(chart)}<figcaption>{esc(caption)}</figcaption></figure>"
