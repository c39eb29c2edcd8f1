"""Draw lifecycle tables: registry versions, snapshots, draws, outcomes, projection watermark.

Revision ID: 0001_draw_tables
Revises:
Create Date: 2026-01-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001_draw_tables"
down_revision = None
branch_labels = ("draw_engine",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "draw_registry_versions",
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("records", sa.LargeBinary, nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("source_name", sa.Text, nullable=False),
        sa.Column("source_sha256", sa.String(64), nullable=False),
        sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "draw_snapshots",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("seq", sa.Integer, nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("root", sa.String(64), nullable=False),
        sa.Column("count", sa.Integer, nullable=False),
        sa.Column("publish", sa.String(32), nullable=False),
        sa.Column("records", sa.LargeBinary, nullable=False),
        sa.Column("source", sa.Text, nullable=False),
        sa.Column("prev", sa.String(64), nullable=True),
        sa.Column("log_index", sa.BigInteger, nullable=True, unique=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "draw_draws",
        sa.Column("draw_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("announce_index", sa.BigInteger, nullable=False, unique=True),
        sa.Column("result_index", sa.BigInteger, nullable=True, unique=True),
        sa.Column("cancel_index", sa.BigInteger, nullable=True, unique=True),
        sa.Column("announce", sa.LargeBinary, nullable=False),
        sa.Column("plan", sa.Text, nullable=True),
        sa.Column("beacon_round", sa.BigInteger, nullable=False),
        sa.Column("round_time", sa.BigInteger, nullable=False),
        sa.Column("supersedes", sa.String(64), nullable=True),
        sa.Column("superseded_by", sa.String(64), nullable=True),
        sa.Column("commitment_note", sa.LargeBinary, nullable=True),
        sa.Column("commitment_size", sa.BigInteger, nullable=True),
    )
    op.create_table(
        "draw_outcomes",
        sa.Column("log_index", sa.BigInteger, primary_key=True, autoincrement=False),
        sa.Column("draw_id", sa.String(64), nullable=False),
        sa.Column("unit_id", sa.String(64), nullable=False),
        sa.Column("date", sa.String(10), nullable=False),
        sa.Column("result", sa.String(32), nullable=False),
        sa.UniqueConstraint("draw_id", "unit_id", name="uq_draw_outcomes_draw_unit"),
    )
    op.create_table(
        "draw_meta",
        sa.Column("key", sa.String(64), primary_key=True),
        sa.Column("value", sa.BigInteger, nullable=False),
    )


def downgrade() -> None:
    for table in ("draw_meta", "draw_outcomes", "draw_draws", "draw_snapshots",
                  "draw_registry_versions"):
        op.drop_table(table)
