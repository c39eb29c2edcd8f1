"""The log's SQL tables, defined once: the storage (transparency.sql) reads and writes
them, and the migrations (transparency.migrations) are generated from and checked
against this metadata (tests/sqlbase/test_schema.py).

- `log_entries (idx, data)`: the entries;
- `log_nodes (id, hash)`: every complete Merkle node, keyed by its in-order id
  (`storage.node_id`), so a proof is one `id IN (…)` lookup;
- `log_checkpoints`: the signed checkpoint history;
- `log_lease`: one row, the sequencer's write lease (epoch = fencing token).

Entries and nodes are SQLite `WITHOUT ROWID` tables: the primary key is the row.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData()

entries_table = sa.Table(
    "log_entries",
    metadata,
    sa.Column("idx", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sqlite_with_rowid=False,
)

nodes_table = sa.Table(
    "log_nodes",
    metadata,
    sa.Column("id", sa.BigInteger, primary_key=True, autoincrement=False),
    sa.Column("hash", sa.LargeBinary(32), nullable=False),
    sqlite_with_rowid=False,
)

checkpoints_table = sa.Table(
    "log_checkpoints",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("tree_size", sa.BigInteger, nullable=False),
    sa.Column("root_hash", sa.LargeBinary(32), nullable=False),
    sa.Column("note", sa.LargeBinary, nullable=False),
    sa.Column("cosigned", sa.Boolean, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
)

lease_table = sa.Table(
    "log_lease",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("epoch", sa.BigInteger, nullable=False),
    sa.Column("holder", sa.String(200), nullable=False),
    sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
)
