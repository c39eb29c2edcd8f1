"""Portal benchmark (issue 5): headless Chromium, page load -> verdict, for large draws.

For each size (default 13,300 and 1,000,000 units) it builds a real portal:
a log (MemoryStorage + Sequencer, a real Ed25519 log key) holding the unit and
inspector snapshots, the announce, a checkpoint co-signed by two witness keys
(timestamped an hour before the beacon round), the draw.result computed by
draw_engine with a round of the local development beacon, and a final
co-signed checkpoint; `public_portal.builder` writes the site and
`python -m http.server` serves it. Chromium then opens draw/<id>.html and we
measure the time from navigation start to the verdict, the main thread's
long tasks (PerformanceObserver 'longtask') and the largest gap between two
requestAnimationFrame callbacks (the page stays responsive while the Web
Worker recomputes). Witnesses are in-process keys here: their protocol is
measured by benchmarks/witness_bench.py, not this one.

Usage: python benchmarks/portal_bench.py [--sizes 13300,1000000] [--out FILE.json]
Targets: 13,300 units <= 1.5 s; 1,000,000 units <= 20 s with the page responsive.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from draw_engine.beacon import round_time
from draw_engine.canonical import canonical_json
from draw_engine.local_beacon import LocalBeaconKey
from draw_engine.select import compute_draw, spec_hash
from draw_engine.snapshot import format_records, make_snapshot, snapshot_entry
from public_portal.builder import PortalInputs, build_portal, trust_document
from transparency.checkpoint import parse_checkpoint
from transparency.note import append_signatures, parse_note
from transparency.note_keys import generate_signer
from transparency.sequencer import Sequencer
from transparency.storage import MemoryStorage
from witnesses.cosignature import Cosigner
from witnesses.policy import parse_policy

BRIGADES = ["xingbin", "heshan", "xiangzhou", "wuxuan", "jinxiu", "xincheng"]
ZONES = {"north": ["xingbin", "heshan", "xincheng"], "south": ["xiangzhou", "wuxuan", "jinxiu"]}
HEARTBEAT = """
window.__bench = {gaps: [], longTasks: [], last: null};
const beat = (t) => { const b = window.__bench; if (b.last !== null) b.gaps.push(t - b.last);
  b.last = t; if (document.documentElement.dataset.done !== '1') requestAnimationFrame(beat); };
