"""Draw-engine benchmarks (issue 15): each figure a ratio to a floor and to peers, same run.

The 2 cores of the development machine are shared with other jobs, so no
absolute figure here means much alone. Every workload is run against its
floor (and peers) in the same process, interleaved round by round, and the
minimum of `--rounds` rounds is kept for each; the ratios of those minima are
the figures. Each timed step starts after `gc.collect()`, with the collector
on (as a user's process runs), one core: nothing forks.

N = --units (default 1,000,000):
1. selection: `compute_draw` over an in-memory pool of N active unit records,
   one stratum `{}`, `{"count": 10000}`, no teams. Floor: the ids given as a
   list, one `hashlib.sha256(seed + JCS(["target", id]))` per id and
   `heapq.nsmallest(10000, zip(tickets, ids))`. Peers on the same ids and k
   (other algorithms, other picks): `consistent_sampler.sampler(take=k)`,
   `cryptorandom` `sample_by_index` and PIKK.
2. `fairdraw recompute` with teams (3 strata, about 8,000 selected; lead,
   assistant and expert per unit; scopes zone → detachment; recusals;
   exclusions): the CLI function in-process (read the files, check the roots,
   draw, print canonical JSON). Floor (the naive stdlib reader, no teams):
   `json.loads` per line, the RFC 9162 root with hashlib over the lines, one
   target ticket per active unit, `heapq.nsmallest`.
3. snapshot commit from a raw registry JSONL file (not canonical: ASCII
   escapes, spaces, unsorted, private fields): `parse_json_lines` (the strict
   `parse_json` of each line), `make_snapshot`, `format_records`,
   `snapshot_entry`; goal ≤ 15 s. Floor:
   `json.loads` per line, `json.dumps(sort_keys=True)` per record, sort,
   hashlib root.
4. `fairdraw snapshot root FILE`: the CLI function in-process on the published
   file. Floor: a hashlib loop over the lines (leaf hashes, then the tree).

Usage: python benchmarks/draw_bench.py [--units 1000000] [--rounds 3] [--only a,b] [--no-peers]
Writes benchmarks/results/draw_bench.json. Not run by the tests.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import heapq
import io
import json
import os
import platform
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from draw_engine.canonical import canonical_json, parse_json_lines
from draw_engine.select import compute_draw
from draw_engine.snapshot import format_records, make_snapshot, snapshot_entry

RESULTS = Path(__file__).parent / "results" / "draw_bench.json"
PICKED = 10_000
RANDOMNESS = hashlib.sha256(b"fairdraw bench randomness").digest()
BRIGADES = ("hq", "xingbin", "wuxuan", "xiangzhou", "jinxiu", "heshan", "xincheng")
ZONES = {"z1": ["hq", "xingbin"], "z2": ["wuxuan", "xiangzhou", "jinxiu"],
         "z3": ["heshan", "xincheng"]}
RISKS = ("low", "low", "low", "medium", "medium", "high")
TAGS = ("market", "high_rise", "ebike_parking", "school", "hotel", "warehouse")
GOALS = {"selection": ("floor", 2.0), "recompute": ("floor", 0.8),
         "snapshot_root": ("floor", 1.5)}


def make_units(n: int, *, all_active: bool) -> list[dict[str, Any]]:
    """Deterministic unit registry records, with private fields the snapshot must drop."""
    rng = random.Random(4)
    units = []
    for i in range(n):
        units.append({
            "id": f"U{i:07d}",
            "name": f"单位{i}",
            "brigade": BRIGADES[rng.randrange(len(BRIGADES))],
            "status": "active" if all_active or rng.random() < 0.97 else "defunct",
            "industry": f"ind{rng.randrange(40)}",
            "size_class": f"s{rng.randrange(5)}",
            "risk_level": RISKS[rng.randrange(len(RISKS))],
            "key_unit": rng.random() < 0.1,
            "crowded_place": rng.random() < 0.2,
            "tags": sorted(rng.sample(TAGS, rng.randrange(3))),
            "phone": f"138{i:08d}",
        })
    rng.shuffle(units)
    return units


def make_people(prefix: str, count: int, roles: bool) -> list[dict[str, Any]]:
    rng = random.Random(len(prefix) + count)
    people = []
    for i in range(count):
        person: dict[str, Any] = {
            "id": f"{prefix}{i:03d}", "name": f"人员{i}",
            "brigade": BRIGADES[i % len(BRIGADES)],
            "status": "active" if rng.random() < 0.9 else "inactive",
        }
        if roles:
            person["roles"] = ["lead", "assist"] if rng.random() < 0.5 else ["assist"]
            person["cert_valid_until"] = "2028-06-30" if rng.random() < 0.9 else "2026-06-30"
        else:
            person["field"] = "electrical"
        people.append(person)
    return people


def ref(snapshot_name: str, root: bytes, count: int) -> dict[str, Any]:
    return {"snapshot": snapshot_name, "root": root.hex(), "count": count}


def announce(units_ref: dict[str, Any], *, strata: list[dict[str, Any]],
             teams: dict[str, Any] | None = None, **extra: Any) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "type": "draw.announce", "v": 1, "draw_id": "BENCH-1", "title": "基准 抽查",
        "authority": "来宾市消防救援支队", "kind": "routine", "algorithm": "draw-v1",
        "period": {"from": "2026-12-01", "to": "2026-12-31"},
        "units": units_ref, "strata": strata,
        "beacon": {"scheme": "bls-unchained-g1-rfc9380",
                   "chain_hash": "52db9ba70e0cc0f6eaf7803dd07447a1f5477735fd3f661792ba94600c84e971",
                   "round": 30000000, "round_time": "2026-12-01T00:00:00Z"},
        "supersedes": None,
    }
    if teams is not None:
        entry["teams"] = teams
    return entry | extra


def team_announce(units_ref: dict[str, Any], inspectors: list[dict[str, Any]],
                  experts: list[dict[str, Any]], n: int) -> dict[str, Any]:
    insp = make_snapshot("inspectors-bench", "inspectors", inspectors)
    expt = make_snapshot("experts-bench", "experts", experts)
    # About 10,000 selected out of N: high risk 1/50, crowded 1/100, the rest 1/200.
    return announce(
        units_ref,
        strata=[
            {"name": "high", "match": {"risk_level": ["high"]},
             "quota": {"ratio": "2/100", "reserve": 20}},
            {"name": "crowded", "match": {"crowded_place": [True]},
             "quota": {"ratio": "1/100", "min": 5, "reserve": 10}},
            {"name": "rest", "match": {}, "quota": {"ratio": "1/200", "reserve": 10}},
        ],
        teams={"assistants": 1, "experts": 1, "scopes": ["zone", "detachment"],
               "exclude_own_brigade": False},
        inspectors=ref(insp.name, insp.root, insp.count),
        experts=ref(expt.name, expt.root, expt.count),
        zones=ZONES,
        exclusions=[{"unit_id": f"U{i:07d}", "reason": "inspected recently"}
                    for i in range(0, n, max(1, n // 50))],
        recusals=[[f"I{i:03d}", f"U{j:07d}"] for i in range(0, 60, 3)
                  for j in range(i, n, max(1, n // 20))],
    )


def _stdout_of(fn: Callable[[], None]) -> bytes:
    """What `fn` writes on stdout (a CLI command function run in-process)."""
    real = sys.stdout
    sys.stdout = io.TextIOWrapper(io.BytesIO(), encoding="utf-8")
    try:
        fn()
        sys.stdout.flush()
        return sys.stdout.buffer.getvalue()  # type: ignore[attr-defined,no-any-return]
    finally:
        sys.stdout = real


def leaves_root(lines: list[bytes]) -> bytes:
    """The floor's root: SHA-256 leaf per line, then the RFC 9162 tree level by level."""
    sha256 = hashlib.sha256
    level = [sha256(b"\x00" + line).digest() for line in lines]
    while len(level) > 1:
        odd = level[-1] if len(level) % 2 else None
        level = [sha256(b"\x01" + a + b).digest() for a, b in zip(level[0::2], level[1::2],
                                                                     strict=False)]
        if odd is not None:
            level.append(odd)
    return level[0] if level else sha256(b"").digest()


