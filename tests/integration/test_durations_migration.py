"""Migration 0005 (durations kept on the rows, the retention index) on both
databases: tickets written before it get the figures the reports used to
compute at read time, the schema is what the models describe, the search
triggers of 0004 survive on SQLite, and it goes down and up again."""

from __future__ import annotations

import secrets
import warnings
from datetime import date
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, inspect, select, text
from sqlalchemy.orm import Session

from servicedesk import directory_store, report_durations, reports, schema, search_index
from servicedesk.db import make_engine
from servicedesk.models import AuditEvent, Base, Message, Ticket
from servicedesk.models.durations import backfill
from servicedesk.report_time import ReportFilter
from tests.integration.issue7_kit import at

DIRECTORY = Path(__file__).resolve().parents[2] / "config" / "directory"
MARCH = ReportFilter.for_days(date(2026, 3, 1), date(2026, 3, 31))
NEW_COLUMNS = {"first_response_hours", "resolution_hours"}
INDEX = "ix_tickets_audience_closed_at"


def migrate(engine: Engine, revision: str, down: bool = False) -> None:
    with engine.begin() as connection:
        config = schema.alembic_config(connection=connection)
        (command.downgrade if down else command.upgrade)(config, revision)


class Legacy:
    """Rows as the code before 0005 wrote them, in plain SQL (today's
    models know columns 0004 does not have)."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.count = 0

    def ticket(self, created: str, org: str = "national-desk", **fields: Any) -> int:
        self.count += 1
        queue = {"national-desk": "national-triage", "osao": "osao-applicants"}[org]
        return int(
            self.connection.execute(
                Ticket.__table__.insert().values(
                    number=f"2025-{self.count:06d}",
                    audience="applicant",
                    channel="email",
                    status_token=secrets.token_urlsafe(24),
                    queue_id=queue,
                    organization_id=org,
                    created_at=at(created),
                    updated_at=at(created),
                    **fields,
                )
            ).inserted_primary_key[0]
        )

    def move(self, ticket: int, when: str, kind: str, data: dict[str, str]) -> None:
        self.connection.execute(
            AuditEvent.__table__.insert().values(
                ticket_id=ticket, actor="system", kind=kind, data=data, created_at=at(when)
            )
        )

    def answer(self, ticket: int, when: str, auto: str = "none") -> None:
        self.connection.execute(
            Message.__table__.insert().values(
                ticket_id=ticket,
                direction="outbound",
                channel="email",
                body_text="vastaus",
                auto_kind=auto,
                created_at=at(when),
            )
        )


def write_legacy(engine: Engine) -> dict[str, int]:
    """The data sets of test_reports (response times; institutions)."""
    with Session(engine) as session:
        directory_store.load(session, DIRECTORY)
        session.commit()
    with engine.begin() as connection:
        old = Legacy(connection)
        ids = {
            "answered": old.ticket(
                "2026-03-02 08:00",
                first_response_at=at("2026-03-02 10:00"),
                resolved_at=at("2026-03-03 08:00"),
            ),
            "friday": old.ticket("2026-03-06 12:00", first_response_at=at("2026-03-09 08:00")),
        }
        old.ticket(
            "2026-03-04 06:00",
            first_response_at=at("2026-03-04 14:00"),
            resolved_at=at("2026-03-05 14:00"),
        )
        old.ticket(
            "2026-03-03 10:00",
            first_response_at=at("2026-03-03 11:00"),
            resolved_at=at("2026-03-03 13:00"),
        )
        old.ticket("2026-03-05 10:00")
        forwarded = {"from_organization": "national-desk", "to_organization": "osao"}
        one = old.ticket("2026-03-02 08:00", org="osao")
        old.move(one, "2026-03-02 09:00", "forwarded", forwarded)
        old.answer(one, "2026-03-02 09:30", auto="auto_reply")
        old.answer(one, "2026-03-02 11:00")
        two = old.ticket("2026-03-03 06:00", org="osao")
        old.move(two, "2026-03-03 07:00", "forwarded", forwarded)
        old.move(
            two,
            "2026-03-04 08:00",
            "returned_to_region",
            {"from_organization": "osao", "to_organization": "pohjois-pohjanmaa-desk"},
        )
        old.answer(two, "2026-03-04 09:00")
        three = old.ticket("2026-03-05 07:00", org="osao")
        old.answer(three, "2026-03-05 12:00")
        old.ticket("2026-03-06 07:00", org="osao")
        ids["one"] = one
    return ids


def check_figures(engine: Engine, ids: dict[str, int]) -> None:
    with Session(engine) as session:
        answered = session.get(Ticket, ids["answered"])
        friday = session.get(Ticket, ids["friday"])
        assert answered is not None and friday is not None
        assert (answered.first_response_hours, answered.resolution_hours) == (2.0, 8.0)
        assert (friday.first_response_hours, friday.resolution_hours) == (3.0, None)
        by_queue = report_durations.response_times(session, MARCH, by="queue")
        assert ("Hakijapalvelun triage", 4, 2.5, 6.5, 3, 8.0, 14.4) in by_queue.rows
        institutions = report_durations.institution_answer_times(session, MARCH)
        assert institutions.rows == [("Oulun seudun ammattiopisto", 4, 2, 1, 1, 3.5, 4.7)]
        # Migration 0009 counted the tickets written before it, by the hour.
        by_month = reports.contacts_by_period(session, MARCH, "month")
        assert by_month.rows == [("2026-03", 9, 0, 0, 0, 0, 9)]


def search_triggers(engine: Engine) -> set[str]:
    with engine.connect() as connection:
        return set(
            connection.execute(
                text("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            ).scalars()
        )


def check_round_trip(engine: Engine) -> None:
    migrate(engine, "0004")
    triggers = search_triggers(engine) if engine.dialect.name == "sqlite" else set()
    ids = write_legacy(engine)
    migrate(engine, "head")
    check_figures(engine, ids)
    assert INDEX in {i["name"] for i in inspect(engine).get_indexes("tickets")}
    with engine.connect() as connection, warnings.catch_warnings():
        warnings.filterwarnings("ignore", "autogenerate skipping", UserWarning)
        context = MigrationContext.configure(
            connection, opts={"include_name": search_index.include_name}
        )
        assert compare_metadata(context, Base.metadata) == []
    if triggers:
        assert search_triggers(engine) == triggers  # tickets was not rebuilt

    migrate(engine, "0004", down=True)
    columns = {c["name"] for c in inspect(engine).get_columns("tickets")}
    assert not NEW_COLUMNS & columns
    assert "ticket_holds" not in inspect(engine).get_table_names()
    assert INDEX not in {i["name"] for i in inspect(engine).get_indexes("tickets")}
    if triggers:
        assert search_triggers(engine) == triggers
    with engine.connect() as connection:
        assert connection.execute(select(text("count(*)")).select_from(text("tickets"))).scalar()

    migrate(engine, "head")
    assert schema.is_up_to_date(engine)
    check_figures(engine, ids)


def test_round_trip_on_sqlite(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'durations.sqlite3'}")
    try:
        check_round_trip(engine)
    finally:
        engine.dispose()


def test_round_trip_on_postgresql(scratch_postgres: Engine) -> None:
    check_round_trip(scratch_postgres)


def test_backfill_runs_in_batches(tmp_path) -> None:
    """More tickets than one batch: every one is filled, none twice."""
    engine = make_engine(f"sqlite:///{tmp_path / 'batches.sqlite3'}")
    try:
        migrate(engine, "0004")
        write_legacy(engine)
        migrate(engine, "head")
        with engine.begin() as connection:
            holds = connection.execute(text("SELECT count(*) FROM ticket_holds")).scalar()
            connection.execute(text("DELETE FROM ticket_holds"))
            assert backfill(connection, batch=3) == 9
            assert connection.execute(text("SELECT count(*) FROM ticket_holds")).scalar() == holds
            assert backfill(connection, batch=3) == 0  # all held now: nothing to redo
    finally:
        engine.dispose()
