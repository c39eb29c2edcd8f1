"""The draw lifecycle end to end over real processes and loopback HTTP, on SQLite and PostgreSQL.

A local beacon (`fairdraw beacon serve-local --period 1`) and two witnesses
(`fairdraw witness serve`) run as processes; the DrawService under test talks
to them with DrandHttpSource and the witness Collector. One scenario per
database, on a timeline that waits for beacon rounds only twice:

    announce too late (refused) → announce d1, d2 → cancel d2 (publishes +
    cosigns a checkpoint: commits d1) → redraw d2b (supersedes d2) → publish +
    cosign (commits d2b) → announce d3 (not
    covered) → execute d3 refused (no checkpoint) → execute d2b with the
    beacon unreachable (waits, reports, changes nothing) → execute d1 (drawn,
    recomputed) → second result refused → publish again, now too close to
    d3's round → execute d3 refused by the commitment rule → execute d2b.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests

from draw_engine.beacon import parse_chain_info_json
from draw_engine.drand_http import DrandHttpSource
from draw_engine.lifecycle import DrawService, LifecycleSettings
from draw_engine.lifecycle_errors import (
    BeaconWaitError,
    CommitmentError,
    DrawStateError,
    SecondResultError,
    TooLateError,
)
from draw_engine.select import compute_draw
from draw_engine.snapshot import parse_records
from draw_engine.sql_store import SqlDrawStore
from tests.draw_engine.beacon_helpers import CLI, free_port, wait_until_up
from tests.witnesses.support import WitnessProcess, start_witness
from transparency.keyfile import write_signer_key_file
from transparency.note_keys import Signer, generate_signer
from transparency.sequencer import Sequencer
from transparency.sql import SqlStorage
from witnesses.collector import Collector, WitnessEndpoint
from witnesses.directory import add_log, init_witness
from witnesses.policy import parse_policy

pytestmark = pytest.mark.slow
SETTINGS = LifecycleSettings(lead_time=3, commitment_margin=1, beacon_timeout=10,
                             poll_interval=0.1)
UNITS = "".join(
    json.dumps({"id": f"U{i:03d}", "name": f"单位{i}", "brigade": ("xingbin", "heshan")[i % 2],
                "status": "active", "risk_level": ("low", "medium", "high")[i % 3],
                "phone": f"1380000{i:04d}"}, ensure_ascii=False) + "\n"
    for i in range(1, 61)).encode()
INSPECTORS = "".join(
    json.dumps({"id": f"I{i:02d}", "name": f"人员{i}", "brigade": ("xingbin", "heshan")[i % 2],
                "roles": ["lead", "assist"], "status": "active",
                "cert_valid_until": "2031-01-01"}) + "\n"
    for i in range(1, 9)).encode()


@dataclass
class Cluster:
    beacon_url: str
    beacon_dir: Path
    witnesses: list[tuple[str, str, str]]  # (name, vkey, url)
    logs: dict[str, Signer]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    root = tmp_path_factory.mktemp("e2e")
    logs = {db: generate_signer(f"example.org/fairdraw-e2e-{db}") for db in ("sqlite", "pg")}
    port = free_port()
    beacon = subprocess.Popen(
        [*CLI, "beacon", "serve-local", "--dir", str(root / "beacon"), "--period", "1",
         "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    witnesses: list[WitnessProcess] = []
    info: list[tuple[str, str, str]] = []
    try:
        for n in (1, 2):
            directory = root / f"w{n}"
            cosigner = init_witness(directory, f"w{n}.e2e.example")
            for signer in logs.values():
                add_log(directory, signer.name, signer.verifier_key)
            witnesses.append(start_witness(directory))
            info.append((cosigner.name, cosigner.verifier_key, witnesses[-1].url))
        wait_until_up(f"http://127.0.0.1:{port}/info", beacon)
        yield Cluster(f"http://127.0.0.1:{port}", root / "beacon", info, logs)
    finally:
        for w in witnesses:
            w.stop()
        beacon.terminate()
        beacon.wait(timeout=10)
        if beacon.stderr:
            beacon.stderr.close()


def open_service(cluster: Cluster, url: str, db: str, tmp: Path
                 ) -> tuple[DrawService, SqlStorage]:
    signer = cluster.logs[db]
    write_signer_key_file(tmp / f"log-{db}.key", signer, overwrite=True)  # as an operator would
    storage = SqlStorage.open(url)
    chain = parse_chain_info_json(json.loads((cluster.beacon_dir / "chain-info.json").read_text()))
    policy = parse_policy("\n".join(
        [f"log {signer.verifier_key}"]
        + [f"witness {name} {vkey} {u}" for name, vkey, u in cluster.witnesses]
        + [f"group both 2 {' '.join(n for n, _, _ in cluster.witnesses)}", "quorum both", ""]))
    collector = Collector([WitnessEndpoint(u, vkey) for _, vkey, u in cluster.witnesses], policy,
                          timeout=5)
    service = DrawService(
        store=SqlDrawStore.open(url), storage=storage,
        sequencer=Sequencer(storage, [signer], signer.name),
        beacon=DrandHttpSource(cluster.beacon_url, chain, timeout=1),
        cosigning=collector, log_verifier_key=signer.verifier_key, settings=SETTINGS)
    return service, storage


def plan(draw_id: str, round_: int | None = None, **extra: Any) -> dict[str, Any]:
    p: dict[str, Any] = {
        "draw_id": draw_id, "title": "月度双随机抽查", "authority": "来宾市消防救援支队",
        "kind": "routine", "period": {"from": "2026-03-01", "to": "2026-03-31"},
        "units": "units-1", "inspectors": "inspectors-1",
        "strata": [{"name": "high", "match": {"risk_level": ["high"]},
                    "quota": {"ratio": "1/10", "min": 2, "reserve": 1}},
                   {"name": "other", "match": {}, "quota": {"count": 3}}],
        "teams": {"assistants": 1, "scopes": ["brigade", "detachment"]},
    }
    if round_ is not None:
        p["beacon"] = {"round": round_}
    p.update(extra)
    return p


def run_scenario(cluster: Cluster, url: str, db: str, tmp: Path) -> None:
    service, storage = open_service(cluster, url, db, tmp)
    dead = f"http://127.0.0.1:{free_port()}"
    s = service
    s.import_registry("units", UNITS, fmt="jsonl", source_name="units.jsonl")
    s.import_registry("inspectors", INSPECTORS, fmt="jsonl", source_name="inspectors.jsonl")
    s.create_snapshot("units", "units-1")
    s.create_snapshot("inspectors", "inspectors-1")
    assert storage.tree_size() == 2

    # too late: the next round is ~1 s away, the lead time is 3 s
    chain = s.beacon.chain
    next_round = int((time.time() - chain.genesis_time) // chain.period) + 2
    with pytest.raises(TooLateError):
        s.announce(plan("late", next_round))
    assert storage.tree_size() == 2

    d1 = s.announce(plan("d1"))
    s.announce(plan("d2"))
    cancelled = s.cancel("d2", "a unit list error was found before the round")
    # the cancel publishes a checkpoint over HTTP at once: the first to cover d1's announce
    assert cancelled.checkpoint is not None
    assert cancelled.checkpoint.committed == ("d1",)
    assert not cancelled.committed
    assert not cancelled.needs_attention  # never committed: its cancel needs no proof
    d2b = s.announce(plan("d2b", supersedes="d2"))
    assert s.draw("d2").status == "superseded"
    published = s.publish_checkpoint()
    assert set(published.committed) == {"d2b"}
    assert storage.latest_checkpoint(cosigned_only=True).note == published.note
    d3 = s.announce(plan("d3"))
    with pytest.raises(CommitmentError, match="no co-signed checkpoint covers"):
        s.execute("d3")

    # the beacon relay is unreachable: execute waits past the round time, then reports
    blind = DrawService(store=s.store, storage=storage, sequencer=s.sequencer,
                        beacon=DrandHttpSource(dead, chain, timeout=0.5), cosigning=s.cosigning,
                        settings=SETTINGS)
    size = storage.tree_size()
    with pytest.raises(BeaconWaitError, match="could not be had") as waited:
        blind.execute("d2b", timeout=0.5)
    assert "ConnectionError" in str(waited.value)
    assert time.time() >= d2b.round_time + 0.5
    assert storage.tree_size() == size
    assert s.draw("d2b").status == "announced"

    drawn = s.execute("d1")
    assert drawn.status == "drawn"
    result = s.entry(drawn.result_index or 0)
    announce = s.entry(d1.announce_index)
    assert announce["beacon"]["local"] is True
    assert result["announce_index"] == d1.announce_index
    randomness = bytes.fromhex(result["beacon"]["randomness"])
    relay = requests.get(f"{cluster.beacon_url}/public/{d1.beacon_round}", timeout=5).json()
    assert relay["randomness"] == result["beacon"]["randomness"]
    units = parse_records(s._snapshot("units-1").records).records
    inspectors = parse_records(s._snapshot("inspectors-1").records).records
    computed = compute_draw(announce, units, randomness, inspectors=inspectors)
    assert {k: result[k] for k in computed} == computed
    assert all("phone" not in u for u in units)
    with pytest.raises(SecondResultError):
        s.execute("d1")
    with pytest.raises(DrawStateError):
        s.execute("d2")

    # d3's first co-signed checkpoint comes less than the margin before its round
    while time.time() < d3.round_time - SETTINGS.commitment_margin + 1:
        time.sleep(0.1)
    assert "d3" in s.publish_checkpoint().committed
    with pytest.raises(CommitmentError, match="cannot proceed") as refused:
        s.execute("d3")
    assert len(refused.value.reasons) == 2
    assert all("timestamped after" in why for why in refused.value.reasons.values())
    assert s.draw("d3").status == "announced"

    redrawn = s.execute("d2b")
    assert redrawn.status == "drawn"
    assert [(d.draw_id, d.status) for d in s.draws()] == [
        ("d1", "drawn"), ("d2", "superseded"), ("d2b", "drawn"), ("d3", "announced")]
    s.sequencer.close()  # type: ignore[union-attr]
    storage.close()


def test_lifecycle_sqlite(cluster: Cluster, tmp_path: Path) -> None:
    run_scenario(cluster, f"sqlite:///{tmp_path / 'fairdraw.db'}", "sqlite", tmp_path)


@pytest.mark.postgres
def test_lifecycle_postgres(cluster: Cluster, postgres_schema_url: str, tmp_path: Path) -> None:
    run_scenario(cluster, postgres_schema_url, "pg", tmp_path)