def floor_tickets(seed: bytes, ids: list[str], k: int) -> list[str]:
    """The plain floor of selection: one SHA-256 ticket per id, the k smallest by heap."""
    sha256 = hashlib.sha256
    tickets = [sha256(seed + b'["target","' + i.encode() + b'"]').digest() for i in ids]
    return [i for _t, i in heapq.nsmallest(k, zip(tickets, ids, strict=True))]


class Rounds:
    """Interleaved timings: each round runs every step once; the minimum per step is kept."""

    def __init__(self) -> None:
        self.wall: dict[str, list[float]] = {}
        self.cpu: dict[str, list[float]] = {}
        self.load: list[float] = []

    def run(self, label: str, fn: Callable[[], Any]) -> Any:
        gc.collect()
        self.load.append(os.getloadavg()[0])
        start, cpu = time.perf_counter(), time.process_time()
        value = fn()
        self.wall.setdefault(label, []).append(time.perf_counter() - start)
        self.cpu.setdefault(label, []).append(time.process_time() - cpu)
        del value
        gc.collect()
        return None

    def best(self, label: str) -> float:
        return min(self.wall[label])

    def summary(self) -> dict[str, Any]:
        return {label: {"min_s": min(times), "median_s": sorted(times)[len(times) // 2],
                        "cpu_min_s": min(self.cpu[label]), "runs_s": times}
                for label, times in self.wall.items()}


def write_inputs(workdir: Path, n: int) -> dict[str, Any]:
    raw = make_units(n, all_active=False)
    raw_path = workdir / "units-raw.jsonl"
    # The registry export: unsorted, not canonical (ASCII escapes, spaces), private fields in.
    raw_path.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in raw))
    snap = make_snapshot("units-bench", "units", raw)
    del raw
    units_path = workdir / "units.jsonl"
    units_path.write_bytes(format_records(snap))
    inspectors = make_people("I", 120, roles=True)
    experts = make_people("E", 30, roles=False)
    paths = {"raw": raw_path, "units": units_path}
    for kind, records in (("inspectors", inspectors), ("experts", experts)):
        paths[kind] = workdir / f"{kind}.jsonl"
        paths[kind].write_bytes(format_records(make_snapshot(f"{kind}-bench", kind, records)))
    entry = team_announce(ref("units-bench", snap.root, n), inspectors, experts, n)
    paths["announce"] = workdir / "announce.json"
    paths["announce"].write_bytes(canonical_json(entry))
    return {"paths": paths, "root": snap.root_hex, "count": n,
            "raw_mb": raw_path.stat().st_size / 1e6,
            "published_mb": units_path.stat().st_size / 1e6}


