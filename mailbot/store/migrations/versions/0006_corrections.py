"""corrections: the office's corrections of a submission's category or event time

Revision ID: 0006_corrections
Revises: 0003
Create Date: 2026-12-01 09:00:00

One row per ``mailbot correct``: which submission, who, when, the category and event time before and
after, and a note. The submission row itself holds the corrected values.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_corrections"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "corrections",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "submission_id",
            sa.Integer(),
            sa.ForeignKey("submissions.id", ondelete="CASCADE", name="fk_corrections_submission_id"),
            nullable=False,
        ),
        sa.Column("corrected_by", sa.String(100), nullable=False),
        sa.Column("corrected_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("before_category", sa.String(32), nullable=True),
        sa.Column("after_category", sa.String(32), nullable=False),
        sa.Column("before_event_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("before_event_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("before_event_text", sa.String(200), nullable=True),
        sa.Column("before_event_granularity", sa.String(16), nullable=True),
        sa.Column("after_event_start", sa.DateTime(timezone=True), nullable=True),
        sa.Column("after_event_end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("after_event_text", sa.String(200), nullable=True),
        sa.Column("after_event_granularity", sa.String(16), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
    )
    op.create_index("ix_corrections_submission_id", "corrections", ["submission_id"])


def downgrade() -> None:
    op.drop_index("ix_corrections_submission_id", table_name="corrections")
    op.drop_table("corrections")
