"""A desk's history at scale, loaded fast: ``--tickets`` tickets (default a
million) with their contacts, 1–6 messages each (3.4 on average), a few
attachments, audit events and satisfaction surveys, in a PostgreSQL
database of its own, through COPY.

The enquiries come from ``servicedesk.sample_data`` (Finnish, Swedish and
English in proportion, every region, the seasonal peaks and quiet
weekends) spread over ``--years`` years up to ``--until``; each is routed
by the real routing engine (``routing.decide`` on the shipped directory,
memoised per distinct enquiry: the sample texts repeat), so queues,
organisations, regions, topics and the routing reasons are what the desk
itself would have written.  Older tickets are closed, the last weeks' are
new, open or waiting, as on a real desk.

Secondary indexes of the loaded tables are dropped before the COPY and
built again afterwards (as ``pg_restore`` does), and foreign keys are not
checked row by row (``session_replication_role = replica``): the data is
consistent by construction.  Then ANALYZE.

    python bench/generate.py --tickets 1000000 --database sd_bench_scale
"""

from __future__ import annotations

import argparse
import hashlib
import json
import random
import secrets
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from common import DEFAULT_POSTGRES, database_url, machine, recreate_database, write_result
from sqlalchemy import text

from channels.message import Channel
from routing import Directory, RoutingDecision, RoutingRequest, decide
from servicedesk import directory_store, schema
from servicedesk.db import Database
from servicedesk.models import User
from servicedesk.sample_data import day_weights, enquiries, thread
from servicedesk.users import add_user

BIG_TABLES = (
    "tickets",
    "messages",
    "contacts",
    "contact_identities",
    "audit_events",
    "attachments",
    "surveys",
)
AGENTS = 50
AGENT_PASSWORD = "bench-agent-password"
DESK_ADDRESS = "neuvonta@example.fi"
STAFF_DESK_ADDRESS = "tuki@example.fi"
STATUS_RECENT = (("new", 25), ("open", 30), ("pending", 20), ("resolved", 15), ("closed", 10))


@dataclass
class Counters:
    ticket: int = 0
    message: int = 0
    contact: int = 0
    identity: int = 0
    event: int = 0
    attachment: int = 0
    survey: int = 0


def prepare(url: str) -> tuple[Directory, list[int]]:
    """Migrate, load the directory, add the agents; the routing snapshot
    and the agents' ids."""
    database = Database.connect(url)
    try:
        schema.upgrade(database.engine)
        with database.transaction() as session:
            directory_store.load(session, _root() / "config" / "directory")
        with database.transaction() as session:
            for number in range(AGENTS):
                add_user(
                    session,
                    f"agent{number}@bench.test",
                    name=f"Agent {number}",
                    role="agent",
                    organization_id="national-desk",
                    password=AGENT_PASSWORD if number == 0 else None,
                    languages=["fi", "sv", "en"],
                )
        with database.session() as session:
            directory = directory_store.current(session)
            agents = [u.id for u in session.query(User).order_by(User.id)]
        return directory, agents
    finally:
        database.dispose()


def _root() -> Any:
    from common import ROOT

    return ROOT


class Router:
    """``decide`` memoised on what it reads of the generated enquiries."""

    def __init__(self, directory: Directory, now: datetime) -> None:
        self.directory = directory
        self.now = now
        self.cache: dict[tuple[Any, ...], RoutingDecision] = {}

    def route(self, request: RoutingRequest) -> RoutingDecision:
        key = (
            request.audience,
            request.channel,
            request.subject,
            request.text,
            request.language,
            request.sender_email.split("@")[-1] if request.sender_email else None,
        )
        found = self.cache.get(key)
        if found is None:
            found = self.cache[key] = decide(request, self.directory, self.now)
        return found


def secondary_indexes(connection: Any) -> list[tuple[str, str]]:
    """(name, CREATE statement) of the loaded tables' indexes that no
    constraint owns."""
    rows = connection.execute(
        """
        SELECT i.indexname, i.indexdef FROM pg_indexes i
        WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
          AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
        ORDER BY i.tablename, i.indexname
        """,
        (list(BIG_TABLES),),
    ).fetchall()
    return [(name, definition) for name, definition in rows]


#: The indexes the derived columns' backfill reads (``fill_derived``).
READ_BY_TICKET = frozenset({"ix_messages_ticket_id_id", "ix_audit_events_ticket_id_id"})


def create_indexes(admin: Any, indexes: list[tuple[str, str]]) -> None:
    admin.execute("SET maintenance_work_mem = '1GB'")
    admin.execute("SET max_parallel_maintenance_workers = 2")
    for _name, definition in indexes:
        admin.execute(definition)


