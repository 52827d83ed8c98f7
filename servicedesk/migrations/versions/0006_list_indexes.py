"""list indexes: the console's ticket lists read in index order

Every list of the console (servicedesk.console.listing) is one desk, one
queue or one organisation's part of a desk, newest or oldest first or by
response deadline, cut into pages by a keyset cursor.  These six indexes
return the rows in exactly those orders, so no list sorts its whole desk
before the first page (SQLite's "USE TEMP B-TREE FOR ORDER BY", a Sort node
in PostgreSQL).

Plain CREATE INDEX on both databases, never a rebuilt ``tickets`` table: a
rebuild would lose the SQLite search triggers of migration 0004.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_tickets_audience_created_at_id": ["audience", "created_at", "id"],
    "ix_tickets_audience_due_at_id": ["audience", "due_at", "id"],
    "ix_tickets_queue_created_at_id": ["queue_id", "created_at", "id"],
    "ix_tickets_queue_due_at_id": ["queue_id", "due_at", "id"],
    "ix_tickets_organization_audience_created_at_id": [
        "organization_id",
        "audience",
        "created_at",
        "id",
    ],
    "ix_tickets_organization_audience_due_at_id": ["organization_id", "audience", "due_at", "id"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(name, "tickets", columns, unique=False)


def downgrade() -> None:
    for name in reversed(INDEXES):
        op.drop_index(name, table_name="tickets")
