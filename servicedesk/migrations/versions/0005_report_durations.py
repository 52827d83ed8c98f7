"""report durations: business hours kept on the rows, and a retention index

``tickets.first_response_hours`` and ``tickets.resolution_hours`` and the
``ticket_holds`` table (which organisation held a ticket when, and its first
answer meanwhile) hold the durations the reports aggregate; from now on the
models keep them as events are flushed (servicedesk.models.durations).  The
upgrade fills them for the tickets already there, a thousand at a time, by
the rules the reports applied at read time until now.

``ix_tickets_audience_closed_at`` serves the retention job's search for a
desk's tickets closed before a cutoff (servicedesk.retention.due_tickets).
Status is not in it: closed_at is set only when a ticket is closed, and an
index leading with (audience, status) would also match the console's lists
of open tickets and compete with the indexes made for them.

On SQLite the columns are added and dropped with plain ALTER TABLE (SQLite
3.35+), never by recreating ``tickets``: a rebuilt table would lose the
search triggers of migration 0004.

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import servicedesk.models.base
from servicedesk.models.durations import backfill

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("tickets", schema=None, recreate="never") as batch_op:
        batch_op.add_column(sa.Column("first_response_hours", sa.Double(), nullable=True))
        batch_op.add_column(sa.Column("resolution_hours", sa.Double(), nullable=True))
        batch_op.create_index("ix_tickets_audience_closed_at", ["audience", "closed_at"], unique=False)
    op.create_table(
        "ticket_holds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("started_at", servicedesk.models.base.UTCDateTime(timezone=True), nullable=False),
        sa.Column("ended_at", servicedesk.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answered_at", servicedesk.models.base.UTCDateTime(timezone=True), nullable=True),
        sa.Column("answer_hours", sa.Double(), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_ticket_holds_organization_id_organizations"),
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_holds_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_holds")),
    )
    with op.batch_alter_table("ticket_holds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_ticket_holds_organization_id"), ["organization_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_ticket_holds_ticket_id"), ["ticket_id"], unique=False)
    backfill(op.get_bind())


def downgrade() -> None:
    op.drop_table("ticket_holds")
    with op.batch_alter_table("tickets", schema=None, recreate="never") as batch_op:
        batch_op.drop_index("ix_tickets_audience_closed_at")
        batch_op.drop_column("resolution_hours")
        batch_op.drop_column("first_response_hours")
