"""The witness's SQL tables, defined once: `witnesses.store` reads and writes them and
the migrations (`witnesses.migrations`) are generated from and checked against this
metadata (tests/sqlbase/test_schema.py).

- `witness_checkpoints`: the latest co-signed checkpoint per origin;
- `witness_meta`: instance metadata (`instance_id`, docs/spec/witness.md §7).
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

checkpoints_table = sa.Table(
    "witness_checkpoints",
    metadata,
    sa.Column("origin", sa.String(1024), primary_key=True),
    sa.Column("tree_size", sa.BigInteger, nullable=False),
    sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
    sa.Column("note", sa.LargeBinary, nullable=False),
)

meta_table = sa.Table(
    "witness_meta",
    metadata,
    sa.Column("key", sa.String(64), primary_key=True),
    sa.Column("value", sa.String(256), nullable=False),
)
