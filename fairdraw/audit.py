"""The auditor: replay a whole published log and check every draw in it.

Reads a portal (docs/spec/portal-data.md) and trusts only trust.json and the
entries proven against the co-signed checkpoint (docs/spec/verification.md).
Findings, each {check, status: pass|fail|pending, subject, reason, evidence},
one function per kind below:

* `log-tiles`: the checkpoint opens with the log key; every entry bundle, every
  tile of every level and the root are recomputed (`transparency.export.fsck_log`);
* `witness-cosignatures`: the current checkpoint meets the witness policy;
* `checkpoint-freshness`: its newest quorum of co-signatures is at most
  `max_age` seconds old;
* `checkpoint-consistency`: every published `log/checkpoints/<size>` (listed by
  data/log.json and the draw files, and all of them when the source is a
  directory) and every checkpoint the client state remembers exists, is
  signed by the log key and is consistent with the current tree (proof from tiles);
* `entry-format`: every entry is canonical JSON with a known type;
* `snapshot-roots`: every published snapshot file has the root and count of its
  `registry.snapshot` entry;
* `draw:<check>`: every draw id the log names (announce, result or cancel) and
  every id data/draws.json lists passes the draw checklist of `fairdraw.verify`
  (the same history rules, one announce, attached results, beacon identity,
  commitment, recompute…), given every verified published checkpoint;
* `draw-status`: every announce has a result, a cancel, or a beacon round still
  in the future (`now` is a parameter; `grace` seconds allowed after the round);
* `index`: every field of data/draws.json and of data/draws/<id>.json
  (status, round, round_time, title, result/cancel indices, superseded_by,
  supersedes…) equals what the proven entries say; every announced draw is
  listed and every listed one announced. Navigation is a hint; a lying hint fails.

With a client state (`fairdraw audit --state`: the CLI refuses a rollback or
fork first, fairdraw.clientstate), the checkpoint the client verified before
joins the published ones as evidence: a checkpoint the portal stops listing
(say, the one that committed a draw later cancelled too late) still counts.
* `snapshot-diff`: every logged diff (counts, and ids when logged) equals the diff
  recomputed from the two published records files (pending while one is not published);
* `registry-gap` (draw_engine.registry_gaps, docs/spec/registry-diff.md): no unit left
  the pool (removed or retired) in a drawn draw's units snapshot or the one before it and
  came back (added or reactivated) in one of the two snapshots after its result; big
  diffs are read from data/snapshots/<name>.diff.json, checked against `ids_sha256`;
* `return-visit-pool`: every draw of kind `return_visit` draws from the pool its
  period implies: its units snapshot equals (root and count) the units with an
  inspected outcome dated in the period among the proven `inspection.outcome`
  entries logged before that snapshot, each with its record from its draw's
  published units snapshot (draw_engine.plan `return_visit_records`, the code the
  service builds the pool with); pending while a snapshot it needs is unpublished;
* `plan-order`, `plan-share`, `plan-coverage` (with `plan=`, a yearly plan's rules,
  draw_engine.yearplan `coverage_findings`, docs/yearplan.md §Audit): the order draws
  name these rules, each batch lists exactly its slice of every full-coverage class, the
  `min_share` class's share holds in every batch draw, and a finished batch's units have
  an inspection outcome (a class that falls behind fails).

The audit passes only if no finding fails; "pending" does not fail it.
Left out: inspection.outcome contents beyond the plan's coverage.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from draw_engine.canonical import canonical_json, is_identifier
from draw_engine.entries import (
    SNAPSHOT,
    SnapshotDiffRef,
    SnapshotRef,
    announce_round_time,
    entry_type,
)
from draw_engine.history import DrawHistory, draw_histories
from draw_engine.plan import INSPECTED_RESULTS, return_visit_records
from draw_engine.registry_diff import diff_lines, logged_diff_differences
from draw_engine.registry_gaps import registry_gap_findings
from draw_engine.snapshot import check_root, make_snapshot
from draw_engine.yearplan import Rules, coverage_findings
from fairdraw.navigation import NAV_FIELDS, ROW_FIELDS, index_differences, proven_row
from fairdraw.portal_inputs import (
    directory_checkpoints,
    listed_checkpoints,
    portal_draw_inputs,
    read_optional_json,
)
from fairdraw.portal_source import (
    MAX_CHECKPOINT_SIZE,
    MAX_SNAPSHOT_SIZE,
    ClientError,
    PortalSource,
    TileReader,
    read_json,
    read_required,
)
from fairdraw.report import CHECK_ERRORS, FAIL, PASS, PENDING, CheckFailedError, evidence_of
from fairdraw.trust import Trust, open_log_checkpoint
from fairdraw.verify import (
    ProvenLog,
    check_consistent,
    check_freshness,
    max_age_of,
    parse_snapshot_file,
    prove_log,
    verify_draw,
)
from transparency.checkpoint import Checkpoint, open_checkpoint
from transparency.errors import TransparencyError
from transparency.export import FsckError, fsck_log
from witnesses.policy import check as policy_check

LOG_WIDE_CHECKS = ("checkpoint-signature", "witness-cosignatures", "checkpoint-freshness")
"""Draw checks about the log as a whole: reported once, not per draw."""


@dataclass
class Finding:
    check: str
    status: str
    subject: str
    reason: str
    evidence: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
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


@dataclass
class _Audit:
    """One audit run: the verified checkpoint, the proven log and the navigation read."""

    source: PortalSource
    trust: Trust
    now: int
    grace: int
    max_age: int | None
    remembered: Sequence[bytes]
    rep: AuditReport
    note: bytes = b""
    cp: Checkpoint | None = None
    reader: TileReader | None = None
    log: ProvenLog | None = None
    histories: dict[str, DrawHistory] = field(default_factory=dict)
    index: Any = None
    navs: dict[str, Any] = field(default_factory=dict)
    notes: list[bytes] = field(default_factory=list)
    cache: dict[Any, Any] = field(default_factory=dict)

    def add(self, *args: Any) -> None:
        self.rep.add(*args)


# -- findings, one function per kind ----------------------------------------------------


def audit_log_tiles(a: _Audit) -> bool:
    """The checkpoint opens and fsck recomputes every tile and bundle; False stops the audit."""
    a.note = read_required(a.source, "log/checkpoint", MAX_CHECKPOINT_SIZE)
    try:
        cp, _ = open_log_checkpoint(a.note, a.trust)
    except TransparencyError as e:
        a.add("log-tiles", FAIL, "log/checkpoint", f"checkpoint does not verify: {e}")
        return False
    a.cp, a.rep.origin, a.rep.tree_size = cp, cp.origin, cp.tree_size
    try:
        fr = fsck_log(_LogFiles(a.source), list(a.trust.log_vkeys))
        if fr.tree_size != cp.tree_size:
            raise FsckError([f"the checkpoint changed during the audit ({fr.tree_size})"])
    except (FsckError, ClientError) as e:
        a.add("log-tiles", FAIL, "log", str(e), {"problems": getattr(e, "problems", [])})
        return False
    a.reader = TileReader(a.source, cp.tree_size)
    a.log = prove_log(a.reader, cp.root_hash)
    a.cache[("proven", cp.tree_size, cp.root_hash)] = a.log
    a.add(
        "log-tiles",
        PASS,
        "log",
        f"{fr.entries} entries and {fr.files} files recomputed to the root of size {cp.tree_size}",
    )
    return True


def audit_cosignatures(a: _Audit) -> None:
    try:
        res = policy_check(a.note, a.trust.policy)
    except CHECK_ERRORS as e:
        a.add("witness-cosignatures", FAIL, "log/checkpoint", str(e), evidence_of(e))
        return
    a.add(
        "witness-cosignatures",
        PASS,
        "log/checkpoint",
        f"policy {a.trust.policy.quorum!r} met by {', '.join(res.witnesses) or 'nobody'}",
    )
    try:
        counted = {c.witness: c.timestamp for c in res.counted}
        max_age = max_age_of(a.trust, a.max_age)
        reason = check_freshness(counted, a.trust.policy, now=a.now, max_age=max_age)
        a.add("checkpoint-freshness", PASS, "log/checkpoint", reason)
    except CHECK_ERRORS as e:
        a.add("checkpoint-freshness", FAIL, "log/checkpoint", str(e), evidence_of(e))


def _read_navigation(a: _Audit) -> None:
    a.index = read_json(a.source, "data/draws.json")
    rows = a.index.get("draws") if isinstance(a.index, Mapping) else None
    if not isinstance(rows, list):
        a.add("index", FAIL, "data/draws.json", "has no 'draws' list")
        a.index = {"draws": []}
        return
    for row in rows:
        d = row.get("draw_id") if isinstance(row, Mapping) else None
        if not isinstance(d, str):
            a.add("index", FAIL, "data/draws.json", f"a row without a draw id: {row!r}")
            continue
        try:
            a.navs[d] = read_optional_json(a.source, f"data/draws/{d}.json")
        except ClientError as e:
            a.add("index", FAIL, f"data/draws/{d}.json", str(e))


def audit_checkpoints(a: _Audit) -> None:
    """Every published checkpoint is there, signed and consistent with the current tree."""
    assert a.cp is not None
    assert a.reader is not None
    log_json = read_optional_json(a.source, "data/log.json")
    listed = listed_checkpoints(log_json, a.navs.values())
    found: list[tuple[str, bytes | None]] = [
        (path, a.source.read(path, MAX_CHECKPOINT_SIZE))
        for path in dict.fromkeys(listed + directory_checkpoints(a.source))
    ]
    found += [("checkpoint remembered by the client state", n) for n in a.remembered]
    for path, data in found:
        if data is None:
            a.add("checkpoint-consistency", FAIL, path, "listed by the portal but missing")
            continue
        try:
            old, _ = open_checkpoint(data, list(a.trust.log_vkeys), origin=a.trust.origin)
            check_consistent(a.reader, a.cp.root_hash, old)
        except CHECK_ERRORS as e:
            a.add("checkpoint-consistency", FAIL, path, str(e), evidence_of(e))
            continue
        a.notes.append(data)
        a.add(
            "checkpoint-consistency",
            PASS,
            path,
            f"size {old.tree_size} is a prefix of size {a.cp.tree_size}",
        )
    if isinstance(log_json, Mapping) and log_json.get("log_size") != a.cp.tree_size:
        a.add(
            "index",
            FAIL,
            "data/log.json",
            f"log_size is {log_json.get('log_size')!r}, the checkpoint's tree size is "
            f"{a.cp.tree_size}",
            {"field": "log_size", "expected": a.cp.tree_size, "got": log_json.get("log_size")},
        )


def audit_entry_format(a: _Audit) -> None:
    assert a.log is not None
    for i, why in a.log.bad.items():
        a.add("entry-format", FAIL, f"entry {i}", why)
    for i, e in enumerate(a.log.entries):
        if e is not None and entry_type(e) is None:
            a.add("entry-format", FAIL, f"entry {i}", f"unknown entry type {e.get('type')!r}")


def audit_snapshot_files(a: _Audit) -> None:
    """Each published records file matches its logged registry.snapshot entry."""
    assert a.log is not None
    for i, e in enumerate(a.log.entries):
        if entry_type(e) != SNAPSHOT or e is None:
            continue
        subject = f"snapshot {e.get('snapshot')} (entry {i})"
        try:
            ref = SnapshotRef.of(e)
            data = a.source.read(f"data/snapshots/{ref.snapshot}.jsonl", MAX_SNAPSHOT_SIZE)
            if data is None:
                a.add(
                    "snapshot-roots",
                    PENDING,
                    subject,
                    f"records file not published (publish: {e.get('publish')})",
                )
                continue
            recs = parse_snapshot_file(data)
            check_root(
                ref.kind, root=ref.root, count=ref.count, lines=[canonical_json(r) for r in recs]
            )
        except CHECK_ERRORS as err:
            a.add("snapshot-roots", FAIL, subject, str(err), evidence_of(err))
            continue
        a.add("snapshot-roots", PASS, subject, f"{len(recs)} records, root matches")


def audit_snapshot_diffs(a: _Audit) -> None:
    """snapshot-diff: each logged diff equals the one recomputed from the two published
    records files (docs/spec/registry-diff.md); pending while either is unpublished."""
    assert a.log is not None
    lines: dict[str, tuple[list[str], list[bytes]]] = {}
    for i, e in enumerate(a.log.entries):
        if entry_type(e) != SNAPSHOT or e is None or not isinstance(e.get("prev"), str):
            continue
        subject = f"snapshot {e.get('snapshot')} (entry {i})"
        try:
            ref = SnapshotDiffRef.of(e)
            sides = []
            for name in (e["prev"], e["snapshot"]):
                if name not in lines:
                    data = (a.source.read(f"data/snapshots/{name}.jsonl", MAX_SNAPSHOT_SIZE)
                            if is_identifier(name) else None)
                    if data is None:
                        break
                    recs = parse_snapshot_file(data)
                    lines[name] = ([str(r["id"]) for r in recs],
                                   [canonical_json(r) for r in recs])
                sides.append(lines[name])
            if len(sides) < 2:
                a.add("snapshot-diff", PENDING, subject,
                      "the records of this snapshot or of its prev are not published")
                continue
            ids = ref.ids
            if ids is None and ref.ids_sha256 is not None:
                doc = a.source.read(f"data/snapshots/{e['snapshot']}.diff.json",
                                    MAX_SNAPSHOT_SIZE)
                if doc is None:
                    a.add("snapshot-diff", PENDING, subject, "diff ids document not published")
                    continue
                ids = ref.check_ids_file(doc)
            logged = None if ids is None else {
                "added": list(ids.added), "removed": list(ids.removed),
                "changed": [{"id": c, "fields": list(f)} for c, f in ids.changed],
                "retired": list(ids.retired), "reactivated": list(ids.reactivated)}
            wrong = logged_diff_differences(
                diff_lines(sides[0], sides[1]),
                {"added": ref.added, "removed": ref.removed, "changed": ref.changed}, logged)
        except CHECK_ERRORS as err:
            a.add("snapshot-diff", FAIL, subject, str(err), evidence_of(err))
            continue
        if wrong:
            a.add("snapshot-diff", FAIL, subject,
                  "the logged diff is not the diff of the two published snapshots: "
                  + "; ".join(wrong), {"differences": wrong})
        else:
            a.add("snapshot-diff", PASS, subject, "logged diff equals the recomputed one")


def _draw_status(a: _Audit, h: DrawHistory) -> None:
    """An announce whose round is past (plus grace) must have a result or a cancel."""
    if h.announce_index is None:
        return  # announce-inclusion reports it
    subject = f"draw {h.draw_id}"
    if h.results:
        a.add("draw-status", PASS, subject, f"drawn (entry {h.results[0]})")
        return
    if h.cancels:
        a.add("draw-status", PASS, subject, f"cancelled (entry {h.cancels[0]})")
        return
    announce = h.entries[h.announce_index]
    try:
        rt = announce_round_time(announce)
    except CHECK_ERRORS as e:
        a.add("draw-status", FAIL, subject, f"announce has no valid round time: {e}")
        return
    when = announce["beacon"]["round_time"]
    if rt + a.grace < a.now:
        a.add(
            "draw-status",
            FAIL,
            subject,
            f"round {announce['beacon'].get('round')} was due at {when} but the log holds "
            "neither a result nor a cancel",
            {"round_time": when, "now": a.now},
        )
    else:
        a.add(
            "draw-status",
            PENDING,
            subject,
            f"waiting for round {announce['beacon'].get('round')} at {when}",
        )


def audit_draws(a: _Audit) -> None:
    """The draw checklist for every draw id the log names or the index lists."""
    assert a.log is not None
    assert a.cp is not None
    a.histories = draw_histories(dict(enumerate(a.log.entries)))
    ids = sorted(set(a.histories) | set(a.navs))
    readers = {a.cp.tree_size: a.reader} if a.reader is not None else {}
    for draw_id in ids:
        h = a.histories.get(draw_id)
        if h is not None:
            _draw_status(a, h)
        inputs = portal_draw_inputs(
            a.source,
            draw_id,
            checkpoint=a.note,
            readers=readers,
            max_age=a.max_age,
            cache=a.cache,
            checkpoints=a.notes,
        )
        report = verify_draw(a.trust, inputs, now=a.now)
        subject = f"draw {draw_id}"
        failed = [c for c in report.failed if c.name not in LOG_WIDE_CHECKS]
        for c in failed:
            a.add(f"draw:{c.name}", FAIL, subject, c.reason, c.evidence)
        if failed:
            a.rep.draws[draw_id] = FAIL
        elif h is not None and h.cancels:
            a.rep.draws[draw_id] = "cancelled"
            a.add("draw:verify", PASS, subject, "cancelled in time; its history holds")
        elif all(c.status == PASS or c.name in LOG_WIDE_CHECKS for c in report.checks):
            a.rep.draws[draw_id] = PASS
            a.add(
                "draw:verify",
                PASS,
                subject,
                "every check passes (recomputed, commitment co-signed in time)",
            )
        else:
            a.rep.draws[draw_id] = PENDING
            skipped = [c.name for c in report.checks if c.status == "skipped"]
            a.add("draw:verify", PENDING, subject, f"not checkable yet: {', '.join(skipped)}")


def _compare(a: _Audit, subject: str, given: Mapping[str, Any], proven: Mapping[str, Any],
             fields: tuple[str, ...]) -> None:
    wrong = index_differences(subject, given, proven, fields)
    for d in wrong:
        a.add("index", FAIL, subject,
              f"{d['field']} is {d['got']!r} but the proven entries say {d['expected']!r}",
              {"field": d["field"], "expected": d["expected"], "got": d["got"]})
    if not wrong:
        a.add("index", PASS, subject, "every field matches the proven entries")


def audit_index(a: _Audit) -> None:
    """data/draws.json and the draw files say what the proven entries say."""
    assert a.cp is not None
    if isinstance(a.index, Mapping) and a.index.get("log_size", a.cp.tree_size) != a.cp.tree_size:
        a.add(
            "index",
            FAIL,
            "data/draws.json",
            f"log_size is {a.index.get('log_size')!r}, the checkpoint's is {a.cp.tree_size}",
            {"field": "log_size"},
        )
    rows = {
        r["draw_id"]: r
        for r in a.index.get("draws", [])
        if isinstance(r, Mapping) and isinstance(r.get("draw_id"), str)
    }
    announced = {d for d, h in a.histories.items() if h.announces}
    for draw_id in sorted(announced - set(rows)):
        a.add(
            "index",
            FAIL,
            f"draw {draw_id}",
            "announced in the log but missing from data/draws.json",
        )
    for draw_id in sorted(set(rows) - announced):
        a.add("index", FAIL, f"draw {draw_id}", "listed in data/draws.json but never announced")
    for draw_id in sorted(set(rows) & announced):
        h = a.histories[draw_id]
        if h.announce_index is None:
            continue  # announce-twice: draw:announce-inclusion reports it
        proven = proven_row(h)
        _compare(a, f"data/draws.json {draw_id}", rows[draw_id], proven, ROW_FIELDS)
        nav = a.navs.get(draw_id)
        if isinstance(nav, Mapping):
            _compare(a, f"data/draws/{draw_id}.json", nav, proven, NAV_FIELDS)


def audit_registry_gaps(a: _Audit) -> None:
    """registry-gap: a unit out of the pool just for one draw (draw_engine.registry_gaps)."""
    assert a.log is not None
    proven = {i: e for i, e in enumerate(a.log.entries) if e is not None}
    documents: dict[str, bytes] = {}
    for e in proven.values():
        diff, name = e.get("diff"), e.get("snapshot")
        if (entry_type(e) == SNAPSHOT and isinstance(diff, Mapping) and "ids_sha256" in diff
                and isinstance(name, str) and is_identifier(name)):
            data = a.source.read(f"data/snapshots/{name}.diff.json", MAX_SNAPSHOT_SIZE)
            if data is not None:
                documents[name] = data
    for f in registry_gap_findings(proven, documents):
        a.add(f.check, f.status, f.subject, f.reason, f.evidence)


def _published_records(a: _Audit, name: str, snapshots: Mapping[str, Mapping[str, Any]]
                       ) -> list[dict[str, Any]] | None:
    """The records of snapshot `name`, checked against its proven entry; None if unpublished."""
    entry = snapshots.get(name)
    if entry is None:
        raise CheckFailedError(f"snapshot {name!r} has no registry.snapshot entry")
    data = a.source.read(f"data/snapshots/{name}.jsonl", MAX_SNAPSHOT_SIZE)
    if data is None:
        return None
    records = parse_snapshot_file(data)
    ref = SnapshotRef.of(entry)
    check_root(ref.kind, root=ref.root, count=ref.count,
               lines=[canonical_json(r) for r in records])
    return records


def _return_visit_pool(a: _Audit, announce: Mapping[str, Any], pool_index: int,
                       snapshots: Mapping[str, Mapping[str, Any]]) -> tuple[str, str]:
    """(status, reason) of one return-visit draw's pool against the proven outcomes."""
    assert a.log is not None
    first, last = announce["period"]["from"], announce["period"]["to"]
    logged = [(i, e) for i, e in enumerate(a.log.entries[:pool_index])
              if e is not None and entry_type(e) == "inspection.outcome"]
    superseded = {e["supersedes"] for _i, e in logged if isinstance(e.get("supersedes"), int)}
    outcomes = [(i, e["draw_id"], e["unit_id"], e["date"], e["result"]) for i, e in logged
                if first <= e.get("date", "") <= last]
    units: dict[str, dict[str, Mapping[str, Any]]] = {}
    for draw_id in sorted({o[1] for o in outcomes
                           if o[4] in INSPECTED_RESULTS and o[0] not in superseded}):
        h = a.histories.get(draw_id)
        if h is None or h.announce_index is None:
            raise CheckFailedError(f"outcome of draw {draw_id}, which has no single announce")
        name = h.entries[h.announce_index]["units"]["snapshot"]
        records = _published_records(a, name, snapshots)
        if records is None:
            return PENDING, f"snapshot {name} (of draw {draw_id}) is not published yet"
        units[draw_id] = {r["id"]: r for r in records}
    try:
        pool = return_visit_records(outcomes, units, superseded=superseded)
    except KeyError as e:
        raise CheckFailedError(f"an inspected unit {e} is not in its draw's snapshot") from e
    entry = snapshots[announce["units"]["snapshot"]]
    expected = make_snapshot(entry["snapshot"], "units", pool)
    if (expected.root_hex, expected.count) != (entry["root"], entry["count"]):
        raise CheckFailedError(
            f"the pool {entry['snapshot']} has {entry['count']} units (root {entry['root']}); "
            f"the {len(outcomes)} proven outcomes of {first}..{last} give {expected.count} "
            f"(root {expected.root_hex})")
    return PASS, (f"pool {entry['snapshot']} = the {expected.count} units inspected from "
                  f"{first} to {last} (proven outcomes)")


