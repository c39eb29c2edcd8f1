"""Every attack of issue 12 (tests/fairdraw/attack_fixture.py) against the Python verifiers:
`verify`, `audit` and `assignments` fail naming the check (and the rule), while the
untampered demo-like portal stays green. The browser tests read the same fixture."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from fairdraw.audit import audit_portal
from fairdraw.portal_inputs import draw_ids, verify_portal_draw
from fairdraw.portal_source import DirectorySource
from fairdraw.trust import load_trust
from fairdraw.verify import CHECKS
from tests.fairdraw.attack_fixture import ATTACKS, Attack, build_attack, honest_demo
from tests.fairdraw.clienthelp import fairdraw

NOW = int(time.time())  # the CLI reads the real clock


def _trust(out: Path):
    return load_trust((out / "trust.json").read_bytes())


def _remembered(a: Attack) -> list[bytes]:
    """What a client that verified `a.before` first remembers: its checkpoint."""
    return [(a.before / "log" / "checkpoint").read_bytes()] if a.before else []


def _verify(a: Attack):
    src = DirectorySource(a.out)
    return verify_portal_draw(src, _trust(a.out), a.draw_id, now=NOW, remembered=_remembered(a))


def _audit(a: Attack):
    return audit_portal(DirectorySource(a.out), _trust(a.out), now=NOW, remembered=_remembered(a))


@pytest.fixture(scope="module")
def attacks(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Attack]:
    base = tmp_path_factory.mktemp("attacks")
    return {name: build_attack(name, base / name, NOW) for name in ATTACKS}


def test_every_point_of_issue_12_has_an_attack() -> None:
    assert {point for point, _ in ATTACKS.values()} == set(range(1, 9))


@pytest.mark.parametrize("name", [n for n in ATTACKS if n != "rollback"])
def test_verify_fails_naming_the_check_and_rule(attacks: dict[str, Attack], name: str) -> None:
    a = attacks[name]
    r = _verify(a)
    if a.verify == "index":  # navigation only: every proven check passes, the index lies
        assert all(c.status == "pass" for c in r.checks[: len(CHECKS)]), r.to_json()
        assert r.verdict == "fail", r.to_json()
        assert f"says {a.extra['field']} " in r.check("index").reason, r.check("index").reason
        return
    assert [c.name for c in r.checks][: len(CHECKS)] == list(CHECKS)
    assert r.verdict == "fail", r.to_json()
    failed = r.check(a.verify)
    assert failed.status == "fail", r.to_json()
    if a.rule is not None:
        assert failed.reason.startswith(f"{a.rule}: "), failed.reason
    # every check before the failing one that could run did not fail for another reason
    assert r.failed[0].name == a.verify, [c.to_json() for c in r.failed]


@pytest.mark.parametrize("name", [n for n in ATTACKS if n != "rollback"])
def test_audit_fails_naming_the_finding(attacks: dict[str, Attack], name: str) -> None:
    a = attacks[name]
    rep = _audit(a)
    assert not rep.ok
    assert a.audit in {f.check for f in rep.failures}, [f.to_json() for f in rep.failures]
    if a.rule is not None and a.audit.startswith("draw:"):
        f = next(f for f in rep.failures if f.check == a.audit)
        assert f.reason.startswith(f"{a.rule}: ")
    if a.audit == "index" and "field" in a.extra:
        fields = {f.evidence.get("field") for f in rep.failures if f.check == "index"}
        assert a.extra["field"] in fields


def test_without_memory_a_dropped_checkpoint_hides_the_late_cancel(
    attacks: dict[str, Attack],
) -> None:
    """Why the client state matters: the portal alone no longer proves the commitment."""
    a = attacks["dropped-checkpoint"]
    r = verify_portal_draw(DirectorySource(a.out), _trust(a.out), a.draw_id, now=NOW)
    assert r.verdict == "pending"
    assert r.check("commitment-timing").status == "skipped"
    assert _audit_without_memory(a).ok


def _audit_without_memory(a: Attack):
    return audit_portal(DirectorySource(a.out), _trust(a.out), now=NOW)


def test_redraw_after_a_late_cancel_fails_too(attacks: dict[str, Attack]) -> None:
    a = attacks["late-cancel-redraw"]
    r = verify_portal_draw(DirectorySource(a.out), _trust(a.out), a.extra["redraw"], now=NOW)
    assert r.check("draw-history").reason.startswith(f"{a.extra['redraw_rule']}: ")
    a = attacks["supersede-drawn"]
    r = verify_portal_draw(DirectorySource(a.out), _trust(a.out), a.extra["superseded"], now=NOW)
    assert r.check("draw-history").reason.startswith("supersede-drawn: ")


def test_freshness_max_age_and_offline_exemption(attacks: dict[str, Attack]) -> None:
    a = attacks["stale-cosignatures"]
    src = DirectorySource(a.out)
    lenient = verify_portal_draw(src, _trust(a.out), a.draw_id, now=NOW, max_age=7 * 86400)
    assert lenient.check("checkpoint-freshness").status == "pass"
    assert lenient.verdict == "pass"
    from fairdraw.portal_source import MemorySource

    files = {str(p.relative_to(a.out)): p.read_bytes() for p in a.out.rglob("*") if p.is_file()}
    offline = verify_portal_draw(MemorySource(files), _trust(a.out), a.draw_id, now=NOW)
    c = offline.check("checkpoint-freshness")
    assert (c.status, c.reason) == ("pass", "offline bundle: freshness not checked")


# -- the CLI ------------------------------------------------------------------------------


def _cli(a: Attack, tmp: Path, command: str, target: Path, *extra: str):
    (tmp / "trust.json").write_text((a.out / "trust.json").read_text())
    state = ["--state", str(tmp / "state.json")]
    audit_state = "--state" in extra
    extra = tuple(e for e in extra if e != "--state")
    if command == "assignments":
        args = ["assignments", "--source", str(target), "--brigade", "xingbin", *state]
    elif command == "verify":
        args = ["verify", str(target), *state]
    else:  # audit keeps no state unless asked (`--state` in `extra`)
        args = ["audit", str(target), *(state if audit_state else [])]
    return fairdraw(*args, "--trust", str(tmp / "trust.json"), *extra)


CLI_VERIFY = [  # one attack per point of issue 12 (each CLI run takes seconds)
    "two-results-nav-second",
    "borrowed-beacon",
    "self-supersede",
    "late-cancel-redraw",
    "wrong-draw-on-page",
    "stale-cosignatures",
    "junk-cosignature-line",
    "index-status",
    "tampered-snapshot-entry",
    "dropped-checkpoint",
]
CLI_ASSIGNMENTS = ["two-results-nav-none", "supersede-drawn", "borrowed-beacon"]


@pytest.mark.parametrize("name", CLI_VERIFY)
def test_cli_verify_and_audit_exit_1_naming_the_check(
    attacks: dict[str, Attack], name: str, tmp_path: Path
) -> None:
    a = attacks[name]
    # A client state keeps the largest checkpoint only: verify and audit each get a state
    # that saw `before` (after one run over the new view, the older one is forgotten).
    (tmp_path / "v").mkdir()
    (tmp_path / "a").mkdir()
    if a.before is not None:
        assert _cli(a, tmp_path / "v", "verify", a.before).returncode in (0, 3)
        assert (
            _cli(a, tmp_path / "a", "audit", a.before, "--state", "--grace", "86400").returncode
            == 0
        )
    if a.verify is not None:
        r = _cli(a, tmp_path / "v", "verify", a.out, "--draw", a.draw_id)
        assert r.returncode == 1, r.stdout + r.stderr
        assert f"✗ {a.verify}: {a.rule or ''}" in r.stdout
    r = _cli(a, tmp_path / "a", "audit", a.out, "--state")
    assert r.returncode == 1, r.stdout + r.stderr
    assert f"✗ {a.audit} " in r.stdout


@pytest.mark.parametrize("name", CLI_ASSIGNMENTS)
def test_cli_assignments_refuses(attacks: dict[str, Attack], name: str, tmp_path: Path) -> None:
    a = attacks[name]
    assert a.assignments
    r = _cli(a, tmp_path, "assignments", a.out, "--draw", a.draw_id)
    assert r.returncode == 1, r.stdout + r.stderr
    assert "REFUSED" in r.stderr
    assert a.verify in r.stdout + r.stderr
    assert "单位编号" not in r.stdout


def test_cli_rollback_is_refused_by_the_state(attacks: dict[str, Attack], tmp_path: Path) -> None:
    a = attacks["rollback"]
    assert a.before is not None
    assert _cli(a, tmp_path, "verify", a.before).returncode in (0, 3)
    for command in ("verify", "audit", "assignments"):
        r = _cli(a, tmp_path, command, a.out, "--state")
        assert r.returncode == 4, (command, r.stdout, r.stderr)
        assert "rolled back" in r.stderr or "rolled back" in r.stdout


# -- the honest demo-like portal ---------------------------------------------------------------


def test_honest_demo_like_portal_stays_green(tmp_path: Path) -> None:
    p = honest_demo(tmp_path / "portal", NOW)
    src, trust = DirectorySource(p.out), _trust(p.out)
    verdicts = {d: verify_portal_draw(src, trust, d, now=NOW) for d in draw_ids(src)}
    assert {d: r.verdict for d, r in verdicts.items()} == {
        "LB-2026-12": "pass",
        "LB-2026-11": "pending",  # cancelled in time
        "LB-2026-12b": "pass",  # supersedes it
        "LB-2027-01": "pending",  # waits for its round
    }
    for r in verdicts.values():
        assert not r.failed, r.to_json()
        assert r.check("draw-history").status == "pass"
        assert r.check("beacon-identity").status == "pass"
        assert r.key_fingerprint
    rep = audit_portal(src, trust, now=NOW)
    assert rep.ok, [f.to_json() for f in rep.failures]
    assert any(f.check == "index" and f.status == "pass" for f in rep.findings)
    (tmp_path / "trust.json").write_text((p.out / "trust.json").read_text())
    r = fairdraw("audit", str(p.out), "--trust", str(tmp_path / "trust.json"))
    assert r.returncode == 0, r.stdout + r.stderr
    r = fairdraw(
        "verify",
        str(p.out),
        "--trust",
        str(tmp_path / "trust.json"),
        "--state",
        str(tmp_path / "s.json"),
    )
    assert r.returncode == 3, r.stdout + r.stderr  # pending draws, nothing failed
    assert "✗" not in r.stdout
    assert "beacon chain " in r.stdout
