"""Full-text search over tickets: what a query means and which tickets it
finds, ranked, with highlighted passages.  No Flask here; the console's
search page parses the request and renders ``Results``.

A query is cut to ``MAX_QUERY`` characters and ``MAX_TERMS`` terms.  It
finds a ticket by

- its number (``2026-000123``, ``#2026-123``);
- a contact identity: an email address (whole or its beginning) or a phone
  number in any common form (``040 123 4567``, ``+358 40 1234567``,
  ``00358401234567``), normalised to E.164 with phonenumbers as the intake
  stores it;
- words of its subject or of any of its messages (notes included): every
  word must occur (Finnish inflections match on PostgreSQL, beginnings of
  words on both databases), ``"a phrase"`` in that order, ``-word`` not.

Only tickets the user may see (``access.visible``) and that pass the
caller's filters are looked at.  Each kind of match is bounded
(``CANDIDATES`` tickets, ``search_index`` ranks at most ``MESSAGE_SCAN``
newest matching messages), so results are the best ``MAX_RESULTS`` at most,
paged by number.  Passages come from the database's highlighter and are
split into ``Segment`` values; identity codes in them are masked again
(messages are masked at intake, an agent's note might not be).

How each database keeps its index up to date: see ``servicedesk.search_index``.

The subjects' matches and passages do not depend on the messages': a
caller that can run queries side by side (the console, ``beside``) hands
``search`` a ``Start`` and they are read on a session of their own while
the search reads the messages', so it waits for the slower of the two
rather than for their sum.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

import phonenumbers
from sqlalchemy import ColumnElement, select
from sqlalchemy.orm import Session, defer, joinedload

from servicedesk import access
from servicedesk.masking import IDENTITY_CODE, MASK
from servicedesk.models import ContactIdentity, Ticket, User
from servicedesk.numbering import format_number
from servicedesk.search_index import MARK_END, MARK_START, SearchIndex, Term, index_for

MAX_QUERY = 200
MAX_TERMS = 10
MAX_WORD = 64
CANDIDATES = 200
MESSAGE_SCAN = 2000
# Read until CANDIDATES tickets are found.  A first batch of 500, not 250:
# a word in one message of a hundred (ansökan) then needs one batch, not
# two (at a million tickets 130 ms against 230 ms), and a common word's
# walk stops a little later (hakemus: 3 ms against 2 ms).
MESSAGE_BATCHES = (500, MESSAGE_SCAN - 500)
MAX_RESULTS = 200
PAGE_SIZE = 25

# A searchable word: letters and digits, joined by @ . + - _ (an address,
# a number written 040-123); never a quote, backslash, colon or bracket.
WORD = re.compile(r"[^\W_](?:[\w@.+-]*[^\W_])?")
TERM = re.compile(r'(-?)"([^"]*)"?|(-?)([^\s"]+)')
NUMBER = re.compile(r"#?\s*(20\d\d)-(\d{1,9})")
PHONE_LIKE = re.compile(r"\+?[\d\s().\-/]{5,24}")
EMAIL_LIKE = re.compile(r"[^@\s]{0,64}@[^@\s]{0,190}")

Start = Callable[[Callable[[Session], Any]], Callable[[], Any]]
"""Starts a piece of a search on a session of its own, where it can, and
returns what takes its result."""


def in_turn(session: Session) -> Start:
    """The default ``Start``: the piece runs on the search's own session
    when its result is taken."""
    return lambda work: lambda: work(session)


# What a ticket gets for each kind of match, before the text rank.
WEIGHT_NUMBER = 1000.0
WEIGHT_IDENTITY = 100.0
WEIGHT_SUBJECT = 3.0


@dataclass(frozen=True, slots=True)
class Query:
    """A parsed query: what the user typed (cut) and what it looks for."""

    text: str
    terms: tuple[Term, ...] = ()
    number: str | None = None
    email: str | None = None
    phone: str | None = None
    cut: bool = False  # longer than MAX_QUERY or more than MAX_TERMS terms

    @property
    def has_words(self) -> bool:
        return any(not t.excluded for t in self.terms)

    @property
    def is_empty(self) -> bool:
        return not (self.has_words or self.number or self.email or self.phone)


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of a passage; ``marked`` pieces matched the query."""

    text: str
    marked: bool = False


@dataclass
class Hit:
    ticket: Ticket
    score: float
    matched: set[str] = field(default_factory=set)  # number, email, phone, subject, message
    message_id: int | None = None
    subject: tuple[Segment, ...] = ()
    passage: tuple[Segment, ...] = ()
    identities: list[ContactIdentity] = field(default_factory=list)


@dataclass
class Results:
    query: Query
    hits: list[Hit]
    total: int  # tickets found, at most MAX_RESULTS
    page: int
    pages: int
    page_size: int = PAGE_SIZE

    @property
    def first(self) -> int:
        """The position of this page's first hit in all the results."""
        return (self.page - 1) * self.page_size + 1

    @property
    def capped(self) -> bool:
        return self.total >= MAX_RESULTS


def _fold(value: str) -> str:
    return unicodedata.normalize("NFKC", value).casefold()


