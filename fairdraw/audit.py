"""The auditor: replay a whole published log and check every draw in it (issue 6 item 6).

Reads a portal (docs/spec/portal-data.md) and trusts only trust.json. Findings,
each {check, status: pass|fail|pending, subject, reason, evidence}:

* `log-tiles`: the checkpoint opens with the log key; every entry bundle, every
  tile of every level and the root are recomputed (`transparency.export.fsck_log`);
* `witness-cosignatures`: the current checkpoint meets the witness policy;
* `checkpoint-consistency`: every published `log/checkpoints/<size>` (those the
  draw files name, and all of them when the source is a directory) is signed
  by the log key and consistent with the current tree (proof from tiles);
* `entry-format`: every entry is canonical JSON with a known type;
* `snapshot-roots`: every published snapshot file has the root and count of its
  `registry.snapshot` entry; every announce names a logged snapshot (same root
  and count, logged earlier);
* `announce-unique`: a second announce of a draw id without `supersedes` fails;
* `single-result`: at most one `draw.result` per draw id, naming its announce;
* `draw-status`: every announce has a result, a cancel, or a beacon round still
  in the future (`now` is a parameter; `grace` seconds allowed after the round);
* `supersedes-linked`: `supersedes` names an earlier announced draw, not itself;
* `draw:<check>`: every drawn draw passes the full checklist of `fairdraw.verify`
  (beacon, commitment co-signed in time, recompute…); a draw still waiting for
  its round has its commitment checked once round time − margin has passed;
* `index`: data/draws.json lists every announced draw (a portal cannot hide one).

The audit passes only if no finding fails; "pending" (a snapshot published only
after the inspections) does not fail it. Left out: inspection.outcome contents.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from draw_engine.canonical import canonical_json
from draw_engine.snapshot import check_root
from fairdraw.report import CHECK_ERRORS, FAIL, PASS, PENDING, CheckFailedError, evidence_of
from fairdraw.source import (
    MAX_CHECKPOINT_SIZE,
    MAX_SNAPSHOT_SIZE,
    ClientError,
    DirectorySource,
    PortalSource,
    TileReader,
    read_json,
    read_required,
)
from fairdraw.trust import Trust
from fairdraw.verify import (
    DrawInputs,
    check_consistent,
    parse_entry,
    parse_snapshot_file,
    parse_utc_seconds,
    verify_draw,
)
from transparency.checkpoint import open_checkpoint
from transparency.errors import TransparencyError
from transparency.export import FsckError, fsck_log
from witnesses.policy import check as policy_check

ENTRY_TYPES = (
    "registry.snapshot",
    "draw.announce",
    "draw.result",
    "draw.cancel",
    "inspection.outcome",
)


@dataclass
class Finding:
    check: str
    status: str
    subject: str
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out = {
            "check": self.check,
            "status": self.status,
            "subject": self.subject,
            "reason": self.reason,
        }
        if self.evidence:
            out["evidence"] = self.evidence
        return out


@dataclass
class AuditReport:
    source: str
    origin: str = ""
    tree_size: int | None = None
    findings: list[Finding] = field(default_factory=list)
    draws: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not any(f.status == FAIL for f in self.findings)

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if f.status == FAIL]

    def add(
        self,
        check: str,
        status: str,
        subject: str,
        reason: str,
        evidence: dict[str, Any] | None = None,
    ) -> None:
        self.findings.append(Finding(check, status, subject, reason, evidence or {}))

    def to_json(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "origin": self.origin,
            "tree_size": self.tree_size,
            "ok": self.ok,
            "draws": self.draws,
            "findings": [f.to_json() for f in self.findings],
        }


class _LogFiles:
    """transparency.export.TileSource over the portal's log/ directory."""

    def __init__(self, source: PortalSource) -> None:
        self.source = source

    def read(self, path: str, limit: int) -> bytes | None:
        return self.source.read("log/" + path, limit)


def _checkpoint_paths(source: PortalSource, navs: Mapping[str, Any]) -> list[str]:
    paths = {
        p
        for nav in navs.values()
        for p in nav.get("commitment_checkpoints") or []
        if isinstance(p, str)
    }
    if isinstance(source, DirectorySource):
        d = source.root / "log" / "checkpoints"
        if d.is_dir():
            paths |= {f"log/checkpoints/{f.name}" for f in d.iterdir() if f.name.isdigit()}
    return sorted(paths, key=lambda p: (len(p), p))


