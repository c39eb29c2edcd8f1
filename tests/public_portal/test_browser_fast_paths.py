"""The verifier's fast paths inside Chromium (docs/spec/portal-js.md, performance notes).

The node tests check the synchronous SHA-256 (noble's) and the raw-line snapshot root; these
run the same code in the browser that citizens use: SHA-256 against WebCrypto on random
inputs, and verify-worker.js started as a Worker answering the 'lines-root' message (what
it does as the nested hashing helper for large snapshot files) with the root Python
computes for the same snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from draw_engine.snapshot import format_records, make_snapshot
from tests.public_portal.conftest import serve

pytestmark = [pytest.mark.browser]


@pytest.fixture(scope="module")
def site(built_portal: Path) -> Iterator[Any]:
    with serve(built_portal) as server:
        yield server


def test_sync_sha256_equals_webcrypto_in_chromium(browser: Any, site: Any) -> None:
    page = browser.new_context().new_page()
    page.goto(site.url + "index.html")
    mismatches = page.evaluate(
        """async () => {
          const { sha256Sync } = await import('./assets/js/hashing.js');
          const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
          const bad = [];
          for (let n = 0; n < 400; n += (n < 140 ? 1 : 37)) {
            const m = crypto.getRandomValues(new Uint8Array(n));
            const want = hex(new Uint8Array(await crypto.subtle.digest('SHA-256', m)));
            if (hex(sha256Sync(m)) !== want) bad.push(n);
          }
          return bad;
        }"""
    )
    assert mismatches == []


def test_worker_lines_root_helper_matches_python_snapshot_root(browser: Any, site: Any) -> None:
    records = [
        {
            "id": f"U{i:05d}",
            "name": f"单位{i}",
            "status": "active",
            "n": i - 50,
            "tags": ["a"] if i % 3 else [],
            "key_unit": i % 2 == 0,
        }
        for i in range(333)
    ]
    snapshot = make_snapshot("units-fast", "units", records)
    data = list(format_records(snapshot))
    page = browser.new_context().new_page()
    page.goto(site.url + "index.html")
    got = page.evaluate(
        """async (data) => {
          const w = new Worker('./assets/verify-worker.js', { type: 'module' });
          const root = await new Promise((resolve, reject) => {
            w.onmessage = (ev) => resolve(ev.data);
            w.onerror = (e) => reject(new Error(String(e.message)));
            w.postMessage({ kind: 'lines-root', bytes: new Uint8Array(data) });
          });
          w.terminate();
          const hex = Array.from(root.root, (x) => x.toString(16).padStart(2, '0')).join('');
          return root.kind + ':' + hex;
        }""",
        data,
    )
    assert got == "lines-root:" + snapshot.root_hex
