"""console: the desk's view counts from the index alone (PostgreSQL)

Every desk page and the console's home count a desk's active tickets by
view: all, mine, unassigned, overdue (``listing.view_counts``).  The
(audience, status, id) index found them, but each of the ~10,000 active
tickets at a million was then fetched from the table for its assignee and
deadline: 13–15 ms of every such page.  The index now carries those columns
(and the organisation, which limits what an institution's users see), so
the counts are an index-only scan: ~3 ms.  SQLite keeps the plain index.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

INDEX = "ix_tickets_audience_status_id"
COLUMNS = ["audience", "status", "id"]


def _rebuild(include: list[str]) -> None:
    op.drop_index(INDEX, table_name="tickets")
    op.create_index(INDEX, "tickets", COLUMNS, unique=False, postgresql_include=include)


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _rebuild(["assignee_id", "due_at", "organization_id"])


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _rebuild([])
