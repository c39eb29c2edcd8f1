"""The registry page in real Chromium: snapshot diffs with ids and names (issue 18.3).

The log is tests/fairdraw/portal_fixture.PortalLog (real Sequencer, real witness
cosignatures) with a chain of unit snapshots: one unit retired, one dropped, one
added and one renamed before a draw, the retired one back after it, the last diff
logged by its hash (ids document published by the builder). The portal is built
by `public_portal.builder.build_portal` and served over HTTP.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from draw_engine import registry_diff
from draw_engine.beacon import round_time
from public_portal.builder import PortalInputs, build_portal
from tests.fairdraw.portal_fixture import PortalLog
from tests.fairdraw.test_verify import NOW
from tests.public_portal.conftest import serve
from transparency.checkpoint import parse_checkpoint
from transparency.note import parse_note

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SETTLED = "document.documentElement.dataset.verdict !== 'pending'"


def _store(p: PortalLog, note: bytes) -> None:
    cp = parse_checkpoint(parse_note(note).text)
    p.storage.store_checkpoint(cp.tree_size, cp.root_hash, note, cosigned=True,
                               created_at=datetime.now(UTC))


def _build(tmp: Path) -> tuple[Path, dict[str, Any]]:
    p = PortalLog(tmp / "fixture", NOW, units=40)
    active = [r for r in p.unit_records if r["status"] == "active"]
    retired, dropped, renamed = active[0], active[1], active[2]
    p.add_snapshots("2026-10")
    retired["status"] = "defunct"
    p.unit_records.remove(dropped)
    renamed["name"] = renamed["name"] + "（新址）"
    added = {**active[3], "id": "U-NEW-1", "name": "新开业商场"}
    p.unit_records.append(added)
    p.add_snapshots("2026-11")
    rnd = p.round_at(NOW - 3600)
    ai = p.announce("LB-2026-12", rnd)
    _store(p, p.cosign(round_time(p.chain, rnd) - 86400))
    p.result(ai)
    retired["status"] = "active"
    limit = registry_diff.INLINE_IDS_LIMIT
    registry_diff.INLINE_IDS_LIMIT = 10  # this diff is logged by its hash
    try:
        p.add_snapshots("2026-12")
    finally:
        registry_diff.INLINE_IDS_LIMIT = limit
    assert "ids_sha256" in p.entries[-2]["diff"]
    _store(p, p.cosign(NOW - 60))
    out = tmp / "site"
    build_portal(out, PortalInputs(p.storage, p.trust(), dict(p.snapshot_files), {}))
    return out, {"retired": retired, "dropped": dropped, "renamed": renamed, "added": added}


@pytest.fixture(scope="module")
def portal(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path, dict]]:
    out, units = _build(tmp_path_factory.mktemp("registry-portal"))
    with serve(out) as server:
        yield server, out, units


def _open(browser: Any, url: str) -> Any:
    page = browser.new_context().new_page()
    page.goto(url)
    page.wait_for_function(SETTLED, timeout=30_000)
    return page


def _rows(page: Any, snapshot: str, lst: str) -> dict[str, str]:
    sel = f"section[data-snapshot='{snapshot}'] [data-list='{lst}'] tr[data-id]"
    return {r.get_attribute("data-id"): r.inner_text() for r in page.query_selector_all(sel)}


def test_registry_page_lists_ids_and_names(browser: Any, portal: Any) -> None:
    server, out, units = portal
    listing = json.loads((out / "data" / "registry.json").read_text())
    names = [r["name"] for r in listing["snapshots"]]
    assert names == ["units-2026-10", "inspectors-2026-10", "units-2026-11",
                     "inspectors-2026-11", "units-2026-12", "inspectors-2026-12"]
    assert (out / "data" / "snapshots" / "units-2026-12.diff.json").exists()
    page = _open(browser, server.url + "registry.html")
    assert page.evaluate("document.documentElement.dataset.verdict") == "pass", \
        page.inner_text("main")
    nov = "units-2026-11"
    assert set(_rows(page, nov, "retired")) == {units["retired"]["id"]}
    assert units["retired"]["name"] in _rows(page, nov, "retired")[units["retired"]["id"]]
    removed = _rows(page, nov, "removed")
    assert set(removed) == {units["dropped"]["id"]}
    assert units["dropped"]["name"] in removed[units["dropped"]["id"]]  # from the older file
    assert set(_rows(page, nov, "added")) == {"U-NEW-1"}
    assert "新开业商场" in _rows(page, nov, "added")["U-NEW-1"]
    changed = _rows(page, nov, "changed")
    assert set(changed) == {units["retired"]["id"], units["renamed"]["id"]}
    fields = page.get_attribute(
        f"section[data-snapshot='{nov}'] [data-list='changed'] "
        f"tr[data-id='{units['renamed']['id']}'] [data-fields]", "data-fields")
    assert fields == "name"
    # The December diff was logged by its hash: read from the published ids document.
    assert set(_rows(page, "units-2026-12", "reactivated")) == {units["retired"]["id"]}
    first = page.inner_text("section[data-snapshot='units-2026-10']")
    assert "首个快照" in first
    page.click("#lang-toggle")
    assert "Retired (left the pool)" in page.inner_text(f"section[data-snapshot='{nov}']")
    page.click("#lang-toggle")  # back to Chinese for the next page of this browser


def test_a_tampered_ids_document_fails_the_page(browser: Any, portal: Any,
                                                tmp_path: Path) -> None:
    _server, out, units = portal
    import shutil

    copy = tmp_path / "site"
    shutil.copytree(out, copy)
    doc = copy / "data" / "snapshots" / "units-2026-12.diff.json"
    doc.write_bytes(doc.read_bytes().replace(units["retired"]["id"].encode(), b"U-OTHER"))
    with serve(copy) as server:
        page = _open(browser, server.url + "registry.html")
        assert page.evaluate("document.documentElement.dataset.verdict") == "fail"
        section = "section[data-snapshot='units-2026-12']"
        assert page.get_attribute(section, "data-status") == "fail"
        assert "SHA-256" in page.inner_text(section)
