"""performance indexes: submissions by case (the digest's follow-up counts)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 04:30:00

The digest counts follow-ups per case (``GROUP BY case_id`` over category = followup); without an index
on ``case_id`` that is a full scan of the register, twice per digest (~0.35 s of 0.55 s over 100,000
submissions on SQLite). (case_id, category) lets both databases answer from the index alone.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.create_index("ix_submissions_case_id", ["case_id", "category"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("submissions", schema=None) as batch_op:
        batch_op.drop_index("ix_submissions_case_id")