def commit_snapshot(raw_path: Path) -> dict[str, Any]:
    data = raw_path.read_bytes()
    records = parse_json_lines(data.splitlines())
    snapshot = make_snapshot("units-bench", "units", records)
    format_records(snapshot)
    return snapshot_entry(snapshot, previous=None)


def commit_floor(raw_path: Path) -> bytes:
    private = {"phone"}
    data = raw_path.read_bytes()
    records = [json.loads(line) for line in data.splitlines()]
    lines = sorted((r["id"], json.dumps({k: v for k, v in r.items() if k not in private},
                                        sort_keys=True, separators=(",", ":"),
                                        ensure_ascii=False).encode())
                   for r in records)
    return leaves_root([line for _id, line in lines])


def recompute_floor(paths: dict[str, Path], seed: bytes, k: int) -> list[str]:
    """The naive stdlib reader: json.loads per line, hashlib root, a ticket per active unit."""
    data = paths["units"].read_bytes()
    lines = data.split(b"\n")
    lines.pop()
    records = [json.loads(line) for line in lines]
    leaves_root(lines)
    ids = [r["id"] for r in records if r["status"] == "active"]
    return floor_tickets(seed, ids, k)


def selection_phase(n: int, rounds: int, timings: Rounds, *, peers_too: bool) -> None:
    """Selection and its floor and peers, interleaved; the in-memory pool is freed after."""
    pool = make_units(n, all_active=True)
    for unit in pool:
        del unit["phone"]
    ids = [u["id"] for u in pool]
    pool_announce = announce(ref("units-pool", b"\x00" * 32, n),
                             strata=[{"name": "all", "match": {}, "quota": {"count": PICKED}}])
    seed = bytes.fromhex(compute_draw(pool_announce, pool[:1], RANDOMNESS)["seed"])
    k = min(PICKED, n)
    seed_int = int.from_bytes(seed, "big")
    # The floor must pick what draw-v1 picks for a `{}` stratum: same tickets, same order.
    picked = [s["unit_id"] for s in compute_draw(pool_announce, pool, RANDOMNESS)["selected"]]
    assert picked == floor_tickets(seed, ids, k), "the selection floor is not draw-v1"
    steps: list[tuple[str, Callable[[], Any]]] = [
        ("selection", lambda: compute_draw(pool_announce, pool, RANDOMNESS)),
        ("selection_floor", lambda: floor_tickets(seed, ids, k))]
    if peers_too:
        import consistent_sampler
        from cryptorandom.cryptorandom import SHA256
        from cryptorandom.sample import random_sample

        steps += [
            ("selection_peer_consistent_sampler", lambda: list(consistent_sampler.sampler(
                ids, seed=seed.hex(), take=k, output="id"))),
            ("selection_peer_cryptorandom_sample_by_index", lambda: random_sample(
                ids, k, method="sample_by_index", prng=SHA256(seed_int))),
            ("selection_peer_cryptorandom_pikk", lambda: random_sample(
                ids, k, method="PIKK", prng=SHA256(seed_int))),
        ]
    for number in range(rounds):
        for label, fn in steps:
            timings.run(label, fn)
        print(f"  selection round {number + 1}/{rounds} (load {os.getloadavg()[0]:.1f})",
              flush=True)


