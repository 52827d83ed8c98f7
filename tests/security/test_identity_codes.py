"""Personal identity codes (henkilötunnus) never leave the desk unmasked:
enquiries holding codes arrive through every channel — the API, the web
form, an SMS, a mail (subject and body), and an agent's internal note,
which does not pass the intake — and then the captured log of the whole
run (every logger at DEBUG), every mail and SMS the desk sent and the
search results with their snippets are scanned for any of the codes; the
ticket pages and the API's view for the codes that came from outside (a
note is the agent's own writing, shown to the staff only, as written).
An agent's answer, and the note for an institution a ticket is forwarded
to, go out masked too."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from urllib.parse import quote

from sqlalchemy import func, select, text

from servicedesk import mail_intake
from servicedesk.models import IntakeRecord
from tests.integration.console_kit import fast_sign_in, send_answer, token
from tests.integration.portal_client import make_portal
from tests.integration.twilio_requests import Twilio
from tests.ports import free_port
from tests.reliability.http_client import HttpClient
from tests.reliability.stack import Stack, desk_environment, prepare_database
from tests.security.conftest import World

CODES = ["131052-308T", "010594Y9032", "311299a999X", "211106+123A"]
#: Typed where the name goes (API, form) or in a mail's From name: the
#: contact's name, which greets them in every answer.
NAME_CODES = ["240147-632T", "020202A2022", "101010-1010"]
NOTE_CODE = "150505-505K"


def text_with(code: str, channel: str) -> str:
    return f"Hei, hakemukseni ({channel}) koskee minua, henkilötunnukseni on {code}. Oppisopimus?"


def leaked(text: str, codes: tuple[str, ...] = (*CODES, *NAME_CODES, NOTE_CODE)) -> list[str]:
    lowered = text.lower()
    return [code for code in codes if code.lower() in lowered]


def test_codes_are_masked_in_logs_mail_sms_pages_and_snippets(
    app, client, api, rt, settings, session, mail, sms, world: World, caplog, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    caplog.set_level(logging.DEBUG)
    # Statement echo (SQL with its parameters) is off in production, as here.
    monkeypatch.setattr(logging.getLogger("sqlalchemy"), "level", logging.WARNING)
    numbers = []
    answer = api.post(
        "/enquiries",
        json={
            "name": f"Aino {NAME_CODES[0]}",
            "email": "api@example.org",
            "subject": f"Tunnus {CODES[0]}",
            "body": text_with(CODES[0], "api"),
        },
    )
    assert answer.status_code == 201
    numbers.append(answer.get_json()["ticket"]["number"])
    portal = make_portal(app, client)
    sent = portal.post(
        "/contact?lang=fi",
        {
            "name": f"Ville {NAME_CODES[1]}",
            "email": "form@example.org",
            "message": text_with(CODES[1], "lomake"),
            "website": "",
        },
    )
    assert sent.status_code == 200
    assert not leaked(sent.get_data(as_text=True))
    reply = Twilio(client, settings).post(
        "/webhooks/twilio/sms",
        {
            "MessageSid": "SM" + "9" * 32,
            "AccountSid": settings.twilio_account_sid,
            "From": "+358401112223",
            "To": settings.sms_number,
            "Body": text_with(CODES[2], "sms"),
            "NumMedia": "0",
        },
    )
    assert reply.status_code == 200
    mail_in = EmailMessage()
    mail_in["From"] = f"Posti {NAME_CODES[2]} <posti@example.org>"
    mail_in["To"] = settings.mail_from
    mail_in["Subject"] = f"Hakemus, tunnus {CODES[3]}"
    mail_in["Message-ID"] = "<codes-1@example.org>"
    mail_in.set_content(text_with(CODES[3], "mail"))
    result = mail_intake.ingest(rt, mail_in.as_bytes(), name="codes")
    assert result.ticket_number
    numbers.append(result.ticket_number)

    fast_sign_in(client, world.agent)
    note = client.post(
        f"/console/tickets/{numbers[0]}/note",
        data={
            "csrf_token": token(client),
            "note-body": f"Soitin, hän kertoi tunnuksen {NOTE_CODE}.",
        },
    )
    assert note.status_code == 302

    pages = {
        f"/console/tickets/{number}": client.get(f"/console/tickets/{number}") for number in numbers
    }
    for query in ("henkilötunnukseni", "tunnuksen", "Oppisopimus", "Hakemus"):
        pages[f"search {query}"] = client.get(f"/console/search?q={query}")
    for where, page in pages.items():
        assert page.status_code == 200, where
        outside = (*CODES, *NAME_CODES)
        if not where.startswith("/console/tickets/"):
            outside = (*outside, NOTE_CODE)
        assert not leaked(page.get_data(as_text=True), outside), where
    for number in numbers:
        assert not leaked(
            api.get(f"/tickets/{number}").get_data(as_text=True), (*CODES, *NAME_CODES)
        )
    outbound = [*mail.sent, *sms.sent]
    assert len(outbound) >= 4, "acknowledgements and notifications went out"
    for message in outbound:
        found = leaked(" ".join([message.subject, message.text, message.html or ""]))
        assert not found, (message.to_address, found)
    # The stored originals of the processed contacts keep no code either.
    records = session.execute(select(IntakeRecord.status, IntakeRecord.raw)).all()
    assert len(records) >= 4
    for status, raw in records:
        assert status == "processed"
        assert not leaked(raw.decode("utf-8", "replace"), (*CODES, *NAME_CODES)), raw[:300]
    assert caplog.records, "the run logged something"
    assert not leaked(caplog.text)
    assert "[henkilötunnus poistettu]" in pages[f"/console/tickets/{numbers[0]}"].get_data(
        as_text=True
    )


def test_an_agents_answer_and_forward_note_go_out_with_codes_masked(
    client, mail, world: World
) -> None:  # type: ignore[no-untyped-def]
    """An agent quoting the applicant's code in an answer, or in the note
    for the institution a ticket is forwarded to: the mail and text the
    desk sends carry the mask, and the agent is told; the internal note
    stays as written, for the staff only."""
    fast_sign_in(client, world.agent)
    number = world.osao_ticket.number
    answer = send_answer(
        client, number, f"Hakemuksesi tunnuksella {CODES[0]} on perillä.", follow_redirects=True
    )
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert "A personal identity code in it was replaced with a mask." in page
    (sent,) = mail.to("hakija@example.org")
    assert not leaked(" ".join([sent.subject, sent.text, sent.html or ""]))
    assert "[henkilötunnus poistettu]" in sent.text
    mail.sent.clear()
    forwarded = client.post(
        f"/console/tickets/{number}/forward",
        data={
            "csrf_token": token(client),
            "forward-queue": "omnia-applicants",
            "forward-note": f"Hakijan tunnus on {CODES[1]}.",
        },
        follow_redirects=True,
    )
    assert forwarded.status_code == 200
    assert mail.sent, "the receiving experts are told"
    for message in mail.sent:
        assert not leaked(" ".join([message.subject, message.text, message.html or ""]))
    assert any("Hakijan tunnus on [henkilötunnus poistettu]" in m.text for m in mail.sent)
    assert CODES[1] in forwarded.get_data(as_text=True), "the internal note as written"


REFUSE_INTAKE = {
    "postgresql": [
        "CREATE FUNCTION sd_refuse() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
        "RAISE EXCEPTION 'refused by the database'; END $$",
        "CREATE TRIGGER sd_refuse BEFORE INSERT ON intake_records "
        "FOR EACH ROW EXECUTE FUNCTION sd_refuse()",
    ],
    "sqlite": [
        "CREATE TRIGGER sd_refuse BEFORE INSERT ON intake_records "
        "BEGIN SELECT RAISE(ABORT, 'refused by the database'); END",
    ],
}


def test_a_database_error_logs_the_failure_not_what_was_sent(
    api, session, caplog, monkeypatch
) -> None:  # type: ignore[no-untyped-def]
    """The values a failing statement carried (here an enquiry holding the
    applicant's identity code, stored as sent before it is masked) stay
    out of the log: the error is logged without them."""
    caplog.set_level(logging.DEBUG)
    monkeypatch.setattr(logging.getLogger("sqlalchemy"), "level", logging.WARNING)
    for statement in REFUSE_INTAKE[session.bind.dialect.name]:
        session.execute(text(statement))
    session.commit()
    answer = api.post(
        "/enquiries",
        json={"email": "virhe@example.org", "body": f"Onko hakemukseni {CODES[0]} perillä?"},
        headers={"Idempotency-Key": "hakemus-0001"},
    )
    assert answer.status_code >= 500
    assert "refused by the database" in caplog.text, "the failure itself is logged"
    assert not leaked(caplog.text)


def test_an_idempotency_key_holding_an_identity_code_is_refused(api, session) -> None:  # type: ignore[no-untyped-def]
    """The key is kept as sent (it recognises the request when it comes
    again), so an integration building it of the applicant's code is told
    to use another, and nothing is stored."""
    answer = api.post(
        "/enquiries",
        json={"email": "avain@example.org", "body": "Onko hakemukseni perillä?"},
        headers={"Idempotency-Key": f"hakemus-{CODES[0]}"},
    )
    assert answer.status_code == 400
    error = answer.get_json()["error"]
    assert error["field"] == "Idempotency-Key" and "identity code" in error["message"]
    assert not leaked(answer.get_data(as_text=True))
    assert session.execute(select(func.count(IntakeRecord.id))).scalar_one() == 0


def test_the_access_log_masks_codes_typed_into_addresses(scratch_postgres, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """gunicorn's access log writes each request line and referrer: an agent
    searching for an applicant's code, as typed or percent-encoded, leaves
    the mask there, not the code."""
    url = scratch_postgres.url.render_as_string(hide_password=False)
    prepare_database(url)
    port = free_port()
    env = desk_environment(database_url=url, instance=tmp_path / "instance", port=port)
    stack = Stack(env, port, tmp_path / "logs", web_workers=1)
    try:
        stack.start_web()
        client = HttpClient(stack.url)
        client.get(f"/console/search?q={CODES[0]}")
        client.get(f"/kb?q={quote(CODES[3])}")  # 211106%2B123A
        client.get("/kb", {"Referer": f"{stack.url}/console/search?q={CODES[1]}"})
        client.close()
    finally:
        stack.stop()
    log = (tmp_path / "logs" / "web.log").read_text()
    assert "GET /console/search?q=%5Bhenkil%C3%B6tunnus%20poistettu%5D" in log
    assert "GET /kb?q=%5Bhenkil%C3%B6tunnus%20poistettu%5D" in log
    assert not leaked(log), log[-2000:]
