"""Migration 0002 (knowledge base, templates, announcements, surveys,
retention) goes up, down and up again on both databases, and leaves the
schema the models describe."""

from __future__ import annotations

import warnings

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from servicedesk import schema
from servicedesk.db import make_engine
from servicedesk.models import Base
from servicedesk.search_index import include_name

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


def test_round_trip_on_postgresql(scratch_postgres: Engine) -> None:
    check_round_trip(scratch_postgres)
    indexes = {i["name"] for i in inspect(scratch_postgres).get_indexes("kb_article_texts")}
    assert {"ix_kb_article_texts_fts_fi", "ix_kb_article_texts_fts_simple"} <= indexes
