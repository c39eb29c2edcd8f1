"""Issue 18 points 4–6 end to end: the yearly plan, evidence, the commission.

One real service on SQLite and on PostgreSQL (FAIRDRAW_TEST_DATABASE_URL, a fresh schema)
with a local beacon process and two witness processes
(fairdraw.local_processes.LocalCluster): the year's order draws are announced by
`run_year_plan`, co-signed, drawn on the beacon and turned into batch plans; a routine
draw gets outcomes with evidence digests; the commission's 2026Q4 return-visit draw is
planned from those outcomes and drawn; the portal is built and audited against the plan;
Chromium checks a file against the evidence on the draw page. The commission role is
checked on the real HTTP app (TestClient) with real tokens.
"""

from __future__ import annotations

import json
import math
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from draw_engine.yearplan import parse_rules
from fairdraw.cli import _register, app
from tests.public_portal.conftest import CHROMIUM, CHROMIUM_ARGS, serve

pytestmark = pytest.mark.slow
RESULTS = ("penalised", "compliant", "rectification_ordered")
EVIDENCE = "现场照片 / site photo 2026-11-20".encode()
RULES = {
    "format": "fairdraw-yearplan-v1", "year": 2026, "id_prefix": "T", "batches": 4,
    "authority": "来宾市消防救援支队（测试）",
    "classes": [
        {"name": "key-crowded", "label": "人员密集场所重点单位",
         "match": {"key_unit": [True], "crowded_place": [True]},
         "coverage": "full", "order": "drawn"},
        {"name": "key-other", "match": {"key_unit": [True]}, "quota": {"ratio": "1/20"}},
        {"name": "non-key", "match": {}, "quota": {"ratio": "1/100"}, "min_share": "1/4"},
    ],
    "order_chunk": 60,
}


def _jsonl(records: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)


def _api(service: Any, url: str) -> tuple[TestClient, dict[str, str]]:
    """The lifecycle routers over `service`, behind the real token gate, auth and audit."""
    from fastapi import FastAPI

    from draw_engine.api import create_routers
    from fairdraw.auth import Auth, TokenGate
    from fairdraw.db import upgrade_all
    from fairdraw.http_errors import install_error_handlers

    upgrade_all(url)
    import sqlalchemy as sa

    auth = Auth(sa.create_engine(url))
    app = FastAPI()
    install_error_handlers(app)  # the service's one error -> HTTP table
    for router in create_routers(service, auth.require_role):
        app.include_router(router, prefix="/api")
    tokens = {role: auth.create_token(role, f"t-{role}")[1] for role in ("commission", "operator")}
    return TestClient(TokenGate(app, auth), raise_server_exceptions=False), tokens


class _Planned:
    """The answer of POST /api/return-visits/plan, read back through the service."""

    def __init__(self, view: dict[str, Any], service: Any) -> None:
        self.quarter = view["quarter"]
        self.pool_reused = view["pool"]["reused"]
        self.pool = {sn.name: sn for sn in service.snapshots()}[view["pool"]["snapshot"]]
        self.draw = service.draw(view["draw"]["draw_id"])


@dataclass
class Year:
    directory: Path
    database_url: str
    db: str
    trust: dict[str, Any]
    rules_path: Path
    first: Any
    second: Any
    routine: dict[str, Any]
    return_visit: Any
    portal: Path


