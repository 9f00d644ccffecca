"""console users: the person's mail address (who may approve a publicity step in the console)

Revision ID: 0011_user_email
Revises: 0010_merge
Create Date: 2026-12-02 07:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011_user_email"
down_revision = "0010_merge"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email", sa.String(320), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email")
