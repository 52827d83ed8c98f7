"""People and systems sending enquiries through every channel, the way the
real ones behave when the desk misbehaves: an integration retries its POST
with the same ``Idempotency-Key``, a browser sends the same form page
again, Twilio retries a webhook with the same ``MessageSid`` and a valid
signature, and a mail, once APPENDed to the mailbox, is the desk's to take.

An enquiry counts as *accepted* when the desk answered it with a 2xx (for
mail: when it was APPENDed).  Every enquiry carries a reference
(``REF-000123``) in its text and comes from a sender of its own, so each
must end as exactly one ticket whose first message holds it.
"""

from __future__ import annotations

import contextlib
import http.client
import random
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import make_msgid

from imapclient import IMAPClient
from twilio.request_validator import RequestValidator

from tests.reliability.http_client import HttpClient, hidden_fields, source_address

CHANNELS = ("api", "form", "sms", "email")
DESK_SMS_NUMBER = "+358401110000"
DESK_ADDRESS = "neuvonta@desk.test"


def reference(number: int) -> str:
    return f"REF-{number:06d}"


def text_of(number: int) -> str:
    return (
        f"Hei! Haluaisin tietää, milloin yhteishaku alkaa ja miten haen Oulussa. "
        f"Viite {reference(number)}."
    )


@dataclass
class Outcome:
    """What the senders saw: accepted references, attempts, answers."""

    accepted: set[str] = field(default_factory=set)
    attempts: int = 0
    refused: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def accept(self, ref: str) -> None:
        with self.lock:
            self.accepted.add(ref)

    def note(self, what: str) -> None:
        with self.lock:
            self.attempts += 1
            self.refused[what] = self.refused.get(what, 0) + 1


@dataclass
class Enquirers:
    """Sends enquiry ``number`` on its channel until the desk accepts it."""

    base_url: str
    api_token: str
    twilio_token: str
    imap: tuple[str, int, str, str]  # host, port, user, password
    outcome: Outcome = field(default_factory=Outcome)
    deadline: float = 120.0  # seconds one enquiry may take to be accepted

    def send(self, number: int, channel: str) -> None:
        sender = {
            "api": self._api,
            "form": self._form,
            "sms": self._sms,
            "email": self._email,
        }[channel]
        sender(number)

    def _retry(self, number: int, attempt: Callable[[], tuple[bool, str]]) -> None:
        ref = reference(number)
        give_up = time.monotonic() + self.deadline
        while time.monotonic() < give_up:
            try:
                ok, what = attempt()
            except (OSError, http.client.HTTPException) as exc:
                # refused, reset, timed out, cut off mid-answer: the server died
                ok, what = False, type(exc).__name__
            if ok:
                self.outcome.accept(ref)
                return
            self.outcome.note(what)
            time.sleep(random.uniform(0.1, 0.4))

    def _api(self, number: int) -> None:
        key = f"reliability-{number:06d}-{uuid.uuid4().hex[:6]}"
        payload = {
            "name": f"Api Hakija {number}",
            "email": f"api.{number}@example.org",
            "subject": "Yhteishaku",
            "body": text_of(number),
        }
        headers = {"Authorization": f"Bearer {self.api_token}", "Idempotency-Key": key}

        def attempt() -> tuple[bool, str]:
            client = HttpClient(self.base_url, timeout=30)
            try:
                answer = client.post_json("/api/v1/enquiries", payload, headers)
            finally:
                client.close()
            # 202: stored, its ticket made by the workers (a busy moment).
            return answer.status in (200, 201, 202), f"api-{answer.status}"

        self._retry(number, attempt)

    def _form(self, number: int) -> None:
        # One browser: the page is loaded once; the same page (submission id,
        # CSRF token) is sent again until the desk answers.
        client = HttpClient(self.base_url, source=source_address(number), timeout=30)
        fields: dict[str, str] = {}

        def attempt() -> tuple[bool, str]:
            try:
                if not fields:
                    page = client.get("/contact?lang=fi")
                    if page.status != 200:
                        return False, f"form-get-{page.status}"
                    fields.update(hidden_fields(page.text))
                    fields.update(
                        {
                            "name": f"Lomake Hakija {number}",
                            "email": f"form.{number}@example.org",
                            "phone": "",
                            "municipality": "",
                            "institution": "",
                            "topic": "",
                            "message": text_of(number),
                            "website": "",
                        }
                    )
                answer = client.post_form("/contact?lang=fi", fields)
            except OSError:
                client.close()
                raise
            ok = answer.status == 200 and (
                "ticket-number" in answer.text or "ticket-pending" in answer.text
            )
            return ok, f"form-{answer.status}"

        try:
            self._retry(number, attempt)
        finally:
            client.close()

    def _sms(self, number: int) -> None:
        form = {
            "MessageSid": f"SM{number:06d}{uuid.uuid4().hex[:26]}",
            "AccountSid": "AC" + "0" * 32,
            "From": f"+35840{7000000 + number}",
            "To": DESK_SMS_NUMBER,
            "Body": text_of(number),
            "NumMedia": "0",
        }
        url = self.base_url + "/webhooks/twilio/sms"
        signature = RequestValidator(self.twilio_token).compute_signature(url, form)

        def attempt() -> tuple[bool, str]:
            client = HttpClient(self.base_url, timeout=30)
            try:
                answer = client.post_form(
                    "/webhooks/twilio/sms", form, {"X-Twilio-Signature": signature}
                )
            finally:
                client.close()
            return 200 <= answer.status < 300, f"sms-{answer.status}"

        self._retry(number, attempt)

    def _email(self, number: int) -> None:
        mail = EmailMessage()
        mail["From"] = f"Posti Hakija {number} <mail.{number}@example.org>"
        mail["To"] = DESK_ADDRESS
        mail["Subject"] = f"Kysymys yhteishausta {number}"
        mail["Message-ID"] = make_msgid(domain="example.org")
        mail.set_content(text_of(number))
        host, port, user, password = self.imap

        def attempt() -> tuple[bool, str]:
            client = IMAPClient(host, port=port, ssl=False, timeout=30)
            try:
                client.login(user, password)
                client.append("INBOX", mail.as_bytes())
            finally:
                with contextlib.suppress(Exception):  # the append is what matters
                    client.logout()
            return True, "email"

        self._retry(number, attempt)


def plan(count: int, seed: int = 8) -> list[tuple[int, str]]:
    """``count`` enquiries spread evenly over the channels, in random order."""
    order = [(number, CHANNELS[number % len(CHANNELS)]) for number in range(count)]
    random.Random(seed).shuffle(order)
    return order