def _words(raw: str) -> tuple[str, ...]:
    return tuple(w[:MAX_WORD] for w in WORD.findall(_fold(raw)))


def normalise_phone(value: str) -> str | None:
    """E.164 for a phone number typed any common way, None otherwise."""
    if not PHONE_LIKE.fullmatch(value) or sum(c.isdigit() for c in value) < 6:
        return None
    digits = value.strip()
    candidates = [digits]
    if digits[:1].isdigit() and digits.startswith("358"):
        candidates.append("+" + digits)  # 358401234567, the plus forgotten
    for candidate in candidates:
        try:
            number = phonenumbers.parse(candidate, "FI")
        except phonenumbers.NumberParseException:
            continue
        if phonenumbers.is_possible_number(number):
            return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
    return None


def parse(raw: str | None) -> Query:
    """Make sense of what was typed into the search box."""
    raw = raw or ""
    # Whitespace runs collapse below, so four times the limit is plenty.
    cleaned = "".join(c if c.isprintable() else " " for c in raw[: MAX_QUERY * 4])
    text = " ".join(cleaned.split())
    cut = len(text) > MAX_QUERY or len(raw) > MAX_QUERY * 4
    text = text[:MAX_QUERY].strip()
    number = None
    if found := NUMBER.fullmatch(text):
        number = format_number(int(found.group(1)), int(found.group(2)))
    email = _fold(text) if EMAIL_LIKE.fullmatch(text) and len(text) > 1 else None
    phone = normalise_phone(text)
    terms: list[Term] = []
    for match in TERM.finditer(text):
        phrase_minus, phrase, word_minus, word = match.groups()
        words = _words(phrase if phrase is not None else word)
        if not words:
            continue
        if phrase is not None:
            terms.append(Term(words, excluded=bool(phrase_minus)))
        else:
            # "aino@example.org" or "040-123" is one word to the search.
            terms.extend(Term((w,), excluded=bool(word_minus)) for w in words)
    if len(terms) > MAX_TERMS:
        cut = True
        terms = terms[:MAX_TERMS]
    return Query(text, tuple(terms), number, email, phone, cut)


def _identity_tickets(
    session: Session, query: Query, where: Sequence[ColumnElement[bool]]
) -> dict[int, str]:
    """Tickets whose contact has the email address or phone number."""
    conditions: list[tuple[str, ColumnElement[bool]]] = []
    if query.phone:
        conditions.append(
            ("phone", (ContactIdentity.kind == "phone") & (ContactIdentity.value == query.phone))
        )
    if query.email:
        escaped = query.email.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        # "aino@" finds the addresses it begins, "@example.org" a domain.
        pattern = "%" + escaped if query.email.startswith("@") else escaped + "%"
        match = (ContactIdentity.value == query.email) | ContactIdentity.value.like(
            pattern, escape="\\"
        )
        conditions.append(("email", (ContactIdentity.kind == "email") & match))
    found: dict[int, str] = {}
    for kind, condition in conditions:
        rows = session.execute(
            select(Ticket.id)
            .join(ContactIdentity, ContactIdentity.contact_id == Ticket.contact_id)
            .where(condition, *where)
            .order_by(Ticket.id.desc())
            .limit(CANDIDATES)
        ).scalars()
        for ticket_id in rows:
            found.setdefault(ticket_id, kind)
    return found


@dataclass
class _Candidate:
    score: float = 0.0
    matched: set[str] = field(default_factory=set)
    message_id: int | None = None


def _score(
    session: Session, query: Query, where: Sequence[ColumnElement[bool]], start: Start
) -> dict[int, _Candidate]:
    """Every candidate ticket id with its score and what matched."""
    scored: dict[int, _Candidate] = {}

    def add(ticket_id: int, kind: str, score: float) -> _Candidate:
        candidate = scored.setdefault(ticket_id, _Candidate())
        candidate.score += score
        candidate.matched.add(kind)
        return candidate

    if query.number:
        numbered = session.execute(
            select(Ticket.id).where(Ticket.number == query.number, *where)
        ).scalar_one_or_none()
        if numbered is not None:
            add(numbered, "number", WEIGHT_NUMBER)
    for ticket_id, kind in _identity_tickets(session, query, where).items():
        add(ticket_id, kind, WEIGHT_IDENTITY)
    if query.has_words:
        # Each session its own index: it tunes its session's planner.
        subjects = start(
            lambda own: index_for(own).subject_hits(own, query.terms, where, CANDIDATES)
        )
        messages = _message_matches(session, index_for(session), query, where)
        for ticket_id, score in subjects():
            add(ticket_id, "subject", WEIGHT_SUBJECT * max(score, 0.0))
        for ticket_id, (score, message_id) in messages.items():
            add(ticket_id, "message", max(score, 0.0)).message_id = message_id
    return scored