def audit_return_visits(a: _Audit) -> None:
    assert a.log is not None
    snapshots: dict[str, Mapping[str, Any]] = {}
    where: dict[str, int] = {}
    for i, e in enumerate(a.log.entries):
        if e is not None and entry_type(e) == SNAPSHOT and e.get("snapshot") not in snapshots:
            snapshots[e["snapshot"]], where[e["snapshot"]] = e, i
    for draw_id, h in sorted(a.histories.items()):
        if h.announce_index is None:
            continue
        announce = h.entries[h.announce_index]
        if announce.get("kind") != "return_visit":
            continue
        subject = f"draw {draw_id}"
        try:
            name = announce["units"]["snapshot"]
            if name not in where:
                raise CheckFailedError(f"its units snapshot {name!r} is not in the log")
            status, reason = _return_visit_pool(a, announce, where[name], snapshots)
        except CHECK_ERRORS as e:
            a.add("return-visit-pool", FAIL, subject, str(e), evidence_of(e))
            continue
        a.add("return-visit-pool", status, subject, reason)


def audit_plan(a: _Audit, rules: Rules) -> None:
    """The yearly plan's findings over the proven entries only."""
    assert a.log is not None
    proven = {i: e for i, e in enumerate(a.log.entries) if e is not None}
    today = datetime.fromtimestamp(a.now, UTC).date()
    for f in coverage_findings(rules, proven, today=today):
        a.add(f.check, f.status, f.subject, f.reason, f.evidence)


def audit_portal(
    source: PortalSource,
    trust: Trust,
    *,
    now: int,
    grace: int = 0,
    max_age: int | None = None,
    remembered: Sequence[bytes] = (),
    plan: Rules | None = None,
) -> AuditReport:
    """Every finding of the module docstring. `remembered`: checkpoints this client verified
    before (its state file; the CLI has already refused a rollback or fork against them)."""
    a = _Audit(source, trust, now, grace, max_age, remembered, AuditReport(source.description))
    if not audit_log_tiles(a):
        return a.rep
    audit_cosignatures(a)
    _read_navigation(a)
    audit_checkpoints(a)
    audit_entry_format(a)
    audit_snapshot_files(a)
    audit_snapshot_diffs(a)
    audit_draws(a)
    audit_index(a)
    audit_registry_gaps(a)
    audit_return_visits(a)
    if plan is not None:
        audit_plan(a, plan)
    return a.rep
