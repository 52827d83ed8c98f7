"""The "Call backs" view and the "Called back" action in a real browser,
with axe-core on the list and on the ticket page, in Finnish and English."""

from __future__ import annotations

import re
import uuid

import pytest

from channels.message import CallDetails, Channel, Hints, InboundMessage
from servicedesk.intake import pipeline
from tests.browser.conftest import PASSWORD, USERS, assert_accessible

pytestmark = pytest.mark.browser

WORDS = {
    "fi": {"view": "Takaisinsoitot", "missed": "Vastaamaton puhelu", "done": "Soitettu takaisin"},
    "en": {"view": "Call backs", "missed": "Missed call", "done": "Called back"},
}


def missed_call(live, number: str) -> str:  # type: ignore[no-untyped-def]
    """A call nobody answered, through the real intake pipeline."""
    sid = "CA" + uuid.uuid4().hex
    message = InboundMessage(
        channel=Channel.PHONE,
        external_id=sid,
        sender_address=number,
        recipient_address="+358291110000",
        text=f"Missed call from {number}: nobody answered.",
        hints=Hints(audience="applicant", language="fi"),
        call=CallDetails(call_sid=sid, language="fi", outcome="missed"),
    )
    record_id, _ = pipeline.receive(
        live.runtime,
        channel="phone",
        raw=pipeline.encode_inbound(message),
        external_id=sid,
    )
    applied = pipeline.process_record(live.runtime, record_id)
    assert applied is not None and applied.ticket is not None
    return applied.ticket.number


@pytest.mark.parametrize(("lang", "caller"), [("fi", "+358405551001"), ("en", "+358405551002")])
def test_call_backs_list_and_the_called_back_action(live, page, lang, caller) -> None:
    number = missed_call(live, caller)
    words = WORDS[lang]
    page.goto(live.url + "/login")
    page.fill("input[name=email]", USERS["agent"][0])
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(re.compile(r".*/console/$"))

    page.goto(live.url + f"/console/desks/applicants/?lang={lang}")
    link = page.locator("nav.desk-nav a[href$='/callbacks']")
    assert link.inner_text() == words["view"]
    page.goto(live.url + f"/console/desks/applicants/callbacks?lang={lang}")
    assert page.locator("h1").inner_text() == words["view"]
    row = page.locator("table.callbacks tr", has_text=number)
    assert words["missed"] in row.inner_text() and caller in row.inner_text()
    assert_accessible(page, context=f"call backs ({lang})")

    page.goto(live.url + f"/console/tickets/{number}?lang={lang}")
    assert_accessible(page, context=f"ticket with a call back ({lang})")
    with page.expect_navigation():
        page.get_by_role("button", name=words["done"], exact=True).click()
    assert page.locator("#callback-section").count() == 0
    page.goto(live.url + "/console/desks/applicants/callbacks")
    assert number not in page.locator("main").inner_text()
