"""Transparency-log benchmarks (issue 2): prints figures, writes benchmarks/results/log_bench.json.

Workloads (targets from the issue, on the 2-core machine):
1. durable batched append through `Sequencer.append` (one commit per batch):
   SQLite ≥ 10,000 entries/s, PostgreSQL ≥ 3,000 entries/s;
2. inclusion proof for an N-entry log computed from storage (`prove_inclusion`
   over `SqlStorage`, random indices, fresh process-level cache at start): ≤ 100 µs;
3. the same proof over HTTP (`fairdraw log serve`, real loopback, p50): ≤ 5 ms;
4. static export of the N-entry log (`export_log`): ≤ 30 s;
5. the same append and proof workload through pymerkle 7.0's SQLite backend,
   with the ratio printed.

Usage: python benchmarks/log_bench.py [--entries 1000000] [--pg-entries 100000]
PostgreSQL runs when --pg URL or FAIRDRAW_TEST_DATABASE_URL is given (a fresh
schema is created and dropped). Not run by the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import requests
import sqlalchemy as sa

from transparency import merkle
from transparency.export import export_log
from transparency.note_keys import generate_signer
from transparency.sequencer import Sequencer
from transparency.sql import SqlStorage

RESULTS = Path(__file__).parent / "results" / "log_bench.json"
SIGNER = generate_signer("bench.example/log")


def entry(i: int) -> bytes:
    return b'{"n":%d,"pad":"%s","type":"bench.entry","v":1}' % (i, b"x" * 48)


def bench_append(storage: SqlStorage, n: int, batch: int) -> dict:
    with Sequencer(storage, [SIGNER], SIGNER.name) as seq:
        start = time.perf_counter()
        for pos in range(0, n, batch):
            seq.append([entry(i) for i in range(pos, min(n, pos + batch))])
        elapsed = time.perf_counter() - start
        seq.checkpoint()
    return {"entries": n, "batch": batch, "seconds": elapsed, "entries_per_s": n / elapsed}


def bench_proofs(url: str, n: int, count: int) -> dict:
    storage = SqlStorage.open(url, migrate=False)  # fresh process-level cache
    rng = random.Random(1)
    indices = [rng.randrange(n) for _ in range(count)]
    times = []
    for i in indices:
        t = time.perf_counter()
        merkle.prove_inclusion(i, n, storage)
        times.append(time.perf_counter() - t)
    storage.close()
    first = times[: min(100, count)]
    return {
        "tree_size": n,
        "proofs": count,
        "mean_us": statistics.fmean(times) * 1e6,
        "p50_us": statistics.median(times) * 1e6,
        "p99_us": sorted(times)[int(count * 0.99) - 1] * 1e6,
        "first_100_mean_us": statistics.fmean(first) * 1e6,
    }


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


def bench_pymerkle(path: Path, n: int, batch: int, proofs: int) -> dict:
    from pymerkle import SqliteTree

    tree = SqliteTree(str(path))
    t = time.perf_counter()
    for pos in range(0, n, batch):
        tree.append_entries([entry(i) for i in range(pos, min(n, pos + batch))])
    append_s = time.perf_counter() - t
    rng = random.Random(1)
    times = []
    for _ in range(proofs):
        i = rng.randrange(n) + 1  # pymerkle leaf indices start at 1
        t = time.perf_counter()
        tree.prove_inclusion(i, n)
        times.append(time.perf_counter() - t)
    tree.close()
    return {
        "entries": n,
        "batch": batch,
        "entries_per_s": n / append_s,
        "proofs": proofs,
        "proof_mean_us": statistics.fmean(times) * 1e6,
        "proof_p50_us": statistics.median(times) * 1e6,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--entries", type=int, default=1_000_000)
    ap.add_argument("--pg-entries", type=int, default=100_000)
    ap.add_argument("--pymerkle-entries", type=int, default=None, help="default: --entries")
    ap.add_argument("--batch", type=int, default=1000)
    ap.add_argument("--proofs", type=int, default=5000)
    ap.add_argument("--pg", default=os.environ.get("FAIRDRAW_TEST_DATABASE_URL"))
    ap.add_argument("--out", type=Path, default=RESULTS)
    args = ap.parse_args()
    n = args.entries
    results: dict = {
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
        "targets": {"sqlite_append_per_s": 10_000, "postgres_append_per_s": 3_000,
                    "proof_us": 100, "http_p50_ms": 5, "export_s": 30},
    }
    work = Path(tempfile.mkdtemp(prefix="fairdraw-bench-"))
    try:
        url = f"sqlite:///{work / 'log.db'}"
        storage = SqlStorage.open(url)
        r = results["sqlite_append"] = bench_append(storage, n, args.batch)
        storage.close()
        print(f"SQLite durable append: {r['entries_per_s']:,.0f} entries/s "
              f"({n:,} entries, batches of {args.batch}, {r['seconds']:.1f} s)")  # fmt: skip
        r = results["sqlite_proof"] = bench_proofs(url, n, args.proofs)
        print(f"inclusion proof from SQLite, size {n:,}: mean {r['mean_us']:.0f} µs, "
              f"p50 {r['p50_us']:.0f} µs, p99 {r['p99_us']:.0f} µs "
              f"(first 100: {r['first_100_mean_us']:.0f} µs)")  # fmt: skip
        r = results["http_proof"] = bench_http(url, n, 1000)
        print(f"inclusion proof over HTTP: p50 {r['p50_ms']:.2f} ms, p99 {r['p99_ms']:.2f} ms")
        r = results["export"] = bench_export(url, work / "static")
        print(f"export of {n:,} entries: {r['seconds']:.1f} s ({r['files']:,} files)")

        if args.pg:
            schema = f"bench_{uuid.uuid4().hex[:10]}"
            admin = sa.create_engine(args.pg.replace("postgresql://", "postgresql+psycopg://"))
            with admin.begin() as conn:
                conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
            sep = "&" if "?" in args.pg else "?"
            pg_url = f"{args.pg}{sep}options=-csearch_path%3D{schema}"
            try:
                storage = SqlStorage.open(pg_url)
                r = results["postgres_append"] = bench_append(storage, args.pg_entries, args.batch)
                storage.close()
                print(f"PostgreSQL durable append: {r['entries_per_s']:,.0f} entries/s "
                      f"({args.pg_entries:,} entries, batches of {args.batch})")  # fmt: skip
                r = results["postgres_proof"] = bench_proofs(pg_url, args.pg_entries, 2000)
                print(f"inclusion proof from PostgreSQL, size {args.pg_entries:,}: "
                      f"mean {r['mean_us']:.0f} µs, p50 {r['p50_us']:.0f} µs")  # fmt: skip
            finally:
                with admin.begin() as conn:
                    conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
                admin.dispose()
        else:
            print("PostgreSQL: skipped (no --pg / FAIRDRAW_TEST_DATABASE_URL)")

        pn = args.pymerkle_entries or n
        r = results["pymerkle"] = bench_pymerkle(work / "pymerkle.db", pn, args.batch, 200)
        ours_append = results["sqlite_append"]["entries_per_s"]
        ours_proof = results["sqlite_proof"]["mean_us"]
        r["append_ratio_ours_over_pymerkle"] = ours_append / r["entries_per_s"]
        r["proof_ratio_pymerkle_over_ours"] = r["proof_mean_us"] / ours_proof
        print(f"pymerkle 7.0 SqliteTree, {pn:,} entries: append {r['entries_per_s']:,.0f} "
              f"entries/s, proof mean {r['proof_mean_us']:.0f} µs; ours is "
              f"{r['append_ratio_ours_over_pymerkle']:.2f}x its append rate and "
              f"{r['proof_ratio_pymerkle_over_ours']:.1f}x faster per proof")  # fmt: skip
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
