"""A deadline-day peak on the web, on PostgreSQL and Redis for real: when a
web process is already taking two contacts through the intake inside
their requests, the next sender is not kept waiting behind them.  Their
enquiry is stored and they are told at once that it arrived and that its
number follows; the rq workers make the ticket and send the
acknowledgement.  Nothing is lost or doubled, and an integration that
got 202 gets the ticket by sending the same request again."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Engine, func, select, text
from werkzeug.test import TestResponse

from servicedesk import runtime as runtime_module
from servicedesk import tokens
from servicedesk.app import create_app
from servicedesk.models import IntakeRecord, Ticket
from servicedesk.queueing import INBOUND, RqJobQueue
from servicedesk.runtime import Runtime
from tests.conftest import prepare_database, work
from tests.fakes import RecordingMailSender
from tests.integration.portal_client import make_portal
from tests.integration.test_intake_concurrency import runtime_on, wait_until_blocked

pytestmark = [pytest.mark.postgres, pytest.mark.redis]

TICKET_NUMBER = re.compile(r"\d{4}-\d{6}")
ARRIVED = "Your message has arrived. We will send you its number by email or text message soon."


@pytest.fixture
def busy(
    scratch_postgres: Engine, tmp_path: Path, redis_url: str
) -> Iterator[tuple[Runtime, Flask]]:
    prepare_database(scratch_postgres)
    runtime = runtime_on(scratch_postgres, tmp_path, RecordingMailSender())
    runtime.jobs = RqJobQueue(redis_url)
    token = runtime_module.activate(runtime)  # for the rq jobs run in this thread
    app = create_app(runtime.settings, runtime)
    app.config.update(TESTING=True)
    try:
        yield runtime, app
    finally:
        runtime_module.deactivate(token)


def post_contact(app: Flask, number: int) -> TestResponse:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = f"10.9.0.{number}"
    return make_portal(app, client).post(
        "/contact?lang=en",
        {
            "name": f"Hakija {number}",
            "email": f"hakija{number}@example.org",
            "message": f"When does the joint application start? ({number})",
        },
    )


def meanwhile(request: Callable[[], TestResponse]) -> TestResponse:
    """The answer to ``request``, which must come while the two first
    enquiries still wait (not after: the test would wait for itself)."""
    answer: list[TestResponse] = []
    thread = threading.Thread(target=lambda: answer.append(request()), daemon=True)
    thread.start()
    thread.join(timeout=20)
    assert answer, "answered only after the enquiries taken in before it"
    return answer[0]


def test_a_sender_at_a_busy_moment_is_answered_at_once_and_the_workers_make_the_ticket(
    busy: tuple[Runtime, Flask],
) -> None:
    runtime, app = busy
    with runtime.db.transaction() as session:
        _row, secret = tokens.create(session, "peak", runtime.now())
    api = app.test_client()
    headers = {"Authorization": f"Bearer {secret}", "Idempotency-Key": "peak-api-0001"}
    enquiry = {"email": "integration@example.org", "body": "Is the application open?"}

    # Two enquiries are being taken in by this process, held before their
    # tickets are written (another transaction holds the tickets table).
    holder = runtime.db.sessions()
    holder.execute(text("LOCK TABLE tickets IN SHARE MODE"))
    answers: dict[int, TestResponse] = {}

    def send(number: int) -> None:
        answers[number] = post_contact(app, number)

    first = [threading.Thread(target=send, args=(n,)) for n in (1, 2)]
    try:
        for thread in first:
            thread.start()
        wait_until_blocked(runtime.db.engine, first[1], waiting=2)
        assert all(t.is_alive() for t in first), "both wait inside the intake"

        # The next sender and an integration are answered meanwhile.
        page = meanwhile(lambda: post_contact(app, 3))
        assert page.status_code == 200
        html = page.get_data(as_text=True)
        assert ARRIVED in html
        assert "ticket-number" not in html
        accepted = meanwhile(lambda: api.post("/api/v1/enquiries", json=enquiry, headers=headers))
        assert accepted.status_code == 202, accepted.get_json()
        assert accepted.get_json()["received"]["status"] == "received"
        # Both handed to the workers, and the second to the job the first queued.
        assert runtime.jobs.queue(INBOUND).count == 1, "one job for the two"
    finally:
        holder.rollback()
        holder.close()
    for thread in first:
        thread.join(timeout=60)
    for number in (1, 2):
        assert "ticket-number" in answers[number].get_data(as_text=True)

    work(runtime)

    with runtime.db.session() as session:
        assert session.execute(select(func.count(Ticket.id))).scalar_one() == 4
        statuses = session.execute(select(IntakeRecord.status)).scalars().all()
        assert sorted(statuses) == ["processed"] * 4
    mail = runtime.mail
    assert isinstance(mail, RecordingMailSender)
    for address in ["hakija1", "hakija2", "hakija3", "integration"]:
        (acknowledgement,) = mail.to(f"{address}@example.org")
        assert TICKET_NUMBER.search(acknowledgement.subject), acknowledgement.subject
    again = api.post("/api/v1/enquiries", json=enquiry, headers=headers)
    assert again.status_code == 200
    assert TICKET_NUMBER.fullmatch(again.get_json()["ticket"]["number"])


def test_at_a_busy_moment_with_redis_down_the_sender_waits_for_the_ticket(
    busy: tuple[Runtime, Flask],
) -> None:
    """Nothing would take a queued contact up before Redis is back: the
    third sender's enquiry is taken through in the request after all."""
    runtime, app = busy
    runtime.jobs = RqJobQueue("redis://127.0.0.1:1/0")  # nothing listens there
    holder = runtime.db.sessions()
    holder.execute(text("LOCK TABLE tickets IN SHARE MODE"))
    answers: dict[int, TestResponse] = {}

    def send(number: int) -> None:
        answers[number] = post_contact(app, number)

    senders = [threading.Thread(target=send, args=(n,)) for n in (1, 2, 3)]
    try:
        for count, thread in enumerate(senders, start=1):
            thread.start()
            wait_until_blocked(runtime.db.engine, thread, waiting=count)
        assert all(t.is_alive() for t in senders), "all three wait inside the intake"
    finally:
        holder.rollback()
        holder.close()
    for thread in senders:
        thread.join(timeout=60)
    for number in (1, 2, 3):
        assert "ticket-number" in answers[number].get_data(as_text=True)
    with runtime.db.session() as session:
        assert session.execute(select(func.count(Ticket.id))).scalar_one() == 3
