"""The operator console (issue 17) in real Chromium over a real `fairdraw serve`.

`fairdraw serve` runs as its own process on a fresh database (SQLite; and
PostgreSQL when FAIRDRAW_TEST_DATABASE_URL is set) with a local beacon and two
witnesses (fairdraw.local_processes). Playwright drives Debian's Chromium:

- a whole month from an empty database: sign in, import the three registries
  (preview, commit), save a plan template with Chinese stratum names, plan,
  validate, announce, publish, wait for the co-signed commitment and the local
  beacon round, execute, record an outcome with an evidence file hashed in the
  browser, export notices (CSV and XLSX); the admin's audit trail shows the
  requests' content. Screenshots go to a directory the test prints;
- a wrong token is refused and nothing is kept;
- an operator sees no audit trail, an admin does (and a commission token, where
  the role exists, only what its routes allow);
- a file with row errors: every problem shown, nothing committed; so is a mapping
  file for another registry or one that is not JSON.

The month also imports the experts from two departments' files with a mapping file
(the preview's merge decisions: which row won and why), corrects an outcome (the
correction supersedes the outcome in force, with its reason; both listed), and lets
the commission plan, follow and execute its quarter's return-visit draw.
"""

from __future__ import annotations

import base64
import contextlib
import csv
import hashlib
import io
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from fairdraw import demo_registry as reg
from fairdraw.local_processes import LocalCluster, free_port
from transparency.keyfile import write_signer_key_file
from transparency.note_keys import generate_signer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

CHROMIUM = os.environ.get("FAIRDRAW_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
CLI = [sys.executable, "-c", "from fairdraw.cli import main; main()"]
ORIGIN = "localhost/console-test/log"
LABELS = {"high-risk-key-crowded": "高风险重点人员密集场所",
          "ebike-parking": "电动自行车集中停放场所", "high-risk": "高风险单位",
          "key-units": "消防安全重点单位", "non-key": "一般单位"}


@dataclass
class Server:
    base: str
    directory: Path
    database_url: str
    tokens: dict[str, str]


def _jsonl(records: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False).encode() + b"\n" for r in records)


