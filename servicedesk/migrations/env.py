"""Alembic environment.  The connection (or URL) is handed in by
servicedesk.schema through ``config.attributes``; nothing is read from the
environment here."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection

from servicedesk.db import make_engine
from servicedesk.models import Base
from servicedesk.search_index import include_name

config = context.config
target_metadata = Base.metadata


def run_with(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        include_name=include_name,  # the search index is raw SQL (0004)
    )
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        run_with(connection)
        return
    engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as connection:
        run_with(connection)
    engine.dispose()


if context.is_offline_mode():
    context.configure(
        url=config.get_main_option("sqlalchemy.url"),
        target_metadata=target_metadata,
        render_as_batch=True,
        literal_binds=True,
    )
    with context.begin_transaction():
        context.run_migrations()
else:
    run_online()
