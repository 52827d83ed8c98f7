"""Charts for the report pages, drawn on the server as SVG (no JavaScript),
each with the same figures as an HTML table (the text alternative) and as
CSV (the download).

A report is a ``Table``: a title, column headers and rows whose first cell
is the category (a month, a region...) and whose other cells are numbers,
one column per series.  ``bar_chart`` and ``line_chart`` draw it; the SVG
carries a ``<title>`` and a ``<desc>`` saying what it shows (its
sentences, ``ChartWords``, passed in by the page in the reader's
language), and every bar or point its own ``<title>`` with the exact
figure.  Text is escaped
everywhere; CSV cells that a spreadsheet would run as a formula are
neutralised.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from html import escape

# Distinguishable for the common colour-vision deficiencies (Okabe–Ito),
# all at least 3:1 against white.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
WIDTH, HEIGHT = 720, 320
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 56, 16, 16, 64
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True, slots=True)
class Table:
    """Figures for a chart, a table and a CSV file."""

    title: str
    headers: tuple[str, ...]
    rows: list[tuple[object, ...]] = field(default_factory=list)
    note: str = ""

    @property
    def categories(self) -> list[str]:
        return [str(row[0]) for row in self.rows]

    def series(self, columns: Sequence[int] | None = None) -> list[tuple[str, list[float]]]:
        """(name, values) for the numeric columns (all but the first)."""
        indexes = columns if columns is not None else range(1, len(self.headers))
        return [(self.headers[i], [_number(row[i]) for row in self.rows]) for i in indexes]


def _number(value: object) -> float:
    if isinstance(value, int | float) and not (isinstance(value, float) and math.isnan(value)):
        return float(value)
    return 0.0


def format_value(value: object) -> str:
    if value is None:
        return "–"
    if isinstance(value, float):
        return f"{value:.0f}" if value.is_integer() else f"{value:.1f}"
    return str(value)


def _nice_max(value: float) -> tuple[float, float]:
    """A round top for the axis and its tick step (1, 2 or 5 × 10ⁿ)."""
    if value <= 0:
        return 1.0, 0.2
    raw = value / 5
    power = 10 ** math.floor(math.log10(raw))
    step = next(m * power for m in (1, 2, 5, 10) if m * power >= raw)
    return step * math.ceil(value / step), step


@dataclass(frozen=True, slots=True)
class ChartWords:
    """The sentences of a chart's ``<desc>``, with %-style placeholders.
    English by default; the pages pass them in the reader's language (this
    module is below the web layer and translates nothing itself)."""

    bar: str = "Bar chart of %(title)s: %(count)s categories"
    line: str = "Line chart of %(title)s: %(count)s categories"
    series: str = "%(count)s series (%(names)s)"
    highest: str = "highest %(value)s (%(series)s, %(category)s)"
    same_figures: str = "The same figures are in the table."


ENGLISH = ChartWords()


def describe(table: Table, kind: str, words: ChartWords = ENGLISH) -> str:
    """What a chart shows, in one or two sentences (its ``<desc>``)."""
    series = table.series()
    highest = max(
        (
            (v, name, cat)
            for name, values in series
            for v, cat in zip(values, table.categories, strict=True)
        ),
        default=None,
    )
    opening = words.line if kind == "line" else words.bar
    summary = opening % {"title": table.title, "count": len(table.rows)}
    if len(series) > 1:
        names = ", ".join(name for name, _ in series)
        summary += ", " + words.series % {"count": len(series), "names": names}
    if highest is not None:
        summary += "; " + words.highest % {
            "value": format_value(highest[0]),
            "series": highest[1],
            "category": highest[2],
        }
    return f"{summary}. {words.same_figures}"


def _frame(
    table: Table, kind: str, top: float, step: float, chart_id: str, words: ChartWords
) -> list[str]:
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc" class="chart">',
        f'<title id="{chart_id}-title">{escape(table.title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(describe(table, kind, words))}</desc>',
    ]
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    ticks = round(top / step)
    for i in range(ticks + 1):
        y = MARGIN_TOP + plot_height - plot_height * i / ticks
        parts.append(
            f'<line x1="{MARGIN_LEFT}" x2="{WIDTH - MARGIN_RIGHT}" y1="{y:.1f}" y2="{y:.1f}" '
            f'stroke="#d0d0d0" stroke-width="1"/>'
            f'<text x="{MARGIN_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end" font-size="11">'
            f"{escape(format_value(step * i if step < 1 else round(step * i)))}</text>"
        )
    return parts


def _category_labels(categories: Sequence[str], centre: list[float]) -> list[str]:
    every = max(1, math.ceil(len(categories) / 16))
    y = HEIGHT - MARGIN_BOTTOM + 14
    return [
        f'<text x="{x:.1f}" y="{y}" text-anchor="end" font-size="11" '
        f'transform="rotate(-40 {x:.1f} {y})">{escape(label)}</text>'
        for i, (label, x) in enumerate(zip(categories, centre, strict=True))
        if i % every == 0
    ]


def _legend(names: Sequence[str]) -> list[str]:
    if len(names) < 2:
        return []
    parts = ['<g class="legend" font-size="11">']
    x = MARGIN_LEFT
    for i, name in enumerate(names):
        colour = PALETTE[i % len(PALETTE)]
        parts.append(
            f'<rect x="{x}" y="2" width="10" height="10" fill="{colour}"/>'
            f'<text x="{x + 14}" y="11">{escape(name)}</text>'
        )
        x += 24 + 7 * len(name)
    parts.append("</g>")
    return parts


def bar_chart(table: Table, chart_id: str = "chart", words: ChartWords = ENGLISH) -> str:
    """Bars per category, grouped side by side when there are several series."""
    series = table.series()
    top, step = _nice_max(max((v for _, vs in series for v in vs), default=0.0))
    parts = _frame(table, "bar", top, step, chart_id, words)
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    count = max(1, len(table.rows))
    slot = plot_width / count
    bar = max(1.0, slot * 0.8 / max(1, len(series)))
    centres = []
    for c, category in enumerate(table.categories):
        left = MARGIN_LEFT + c * slot + slot * 0.1
        centres.append(MARGIN_LEFT + c * slot + slot / 2)
        for s, (name, values) in enumerate(series):
            height = plot_height * values[c] / top
            x, y = left + s * bar, MARGIN_TOP + plot_height - height
            label = f"{category}, {name}: {format_value(table.rows[c][s + 1])}"
            parts.append(
                f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar:.1f}" height="{height:.1f}" '
                f'fill="{PALETTE[s % len(PALETTE)]}"><title>{escape(label)}</title></rect>'
            )
    parts += _category_labels(table.categories, centres) + _legend([n for n, _ in series])
    parts.append("</svg>")
    return "\n".join(parts)


def line_chart(table: Table, chart_id: str = "chart", words: ChartWords = ENGLISH) -> str:
    """A line per series over the categories (months, weeks...)."""
    series = table.series()
    top, step = _nice_max(max((v for _, vs in series for v in vs), default=0.0))
    parts = _frame(table, "line", top, step, chart_id, words)
    plot_width = WIDTH - MARGIN_LEFT - MARGIN_RIGHT
    plot_height = HEIGHT - MARGIN_TOP - MARGIN_BOTTOM
    count = len(table.rows)
    gap = plot_width / max(1, count - 1) if count > 1 else 0.0
    xs = [MARGIN_LEFT + (i * gap if count > 1 else plot_width / 2) for i in range(count)]
    for s, (name, values) in enumerate(series):
        colour = PALETTE[s % len(PALETTE)]
        points = [
            (x, MARGIN_TOP + plot_height - plot_height * v / top)
            for x, v in zip(xs, values, strict=True)
        ]
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="{colour}" stroke-width="2"/>')
        for (x, y), category, row in zip(points, table.categories, table.rows, strict=True):
            label = f"{category}, {name}: {format_value(row[s + 1])}"
            parts.append(
                f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{colour}">'
                f"<title>{escape(label)}</title></circle>"
            )
    parts += _category_labels(table.categories, xs) + _legend([n for n, _ in series])
    parts.append("</svg>")
    return "\n".join(parts)


def table_html(table: Table, table_id: str = "") -> str:
    """The figures as an accessible HTML table (the chart's text alternative)."""
    ident = f' id="{escape(table_id)}"' if table_id else ""
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in table.headers)
    body = "\n".join(
        f'<tr><th scope="row">{escape(format_value(row[0]))}</th>'
        + "".join(f"<td>{escape(format_value(v))}</td>" for v in row[1:])
        + "</tr>"
        for row in table.rows
    )
    note = f'<p class="table-note">{escape(table.note)}</p>' if table.note else ""
    return (
        f'<table class="report-table"{ident}><caption>{escape(table.title)}</caption>\n'
        f"<thead><tr>{head}</tr></thead>\n<tbody>\n{body}\n</tbody></table>{note}"
    )


def _csv_cell(value: object) -> object:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    if isinstance(value, float):
        return f"{value:.2f}"
    return "" if value is None else value


def to_csv(table: Table) -> str:
    """The figures as CSV (RFC 4180, a header row first)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([_csv_cell(h) for h in table.headers])
    for row in table.rows:
        writer.writerow([_csv_cell(v) for v in row])
    return buffer.getvalue()
