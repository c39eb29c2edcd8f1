"""The attacks of issue 12, as portals an operator could publish (shared by the Python and
the browser tests).

The adversary is the operator: it writes its own log, portal files and
trust.json. So every tampered LOG entry here is appended through the real
`transparency.Sequencer` and co-signed by the fixture's witnesses (the log is
validly signed and co-signed: only the rules of docs/spec/verification.md can
catch it), and every tampered NAVIGATION file (data/draws.json,
data/draws/<id>.json, data/log.json) is edited after `PortalLog.write`.

`build_attack(name, out, now)` returns an `Attack`: the portal directory (its
trust.json is the one to pin), the draw page that must turn red, and what
must fail where:

* `verify`: the check of `fairdraw verify` / the browser's `verifyDraw` that
  fails for `draw_id` (None: the attack is not visible to a one-draw check,
  see `audit`/`state`);
* `rule`: the rule of docs/spec/verification.md its reason starts with;
* `audit`: the finding of `fairdraw audit` that fails;
* `assignments`: whether `fairdraw assignments --draw draw_id` must refuse;
* `before`: for attacks only a client with memory can see (rollback, a
  dropped checkpoint), the portal the client verified first (remembering its
  checkpoint in its state), then `out` is served. `audit == "state"` (and
  `verify is None`): the client state refuses the view itself (a rollback:
  CLI exit 4, the browser turns red on the memory check). For a dropped
  checkpoint the remembered one is evidence again: `verify`/`rule` name what
  fails once it counts (without memory the draw looks never committed).

`honest_demo(out, now)` is the untampered, demo-like portal every verifier
must pass: a drawn draw, a draw cancelled in time and re-drawn under a new id
that supersedes it, and a committed draw waiting for its round.
`ATTACKS` lists every attack name with its issue-12 point.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from draw_engine.beacon import QUICKNET, round_time
from draw_engine.local_beacon import LocalBeaconKey
from draw_engine.snapshot import format_records, make_snapshot, snapshot_entry
from tests.fairdraw.portal_fixture import PortalLog
from transparency.note import parse_note
from transparency.signature_line import NoteSignature

DRAW = "LB-2026-12"
OTHER = "LB-2026-12b"
DAY = 86400


@dataclass
class Attack:
    name: str
    point: int
    what: str
    portal: PortalLog
    draw_id: str
    verify: str | None
    rule: str | None
    audit: str | None
    assignments: bool = False
    before: Path | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def out(self) -> Path:
        return self.portal.out

    @property
    def trust(self) -> dict[str, Any]:
        return json.loads((self.out / "trust.json").read_text())


# -- portal file edits (navigation only) --------------------------------------------------


def edit_json(path: Path, change: Callable[[Any], Any]) -> None:
    value = json.loads(path.read_text())
    new = change(value)
    path.write_text(json.dumps(value if new is None else new, ensure_ascii=False))


def edit_index_row(out: Path, draw_id: str, **fields: Any) -> None:
    def change(index: dict[str, Any]) -> None:
        row = next(d for d in index["draws"] if d["draw_id"] == draw_id)
        row.update(fields)

    edit_json(out / "data" / "draws.json", change)


def edit_nav(out: Path, draw_id: str, **fields: Any) -> None:
    edit_json(out / "data" / "draws" / f"{draw_id}.json", lambda nav: nav.update(fields))


def write_trust(p: PortalLog, trust: dict[str, Any]) -> None:
    (p.out / "trust.json").write_text(json.dumps(trust, ensure_ascii=False, indent=1))


# -- result tampering (mirrors tests/fairdraw/test_verify.py) --------------------------


def swap_member(entry: dict[str, Any]) -> None:
    sel = next(s for s in entry["selected"] if s.get("team") and s["team"]["members"])
    m = sel["team"]["members"][0]
    m["person_id"] = "I002" if m["person_id"] != "I002" else "I001"


# -- building blocks ------------------------------------------------------------------


def _base(out: Path, now: int, **kw: Any) -> PortalLog:
    p = PortalLog(out, now, **kw)
    p.add_snapshots()
    return p


def _rt(p: PortalLog, rnd: int) -> int:
    return round_time(p.chain, rnd)


def drawn(p: PortalLog, draw_id: str, at: int, **kw: Any) -> tuple[int, int]:
    """Announce `draw_id` for the round at time `at`, commit it a day before, draw it."""
    rnd = p.round_at(at)
    ai = p.announce(draw_id, rnd, **kw)
    p.cosign(_rt(p, rnd) - DAY)
    ri = p.result(ai)
    return ai, ri


def honest_demo(out: Path, now: int) -> PortalLog:
    """The demo-like portal: every verifier passes it (the pending draw is "pending")."""
    p = _base(out, now)
    drawn(p, DRAW, now - 7200)
    # a draw cancelled in time, re-drawn under a new id that supersedes it
    rnd = p.round_at(now - 3600)
    old = p.announce("LB-2026-11", rnd)
    p.cosign(_rt(p, rnd) - DAY)
    p.cancel(old, "registry error found before the draw")
    p.cosign(_rt(p, rnd) - DAY + 600)
    new = p.announce(OTHER, rnd + 200, supersedes="LB-2026-11")
    p.cosign(_rt(p, rnd) - DAY + 1200)
    p.result(new)
    # a committed draw waiting for its round (tomorrow)
    p.announce("LB-2027-01", p.round_at(now + DAY))
    p.cosign(now - 60)
    p.write()
    return p


# -- point 1: a draw with two results ---------------------------------------------------


def two_results_nav_second(out: Path, now: int) -> Attack:
    p = _base(out, now)
    rnd = p.round_at(now - 3600)
    ai = p.announce(DRAW, rnd)
    p.cosign(_rt(p, rnd) - DAY)
    p.result(ai, tamper=swap_member)
    second = p.result(ai)
    p.cosign(_rt(p, rnd) + 30)
    p.write()
    edit_nav(p.out, DRAW, result_index=second, result_indices=[second])
    edit_index_row(p.out, DRAW, result_index=second)
    return Attack(
        "two-results-nav-second",
        1,
        "two draw.result entries; the navigation lists only the second",
        p,
        DRAW,
        "single-result",
        "second-result",
        "draw:single-result",
        assignments=True,
    )


def two_results_nav_none(out: Path, now: int) -> Attack:
    p = _base(out, now)
    rnd = p.round_at(now - 3600)
    ai = p.announce(DRAW, rnd)
    p.cosign(_rt(p, rnd) - DAY)
    p.result(ai)
    p.result(ai, tamper=swap_member)
    p.cosign(_rt(p, rnd) + 30)
    p.write()
    edit_nav(p.out, DRAW, result_index=None, result_indices=[])
    edit_index_row(p.out, DRAW, result_index=None, status="announced")
    return Attack(
        "two-results-nav-none",
        1,
        "two draw.result entries; the navigation lists none (the page would say pending)",
        p,
        DRAW,
        "single-result",
        "second-result",
        "draw:single-result",
        assignments=True,
    )


# -- point 2: a borrowed beacon ---------------------------------------------------------


def borrowed_beacon(out: Path, now: int) -> Attack:
    """The operator's own BLS key filed under drand quicknet's chain hash, not marked local."""
    key = LocalBeaconKey(
        (987654321).to_bytes(32, "big"),
        genesis_time=QUICKNET.genesis_time,
        period=QUICKNET.period,
    )
    p = PortalLog(out, now, beacon_key=key)
    p.add_snapshots()
    qn = QUICKNET.chain_hash.hex()
    rnd = p.round_at(now - 3600)
    ai = p.announce(DRAW, rnd, beacon={"chain_hash": qn, "local": False})
    p.cosign(_rt(p, rnd) - DAY)
    p.result(ai)
    p.cosign(_rt(p, rnd) + 30)
    p.write()
    trust = p.trust()
    own = trust["beacons"].pop(p.chain.chain_hash.hex())
    trust["beacons"][qn] = {**own, "chain_hash": qn, "local": False}
    write_trust(p, trust)
    edit_index_row(p.out, DRAW, local=False)
    return Attack(
        "borrowed-beacon",
        2,
        "trust.json files the operator's BLS key under drand quicknet's chain hash",
        p,
        DRAW,
        "beacon-identity",
        None,
        "draw:beacon-identity",
        assignments=True,
    )


# -- point 3: audit blind spots ---------------------------------------------------------


def self_supersede(out: Path, now: int) -> Attack:
    p = _base(out, now)
    rnd = p.round_at(now + DAY)
    p.announce(DRAW, rnd, supersedes=DRAW)
    p.cosign(now - 60)
    p.write()
    return Attack(
        "self-supersede",
        3,
        "an announce whose supersedes is its own id",
        p,
        DRAW,
        "draw-history",
        "self-supersede",
        "draw:draw-history",
    )


def reannounce_same_id(out: Path, now: int) -> Attack:
    """An abandoned draw re-announced under its own id with supersedes = itself."""
    p = _base(out, now)
    rnd = p.round_at(now - 3600)
    first = p.announce(DRAW, rnd)
    p.cosign(_rt(p, rnd) - DAY)
    p.cancel(first)
    p.cosign(_rt(p, rnd) - DAY + 600)
    again = p.announce(DRAW, rnd + 100, supersedes=DRAW)
    p.cosign(_rt(p, rnd) - DAY + 1200)
    p.result(again)
    p.cosign(_rt(p, rnd) + 400)
    p.write()
    return Attack(
        "reannounce-same-id",
        3,
        "a draw id announced twice (the second supersedes itself)",
        p,
        DRAW,
        "announce-inclusion",
        "announce-twice",
        "draw:announce-inclusion",
        assignments=True,
    )


def cancel_of_other_announce(out: Path, now: int) -> Attack:
    """A cancel naming draw B but pointing at draw A's announce: A is cancelled unseen."""
    p = _base(out, now)
    rnd = p.round_at(now + DAY)
    a = p.announce(DRAW, rnd)
    p.announce(OTHER, rnd + 100)
    p.cosign(now - 600)
    p.append(
        {
            "type": "draw.cancel",
            "v": 1,
            "draw_id": OTHER,
            "announce_index": a,
            "reason": "plan withdrawn",
        }
    )
    p.cosign(now - 60)
    p.write()
    return Attack(
        "cancel-of-other-announce",
        3,
        "a draw.cancel whose draw_id is another draw but whose announce_index is this one's",
        p,
        DRAW,
        "single-result",
        "result-mismatch",
        "draw:single-result",
    )


