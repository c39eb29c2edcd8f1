"""A portal opened from disk (file://) verifies in real Chromium (issue 13 item 3).

Chromium refuses module scripts, workers and fetch on file:// pages, so the pages
run the classic build (assets/classic.js) on the main thread and read each draw's
disk bundle (data/disk/<id>.js, public_portal/disk.py). The same checks run: a
drawn draw turns green, a tampered disk file or a missing one turns the page red,
and the offline page verifies a bundle chosen from disk.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from public_portal.disk import disk_file_path, disk_path, format_disk_file
from tests.public_portal.conftest import DRAWN
from tests.public_portal.test_browser_e2e import DONE, checks, verdict

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def open_file(browser: Any, path: Path) -> Any:
    page = browser.new_context().new_page()
    page.goto(path.as_uri())
    page.wait_for_function(DONE, timeout=60_000)
    return page


def _registered(path: Path) -> Any:
    text = path.read_text(encoding="utf-8")
    cut = text.index("] = ") + 4
    return json.loads(text[cut:].removesuffix(";\n"))


def read_disk_bundle(site: Path, draw_id: str) -> dict[str, Any]:
    """The offline bundle a disk manifest and its content-named files add up to."""
    manifest = _registered(site / disk_path(draw_id))
    assert manifest["format"] == "fairdraw-disk/v1"
    files = {p: _registered(site / disk_file_path(d)) for p, d in manifest["files"].items()}
    return {"format": "fairdraw-bundle/v1", "draw_id": draw_id, "files": files}


@pytest.mark.parametrize("draw_id", DRAWN)
def test_a_draw_page_opened_from_disk_turns_green(browser: Any, built_portal: Path,
                                                  draw_id: str) -> None:
    page = open_file(browser, built_portal / "draw" / f"{draw_id}.html")
    assert verdict(page) == "pass", checks(page)
    assert page.evaluate("document.documentElement.dataset.mainThread") == "1"
    got = checks(page)
    assert got["recompute"] == "pass"
    assert "offline" in page.text_content("[data-check='checkpoint-freshness']")


def test_the_index_page_opened_from_disk_links_to_the_draw_pages(browser: Any,
                                                                   built_portal: Path) -> None:
    page = browser.new_context().new_page()
    page.goto((built_portal / "index.html").as_uri())
    page.click(f"a[href='draw/{DRAWN[0]}.html']")
    page.wait_for_function(DONE, timeout=60_000)
    assert verdict(page) == "pass", checks(page)


def test_a_tampered_disk_file_turns_the_page_red(browser: Any, fresh_copy: Path) -> None:
    draw_id = DRAWN[0]
    manifest = _registered(fresh_copy / disk_path(draw_id))
    snapshots = [p for p in manifest["files"] if p.startswith("data/snapshots/")]
    assert snapshots
    digest = manifest["files"][snapshots[0]]
    records = base64.b64decode(_registered(fresh_copy / disk_file_path(digest))).decode()
    # The content name is not trusted either: same name, other bytes.
    (fresh_copy / disk_file_path(digest)).write_bytes(
        format_disk_file(digest, records.replace('"active"', '"defunct"', 1).encode()))
    page = open_file(browser, fresh_copy / "draw" / f"{draw_id}.html")
    assert verdict(page) == "fail"
    assert checks(page)["snapshot-roots"] == "fail"


def test_a_missing_disk_file_says_what_to_do(browser: Any, fresh_copy: Path) -> None:
    draw_id = DRAWN[0]
    (fresh_copy / disk_path(draw_id)).unlink()
    page = open_file(browser, fresh_copy / "draw" / f"{draw_id}.html")
    assert verdict(page) == "fail"
    assert "data/disk" in page.text_content("#checks")


def test_the_offline_page_opened_from_disk_verifies_a_bundle(browser: Any, built_portal: Path,
                                                             tmp_path: Path) -> None:
    bundle = read_disk_bundle(built_portal, DRAWN[0])
    path = tmp_path / "draw.bundle.json"
    path.write_text(json.dumps(bundle))
    page = browser.new_context().new_page()
    page.goto((built_portal / "offline.html").as_uri())
    page.wait_for_function("document.getElementById('bundle-file') !== null")
    page.wait_for_function("window.FairdrawClassic !== undefined", timeout=30_000)
    page.set_input_files("#bundle-file", str(path))
    page.wait_for_function(DONE, timeout=60_000)
    assert verdict(page) == "pass", checks(page)


def test_a_cancelled_draw_says_cancelled_not_waiting(browser: Any, built_portal: Path) -> None:
    page = open_file(browser, built_portal / "draw" / "D-CANCEL.html")
    assert verdict(page) == "pending", checks(page)  # no result will come: nothing failed
    assert checks(page)["draw-history"] == "pass"
    assert page.get_attribute("#verdict-title", "data-i18n") == "verdict.cancelled"
    assert "已取消" in page.inner_text("#verdict-title")


def test_the_draws_of_a_portal_share_their_disk_files(built_portal: Path) -> None:
    manifests = [_registered(built_portal / disk_path(d)) for d in DRAWN]
    refs = [(p, d) for m in manifests for p, d in m["files"].items()]
    # trust.json, the log's files and a snapshot the draws share are each stored once
    assert len({d for _, d in refs}) < len(refs)
    assert len({d for p, d in refs if p == "trust.json"}) == 1
    for m in manifests:
        for path, digest in m["files"].items():
            data = base64.b64decode(_registered(built_portal / disk_file_path(digest)))
            assert hashlib.sha256(data).hexdigest() == digest
            assert data == (built_portal / path).read_bytes()