requestAnimationFrame(beat);
try { new PerformanceObserver((l) => { for (const e of l.getEntries())
  window.__bench.longTasks.push(e.duration); }).observe({type: 'longtask', buffered: true});
} catch (e) {}
"""


def units(n: int) -> list[dict[str, Any]]:
    out = []
    for i in range(n):
        out.append({"id": f"U{i:07d}", "name": f"单位{i}", "brigade": BRIGADES[i % 6],
                    "status": "active" if i % 50 else "defunct", "industry": "retail",
                    "size_class": "small", "risk_level": ("high", "medium", "low")[i % 3],
                    "key_unit": i % 7 == 0, "crowded_place": i % 5 == 0,
                    "tags": ["ebike_parking"] if i % 11 == 0 else []})
    return out


def inspectors(n: int = 140) -> list[dict[str, Any]]:
    return [{"id": f"I{i:03d}", "name": f"检查员{i}", "brigade": BRIGADES[i % 6],
             "roles": ["lead", "assist"] if i % 3 else ["assist"], "status": "active",
             "cert_valid_until": "2030-12-31"} for i in range(n)]


def build_site(out: Path, n: int) -> tuple[str, dict[str, float]]:
    t0 = time.perf_counter()
    timings: dict[str, float] = {}
    storage = MemoryStorage()
    signer = generate_signer("bench.example/log")
    witnesses = [Cosigner(f"w{k}.bench.example", bytes([40 + k]) * 32) for k in (1, 2)]
    policy = parse_policy(f"log {signer.verifier_key}\n"
                          + "".join(f"witness w{k} {w.verifier_key}\n"
                                    for k, w in enumerate(witnesses, 1))
                          + "group both 2 w1 w2\nquorum both\n")
    now = int(time.time())
    key = LocalBeaconKey((987654321).to_bytes(32, "big"), genesis_time=now - 86400, period=3)
    chain = key.chain
    rnd = 1000
    when = round_time(chain, rnd)
    unit_snap = make_snapshot("units-bench", "units", units(n))
    insp_snap = make_snapshot("inspectors-bench", "inspectors", inspectors())
    timings["snapshots_s"] = time.perf_counter() - t0
    draw_id = f"BENCH-{n}"
    announce = {
        "type": "draw.announce", "v": 1, "draw_id": draw_id, "title": f"benchmark {n} units",
        "authority": "bench", "kind": "routine", "algorithm": "draw-v1",
        "period": {"from": "2026-11-01", "to": "2026-11-30"},
        "units": {"snapshot": unit_snap.name, "root": unit_snap.root_hex, "count": n},
        "inspectors": {"snapshot": insp_snap.name, "root": insp_snap.root_hex,
                       "count": insp_snap.count},
        "strata": [
            {"name": "high-key", "match": {"risk_level": ["high"], "key_unit": [True]},
             "quota": {"count": 30, "reserve": 3}},
            {"name": "ebike", "match": {"tags": ["ebike_parking"]},
             "quota": {"count": 20, "reserve": 2}},
            {"name": "high", "match": {"risk_level": ["high"]}, "quota": {"count": 30}},
            {"name": "rest", "match": {}, "quota": {"count": 60, "reserve": 3}}],
        "exclusions": [], "zones": ZONES,
        "teams": {"assistants": 1, "scopes": ["zone", "detachment"]}, "recusals": [],
        "beacon": {"scheme": chain.scheme, "chain_hash": chain.chain_hash.hex(), "round": rnd,
                   "round_time": datetime.fromtimestamp(when, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
                   "local": True},
        "supersedes": None,
    }

    def cosigned(seq: Sequencer, at: int) -> bytes:
        note = seq.checkpoint()
        body = parse_note(note).text
        full = append_signatures(note, [w.cosign(body, timestamp=at).to_note_signature()
                                        for w in witnesses])
        cp = parse_checkpoint(body)
        storage.store_checkpoint(cp.tree_size, cp.root_hash, full, cosigned=True,
                                 created_at=datetime.now(UTC))
        return full

    with Sequencer(storage, [signer], signer.name) as seq:
        seq.append([canonical_json(snapshot_entry(unit_snap, previous=None)),
                    canonical_json(snapshot_entry(insp_snap, previous=None)),
                    canonical_json(announce)])
        commitment = cosigned(seq, when - 3600)
        beacon = key.sign(rnd)
        t1 = time.perf_counter()
        computed = compute_draw(announce, unit_snap.records, beacon.randomness,
                                inspectors=insp_snap.records)
        timings["python_compute_s"] = time.perf_counter() - t1
        result = {"type": "draw.result", "v": 1, "draw_id": draw_id, "announce_index": 2,
                  "spec_hash": spec_hash(announce).hex(),
                  "beacon": {"round": rnd, "signature": beacon.signature.hex(),
                             "randomness": beacon.randomness.hex()}, **computed}
        seq.append([canonical_json(result)])
        cosigned(seq, now)
    trust = trust_document(origin=signer.name, log_vkeys=[signer.verifier_key], policy=policy,
                           chains=[chain])
    snapshots = {unit_snap.name: format_records(unit_snap),
                 insp_snap.name: format_records(insp_snap)}
    build_portal(out, PortalInputs(storage, trust, snapshots, {draw_id: commitment}))
    timings["build_total_s"] = time.perf_counter() - t0
    timings["units_file_mb"] = len(snapshots[unit_snap.name]) / 1e6
    return draw_id, timings


def measure(url: str, runs: int) -> list[dict[str, Any]]:
    from playwright.sync_api import sync_playwright

    from tests.public_portal.conftest import CHROMIUM, CHROMIUM_ARGS

    out = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        for _ in range(runs):
            ctx = browser.new_context()
            ctx.add_init_script(HEARTBEAT)
            page = ctx.new_page()
            page.goto(url)
            page.wait_for_function("document.documentElement.dataset.done === '1'",
                                   timeout=300_000)
            m = page.evaluate("""() => ({verdict: document.documentElement.dataset.verdict,
              load_to_verdict_ms: performance.now(),
              worker: JSON.parse(document.documentElement.dataset.timings || '{}'),
              page_elapsed_ms: Number(document.documentElement.dataset.elapsedMs),
              max_frame_gap_ms: Math.max(0, ...window.__bench.gaps),
              frames: window.__bench.gaps.length,
              long_tasks: window.__bench.longTasks.length,
              long_task_max_ms: Math.max(0, ...window.__bench.longTasks),
              long_task_total_ms: window.__bench.longTasks.reduce((a, b) => a + b, 0)})""")
            out.append(m)
            ctx.close()
        browser.close()
    return out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", default="13300,1000000")
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--out", default="benchmarks/results/portal_bench.json")
    args = ap.parse_args()
    from tests.public_portal.conftest import serve

    results = []
    for n in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            site = Path(tmp) / "site"
            draw_id, timings = build_site(site, n)
            with serve(site) as server:
                runs = measure(f"{server.url}draw/{draw_id}.html", args.runs if n < 100_000 else 1)
        best = min(r["load_to_verdict_ms"] for r in runs)
        row = {"units": n, "runs": runs, "best_load_to_verdict_ms": round(best), **timings}
        results.append(row)
        print(f"{n:>9} units: verdict {runs[0]['verdict']}, load->verdict best {best:.0f} ms "
              f"(runs: {', '.join(str(round(r['load_to_verdict_ms'])) for r in runs)}); "
              f"max rAF gap {max(r['max_frame_gap_ms'] for r in runs):.0f} ms, long tasks "
              f"{max(r['long_tasks'] for r in runs)} "
              f"(max {max(r['long_task_max_ms'] for r in runs):.0f} ms); "
              f"units file {timings['units_file_mb']:.1f} MB, "
              f"build {timings['build_total_s']:.1f} s",
              flush=True)
    doc = {"benchmark": "portal", "machine": platform.platform(), "cpus": os.cpu_count(),
           "python": platform.python_version(), "results": results}
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(doc, indent=1) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
