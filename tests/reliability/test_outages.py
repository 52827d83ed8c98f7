"""Outages of what the desk stands on, with real processes: Redis gone
during intake, PostgreSQL restarted during intake.  (A provider down —
SMTP, Twilio — is in test_provider_outage.py; an IMAP connection cut in
IDLE is tests/integration/mail/test_mail_idle.py; SIGKILLed processes are
test_crash_safety.py.)"""

from __future__ import annotations

import contextlib
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from twilio.request_validator import RequestValidator

from servicedesk.queueing import MAINTENANCE, RqJobQueue
from tests.dovecot import DovecotServer
from tests.reliability.conftest import AGENT_PASSWORD, Desk, make_desk
from tests.reliability.enquirers import DESK_SMS_NUMBER, Enquirers, reference
from tests.reliability.http_client import HttpClient, hidden_fields, source_address
from tests.reliability.services import private_postgres, private_redis
from tests.reliability.settle import backlog, move_time_on, settle, tally, wait_quiet
from tests.reliability.stack import ManagedProcess, postgres_schema
from tests.smtp_server import SmtpServer
from tests.twilio_server import FakeTwilioServer

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.imap, pytest.mark.slow]


def send_all(enquirers: Enquirers, numbers: range, channels: tuple[str, ...]) -> None:
    jobs = [(n, channels[n % len(channels)]) for n in numbers]
    with ThreadPoolExecutor(6) as pool:
        list(pool.map(lambda job: enquirers.send(*job), jobs))


def assert_exactly_once(desk: Desk, count: int) -> None:
    result = tally(desk.database_url, desk.smtp, desk.twilio)
    expected = {reference(n) for n in range(count)}
    assert result.tickets == count, desk.stack.tails()
    assert set(result.references) == expected
    assert max(result.references.values()) == 1
    assert set(result.intake) <= {"processed"}, result.intake
    assert set(result.outbox) == {"sent"}, (result.outbox, result.failures[:5])
    assert result.never_delivered == 0
    assert result.mail_duplicates + result.sms_duplicates == 0


def test_redis_down_during_intake_loses_nothing(
    tmp_path: Path,
    database_url: str,
    smtp: SmtpServer,
    twilio: FakeTwilioServer,
    mailbox: DovecotServer,
) -> None:
    with private_redis() as redis:
        desk = make_desk(tmp_path, database_url, redis.url, smtp, twilio, mailbox, web_workers=1)
        stack = desk.stack
        try:
            stack.start_web()
            worker = stack.worker().start()
            enquirers = Enquirers(stack.url, desk.api_token, desk.twilio_token, desk.imap)
            channels = ("api", "form", "sms")
            send_all(enquirers, range(0, 6), channels)
            wait_quiet(desk.database_url, timeout=30)

            redis.stop()
            # Every channel still takes enquiries in: they are stored (and the
            # API's and the form's even made into tickets in the request).
            enquirers.deadline = 15
            send_all(enquirers, range(6, 24), channels)
            assert enquirers.outcome.accepted == {reference(n) for n in range(24)}
            waiting, pending, _sending = backlog(desk.database_url)
            assert waiting >= 6, "the SMS are stored, their jobs could not be queued"
            assert pending >= 12, "the acknowledgements are rows, waiting for Redis"
            time.sleep(2)
            assert worker.is_running, "the rq worker waits for Redis, it does not exit"

            redis.start()  # empty: whatever was queued before the outage is gone too
            settle(desk.database_url, redis.url, stack)
            assert_exactly_once(desk, 24)
        finally:
            stack.stop()