def files_phase(n: int, rounds: int, only: set[str], workdir: Path,
                timings: Rounds) -> dict[str, Any]:
    """The three file workloads and their floors, interleaved, with no big heap alive."""
    from fairdraw.cli.draw import recompute, snapshot_root

    inputs = write_inputs(workdir, n)
    paths = inputs["paths"]

    def run_recompute() -> bytes:
        return _stdout_of(lambda: recompute(
            announce=paths["announce"], units=paths["units"], randomness=RANDOMNESS.hex(),
            inspectors=paths["inspectors"], experts=paths["experts"]))

    def run_root() -> bytes:
        return _stdout_of(lambda: snapshot_root(paths["units"]))

    assert run_root().decode() == f"{inputs['root']} {n}\n"
    output = run_recompute()
    recompute_seed = bytes.fromhex(json.loads(output)["seed"])
    k = min(PICKED, n)
    steps: list[tuple[str, Callable[[], Any]]] = []
    if "recompute" in only:
        steps += [("recompute", run_recompute),
                  ("recompute_floor", lambda: recompute_floor(paths, recompute_seed, k))]
    if "snapshot_root" in only:
        steps += [("snapshot_root", run_root),
                  ("snapshot_root_floor", lambda: leaves_root(
                      paths["units"].read_bytes().split(b"\n")[:-1]))]
    if "snapshot_commit" in only:
        steps += [("snapshot_commit", lambda: commit_snapshot(paths["raw"])),
                  ("snapshot_commit_floor", lambda: commit_floor(paths["raw"]))]
    for number in range(rounds):
        for label, fn in steps:
            timings.run(label, fn)
        print(f"  files round {number + 1}/{rounds} (load {os.getloadavg()[0]:.1f})", flush=True)
    cli: dict[str, float] = {}
    if "recompute" in only:
        command = [str(Path(sys.executable).parent / "fairdraw"), "recompute", "--announce",
                   str(paths["announce"]), "--units", str(paths["units"]), "--inspectors",
                   str(paths["inspectors"]), "--experts", str(paths["experts"]),
                   "--randomness", RANDOMNESS.hex()]
        start = time.perf_counter()
        proc = subprocess.run(command, check=True, capture_output=True)
        cli["recompute_subprocess_s"] = time.perf_counter() - start
        assert proc.stdout == output, "subprocess output differs from the in-process output"
    result = json.loads(output)
    return {"inputs": {key: value for key, value in inputs.items() if key != "paths"},
            "selected_with_teams": len(result["selected"]),
            "recompute_output_sha256": hashlib.sha256(output).hexdigest(), "cli": cli}