@contextlib.contextmanager
def console_server(directory: Path, database_url: str) -> Iterator[Server]:
    """`fairdraw serve` with a local beacon and two witnesses; tokens of every role."""
    import sqlalchemy as sa

    from fairdraw.auth import ROLES, Auth

    signer = generate_signer(ORIGIN)
    write_signer_key_file(directory / "log.key", signer)
    with LocalCluster(directory / "services", ORIGIN, signer.verifier_key,
                      beacon_period=1) as cluster:
        cluster.prepare(now=time.time())
        cluster.start()
        config = {
            "database_url": database_url, "data_dir": str(directory),
            "log_origin": ORIGIN, "log_key_file": "log.key",
            "witnesses": [{"name": w.name, "url": w.url, "vkey": w.vkey}
                          for w in cluster.witnesses],
            "beacon_chain": "local", "beacon_relay_url": cluster.beacon_url,
            "beacon_chain_info_file": str(directory / "services/beacon/chain-info.json"),
            "lead_time_seconds": 4, "margin_seconds": 2, "portal_dir": "portal",
        }
        (directory / "fairdraw.json").write_text(json.dumps(config))
        env = {k: v for k, v in os.environ.items() if not k.startswith("FAIRDRAW_")}
        env["FAIRDRAW_CONFIG"] = str(directory / "fairdraw.json")
        port = free_port()
        log = (directory / "serve.log").open("w")
        server = subprocess.Popen([*CLI, "serve", "--port", str(port)], env=env,
                                  stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{port}"
        try:
            for _ in range(300):
                if server.poll() is not None:
                    pytest.fail(f"fairdraw serve exited: {(directory / 'serve.log').read_text()}")
                with contextlib.suppress(requests.ConnectionError):
                    if requests.get(f"{base}/healthz", timeout=1).status_code == 200:
                        break
                time.sleep(0.1)
            engine = sa.create_engine(database_url)
            try:
                auth = Auth(engine)
                tokens = {role: auth.create_token(role, f"{role}-1")[1] for role in ROLES}
            finally:
                engine.dispose()
            yield Server(base, directory, database_url, tokens)
        finally:
            server.send_signal(signal.SIGINT)
            try:
                server.wait(timeout=15)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
            log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM} (apt-get install chromium, or set "
                    "FAIRDRAW_CHROMIUM)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture(scope="module")
def sqlite_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("console-sqlite")
    with console_server(directory, f"sqlite:///{directory / 'fairdraw.db'}") as server:
        yield server


@pytest.fixture(scope="module")
def artifacts() -> Path:
    """Where the screenshots go: <tmp>/artifacts/console-<time>-<pid> (printed; the
    PostgreSQL month's under postgres/). FAIRDRAW_ARTIFACTS chooses another root."""
    root = Path(os.environ.get("FAIRDRAW_ARTIFACTS", Path(tempfile.gettempdir()) / "artifacts"))
    out = root / f"console-{time.strftime('%Y%m%dT%H%M%S')}-{os.getpid()}"
    out.mkdir(parents=True, exist_ok=True)
    print(f"console screenshots: {out}")
    return out


def _page(browser: Any, server: Server) -> Any:
    context = browser.new_context(accept_downloads=True, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(f"{server.base}/console/")
    page.errors = errors
    return page


def _sign_in(page: Any, token: str) -> None:
    page.fill("#token", token)
    page.click("[data-action=sign-in]")


def _then(page: Any, selector: str, timeout: float = 30_000) -> None:
    """Wait for `selector`; fail at once, with the console's message, if it shows an error."""
    page.wait_for_selector(f"{selector}, #message[data-kind=error]:not([hidden])",
                           timeout=timeout)
    if page.locator("#message[data-kind=error]:not([hidden])").count():
        pytest.fail(f"the console says: {page.inner_text('#message')}")


def _publish(page: Any) -> None:
    with page.expect_response(lambda r: r.url.endswith("/api/checkpoints/publish")) as got:
        page.click("[data-action=publish]")
    assert got.value.status == 200, got.value.text()


def _template(units: list[dict[str, Any]], inspectors: list[dict[str, Any]]) -> dict[str, Any]:
    active = sorted(u["id"] for u in units if u["status"] == "active")
    people = sorted(i["id"] for i in inspectors)
    return {
        "description": "每月例行双随机抽查（全市）",
        "labels": LABELS,
        "plan": {
            "title": "来宾市消防救援支队 月度双随机抽查（测试）",
            "authority": "来宾市消防救援支队（测试数据）",
            "kind": "routine",
            "strata": reg.routine_strata(),
            "exclusions": [{"unit_id": active[3], "reason": "rectification_pending"}],
            "zones": reg.ZONES,
            "teams": reg.routine_teams(),
            "recusals": [[people[0], active[10]]],
        },
    }


def _next_month(today: date) -> tuple[date, date]:
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    return first, (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def _import(page: Any, kind: str, path: Path, shots: Path | None) -> None:
    page.select_option("#import-kind", kind)
    page.set_input_files("#import-file", str(path))
    page.click("[data-action=import-preview]")
    page.wait_for_selector("#preview:not([hidden])")
    if shots is not None:
        page.screenshot(path=str(shots / f"01-preview-{kind}.png"), full_page=False)
    page.click("[data-action=import-commit]")
    page.wait_for_selector(f"#snapshots tr[data-snapshot^='{kind}-']")


def _month(browser: Any, server: Server, shots: Path) -> None:
    units = reg.generate_units(active=2000, defunct=100)
    inspectors, experts = reg.generate_inspectors(), reg.generate_experts()
    files = server.directory / "files"
    files.mkdir()
    for kind, records in (("units", units), ("inspectors", inspectors), ("experts", experts)):
        (files / f"{kind}.jsonl").write_bytes(_jsonl(records))
    page = _page(browser, server)
    started = time.monotonic()

    _sign_in(page, server.tokens["operator"])
    page.wait_for_selector("body[data-state=signed-in]")
    assert page.evaluate("sessionStorage.getItem('fairdraw.console.token')") == \
        server.tokens["operator"]
    assert server.tokens["operator"] not in page.url

    # registries: preview (ids and names), then commit as the next snapshot version
    page.select_option("#import-kind", "units")
    page.set_input_files("#import-file", str(files / "units.jsonl"))
    page.click("[data-action=import-preview]")
    page.wait_for_selector("#preview:not([hidden])")
    summary = page.locator("#preview-summary")
    assert summary.get_attribute("data-added") == str(len(units))
    assert summary.get_attribute("data-version") == "1"
    first = sorted(units, key=lambda u: u["id"])[0]
    row = page.locator(f"[data-list=added] tr[data-id='{first['id']}']")
    assert first["name"] in row.inner_text()
    page.screenshot(path=str(shots / "01-preview-units.png"))
    page.click("[data-action=import-commit]")
    page.wait_for_selector("#snapshots tr[data-snapshot^='units-']")
    _import(page, "inspectors", files / "inspectors.jsonl", None)
    # experts from two departments' files and a mapping file: one expert in both, the
    # first file wins (its name kept, the second's not taken), the preview says so
    cut = len(experts) - 5
    (files / "experts-a.jsonl").write_bytes(_jsonl(experts[:cut]))
    renamed = [{("专家姓名（卫健委）" if k == "name" else k): v for k, v in e.items()}
               for e in experts[cut - 1:]]
    renamed[0]["专家姓名（卫健委）"] = "改名的专家"
    (files / "experts-b.jsonl").write_bytes(_jsonl(renamed))
    (files / "mapping.json").write_text(json.dumps({
        "format": "fairdraw-registry-mapping-v1", "kind": "experts",
        "columns": {"专家姓名（卫健委）": "name"}}, ensure_ascii=False), encoding="utf-8")
    page.select_option("#import-kind", "experts")
    page.set_input_files("#import-file", [str(files / "experts-a.jsonl"),
                                          str(files / "experts-b.jsonl")])
    page.set_input_files("#import-mapping", str(files / "mapping.json"))
    page.click("[data-action=import-preview]")
    _then(page, "#merge-box:not([hidden])")
    both = experts[cut - 1]
    decision = page.locator(f"#merge-decisions tr[data-key='id:{both['id']}']")
    assert decision.get_attribute("data-kept") == f"experts-a.jsonl:{cut}"
    assert page.locator("#merge-decisions tbody tr").count() == 1
    assert page.locator("#preview-summary").get_attribute("data-added") == str(len(experts))
    reason = decision.inner_text()
    assert f"experts-a.jsonl row {cut} kept" in reason
    assert "改名的专家" in reason
    assert "mapping.json" in page.inner_text("#preview-summary")
    page.screenshot(path=str(shots / "02-merge-preview.png"), full_page=True)
    with page.expect_response(lambda r: "/import-sources" in r.url) as got:
        page.click("[data-action=import-commit]")
    assert got.value.status == 200, got.value.text()
    imported = got.value.json()
    assert imported["source_name"] == "experts-a.jsonl + experts-b.jsonl"
    assert [d["kept"]["id"] for d in imported["decisions"]] == [both["id"]]
    page.wait_for_selector("#snapshots tr[data-snapshot^='experts-']")
    snaps = requests.get(f"{server.base}/api/snapshots", timeout=10).json()
    assert [x["count"] for x in snaps if x["kind"] == "experts"] == [len(experts)]
    page.screenshot(path=str(shots / "02-snapshots.png"))

    # a second units file retiring 30% of the units: the guard needs a confirmation
    kept = [u for u in units if u["status"] == "active"][: int(len(units) * 0.6)]
    (files / "units-v2.jsonl").write_bytes(_jsonl(kept))
    page.select_option("#import-kind", "units")
    page.set_input_files("#import-file", str(files / "units-v2.jsonl"))
    page.click("[data-action=import-preview]")
    page.wait_for_selector("#mass-removal:not([hidden])")
    assert page.locator("[data-action=import-commit]").is_disabled()
    assert int(page.locator("#preview-summary").get_attribute("data-removed") or 0) > 0
    page.screenshot(path=str(shots / "03-mass-removal-warning.png"))
    page.check("#confirm-mass-removal")
    assert page.locator("[data-action=import-commit]").is_enabled()
    # not committed: the month draws from version 1 (the operator re-checks the file)

    # plan from a saved template
    page.click("[data-tab=plan]")
    page.click("#template-editor summary")
    page.fill("#template-name", "monthly-routine")
    page.fill("#template-json", json.dumps(_template(units, inspectors), ensure_ascii=False))
    page.click("#template-save")
    page.wait_for_selector("#template-strata tr[data-stratum='non-key']")
    assert "一般单位" in page.locator("#template-strata").inner_text()
    first_day, last_day = _next_month(date.today())
    page.fill("#draw-id", "C-MONTH-1")
    page.fill("#period-from", first_day.isoformat())
    page.fill("#period-to", last_day.isoformat())
    page.wait_for_selector("#beacon-proposal[data-round]")
    # the operator picks a time with some slack past the lead time (4 s here); the
    # proposal is the first round at or after it
    chosen = page.evaluate(
        "(() => { const d = new Date(Math.floor(Date.now() / 1000) * 1000 + 12000);"
        " const p = (n) => String(n).padStart(2, '0'); return [`${d.getFullYear()}-"
        "${p(d.getMonth() + 1)}-${p(d.getDate())}T${p(d.getHours())}:${p(d.getMinutes())}:"
        "${p(d.getSeconds())}`, d.toISOString().slice(0, 19) + 'Z']; })()")
    page.check("input[name=beacon-mode][value=not_before]")
    page.fill("#beacon-not-before", chosen[0])
    page.dispatch_event("#beacon-not-before", "change")
    page.wait_for_selector(f"#beacon-proposal[data-round-time='{chosen[1]}']")
    page.click("[data-action=plan-validate]")
    _then(page, "#announce-box:not([hidden])")
    announce = json.loads(page.locator("#announce-json").inner_text())
    assert announce["type"] == "draw.announce"
    assert announce["draw_id"] == "C-MONTH-1"
    assert announce["beacon"]["local"] is True
    assert announce["units"]["snapshot"].startswith("units-")
    assert announce["recusals"]
    assert announce["exclusions"]
    page.screenshot(path=str(shots / "04-announce-preview.png"), full_page=True)
    page.click("[data-action=plan-announce]")

    # follow: publish, co-signed in time, wait for the round, execute
    _then(page, "#follow-box[data-status=announced]")
    page.click("[data-action=publish]")
    page.wait_for_selector("#policy[data-met=true]")
    logged = requests.get(f"{server.base}/api/draws/C-MONTH-1", timeout=10).json()
    entry = requests.get(f"{server.base}/log/entries/{logged['announce_index']}",
                         timeout=10).json()
    assert json.loads(base64.b64decode(entry["data"])) == announce  # shown = logged
    assert page.locator("#witnesses tr[data-in-time=true]").count() == 2
    page.screenshot(path=str(shots / "05-commitment.png"))
    page.wait_for_selector("[data-action=execute]:not([disabled])", timeout=30_000)
    page.click("[data-action=execute]")
    _then(page, "#result-box:not([hidden]) .stratum", timeout=60_000)
    assert page.locator("#public-link").get_attribute("href") == "/portal/draw/C-MONTH-1.html"
    assert "一般单位" in page.locator("#strata").inner_text()
    page.screenshot(path=str(shots / "06-result.png"), full_page=True)
    _publish(page)

    # after: an outcome with an evidence file hashed in the browser
    page.click("[data-tab=after]")
    evidence = files / "现场照片.jpg"
    evidence.write_bytes(os.urandom(50_000))
    digest = hashlib.sha256(evidence.read_bytes()).hexdigest()
    unit = page.locator("#outcome-unit option").first.get_attribute("value")
    page.select_option("#outcome-unit", unit)
    page.select_option("#outcome-result", "rectification_ordered")
    page.fill("#outcome-note", "疏散通道堵塞，责令三日内改正")
    assert page.input_value("#outcome-date") == date.today().isoformat()
    uploads: list[str] = []
    page.on("request", lambda r: uploads.append(r.post_data or "") if r.method == "POST" else None)
    page.set_input_files("#evidence-files", str(evidence))
    page.wait_for_selector(f"#evidence-hashes li[data-sha256='{digest}']")
    page.click("[data-action=record-outcome]")
    _then(page,
        f"#outcomes tr[data-unit-id='{unit}'][data-result=rectification_ordered]")
    assert digest in page.inner_text(f"#outcomes tr[data-unit-id='{unit}']")
    page.screenshot(path=str(shots / "07-outcome.png"), full_page=True)
    assert all(len(body) < 10_000 for body in uploads)  # the file itself never left
    page.click("[data-tab=follow]")
    _publish(page)
    # the public page the console links to: the portal is rebuilt after each publish
    public = f"{server.base}/portal/draw/C-MONTH-1.html"
    for _ in range(300):
        if requests.get(public, timeout=10).status_code == 200:
            break
        time.sleep(0.1)
    else:
        pytest.fail(f"{public} was never served")
    drawn = requests.get(f"{server.base}/api/draws/C-MONTH-1", timeout=10).json()
    size = requests.get(f"{server.base}/healthz", timeout=10).json()["log_size"]
    logged_outcomes = [
        json.loads(base64.b64decode(requests.get(f"{server.base}/log/entries/{i}",
                                                 timeout=10).json()["data"]))
        for i in range(drawn["result_index"] + 1, size)]
    logged_outcomes = [o for o in logged_outcomes if o["type"] == "inspection.outcome"]
    assert [(o["unit_id"], o["result"], o["evidence_sha256"]) for o in logged_outcomes] == [
        (unit, "rectification_ordered", [digest])]
    result = requests.get(f"{server.base}/api/console/draws/C-MONTH-1/result", timeout=10,
                          headers={"Authorization": f"Bearer {server.tokens['operator']}"})
    assert [o["unit_id"] for o in result.json()["outcomes"]] == [unit]
    first_index = result.json()["outcomes"][0]["log_index"]

    # a correction supersedes the outcome in force, with its reason; both stay listed
    page.click("[data-tab=after]")
    page.select_option("#outcome-unit", unit)
    page.select_option("#outcome-supersedes", str(first_index))
    page.select_option("#outcome-result", "compliant")
    page.fill("#outcome-note", "")
    sent: list[str] = []
    page.on("request", lambda r: sent.append(r.url) if "/outcomes" in r.url else None)
    page.click("[data-action=record-outcome]")
    page.wait_for_selector("#message[data-kind=error]:not([hidden])")
    assert "更正必须在说明中写明原因" in page.inner_text("#message")
    assert sent == []  # refused in the console: nothing was sent
    page.fill("#outcome-note", "复查：已当场改正，原记录有误")
    page.click("[data-action=record-outcome]")
    page.wait_for_selector(f"#outcomes tr[data-supersedes='{first_index}'][data-in-force=true]")
    assert page.get_attribute("#message", "data-kind") == "ok"
    old = page.locator(f"#outcomes tr[data-log-index='{first_index}']")
    assert old.get_attribute("data-in-force") == "false"
    assert old.get_attribute("data-result") == "rectification_ordered"
    assert f"更正日志序号 {first_index}" in page.inner_text("#outcomes")
    assert page.locator("#outcomes tbody tr").count() == 2
    page.screenshot(path=str(shots / "07b-correction.png"), full_page=True)
    outcomes = requests.get(f"{server.base}/api/console/draws/C-MONTH-1/result", timeout=10,
                            headers={"Authorization": f"Bearer {server.tokens['operator']}"}
                            ).json()["outcomes"]
    assert [(o["result"], o["supersedes"], o["in_force"]) for o in outcomes] == [
        ("rectification_ordered", None, False), ("compliant", first_index, True)]
    assert outcomes[1]["note"] == "复查：已当场改正，原记录有误"
    page.click("[data-tab=follow]")
    _publish(page)

    # export notices per brigade, CSV and XLSX
    page.click("[data-tab=after]")
    brigade = page.locator("#notice-brigade option").nth(1).get_attribute("value")
    page.select_option("#notice-brigade", brigade)
    with page.expect_download() as got:
        page.click("[data-action=export-notices]")
    path = got.value.path()
    rows = list(csv.reader(io.StringIO(Path(path).read_text(encoding="utf-8-sig"))))
    assert len(rows) > 1
    assert all(r[rows[0].index("大队 brigade")] == brigade for r in rows[1:])
    page.select_option("#notice-format", "xlsx")
    with page.expect_download() as got:
        page.click("[data-action=export-notices]")
    assert Path(got.value.path()).read_bytes()[:2] == b"PK"
    page.screenshot(path=str(shots / "08-notices.png"))

    # a second batch from the same template, on the proposed round, cancelled before its
    # commitment deadline (a cancel is logged with its reason)
    page.click("[data-tab=plan]")
    page.check("input[name=beacon-mode][value=auto]")
    page.dispatch_event("input[name=beacon-mode][value=auto]", "change")
    page.fill("#draw-id", "C-MONTH-2")
    page.click("[data-action=plan-validate]")
    _then(page, "#announce-box:not([hidden])")
    page.click("[data-action=plan-announce]")
    _then(page, "#follow-box[data-status=announced] #cancel-box:not([hidden])")
    page.fill("#cancel-reason", "计划调整：本批次并入下月")
    page.click("[data-action=cancel]")
    _then(page, "#follow-box[data-status=cancelled]")
    assert page.locator("#cancel-box").is_hidden()
    assert page.locator("[data-action=execute]").is_disabled()
    page.screenshot(path=str(shots / "09-cancelled.png"))
    cancelled = requests.get(f"{server.base}/api/draws/C-MONTH-2", timeout=10).json()
    assert cancelled["status"] == "cancelled"

    # the admin's audit trail: who, when, and the request's content
    page.click("[data-action=sign-out]")
    assert page.evaluate("sessionStorage.getItem('fairdraw.console.token')") is None
    _sign_in(page, server.tokens["admin"])
    page.click("[data-tab=audit]")
    page.wait_for_selector("#audit-table tr[data-audit-id]")
    trail = page.locator("#audit-table").text_content() or ""  # long bodies are folded
    assert "operator-1" in trail
    assert "/api/draws/C-MONTH-1/outcomes" in trail
    assert digest in trail
    assert "C-MONTH-1" in trail
    page.screenshot(path=str(shots / "10-audit.png"), full_page=True)

    # the commission: its quarter's return-visit draw (the corrected unit is the pool),
    # followed and executed through its own route; no operator action shows
    page.click("[data-action=sign-out]")
    _sign_in(page, server.tokens["commission"])
    page.wait_for_selector("body[data-state=signed-in][data-role=commission]")
    for tab in ("registries", "plan", "after", "audit"):
        assert page.locator(f"[data-tab={tab}]").is_hidden(), tab
    for action in ("import-commit", "plan-announce", "execute", "record-outcome", "cancel",
                   "export-notices"):
        assert page.locator(f"[data-action='{action}']").is_hidden(), action
    page.click("[data-tab=returns]")
    today = date.today()
    assert page.input_value("#rv-quarter") == f"{today.year}Q{(today.month - 1) // 3 + 1}"
    page.click("[data-action=return-visit-plan]")
    _then(page, "#rv-box:not([hidden])")
    assert page.inner_text("#rv-count") == "1"
    rv_id = page.get_attribute("#rv-box", "data-draw-id")
    page.screenshot(path=str(shots / "11-return-visit-plan.png"))
    page.click("#rv-follow")
    _then(page, "#follow-box[data-status=announced]")
    assert page.input_value("#draw-select") == rv_id
    _publish(page)
    page.wait_for_selector("#policy[data-met=true]")
    page.wait_for_selector("[data-action=return-visit-execute]:not([disabled])", timeout=30_000)
    page.click("[data-action=return-visit-execute]")
    _then(page, "#result-box:not([hidden]) .stratum", timeout=60_000)
    assert unit in page.inner_text("#strata")
    page.screenshot(path=str(shots / "12-return-visit-result.png"), full_page=True)
    rv = requests.get(f"{server.base}/api/draws/{rv_id}", timeout=10).json()
    assert (rv["kind"], rv["status"]) == ("return_visit", "drawn")
    assert page.errors == []
    print(f"whole month in the console: {time.monotonic() - started:.1f} s")


def test_whole_month_on_sqlite(browser: Any, sqlite_server: Server, artifacts: Path) -> None:
    _month(browser, sqlite_server, artifacts)


@pytest.mark.postgres
def test_whole_month_on_postgres(browser: Any, postgres_schema_url: str, tmp_path: Path,
                                 artifacts: Path) -> None:
    with console_server(tmp_path, postgres_schema_url) as server:
        _month(browser, server, artifacts / "postgres")


def test_wrong_token_is_refused_and_not_kept(browser: Any, sqlite_server: Server) -> None:
    page = _page(browser, sqlite_server)
    _sign_in(page, "fdt_" + "A" * 43)
    page.wait_for_selector("#message[data-kind=error]")
    assert "unknown or revoked token" in page.locator("#message").inner_text()
    assert page.get_attribute("body", "data-state") == "signed-out"
    assert page.locator("#tabs").is_hidden()
    assert page.evaluate("sessionStorage.getItem('fairdraw.console.token')") is None
    _sign_in(page, "not a token")
    page.wait_for_selector("#message:has-text('malformed token')")
    assert "token" not in page.url


def test_operator_and_admin_see_their_actions(browser: Any, sqlite_server: Server) -> None:
    from fairdraw.auth import ROLES

    actions = ("import-preview", "import-commit", "plan-validate", "plan-announce", "publish",
               "execute", "record-outcome", "cancel", "export-notices")
    for role in ROLES:
        page = _page(browser, sqlite_server)
        _sign_in(page, sqlite_server.tokens[role])
        page.wait_for_selector("body[data-state=signed-in]")
        assert page.locator("#who-role").inner_text() == role
        page.wait_for_selector("#draw-select option", state="attached")
        assert page.locator("#message[data-kind=error]:not([hidden])").count() == 0, \
            page.inner_text("#message")
        session = requests.get(f"{sqlite_server.base}/api/console/session", timeout=10, headers={
            "Authorization": f"Bearer {sqlite_server.tokens[role]}"}).json()
        audit = page.locator("[data-tab=audit]")
        assert audit.is_visible() == (role == "admin")
        for action in actions:
            button = page.locator(f"[data-action='{action}']")
            assert button.count() == 1, action
            assert (button.get_attribute("hidden") is None) == session["actions"][action], \
                (role, action)
        if role in ("operator", "admin"):
            assert all(session["actions"][a] for a in actions)
        else:  # the commission: publish, never an import or an ordinary draw
            assert session["actions"]["publish"]
            assert not session["actions"]["import-commit"]
            assert not session["actions"]["plan-announce"]
        if role == "operator":  # the English toggle, kept for the tab
            assert page.inner_text("[data-action=plan-announce]").startswith("发布公告")
            page.click("#lang")
            assert page.inner_text(".brand") == "fairdraw operator console"
            assert page.inner_text("[data-action=plan-announce]").startswith("Announce")
            page.reload()
            assert page.inner_text("[data-action=execute]") == "Execute the draw"
            page.wait_for_selector("body[data-state=signed-in]")  # the tab kept its token
            page.click("#lang")
            assert page.inner_text("[data-action=execute]") == "执行抽取"
        page.context.close()


def test_row_errors_are_shown_and_nothing_is_committed(browser: Any, sqlite_server: Server,
                                                       tmp_path: Path, artifacts: Path) -> None:
    auth = {"Authorization": f"Bearer {sqlite_server.tokens['operator']}"}
    good = tmp_path / "units-good.csv"
    good.write_text("编号,单位名称,所属大队,状态,风险等级\nU-1,甲商场,xingbin,正常,高\n",
                    encoding="utf-8")

    def next_version() -> int:
        r = requests.post(f"{sqlite_server.base}/api/registries/units/preview",
                          params={"format": "csv"}, data=good.read_bytes(), headers=auth,
                          timeout=10)
        assert r.status_code == 200, r.text
        return int(r.json()["version"])

    before = requests.get(f"{sqlite_server.base}/api/snapshots", timeout=10).json()
    version = next_version()
    bad = tmp_path / "units-bad.csv"
    bad.write_text("编号,单位名称,所属大队,状态,风险等级\n"
                   "U-1,甲商场,xingbin,正常,高\n"
                   "U-2,乙酒店,xingbin,正常,极高\n"
                   "单位3,丙网吧,heshan,正常,低\n"
                   "U-1,重复单位,heshan,正常,低\n", encoding="utf-8")
    page = _page(browser, sqlite_server)
    _sign_in(page, sqlite_server.tokens["operator"])
    page.wait_for_selector("body[data-state=signed-in]")
    page.select_option("#import-kind", "units")
    page.set_input_files("#import-file", str(bad))
    page.click("[data-action=import-preview]")
    page.wait_for_selector("#row-errors-box:not([hidden])")
    rows = page.locator("#row-errors tbody tr")
    assert rows.count() == 3
    text = page.locator("#row-errors").inner_text()
    assert "极高" in text
    assert "单位3" in text
    assert "duplicate id 'U-1'" in text
    assert [rows.nth(i).get_attribute("data-row") for i in range(3)] == ["3", "4", "5"]
    page.screenshot(path=str(artifacts / "11-row-errors.png"))
    assert page.locator("#preview").is_hidden()
    assert page.locator("[data-action=import-commit]").is_disabled()
    assert requests.get(f"{sqlite_server.base}/api/snapshots", timeout=10).json() == before
    # a mapping file for another registry, or not JSON: refused naming it, nothing committed
    mapping = tmp_path / "mapping.json"
    mapping.write_text(json.dumps({"format": "fairdraw-registry-mapping-v1",
                                   "kind": "inspectors", "columns": {}}), encoding="utf-8")
    page.set_input_files("#import-file", str(good))
    page.set_input_files("#import-mapping", str(mapping))
    page.click("[data-action=import-preview]")
    page.wait_for_selector("#message[data-kind=error]:has-text('mapping.kind')")
    assert "the mapping file is for inspectors, not units" in page.inner_text("#message")
    mapping.write_text("{not json", encoding="utf-8")
    page.set_input_files("#import-mapping", str(mapping))
    page.click("[data-action=import-preview]")
    page.wait_for_selector("#message[data-kind=error]:has-text('不是 JSON')")
    assert page.locator("#preview").is_hidden()
    assert page.locator("[data-action=import-commit]").is_disabled()
    assert requests.get(f"{sqlite_server.base}/api/snapshots", timeout=10).json() == before
    # the registry has no new version either: a clean file previews as the same next version
    assert next_version() == version
