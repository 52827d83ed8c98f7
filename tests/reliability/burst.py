"""A deadline-day burst: enquiries arriving at a fixed rate (open loop: a
slow desk does not slow the arrivals down, as it would not slow down the
applicants) through the API, the web form and signed SMS webhooks, while
simulated agents work the desk: the applicant desk's list, a ticket, now
and then an answer.  Every request is timed; anything but the expected
answer counts as an error.

``run_burst`` is used by tests/reliability/test_burst.py (small, in CI)
and by ``make bench`` (10,000 enquiries in 60 s with 50 agents).
"""

from __future__ import annotations

import math
import random
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from twilio.request_validator import RequestValidator

from tests.reliability.enquirers import DESK_SMS_NUMBER, text_of
from tests.reliability.http_client import HttpClient, hidden_fields, source_address

TICKET_LINK = re.compile(r'href="/console/tickets/(\d{4}-\d{6,})"')
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def percentiles_ms(values: Sequence[float]) -> dict[str, float | None]:
    """p50, p95, p99 and max of seconds, in milliseconds (nearest rank)."""
    if not values:
        return {"p50": None, "p95": None, "p99": None, "max": None}
    ordered = sorted(values)

    def rank(q: float) -> float:
        index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
        return round(ordered[index] * 1000, 2)

    return {"p50": rank(0.50), "p95": rank(0.95), "p99": rank(0.99), "max": rank(1.0)}


@dataclass
class Timings:
    """Latencies per kind of request, and errors per kind of failure."""

    latencies: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    errors: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def time(self, kind: str, call: Callable[[], bool]) -> bool:
        started = time.perf_counter()
        try:
            ok = call()
        except OSError as exc:
            ok = False
            with self.lock:
                self.errors[f"{kind}: {type(exc).__name__}"] += 1
            return False
        seconds = time.perf_counter() - started
        with self.lock:
            self.latencies[kind].append(seconds)
            if not ok:
                self.errors[f"{kind}: unexpected answer"] += 1
        return ok

    def summary(self) -> dict[str, Any]:
        return {
            kind: {
                "requests": len(values),
                **{f"{k}_ms": v for k, v in percentiles_ms(values).items()},
            }
            for kind, values in sorted(self.latencies.items())
        }


@dataclass
class Desk:
    base_url: str
    api_token: str
    twilio_token: str
    agent_emails: Sequence[str]
    agent_password: str


def _enquiry(desk: Desk, number: int, channel: str, timings: Timings) -> None:
    if channel == "api":
        client = HttpClient(desk.base_url, timeout=60)
        payload = {"email": f"burst.{number}@example.org", "body": text_of(number)}
        headers = {"Authorization": f"Bearer {desk.api_token}"}
        timings.time(
            "enquiry api",
            # 202: stored, its ticket made by the workers (a busy moment).
            lambda: client.post_json("/api/v1/enquiries", payload, headers).status in (201, 202),
        )
    elif channel == "sms":
        client = HttpClient(desk.base_url, timeout=60)
        form = {
            "MessageSid": f"SMburst{number:025d}",
            "AccountSid": "AC" + "0" * 32,
            "From": f"+35841{5000000 + number}",
            "To": DESK_SMS_NUMBER,
            "Body": text_of(number),
            "NumMedia": "0",
        }
        url = desk.base_url + "/webhooks/twilio/sms"
        signature = RequestValidator(desk.twilio_token).compute_signature(url, form)
        timings.time(
            "enquiry sms",
            lambda: (
                client.post_form(
                    "/webhooks/twilio/sms", form, {"X-Twilio-Signature": signature}
                ).status
                == 200
            ),
        )
    else:
        client = HttpClient(desk.base_url, source=source_address(number), timeout=60)

        def send_form() -> bool:
            page = client.get("/contact?lang=fi")
            fields = {
                **hidden_fields(page.text),
                "email": f"burst.{number}@example.org",
                "message": text_of(number),
                "website": "",
            }
            answer = client.post_form("/contact?lang=fi", fields)
            return answer.status == 200 and (
                "ticket-number" in answer.text or "ticket-pending" in answer.text
            )

        timings.time("enquiry form", send_form)
    client.close()


