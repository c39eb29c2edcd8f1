"""Database plumbing shared by every package that keeps rows: the bottom layer.

`transparency` (the log), `witnesses` (witness state, on other hosts) and
`draw_engine` (the draw store) each own their tables, their SQL and their
Alembic history; what they share lives here and nowhere else:

- `sqlbase.engine`: engines with the durability DESIGN §7 requires (SQLite in
  WAL mode with `synchronous=FULL`; PostgreSQL), write connections that take
  SQLite's write lock at BEGIN, one held connection for hot-path reads, and
  INSERT text compiled once per table for `executemany` over tuples;
- `sqlbase.migrations`: the Alembic runner (one `History` per package, each
  with its own version table in a shared database), the check that a
  migrated schema equals the tables' metadata, and revision generation from
  that metadata.

This package imports none of the others (import-linter: it is the lowest
layer), and no package imports another's SQL modules through it.
"""
