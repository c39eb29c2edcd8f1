"""Load benchmark of the service's public reads (issue 6): prints figures, writes
benchmarks/results/load_bench.json.

200 concurrent readers (asyncio, one keep-alive HTTP/1.1 connection each, in
this process) hit a real `fairdraw serve` process on loopback for `--seconds`
(default 10; 60 for the figures in docs) with a mix of the log's public reads: the
checkpoint, hash tiles
(full and partial, levels 0-1), entry bundles, inclusion proofs and consistency
proofs. The log is pre-filled with `--entries` entries and one signed
checkpoint. Run once on SQLite and, when --pg URL or FAIRDRAW_TEST_DATABASE_URL
is given, once on PostgreSQL (a fresh schema, dropped afterwards).

Reported per database: requests, throughput (req/s), p50/p99/max latency (ms),
errors (non-200 answers, timeouts, connection failures). Target: 0 errors,
p99 < 100 ms. The client shares the 2-core machine with the server, so the
figures are a floor, not a ceiling.

With `--servers N`, N `fairdraw serve` processes share the database (the
first is the writer, the others serve reads only) and the readers are spread
over them.

Shapes (`--shape serve|nginx|both`, default both): `serve` sends the readers to
`fairdraw serve` alone; `nginx` puts the production shape in front (issue 14:
`fairdraw nginx-config`, the log exported as files with `fairdraw log export`,
nginx serving the checkpoint, tiles and bundles and proxying the proofs to the
same serve process). Each shape gets its own warm-up and run on the same log.
`--mix files` drops the proofs: the reads a C2SP tlog-tiles client (the portal,
`fairdraw verify`) makes.

The default run is short (10 s per shape); the full figures use --seconds 60.

Usage: python benchmarks/load_bench.py [--seconds 10] [--readers 200]
       [--entries 100000] [--pg URL] [--no-sqlite] [--servers N] [--shape both]
Not run by the tests.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import requests
import sqlalchemy as sa

RESULTS = Path(__file__).parent / "results" / "load_bench.json"
CLI = [sys.executable, "-c", "from fairdraw.cli import main; main()"]
ORIGIN = "localhost/load-bench/log"


def fill_log(url: str, entries: int, key_dir: Path) -> int:
    from fairdraw.db import create_engine, upgrade_engine
    from transparency.keyfile import write_signer_key_file
    from transparency.note_keys import generate_signer
    from transparency.sequencer import Sequencer
    from transparency.sql import SqlStorage

    signer = generate_signer(ORIGIN)
    write_signer_key_file(key_dir / "log.key", signer)
    engine = create_engine(url)
    upgrade_engine(engine)
    storage = SqlStorage(engine)
    try:
        with Sequencer(storage, [signer], ORIGIN) as seq:
            rng = random.Random(1)
            batch = 10_000
            for start in range(0, entries, batch):
                n = min(batch, entries - start)
                seq.append([json.dumps({"type": "bench", "v": 1, "seq": start + k,
                                        "pad": rng.randbytes(40).hex()}).encode()
                            for k in range(n)])
            seq.checkpoint()
            return seq.tree_size
    finally:
        engine.dispose()


class RequestMix:
    """Random public reads implied by a checkpoint of `size`: 20 % checkpoint, 25 % hash
    tiles (levels 0-1, full and partial), 15 % entry bundles, 25 % inclusion proofs and
    15 % consistency proofs at random indices (so proofs are mostly distinct requests).
    `files_only`: the checkpoint, tiles and bundles alone, in the same proportions."""

    def __init__(self, size: int, files_only: bool = False) -> None:
        from transparency.tiles import entries_path, tile_path, tiles_for_size

        refs = tiles_for_size(size)
        self.size = size
        self.files_only = files_only
        self.tiles = ["/log/" + tile_path(t.level, t.index, t.width)
                      for t in refs if t.level is not None and t.level <= 1]
        self.bundles = ["/log/" + entries_path(t.index, t.width) for t in refs
                        if t.level is None]

    def next(self, rng: random.Random) -> str:
        kind = rng.random() * (0.6 if self.files_only else 1.0)
        if kind < 0.2:
            return "/log/checkpoint"
        if kind < 0.45:
            return rng.choice(self.tiles)
        if kind < 0.6:
            return rng.choice(self.bundles)
        if kind < 0.85:
            return f"/log/proof/inclusion?index={rng.randrange(self.size)}&size={self.size}"
        return f"/log/proof/consistency?old={rng.randrange(1, self.size)}&new={self.size}"


async def _reader(port: int, mix: RequestMix, seed: int, stop: float, lat: list[float],
                  errors: list[str]) -> None:
    reader = writer = None
    rng = random.Random(seed)
    while time.perf_counter() < stop:
        path = mix.next(rng)
        t0 = time.perf_counter()
        try:
            if writer is None:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
            assert reader is not None
            writer.write(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
            status_line = await asyncio.wait_for(reader.readline(), 10)
            length, close = 0, False
            while True:
                line = await reader.readline()
                if line in (b"\r\n", b""):
                    break
                name, _, value = line.decode("latin-1").partition(":")
                if name.lower() == "content-length":
                    length = int(value)
                elif name.lower() == "connection" and "close" in value.lower():
                    close = True
            await reader.readexactly(length)
            lat.append(time.perf_counter() - t0)
            status = status_line.split(b" ", 2)[1] if status_line else b"EOF"
            if status != b"200":
                errors.append(f"{status.decode()} {path}")
            if close:
                writer.close()
                reader = writer = None
        except (TimeoutError, OSError, asyncio.IncompleteReadError, ValueError) as e:
            errors.append(f"{type(e).__name__} {path}")
            if writer is not None:
                writer.close()
            reader = writer = None
    if writer is not None:
        writer.close()


async def _load(ports: list[int], mix: RequestMix, readers: int, seconds: float,
                seed: int = 0) -> tuple[list[float], list[str], float]:
    lat: list[float] = []
    errors: list[str] = []
    start = time.perf_counter()
    stop = start + seconds
    await asyncio.gather(*[_reader(ports[k % len(ports)], mix, seed * 100_000 + k, stop, lat,
                                   errors) for k in range(readers)])
    return lat, errors, time.perf_counter() - start


def start_nginx(work: Path, url: str, upstream_port: int, env: dict[str, str]
                ) -> tuple[subprocess.Popen[bytes], int]:
    """Export the log under work/portal/log and start nginx (the production shape) in front
    of the serve process on `upstream_port`; return the process and nginx's port."""
    from fairdraw.local_processes import free_port

    nginx_bin = shutil.which("nginx") or "/usr/sbin/nginx"
    portal, run = work / "portal", work / "nginx"
    run.mkdir(exist_ok=True)
    subprocess.run([*CLI, "log", "export", "--out", str(portal / "log"), "--db", url], env=env,
                   check=True, capture_output=True)
    port = free_port()
    conf = work / "nginx.conf"
    args = ["nginx-config", "--portal", str(portal), "--run-dir", str(run), "--listen",
            f"127.0.0.1:{port}", "--upstream", f"127.0.0.1:{upstream_port}", "--out", str(conf)]
    if os.geteuid() == 0:
        args += ["--user", "root"]
    subprocess.run([*CLI, *args], env=env, check=True, capture_output=True)
    proc = subprocess.Popen([nginx_bin, "-p", str(run), "-e", str(run / "error.log"), "-c",
                             str(conf), "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(100):
        try:
            if requests.get(f"http://127.0.0.1:{port}/log/checkpoint", timeout=1).ok:
                break
        except requests.ConnectionError:
            time.sleep(0.1)
    return proc, port


def _summary(label: str, shape: str, args: argparse.Namespace, size: int, lat: list[float],
             errors: list[str], elapsed: float) -> dict[str, Any]:
    lat.sort()
    n = len(lat)

    def pct(p: float) -> float:
        return round(lat[min(n - 1, int(p * n))] * 1000, 2) if n else float("nan")

    result = {"database": label, "shape": shape, "mix": args.mix, "servers": args.servers,
              "entries": size, "readers": args.readers,
              "seconds": round(elapsed, 1), "requests": n,
              "throughput_rps": round(n / elapsed, 1), "p50_ms": pct(0.50),
              "p99_ms": pct(0.99), "max_ms": round(lat[-1] * 1000, 2) if n else None,
              "errors": len(errors), "error_examples": sorted(set(errors))[:5]}
    print(f"[{label} {shape} {args.mix} x{args.servers}] {result['requests']} requests in "
          f"{result['seconds']} s: {result['throughput_rps']} req/s, p50 {result['p50_ms']} ms, "
          f"p99 {result['p99_ms']} ms, max {result['max_ms']} ms, errors {result['errors']}",
          flush=True)
    return result


def run_one(label: str, url: str, args: argparse.Namespace) -> list[dict[str, Any]]:
    from fairdraw.local_processes import free_port

    work = Path(tempfile.mkdtemp(prefix=f"load-{label}-"))
    t = time.perf_counter()
    size = fill_log(url, args.entries, work)
    print(f"[{label}] log filled: {size} entries in {time.perf_counter() - t:.1f} s", flush=True)
    config = work / "fairdraw.json"
    config.write_text(json.dumps({"database_url": url, "data_dir": str(work),
                                  "log_origin": ORIGIN}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAIRDRAW_")}
    env["FAIRDRAW_CONFIG"] = str(config)
    ports = [free_port() for _ in range(args.servers)]
    servers: list[subprocess.Popen[bytes]] = []
    nginx: subprocess.Popen[bytes] | None = None
    runs: list[dict[str, Any]] = []
    try:
        for port in ports:  # the first is the writer, the others serve reads only
            servers.append(subprocess.Popen([*CLI, "serve", "--port", str(port)], env=env,
                                            stdout=subprocess.DEVNULL,
                                            stderr=subprocess.DEVNULL))
            for _ in range(300):
                try:
                    if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=1).ok:
                        break
                except requests.ConnectionError:
                    time.sleep(0.1)
        mix = RequestMix(size, files_only=args.mix == "files")
        shapes = ["serve", "nginx"] if args.shape == "both" else [args.shape]
        for shape in shapes:
            targets = ports
            if shape == "nginx":
                nginx, nginx_port = start_nginx(work, url, ports[0], env)
                targets = [nginx_port]
            asyncio.run(_load(targets, mix, 20, 2, seed=1))  # warm-up (connections, imports)
            lat, errors, elapsed = asyncio.run(_load(targets, mix, args.readers, args.seconds,
                                                     seed=2))
            runs.append(_summary(label, shape, args, size, lat, errors, elapsed))
    finally:
        if nginx is not None:
            nginx.send_signal(signal.SIGQUIT)
            nginx.wait(timeout=10)
        for server in servers:
            server.send_signal(signal.SIGINT)
        for server in servers:
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
    return runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--seconds", type=float, default=10,
                    help="per shape (the full figures: 60)")
    ap.add_argument("--readers", type=int, default=200)
    ap.add_argument("--entries", type=int, default=100_000)
    ap.add_argument("--pg", default=os.environ.get("FAIRDRAW_TEST_DATABASE_URL"))
    ap.add_argument("--no-sqlite", action="store_true")
    ap.add_argument("--servers", type=int, default=1,
                    help="serve processes (one writer, the others read-only)")
    ap.add_argument("--mix", choices=["all", "files"], default="all",
                    help="all: the mix above; files: checkpoint, tiles and bundles only "
                         "(what a tlog-tiles client reads; proofs are computed from tiles)")
    ap.add_argument("--shape", choices=["serve", "nginx", "both"], default="both",
                    help="readers against fairdraw serve alone, nginx in front, or both")
    args = ap.parse_args()
    results: dict[str, Any] = {"machine": {"cpus": os.cpu_count(),
                                           "python": platform.python_version()},
                               "runs": []}
    if not args.no_sqlite:
        path = Path(tempfile.mkdtemp(prefix="load-sqlite-")) / "bench.db"
        results["runs"].extend(run_one("sqlite", f"sqlite:///{path}", args))
    if args.pg:
        schema = f"load_{uuid.uuid4().hex[:10]}"
        admin = sa.create_engine(args.pg)
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        sep = "&" if "?" in args.pg else "?"
        try:
            results["runs"].extend(run_one(
                "postgresql", f"{args.pg}{sep}options=-csearch_path%3D{schema}", args))
        finally:
            with admin.begin() as conn:
                conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
            admin.dispose()
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(results, indent=1) + "\n")
    print(f"wrote {RESULTS}")


if __name__ == "__main__":
    main()