def _timed_text(timings: Timings, kind: str, client: HttpClient, path: str) -> str | None:
    """GET ``path`` timed as ``kind``; the page, or None when it failed."""
    found: list[str] = []

    def get() -> bool:
        answer = client.get(path)
        found.append(answer.text)
        return answer.status == 200

    return found[0] if timings.time(kind, get) and found else None


def _agent(desk: Desk, email: str, stop: threading.Event, timings: Timings, seed: int) -> None:
    rng = random.Random(seed)
    client = HttpClient(desk.base_url, timeout=60)
    login = client.get("/login")
    fields = {**hidden_fields(login.text), "email": email, "password": desk.agent_password}
    if not timings.time("agent sign-in", lambda: client.post_form("/login", fields).status == 302):
        return
    replies = 0
    while not stop.is_set():
        listing = _timed_text(timings, "agent desk list", client, "/console/desks/applicants/")
        numbers = TICKET_LINK.findall(listing or "")
        if numbers:
            number = rng.choice(numbers)
            page = _timed_text(timings, "agent ticket page", client, f"/console/tickets/{number}")
            token = CSRF.search(page or "")
            if token and rng.random() < 0.4:
                replies += 1
                form = {
                    "csrf_token": token.group(1),
                    "reply-body": f"Hei! Kiitos kysymyksestä. Vastaus {replies}.",
                    "reply-send": "1",
                }
                path = f"/console/tickets/{number}/reply"
                timings.time(
                    "agent reply", lambda p=path, f=form: client.post_form(p, f).status == 302
                )
        stop.wait(rng.uniform(0.5, 2.0))
    client.close()


def run_burst(
    desk: Desk,
    *,
    enquiries: int,
    seconds: float,
    channels: Sequence[str] = ("api", "form", "sms"),
    senders: int = 64,
    first: int = 0,
    cut_off: float | None = None,
) -> dict[str, Any]:
    """Offer ``enquiries`` evenly over ``seconds`` while the agents work.

    An arrival that is due but cannot even be sent ``cut_off`` seconds
    after the start (every sender is still waiting for the desk) is not
    sent, and counted as ``not_sent``: a bounded run of a desk that cannot
    keep up still ends, and says so."""
    timings = Timings()
    stop = threading.Event()
    agents = [
        threading.Thread(
            target=_agent, args=(desk, email, stop, timings, n), name=f"agent-{n}", daemon=True
        )
        for n, email in enumerate(desk.agent_emails)
    ]
    for agent in agents:
        agent.start()
    started = time.perf_counter()
    late: list[float] = []
    not_sent: list[int] = []

    def arrive(number: int) -> None:
        due = started + (number - first) * seconds / max(enquiries, 1)
        wait = due - time.perf_counter()
        if wait > 0:
            time.sleep(wait)
        else:
            late.append(-wait)
        if cut_off is not None and time.perf_counter() - started > cut_off:
            not_sent.append(number)
            return
        _enquiry(desk, number, channels[number % len(channels)], timings)

    with ThreadPoolExecutor(senders, thread_name_prefix="applicant") as pool:
        list(pool.map(arrive, range(first, first + enquiries)))
    elapsed = time.perf_counter() - started
    stop.set()
    for agent in agents:
        agent.join(timeout=60)
    accepted = sum(len(v) for k, v in timings.latencies.items() if k.startswith("enquiry")) - sum(
        n for k, n in timings.errors.items() if k.startswith("enquiry")
    )
    return {
        "offered": enquiries,
        "offered_seconds": seconds,
        "offered_per_second": round(enquiries / seconds, 1),
        "accepted": accepted,
        "seconds": round(elapsed, 2),
        "accepted_per_second": round(accepted / elapsed, 1) if elapsed else None,
        "arrivals_behind_schedule": len(late),
        "not_sent_desk_saturated": len(not_sent),
        "agents": len(desk.agent_emails),
        "requests": timings.summary(),
        "errors": dict(timings.errors),
    }
