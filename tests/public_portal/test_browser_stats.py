"""The statistics page in real Chromium and `fairdraw stats` on the same portals (issue 19).

Two portals: the demo-like one of conftest (made by the draw lifecycle service with a local
beacon and witness processes: D-ROUTINE, a cancelled draw and its re-draw, outcomes) and a
year of simulated draws (tests/public_portal/stats_fixture.py: 36 zone batches, snapshots
with closures, openings and a registry gap). For each the page must verify every draw,
draw its plots, and embed as #stats-data exactly what `fairdraw stats --json` prints (a real
subprocess). Screenshots are saved under the test's tmp directory and their paths printed.
A forged result (re-signed by the log key, co-signed again) turns the page red naming the
draw and the failed check (recompute), and the CLI refuses with exit 1; an entry bundle
changed on the server fails the page's log-entries check.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from public_portal.disk import (
    MAX_DISK_BUNDLE,
    STATS_DISK_PATH,
    disk_file_path,
    format_disk_file,
    write_disk_bundles,
)
from tests.fairdraw.clienthelp import BASE_CMD
from tests.public_portal.conftest import DemoLog, forge_log, serve
from tests.public_portal.stats_fixture import build_year

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SETTLED = ("document.documentElement.dataset.verdict !== 'pending' "
           "|| document.getElementById('stats').children.length > 0")
PLOTS = ("strata", "brigades", "units", "officers", "registry")


def _cli(site: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*BASE_CMD, "stats", str(site), "--trust", str(site / "trust.json"),
                           *args], capture_output=True, text=True, timeout=300, check=False)


def _open(browser: Any, url: str) -> Any:
    page = browser.new_context(viewport={"width": 1100, "height": 900}).new_page()
    page.goto(url)
    page.wait_for_function(SETTLED, timeout=120_000)
    return page


def _shot(page: Any, path: Path) -> None:
    page.screenshot(path=str(path), full_page=True)
    assert path.stat().st_size > 10_000
    print(f"screenshot: {path}")


def _han(text: str) -> bool:
    return any("\u4e00" <= c <= "\u9fff" for c in text)


def _latin(text: str) -> bool:
    return any("a" <= c.lower() <= "z" for c in text)


def _embedded(page: Any) -> Any:
    return json.loads(page.text_content("#stats-data"))


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Any, Path, dict[str, Any]]]:
    out, info = build_year(tmp_path_factory.mktemp("stats-year"), int(time.time()))
    with serve(out) as server:
        yield server, out, info


def test_the_year_page_plots_what_the_cli_prints(browser: Any, year: Any,
                                                tmp_path_factory: pytest.TempPathFactory) -> None:
    server, site, info = year
    cli = _cli(site, "--json")
    assert cli.returncode == 0, cli.stderr
    printed = json.loads(cli.stdout)
    page = _open(browser, server.url + "stats.html")
    assert page.evaluate("document.documentElement.dataset.verdict") == "pass", \
        page.inner_text("#verdict")
    assert _embedded(page) == printed  # the figures the page plotted, to the digit
    assert len(printed["draws"]) == 36
    for plot in PLOTS:
        assert page.locator(f"svg[data-plot='{plot}']").count() == 1, plot
    assert page.locator("svg[data-plot='brigades'] circle").count() == len(printed["brigades"])
    assert page.locator("svg[data-plot='officers'] rect").count() >= 36 * 20
    assert page.locator("li[data-check^='draw:'][data-status='pass']").count() == 36
    gaps = page.locator("#stats-registry tr[data-gap]")
    assert gaps.count() == 3
    assert info["gap_unit"] in gaps.first.inner_text()
    # the unit lookup: the gap unit's whole history, one row per draw
    page.fill("#unit-lookup-input", info["gap_unit"])
    page.click("#unit-lookup button")
    rows = page.locator("#unit-lookup-result tr[data-draw]")
    assert rows.count() == 36
    history = json.loads(_cli(site, "--unit", info["gap_unit"], "--json").stdout)
    shown = [(rows.nth(i).get_attribute("data-draw"), rows.nth(i).get_attribute("data-selected"))
             for i in range(rows.count())]
    assert shown == [(r["draw_id"], "0" if r["rank"] is None else "1") for r in history]
    _shot(page, tmp_path_factory.mktemp("shots") / "stats-year.png")


def test_the_demo_like_page_plots_what_the_cli_prints(browser: Any, built_portal: Path,
                                                     tmp_path_factory: pytest.TempPathFactory
                                                     ) -> None:
    cli = _cli(built_portal, "--json")
    assert cli.returncode == 0, cli.stderr
    printed = json.loads(cli.stdout)
    assert [d["draw_id"] for d in printed["draws"]] == ["D-ROUTINE", "D-REDRAW"]
    with serve(built_portal) as server:
        page = _open(browser, server.url + "stats.html")
        assert page.evaluate("document.documentElement.dataset.verdict") == "pass", \
            page.inner_text("#verdict")
        assert _embedded(page) == printed
        for plot in PLOTS:
            assert page.locator(f"svg[data-plot='{plot}']").count() == 1, plot
        assert page.locator("li[data-check='draw:D-CANCEL'][data-status='pass']").count() == 1
        _shot(page, tmp_path_factory.mktemp("shots") / "stats-demo.png")
        # Labels follow the language switch, one language at a time; the figures stay.
        zh_heads = page.locator("#stats-strata th").all_inner_texts()
        assert zh_heads[0] == "分层"
        assert not any(_latin(h) for h in zh_heads), zh_heads
        unit = printed["units"]["most_drawn"][0]["unit_id"]
        page.fill("#unit-lookup-input", unit)
        page.click("#unit-lookup button")
        looked_up = page.locator("#unit-lookup-result tr[data-draw]").count()
        assert looked_up >= 1
        page.click("#lang-toggle")
        assert "Fairness over many draws" in page.inner_text("h1")
        en_heads = page.locator("#stats-strata th").all_inner_texts()
        assert en_heads[0] == "stratum"
        assert not any(_han(h) for h in en_heads), en_heads
        assert len(en_heads) == len(zh_heads)
        for where in ("#stats h2", "#stats h3", "#stats th", "#stats p.meta",
                      "svg[data-plot] rect title", "#checks li"):
            texts = page.locator(where).all_text_contents()
            assert texts, where
            assert not any(_han(x) for x in texts), (where, texts)
        assert page.get_attribute("#unit-lookup-input", "placeholder") == "unit id"
        assert page.input_value("#unit-lookup-input") == unit  # looked up again after redraw
        assert page.locator("#unit-lookup-result tr[data-draw]").count() == looked_up
        assert "Strata: drawn vs the declared ratio" in page.inner_text("#stats-strata h2")
        assert _embedded(page) == printed
        page.click("#lang-toggle")
        assert page.locator("#stats-strata h2").inner_text() == "分层：抽中数与比例"
        assert page.locator("svg[data-plot='strata'] rect title").first.text_content() \
            .startswith("抽中: ")
        index = browser.new_context().new_page()
        index.goto(server.url + "index.html")
        assert index.get_attribute("#stats-link", "href") == "stats.html"
        assert index.inner_text("#stats-link") == "公平性统计：许多次抽取放在一起看"
        index.click("#lang-toggle")
        assert index.inner_text("#stats-link") == "Fairness over many draws"


def test_the_cli_report_draws_the_same_plots(browser: Any, built_portal: Path,
                                             tmp_path: Path) -> None:
    report = tmp_path / "report.html"
    cli = _cli(built_portal, "--out", str(report))
    assert cli.returncode == 0, cli.stderr
    assert "strata 分层" in cli.stdout
    assert "brigades 大队" in cli.stdout
    printed = json.loads(_cli(built_portal, "--json").stdout)
    page = browser.new_context().new_page()
    page.goto(report.as_uri())
    page.wait_for_selector("svg[data-plot='registry']")
    assert json.loads(page.text_content("#stats-data")) == printed
    for plot in PLOTS:
        assert page.locator(f"svg[data-plot='{plot}']").count() == 1, plot
    # the report has no language switch: both languages together
    assert page.locator("#stats-strata th").first.inner_text() == "分层 stratum"
    refused = page.evaluate("""() => { try {
        renderStats(JSON.parse(document.getElementById('stats-data').textContent),
                    document.createElement('div'), null, 'fr'); return 'drawn';
      } catch (e) { return e.message; } }""")
    assert refused == 'renderStats: language "fr" is not zh, en or both'
    _shot(page, tmp_path / "stats-report.png")


def test_a_forged_result_turns_the_page_red(browser: Any, demo_log: DemoLog, built_portal: Path,
                                            tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(built_portal, site)
    index = demo_log.draws["D-ROUTINE"].result_index

    def swap_rank(data: bytes) -> bytes:
        from draw_engine.canonical import canonical_json

        entry = json.loads(data)
        first, second = entry["selected"][0], entry["selected"][1]
        first["unit_id"], second["unit_id"] = second["unit_id"], first["unit_id"]
        return canonical_json(entry)

    forge_log(demo_log, site, index, swap_rank)
    cli = _cli(site, "--json")
    assert cli.returncode == 1
    assert cli.stdout == ""
    assert "recompute" in cli.stderr
    with serve(site) as server:
        page = _open(browser, server.url + "stats.html")
        assert page.evaluate("document.documentElement.dataset.verdict") == "fail"
        assert "D-ROUTINE: " in page.inner_text("#verdict-detail")
        assert "recompute" in page.inner_text("#verdict-detail")
        failed = page.locator("li[data-check='draw:D-ROUTINE'][data-status='fail']")
        assert failed.count() == 1
        assert "recompute" in failed.inner_text()
        assert page.text_content("#stats-data") == "null"  # no figure from a forged log
        _shot(page, tmp_path / "stats-forged.png")


def test_bad_input_is_refused_with_a_clear_error(tmp_path: Path, built_portal: Path) -> None:
    missing = _cli(tmp_path / "nowhere")
    assert missing.returncode == 2
    assert "neither a portal directory" in missing.stderr
    bad_trust = tmp_path / "trust.json"
    bad_trust.write_text("{not json")
    proc = subprocess.run([*BASE_CMD, "stats", str(built_portal), "--trust", str(bad_trust)],
                          capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 2
    assert proc.stdout == ""


def test_a_tampered_entry_bundle_turns_the_page_red(browser: Any, built_portal: Path,
                                                    tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(built_portal, site)
    bundle = next(f for f in sorted((site / "log" / "tile" / "entries").rglob("*"))
                  if f.is_file())
    data = bundle.read_bytes()
    bundle.write_bytes(data.replace(b'"selected":[{', b'"selected":[ {', 1))
    assert bundle.read_bytes() != data
    with serve(site) as server:
        page = _open(browser, server.url + "stats.html")
        assert page.evaluate("document.documentElement.dataset.verdict") == "fail"
        assert "log-entries" in page.inner_text("#verdict-detail")
        assert page.locator("li[data-check='log-entries'][data-status='fail']").count() == 1
        assert page.text_content("#stats-data") == "null"


def _stats_manifest(site: Path) -> dict[str, Any]:
    text = (site / STATS_DISK_PATH).read_text(encoding="utf-8")
    cut = text.index("globalThis.FairdrawDiskStats = ") + len("globalThis.FairdrawDiskStats = ")
    manifest: dict[str, Any] = json.loads(text[cut:].removesuffix(";\n"))
    return manifest


def test_the_stats_page_opened_from_disk_plots_what_the_cli_prints(browser: Any,
                                                                   built_portal: Path) -> None:
    """file://: no fetch, no module scripts; the page reads data/disk/stats.js and the
    content-named files, then runs the one verification and computation of the served page."""
    manifest = _stats_manifest(built_portal)
    assert manifest["format"] == "fairdraw-disk/v1"
    assert {"trust.json", "log/checkpoint", "data/registry.json",
            "data/draws/D-ROUTINE.json"} <= set(manifest["files"])
    printed = json.loads(_cli(built_portal, "--json").stdout)
    page = _open(browser, (built_portal / "stats.html").as_uri())
    assert page.evaluate("document.documentElement.dataset.verdict") == "pass", \
        page.inner_text("#verdict")
    assert _embedded(page) == printed
    for plot in PLOTS:
        assert page.locator(f"svg[data-plot='{plot}']").count() == 1, plot
    assert page.locator("li[data-check='draw:D-ROUTINE'][data-status='pass']").count() == 1


def test_a_tampered_disk_file_turns_the_stats_page_red(browser: Any, fresh_copy: Path) -> None:
    """The content name is not trusted: an entry bundle's disk file with other bytes fails
    log-entries, no figure shown."""
    manifest = _stats_manifest(fresh_copy)
    bundle = next(p for p in sorted(manifest["files"]) if p.startswith("log/tile/entries/"))
    digest = manifest["files"][bundle]
    data = (fresh_copy / bundle).read_bytes()
    forged = data.replace(b'"selected":[{', b'"selected":[ {', 1)
    assert forged != data
    (fresh_copy / disk_file_path(digest)).write_bytes(format_disk_file(digest, forged))
    page = _open(browser, (fresh_copy / "stats.html").as_uri())
    assert page.evaluate("document.documentElement.dataset.verdict") == "fail"
    assert page.locator("li[data-check='log-entries'][data-status='fail']").count() == 1
    assert page.text_content("#stats-data") == "null"


def test_a_missing_stats_disk_manifest_is_named(browser: Any, fresh_copy: Path) -> None:
    (fresh_copy / STATS_DISK_PATH).unlink()
    page = _open(browser, (fresh_copy / "stats.html").as_uri())
    assert page.evaluate("document.documentElement.dataset.verdict") == "fail"
    assert "data/disk/stats.js" in page.inner_text("#verdict-detail")
    assert page.text_content("#stats-data") == "null"


def test_every_page_links_the_stats_and_registry_pages_in_its_header(browser: Any,
                                                                      built_portal: Path) -> None:
    pages = ["index.html", "log.html", "offline.html", "registry.html", "stats.html",
             *(f"draw/{p.name}" for p in sorted((built_portal / "draw").glob("*.html")))]
    assert len(pages) > 5
    for rel in pages:
        text = (built_portal / rel).read_text(encoding="utf-8")
        header = text[text.index('<header class="top">'):text.index("</header>")]
        root = "../" if rel.startswith("draw/") else ""
        for target, key in (("stats.html", "nav.stats"), ("registry.html", "nav.registry")):
            assert f'<a href="{root}{target}" data-i18n="{key}">' in header, (rel, target)
    # the link follows the language switch on a page other than the index
    page = browser.new_context().new_page()
    page.goto((built_portal / "log.html").as_uri())
    link = page.locator("header nav a[data-i18n='nav.stats']")
    assert link.inner_text() == "公平性统计"
    page.click("#lang-toggle")
    assert link.inner_text() == "Fairness statistics"
    link.click()
    page.wait_for_function(SETTLED, timeout=60_000)
    assert page.url.endswith("/stats.html")
    assert page.evaluate("document.documentElement.dataset.verdict") == "pass"


def test_a_portal_too_big_for_disk_says_so_on_the_stats_page(browser: Any,
                                                             fresh_copy: Path) -> None:
    """Over MAX_DISK_BUNDLE the manifest names no file and says why (no earlier one stays)."""
    with (fresh_copy / "data" / "snapshots" / "big.jsonl").open("wb") as f:
        f.truncate(MAX_DISK_BUNDLE + 1)  # sparse: its size counts, it is never read

    def write(rel: str, data: bytes) -> None:
        (fresh_copy / rel).write_bytes(data)

    def write_once(rel: str, data: bytes) -> bool:
        path = fresh_copy / rel
        if path.exists():
            return path.read_bytes() == data
        path.write_bytes(data)
        return True

    assert write_disk_bundles(fresh_copy, {}, write, write_once) == ["stats"]
    assert _stats_manifest(fresh_copy)["files"] is None
    page = _open(browser, (fresh_copy / "stats.html").as_uri())
    assert page.evaluate("document.documentElement.dataset.verdict") == "fail"
    assert "exceed 64 MiB" in page.inner_text("#verdict-detail")
    assert page.text_content("#stats-data") == "null"
