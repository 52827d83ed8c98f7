"""SVG charts, their table alternative and CSV: escaped, accessible,
spreadsheet-safe."""

from __future__ import annotations

import csv
import io
import xml.etree.ElementTree as ET

import pytest

from servicedesk.charts import Table, bar_chart, line_chart, table_html, to_csv

SVG = "{http://www.w3.org/2000/svg}"


def table() -> Table:
    return Table(
        "Contacts by month",
        ("month", "email", "sms"),
        [("2026-08", 120, 30), ("2026-09", 80, 10), ("<b>bad</b>", 0, 5)],
    )


@pytest.mark.parametrize("draw", [bar_chart, line_chart])
def test_chart_is_valid_svg_with_a_title_and_description(draw) -> None:
    svg = draw(table(), chart_id="volume")
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.get("role") == "img"
    assert root.get("aria-labelledby") == "volume-title volume-desc"
    assert root.find(f"{SVG}title").text == "Contacts by month"
    desc = root.find(f"{SVG}desc").text
    assert "highest 120 (email, 2026-08)" in desc
    assert "2 series (email, sms)" in desc
    # every mark says its exact figure
    labels = [t.text for t in root.iter(f"{SVG}title")][1:]
    assert "2026-09, sms: 10" in labels
    assert "<b>" not in svg and "&lt;b&gt;bad&lt;/b&gt;" in svg


def test_bars_are_proportional_to_the_axis() -> None:
    root = ET.fromstring(bar_chart(Table("t", ("k", "n"), [("a", 50), ("b", 100)])))
    heights = [float(r.get("height")) for r in root.iter(f"{SVG}rect")]
    assert heights[1] == pytest.approx(2 * heights[0])


def test_empty_table_draws_an_empty_chart() -> None:
    ET.fromstring(bar_chart(Table("Nothing", ("k", "n"), [])))
    ET.fromstring(line_chart(Table("Nothing", ("k", "n"), [])))


def test_table_alternative_has_caption_headers_and_escapes() -> None:
    html = table_html(table(), "volume-table")
    assert "<caption>Contacts by month</caption>" in html
    assert '<th scope="col">email</th>' in html
    assert '<th scope="row">2026-08</th><td>120</td><td>30</td>' in html
    assert "&lt;b&gt;bad&lt;/b&gt;" in html and "<b>bad" not in html


def test_csv_has_a_header_and_neutralises_formulas() -> None:
    data = Table("t", ("name", "count"), [('=HYPERLINK("x")', 1), ("-2+3", 2), ("ok", 1.5)])
    rows = list(csv.reader(io.StringIO(to_csv(data))))
    assert rows[0] == ["name", "count"]
    assert rows[1] == ['\'=HYPERLINK("x")', "1"]
    assert rows[2] == ["'-2+3", "2"]
    assert rows[3] == ["ok", "1.50"]
