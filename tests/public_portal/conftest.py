"""Fixtures: a real demo log, a built portal, a static file server, one shared browser.

The log is made by the draw lifecycle service (`draw_engine.lifecycle.DrawService`)
on SQLite, with a local beacon process and two witness processes
(`fairdraw.local_processes.LocalCluster`, each a separate `fairdraw …` process on a
loopback port). Draws: D-ROUTINE (drawn, with two outcomes and a correction of the first), D-CANCEL
(cancelled, then superseded by D-REDRAW, drawn). The portal is built once per
session with `public_portal.builder`; tests that tamper copy it first.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import requests

DRAWN = ("D-ROUTINE", "D-REDRAW")
CHROMIUM = os.environ.get("FAIRDRAW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@dataclass
class DemoLog:
    directory: Path
    database_url: str
    trust: dict[str, Any]
    draws: dict[str, Any]
    signer: Any  # the log key: tests forge a re-signed log with it (a malicious operator)


def _jsonl(records: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)


def make_demo_log(directory: Path, *, units: int = 400) -> DemoLog:
    from draw_engine.drand_http import DrandHttpSource
    from draw_engine.lifecycle import DrawService, LifecycleSettings
    from draw_engine.sql_store import SqlDrawStore
    from fairdraw.demo_registry import (
        ZONES,
        generate_inspectors,
        generate_units,
        routine_strata,
        routine_teams,
    )
    from fairdraw.local_processes import LocalCluster
    from public_portal.builder import trust_document
    from transparency.note_keys import generate_signer
    from transparency.sequencer import Sequencer
    from transparency.sql import SqlStorage
    from witnesses.collector import Collector, WitnessEndpoint
    from witnesses.policy import parse_policy

    directory.mkdir(parents=True, exist_ok=True)
    signer = generate_signer("localhost/fairdraw-portal-test/log")
    url = f"sqlite:///{directory / 'service.db'}"
    storage = SqlStorage.open(url)
    store = SqlDrawStore.open(url)
    cluster = LocalCluster(directory / "cluster", signer.name, signer.verifier_key,
                           witness_count=2, beacon_period=1)
    cluster.prepare(now=time.time())
    cluster.start()
    try:
        assert cluster.chain is not None
        policy = parse_policy(
            f"log {signer.verifier_key}\n"
            + "".join(f"witness {w.name} {w.vkey} {w.url}\n" for w in cluster.witnesses)
            + f"group both 2 {' '.join(w.name for w in cluster.witnesses)}\nquorum both\n")
        collector = Collector([WitnessEndpoint(w.url, w.vkey) for w in cluster.witnesses], policy)
        beacon = DrandHttpSource(cluster.beacon_url, cluster.chain)
        sequencer = Sequencer(storage, [signer], signer.name)
        margin = 2
        service = DrawService(
            store=store, storage=storage, sequencer=sequencer, beacon=beacon,
            cosigning=collector, policy=policy, log_verifier_key=signer.verifier_key,
            settings=LifecycleSettings(lead_time=5, commitment_margin=margin,
                                       beacon_timeout=30, poll_interval=0.2))
        unit_records = generate_units(active=units - units // 20, defunct=units // 20)
        inspector_records = generate_inspectors()
        service.import_registry("units", _jsonl(unit_records), fmt="jsonl",
                                source_name="units.jsonl")
        service.import_registry("inspectors", _jsonl(inspector_records), fmt="jsonl",
                                source_name="inspectors.jsonl")
        active = sorted(u["id"] for u in unit_records if u["status"] == "active")
        service.create_snapshot("units", "units-2026-11")
        service.create_snapshot("inspectors", "inspectors-2026-11")
        base = {"title": "十一月日常抽查", "authority": "来宾市消防救援支队", "kind": "routine",
                "period": {"from": "2026-11-01", "to": "2026-11-30"},
                "units": "units-2026-11", "inspectors": "inspectors-2026-11",
                "strata": routine_strata(), "teams": routine_teams(), "zones": ZONES}
        service.announce({**base, "draw_id": "D-ROUTINE"})
        service.announce({**base, "draw_id": "D-CANCEL", "title": "专项（取消）",
                          "kind": "special"})
        service.publish_checkpoint()
        service.cancel("D-CANCEL", "检查计划调整 / plan changed")
        # The re-draw also excludes a unit and declares a recusal (the page's rules section).
        service.announce({**base, "draw_id": "D-REDRAW", "title": "专项（重新抽取）",
                          "kind": "special", "supersedes": "D-CANCEL",
                          "exclusions": [{"unit_id": active[3], "reason": "rectification_pending"}],
                          "recusals": [[inspector_records[0]["id"], active[5]]]})
        service.publish_checkpoint()
        for draw_id in DRAWN:
            service.execute(draw_id)
        result = service.entry(service.draw("D-ROUTINE").result_index or 0)
        for sel, outcome in zip(result["selected"][:2], ("compliant", "rectification_ordered"),
                                strict=False):
            service.record_outcome("D-ROUTINE", sel["unit_id"], date="2026-11-20",
                                   result=outcome, note="现场检查")
        # a correction: a new outcome that supersedes the first one; both stay in the log
        first = service.outcomes("D-ROUTINE")[0]
        service.record_outcome("D-ROUTINE", first.unit_id, date="2026-11-21", result="penalised",
                               note="更正：录入错误 / corrected: wrong entry",
                               supersedes=first.log_index)
        service.publish_checkpoint()
        trust = trust_document(origin=signer.name, log_vkeys=[signer.verifier_key],
                               policy=policy, chains=[cluster.chain], margin_seconds=margin)
        draws = {d.draw_id: d for d in service.draws()}
        collector.close()
        beacon.close()
        sequencer.close()
    finally:
        cluster.stop()
        storage.close()
        store.close()
    return DemoLog(directory, url, trust, draws, signer)


def build(demo: DemoLog, out: Path) -> Any:
    from draw_engine.sql_store import SqlDrawStore
    from public_portal.builder import build_portal, inputs_from_store
    from transparency.sql import SqlStorage

    storage = SqlStorage.open(demo.database_url, migrate=False)
    store = SqlDrawStore.open(demo.database_url, migrate=False)
    try:
        return build_portal(out, inputs_from_store(storage, store, demo.trust))
    finally:
        storage.close()
        store.close()


def forge_log(demo: DemoLog, site: Path, index: int, mutate: Any) -> None:
    """Replace entry `index` by `mutate(entry bytes)`, re-sign and re-cosign the log with the
    real log and witness keys (a malicious operator), and re-export it into `site/log`.

    The prefix before `index` is unchanged, so earlier checkpoints stay consistent."""
    from transparency.checkpoint import parse_checkpoint
    from transparency.export import export_log
    from transparency.note import append_signatures, parse_note
    from transparency.sequencer import Sequencer
    from transparency.sql import SqlStorage
    from transparency.storage import MemoryStorage
    from witnesses.directory import read_cosigner

    src = SqlStorage.open(demo.database_url, migrate=False)
    try:
        entries = src.read_entries(0, src.latest_checkpoint(cosigned_only=True).tree_size)
    finally:
        src.close()
    entries[index] = mutate(entries[index])
    mem = MemoryStorage()
    with Sequencer(mem, [demo.signer], demo.signer.name) as seq:
        seq.append(entries)
        note = seq.checkpoint()
    body = parse_note(note).text
    now = int(time.time())
    lines = [read_cosigner(demo.directory / "cluster" / f"witness-{k}")
             .cosign(body, timestamp=now).to_note_signature() for k in (1, 2)]
    cosigned = append_signatures(note, lines)
    cp = parse_checkpoint(body)
    mem.store_checkpoint(cp.tree_size, cp.root_hash, cosigned, cosigned=True,
                         created_at=datetime.now(UTC))
    shutil.rmtree(site / "log" / "tile")
    (site / "log" / "checkpoint").unlink()
    export_log(mem, site / "log")


@pytest.fixture(scope="session")
def demo_log(tmp_path_factory: pytest.TempPathFactory) -> DemoLog:
    return make_demo_log(tmp_path_factory.mktemp("portal-demo"))


@pytest.fixture(scope="session")
def built_portal(demo_log: DemoLog, tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("portal-site") / "site"
    build(demo_log, out)
    return out


class StaticServer:
    """`python -m http.server` in a subprocess on a loopback port, serving one directory."""

    def __init__(self, directory: Path) -> None:
        from fairdraw.local_processes import free_port

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.process = subprocess.Popen(
            [sys.executable, "-m", "http.server", str(self.port), "--bind", "127.0.0.1",
             "--directory", str(directory)],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while True:
            try:
                requests.get(self.url, timeout=1)
                return
            except requests.RequestException:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.stop()
                    raise RuntimeError("the static file server did not start") from None
                time.sleep(0.05)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


@contextlib.contextmanager
def serve(directory: Path) -> Iterator[StaticServer]:
    server = StaticServer(directory)
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def fresh_copy(built_portal: Path, tmp_path: Path) -> Path:
    out = tmp_path / "site"
    shutil.copytree(built_portal, out)
    return out


class _SharedChromium:
    """One Chromium for all the browser modules of a run, launched on first use.

    Launching costs about a second a module; each test still opens its own context
    (fresh storage). It is closed as soon as the next test needs no browser
    (`pytest_runtest_teardown`), because a live sync Playwright marks an asyncio loop as
    running in this thread between its calls, which later non-browser tests must not see."""

    def __init__(self) -> None:
        self._manager: Any = None
        self._browser: Any = None

    def get(self) -> Any:
        if self._browser is None:
            from playwright.sync_api import sync_playwright

            manager = sync_playwright()
            playwright = manager.__enter__()
            try:
                self._browser = playwright.chromium.launch(executable_path=CHROMIUM,
                                                           args=CHROMIUM_ARGS)
            except BaseException:
                manager.__exit__(None, None, None)
                raise
            self._manager = manager
        return self._browser

    def close(self) -> None:
        browser, manager = self._browser, self._manager
        self._browser = self._manager = None
        if browser is not None:
            try:
                browser.close()
            finally:
                manager.__exit__(None, None, None)


_CHROMIUM = _SharedChromium()


@pytest.fixture(scope="module")
def browser() -> Any:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set "
                    "FAIRDRAW_CHROMIUM)")
    return _CHROMIUM.get()


def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """Close the shared Chromium once the run moves on to a module without browser tests
    (never within a module: its module-scoped `browser` value must stay usable)."""
    if nextitem is None or (nextitem.module is not item.module  # type: ignore[attr-defined]
                            and "browser" not in nextitem.fixturenames):  # type: ignore[attr-defined]
        _CHROMIUM.close()
