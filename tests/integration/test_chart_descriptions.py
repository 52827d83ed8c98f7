"""A chart's description (its SVG ``<desc>``) is in the reader's language:
the report pages pass the sentences to ``charts`` (which is below the web
layer and translates nothing), and the default stays English."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

import pytest

from servicedesk.charts import ChartWords, Table, bar_chart, describe, line_chart
from tests.integration import console_kit
from tests.integration.console_kit import fast_sign_in, make_user
from tests.integration.issue7_kit import at, make_ticket

app = console_kit.app  # the fixture, with compiled templates shared between tests

SVG = "{http://www.w3.org/2000/svg}"
TABLE = Table("Yhteydet", ("kk", "email", "sms"), [("2026-08", 120, 30), ("2026-09", 80, 10)])


def test_words_passed_in_are_used() -> None:
    words = ChartWords(
        bar="Pylväskaavio: %(title)s, %(count)s luokkaa",
        line="Viivakaavio: %(title)s, %(count)s luokkaa",
        series="%(count)s sarjaa (%(names)s)",
        highest="suurin %(value)s (%(series)s, %(category)s)",
        same_figures="Samat luvut ovat taulukossa.",
    )
    desc = ET.fromstring(bar_chart(TABLE, "c", words)).find(f"{SVG}desc").text  # type: ignore[union-attr]
    assert desc == (
        "Pylväskaavio: Yhteydet, 2 luokkaa, 2 sarjaa (email, sms); "
        "suurin 120 (email, 2026-08). Samat luvut ovat taulukossa."
    )
    assert describe(TABLE, "line", words).startswith("Viivakaavio: Yhteydet")


def test_english_by_default() -> None:
    desc = ET.fromstring(line_chart(TABLE)).find(f"{SVG}desc").text  # type: ignore[union-attr]
    assert desc is not None and desc.startswith("Line chart of Yhteydet: 2 categories")
    assert desc.endswith("The same figures are in the table.")


@pytest.mark.parametrize(
    ("language", "expected", "absent"),
    [
        ("fi", "Samat luvut ovat taulukossa.", "The same figures"),
        ("sv", "Samma siffror finns i tabellen.", "The same figures"),
        ("en", "The same figures are in the table.", "Samat luvut"),
    ],
)
def test_report_page_describes_its_chart_in_the_users_language(
    client, session, language: str, expected: str, absent: str
) -> None:
    make_ticket(session, at("2026-03-02 08:00"))
    user = make_user(session, "agent", ui_language=language)
    session.commit()
    fast_sign_in(client, user)
    page = client.get("/console/reports/contacts-month?from=2026-03-01&to=2026-03-31")
    assert page.status_code == 200
    descs = re.findall(r"<desc [^>]*>([^<]*)</desc>", page.get_data(as_text=True))
    assert descs and all(expected in d and absent not in d for d in descs)
