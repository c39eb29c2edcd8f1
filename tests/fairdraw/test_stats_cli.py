"""`fairdraw stats` as a real subprocess on a year of simulated draws (no browser needed).

The portal is tests/public_portal/stats_fixture.build_year (real log, witnesses, local
beacon, draw-v1, the portal builder). Checked: the figures (36 draws, the registry gap,
no flag in an honest year, the histogram adding up), a unit's history, an offline bundle
(other draws pending, exit 3), a tampered entry bundle (exit 1, nothing on stdout) and
bad input (exit 2, a message naming it).
"""

from __future__ import annotations

import json
import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from tests.fairdraw.clienthelp import fairdraw
from tests.public_portal.stats_fixture import build_year


@pytest.fixture(scope="module")
def year(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    return build_year(tmp_path_factory.mktemp("stats-cli"), int(time.time()), units=300)


def _stats(site: Path, *args: str) -> Any:
    return fairdraw("stats", str(site), "--trust", str(site / "trust.json"), *args)


def test_the_figures_of_a_year(year: Any) -> None:
    site, info = year
    proc = _stats(site, "--json")
    assert proc.returncode == 0, proc.stderr
    s = json.loads(proc.stdout)
    assert len(s["draws"]) == 36
    assert s["pending"] == []
    assert all(r["flag"] is None for r in s["strata"])
    assert all(r["quota"] == r["drawn"] for r in s["strata"])
    assert sum(h["units"] for h in s["units"]["histogram"]) == s["units"]["pooled"]
    assert {g["unit_id"] for g in s["registry"]["gaps"]} == {info["gap_unit"]}
    assert {g["draw_id"] for g in s["registry"]["gaps"]} == {
        f"Y-2026-07-zone-{z}" for z in (1, 2, 3)}
    duties = sum(o["duties"] for o in s["officers"])
    assert duties == sum(2 * d["selected"] for d in s["draws"])  # one lead + one assistant
    text = _stats(site)
    assert text.returncode == 0
    assert "brigades 大队" in text.stdout
    assert f"gap: draw Y-2026-07-zone-1 unit {info['gap_unit']}" in text.stdout


def test_a_units_history(year: Any) -> None:
    site, info = year
    proc = _stats(site, "--unit", info["gap_unit"], "--json")
    assert proc.returncode == 0, proc.stderr
    rows = json.loads(proc.stdout)
    assert len(rows) == 36
    july = [r for r in rows if r["draw_id"].startswith("Y-2026-07")]
    assert all(r["in_snapshot"] and r["stratum"] is None for r in july)  # out of the pool
    for r in rows:
        if r["rank"] is not None:
            assert r["ticket"] <= r["cutoff"]
        elif r["ticket"] is not None:
            assert r["ticket"] > r["cutoff"]


def test_an_offline_bundle_leaves_other_draws_pending(year: Any, tmp_path: Path) -> None:
    site, _ = year
    bundle = tmp_path / "b.json"
    made = fairdraw("bundle", "Y-2026-05-zone-1", "--source", str(site), "--trust",
                    str(site / "trust.json"), "--out", str(bundle))
    assert made.returncode == 0, made.stderr
    proc = fairdraw("stats", str(bundle), "--trust", str(site / "trust.json"), "--json")
    assert proc.returncode == 3, proc.stderr
    s = json.loads(proc.stdout)
    assert "Y-2026-05-zone-1" not in s["pending"]
    assert "Y-2026-01-zone-1" in s["pending"]


def test_a_tampered_entry_bundle_is_refused(year: Any, tmp_path: Path) -> None:
    site, _ = year
    copy = tmp_path / "site"
    shutil.copytree(site, copy)
    bundle = next(f for f in sorted((copy / "log" / "tile" / "entries").rglob("*"))
                  if f.is_file())
    data = bundle.read_bytes()
    bundle.write_bytes(data.replace(b'"selected":[{', b'"selected":[ {', 1))
    proc = _stats(copy, "--json")
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert "does not verify" in proc.stderr


def test_bad_input_is_named(tmp_path: Path, year: Any) -> None:
    site, _ = year
    proc = fairdraw("stats", str(tmp_path / "nowhere"), "--trust", str(site / "trust.json"))
    assert proc.returncode == 2
    assert "neither a portal directory nor an http(s) URL" in proc.stderr
    empty = tmp_path / "empty"
    empty.mkdir()
    proc = fairdraw("stats", str(empty), "--trust", str(site / "trust.json"))
    assert proc.returncode == 2
    assert "is not a fairdraw portal" in proc.stderr