def bench(n: int, rounds: int, only: set[str], workdir: Path, *,
          peers_too: bool = True) -> dict[str, Any]:
    timings = Rounds()
    if "selection" in only:
        selection_phase(n, rounds, timings, peers_too=peers_too)
        gc.collect()
    report = files_phase(n, rounds, only, workdir, timings)
    report["timings"] = timings.summary()
    report["load_average_1min"] = {"min": min(timings.load), "max": max(timings.load)}
    return report


def ratios(timings: dict[str, Any], key: str = "min_s") -> dict[str, float]:
    """Each workload's minimum over its floor's and peers' minima (wall, or CPU with
    key="cpu_min_s": under a heavy load the CPU seconds are the steadier figure)."""
    out: dict[str, float] = {}
    for work in ("selection", "recompute", "snapshot_root", "snapshot_commit"):
        if work not in timings:
            continue
        mine = timings[work][key]
        for label, figures in timings.items():
            if label.startswith(work + "_") and (label.endswith("_floor")
                                                 or "_peer_" in label):
                out[f"{work} / {label.removeprefix(work + '_')}"] = mine / figures[key]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--only", default="selection,recompute,snapshot_root,snapshot_commit")
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--no-peers", action="store_true",
                        help="selection against its floor only (no consistent_sampler etc.)")
    args = parser.parse_args()
    only = set(args.only.split(","))
    print(f"draw bench, N = {args.units:,} units, {args.rounds} interleaved rounds")
    with tempfile.TemporaryDirectory(prefix="draw-bench-") as tmp:
        report = bench(args.units, args.rounds, only, Path(tmp), peers_too=not args.no_peers)
    report["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count(),
                         "platform": platform.platform()}
    report["ratios"] = ratios(report["timings"])
    report["cpu_ratios"] = ratios(report["timings"], "cpu_min_s")
    report["goals"] = {f"{work} / {floor}": limit for work, (floor, limit) in GOALS.items()}
    for label, figures in report["timings"].items():
        print(f"  {label:<44} min {figures['min_s']:8.3f} s  median {figures['median_s']:8.3f} s"
              f"  cpu {figures['cpu_min_s']:8.3f} s")
    for name, value in report["ratios"].items():
        goal = report["goals"].get(name)
        verdict = "" if goal is None else f"  goal ≤ {goal}: {'met' if value <= goal else 'MISSED'}"
        print(f"  {name:<52} {value:6.2f}× wall, {report['cpu_ratios'][name]:6.2f}× cpu{verdict}")
    load = report["load_average_1min"]
    print(f"  load average (1 min) during the rounds: {load['min']:.1f}–{load['max']:.1f}")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written to {args.out}")


if __name__ == "__main__":
    main()
