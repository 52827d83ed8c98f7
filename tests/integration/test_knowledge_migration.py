"""Migration 0002 (knowledge base, templates, announcements, surveys,
retention) goes up, down and up again on both databases, and leaves the
schema the models describe."""

from __future__ import annotations

import secrets
import warnings

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect, text
from sqlalchemy.engine import make_url

from servicedesk import schema
from servicedesk.db import make_engine
from servicedesk.models import Base
from servicedesk.search_index import include_name
from tests.conftest import postgres_url, require

NEW_TABLES = {
    "announcements",
    "announcement_deliveries",
    "desk_policies",
    "kb_articles",
    "kb_article_texts",
    "kb_article_topics",
    "kb_article_uses",
    "kb_article_versions",
    "kb_feedback",
    "surveys",
    "template_overrides",
    "ticket_redactions",
}


def downgrade(engine: Engine, revision: str) -> None:
    with engine.begin() as connection:
        command.downgrade(schema.alembic_config(connection=connection), revision)


def check_round_trip(engine: Engine) -> None:
    schema.upgrade(engine)
    assert set(inspect(engine).get_table_names()) >= NEW_TABLES
    with engine.connect() as connection, warnings.catch_warnings():
        # SQLite cannot reflect the PostgreSQL-only expression indexes.
        warnings.filterwarnings("ignore", "autogenerate skipping", UserWarning)
        context = MigrationContext.configure(connection, opts={"include_name": include_name})
        assert compare_metadata(context, Base.metadata) == []
    downgrade(engine, "0001")
    assert schema.current_revision(engine) == "0001"
    assert not NEW_TABLES & set(inspect(engine).get_table_names())
    schema.upgrade(engine)
    assert schema.is_up_to_date(engine)


def test_round_trip_on_sqlite(tmp_path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'migrate.sqlite3'}")
    check_round_trip(engine)
    engine.dispose()


def test_round_trip_on_postgresql() -> None:
    url = require("TEST_DATABASE_URL", postgres_url())
    name = f"sd_migrate_{secrets.token_hex(4)}"
    admin = make_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    engine = make_engine(make_url(url).set(database=name).render_as_string(hide_password=False))
    try:
        check_round_trip(engine)
        indexes = {i["name"] for i in inspect(engine).get_indexes("kb_article_texts")}
        assert {"ix_kb_article_texts_fts_fi", "ix_kb_article_texts_fts_simple"} <= indexes
    finally:
        engine.dispose()
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE "{name}"'))
        admin.dispose()
