"""A real portal directory for the client tests, built from the real pieces.

The log is a `transparency.Sequencer` over `MemoryStorage`, exported with
`transparency.export.export_log`; checkpoints are cosigned by three
`witnesses.cosignature.Cosigner`s; the beacon is the local development beacon
(`draw_engine.local_beacon`); snapshots and the draw come from
`draw_engine.snapshot` / `draw_engine.select` over the demo registry. Only the
portal layout files (trust.json, data/*.json, data/log.json) are written here,
following docs/spec/portal-data.md, until the portal builder is used instead.
`tests/fairdraw/attack_fixture.py` builds the tampered portals of issue 12 on it.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from draw_engine.beacon import format_beacon_json, round_time
from draw_engine.canonical import canonical_json
from draw_engine.local_beacon import LocalBeaconKey
from draw_engine.select import compute_draw
from draw_engine.snapshot import format_records, make_snapshot, snapshot_entry
from fairdraw.demo_registry import (
    ZONES,
    generate_inspectors,
    generate_units,
    routine_strata,
    routine_teams,
)
from fairdraw.verify import expected_result_entry
from transparency.checkpoint import parse_checkpoint
from transparency.export import export_log
from transparency.note import append_signatures, parse_note
from transparency.note_keys import Signer
from transparency.sequencer import Sequencer
from transparency.storage import MemoryStorage
from witnesses.cosignature import Cosigner

ORIGIN = "fairdraw.test/log"
PERIOD = 3


@dataclass
class PortalLog:
    out: Path
    now: int
    units: int = 300
    log_key: Signer = field(default_factory=lambda: Signer(ORIGIN, bytes([7]) * 32))
    witnesses: list[Cosigner] = field(
        default_factory=lambda: [Cosigner(f"w{i}.test", bytes([20 + i]) * 32) for i in (1, 2, 3)]
    )
    beacon_key: LocalBeaconKey | None = None

    def __post_init__(self) -> None:
        self.genesis = self.now - 30 * 86400
        if self.beacon_key is not None:
            self.genesis = self.beacon_key.genesis_time
        else:
            self.beacon_key = LocalBeaconKey(
                (123456789).to_bytes(32, "big"), genesis_time=self.genesis, period=PERIOD
            )
        self.chain = self.beacon_key.chain
        self.storage = MemoryStorage()
        self.seq = Sequencer(
            self.storage,
            [self.log_key],
            ORIGIN,
            clock=lambda: datetime.fromtimestamp(self.now, UTC),
        )
        self.entries: list[dict[str, Any]] = []
        self.checkpoints: dict[int, bytes] = {}
        self.snapshots: dict[str, Any] = {}
        self.snapshot_files: dict[str, bytes] = {}
        self.unit_records = generate_units(active=self.units, defunct=10)
        self.inspector_records = generate_inspectors()
        self.publish_modes: dict[str, str] = {}

    # -- log ------------------------------------------------------------------------
    def append(self, entry: dict[str, Any]) -> int:
        self.entries.append(entry)
        return self.seq.append([canonical_json(entry)])[0]

    def cosign(self, at: int, witnesses: list[int] | None = None) -> bytes:
        note = self.seq.checkpoint()
        body = parse_note(note).text
        ws = [self.witnesses[i] for i in (witnesses if witnesses is not None else [0, 1, 2])]
        note = append_signatures(
            note, [w.cosign(body, timestamp=at).to_note_signature() for w in ws]
        )
        self.checkpoints[parse_checkpoint(body).tree_size] = note
        return note

    # -- draw pieces -----------------------------------------------------------------
    def add_snapshots(self, suffix: str = "2026-11", publish: str = "at_announce") -> None:
        for kind, recs in (("units", self.unit_records), ("inspectors", self.inspector_records)):
            snap = make_snapshot(f"{kind}-{suffix}", kind, recs)
            prev = self.snapshots.get(kind)
            self.append(snapshot_entry(snap, previous=prev, publish=publish))
            self.snapshots[kind] = snap
            self.snapshot_files[snap.name] = format_records(snap)
            self.publish_modes[snap.name] = publish

    def round_at(self, t: int) -> int:
        return (t - self.genesis) // self.chain.period + 1

    def announce(
        self,
        draw_id: str,
        round_: int,
        *,
        supersedes: str | None = None,
        beacon: dict[str, Any] | None = None,
    ) -> int:
        """Append a draw.announce; `beacon` overrides fields of its beacon object."""
        u, i = self.snapshots["units"], self.snapshots["inspectors"]
        rt = datetime.fromtimestamp(round_time(self.chain, round_), UTC).strftime(
            "%Y-%m-%dT%H:%M:%SZ"
        )
        a = {
            "type": "draw.announce",
            "v": 1,
            "draw_id": draw_id,
            "title": f"{draw_id} 月度抽查",
            "authority": "来宾市消防救援支队",
            "kind": "routine",
            "algorithm": "draw-v1",
            "period": {"from": "2026-12-01", "to": "2026-12-31"},
            "units": {"snapshot": u.name, "root": u.root_hex, "count": u.count},
            "inspectors": {"snapshot": i.name, "root": i.root_hex, "count": i.count},
            "strata": routine_strata(),
            "exclusions": [],
            "zones": ZONES,
            "teams": routine_teams(),
            "recusals": [],
            "beacon": {
                "scheme": self.chain.scheme,
                "chain_hash": self.chain.chain_hash.hex(),
                "round": round_,
                "round_time": rt,
                "local": True,
            },
            "supersedes": supersedes,
        }
        a["beacon"].update(beacon or {})
        return self.append(a)

    def result(self, announce_index: int, *, tamper: Any = None) -> int:
        a = self.entries[announce_index]
        beacon = self.beacon_key.sign(a["beacon"]["round"])
        computed = compute_draw(
            a,
            self.snapshots["units"].records,
            beacon.randomness,
            inspectors=self.snapshots["inspectors"].records,
        )
        entry = expected_result_entry(
            a, announce_index, format_beacon_json(beacon), beacon.randomness, computed, False
        )
        if tamper:
            tamper(entry)
        return self.append(entry)

    def cancel(self, announce_index: int, reason: str = "plan withdrawn") -> int:
        a = self.entries[announce_index]
        return self.append(
            {
                "type": "draw.cancel",
                "v": 1,
                "draw_id": a["draw_id"],
                "announce_index": announce_index,
                "reason": reason,
            }
        )

    # -- portal ---------------------------------------------------------------------
    def trust(self) -> dict[str, Any]:
        return {
            "log": {"origin": ORIGIN, "vkey": self.log_key.verifier_key},
            "witness_policy": {
                "witnesses": [
                    {"name": f"w{n + 1}", "vkey": w.verifier_key}
                    for n, w in enumerate(self.witnesses)
                ],
                "groups": [{"name": "quorum", "k": 2, "members": ["w1", "w2", "w3"]}],
                "quorum": "quorum",
            },
            "beacons": {
                self.chain.chain_hash.hex(): {
                    "public_key": self.chain.public_key.hex(),
                    "period": PERIOD,
                    "genesis_time": self.genesis,
                    "scheme": self.chain.scheme,
                    "chain_hash": self.chain.chain_hash.hex(),
                    "local": True,
                }
            },
            "margin_seconds": 60,
        }

    def write(self) -> Path:
        """Write the portal for the latest cosigned checkpoint."""
        out = self.out
        if out.exists():
            shutil.rmtree(out)
        (out / "log" / "checkpoints").mkdir(parents=True)
        (out / "data" / "draws").mkdir(parents=True)
        (out / "data" / "snapshots").mkdir(parents=True)
        export_log(self.storage, out / "log")
        size = max(self.checkpoints)
        (out / "log" / "checkpoint").write_bytes(self.checkpoints[size])
        for s, note in self.checkpoints.items():
            (out / "log" / "checkpoints" / str(s)).write_bytes(note)
        (out / "trust.json").write_text(json.dumps(self.trust(), ensure_ascii=False, indent=1))
        for name, data in self.snapshot_files.items():
            if self.publish_modes[name] == "at_announce":
                (out / "data" / "snapshots" / f"{name}.jsonl").write_bytes(data)
        draws: dict[str, dict[str, Any]] = {}
        entries = self.entries[:size]
        for idx, e in enumerate(entries):
            if e["type"] == "draw.announce":
                d = draws.setdefault(
                    e["draw_id"],
                    {
                        "draw_id": e["draw_id"],
                        "announce_index": idx,
                        "result_indices": [],
                        "cancel_index": None,
                    },
                )
                d["announce"] = e
            elif e["type"] == "draw.result" and e["draw_id"] in draws:
                draws[e["draw_id"]]["result_indices"].append(idx)
            elif e["type"] == "draw.cancel" and e["draw_id"] in draws:
                draws[e["draw_id"]]["cancel_index"] = idx
        superseded_by = {
            e["supersedes"]: e["draw_id"]
            for e in entries
            if e["type"] == "draw.announce" and e.get("supersedes") in draws
        }
        index = []
        for d in draws.values():
            a = d.pop("announce")
            ri = d["result_indices"][0] if d["result_indices"] else None
            commit = [
                f"log/checkpoints/{s}"
                for s in sorted(self.checkpoints)
                if s > d["announce_index"] and s <= size
            ]
            snaps = {}
            for kind in ("units", "inspectors"):
                name = a[kind]["snapshot"]
                published = self.publish_modes.get(name) == "at_announce"
                snaps[kind] = {
                    "name": name,
                    "publish": self.publish_modes.get(name),
                    "path": f"data/snapshots/{name}.jsonl" if published else None,
                }
            nav = {
                **d,
                "result_index": ri,
                "commitment_checkpoints": commit,
                "snapshots": snaps,
                "outcome_indices": [],
            }
            (out / "data" / "draws" / f"{d['draw_id']}.json").write_text(json.dumps(nav))
            status = (
                "superseded"
                if d["draw_id"] in superseded_by
                else "cancelled"
                if d["cancel_index"] is not None
                else "drawn"
                if ri is not None
                else "announced"
            )
            index.append(
                {
                    "draw_id": d["draw_id"],
                    "title": a["title"],
                    "kind": a["kind"],
                    "status": status,
                    "announce_index": d["announce_index"],
                    "result_index": ri,
                    "cancel_index": d["cancel_index"],
                    "superseded_by": superseded_by.get(d["draw_id"]),
                    "supersedes": a["supersedes"],
                    "round": a["beacon"]["round"],
                    "round_time": a["beacon"]["round_time"],
                    "local": True,
                }
            )
        (out / "data" / "draws.json").write_text(
            json.dumps({"log_size": size, "draws": index}, ensure_ascii=False)
        )
        listed = [f"log/checkpoints/{s}" for s in sorted(self.checkpoints) if s <= size]
        (out / "data" / "log.json").write_text(
            json.dumps({"log_size": size, "checkpoints": listed})
        )
        return out


def honest_portal(out: Path, now: int, *, units: int = 300) -> PortalLog:
    """Snapshots, one announce cosigned a day before its round, its result, two checkpoints."""
    p = PortalLog(out, now, units=units)
    p.add_snapshots()
    rt_target = now - 3600
    round_ = p.round_at(rt_target)
    rt = round_time(p.chain, round_)
    ai = p.announce("LB-2026-12", round_)
    p.cosign(rt - 86400)
    p.result(ai)
    p.cosign(rt + 30)
    p.write()
    return p