def _message_matches(
    session: Session, index: SearchIndex, query: Query, where: Sequence[ColumnElement[bool]]
) -> dict[int, tuple[float, int]]:
    """The best matching message (score, id) of each of the newest
    CANDIDATES tickets with one.  The matches are read newest first in
    growing batches, at most MESSAGE_SCAN: the newest-first walk over the
    messages costs what it passes, so it stops as soon as enough tickets
    are found (for a word in one message of a hundred, 200 tickets are a
    few hundred matches, not the 2,000 of a fixed batch)."""
    best: dict[int, tuple[float, int]] = {}
    before = None
    for size in MESSAGE_BATCHES:
        hits = index.message_hits(session, query.terms, where, size, before)
        for ticket_id, message_id, score in hits:
            if ticket_id not in best and len(best) >= CANDIDATES:
                continue  # the newest CANDIDATES tickets with a matching message
            if score > best.get(ticket_id, (-math.inf, 0))[0]:
                best[ticket_id] = (score, message_id)
        if len(hits) < size or len(best) >= CANDIDATES:
            break
        before = min(message_id for _, message_id, _ in hits)
    return best


def search(
    session: Session,
    user: User,
    query: Query,
    *,
    where: Sequence[ColumnElement[bool]] = (),
    page: int = 1,
    page_size: int = PAGE_SIZE,
    start: Start | None = None,
) -> Results:
    """One page of the tickets ``user`` may see that match ``query`` and
    ``where`` (extra conditions on ``Ticket``), best first.  ``start``
    runs the subjects' part beside the rest (see the module's docstring)."""
    if query.is_empty:
        return Results(query, [], 0, 1, 0)
    start = start or in_turn(session)
    conditions = [access.visible(user), *where]
    scored = _score(session, query, conditions, start)
    ranked = sorted(scored.items(), key=lambda item: (-item[1].score, -item[0]))[:MAX_RESULTS]
    pages = max(1, math.ceil(len(ranked) / page_size))
    page = min(max(page, 1), pages)
    chosen = ranked[(page - 1) * page_size : page * page_size]
    tickets = {
        t.id: t
        for t in session.execute(
            select(Ticket)
            .where(Ticket.id.in_([ticket_id for ticket_id, _ in chosen]))
            .options(
                defer(Ticket.routing),  # the routing explanation: the ticket page shows it
                joinedload(Ticket.contact),
                joinedload(Ticket.organization),
                joinedload(Ticket.assignee),
                joinedload(Ticket.queue),
            )
        )
        .unique()
        .scalars()
    }
    hits = [
        Hit(tickets[ticket_id], c.score, c.matched, c.message_id)
        for ticket_id, c in chosen
        if ticket_id in tickets
    ]
    _decorate(session, query, hits, start)
    return Results(query, hits, len(ranked), page, pages, page_size)


def _decorate(session: Session, query: Query, hits: list[Hit], start: Start) -> None:
    """Passages, marked subjects and contact identities for one page."""
    if not hits:
        return
    if query.has_words:
        subject_ids = [h.ticket.id for h in hits if "subject" in h.matched]
        marked = (
            start(lambda own: index_for(own).subject_snippets(own, query.terms, subject_ids))
            if subject_ids
            else dict
        )
        message_ids = [h.message_id for h in hits if h.message_id is not None]
        passages = index_for(session).message_snippets(session, query.terms, message_ids)
        subjects: dict[int, str] = marked()
        for hit in hits:
            if hit.message_id in passages:
                hit.passage = segments(passages[hit.message_id or 0])
            if hit.ticket.id in subjects:
                hit.subject = segments(subjects[hit.ticket.id])
    contact_ids = sorted({h.ticket.contact_id for h in hits if h.ticket.contact_id is not None})
    identities: dict[int, list[ContactIdentity]] = {}
    if contact_ids:
        for identity in session.execute(
            select(ContactIdentity)
            .where(ContactIdentity.contact_id.in_(contact_ids))
            .order_by(ContactIdentity.id)
        ).scalars():
            identities.setdefault(identity.contact_id, []).append(identity)
    for hit in hits:
        if not hit.subject:
            hit.subject = (Segment(hit.ticket.subject),)
        hit.identities = identities.get(hit.ticket.contact_id or 0, [])


def segments(marked: str) -> tuple[Segment, ...]:
    """A highlighter's output as plain and marked pieces, with identity
    codes masked (also where a mark falls inside one)."""
    plain = marked.replace(MARK_START, "").replace(MARK_END, "")
    masked_spans = [m.span() for m in IDENTITY_CODE.finditer(plain)]
    pieces: list[Segment] = []
    current: list[str] = []
    is_marked = False
    position = 0  # index into ``plain``
    span_index = 0

    def flush() -> None:
        if current:
            pieces.append(Segment("".join(current), is_marked))
            current.clear()

    for char in marked:
        if char in (MARK_START, MARK_END):
            flush()
            is_marked = char == MARK_START
            continue
        while span_index < len(masked_spans) and masked_spans[span_index][1] <= position:
            span_index += 1
        if span_index < len(masked_spans) and masked_spans[span_index][0] <= position:
            if position == masked_spans[span_index][0]:
                current.append(MASK)
        else:
            current.append(char)
        position += 1
    flush()
    return tuple(p for p in pieces if p.text)
