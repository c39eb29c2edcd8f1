"""The draw store's SQL tables, defined once: `draw_engine.sql_store` reads and writes
them and the migrations (`draw_engine.migrations`) are generated from and checked
against this metadata (tests/sqlbase/test_schema.py).

- `draw_registry_versions`: every imported registry version (private fields included);
- `draw_snapshots`: snapshot records files and the leaf index that logs each;
- `draw_draws`: the index of each draw's log entries and its committed checkpoint;
- `draw_outcomes`: the index of inspection outcomes;
- `draw_meta`: the projection watermark (how far the log has been indexed).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()
versions_table = sa.Table(
    "draw_registry_versions", metadata,
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("records", sa.LargeBinary, nullable=False),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("source_name", sa.Text, nullable=False),
    sa.Column("source_sha256", sa.String(64), nullable=False),
    sa.Column("imported_at", sa.DateTime(timezone=True), nullable=False),
)
snapshots_table = sa.Table(
    "draw_snapshots", metadata,
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
draws_table = sa.Table(
    "draw_draws", metadata,
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
outcomes_table = sa.Table(
    "draw_outcomes", metadata,
    sa.Column("log_index", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("draw_id", sa.String(64), nullable=False),
    sa.Column("unit_id", sa.String(64), nullable=False),
    sa.Column("date", sa.String(10), nullable=False),
    sa.Column("result", sa.String(32), nullable=False),
    sa.UniqueConstraint("draw_id", "unit_id", name="uq_draw_outcomes_draw_unit"),
)
meta_table = sa.Table(
    "draw_meta", metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.BigInteger, nullable=False),
)
