"""outbox holds and SMTP session health

Revision ID: 0004_outbox_holds
Revises: 0003
Create Date: 2026-12-02 09:00:00

- ``outbox.held_reason``: why a reply waits for the office (set where it is held), shown by
  ``mailbot outbox list``; ``released_by`` / ``released_at`` record who let it go and when.
- ``smtp_health``: one row per SMTP server setting (name ``smtp``) remembering a session-level
  failure (login refused, sender not allowed, server unreachable, 4xx at MAIL FROM): since when, the
  last readable error, how many runs failed in a row, when to try again and whether the office was told.
  Session failures charge no reply an attempt; this row is what ``outbox list`` and ``check-config`` show.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_outbox_holds"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held_reason", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("released_by", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("released_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "smtp_health",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("failing_since", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("next_try_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("alerted", sa.Boolean(), nullable=False),
        sa.Column("ok_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("smtp_health")
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("released_at")
        batch_op.drop_column("released_by")
        batch_op.drop_column("held_reason")