def round_time_2030(out: Path, now: int) -> Attack:
    p = _base(out, now)
    rnd = p.round_at(now - 7200)
    p.announce(DRAW, rnd, beacon={"round_time": "2030-01-01T00:00:00Z"})
    p.cosign(now - 60)
    p.write()
    return Attack(
        "round-time-2030",
        3,
        "an announce of a round two hours past whose round_time claims 2030",
        p,
        DRAW,
        "beacon-identity",
        None,
        "draw:beacon-identity",
    )


# -- point 4: re-roll after the randomness is public ------------------------------------


def late_cancel_redraw(out: Path, now: int) -> Attack:
    p = _base(out, now)
    rnd = p.round_at(now - 7200)
    rt = _rt(p, rnd)
    old = p.announce(DRAW, rnd)
    p.cosign(rt - DAY)
    p.cancel(old, "beacon unavailable")
    p.cosign(rt + 600)
    new = p.announce(OTHER, p.round_at(now - 3600), supersedes=DRAW)
    p.cosign(rt + 1200)
    p.result(new)
    p.cosign(now - 60)
    p.write()
    return Attack(
        "late-cancel-redraw",
        4,
        "a committed draw cancelled after its round, re-drawn by a new draw that supersedes it",
        p,
        DRAW,
        "draw-history",
        "late-cancel",
        "draw:draw-history",
        extra={"redraw": OTHER, "redraw_rule": "supersede-uncancelled"},
    )