def columns_of(connection: Any, table: str) -> list[str]:
    rows = connection.execute(
        "SELECT column_name FROM information_schema.columns "
        "WHERE table_schema = current_schema() AND table_name = %s ORDER BY ordinal_position",
        (table,),
    ).fetchall()
    return [r[0] for r in rows]


class Writer:
    """One COPY per table, each on a connection of its own, all open at once."""

    def __init__(self, url: str, stack: ExitStack) -> None:
        import psycopg

        self.url = url.replace("postgresql+psycopg://", "postgresql://")
        self.stack = stack
        self.connections: dict[str, Any] = {}
        self.copies: dict[str, Any] = {}
        self.columns: dict[str, list[str]] = {}
        self.psycopg = psycopg

    def open(self, table: str, columns: list[str]) -> None:
        connection = self.stack.enter_context(self.psycopg.connect(self.url))
        connection.execute("SET session_replication_role = replica")
        known = set(columns_of(connection, table))
        missing = [c for c in columns if c not in known]
        if missing:
            raise SystemExit(f"{table} has no column {missing}: the generator is out of date")
        cursor = connection.cursor()
        copy = self.stack.enter_context(
            cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN")
        )
        self.connections[table] = connection
        self.copies[table] = copy
        self.columns[table] = columns

    def row(self, table: str, values: tuple[Any, ...]) -> None:
        self.copies[table].write_row(values)


TICKET_COLUMNS = [
    "id", "number", "subject", "status", "audience", "channel", "priority", "topic", "language",
    "region_code", "municipality_code", "queue_id", "organization_id", "assignee_id",
    "contact_id", "status_token", "routing", "masked_codes", "created_at", "updated_at",
    "last_contact_at", "first_response_at", "due_at", "resolved_at", "closed_at",
]  # fmt: skip
MESSAGE_COLUMNS = [
    "id", "ticket_id", "direction", "channel", "external_id", "email_message_id",
    "author_user_id", "author_contact_id", "sender", "sender_name", "recipient", "subject",
    "body_text", "auto_kind", "needs_review", "is_public", "delivery_status", "masked_codes",
    "created_at",
]  # fmt: skip
CONTACT_COLUMNS = ["id", "name", "language", "region_code", "staff_organization_id", "created_at"]
IDENTITY_COLUMNS = ["id", "contact_id", "kind", "value", "created_at"]
EVENT_COLUMNS = [
    "id",
    "ticket_id",
    "actor_user_id",
    "actor",
    "kind",
    "reason",
    "data",
    "created_at",
]
ATTACHMENT_COLUMNS = [
    "id", "message_id", "filename", "content_type", "size", "sha256", "storage_key",
    "is_inline", "created_at",
]  # fmt: skip
SURVEY_COLUMNS = [
    "id", "ticket_id", "token_hash", "language", "channel", "sent_at", "expires_at", "score",
    "comment", "answered_at", "created_at",
]  # fmt: skip


def migrate(url: str) -> None:
    """Upgrade a database generated by an earlier version of the code."""
    database = Database.connect(url)
    try:
        with database.session() as session:
            before = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
        started = time.perf_counter()
        schema.upgrade(database.engine)
        with database.session() as session:
            after = session.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        database.dispose()
    print(f"schema {before} -> {after} in {time.perf_counter() - started:.1f} s")


def fill_derived(url: str) -> float:
    """Fill what the models keep on the rows as events are flushed (the
    business-hours durations of migration 0005, the hourly counts of 0009),
    the way the migrations fill the rows already there; seconds taken."""
    try:
        from servicedesk.models.durations import backfill
    except ImportError:  # a schema from before the durations were kept
        return 0.0
    fills: list[Callable[[Any], int]] = [backfill]
    with suppress(ImportError):  # none before the hourly counts
        from servicedesk.models.counts import rebuild

        fills.append(rebuild)
    started = time.perf_counter()
    database = Database.connect(url)
    try:
        with database.engine.begin() as connection:
            for fill in fills:
                fill(connection)
    finally:
        database.dispose()
    return time.perf_counter() - started


def moments(count: int, until: datetime, years: int, rng: random.Random) -> Iterator[datetime]:
    """``count`` arrival times in order over ``years`` years up to ``until``,
    following the sample data's seasons and weekdays, office hours heavier."""
    days = 365 * years
    start = until - timedelta(days=days)
    weights = day_weights(start, days)
    picked = sorted(rng.choices(range(days), weights=weights, k=count))
    hours = [7, 8, 9, 9, 10, 10, 11, 12, 13, 13, 14, 15, 16, 18, 20, 22]
    for day in picked:
        yield start + timedelta(
            days=day, hours=rng.choice(hours), minutes=rng.randrange(60), seconds=rng.randrange(60)
        )


