"""Helpers for the console tests: users per role, tickets made directly
(fast, for permission and list tests), signing in through the real form
and reading CSRF tokens out of the pages, as a browser would."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

import pytest
from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from sqlalchemy.orm import Session

from servicedesk import mail_intake
from servicedesk.models import Contact, ContactIdentity, Message, Ticket, User
from servicedesk.numbering import next_number
from servicedesk.users import hash_password

PASSWORD = "console-test-password"
ROLE_ORGS = {
    "admin": None,
    "agent": "national-desk",
    "expert": "osao",
    "superuser": "osao",
    "helpdesk": "staff-helpdesk",
}
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@lru_cache(maxsize=1)
def password_hash() -> str:
    return hash_password(PASSWORD)


def make_user(
    session: Session,
    role: str,
    *,
    email: str | None = None,
    organization: str | None = "",
    **kw: Any,
) -> User:
    user = User(
        email=email or f"{role}-{secrets.token_hex(3)}@console.test",
        name=kw.pop("name", f"{role.title()} Tester"),
        role=role,
        organization_id=ROLE_ORGS[role] if organization == "" else organization,
        password_hash=password_hash(),
        languages=["fi", "en"],
        ui_language=kw.pop("ui_language", "en"),
        **kw,
    )
    session.add(user)
    session.flush()
    return user


def make_contact(
    session: Session,
    *,
    name: str = "Aino Hakija",
    email: str | None = None,
    phone: str | None = None,
    opted_out: datetime | None = None,
) -> Contact:
    contact = Contact(name=name)
    session.add(contact)
    session.flush()
    if email:
        session.add(ContactIdentity(contact_id=contact.id, kind="email", value=email))
    if phone:
        session.add(
            ContactIdentity(
                contact_id=contact.id, kind="phone", value=phone, sms_opted_out_at=opted_out
            )
        )
    session.flush()
    return contact


def make_ticket(
    session: Session,
    now: datetime,
    *,
    queue: str,
    organization: str,
    audience: str = "applicant",
    contact: Contact | None = None,
    channel: str = "email",
    status: str = "new",
    subject: str = "Kysymys hakemisesta",
    body: str = "Miten haen?",
    created_at: datetime | None = None,
    due_in: timedelta | None = timedelta(hours=8),
    **kw: Any,
) -> Ticket:
    created = created_at or now
    ticket = Ticket(
        number=next_number(session, created),
        subject=subject,
        status=status,
        audience=audience,
        channel=channel,
        queue_id=queue,
        organization_id=organization,
        contact_id=contact.id if contact else None,
        status_token=secrets.token_urlsafe(24),
        created_at=created,
        updated_at=created,
        due_at=created + due_in if due_in is not None else None,
        routing={"reasons": [f"test: routed to {queue}"]},
        **kw,
    )
    session.add(ticket)
    session.flush()
    add_first_message(session, ticket, contact, channel, subject, body, created)
    return ticket


def add_first_message(
    session: Session,
    ticket: Ticket,
    contact: Contact | None,
    channel: str,
    subject: str,
    body: str,
    created: datetime,
) -> Message:
    """The contact's opening message of a ticket made directly in a test."""
    message = Message(
        ticket_id=ticket.id,
        direction="inbound",
        channel=channel,
        author_contact_id=contact.id if contact else None,
        sender=next((i.value for i in contact.identities), "") if contact else "",
        sender_name=contact.name if contact else "",
        subject=subject,
        body_text=body,
        created_at=created,
    )
    session.add(message)
    session.flush()
    return message


def contact_writes_again(
    rt: Any, number: str, text: str, sender: str = "Aino <aino@example.org>"
) -> None:
    """A mail from the contact answering ticket ``number``, through the
    real intake (what an agent or an integration did not read yet)."""
    raw = (
        f"From: {sender}\r\nTo: neuvonta@desk.test\r\n"
        f"Subject: Re: [#{number}] Hakuaika\r\n"
        f"Message-ID: <{len(text)}.again@example.org>\r\n"
        f"Date: Mon, 30 Nov 2026 09:00:00 +0200\r\n\r\n{text}\r\n"
    ).encode()
    result = mail_intake.ingest(rt, raw, name="again.eml")
    assert result.ticket_number == number, result.describe()


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def sign_in(client: Any, user: User | str, password: str = PASSWORD) -> Any:
    """Through the real form: the token comes from the login page."""
    email = user if isinstance(user, str) else user.email
    page = client.get("/login")
    token = csrf_of(page.get_data(as_text=True))
    return client.post("/login", data={"csrf_token": token, "email": email, "password": password})


def post_form(client: Any, page_url: str, action: str, data: dict[str, Any]) -> Any:
    """POST ``data`` to ``action`` with the CSRF token read from ``page_url``."""
    page = client.get(page_url)
    assert page.status_code == 200, (page_url, page.status_code)
    return client.post(action, data={"csrf_token": csrf_of(page.get_data(as_text=True)), **data})


def fast_sign_in(client: Any, user: User) -> None:
    """A signed-in session without the argon2 round trip (for the tests
    that are about what a user may do, not about signing in): the same
    session flask-login writes after the real form."""
    with client.session_transaction() as s:
        s["_user_id"] = f"{user.id}:{user.session_version}"
        s["_fresh"] = True


def token(client: Any) -> str:
    """The session's CSRF token, read from a console page's form (it stays
    the same for the whole session, so it is read once)."""
    if not getattr(client, "csrf_token", None):
        client.csrf_token = csrf_of(client.get("/console/password").get_data(as_text=True))
    return str(client.csrf_token)


def send_answer(client: Any, number: str, body: str, **fields: Any) -> Any:
    """An agent's answer by email from the ticket page's reply form;
    ``fields`` adds to the form (``follow_redirects`` goes to the client)."""
    follow = fields.pop("follow_redirects", False)
    data = {
        "csrf_token": token(client),
        "reply-body": body,
        "reply-channel": "email",
        "reply-send": "1",
        **fields,
    }
    return client.post(f"/console/tickets/{number}/reply", data=data, follow_redirects=follow)


def speak_english(client: Any) -> Any:
    """Pages before signing in follow the browser: ask for English."""
    client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


class SharedBytecode(BytecodeCache):
    """Compiled templates shared by every app the tests create (each test
    gets a fresh app, and compiling the console's templates again for each
    one would dominate the run).  Keyed by Jinja on the template source,
    so an edited template is compiled anew."""

    store: dict[str, bytes] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        if bucket.key in self.store:
            bucket.bytecode_from_string(self.store[bucket.key])

    def dump_bytecode(self, bucket: Bucket) -> None:
        self.store[bucket.key] = bucket.bytecode_to_string()


@pytest.fixture
def app(app):  # type: ignore[no-untyped-def]
    """The conftest app, with compiled templates shared between tests."""
    app.jinja_env.bytecode_cache = SharedBytecode()
    return app
