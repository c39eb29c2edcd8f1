"""Round trip: signed checkpoint -> 3 witness processes -> published co-signed checkpoint.

Starts three `fairdraw witness serve` processes (SQLite state, synchronous=FULL,
loopback). The log is the real one: an SQLite `SqlStorage` (WAL,
synchronous=FULL) with its `Sequencer`. For each of N checkpoints it appends
one entry (not timed), then times the whole publication: the sequencer signs
and durably stores the checkpoint, the `Collector` obtains and verifies
cosignatures from all three witnesses (policy: all three; consistency proofs
read from storage), and the co-signed note is durably stored as the published
checkpoint (what `/checkpoint` serves). Prints the figures and writes
benchmarks/results/witness_bench.json.

Usage: python benchmarks/witness_bench.py [--checkpoints 1000]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

import requests

from draw_engine.commitment import cosign_checkpoint
from transparency.note_keys import generate_signer
from transparency.sequencer import Sequencer
from transparency.sql import SqlStorage
from witnesses.collector import Collector, WitnessEndpoint
from witnesses.directory import add_log, init_witness
from witnesses.policy import parse_policy

CLI = [sys.executable, "-c", "from fairdraw.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--checkpoints", type=int, default=1000)
    parser.add_argument("--out", default=str(Path(__file__).parent / "results/witness_bench.json"))
    args = parser.parse_args()

    origin = "bench.fairdraw.example/log"
    log_signer = generate_signer(origin)
    tmp = Path(tempfile.mkdtemp(prefix="witness-bench-"))
    procs, endpoints = [], []
    for i in range(3):
        d = tmp / f"w{i}"
        vkey = init_witness(d, f"witness{i}.bench.example").verifier_key
        add_log(d, origin, log_signer.verifier_key)
        port = free_port()
        procs.append(subprocess.Popen(
            [*CLI, "witness", "serve", "--dir", str(d), "--port", str(port),
             "--rate", "1000000", "--burst", "1000000"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        ))
        endpoints.append(WitnessEndpoint(f"http://127.0.0.1:{port}", vkey))
    try:
        for e in endpoints:
            deadline = time.monotonic() + 30
            while True:
                try:
                    requests.get(e.url + "/healthz", timeout=0.5)
                    break
                except requests.RequestException:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
        policy = parse_policy(
            "".join(f"witness w{i} {e.vkey}\n" for i, e in enumerate(endpoints))
            + "group all3 all w0 w1 w2\nquorum all3\n"
        )
        collector = Collector(endpoints, policy, timeout=5.0)
        storage = SqlStorage.open(f"sqlite:///{tmp / 'log.db'}")
        sequencer = Sequencer(storage, [log_signer], origin)
        times = []
        for i in range(args.checkpoints + 10):
            sequencer.append([f"entry {i}".encode()])
            start = time.perf_counter()
            cp, cosigned = cosign_checkpoint(sequencer, collector, storage)
            storage.store_checkpoint(cp.tree_size, cp.root_hash, cosigned, cosigned=True,
                                     created_at=datetime.now(UTC))
            elapsed = time.perf_counter() - start
            assert cosigned.count("\u2014".encode()) == 4
            if i >= 10:  # warm-up: connection setup, first SQLite writes
                times.append(elapsed * 1000)
        published = storage.latest_checkpoint(cosigned_only=True)
        assert published is not None
        assert published.tree_size == args.checkpoints + 10
        sequencer.close()
        storage.close()
        collector.close()
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            p.wait(timeout=10)
    times.sort()
    result = {
        "benchmark": ("sign + store checkpoint -> 3 witness processes (SQLite, loopback) -> "
                      "verified co-signed checkpoint stored as published (SQLite log)"),
        "checkpoints": len(times),
        "p50_ms": round(statistics.median(times), 2),
        "p90_ms": round(times[int(0.90 * len(times)) - 1], 2),
        "p99_ms": round(times[int(0.99 * len(times)) - 1], 2),
        "max_ms": round(times[-1], 2),
        "mean_ms": round(statistics.fmean(times), 2),
        "target_p50_ms": 20,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }
    print(json.dumps(result, indent=2))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(result, indent=2) + "\n")


if __name__ == "__main__":
    main()