def audit_portal(source: PortalSource, trust: Trust, *, now: int, grace: int = 0) -> AuditReport:
    rep = AuditReport(source.description)
    note = read_required(source, "log/checkpoint", MAX_CHECKPOINT_SIZE)
    try:
        cp, _ = open_checkpoint(note, list(trust.log_vkeys), origin=trust.origin)
    except TransparencyError as e:
        rep.add("log-tiles", FAIL, "log/checkpoint", f"checkpoint does not verify: {e}")
        return rep
    rep.origin, rep.tree_size = cp.origin, cp.tree_size
    try:
        fr = fsck_log(_LogFiles(source), list(trust.log_vkeys))
        if fr.tree_size != cp.tree_size:
            raise FsckError([f"the checkpoint changed during the audit ({fr.tree_size})"])
        rep.add(
            "log-tiles",
            PASS,
            "log",
            f"{fr.entries} entries and {fr.files} files recomputed "
            f"to the root of size {cp.tree_size}",
        )
    except (FsckError, ClientError) as e:
        rep.add("log-tiles", FAIL, "log", str(e), {"problems": getattr(e, "problems", [])})
        return rep
    try:
        res = policy_check(note, trust.policy)
        rep.add(
            "witness-cosignatures",
            PASS,
            "log/checkpoint",
            f"policy {trust.policy.quorum!r} met by {', '.join(res.witnesses)}",
        )
    except CHECK_ERRORS as e:
        rep.add("witness-cosignatures", FAIL, "log/checkpoint", str(e), evidence_of(e))

    reader = TileReader(source, cp.tree_size)
    raw = reader.all_entries(cp.root_hash)
    index = read_json(source, "data/draws.json")
    listed = {d.get("draw_id") for d in index.get("draws", []) if isinstance(d, Mapping)}
    navs: dict[str, Any] = {}
    for draw_id in listed:
        if isinstance(draw_id, str):
            try:
                navs[draw_id] = read_json(source, f"data/draws/{draw_id}.json")
            except ClientError as e:
                rep.add("index", FAIL, draw_id, str(e))

    commitment_notes: list[bytes] = []
    for path in _checkpoint_paths(source, navs):
        data = source.read(path, MAX_CHECKPOINT_SIZE)
        if data is None:
            rep.add("checkpoint-consistency", FAIL, path, "named by a draw file but missing")
            continue
        try:
            old, _ = open_checkpoint(data, list(trust.log_vkeys), origin=trust.origin)
            check_consistent(reader, cp.root_hash, old)
            commitment_notes.append(data)
            rep.add(
                "checkpoint-consistency",
                PASS,
                path,
                f"size {old.tree_size} is a prefix of size {cp.tree_size}",
            )
        except CHECK_ERRORS as e:
            rep.add("checkpoint-consistency", FAIL, path, str(e), evidence_of(e))

    entries: dict[int, dict[str, Any]] = {}
    for i, data in enumerate(raw):
        try:
            e = parse_entry(data)
            if e["type"] not in ENTRY_TYPES:
                raise CheckFailedError(f"unknown entry type {e['type']!r}")
            entries[i] = e
        except CheckFailedError as err:
            rep.add("entry-format", FAIL, f"entry {i}", str(err))

    snapshots: dict[str, tuple[int, dict[str, Any]]] = {}
    for i, e in entries.items():
        if e["type"] != "registry.snapshot":
            continue
        name = e.get("snapshot")
        snapshots[name] = (i, e)
        data = source.read(f"data/snapshots/{name}.jsonl", MAX_SNAPSHOT_SIZE)
        if data is None:
            rep.add(
                "snapshot-roots",
                PENDING,
                f"snapshot {name}",
                f"records file not published (publish: {e.get('publish')})",
            )
            continue
        try:
            recs = parse_snapshot_file(data)
            check_root(
                e.get("kind", "?"),
                root=e["root"],
                count=e["count"],
                lines=[canonical_json(r) for r in recs],
            )
            rep.add(
                "snapshot-roots", PASS, f"snapshot {name}", f"{len(recs)} records, root matches"
            )
        except CHECK_ERRORS as err:
            rep.add("snapshot-roots", FAIL, f"snapshot {name}", str(err), evidence_of(err))

    announces: dict[str, list[int]] = {}
    results: dict[str, list[int]] = {}
    cancels: dict[str, list[int]] = {}
    for i, e in entries.items():
        target = {"draw.announce": announces, "draw.result": results, "draw.cancel": cancels}.get(
            e["type"]
        )
        if target is not None:
            target.setdefault(str(e.get("draw_id")), []).append(i)

    for draw_id, idxs in announces.items():
        first = idxs[0]
        for later in idxs[1:]:
            if entries[later].get("supersedes") is None:
                rep.add(
                    "announce-unique",
                    FAIL,
                    f"draw {draw_id}",
                    f"entry {later} announces draw {draw_id} again (first at {first}) "
                    "without 'supersedes'",
                    {"indices": idxs},
                )
        for ai in idxs:
            a = entries[ai]
            subject = f"draw {draw_id} (entry {ai})"
            for kind in ("units", "inspectors", "experts"):
                ref = a.get(kind)
                if not isinstance(ref, Mapping):
                    continue
                logged = snapshots.get(ref.get("snapshot"))
                if (
                    logged is None
                    or logged[0] > ai
                    or logged[1].get("root") != ref.get("root")
                    or logged[1].get("count") != ref.get("count")
                ):
                    rep.add(
                        "snapshot-roots",
                        FAIL,
                        subject,
                        f"{kind} snapshot "
                        f"{ref.get('snapshot')} is not a snapshot logged before the announce "
                        "with this root and count",
                    )
            sup = a.get("supersedes")
            if sup is not None:
                earlier = [j for j in announces.get(sup, []) if j < ai]
                if not earlier or (sup == draw_id and earlier == [ai]):
                    rep.add(
                        "supersedes-linked",
                        FAIL,
                        subject,
                        f"supersedes {sup!r}, which is not an earlier announced draw",
                    )
                else:
                    rep.add(
                        "supersedes-linked", PASS, subject, f"supersedes {sup} (entry {earlier[0]})"
                    )
        for ri in results.get(draw_id, []):
            if entries[ri].get("announce_index") not in idxs or ri < first:
                rep.add(
                    "single-result",
                    FAIL,
                    f"draw {draw_id}",
                    f"result entry {ri} names announce {entries[ri].get('announce_index')}, "
                    f"not an earlier announce of this draw ({idxs})",
                )
        n_results = len(results.get(draw_id, []))
        if n_results > 1:
            rep.add(
                "single-result",
                FAIL,
                f"draw {draw_id}",
                f"{n_results} results (entries {results[draw_id]})",
                {"indices": results[draw_id]},
            )
        if draw_id not in listed:
            rep.add(
                "index",
                FAIL,
                f"draw {draw_id}",
                "announced in the log but missing from data/draws.json",
            )

        ai = idxs[-1]
        a = entries[ai]
        try:
            rt = parse_utc_seconds(a["beacon"]["round_time"])
        except (CheckFailedError, KeyError, TypeError) as err:
            rep.add("draw-status", FAIL, f"draw {draw_id}", f"announce has no valid beacon: {err}")
            continue
        snaps = {}
        for kind in ("units", "inspectors", "experts"):
            ref = a.get(kind)
            if isinstance(ref, Mapping):
                snaps[kind] = source.read(
                    f"data/snapshots/{ref.get('snapshot')}.jsonl", MAX_SNAPSHOT_SIZE
                )
        own_results = [
            r for r in results.get(draw_id, []) if entries[r].get("announce_index") == ai
        ]
        drawn = bool(own_results)
        if not drawn and not cancels.get(draw_id):
            if rt + grace < now:
                rep.add(
                    "draw-status",
                    FAIL,
                    f"draw {draw_id}",
                    f"round {a['beacon'].get('round')} was due at {a['beacon']['round_time']} "
                    "but the log holds neither a result nor a cancel",
                    {"round_time": a["beacon"]["round_time"], "now": now},
                )
                rep.draws[draw_id] = FAIL
                continue
            rep.add(
                "draw-status",
                PENDING,
                f"draw {draw_id}",
                f"waiting for round {a['beacon'].get('round')} at {a['beacon']['round_time']}",
            )
        elif not drawn:
            rep.add(
                "draw-status", PASS, f"draw {draw_id}", f"cancelled (entry {cancels[draw_id][0]})"
            )
            rep.draws[draw_id] = "cancelled"
            continue
        else:
            rep.add("draw-status", PASS, f"draw {draw_id}", f"drawn (entry {own_results[0]})")
        inputs = DrawInputs(
            checkpoint=note,
            reader_for=lambda size: reader if size == cp.tree_size else TileReader(source, size),
            announce_index=ai,
            result_index=own_results[0] if drawn else None,
            result_indices=results.get(draw_id, []),
            commitment_checkpoints=commitment_notes,
            snapshots=snaps,
            draw_id=draw_id,
        )
        dr = verify_draw(trust, inputs)
        if not drawn:
            c = dr.check("commitment-timing")
            if now >= rt - trust.margin_seconds and c.status == FAIL:
                rep.add("draw:commitment-timing", FAIL, f"draw {draw_id}", c.reason, c.evidence)
            rep.draws[draw_id] = PENDING
            continue
        rep.draws[draw_id] = dr.verdict
        for c in dr.checks:
            if c.status == FAIL:
                rep.add(f"draw:{c.name}", FAIL, f"draw {draw_id}", c.reason, c.evidence)
        if dr.verdict == PASS:
            rep.add(
                "draw:verify",
                PASS,
                f"draw {draw_id}",
                "every check passes (recomputed, commitment cosigned in time)",
            )
        elif dr.verdict == PENDING:
            skipped = [c.name for c in dr.checks if c.status == "skipped"]
            rep.add("draw:verify", PENDING, f"draw {draw_id}", f"not checkable yet: {skipped}")
    for draw_id in sorted(d for d in listed if isinstance(d, str) and d not in announces):
        rep.add("index", FAIL, f"draw {draw_id}", "listed in data/draws.json but never announced")
    return rep
