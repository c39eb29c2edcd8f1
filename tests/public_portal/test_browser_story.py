"""The draw page tells how the draw was made (issue 13.7), in real headless Chromium.

On the fixture portal (tests/public_portal/conftest.py): the beacon rows equal the
proven announce and result entries (chain, round, round time, signature,
randomness, spec hash, seed); one witness row per witness of trust.json with the
cosignature times that Python verifies on the commitment checkpoint and on the
current one, met by round time − margin; the rules (strata with display names,
quotas, cut-off tickets, the re-draw's exclusion and recusal, zones, team
rules); brigades by their Chinese names; each stratum's cut-off ticket in the
result; check details explained in the page language. Both languages; a draw
without a result says the beacon values are still to come; a tampered beacon
signature marks its rows "未验证 / not verified". A screenshot of the re-draw's
page goes to test-artifacts/draw-story.png.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.public_portal.conftest import DemoLog, serve
from tests.public_portal.test_browser_e2e import (
    ARTIFACTS,
    open_page,
    result_entry,
    tamper_beacon_signature,
    verdict,
)
from witnesses.cosignature import verify_cosignature

pytestmark = [pytest.mark.browser, pytest.mark.slow]
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def site(built_portal: Path) -> Iterator[Any]:
    with serve(built_portal) as server:
        yield server


def announce_entry(demo: DemoLog, draw_id: str) -> dict[str, Any]:
    from transparency.sql import SqlStorage

    storage = SqlStorage.open(demo.database_url, migrate=False)
    try:
        index = demo.draws[draw_id].announce_index
        return dict(json.loads(storage.read_entries(index, index + 1)[0]))
    finally:
        storage.close()


def cosignature_times(note: bytes, trust: dict[str, Any]) -> dict[str, int]:
    """Witness name -> earliest verified cosignature timestamp on a checkpoint note (Python)."""
    body, sigs = note.decode().split("\n\n", 1)
    times: dict[str, int] = {}
    for w in trust["witness_policy"]["witnesses"]:
        key_name = w["vkey"].split("+")[0]  # the signature line carries the key's name
        for line in sigs.splitlines():
            if line.startswith(f"— {key_name} "):
                try:
                    ts = verify_cosignature(w["vkey"], (body + "\n").encode(), line)
                except Exception:  # another key's line under the same name: not this witness
                    continue
                times[w["name"]] = min(ts, times.get(w["name"], ts))
    return times


def epoch(rfc3339: str) -> int:
    return int(datetime.strptime(rfc3339, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())


def beacon_rows(page: Any) -> dict[str, dict[str, str | None]]:
    return {r.get_attribute("data-beacon"): {
        "value": r.get_attribute("data-value"), "status": r.get_attribute("data-check-status"),
        "text": r.inner_text()} for r in page.query_selector_all("#beacon tr[data-beacon]")}


def last_tickets(result: dict[str, Any]) -> dict[str, str]:
    last: dict[str, dict[str, Any]] = {}
    for s in result["selected"]:
        if s["stratum"] not in last or s["rank"] > last[s["stratum"]]["rank"]:
            last[s["stratum"]] = s
    return {name: s["ticket"] for name, s in last.items()}


def set_language(page: Any, lang: str) -> None:
    if page.evaluate("document.documentElement.lang") != ("en" if lang == "en" else "zh-CN"):
        page.click("#lang-toggle")
    assert page.evaluate("document.documentElement.lang") == ("en" if lang == "en" else "zh-CN")


def test_draw_page_tells_the_whole_story_in_both_languages(
    browser: Any, site: Any, demo_log: DemoLog, built_portal: Path
) -> None:
    draw_id = "D-REDRAW"
    result = result_entry(demo_log, draw_id)
    announce = announce_entry(demo_log, draw_id)
    trust = json.loads((built_portal / "trust.json").read_bytes())
    page = open_page(browser, site.url + f"draw/{draw_id}.html")
    assert verdict(page) == "pass"

    # The beacon: every value from the proven announce / result entry, each vouched for.
    rows = beacon_rows(page)
    b = announce["beacon"]
    expected = {
        "chain": b["chain_hash"], "scheme": b["scheme"], "round": str(b["round"]),
        "round_time": b["round_time"], "signature": result["beacon"]["signature"],
        "randomness": result["beacon"]["randomness"], "spec_hash": result["spec_hash"],
        "seed": result["seed"],
    }
    assert {k: rows[k]["value"] for k in expected} == expected
    assert all(rows[k]["status"] == "pass" for k in expected), rows
    assert "key" in rows
    assert "local" in rows
    assert not page.query_selector_all("#beacon-section [data-unverified]")
    assert f"#{result_index(demo_log, draw_id)}" in (rows["seed"]["text"] or "")

    # The witnesses: one row per witness of trust.json, times as Python verifies them.
    margin = trust["margin_seconds"]
    deadline = epoch(b["round_time"]) - margin
    assert page.get_attribute("#witness-deadline", "data-deadline") == str(deadline)
    assert page.get_attribute("#witness-policy", "data-met") == "1"
    size = page.get_attribute("#witnesses th[data-commitment-size]", "data-commitment-size")
    current_size = page.get_attribute("#witnesses th[data-current-size]", "data-current-size")
    assert int(size) > announce_index(demo_log, draw_id)
    committed = cosignature_times((built_portal / "log/checkpoints" / size).read_bytes(), trust)
    current = cosignature_times((built_portal / "log/checkpoint").read_bytes(), trust)
    assert current_size == (built_portal / "log/checkpoint").read_text().split("\n")[1]
    witness_rows = page.query_selector_all("#witnesses tr[data-witness]")
    names = [w["name"] for w in trust["witness_policy"]["witnesses"]]
    assert [r.get_attribute("data-witness") for r in witness_rows] == names
    for r in witness_rows:
        name = r.get_attribute("data-witness")
        assert int(r.get_attribute("data-commitment-timestamp")) == committed[name] <= deadline
        assert int(r.get_attribute("data-current-timestamp")) == current[name]
        utc = datetime.fromtimestamp(committed[name], UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert utc in r.inner_text()  # UTC shown next to the local time
    quorum = page.get_attribute("#witnesses [data-quorum-time]", "data-quorum-time")
    assert int(quorum) == max(committed.values())  # policy "both": met by the later of the two

    # The rules: strata with display names, quotas, cut-off tickets; exclusion; recusal; zones.
    cut = last_tickets(result)
    strata = page.query_selector_all("#rules tr[data-rule-stratum]")
    assert [s.get_attribute("data-rule-stratum") for s in strata] == [
        s["name"] for s in announce["strata"]]
    for s in strata:
        assert s.get_attribute("data-cutoff") == cut.get(s.get_attribute("data-rule-stratum"), "")
    first = page.query_selector("#rules tr[data-rule-stratum='high-risk-key-crowded']")
    assert "高风险重点人员密集场所" in first.inner_text()
    assert "1/12" in first.inner_text()
    assert "至少 5 家" in first.inner_text()
    assert "备选 3 家" in first.inner_text()
    (excluded,) = announce["exclusions"]
    exclusion = page.query_selector_all("#rules li[data-exclusion]")
    assert [e.get_attribute("data-exclusion") for e in exclusion] == [excluded["unit_id"]]
    assert "正在整改" in exclusion[0].inner_text()
    (person, unit), = announce["recusals"]
    recusal = page.query_selector_all("#rules li[data-recusal]")
    assert [r.get_attribute("data-recusal") for r in recusal] == [f"{person} {unit}"]
    assert [z.get_attribute("data-zone") for z in page.query_selector_all("#rules tr[data-zone]")] \
        == list(announce["zones"])
    assert "兴宾" in page.inner_text("#rules tr[data-zone='zone-1']")
    assert page.query_selector("#rules [data-teams='1']")

    # The result: each stratum's cut-off ticket; brigades by the records' Chinese names.
    for name, ticket in cut.items():
        assert page.inner_text(f"#strata [data-cutoff='{name}']") == ticket
    units = {u["id"]: u for u in map(json.loads, (
        built_portal / "data/snapshots/units-2026-11.jsonl").read_text().splitlines())}
    for tr in page.query_selector_all("#strata tr[data-unit-id]"):
        unit_record = units[tr.get_attribute("data-unit-id")]
        assert tr.query_selector_all("td")[3].inner_text() == unit_record["brigade_name"]
    options = {o.get_attribute("value"): o.inner_text()
               for o in page.query_selector_all("#brigade-filter option")
               if o.get_attribute("value")}
    assert options
    assert all(CJK.search(v) for v in options.values())

    # Check details: a plain-words line in the page language above the English reason.
    details = page.query_selector_all("#checks [data-check-detail]")
    assert len(details) == len(page.query_selector_all("#checks [data-check]"))
    assert all(CJK.search(d.text_content() or "") for d in details)
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "draw-story.png"), full_page=True)

    # English: the same sections, names and explanations in English; values unchanged.
    set_language(page, "en")
    assert page.inner_text("#rules-section h2").startswith("The rules")
    assert "High-risk key crowded places" in page.inner_text(
        "#rules tr[data-rule-stratum='high-risk-key-crowded']")
    assert "at least 5" in page.inner_text("#rules tr[data-rule-stratum='high-risk-key-crowded']")
    assert "rectification pending" in page.inner_text("#rules li[data-exclusion]")
    assert "Xingbin" in page.inner_text("#rules tr[data-zone='zone-1']")
    assert page.inner_text("#witness-section h2") == "When the witnesses co-signed"
    assert "before the deadline" in page.inner_text("#witness-policy")
    assert page.inner_text("#beacon-section h2") == "The beacon and the draw seed"
    assert beacon_rows(page)["seed"]["value"] == result["seed"]
    assert len(page.query_selector_all("#witnesses tr[data-witness]")) == len(names)
    details = page.query_selector_all("#checks [data-check-detail]")
    assert details
    assert not any(CJK.search(d.text_content() or "") for d in details)
    assert page.inner_text("#strata [data-cutoff]") in cut.values()
    brigades = [tr.query_selector_all("td")[3].inner_text()
                for tr in page.query_selector_all("#strata tr[data-unit-id]")]
    assert brigades
    assert not any(CJK.search(x) for x in brigades)
    set_language(page, "zh")
    heading = page.inner_text("#strata [data-stratum='high-risk-key-crowded'] h3")
    assert "高风险重点人员密集场所" in heading


def result_index(demo: DemoLog, draw_id: str) -> int:
    return int(demo.draws[draw_id].result_index)


def announce_index(demo: DemoLog, draw_id: str) -> int:
    return int(demo.draws[draw_id].announce_index)


def test_a_draw_without_result_shows_rules_and_witnesses_and_awaits_the_beacon(
    browser: Any, site: Any, demo_log: DemoLog
) -> None:
    page = open_page(browser, site.url + "draw/D-CANCEL.html")
    announce = announce_entry(demo_log, "D-CANCEL")
    rows = beacon_rows(page)
    assert rows["round"]["value"] == str(announce["beacon"]["round"])
    assert "pending" in rows
    assert "seed" not in rows
    assert "signature" not in rows
    assert len(page.query_selector_all("#witnesses tr[data-witness]")) == 2
    assert len(page.query_selector_all("#rules tr[data-rule-stratum]")) == len(announce["strata"])
    assert all(s.get_attribute("data-cutoff") == ""
               for s in page.query_selector_all("#rules tr[data-rule-stratum]"))


def test_a_forged_beacon_signature_marks_the_beacon_rows_not_verified(
    browser: Any, fresh_copy: Path, demo_log: DemoLog
) -> None:
    tamper_beacon_signature(fresh_copy, demo_log)
    with serve(fresh_copy) as server:
        page = open_page(browser, server.url + "draw/D-ROUTINE.html")
        assert verdict(page) == "fail"
        rows = beacon_rows(page)
        assert rows["signature"]["status"] == "fail"
        assert "未验证 / not verified" in (rows["signature"]["text"] or "")
        assert "未验证 / not verified" in (rows["seed"]["text"] or "")  # recompute never ran
        assert rows["round"]["status"] == "pass"
        assert "未验证" not in (rows["round"]["text"] or "")