def supersede_drawn(out: Path, now: int) -> Attack:
    p = _base(out, now)
    drawn(p, DRAW, now - 7200)
    new = p.announce(OTHER, p.round_at(now - 3600), supersedes=DRAW)
    p.cosign(_rt(p, p.round_at(now - 3600)) - DAY)
    p.result(new)
    p.cosign(now - 60)
    p.write()
    return Attack(
        "supersede-drawn",
        4,
        "a new draw supersedes a draw that already has a result",
        p,
        OTHER,
        "draw-history",
        "supersede-drawn",
        "draw:draw-history",
        assignments=True,
        extra={"superseded": DRAW},
    )


# -- point 5: the wrong draw on the right page ------------------------------------------


def wrong_draw_on_page(out: Path, now: int) -> Attack:
    """A page for draw X whose navigation borrows draw D's announce and result."""
    p = _base(out, now)
    drawn(p, DRAW, now - 3600)
    p.cosign(now - 60)
    p.write()
    fake = "LB-2026-99"
    nav = json.loads((p.out / "data" / "draws" / f"{DRAW}.json").read_text())
    nav["draw_id"] = fake
    (p.out / "data" / "draws" / f"{fake}.json").write_text(json.dumps(nav))

    def add_row(index: dict[str, Any]) -> None:
        row = dict(next(d for d in index["draws"] if d["draw_id"] == DRAW), draw_id=fake)
        index["draws"].append(row)

    edit_json(p.out / "data" / "draws.json", add_row)
    return Attack(
        "wrong-draw-on-page",
        5,
        "draw X's page and navigation point at draw D's entries",
        p,
        fake,
        "announce-inclusion",
        "announce-missing",
        "index",
        assignments=True,
    )


