"""search: full text over ticket subjects and message texts

PostgreSQL: two IMMUTABLE SQL functions build the searchable documents,
``sd_search_document(subject, body)`` for a message and
``sd_search_title(subject)`` for a ticket, each the Finnish (stemmed) and
the simple (word as written) configuration together, the subject weighted
A.  GIN expression indexes over them are the "tsvector per message / per
ticket subject": PostgreSQL keeps them up to date on every write, whatever
wrote (intake, replies, notes, merges, anonymisation, plain SQL).
servicedesk.search_index queries with exactly these expressions.

SQLite: FTS5 external-content tables ``message_search(subject, body_text)``
over ``messages`` and ``ticket_search(subject)`` over ``tickets``, kept in
step by AFTER INSERT / DELETE / UPDATE triggers and filled from the rows
already there.  A later migration that makes SQLite rebuild ``messages`` or
``tickets`` (batch mode "recreate") drops these triggers with the old table
and must create them again; tests/integration/test_search_migration.py
checks they exist at head.

Nothing the models describe is changed; alembic's autogenerate is told to
leave these objects alone (servicedesk.search_index.include_name).

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# The subject twice (stemmed and as written) at weight A, then the body.
POSTGRES_UP = (
    """
    CREATE FUNCTION sd_search_document(subject text, body text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT setweight(to_tsvector('pg_catalog.finnish'::regconfig, coalesce($1, '')), 'A')
            || setweight(to_tsvector('pg_catalog.simple'::regconfig, coalesce($1, '')), 'A')
            || to_tsvector('pg_catalog.finnish'::regconfig, coalesce($2, ''))
            || to_tsvector('pg_catalog.simple'::regconfig, coalesce($2, ''))
    $$
    """,
    """
    CREATE FUNCTION sd_search_title(subject text) RETURNS tsvector
    LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
        SELECT setweight(to_tsvector('pg_catalog.finnish'::regconfig, coalesce($1, '')), 'A')
            || setweight(to_tsvector('pg_catalog.simple'::regconfig, coalesce($1, '')), 'A')
    $$
    """,
    "CREATE INDEX ix_messages_search ON messages USING gin (sd_search_document(subject, body_text))",
    "CREATE INDEX ix_tickets_search ON tickets USING gin (sd_search_title(subject))",
)
POSTGRES_DOWN = (
    "DROP INDEX IF EXISTS ix_tickets_search",
    "DROP INDEX IF EXISTS ix_messages_search",
    "DROP FUNCTION IF EXISTS sd_search_title(text)",
    "DROP FUNCTION IF EXISTS sd_search_document(text, text)",
)

TOKENIZE = "tokenize='unicode61 remove_diacritics 2', prefix='2 3'"


def _fts5(index: str, table: str, columns: tuple[str, ...]) -> tuple[str, ...]:
    """An external-content FTS5 table over ``table`` and its three triggers."""
    names = ", ".join(columns)
    new = ", ".join(f"new.{c}" for c in columns)
    old = ", ".join(f"old.{c}" for c in columns)
    add = f"INSERT INTO {index}(rowid, {names}) VALUES (new.id, {new});"
    remove = f"INSERT INTO {index}({index}, rowid, {names}) VALUES ('delete', old.id, {old});"
    return (
        f"CREATE VIRTUAL TABLE {index} USING fts5({names}, content='{table}', "
        f"content_rowid='id', {TOKENIZE})",
        f"CREATE TRIGGER {index}_insert AFTER INSERT ON {table} BEGIN {add} END",
        f"CREATE TRIGGER {index}_delete AFTER DELETE ON {table} BEGIN {remove} END",
        f"CREATE TRIGGER {index}_update AFTER UPDATE OF {names} ON {table} "
        f"BEGIN {remove} {add} END",
        f"INSERT INTO {index}({index}) VALUES ('rebuild')",
    )


SQLITE_UP = _fts5("message_search", "messages", ("subject", "body_text")) + _fts5(
    "ticket_search", "tickets", ("subject",)
)
SQLITE_DOWN = tuple(
    statement
    for index in ("ticket_search", "message_search")
    for statement in (
        f"DROP TRIGGER IF EXISTS {index}_update",
        f"DROP TRIGGER IF EXISTS {index}_delete",
        f"DROP TRIGGER IF EXISTS {index}_insert",
        f"DROP TABLE IF EXISTS {index}",
    )
)


def _run(postgres: tuple[str, ...], sqlite: tuple[str, ...]) -> None:
    dialect = op.get_bind().dialect.name
    statements = {"postgresql": postgres, "sqlite": sqlite}.get(dialect)
    if statements is None:
        raise NotImplementedError(f"search index for {dialect}")
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    _run(POSTGRES_UP, SQLITE_UP)


def downgrade() -> None:
    _run(POSTGRES_DOWN, SQLITE_DOWN)