@contextmanager
def _database(kind: str, directory: Path) -> Iterator[str]:
    """SQLite in `directory`, or a fresh schema of the PostgreSQL at
    FAIRDRAW_TEST_DATABASE_URL (dropped afterwards); skips when it is not set."""
    if kind == "sqlite":
        yield f"sqlite:///{directory / 'service.db'}"
        return
    import uuid

    import sqlalchemy as sa

    base = os.environ.get("FAIRDRAW_TEST_DATABASE_URL")
    if not base:
        pytest.skip("FAIRDRAW_TEST_DATABASE_URL is not set: no PostgreSQL to test against")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    engine = sa.create_engine(base)
    with engine.begin() as conn:
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    finally:
        with engine.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def year(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[Year]:
    with _database(request.param, tmp_path_factory.mktemp("db")) as url:
        yield _make_year(tmp_path_factory, url, request.param)


def _make_year(tmp_path_factory: pytest.TempPathFactory, url: str, db: str) -> Year:
    from draw_engine.drand_http import DrandHttpSource
    from draw_engine.lifecycle import DrawService, LifecycleSettings
    from draw_engine.sql_store import SqlDrawStore
    from fairdraw.demo_registry import generate_inspectors, generate_units
    from fairdraw.evidence import hash_file
    from fairdraw.local_processes import LocalCluster
    from fairdraw.year_plan import run_year_plan, write_files
    from public_portal.builder import build_portal, inputs_from_store, trust_document
    from transparency.note_keys import generate_signer
    from transparency.sequencer import Sequencer
    from transparency.sql import SqlStorage
    from witnesses.collector import Collector, WitnessEndpoint
    from witnesses.policy import parse_policy

    directory = tmp_path_factory.mktemp(f"practice-{db}")
    rules_path = directory / "rules.json"
    rules_path.write_text(json.dumps(RULES, ensure_ascii=False), encoding="utf-8")
    rules = parse_rules(rules_path.read_bytes())
    evidence_file = directory / "photo.jpg"
    evidence_file.write_bytes(EVIDENCE)
    digest = hash_file(evidence_file).sha256
    signer = generate_signer(f"localhost/fairdraw-practice-test-{db}/log")
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
        service = DrawService(
            store=store, storage=storage, sequencer=sequencer, beacon=beacon,
            cosigning=collector, policy=policy, log_verifier_key=signer.verifier_key,
            settings=LifecycleSettings(lead_time=5, commitment_margin=2, beacon_timeout=30,
                                       poll_interval=0.2))
        service.import_registry("units", _jsonl(generate_units(active=380, defunct=20)),
                                fmt="jsonl", source_name="units.jsonl")
        service.import_registry("inspectors", _jsonl(generate_inspectors()), fmt="jsonl",
                                source_name="inspectors.jsonl")
        service.create_snapshot("units", "units-2026")
        service.create_snapshot("inspectors", "inspectors-2026")
        # wave 1: the order draws and an ordinary routine draw
        first = run_year_plan(service, rules, units="units-2026")
        service.announce({"draw_id": "T-ROUTINE", "title": "十一月日常抽查（测试）",
                          "authority": "来宾市消防救援支队（测试）", "kind": "routine",
                          "period": {"from": "2026-11-01", "to": "2026-11-30"},
                          "units": "units-2026",
                          "strata": [{"name": "all", "match": {}, "quota": {"count": 12}}]})
        service.publish_checkpoint()
        for draw_id in [*first.announced, "T-ROUTINE"]:
            service.execute(draw_id)
        second = run_year_plan(service, rules, units="units-2026", inspectors="inspectors-2026")
        write_files(second, directory / "plan")
        routine = service.entry(service.draw("T-ROUTINE").result_index or 0)
        units = [s["unit_id"] for s in routine["selected"]]
        for i, unit in enumerate(units[:6]):
            service.record_outcome("T-ROUTINE", unit, date="2026-11-20",
                                   result=RESULTS[i % 3],
                                   note="现场检查", evidence_sha256=[digest] if i == 0 else [])
        service.record_outcome("T-ROUTINE", units[6], date="2026-11-21", result="not_inspected")
        # wave 2: the commission's return-visit draw (over HTTP, with its own token) and the
        # year's last batch
        api, tokens = _api(service, url)
        commission = {"Authorization": f"Bearer {tokens['commission']}"}
        r = api.post("/api/return-visits/plan", headers=commission, json={"quarter": "2026Q4"})
        assert r.status_code == 201, r.text
        assert r.json()["pool"]["count"] == 6
        rv = _Planned(r.json(), service)
        # A "return visit" over the whole registry instead of the quarter's pool: the audit
        # must catch it (the pool is recomputed from the proven outcomes).
        service.announce({"draw_id": "RV-FORGED", "title": "回访（错误的池）",
                          "authority": "纪检监察机关", "kind": "return_visit",
                          "period": {"from": "2026-10-01", "to": "2026-12-31"},
                          "units": "units-2026",
                          "strata": [{"name": "inspected", "match": {},
                                      "quota": {"count": 3}}]})
        service.announce(json.loads((directory / "plan" / "T-2026-b04.json").read_text()))
        service.publish_checkpoint()
        r = api.post("/api/return-visits/T-2026-b04/execute", headers=commission)
        assert r.status_code == 409, r.text  # not a return-visit draw
        r = api.post("/api/draws/T-2026-b04/execute", headers=commission)
        assert r.status_code == 403, r.text
        r = api.post(f"/api/return-visits/{rv.draw.draw_id}/execute", headers=commission)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == "drawn"
        service.execute("RV-FORGED")
        service.execute("T-2026-b04")
        b04 = service.entry(service.draw("T-2026-b04").result_index or 0)
        crowded = [s["unit_id"] for s in b04["selected"] if s["stratum"] == "key-crowded"]
        for unit in crowded[:3]:
            service.record_outcome("T-2026-b04", unit, date="2026-11-25", result="compliant")
        service.publish_checkpoint()
        trust = trust_document(origin=signer.name, log_vkeys=[signer.verifier_key],
                               policy=policy, chains=[cluster.chain], margin_seconds=2)
        portal = directory / "portal"
        build_portal(portal, inputs_from_store(storage, store, trust))
        collector.close()
        beacon.close()
        sequencer.close()
    finally:
        cluster.stop()
        storage.close()
        store.close()
    return Year(directory, url, db, trust, rules_path, first, second, routine, rv, portal)


def test_order_draws_are_ordinary_draws_and_batches_cover_the_class(year: Year) -> None:
    members = year.first.members["key-crowded"]
    assert members > 60  # more than one order draw
    assert year.first.announced == [f"T-2026-order-key-crowded-{i:02d}"
                                    for i in range(1, math.ceil(members / 60) + 1)]
    assert year.first.pending == year.first.announced
    assert not year.first.files.keys() - {
        f"{d}.json" for d in year.first.announced}
    assert year.second.complete
    assert not year.second.announced
    plans = {p["draw_id"]: p for p in year.second.files.values() if "draw_id" in p}
    assert sorted(plans) == [f"T-2026-b0{b}" for b in range(1, 5)]
    listed = [i for p in plans.values() for s in p["strata"] if s["name"] == "key-crowded"
              for i in s["match"]["id"]]
    assert len(listed) == len(set(listed)) == members  # every member in exactly one batch
    sizes = [len(s["match"]["id"]) for p in plans.values() for s in p["strata"]
             if s["name"] == "key-crowded"]
    assert max(sizes) - min(sizes) <= math.ceil(members / 60)
    summary = json.loads((year.directory / "plan" / "year-plan.json").read_text())
    assert summary["rules_sha256"] == parse_rules(year.rules_path.read_bytes()).sha256
    for batch in summary["batch_draws"]:  # the non-key minimum share holds in every plan
        k = {s["name"]: s["k"] for s in batch["strata"]}
        assert 4 * k["non-key"] >= sum(k.values()), batch


def test_return_visit_pool_is_the_quarters_inspected_units(year: Year) -> None:
    rv = year.return_visit
    inspected = sorted(s["unit_id"] for s in year.routine["selected"][:6])
    pool = [json.loads(line)["id"] for line in rv.pool.records.decode().splitlines()]
    assert pool == inspected  # the not_inspected unit is not in the pool
    assert rv.pool.count == 6
    assert not rv.pool_reused
    assert rv.draw.kind == "return_visit"
    announce = json.loads(rv.draw.announce)
    assert announce["strata"] == [{"name": "inspected", "match": {},
                                   "quota": {"ratio": "1/10"}}]


def test_audit_reports_coverage_against_the_plan(year: Year) -> None:
    from fairdraw.audit import audit_portal
    from fairdraw.portal_source import open_source
    from fairdraw.trust import parse_trust

    rules = parse_rules(year.rules_path.read_bytes())
    report = audit_portal(open_source(str(year.portal)), parse_trust(year.trust),
                          now=int(time.time()), plan=rules)
    found = {(f.check, f.subject): f for f in report.findings if f.check.startswith("plan-")}
    assert found[("plan-order", "plan 2026 class key-crowded")].status == "pass"
    for b in (1, 2, 3):  # batches that began and have no draw: the class falls behind
        subject = next(s for c, s in found if c == "plan-coverage" and f"batch {b} " in s)
        assert found[("plan-coverage", subject)].status == "fail"
    b04 = [f for (c, s), f in found.items() if c == "plan-coverage" and "batch 4" in s]
    assert [f.status for f in b04] == ["pending"]  # outcomes due 30 days after 2026-12-31
    assert found[("plan-share", "draw T-2026-b04 class non-key")].status == "pass"
    assert not report.ok
    pools = {f.subject: f for f in report.findings if f.check == "return-visit-pool"}
    assert pools["draw return-visit-2026Q4"].status == "pass", pools
    assert "6 units inspected" in pools["draw return-visit-2026Q4"].reason
    assert pools["draw RV-FORGED"].status == "fail"
    assert "units-2026 has 400 units" in pools["draw RV-FORGED"].reason  # outcomes came later


def test_audit_cli_refuses_a_bad_plan_file(year: Year, tmp_path: Path) -> None:
    bad = tmp_path / "rules.json"
    bad.write_text(json.dumps({**RULES, "batches": 5}), encoding="utf-8")
    _register()
    r = CliRunner().invoke(app, ["audit", str(year.portal), "--plan", str(bad)])
    assert r.exit_code == 2
    assert "batches" in r.output


def test_evidence_hash_cli(year: Year, tmp_path: Path) -> None:
    import hashlib

    _register()
    photo = tmp_path / "photo.jpg"
    photo.write_bytes(EVIDENCE)
    r = CliRunner().invoke(app, ["evidence", "hash", str(photo)])
    assert r.exit_code == 0, r.output
    assert r.output == f"{hashlib.sha256(EVIDENCE).hexdigest()}  {photo}\n"
    r = CliRunner().invoke(app, ["evidence", "hash", "--json", str(photo), str(tmp_path / "no")])
    assert r.exit_code == 2
    assert "no: not a regular file" in r.output
    assert "sha256" not in r.output.split("error")[0]  # nothing printed before the error


def test_plan_year_cli_refuses_bad_rules_and_writes_nothing(tmp_path: Path) -> None:
    _register()
    bad = tmp_path / "rules.json"
    rules = json.loads(json.dumps(RULES))
    rules["classes"][1]["quota"] = {"ratio": "1/0"}
    bad.write_text(json.dumps(rules), encoding="utf-8")
    r = CliRunner().invoke(app, ["plan", "year", str(bad), "--units", "u", "--out",
                                 str(tmp_path / "out")])
    assert r.exit_code == 1
    assert "classes[1].quota.ratio" in r.output
    assert not (tmp_path / "out").exists()


def test_commission_role_on_the_http_api(tmp_path: Path) -> None:
    from fairdraw.app import create_app, open_runtime
    from fairdraw.settings import Settings
    from transparency.keyfile import write_signer_key_file
    from transparency.note_keys import generate_signer

    write_signer_key_file(tmp_path / "log.key", generate_signer("localhost/commission/log"))
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'svc.db'}", data_dir=tmp_path,
                        log_origin="localhost/commission/log")
    rt = open_runtime(settings)
    try:
        client = TestClient(create_app(settings, runtime=rt), raise_server_exceptions=False)
        _, token = rt.auth.create_token("commission", "jiwei")
        _, operator = rt.auth.create_token("operator", "otto")
        auth = {"Authorization": f"Bearer {token}"}
        size = rt.storage.tree_size()
        for path, body in (("/api/registries/units/import?format=jsonl", b"{}"),
                           ("/api/snapshots", b'{"kind": "units", "name": "u"}'),
                           ("/api/draws", b'{"kind": "routine"}'),
                           ("/api/draws/x/execute", b"{}"),
                           ("/api/draws/x/outcomes", b"{}")):
            r = client.post(path, headers=auth, content=body)
            assert r.status_code == 403, (path, r.text)
            assert "commission" in r.json()["detail"]
        r = client.post("/api/return-visits/plan", headers=auth, json={"quarter": "2026Q4"})
        assert r.status_code == 400, r.text  # reached the lifecycle: nothing inspected yet
        assert "no unit was inspected in 2026Q4" in r.text
        r = client.post("/api/return-visits/plan", headers=auth,
                        json={"quarter": "2026Q4", "colour": "red"})
        assert r.status_code == 400
        assert r.json()["detail"]["field"] == "colour"
        r = client.post("/api/return-visits/plan", headers=auth, json={"quarter": "2026-4"})
        assert r.status_code == 400
        assert r.json()["detail"]["field"] == "quarter"
        r = client.post("/api/return-visits/plan", headers={"Authorization": f"Bearer {operator}"},
                        json={"quarter": "2026Q4"})
        assert r.status_code == 400  # an operator may do what the commission may
        assert client.post("/api/admin/tokens", headers=auth,
                           json={"role": "admin", "name": "x"}).status_code == 403
        assert rt.storage.tree_size() == size  # nothing was written to the log
    finally:
        rt.close()