def generate(url: str, count: int, *, seed: int, until: datetime, years: int) -> dict[str, Any]:
    import psycopg

    started = time.perf_counter()
    directory, agents = prepare(url)
    prepared = time.perf_counter() - started
    router = Router(directory, until)
    plain = url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(plain, autocommit=True) as admin:
        indexes = secondary_indexes(admin)
        for name, _definition in indexes:
            admin.execute(f'DROP INDEX "{name}"')
    rng = random.Random(seed)
    counters = Counters()
    samples = enquiries(count, seed=seed, days=365)
    numbers: dict[int, int] = {}
    contacts_by_address: dict[str, int] = {}
    recent_addresses: list[str] = []
    recent = until - timedelta(days=21)
    with ExitStack() as stack:
        out = Writer(url, stack)
        for table, columns in (
            ("tickets", TICKET_COLUMNS),
            ("messages", MESSAGE_COLUMNS),
            ("contacts", CONTACT_COLUMNS),
            ("contact_identities", IDENTITY_COLUMNS),
            ("audit_events", EVENT_COLUMNS),
            ("attachments", ATTACHMENT_COLUMNS),
            ("surveys", SURVEY_COLUMNS),
        ):
            out.open(table, columns)
        for sample, created in zip(samples, moments(count, until, years, rng), strict=True):
            message = sample.message
            counters.ticket += 1
            ticket_id = counters.ticket
            numbers[created.year] = numbers.get(created.year, 0) + 1
            number = f"{created.year}-{numbers[created.year]:06d}"
            # A fifth of the askers have asked before (the same address).
            address = message.sender_address
            if rng.random() < 0.2 and recent_addresses:
                address = rng.choice(recent_addresses)
            contact_id = contacts_by_address.get(address)
            sender_email = address if "@" in address else None
            decision = router.route(
                RoutingRequest(
                    audience=sample.audience,
                    channel=message.channel.value,
                    subject=message.subject,
                    text=message.text,
                    language=message.hints.language,
                    sender_email=sender_email,
                )
            )
            if contact_id is None:
                counters.contact += 1
                contact_id = counters.contact
                contacts_by_address[address] = contact_id
                recent_addresses.append(address)
                if len(recent_addresses) > 5000:
                    del recent_addresses[:1000]
                organization = decision.organization_id if sample.audience == "staff" else None
                out.row(
                    "contacts",
                    (contact_id, message.sender_name, decision.language, decision.region,
                     organization, created),
                )  # fmt: skip
                counters.identity += 1
                out.row(
                    "contact_identities",
                    (counters.identity, contact_id, "email" if sender_email else "phone",
                     address, created),
                )  # fmt: skip
            conversation = thread(sample, rng)
            last = created + (conversation[-1].after if conversation else timedelta(0))
            answered = next((m.after for m in conversation if m.direction == "outbound"), None)
            if created < recent:
                status = "closed" if rng.random() < 0.93 else "resolved"
            else:
                status = rng.choices(
                    [s for s, _ in STATUS_RECENT], weights=[w for _, w in STATUS_RECENT]
                )[0]
            done = status in ("resolved", "closed")
            resolved_at = last + timedelta(hours=1) if done else None
            closed_at = last + timedelta(days=7) if status == "closed" else None
            assignee = rng.choice(agents) if status != "new" else None
            due = created + timedelta(hours=8 if sample.audience == "applicant" else 24)
            subject = message.subject or message.text[:60]
            out.row(
                "tickets",
                (
                    ticket_id, number, subject, status, sample.audience, message.channel.value,
                    decision.priority, decision.topic, decision.language, decision.region,
                    decision.municipality, decision.queue_id, decision.organization_id, assignee,
                    contact_id, secrets.token_urlsafe(24),
                    json.dumps(
                        {"rule": decision.rule_id, "reasons": [r.text for r in decision.reasons],
                         "steps": [r.step for r in decision.reasons]},
                        ensure_ascii=False,
                    ),
                    0, created, closed_at or resolved_at or last, last,
                    created + answered if answered else None, due, resolved_at, closed_at,
                ),
            )  # fmt: skip
            desk = STAFF_DESK_ADDRESS if sample.audience == "staff" else DESK_ADDRESS
            counters.message += 1
            first_id = counters.message
            is_mail = message.channel in (Channel.EMAIL,)
            out.row(
                "messages",
                (
                    first_id, ticket_id, "inbound", message.channel.value, message.external_id,
                    f"<{message.external_id}>" if is_mail else None, None, contact_id, address,
                    message.sender_name, desk, message.subject, message.text, "none", False,
                    True, None, 0, created,
                ),
            )  # fmt: skip
            for attachment in message.attachments:
                counters.attachment += 1
                digest = hashlib.sha256(attachment.data).hexdigest()
                out.row(
                    "attachments",
                    (counters.attachment, first_id, attachment.filename, attachment.content_type,
                     len(attachment.data), digest, f"{digest[:2]}/{digest}", False, created),
                )  # fmt: skip
            for reply in conversation:
                counters.message += 1
                at = created + reply.after
                outbound = reply.direction == "outbound"
                author = assignee or rng.choice(agents)
                out.row(
                    "messages",
                    (
                        counters.message, ticket_id, reply.direction, message.channel.value,
                        None if outbound else f"{message.external_id}-{counters.message}",
                        None, author if outbound else None, None if outbound else contact_id,
                        desk if outbound else address, "" if outbound else message.sender_name,
                        address if outbound else desk, f"Re: {subject}"[:500], reply.text,
                        "none", False, True, "delivered" if outbound else None, 0, at,
                    ),
                )  # fmt: skip
            for kind, reason, at in (
                ("created", f"new {message.channel.value} enquiry", created),
                ("routed", "; ".join(r.text for r in decision.reasons)[:500], created),
            ) + ((("status_changed", status, closed_at or resolved_at),) if done else ()):
                counters.event += 1
                out.row(
                    "audit_events",
                    (counters.event, ticket_id, None, "system", kind, reason, "{}", at),
                )
            if status == "closed" and rng.random() < 0.2:
                counters.survey += 1
                sent = closed_at or last
                score = (
                    rng.choices([1, 2, 3], weights=[15, 25, 60])[0] if rng.random() < 0.6 else None
                )
                out.row(
                    "surveys",
                    (counters.survey, ticket_id, secrets.token_hex(32), decision.language,
                     message.channel.value, sent, sent + timedelta(days=14), score, "",
                     sent + timedelta(hours=3) if score else None, sent),
                )  # fmt: skip
        generated = time.perf_counter() - started
    loaded = time.perf_counter() - started
    # The derived columns read each batch's messages and events by ticket:
    # without those two indexes every batch was two sequential scans
    # (about 2 s a batch, 35 min for a million tickets).  The others come
    # after, so the updates do not maintain them.  The tables are analysed
    # first: with no statistics on the freshly copied rows PostgreSQL
    # expects every row to match a batch's ticket ids and scans the whole
    # table anyway (seen: 2 s a batch with the index in place).
    first = [(n, d) for n, d in indexes if n in READ_BY_TICKET]
    with psycopg.connect(plain, autocommit=True) as admin:
        create_indexes(admin, first)
        admin.execute("ANALYZE messages, audit_events")
    derived = fill_derived(url)
    with psycopg.connect(plain, autocommit=True) as admin:
        create_indexes(admin, [(n, d) for n, d in indexes if n not in READ_BY_TICKET])
        indexed = time.perf_counter() - started
        for table, counter in (
            ("tickets", counters.ticket),
            ("messages", counters.message),
            ("contacts", counters.contact),
            ("contact_identities", counters.identity),
            ("audit_events", counters.event),
            ("attachments", counters.attachment),
            ("surveys", counters.survey),
        ):
            admin.execute(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), %s)", (max(counter, 1),)
            )
        for year, value in numbers.items():
            admin.execute(
                "INSERT INTO ticket_counters (year, last_value) VALUES (%s, %s) "
                "ON CONFLICT (year) DO UPDATE SET last_value = EXCLUDED.last_value",
                (year, value),
            )
        admin.execute("VACUUM ANALYZE")
    finished = time.perf_counter() - started
    return {
        "tickets": counters.ticket,
        "messages": counters.message,
        "contacts": counters.contact,
        "audit_events": counters.event,
        "attachments": counters.attachment,
        "surveys": counters.survey,
        "distinct_routing_decisions": len(router.cache),
        "seconds_migrate_and_directory": round(prepared, 1),
        "seconds_generate_and_copy": round(generated - prepared, 1),
        "seconds_derived_columns": round(derived, 1),
        "seconds_until_indexed": round(indexed - loaded - derived, 1),
        "seconds_total": round(finished, 1),
        "secondary_indexes_rebuilt": len(indexes),
        "until": until.isoformat(),
        "years": years,
        "seed": seed,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--database", default="sd_bench_scale")
    parser.add_argument("--postgres", default=DEFAULT_POSTGRES)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--until", default="2026-11-30T12:00:00+00:00")
    parser.add_argument(
        "--migrate-only",
        action="store_true",
        help="bring an existing database to the code's schema, generating nothing",
    )
    args = parser.parse_args()
    if args.migrate_only:
        migrate(database_url(args.postgres, args.database))
        return
    url = recreate_database(args.postgres, args.database)
    result = generate(
        url,
        args.tickets,
        seed=args.seed,
        until=datetime.fromisoformat(args.until).astimezone(UTC),
        years=args.years,
    )
    result["database"] = args.database
    result["machine"] = machine()
    path = write_result("generate", result)
    print(json.dumps(result, indent=2))
    print(f"written to {path}")
    print(f"database: {database_url(args.postgres, args.database)}")


if __name__ == "__main__":
    main()
