"""`fairdraw bundle` + `fairdraw verify FILE`: offline verification of one draw."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from fairdraw.bundle import BundleError, read_bundle
from tests.fairdraw.clienthelp import fairdraw
from tests.fairdraw.portal_fixture import PortalLog, honest_portal
from tests.fairdraw.test_verify import DRAW, NOW


@pytest.fixture
def bundle(tmp_path: Path) -> tuple[PortalLog, Path]:
    p = honest_portal(tmp_path / "portal", NOW)
    (tmp_path / "trust.json").write_text(json.dumps(p.trust()))
    out = tmp_path / "b.json"
    r = fairdraw(
        "bundle",
        DRAW,
        "--source",
        str(p.out),
        "--out",
        str(out),
        "--trust",
        str(tmp_path / "trust.json"),
    )
    assert r.returncode == 0, r.stderr
    return p, out


def _verify(p: PortalLog, target: Path, *extra: str):
    return fairdraw(
        "verify",
        str(target),
        "--trust",
        str(p.out.parent / "trust.json"),
        "--state",
        str(p.out.parent / "state.json"),
        *extra,
    )


def test_bundle_verifies_offline_after_the_portal_is_gone(bundle) -> None:
    p, out = bundle
    manifest, src = read_bundle(out.read_bytes())
    assert manifest["draw_id"] == DRAW
    assert manifest["format"] == "fairdraw-bundle/v1"
    assert {"log/checkpoint", f"data/draws/{DRAW}.json", "log/checkpoints/3"} <= set(src.files)
    import shutil

    shutil.rmtree(p.out)
    r = _verify(p, out, "--json")
    assert r.returncode == 0, r.stderr
    rep = json.loads(r.stdout)[0]
    assert rep["verdict"] == "pass"
    assert [c["name"] for c in rep["checks"]][-1] == "index"  # the bundle's hints were kept
    assert len(rep["checks"]) == 13
    fresh = next(c for c in rep["checks"] if c["name"] == "checkpoint-freshness")
    assert fresh["reason"] == "offline bundle: freshness not checked"
    r = _verify(p, out)
    assert all(f"✓ {c['name']}: " in r.stdout for c in rep["checks"]), r.stdout


def test_tampered_bundle_names_the_failing_check(bundle) -> None:
    p, out = bundle
    obj = json.loads(out.read_text())
    path = "data/snapshots/units-2026-11.jsonl"
    text = base64.b64decode(obj["files"][path]).decode()
    obj["files"][path] = base64.b64encode(
        text.replace('"risk_level":"high"', '"risk_level":"low"', 1).encode()
    ).decode()
    out.write_text(json.dumps(obj))
    r = _verify(p, out)
    assert r.returncode == 1
    assert "✗ snapshot-roots" in r.stdout


def test_malformed_bundles_are_refused(bundle, tmp_path: Path) -> None:
    p, out = bundle
    obj = json.loads(out.read_text())
    for bad in (
        {**obj, "format": "other"},
        {**obj, "files": {"../x": "AA=="}},
        {**obj, "files": {"trust.json": "not base64!"}},
    ):
        with pytest.raises(BundleError):
            read_bundle(json.dumps(bad).encode())
    f = tmp_path / "bad.json"
    f.write_text(json.dumps({**obj, "format": "other"}))
    r = _verify(p, f)
    assert r.returncode == 2
    assert "fairdraw-bundle/v1" in r.stderr