@pytest.mark.browser
@pytest.mark.parametrize("how", ["served", "noble", "disk"])
def test_portal_checks_a_file_against_the_evidence(year: Year, tmp_path: Path, how: str) -> None:
    """Served over HTTP (WebCrypto), with the vendored noble SHA-256 forced, and opened from
    disk (the classic-script build, file://: no WebCrypto, no fetch)."""
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set "
                    "FAIRDRAW_CHROMIUM)")
    if year.db != "sqlite":
        pytest.skip("the portal files do not depend on the database: checked once, on SQLite")
    import hashlib

    from playwright.sync_api import sync_playwright

    good = tmp_path / "现场照片.jpg"
    good.write_bytes(EVIDENCE)
    other = tmp_path / "other.pdf"
    other.write_bytes(EVIDENCE + b"!")
    digest = hashlib.sha256(EVIDENCE).hexdigest()
    with serve(year.portal) as site, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            requests_seen: list[str] = []
            page.on("request", lambda req: requests_seen.append(req.method + " " + req.url))
            page.goto({"served": site.url + "draw/T-ROUTINE.html",
                       "noble": site.url + "draw/T-ROUTINE.html?crypto=noble",
                       "disk": (year.portal / "draw" / "T-ROUTINE.html").as_uri()}[how])
            page.wait_for_function("document.documentElement.dataset.done === '1'",
                                   timeout=60_000)
            assert page.evaluate("document.documentElement.dataset.verdict") == "pass"
            cells = page.locator("#outcomes code[data-sha256]")
            assert cells.count() == 1
            assert cells.first.get_attribute("data-sha256") == digest
            before = len(requests_seen)
            page.set_input_files("#evidence-input", [str(good), str(other)])
            page.wait_for_function(
                "document.querySelectorAll('#evidence-results li').length === 2")
            match = page.locator(f"#evidence-results li[data-sha256='{digest}']")
            assert match.get_attribute("data-match") == "1"
            assert "匹配" in match.inner_text()
            assert "match" in match.inner_text()
            unit = year.routine["selected"][0]["unit_id"]
            assert unit in match.inner_text()
            miss = page.locator("#evidence-results li[data-match='0']")
            assert miss.get_attribute("data-sha256") == hashlib.sha256(
                EVIDENCE + b"!").hexdigest()
            assert "不匹配" in miss.inner_text()
            assert "no match" in miss.inner_text()
            assert requests_seen[before:] == []  # hashing the files sent nothing anywhere
            backend = match.get_attribute("data-backend")
            assert backend == ("noble" if how == "noble" else "webcrypto"), backend
        finally:
            browser.close()