# -- point 6: no freshness, no memory ---------------------------------------------------


def stale_cosignatures(out: Path, now: int) -> Attack:
    p = _base(out, now)
    rnd = p.round_at(now - 3 * DAY)
    ai = p.announce(DRAW, rnd)
    p.cosign(_rt(p, rnd) - DAY)
    p.result(ai)
    p.cosign(_rt(p, rnd) + 30)
    p.write()
    return Attack(
        "stale-cosignatures",
        6,
        "the newest quorum of co-signatures on the current checkpoint is 3 days old",
        p,
        DRAW,
        "checkpoint-freshness",
        None,
        "checkpoint-freshness",
        assignments=True,
    )


def rollback(out: Path, now: int) -> Attack:
    """The client saw a larger checkpoint; the portal now serves an older, validly signed view."""
    p = _base(out, now)
    drawn(p, DRAW, now - 3600)
    p.cosign(now - 120)
    p.write()
    older = out.parent / f"{out.name}-older-view"
    if older.exists():
        shutil.rmtree(older)
    shutil.copytree(p.out, older)
    p.announce("LB-2027-01", p.round_at(now + DAY))
    p.cosign(now - 60)
    p.write()
    newer = out.parent / f"{out.name}-seen-first"
    if newer.exists():
        shutil.rmtree(newer)
    shutil.copytree(p.out, newer)
    shutil.rmtree(p.out)
    shutil.copytree(older, p.out)
    shutil.rmtree(older)
    return Attack(
        "rollback",
        6,
        "a validly co-signed but older view, served after a newer one",
        p,
        DRAW,
        None,
        None,
        "state",
        assignments=True,
        before=newer,
    )


# -- point 7: Python/browser disagreements reaching a page ------------------------------


def junk_cosignature_line(out: Path, now: int) -> Attack:
    """A junk line under a policy witness's name and key id on the current checkpoint."""
    p = _base(out, now)
    drawn(p, DRAW, now - 3600)
    note = p.cosign(now - 60)
    size = max(p.checkpoints)
    w = p.witnesses[0]
    line = next(s for s in parse_note(note).signatures if s.name == w.name)
    raw = bytearray(line.signature)
    raw[-1] ^= 1
    junk = NoteSignature(line.name, line.key_id, bytes(raw)).format_line().encode()
    p.checkpoints[size] = note + junk
    p.write()
    return Attack(
        "junk-cosignature-line",
        7,
        "a second, bad cosignature line under a policy witness's name and key id",
        p,
        DRAW,
        "witness-cosignatures",
        None,
        "witness-cosignatures",
        assignments=True,
    )


# -- point 8: unverified navigation ------------------------------------------------------


