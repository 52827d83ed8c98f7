"""audit events by kind: owed call backs and retention runs

Every desk and queue page counts the call backs still owed (audit events
``callback_requested`` without a later ``callback_done``), and the privacy
page lists the retention runs.  Without an index on the kind, each of
those read every audit event of the desk (about three million at a
million tickets: a quarter of a second per page).

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_audit_events_kind_ticket_id_id",
        "audit_events",
        ["kind", "ticket_id", "id"],
        unique=False,
    )


def downgrade() -> None:
    op.drop_index("ix_audit_events_kind_ticket_id_id", table_name="audit_events")
