"""The sequencer's write lease: one row holding the fencing token (epoch), holder and expiry.

Revision ID: 0002_log_lease
Revises: 0001_log_tables
Create Date: 2026-03-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_log_lease"
down_revision = "0001_log_tables"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "log_lease",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("epoch", sa.BigInteger, nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("log_lease")
