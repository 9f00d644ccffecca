"""merge the schema branches added side by side (outbox holds, adoption, corrections, publicity, console)

Revision ID: 0010_merge
Revises: 0004_outbox_holds, 0005_adoption, 0006_corrections, 0008_publicity, 0009_web_console
Create Date: 2026-12-02 05:30:00
"""

from __future__ import annotations

revision = "0010_merge"
down_revision = (
    "0004_outbox_holds",
    "0005_adoption",
    "0006_corrections",
    "0008_publicity",
    "0009_web_console",
)
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
