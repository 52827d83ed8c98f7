"""Migration 0004 (the search index) on both databases: it indexes what was
there before it, keeps indexing afterwards, goes down and up again, leaves
nothing autogenerate would want to drop, and on PostgreSQL the queries
reach the GIN indexes through the very expressions they index."""

from __future__ import annotations

import secrets
import warnings
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, select, text
from sqlalchemy.orm import Session

from servicedesk import schema, search, search_index
from servicedesk.db import make_engine
from servicedesk.models import Base, Message, Ticket, User
from tests.integration.console_kit import make_ticket

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
TRIGGERS = {
    f"{index}_{event}"
    for index in ("message_search", "ticket_search")
    for event in ("insert", "delete", "update")
}


def migrate(engine: Engine, revision: str, down: bool = False) -> None:
    with engine.begin() as connection:
        config = schema.alembic_config(connection=connection)
        (command.downgrade if down else command.upgrade)(config, revision)


def search_objects(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            rows = connection.execute(
                text(
                    "SELECT name FROM sqlite_master WHERE name LIKE '%search%' "
                    "AND type IN ('table', 'trigger')"
                )
            )
        else:
            rows = connection.execute(
                text(
                    "SELECT indexname FROM pg_indexes WHERE indexname LIKE 'ix_%_search' "
                    "UNION SELECT proname FROM pg_proc WHERE proname LIKE 'sd_search_%'"
                )
            )
        return set(rows.scalars())


def expected_objects(dialect: str) -> set[str]:
    if dialect == "sqlite":
        return TRIGGERS | {"message_search", "ticket_search"}
    return {"ix_messages_search", "ix_tickets_search", "sd_search_document", "sd_search_title"}


def check_round_trip(engine: Engine) -> None:
    migrate(engine, "0003")
    assert not search_objects(engine)
    with engine.begin() as connection:
        # A ticket from before the index exists, written as SQL: today's
        # models know columns that later migrations add.
        ticket_id = connection.execute(
            Ticket.__table__.insert().values(
                number="2025-000001",  # not from the counter: another year
                subject="Vanha hakemus",
                audience="applicant",
                channel="email",
                status_token=secrets.token_urlsafe(24),
                created_at=NOW,
                updated_at=NOW,
            )
        ).inserted_primary_key[0]
        connection.execute(
            Message.__table__.insert().values(
                ticket_id=ticket_id, direction="inbound", channel="email", body_text="Miten haen?"
            )
        )
    migrate(engine, "head")
    assert expected_objects(engine.dialect.name) <= search_objects(engine)
    with engine.connect() as connection, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "autogenerate skipping", UserWarning)
        context = MigrationContext.configure(
            connection, opts={"include_name": search_index.include_name}
        )
        assert compare_metadata(context, Base.metadata) == []
    with Session(engine) as session:
        admin = User(email="a@example.org", name="A", role="admin")
        session.add(admin)
        session.flush()
        make_ticket(session, NOW, queue=None, organization=None, subject="Uusi kysymys")  # type: ignore[arg-type]
        session.flush()
        for word in ("vanha", "uusi"):
            results = search.search(session, admin, search.parse(word))
            assert len(results.hits) == 1, word
        session.rollback()
    migrate(engine, "0003", down=True)
    assert not search_objects(engine)
    assert {"messages", "tickets"} <= set(inspect(engine).get_table_names())
    migrate(engine, "head")
    assert schema.is_up_to_date(engine)


def test_round_trip_on_sqlite(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'search.sqlite3'}")
    try:
        check_round_trip(engine)
    finally:
        engine.dispose()


def test_round_trip_on_postgresql(scratch_postgres: Engine) -> None:
    check_round_trip(scratch_postgres)


def test_the_triggers_exist_at_head(engine: Engine) -> None:
    """A later migration that rebuilds messages or tickets on SQLite drops
    the triggers with the old table; this catches it."""
    assert expected_objects(engine.dialect.name) <= search_objects(engine)


@pytest.mark.parametrize("engine", ["postgresql"], indirect=True)  # its expression indexes
def test_postgresql_queries_use_the_gin_indexes(engine: Engine) -> None:
    terms = search.parse('hakemus "antoi virheen" -omnia').terms
    statements = {
        "ix_messages_search": search_index.PostgresIndex().newest_messages(terms, [], 10),
        "ix_tickets_search": select(Ticket.id).where(
            search_index.title_document().op("@@")(search_index.tsquery(terms))
        ),
    }
    with engine.connect() as connection:
        # Neither a sequential scan nor walking another index in id order:
        # what is left is a bitmap scan of an index over the tsquery.
        connection.exec_driver_sql("SET enable_seqscan = off")
        connection.exec_driver_sql("SET enable_indexscan = off")
        for index, statement in statements.items():
            compiled = statement.compile(dialect=engine.dialect)
            plan = connection.exec_driver_sql("EXPLAIN " + str(compiled), compiled.params).scalars()
            assert index in "\n".join(plan), index
        connection.rollback()


def test_the_index_agrees_with_the_rows_and_rebuilds(rt, session) -> None:  # type: ignore[no-untyped-def]
    """Triggers kept the FTS5 index equal to its content tables (FTS5's own
    integrity check against the external content), and a rebuild keeps
    every ticket findable."""
    admin = User(email="rebuild@example.org", name="R", role="admin")
    session.add(admin)
    ticket = make_ticket(
        session, rt.now(), queue="national-triage", organization="national-desk", subject="Alku"
    )
    ticket.subject = "Muutettu otsikko"
    session.flush()
    if session.get_bind().dialect.name == "sqlite":
        for table in ("message_search", "ticket_search"):
            session.execute(
                text(f"INSERT INTO {table}({table}, rank) VALUES ('integrity-check', 1)")
            )
    search_index.index_for(session).rebuild(session)
    results = search.search(session, admin, search.parse("muutettu otsikko"))
    assert [h.ticket.number for h in results.hits] == [ticket.number]