def _wait_for(condition, timeout: float = 30.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(Exception):  # Redis may still be starting
            if condition():
                return True
        time.sleep(0.2)
    return False


def test_the_worker_outlives_redis_going_away_mid_job(
    tmp_path: Path,
    database_url: str,
    smtp: SmtpServer,
    twilio: FakeTwilioServer,
    mailbox: DovecotServer,
) -> None:
    """Redis stops while a job runs, so the job's result cannot be stored:
    the worker waits for Redis instead of exiting, and works on when it
    is back."""
    with private_redis() as redis:
        desk = make_desk(tmp_path, database_url, redis.url, smtp, twilio, mailbox, web_workers=1)
        stack = desk.stack
        try:
            worker = stack.worker().start()
            queue = RqJobQueue(redis.url).queue(MAINTENANCE)
            slow = queue.enqueue("time.sleep", 3)
            assert _wait_for(lambda: slow.get_status(refresh=True) == "started"), stack.tails()
            redis.stop()
            time.sleep(5)  # the job ends; storing its result fails
            assert worker.is_running, stack.tails()
            redis.start()
            queue = RqJobQueue(redis.url).queue(MAINTENANCE)
            quick = queue.enqueue("time.sleep", 0)
            finished = _wait_for(lambda: quick.get_status(refresh=True) == "finished", 60)
            assert finished, stack.tails()
            assert worker.is_running
            # Asked to stop while Redis is away, it stops at once.
            redis.stop()
            time.sleep(3)
            asked = time.monotonic()
            worker.stop(timeout=10)
            assert time.monotonic() - asked < 5, stack.tails()
            assert worker.popen is not None and worker.popen.returncode == 0, stack.tails()
        finally:
            stack.stop()


def _signed_sms(url: str, token: str, number: int) -> tuple[dict[str, str], str]:
    form = {
        "MessageSid": f"SMoutage{number:024d}",
        "AccountSid": "AC" + "0" * 32,
        "From": f"+35840{8000000 + number}",
        "To": DESK_SMS_NUMBER,
        "Body": f"Tekstiviesti katkon aikana {number}",
        "NumMedia": "0",
    }
    return form, RequestValidator(token).compute_signature(url, form)


def _none_restarted(processes: list[ManagedProcess], before: list[list[int]]) -> bool:
    """Every process of every group is still the one it was: none died and
    came back under a new pid (gunicorn respawning a worker, a crash).  A
    group may have gained one: rq's scheduler process starts once the
    worker holds its lock, which may come after the first snapshot."""
    return all(set(pids) <= set(p.pids()) for p, pids in zip(processes, before, strict=True))


def test_postgres_restart_during_intake_answers_retry_and_recovers_without_restarts(
    tmp_path: Path,
    redis_url: str,
    smtp: SmtpServer,
    twilio: FakeTwilioServer,
    mailbox: DovecotServer,
) -> None:
    with private_postgres() as postgres, postgres_schema(postgres.url) as database_url:
        desk = make_desk(
            tmp_path, database_url, redis_url, smtp, twilio, mailbox, web_workers=1, agents=1
        )
        stack = desk.stack
        try:
            stack.start_web()
            processes = [stack.web(), stack.worker().start(), stack.poller().start()]
            enquirers = Enquirers(stack.url, desk.api_token, desk.twilio_token, desk.imap)
            channels = ("api", "form", "sms", "email")
            send_all(enquirers, range(0, 4), channels)
            pids_before = [p.pids() for p in processes]
            browser = HttpClient(stack.url, source=source_address(4242))
            form = hidden_fields(browser.get("/contact?lang=en").text)
            agent = HttpClient(stack.url)
            sign_in = {
                **hidden_fields(agent.get("/login").text),
                "email": "agent0@bench.test",
                "password": AGENT_PASSWORD,
            }
            assert agent.post_form("/login", sign_in).status == 302

            postgres.stop()
            try:
                sms_form, signature = _signed_sms(
                    stack.url + "/webhooks/twilio/sms", desk.twilio_token, 1
                )
                client = HttpClient(stack.url)
                answer = client.post_form(
                    "/webhooks/twilio/sms", sms_form, {"X-Twilio-Signature": signature}
                )
                assert answer.status == 503, "Twilio retries a 5xx"
                assert answer.headers.get("Retry-After")
                api = client.post_json(
                    "/api/v1/enquiries",
                    {"email": "outage@example.org", "body": "Onko haku auki?"},
                    {"Authorization": f"Bearer {desk.api_token}"},
                )
                assert api.status == 503
                assert api.json()["error"]["code"] == "unavailable"
                assert client.get("/healthz").status == 503
                page = browser.post_form(
                    "/contact?lang=en",
                    {**form, "email": "outage@example.org", "message": "Onko haku auki?"},
                )
                assert page.status == 503
                assert "Try again" in page.text, "the person is told to send it again"
                desk_list = agent.get("/console/desks/applicants/", {"Accept-Language": "en"})
                assert desk_list.status == 503, desk_list.text[:300]
                assert desk_list.headers.get("Retry-After")
                assert "Try again in a moment" in desk_list.text, "the agent is told to retry"
                assert "Service desk console" in desk_list.text, "in the console's layout"
                # A page that loads the user before its own error (a form
                # that expired, an address that does not exist) says so.
                expired = agent.post_form(
                    "/console/language",
                    {"csrf_token": "expired", "language": "fi"},
                    {"Accept-Language": "en"},
                )
                assert expired.status == 400, expired.text[:300]
                assert "The form had expired" in expired.text
                missing = agent.get("/console/no-such-page", {"Accept-Language": "en"})
                assert missing.status == 404, missing.text[:300]
                # Meanwhile enquiries keep coming and their senders keep trying.
                sending = threading.Thread(
                    target=send_all, args=(enquirers, range(4, 16), channels), daemon=True
                )
                sending.start()
                time.sleep(3)
            finally:
                postgres.start()
            sending.join(timeout=120)
            assert enquirers.outcome.accepted == {reference(n) for n in range(16)}
            # The same processes serve again: nothing was restarted.
            assert _none_restarted(processes, pids_before), stack.tails()
            assert all(p.is_running for p in processes)
            api = client.post_json(
                "/api/v1/enquiries",
                {"email": "after@example.org", "body": f"Viite {reference(16)}"},
                {"Authorization": f"Bearer {desk.api_token}"},
            )
            assert api.status == 201
            assert agent.get("/console/desks/applicants/").status == 200
            agent.close()
            client.close()
            browser.close()
            wait_quiet(database_url, timeout=60)
            move_time_on(database_url)  # what the periodic sweepers find later
            jobs = RqJobQueue(redis_url)
            jobs.enqueue(MAINTENANCE, "servicedesk.jobs.sweep_intake")
            jobs.enqueue(MAINTENANCE, "servicedesk.jobs.sweep_outbox")
            wait_quiet(database_url, timeout=60)
            assert _none_restarted(processes, pids_before), stack.tails()
            assert_exactly_once(desk, 17)
        finally:
            stack.stop()
