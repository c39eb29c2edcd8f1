"""Transparency-log benchmarks: each figure beside its floor and its peer, measured in one run.

Rows (issue 15; docs/performance.md "Transparency log"):
1. durable append on SQLite, the code `fairdraw log append` runs (`Sequencer.append`
   in batches of `MAX_BATCH`, one fenced commit per batch), against
   - pymerkle 7.0's `SqliteTree.append_entries` (its peer), and
   - a plain sqlite3 floor: the same rows into the same tables (WAL,
     synchronous=FULL, one transaction per batch), leaf and node hashes by a
     plain hashlib loop, no checks, no fencing;
   run interleaved (ours, pymerkle, floor) for `--rounds` rounds, each on a
   fresh database; the best round of each is compared (goal: ≥ 0.5× pymerkle);
2. inclusion proof from storage (`merkle.prove_inclusion` over `SqlStorage`, a
   fresh process-level cache, random indices), interleaved with the floor: the
   same node ids read by one plain sqlite3 `id IN (…)` query on a held
   connection (goal: p50 ≤ 100 µs); pymerkle's proof is printed beside it;
3. the same proof over HTTP (`fairdraw log serve`, loopback, p50) and the static
   export of the proof log (`export_log`);
4. PostgreSQL append and proof when --pg or FAIRDRAW_TEST_DATABASE_URL is given
   (a fresh schema, dropped afterwards).

Usage: python benchmarks/log_bench.py [--entries 100000] [--proof-entries 1000000]
[--rounds 3] [--proofs 5000]. Writes benchmarks/results/log_bench.json. Not run by
the tests.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import requests
import sqlalchemy as sa

from transparency import merkle
from transparency.export import export_log
from transparency.note_keys import generate_signer
from transparency.sequencer import MAX_BATCH, Sequencer
from transparency.sql import SqlStorage
from transparency.storage import node_id

RESULTS = Path(__file__).parent / "results" / "log_bench.json"
SIGNER = generate_signer("bench.example/log")


def entry(i: int) -> bytes:
    return b'{"n":%d,"pad":"%s","type":"bench.entry","v":1}' % (i, b"x" * 48)


# -- append -----------------------------------------------------------------------------


def append_ours(url: str, entries: list[bytes], batch: int) -> float:
    """Seconds for Sequencer.append of every entry, batch by batch (as the CLI does)."""
    storage = SqlStorage.open(url)
    try:
        with Sequencer(storage, [SIGNER], SIGNER.name) as seq:
            start = time.perf_counter()
            for pos in range(0, len(entries), batch):
                seq.append(entries[pos : pos + batch])
            elapsed = time.perf_counter() - start
            seq.checkpoint()
    finally:
        storage.close()
    return elapsed


def append_pymerkle(path: Path, entries: list[bytes], batch: int) -> float:
    from pymerkle import SqliteTree

    tree = SqliteTree(str(path))
    start = time.perf_counter()
    for pos in range(0, len(entries), batch):
        tree.append_entries(entries[pos : pos + batch])
    elapsed = time.perf_counter() - start
    tree.close()
    return elapsed


FLOOR_SCHEMA = (
    "CREATE TABLE log_entries (idx BIGINT NOT NULL PRIMARY KEY, data BLOB NOT NULL) WITHOUT ROWID",
    "CREATE TABLE log_nodes (id BIGINT NOT NULL PRIMARY KEY, hash BLOB NOT NULL) WITHOUT ROWID",
)


def open_floor(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=FULL")
    return conn


def append_floor(path: Path, entries: list[bytes], batch: int) -> float:
    """The same rows with nothing but sqlite3 and hashlib: the floor of this storage design."""
    conn = open_floor(path)
    for statement in FLOOR_SCHEMA:
        conn.execute(statement)
    sha256 = hashlib.sha256
    stack: list[tuple[int, bytes]] = []  # (level, hash) of the frontier
    size = 0
    start = time.perf_counter()
    for pos in range(0, len(entries), batch):
        chunk = entries[pos : pos + batch]
        nodes = []
        for k, e in enumerate(chunk, size):
            level, h = 0, sha256(b"\x00" + e).digest()
            nodes.append((2 * k, h))
            while stack and stack[-1][0] == level:
                h = sha256(b"\x01" + stack.pop()[1] + h).digest()
                level += 1
                nodes.append((((k + 1 >> level) - 1 << level + 1) + (1 << level) - 1, h))
            stack.append((level, h))
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany("INSERT INTO log_entries (idx, data) VALUES (?, ?)",
                         list(enumerate(chunk, size)))
        conn.executemany("INSERT INTO log_nodes (id, hash) VALUES (?, ?)", nodes)
        conn.execute("COMMIT")
        size += len(chunk)
    elapsed = time.perf_counter() - start
    conn.close()
    return elapsed


def check_floor_matches(work: Path) -> None:
    """The floor stores the same tree as the log: compare both roots on a small run."""
    entries = [entry(i) for i in range(1000)]
    append_floor(work / "check-floor.db", entries, 300)
    conn = open_floor(work / "check-floor.db")

    class Reader:
        def read_nodes(self, nodes: list[merkle.Node]) -> list[bytes]:
            out = []
            for level, index in nodes:
                row = conn.execute("SELECT hash FROM log_nodes WHERE id = ?",
                                   (node_id(level, index),)).fetchone()
                out.append(row[0])
            return out

    expected = merkle.root_hash([merkle.leaf_hash(e) for e in entries])
    assert merkle.tree_root(len(entries), Reader()) == expected, "floor tree differs"
    conn.close()


def bench_append(work: Path, n: int, batch: int, rounds: int) -> dict:
    entries = [entry(i) for i in range(n)]
    runs: dict[str, list[float]] = {"ours": [], "pymerkle": [], "floor": []}
    candidates: dict[str, Callable[[Path], float]] = {
        "ours": lambda d: append_ours(f"sqlite:///{d / 'ours.db'}", entries, batch),
        "pymerkle": lambda d: append_pymerkle(d / "pymerkle.db", entries, batch),
        "floor": lambda d: append_floor(d / "floor.db", entries, batch),
    }
    for r in range(rounds):
        for name, run in candidates.items():
            where = work / f"append-{r}-{name}"
            where.mkdir()
            runs[name].append(run(where))
            shutil.rmtree(where)
    best = {name: n / min(times) for name, times in runs.items()}
    return {
        "entries": n, "batch": batch, "rounds": rounds,
        "entries_per_s": best,
        "seconds": runs,
        "ratio_ours_over_pymerkle": best["ours"] / best["pymerkle"],
        "ratio_ours_over_floor": best["ours"] / best["floor"],
    }


# -- proofs -----------------------------------------------------------------------------


def build_log(url: str, n: int) -> None:
    storage = SqlStorage.open(url)
    with Sequencer(storage, [SIGNER], SIGNER.name) as seq:
        for pos in range(0, n, MAX_BATCH):
            seq.append([entry(i) for i in range(pos, min(n, pos + MAX_BATCH))])
        seq.checkpoint()
    storage.close()


def proof_node_ids(index: int, n: int) -> list[int]:
    ranges = merkle.inclusion_ranges(index, n)
    return sorted({node_id(lvl, i) for a, b in ranges for lvl, i in merkle.range_nodes(a, b)})


def summary(times: list[float]) -> dict:
    ordered = sorted(times)
    return {"mean_us": statistics.fmean(times) * 1e6,
            "p50_us": statistics.median(times) * 1e6,
            "p99_us": ordered[max(0, int(len(times) * 0.99) - 1)] * 1e6}


def bench_proofs(url: str, path: Path | None, n: int, count: int) -> dict:
    """Ours (fresh cache) and, for SQLite, the plain-query floor, interleaved per proof."""
    storage = SqlStorage.open(url, migrate=False)
    floor = sqlite3.connect(path, isolation_level=None) if path is not None else None
    rng = random.Random(1)
    ours: list[float] = []
    plain: list[float] = []
    for _ in range(count):
        i = rng.randrange(n)
        t = time.perf_counter()
        merkle.prove_inclusion(i, n, storage)
        ours.append(time.perf_counter() - t)
        if floor is not None:
            ids = proof_node_ids(i, n)
            t = time.perf_counter()
            rows = floor.execute(
                f"SELECT id, hash FROM log_nodes WHERE id IN ({','.join('?' * len(ids))})",
                ids,
            ).fetchall()
            plain.append(time.perf_counter() - t)
            assert len(rows) == len(ids)
    storage.close()
    out = {"tree_size": n, "proofs": count, "ours": summary(ours),
           "first_100_mean_us": statistics.fmean(ours[:100]) * 1e6}
    if floor is not None:
        floor.close()
        out["floor_plain_query"] = summary(plain)
        floor_p50 = out["floor_plain_query"]["p50_us"]
        out["ratio_ours_over_floor_p50"] = out["ours"]["p50_us"] / floor_p50
    return out


def bench_pymerkle_proofs(work: Path, n: int, proofs: int) -> dict:
    from pymerkle import SqliteTree

    path = work / "pymerkle-proofs.db"
    append_pymerkle(path, [entry(i) for i in range(n)], MAX_BATCH)
    tree = SqliteTree(str(path))
    rng = random.Random(1)
    times = []
    for _ in range(proofs):
        i = rng.randrange(n) + 1  # pymerkle leaf indices start at 1
        t = time.perf_counter()
        tree.prove_inclusion(i, n)
        times.append(time.perf_counter() - t)
    tree.close()
    return {"tree_size": n, "proofs": proofs, **summary(times)}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def bench_http(url: str, n: int, count: int) -> dict:
    port = free_port()
    code = "from fairdraw.cli import main; main()"
    proc = subprocess.Popen(
        [sys.executable, "-c", code, "log", "serve", "--port", str(port), "--db", url],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    session = requests.Session()
    try:
        for _ in range(200):
            try:
                session.get(f"{base}/checkpoint", timeout=2)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        rng = random.Random(2)
        times = []
        for _ in range(count):
            i = rng.randrange(n)
            t = time.perf_counter()
            r = session.get(f"{base}/proof/inclusion?index={i}&size={n}", timeout=10)
            times.append(time.perf_counter() - t)
            assert r.status_code == 200, r.text
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    return {"requests": count, "p50_ms": statistics.median(times) * 1e3,
            "p99_ms": sorted(times)[int(count * 0.99) - 1] * 1e3}  # fmt: skip


def bench_export(url: str, out: Path) -> dict:
    storage = SqlStorage.open(url, migrate=False)
    t = time.perf_counter()
    report = export_log(storage, out)
    elapsed = time.perf_counter() - t
    storage.close()
    return {"tree_size": report.tree_size, "files": report.written, "seconds": elapsed}


def bench_postgres(pg: str, n: int, batch: int, proofs: int) -> dict:
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(pg.replace("postgresql://", "postgresql+psycopg://"))
    with admin.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in pg else "?"
    url = f"{pg}{sep}options=-csearch_path%3D{schema}"
    try:
        seconds = append_ours(url, [entry(i) for i in range(n)], batch)
        return {"entries": n, "batch": batch, "entries_per_s": n / seconds,
                "proof": bench_proofs(url, None, n, proofs)}
    finally:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--entries", type=int, default=100_000, help="entries per append round")
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--batch", type=int, default=MAX_BATCH, help="entries per commit")
    ap.add_argument("--proof-entries", type=int, default=1_000_000)
    ap.add_argument("--proofs", type=int, default=5000)
    ap.add_argument("--pymerkle-proof-entries", type=int, default=100_000)
    ap.add_argument("--http", action=argparse.BooleanOptionalAction, default=True)
    ap.add_argument("--pg", default=os.environ.get("FAIRDRAW_TEST_DATABASE_URL"))
    ap.add_argument("--pg-entries", type=int, default=100_000)
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    results: dict = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform(), "load_average": os.getloadavg()},
        "goals": {"append_ratio_ours_over_pymerkle": 0.5, "proof_p50_us": 100},
    }
    work = Path(tempfile.mkdtemp(prefix="fairdraw-bench-"))
    try:
        check_floor_matches(work)
        r = results["sqlite_append"] = bench_append(work, args.entries, args.batch, args.rounds)
        rate = r["entries_per_s"]
        print(f"SQLite durable append, {args.entries:,} entries in batches of {args.batch:,}, "
              f"best of {args.rounds} interleaved rounds: ours {rate['ours']:,.0f}/s, "
              f"pymerkle 7.0 {rate['pymerkle']:,.0f}/s, plain sqlite3 floor "
              f"{rate['floor']:,.0f}/s -> {r['ratio_ours_over_pymerkle']:.2f}x pymerkle, "
              f"{r['ratio_ours_over_floor']:.2f}x the floor")  # fmt: skip

        n = args.proof_entries
        url = f"sqlite:///{work / 'log.db'}"
        build_log(url, n)
        r = results["sqlite_proof"] = bench_proofs(url, work / "log.db", n, args.proofs)
        print(f"inclusion proof from SQLite, size {n:,}: ours p50 {r['ours']['p50_us']:.0f} µs "
              f"(mean {r['ours']['mean_us']:.0f}, p99 {r['ours']['p99_us']:.0f}, first 100 "
              f"{r['first_100_mean_us']:.0f}); plain-query floor p50 "
              f"{r['floor_plain_query']['p50_us']:.0f} µs -> "
              f"{r['ratio_ours_over_floor_p50']:.2f}x the floor")  # fmt: skip
        pn = args.pymerkle_proof_entries
        r = results["pymerkle_proof"] = bench_pymerkle_proofs(work, pn, 200)
        print(f"pymerkle 7.0 proof, size {pn:,}: p50 {r['p50_us']:.0f} µs")
        if args.http:
            r = results["http_proof"] = bench_http(url, n, 1000)
            print(f"inclusion proof over HTTP: p50 {r['p50_ms']:.2f} ms, "
                  f"p99 {r['p99_ms']:.2f} ms")
        r = results["export"] = bench_export(url, work / "static")
        print(f"export of {n:,} entries: {r['seconds']:.1f} s ({r['files']:,} files)")

        if args.pg:
            r = results["postgres"] = bench_postgres(args.pg, args.pg_entries, args.batch, 2000)
            print(f"PostgreSQL durable append: {r['entries_per_s']:,.0f} entries/s "
                  f"({args.pg_entries:,} entries); proof p50 "
                  f"{r['proof']['ours']['p50_us']:.0f} µs")  # fmt: skip
        else:
            print("PostgreSQL: skipped (no --pg / FAIRDRAW_TEST_DATABASE_URL)")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    results["machine"]["load_average_after"] = os.getloadavg()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
