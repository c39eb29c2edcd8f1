"""Draw-engine benchmarks (issue 4): prints figures, writes benchmarks/results/draw_bench.json.

Workloads (targets from the issue, on the 2-core machine), N = --units (default 1,000,000):
1. selection: `compute_draw` over an in-memory pool of N active units, one
   stratum `{}` with `{"count": 10000}` (10,000 picked), no teams: ≤ 1.0 s;
2. `fairdraw recompute` with teams over the published N-unit snapshot file
   (3 strata, about 10,000 selected, lead + assistant + expert per unit, scopes
   zone → detachment, recusals, exclusions): the CLI function in-process
   (file reading, root checks, draw, canonical output) ≤ 4 s, plus one real
   `fairdraw recompute` subprocess whose stdout must equal the in-process bytes;
3. snapshot commit from a raw registry JSONL file of N records (parse and
   validate each line with `parse_json`, via `parse_json_lines`; `make_snapshot`: public projection,
   canonical JSON, sort, duplicate check, RFC 9162 root; then the published
   file bytes and the `registry.snapshot` entry): ≤ 15 s;
4. root recompute from the published file: the `fairdraw snapshot root` CLI
   function in-process (read, `parse_records`, root); one real subprocess run
   is also timed: ≤ 6 s.

Each timed step reports wall and CPU seconds (`time.process_time`) and the load
average before it; garbage left by earlier steps is collected before timing.

Reference points (same pool, same k; NOT the same algorithm, so their picks differ):
- `consistent_sampler.sampler(ids, seed, take=k, output="id")`: for every id,
  ticket = SHA-256(hex(SHA-256(str(seed))) + id) as a decimal string, pushed
  one by one onto a heap of Ticket tuples; the k smallest are popped;
- `cryptorandom.sample.random_sample(ids, k, method="sample_by_index",
  prng=SHA256(seed))`: k sequential draws of an index from the SHA-256
  counter-mode PRNG (rejection sampling on random bits), swap-remove from the
  index list (a partial Fisher-Yates); it hashes k times, not N times;
- `cryptorandom` PIKK (`method="PIKK"`): N uniform floats from the same PRNG,
  argsort, keep k; the closest in shape to draw-v1 (one ticket per unit).

Usage: python benchmarks/draw_bench.py [--units 1000000] [--no-references]
Not run by the tests.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import io
import json
import os
import platform
import random
import shutil
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
# The installed console script, as a user runs it (not the pyenv shim).
_SCRIPT = Path(sys.executable).parent / "fairdraw"
FAIRDRAW = [str(_SCRIPT)] if _SCRIPT.exists() else [shutil.which("fairdraw") or "fairdraw"]
TARGETS = {"selection_s": 1.0, "recompute_s": 4.0, "snapshot_commit_s": 15.0,
           "root_recompute_s": 6.0}


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


# CPU seconds of this process per timed step, next to the wall-clock figures: the 2 cores
# are shared with other work, and the CPU time shows how much of a wall figure is waiting.
CPU_S: dict[str, float] = {}
# CPU seconds of forked helper processes (the two-process file check), per timed step.
CHILD_CPU_S: dict[str, float] = {}
# 1-minute load average just before each timed step (other jobs share the machine).
LOAD: dict[str, float] = {}


def _children_cpu() -> float:
    times = os.times()  # children that have been waited for
    return times.children_user + times.children_system


def timed(fn: Callable[[], Any], label: str = "") -> tuple[float, Any]:
    # Garbage of earlier steps is collected first, outside the timing, so that a
    # collection the previous step left pending is not billed to this one.
    gc.collect()
    load = os.getloadavg()[0]
    start, cpu, children = time.perf_counter(), time.process_time(), _children_cpu()
    value = fn()
    if label:
        CPU_S[label] = time.process_time() - cpu
        CHILD_CPU_S[label] = _children_cpu() - children
        LOAD[label] = load
    return time.perf_counter() - start, value


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


def bench_snapshot(workdir: Path, n: int) -> tuple[dict[str, Any], Path, bytes]:
    raw_path = workdir / "units-raw.jsonl"
    raw = make_units(n, all_active=False)
    # The registry export: unsorted, not canonical (ASCII escapes, spaces), private fields in.
    raw_path.write_bytes(b"".join(json.dumps(r).encode() + b"\n" for r in raw))
    del raw

    def commit() -> tuple[bytes, dict[str, Any]]:
        data = raw_path.read_bytes()
        # [parse_json(line) for line in data.splitlines()] with the cyclic GC paused.
        records = parse_json_lines(data)
        snapshot = make_snapshot("units-bench", "units", records)
        return format_records(snapshot), snapshot_entry(snapshot, previous=None)

    commit_s, (published, entry) = timed(commit, "snapshot_commit_s")
    published_path = workdir / "units.jsonl"
    published_path.write_bytes(published)

    def root() -> str:
        # The CLI function `fairdraw snapshot root` runs (read, parse_records, root), in-process.
        from fairdraw.cli.draw import snapshot_root
        return _stdout_of(lambda: snapshot_root(published_path)).decode()

    root_s, root_line = timed(root, "root_recompute_s")
    assert root_line == f"{entry['root']} {n}\n", root_line
    cli_s, out = timed(lambda: subprocess.run(
        [*FAIRDRAW, "snapshot", "root", str(published_path)],
        check=True, capture_output=True))
    assert out.stdout.decode() == f"{entry['root']} {n}\n", out.stdout
    return {
        "records": n, "raw_file_mb": raw_path.stat().st_size / 1e6,
        "published_file_mb": len(published) / 1e6,
        "snapshot_commit_s": commit_s, "root_recompute_s": root_s,
        "root_cli_subprocess_s": cli_s, "root": entry["root"],
    }, published_path, bytes.fromhex(entry["root"])


def bench_selection(n: int, repeat: int) -> tuple[dict[str, Any], list[str], bytes]:
    units = make_units(n, all_active=True)
    for unit in units:
        del unit["phone"]
    entry = announce(ref("units-pool", b"\x00" * 32, n),
                     strata=[{"name": "all", "match": {}, "quota": {"count": PICKED}}])
    times = []
    result: dict[str, Any] = {}
    for _ in range(repeat):
        elapsed, result = timed(lambda: compute_draw(entry, units, RANDOMNESS), "selection_s")
        times.append(elapsed)
    picked = [s["unit_id"] for s in result["selected"]]
    assert len(picked) == min(PICKED, n)
    ids = [u["id"] for u in units]
    return ({"pool": n, "picked": len(picked), "runs_s": times, "selection_s": min(times),
             "selection_median_s": sorted(times)[len(times) // 2]},
            ids, bytes.fromhex(result["seed"]))


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


def bench_recompute(workdir: Path, units_path: Path, units_root: bytes, n: int) -> dict[str, Any]:
    from fairdraw.cli.draw import recompute  # the CLI function `fairdraw recompute` runs

    inspectors = make_people("I", 120, roles=True)
    experts = make_people("E", 30, roles=False)
    paths = {}
    for kind, records in (("inspectors", inspectors), ("experts", experts)):
        paths[kind] = workdir / f"{kind}.jsonl"
        paths[kind].write_bytes(format_records(make_snapshot(f"{kind}-bench", kind, records)))
    entry = team_announce(ref("units-bench", units_root, n), inspectors, experts, n)
    announce_path = workdir / "announce.json"
    announce_path.write_bytes(canonical_json(entry))
    randomness = RANDOMNESS.hex()

    def in_process() -> bytes:
        return _stdout_of(lambda: recompute(
            announce=announce_path, units=units_path, randomness=randomness,
            inspectors=paths["inspectors"], experts=paths["experts"]))

    elapsed, output = timed(in_process, "recompute_s")
    command = [*FAIRDRAW, "recompute", "--announce", str(announce_path),
               "--units", str(units_path), "--inspectors", str(paths["inspectors"]),
               "--experts", str(paths["experts"]), "--randomness", randomness]
    cli_s, proc = timed(lambda: subprocess.run(command, check=True, capture_output=True))
    assert proc.stdout == output, "subprocess output differs from the in-process output"
    result = json.loads(output)
    teams = [s["team"] for s in result["selected"]]
    return {
        "units": n, "inspectors": len(inspectors), "experts": len(experts),
        "selected": len(result["selected"]),
        "skipped": sum(len(t["skipped"]) for t in teams),
        "unfilled": sum(len(t["unfilled"]) for t in teams),
        "output_sha256": hashlib.sha256(output).hexdigest(),
        "recompute_s": elapsed, "recompute_cli_subprocess_s": cli_s,
    }


def bench_references(ids: list[str], seed: bytes) -> dict[str, Any]:
    import consistent_sampler
    from cryptorandom.cryptorandom import SHA256
    from cryptorandom.sample import random_sample

    k = min(PICKED, len(ids))
    seed_int = int.from_bytes(seed, "big")
    out: dict[str, Any] = {}
    out["consistent_sampler_s"], picks = timed(lambda: list(
        consistent_sampler.sampler(ids, seed=seed.hex(), take=k, output="id")))
    assert len(picks) == k
    out["cryptorandom_sample_by_index_s"], picks = timed(lambda: random_sample(
        ids, k, method="sample_by_index", prng=SHA256(seed_int)))
    assert len(picks) == k
    out["cryptorandom_pikk_s"], picks = timed(lambda: random_sample(
        ids, k, method="PIKK", prng=SHA256(seed_int)))
    assert len(picks) == k
    return out


def show(label: str, seconds: float, target: float | None = None, cpu: str = "") -> None:
    verdict = "" if target is None else (
        f"  target ≤ {target:g} s: {'met' if seconds <= target else 'MISSED'}")
    cpu_text = ""
    if cpu in CPU_S:
        child = f" + {CHILD_CPU_S[cpu]:.3f} s child" if CHILD_CPU_S[cpu] >= 0.001 else ""
        cpu_text = f"  (cpu {CPU_S[cpu]:.3f} s{child}, load {LOAD[cpu]:.1f})"
    print(f"  {label:<52} {seconds:8.3f} s{verdict}{cpu_text}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=3, help="selection runs (best is kept)")
    parser.add_argument("--no-references", action="store_true")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    n = args.units
    report: dict[str, Any] = {
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "platform": platform.platform()},
        "targets_s": TARGETS,
    }
    with tempfile.TemporaryDirectory(prefix="draw-bench-") as tmp:
        workdir = Path(tmp)
        print(f"draw bench, N = {n:,} units")
        report["snapshot"], units_path, units_root = bench_snapshot(workdir, n)
        snap = report["snapshot"]
        show(f"snapshot commit from JSONL ({snap['raw_file_mb']:.0f} MB)",
             snap["snapshot_commit_s"], TARGETS["snapshot_commit_s"], "snapshot_commit_s")
        show("root recompute from the published file", snap["root_recompute_s"],
             TARGETS["root_recompute_s"], "root_recompute_s")
        show("  same, `fairdraw snapshot root` subprocess", snap["root_cli_subprocess_s"])

        report["selection"], ids, seed = bench_selection(n, args.repeat)
        show(f"selection, pool {n:,}, {report['selection']['picked']:,} picked (best of "
             f"{args.repeat})", report["selection"]["selection_s"], TARGETS["selection_s"],
             "selection_s")

        report["recompute"] = bench_recompute(workdir, units_path, units_root, n)
        rec = report["recompute"]
        show(f"fairdraw recompute in-process, teams, {rec['selected']:,} selected",
             rec["recompute_s"], TARGETS["recompute_s"], "recompute_s")
        show("  same, real `fairdraw recompute` subprocess", rec["recompute_cli_subprocess_s"])

        if not args.no_references:
            report["references"] = refs = bench_references(ids, seed)
            print("reference points (same pool and k, different algorithms):")
            show("draw-v1 compute_draw (from above)", report["selection"]["selection_s"])
            show("consistent_sampler.sampler(take=k)", refs["consistent_sampler_s"])
            show("cryptorandom random_sample sample_by_index",
                 refs["cryptorandom_sample_by_index_s"])
            show("cryptorandom random_sample PIKK", refs["cryptorandom_pikk_s"])

    figures = {"selection_s": report["selection"]["selection_s"],
               "recompute_s": report["recompute"]["recompute_s"],
               "snapshot_commit_s": report["snapshot"]["snapshot_commit_s"],
               "root_recompute_s": report["snapshot"]["root_recompute_s"]}
    report["cpu_s"] = CPU_S
    report["child_cpu_s"] = CHILD_CPU_S
    report["load_average_1min"] = LOAD
    report["verdict"] = {name: ("met" if figures[name] <= TARGETS[name] else "missed")
                         for name in TARGETS}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"verdict: {report['verdict']}  (written to {args.out})")


if __name__ == "__main__":
    main()