def _nav_attack(name: str, what: str, **row: Any) -> Callable[[Path, int], Attack]:
    def build(out: Path, now: int) -> Attack:
        p = _base(out, now)
        drawn(p, DRAW, now - 3600)
        p.cosign(now - 60)
        p.write()
        edit_index_row(p.out, DRAW, **row)
        return Attack(name, 8, what, p, DRAW, "index", None, "index",
                      extra={"field": next(iter(row))})

    return build


def tampered_snapshot_entry(out: Path, now: int) -> Attack:
    """The log's registry.snapshot entry of the draw's units names another root."""
    p = PortalLog(out, now)
    for kind, recs in (("units", p.unit_records), ("inspectors", p.inspector_records)):
        snap = make_snapshot(f"{kind}-2026-11", kind, recs)
        entry = snapshot_entry(snap, previous=None, publish="at_announce")
        if kind == "units":
            entry["root"] = "0" * 64
        p.append(entry)
        p.snapshots[kind] = snap
        p.snapshot_files[snap.name] = format_records(snap)
        p.publish_modes[snap.name] = "at_announce"
    drawn(p, DRAW, now - 3600)
    p.cosign(now - 60)
    p.write()
    return Attack(
        "tampered-snapshot-entry",
        8,
        "the registry.snapshot entry of the draw's units names another root than its announce",
        p,
        DRAW,
        "snapshot-roots",
        None,
        "snapshot-roots",
        assignments=True,
    )


def dropped_checkpoint(out: Path, now: int) -> Attack:
    """The commitment checkpoint of a draw cancelled after its round is hidden: without it the
    draw looks never committed, so its cancel looks allowed. A client that saw it first
    (state file) catches the drop."""
    p = _base(out, now)
    rnd = p.round_at(now - 1800)
    rt = _rt(p, rnd)
    ai = p.announce(DRAW, rnd)
    p.cosign(rt - 3600)  # committed an hour before its round (and fresh for the first view)
    committed = max(p.checkpoints)
    p.write()
    seen = out.parent / f"{out.name}-seen-first"
    if seen.exists():
        shutil.rmtree(seen)
    shutil.copytree(p.out, seen)
    p.cancel(ai, "beacon unavailable")
    p.cosign(now - 60)
    del p.checkpoints[committed]
    p.write()
    return Attack(
        "dropped-checkpoint",
        8,
        "a checkpoint listed before (the draw's commitment) is dropped from data/log.json",
        p,
        DRAW,
        "draw-history",
        "late-cancel",
        "draw:draw-history",
        before=seen,
        extra={"checkpoint": f"log/checkpoints/{committed}"},
    )


ATTACKS: dict[str, tuple[int, Callable[[Path, int], Attack]]] = {
    "two-results-nav-second": (1, two_results_nav_second),
    "two-results-nav-none": (1, two_results_nav_none),
    "borrowed-beacon": (2, borrowed_beacon),
    "self-supersede": (3, self_supersede),
    "reannounce-same-id": (3, reannounce_same_id),
    "cancel-of-other-announce": (3, cancel_of_other_announce),
    "round-time-2030": (3, round_time_2030),
    "late-cancel-redraw": (4, late_cancel_redraw),
    "supersede-drawn": (4, supersede_drawn),
    "wrong-draw-on-page": (5, wrong_draw_on_page),
    "stale-cosignatures": (6, stale_cosignatures),
    "rollback": (6, rollback),
    "junk-cosignature-line": (7, junk_cosignature_line),
    "index-round": (8, _nav_attack("index-round", "data/draws.json changes the round", round=1)),
    "index-status": (
        8,
        _nav_attack("index-status", "data/draws.json says cancelled", status="cancelled"),
    ),
    "index-title": (
        8,
        _nav_attack("index-title", "data/draws.json changes the title", title="another draw"),
    ),
    "index-result-index": (
        8,
        _nav_attack(
            "index-result-index", "data/draws.json points at another result index", result_index=0
        ),
    ),
    "tampered-snapshot-entry": (8, tampered_snapshot_entry),
    "dropped-checkpoint": (8, dropped_checkpoint),
}


def build_attack(name: str, out: Path, now: int) -> Attack:
    return ATTACKS[name][1](out, now)
