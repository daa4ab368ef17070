"""Charts as inline SVG, for pages that must open anywhere: no script, no font or image to fetch.

Each function returns a `<figure class="chart">` holding one `<svg>`; a chart with nothing to show holds
a short sentence in its place, so a reader (and a test) can tell "no data" from "not drawn".
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

BAR = "#3b6fb6"
RISE, FALL = "#1b7a3a", "#b42318"
TEXT = "#1f2933"
AXIS = "#9aa5b1"
ROW_HEIGHT = 22
LABEL_WIDTH = 210
WIDTH = 720


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.1f}"


def _figure(chart_id: str, title: str, svg: str) -> str:
    return f'<figure class="chart" id="{escape(chart_id)}"><figcaption>{escape(title)}</figcaption>{svg}</figure>'


def _no_data(chart_id: str, title: str, why: str) -> str:
    return f'<figure class="chart empty" id="{escape(chart_id)}"><figcaption>{escape(title)}</figcaption><p>{escape(why)}</p></figure>'


def bar_chart(
    chart_id: str, title: str, labels: Sequence[str], values: Sequence[float], *, empty: str = "Nothing to show."
) -> str:
    """Horizontal bars, one row per label. Negative values extend left of a zero line, in red; positive
    ones right, in green when there are negatives and in blue otherwise."""
    if not labels:
        return _no_data(chart_id, title, empty)
    plot = WIDTH - LABEL_WIDTH - 70  # room for the value after the bar
    low, high = min(0.0, *values), max(0.0, *values)
    span = (high - low) or 1.0
    zero = LABEL_WIDTH + plot * (-low / span)
    diverging = low < 0
    height = ROW_HEIGHT * len(labels) + 10
    rows = []
    for index, (label, value) in enumerate(zip(labels, values)):
        y = 5 + index * ROW_HEIGHT
        length = max(plot * abs(value) / span, 1.0)
        x = zero if value >= 0 else zero - length
        color = (RISE if value >= 0 else FALL) if diverging else BAR
        text_x = x + length + 4 if value >= 0 else x - 4
        anchor = "start" if value >= 0 else "end"
        rows.append(
            f'<text x="{LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end" fill="{TEXT}">{escape(label)}</text>'
            f'<rect x="{x:.1f}" y="{y + 3}" width="{length:.1f}" height="{ROW_HEIGHT - 6}" fill="{color}"/>'
            f'<text x="{text_x:.1f}" y="{y + 15}" text-anchor="{anchor}" fill="{TEXT}">{_number(value)}</text>'
        )
    axis = f'<line x1="{zero:.1f}" y1="0" x2="{zero:.1f}" y2="{height}" stroke="{AXIS}"/>'
    return _figure(
        chart_id,
        title,
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-size="12" '
        f'font-family="sans-serif" role="img">{axis}{"".join(rows)}</svg>',
    )


def column_chart(
    chart_id: str, title: str, labels: Sequence[str], values: Sequence[float], *, empty: str = "Nothing to show."
) -> str:
    """Vertical columns over labelled slots (a histogram's bins), with each column's value above it."""
    if not labels or not any(values):
        return _no_data(chart_id, title, empty)
    height, bottom, top = 260, 30, 20
    plot = height - bottom - top
    slot = (WIDTH - 20) / len(labels)
    high = max(values) or 1
    columns = []
    for index, (label, value) in enumerate(zip(labels, values)):
        x = 10 + index * slot
        size = plot * value / high
        y = top + plot - size
        columns.append(
            f'<rect x="{x + 4:.1f}" y="{y:.1f}" width="{slot - 8:.1f}" height="{size:.1f}" fill="{BAR}"/>'
            f'<text x="{x + slot / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle" fill="{TEXT}">{_number(value)}</text>'
            f'<text x="{x + slot / 2:.1f}" y="{height - 10}" text-anchor="middle" fill="{TEXT}">{escape(label)}</text>'
        )
    axis = f'<line x1="10" y1="{top + plot}" x2="{WIDTH - 10}" y2="{top + plot}" stroke="{AXIS}"/>'
    return _figure(
        chart_id,
        title,
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" font-size="12" '
        f'font-family="sans-serif" role="img">{axis}{"".join(columns)}</svg>',
    )


def table(headers: Sequence[str], rows: Sequence[Sequence[object]], *, empty: str = "None.") -> str:
    """A plain HTML table; cells are escaped."""
    if not rows:
        return f"<p>{escape(empty)}</p>"
    head = "".join(f"<th>{escape(str(h))}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{escape('' if c is None else str(c))}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><tr>{head}</tr>{body}</table>"
