"""The draw lifecycle service (DESIGN §2; docs/spec/lifecycle.md): the operator's use cases.

`DrawService` owns the transactions of: importing a registry version,
creating a snapshot (appending `registry.snapshot`), planning and announcing
a draw (`draw.announce`), publishing a co-signed checkpoint, checking the
commitment rule, executing a draw at its beacon round (`draw.result`),
cancelling (`draw.cancel`), recording inspection outcomes
(`inspection.outcome`) and the quarterly return-visit draw.

State lives in two places: the log (the truth, appended through the one
`Sequencer`) and the `DrawStore` (registry versions, snapshot files, plans,
commitment checkpoints, and an index of the log's draw entries). Every write
appends to the log first and then brings the index up to date from the log
(`sync`), so a crash between the two is repaired by the next `sync`.
Everything the service needs from outside is injected: the beacon source,
the witness collector (`Cosigning`), the clock and the sleep function.

Beside it: `beacon_wait` (waiting for the round), `registry_versions` (stored
records, the mass-removal rule), `draw_view` (the JSON views) and
`draw_pipeline` (announce to result in one call, for demos and tests).

Left out: scheduling (who calls `publish_checkpoint` and `execute` when is the
composition root's business) and the portal data files.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime
from typing import Any

from draw_engine import plan as plans
from draw_engine.announce import DrawSpec, parse_announce
from draw_engine.beacon import BeaconSource
from draw_engine.beacon_wait import WaitCallback, wait_for_round
from draw_engine.calendar import CalendarError, WorkCalendar, calendar_ref
from draw_engine.cancel import CancelReport, check_cancel_provable, prove_cancel
from draw_engine.canonical import canonical_json, parse_json
from draw_engine.commitment import (
    CommitmentReport,
    Cosigning,
    PublishedCheckpoint,
    check_commitment,
    cosign_checkpoint,
    mark_committed,
)
from draw_engine.lifecycle_errors import (
    CancelTooLateError,
    CommitmentError,
    CommitmentMissedError,
    DrawStateError,
    LifecycleError,
    PlanError,
    SecondResultError,
    UnknownDrawError,
)
from draw_engine.log_index import index_log
from draw_engine.plan_checks import (
    REF_KINDS,
    beacon_fields,
    check_correction,
    check_result_size,
    check_supersedable,
    resolve_refs,
)
from draw_engine.registry import ImportMapping, RegistryVersion, next_version
from draw_engine.registry_sources import (
    ImportPreview,
    ImportSource,
    MergeResult,
    merge_sources,
    preview_import,
    sources_name,
    sources_sha256,
)
from draw_engine.registry_versions import (
    as_snapshot,
    check_removal,
    latest_registry_snapshot,
    read_jsonl,
)
from draw_engine.select import compute_draw, spec_hash
from draw_engine.snapshot import (
    KINDS,
    PUBLISH_MODES,
    Snapshot,
    check_root,
    format_records,
    make_snapshot,
    parse_records,
    snapshot_entry,
)
from draw_engine.store import (
    DrawRecord,
    DrawStore,
    OutcomeRecord,
    StoredSnapshot,
    StoredVersion,
)
from transparency.sequencer import Sequencer
from transparency.storage import LogStorage
from transparency.tiles import MAX_ENTRY_SIZE
from witnesses.policy import Policy


@dataclass(frozen=True)
class LifecycleSettings:
    """Timing rules. SPEC(DESIGN §2): cosignatures ≥ `commitment_margin` s before round R."""

    lead_time: int = 600
    """An announce's beacon round must be at least this many seconds in the future."""
    commitment_margin: int = 60
    beacon_timeout: float = 300.0
    """How long `execute` keeps asking for the round after its round time."""
    poll_interval: float = 1.0
    mass_removal_percent: int = 20
    """An import may retire at most this share (%) of the active records unless allowed."""
    calendar: WorkCalendar | None = None
    """The working-day calendar; when set, every announce records its `calendar` reference
    (docs/spec/schedule.md) and a period without a working day is refused."""


class DrawService:
    """The draw lifecycle. Thread-safe: write use cases run one at a time."""

    def __init__(
        self,
        *,
        store: DrawStore,
        storage: LogStorage,
        sequencer: Sequencer | None,
        beacon: BeaconSource,
        cosigning: Cosigning | None = None,
        policy: Policy | None = None,
        log_verifier_key: str | None = None,
        settings: LifecycleSettings | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        on_published: Callable[[PublishedCheckpoint], object] | None = None,
    ) -> None:
        """`on_published` is called with every checkpoint `publish_checkpoint` stores (a
        cancel's publish included), after it is stored, e.g. to rebuild a portal."""
        self.store = store
        self.storage = storage
        self.sequencer = sequencer
        self.beacon = beacon
        self.cosigning = cosigning
        self.policy = policy if policy is not None else getattr(cosigning, "policy", None)
        self.log_verifier_key = log_verifier_key
        self.settings = settings or LifecycleSettings()
        self.clock = clock
        self.sleep = sleep
        self.on_published = on_published
        self._lock = threading.RLock()

    # -- the index of the log --------------------------------------------------------

    def sync(self) -> int:
        """Index the log entries appended since the last sync; return the new watermark."""
        with self._lock:
            return index_log(self.storage, self.store)

    def recover(self) -> int:
        """`sync`, then (a writer only) drop the snapshots a crash left without a log entry.

        A snapshot row is written before its `registry.snapshot` entry (the log must never
        commit to records the store lacks); once the log is indexed, a row still without a
        `log_index` was never accepted. Only a writer that has just started may drop them
        (`fairdraw.draw_service.open_service`): a reader, or a writer that lost its lease,
        could not tell them from a write in flight. Returns the new watermark."""
        with self._lock:
            watermark = self.sync()
            if self.sequencer is not None:
                with self.store.transaction() as tx:
                    tx.drop_pending_snapshots()
            return watermark

    def _require_writer(self) -> Sequencer:
        if self.sequencer is None:
            raise LifecycleError("this service is read-only: it has no sequencer")
        return self.sequencer

    def _append(self, entry: Mapping[str, Any]) -> int:
        sequencer = self._require_writer()
        data = canonical_json(entry)
        if len(data) > MAX_ENTRY_SIZE:
            raise LifecycleError(f"{entry['type']} entry would be {len(data)} bytes; a log entry "
                                 f"holds at most {MAX_ENTRY_SIZE}")
        self.sync()  # anything appended meanwhile is indexed before our entry
        index = sequencer.append([data])[0]
        self.sync()
        return index

    def entry(self, index: int) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.storage.read_entries(index, index + 1)[0])
        return value

    # -- registries and snapshots ----------------------------------------------------

    def import_registry(self, kind: str, data: bytes, *, fmt: str, source_name: str,
                        allow_mass_removal: bool = False,
                        mapping: ImportMapping | None = None) -> StoredVersion:
        """Import one registry file (all or nothing) as the next version of `kind`.

        `import_sources` with that one file."""
        stored, _merged = self.import_sources(kind, [ImportSource(source_name, data, fmt)],
                                              mapping=mapping,
                                              allow_mass_removal=allow_mass_removal)
        return stored

    def import_sources(self, kind: str, sources: Sequence[ImportSource], *,
                       mapping: ImportMapping | None = None,
                       allow_mass_removal: bool = False) -> tuple[StoredVersion, MergeResult]:
        """Import one or several files (merged, draw_engine.registry_sources) as the next
        version of `kind`; the `MergeResult` lists the merge decisions.

        Refused, changing nothing: any bad row of any file and a file with no records
        (`ValidationError`, every problem by file, row and column), and an import that
        would retire more than `settings.mass_removal_percent` of the active records unless
        `allow_mass_removal` (`MassRemovalError`, with the counts)."""
        if kind not in KINDS:
            raise PlanError(f"must be one of {', '.join(KINDS)}, got {kind!r}", field="kind")
        self._require_writer()
        merged = merge_sources(kind, sources, mapping)  # raises ValidationError
        with self._lock, self.store.transaction() as tx:
            previous = tx.latest_version(kind)
            prev = None
            if previous is not None:
                prev = RegistryVersion(kind, previous.version,
                                       tuple(read_jsonl(previous.records)))
            version = next_version(prev, merged.records, kind=kind)
            if prev is not None and not allow_mass_removal:
                check_removal(prev, version, self.settings.mass_removal_percent)
            stored = StoredVersion(
                kind=kind, version=version.version,
                records=b"".join(canonical_json(dict(r)) + b"\n" for r in version.records),
                count=len(version.records), source_name=sources_name(sources),
                source_sha256=sources_sha256(sources), imported_at=self._now())
            tx.add_version(stored)
        return stored, merged

    def preview_sources(self, kind: str, sources: Sequence[ImportSource], *,
                        mapping: ImportMapping | None = None) -> ImportPreview:
        """What `import_sources` would do to the latest version (registry_sources.preview_import):
        added, removed, changed ids with names and changed fields, merge decisions, every bad
        row. Writes nothing; any server (a reader too) answers it."""
        if kind not in KINDS:
            raise PlanError(f"must be one of {', '.join(KINDS)}, got {kind!r}", field="kind")
        with self.store.transaction() as tx:
            previous = tx.latest_version(kind)
        prev = None
        if previous is not None:
            prev = RegistryVersion(kind, previous.version, tuple(read_jsonl(previous.records)))
        return preview_import(kind, sources, mapping=mapping, previous=prev)

    def import_records(self, kind: str, records: Sequence[Mapping[str, Any]], *,
                       source_name: str, allow_mass_removal: bool = False) -> StoredVersion:
        """`import_registry` for records already in memory (e.g. fairdraw.demo_registry)."""
        data = b"".join(json.dumps(dict(r), ensure_ascii=False).encode() + b"\n"
                        for r in records)
        return self.import_registry(kind, data, fmt="jsonl", source_name=source_name,
                                    allow_mass_removal=allow_mass_removal)

    def create_snapshot(self, kind: str, name: str, *, publish: str = "at_announce"
                        ) -> StoredSnapshot:
        """Snapshot the latest registry version of `kind` and append `registry.snapshot`."""
        with self._lock:
            with self.store.transaction() as tx:
                version = tx.latest_version(kind) if kind in KINDS else None
                previous = latest_registry_snapshot(tx, kind)
            if version is None:
                raise PlanError(f"no {kind} registry has been imported", field="kind")
            snap = make_snapshot(name, kind, read_jsonl(version.records))
            prev = as_snapshot(previous) if previous is not None else None
            return self._log_snapshot(snap, prev, publish,
                                      f"registry:{kind}:{version.version}")

    def _log_snapshot(self, snap: Snapshot, prev: Snapshot | None, publish: str,
                      source: str) -> StoredSnapshot:
        if publish not in PUBLISH_MODES:
            raise PlanError(f"must be one of {', '.join(PUBLISH_MODES)}", field="publish")
        entry = snapshot_entry(snap, previous=prev, publish=publish)
        self._require_writer()  # refused before anything is written
        data = canonical_json(entry)
        if len(data) > MAX_ENTRY_SIZE:
            raise LifecycleError(f"registry.snapshot entry would be {len(data)} bytes; a log "
                                 f"entry holds at most {MAX_ENTRY_SIZE}")
        with self._lock:
            self.sync()
            with self.store.transaction() as tx:
                existing = tx.get_snapshot(snap.name)
                if existing is not None and (existing.log_index is not None
                                             or existing.root != snap.root_hex):
                    raise PlanError(f"snapshot {snap.name!r} exists already", field="name")
                # The records are stored before the log commits to them, as a pending row
                # (no log_index) that indexing the entry completes. A pending row of the
                # same records (a crash's) is taken over; others wait for `recover`.
                if existing is None:
                    tx.add_snapshot(StoredSnapshot(
                        name=snap.name, kind=snap.kind, root=snap.root_hex, count=snap.count,
                        publish=publish, records=format_records(snap), source=source,
                        prev=prev.name if prev else None, log_index=None,
                        created_at=self._now()))
            try:
                self._append(entry)
            except BaseException:
                # The append refused (or failed): our own row goes, unless the entry did
                # reach the log. Only ours: a fenced ex-writer must not touch the new
                # writer's rows in flight.
                self.sync()
                with self.store.transaction() as tx:
                    mine = tx.get_snapshot(snap.name)
                    if mine is not None and mine.log_index is None:
                        tx.drop_pending_snapshots(only=snap.name)
                raise
            return self._snapshot(snap.name)

    def _snapshot(self, name: str) -> StoredSnapshot:
        with self.store.transaction() as tx:
            snap = tx.get_snapshot(name)
        if snap is None:
            raise PlanError(f"no snapshot {name!r}", field="snapshot")
        return snap

    def snapshots(self) -> list[StoredSnapshot]:
        with self.store.transaction() as tx:
            return tx.list_snapshots()

    # -- plan and announce -----------------------------------------------------------

    def plan_draw(self, plan: object) -> dict[str, Any]:
        """The announce entry `announce(plan)` would append, fully checked; writes nothing."""
        self.sync()
        checked = plans.check_plan(plan)
        with self.store.transaction() as tx:
            refs, records = resolve_refs(tx, checked)
            beacon = beacon_fields(self.beacon, checked.get("beacon", {}), now=self.clock(),
                                   lead_time=self.settings.lead_time)
            announce = plans.build_announce(checked, refs, beacon)
            spec = parse_announce(announce)  # SPEC(DESIGN §4): ids ASCII, ratios well-formed…
            if self.settings.calendar is not None:
                announce = plans.build_announce(checked, refs, beacon, self._calendar_ref(spec))
                spec = parse_announce(announce)
            if tx.get_draw(spec.draw_id) is not None:
                raise PlanError(f"draw {spec.draw_id!r} exists already", field="draw_id")
            old = (check_supersedable(tx, spec.supersedes, spec.draw_id)
                   if spec.supersedes is not None else None)
        if old is not None:
            latest = self.storage.latest_checkpoint(cosigned_only=True)
            check_cancel_provable(
                old, new_id=spec.draw_id, committed=self._committed(old), now=self.clock(),
                deadline=old.round_time - self.settings.commitment_margin,
                latest_cosigned_size=None if latest is None else latest.tree_size)
        check_result_size(announce, records)
        return announce

    def _calendar_ref(self, spec: DrawSpec) -> dict[str, Any]:
        assert self.settings.calendar is not None
        try:
            return calendar_ref(self.settings.calendar, date.fromisoformat(spec.period_from),
                                date.fromisoformat(spec.period_to))
        except CalendarError as e:
            raise PlanError(f"no schedule can be made: {e}", field="period") from e

    def announce(self, plan: object) -> DrawRecord:
        """Check the plan, append its `draw.announce` entry, keep the plan; return the draw."""
        with self._lock:
            announce = self.plan_draw(plan)
            self._append(announce)
            with self.store.transaction() as tx:
                draw = tx.get_draw(announce["draw_id"])
                assert draw is not None  # just indexed by _append
                draw = replace(draw, plan=json.dumps(plan, ensure_ascii=False, sort_keys=True))
                tx.update_draw(draw)
            return draw

    # -- checkpoints and the commitment rule -----------------------------------------

    def publish_checkpoint(self) -> PublishedCheckpoint:
        """Sign a checkpoint, have the witnesses co-sign it (fail closed), store it, record it
        as the commitment of every announced draw it is the first to cover, then tell
        `on_published`."""
        if self.sequencer is None or self.cosigning is None:
            raise LifecycleError("publishing needs a sequencer and a witness collector")
        with self._lock:
            cp, cosigned = cosign_checkpoint(self.sequencer, self.cosigning, self.storage)
            self.sync()
            with self.store.transaction() as tx:
                committed = mark_committed(tx, cp.tree_size, cosigned)
            self.storage.store_checkpoint(cp.tree_size, cp.root_hash, cosigned, cosigned=True,
                                          created_at=self._now())
            published = PublishedCheckpoint(cp.tree_size, cosigned, tuple(committed))
        if self.on_published is not None:
            self.on_published(published)
        return published

    def check_commitment(self, draw_id: str) -> CommitmentReport:
        """SPEC(DESIGN §2): the announce is covered by a checkpoint whose cosignatures counted
        toward the policy are all timestamped at least the margin before round time."""
        return check_commitment(self.draw(draw_id), storage=self.storage, policy=self.policy,
                                log_verifier_key=self.log_verifier_key,
                                margin=self.settings.commitment_margin)

    # -- execute, cancel -------------------------------------------------------------

    def execute(self, draw_id: str, *, timeout: float | None = None,
                on_wait: WaitCallback | None = None) -> DrawRecord:
        """Check the commitment, wait for the round, verify it, compute, append draw.result."""
        self.sync()
        draw = self._executable(draw_id)
        self.check_commitment(draw_id)
        announce = parse_json(draw.announce)
        chain = self.beacon.chain
        if announce["beacon"]["chain_hash"] != chain.chain_hash.hex():
            raise LifecycleError(f"draw {draw_id} commits to beacon chain "
                                 f"{announce['beacon']['chain_hash']}, the configured beacon is "
                                 f"{chain.chain_hash.hex()}")
        beacon = wait_for_round(
            self.beacon, draw, on_wait=on_wait, clock=self.clock, sleep=self.sleep,
            limit=self.settings.beacon_timeout if timeout is None else timeout,
            poll_interval=self.settings.poll_interval)
        randomness = self.beacon.verify(beacon)  # raises if the signature does not verify
        records: dict[str, list[dict[str, Any]]] = {}
        for kind in REF_KINDS:
            if kind in announce:
                ref = announce[kind]
                snap = self._snapshot(ref["snapshot"])
                parsed = parse_records(snap.records)
                check_root(kind, root=ref["root"], count=ref["count"], lines=parsed.lines)
                records[kind] = parsed.records
        computed = compute_draw(announce, records["units"], randomness,
                                inspectors=records.get("inspectors", ()),
                                experts=records.get("experts", ()))
        entry = plans.result_entry(announce, draw.announce_index, spec_hash(announce).hex(),
                                   beacon, computed)
        with self._lock:
            self.sync()
            self._executable(draw_id)  # SPEC(DESIGN §2): never a second result
            self._append(entry)
            return self.draw(draw_id)

    def _executable(self, draw_id: str) -> DrawRecord:
        draw = self.draw(draw_id)
        if draw.result_index is not None:
            raise SecondResultError(f"draw {draw_id} already has its result at log index "
                                    f"{draw.result_index}; a draw has exactly one result")
        if draw.status != "announced":
            raise DrawStateError(f"draw {draw_id} is {draw.status}; it will never get a result")
        return draw

    def cancel(self, draw_id: str, reason: str) -> CancelReport:
        """Append `draw.cancel` (the draw will never get a result), then publish a co-signed
        checkpoint covering it, the proof that it came before round time − margin.

        Refused, changing nothing: a drawn, cancelled or superseded draw (`DrawStateError`)
        and, once round time − margin has passed, a committed draw (`CancelTooLateError`):
        its randomness may be known, so it must be executed. A draw whose commitment was
        missed can always be cancelled: it could never be executed.

        The cancel stays logged whatever the witnesses do (nothing is deleted). If they do
        not co-sign, or co-sign only after the deadline, the report says so
        (`CancelReport.needs_attention`): publish again before the deadline, or the verifiers
        will fail the draw (rule `late-cancel`)."""
        with self._lock:
            self.sync()
            drawn = self.draw(draw_id)
            if drawn.result_index is not None:
                raise DrawStateError(
                    f"draw {draw_id} has its result at log index {drawn.result_index}; a drawn "
                    "draw is never cancelled (that would be a re-roll): record outcomes instead")
            draw = self._executable(draw_id)
            entry = plans.cancel_entry(draw_id, draw.announce_index, reason)
            margin = self.settings.commitment_margin
            deadline = draw.round_time - margin
            committed = self._committed(draw)
            now = self.clock()
            # SPEC(DESIGN §2; verification.md late-cancel): no cancel of a committed draw once
            # its randomness may be known.
            if committed and now >= deadline:
                raise CancelTooLateError(draw_id=draw_id, round=draw.beacon_round,
                                         round_time=draw.round_time, margin=margin, now=now,
                                         commitment_size=draw.commitment_size)
            self._append(entry)
            return prove_cancel(self.draw(draw_id), committed=committed, deadline=deadline,
                                publish=self.publish_checkpoint if self.cosigning else None,
                                policy=self.policy)

    def _committed(self, draw: DrawRecord) -> bool:
        """Whether the draw's commitment holds (DESIGN §2). False when it was missed (or not
        yet made); refuses when the stored commitment cannot be judged at all."""
        try:
            self.check_commitment(draw.draw_id)
        except CommitmentMissedError:
            return False
        except CommitmentError as e:
            raise LifecycleError(f"cannot tell whether draw {draw.draw_id} is committed "
                                 f"(so whether it may still be cancelled): {e}") from e
        return True

    # -- outcomes and return visits --------------------------------------------------

    def record_outcome(self, draw_id: str, unit_id: str, *, date: str, result: str,
                       note: str = "", evidence_sha256: Sequence[str] = (),
                       supersedes: int | None = None) -> OutcomeRecord:
        """Append `inspection.outcome` for a unit the draw selected (or listed as reserve).

        A correction is a new entry: `supersedes` names the unit's outcome in force (its log
        index) and `note` says why; both stay in the log (history.check_outcomes). The date
        may not lie in the future (the service's clock, UTC)."""
        with self._lock:
            self.sync()
            draw = self.draw(draw_id)
            entry = plans.outcome_entry(draw_id, unit_id, date_text=date, result=result,
                                        note=note, evidence_sha256=evidence_sha256,
                                        supersedes=supersedes)
            today = datetime.fromtimestamp(self.clock(), UTC).date().isoformat()
            if date > today:
                raise PlanError(f"date {date} is in the future (today is {today} UTC): an "
                                "outcome records an inspection that took place", field="date")
            if draw.result_index is None:
                raise DrawStateError(f"draw {draw_id} has no result; outcomes follow a result")
            drawn = self.entry(draw.result_index)
            chosen = {s["unit_id"] for s in drawn["selected"]}
            chosen.update(u for s in drawn["strata"] for u in s["reserve"])
            if unit_id not in chosen:
                raise PlanError(f"unit {unit_id} was neither selected nor a reserve in draw "
                                f"{draw_id}", field="unit_id")
            with self.store.transaction() as tx:
                in_force = [o.log_index for o in tx.list_outcomes(draw_id)
                            if o.unit_id == unit_id]
            check_correction(draw_id, unit_id, in_force[0] if in_force else None, supersedes)
            index = self._append(entry)
            return OutcomeRecord(index, draw_id, unit_id, date, result)

    def create_return_visit_snapshot(self, quarter: str, *, name: str | None = None,
                                     publish: str = "at_announce") -> StoredSnapshot:
        """SPEC(DESIGN §1): the pool of a return-visit draw, the units inspected or penalised
        in `quarter` (outcome date in the quarter), logged as a `units` snapshot. The
        outcomes are read from the log's `inspection.outcome` entries themselves (the index
        only says where they are), corrected ones left out, as the audit recomputes it."""
        first, last = plans.quarter_range(quarter)
        with self._lock:
            self.sync()
            with self.store.transaction() as tx:
                entries = [(o.log_index, self.entry(o.log_index)) for o in tx.list_outcomes()]
                superseded = {e["supersedes"] for _i, e in entries
                              if isinstance(e.get("supersedes"), int)}
                outcomes = [(i, e["draw_id"], e["unit_id"], e["date"], e["result"])
                            for i, e in entries if first <= e["date"] <= last]
                units: dict[str, dict[str, Any]] = {}
                for draw_id in {o[1] for o in outcomes}:
                    draw = tx.get_draw(draw_id)
                    assert draw is not None
                    snap = tx.get_snapshot(parse_json(draw.announce)["units"]["snapshot"])
                    assert snap is not None
                    units[draw_id] = {r["id"]: r for r in parse_records(snap.records).records}
            records = plans.return_visit_records(outcomes, units, superseded=superseded)
            if not records:
                raise PlanError(f"no unit was inspected in {quarter} ({first} to {last})",
                                field="quarter")
            pool = make_snapshot(name or f"return-visit-{quarter}", "units", records)
            return self._log_snapshot(pool, None, publish, f"return_visit:{quarter}")

    # -- reads -----------------------------------------------------------------------

    def draw(self, draw_id: str) -> DrawRecord:
        with self.store.transaction() as tx:
            draw = tx.get_draw(draw_id)
        if draw is None:
            raise UnknownDrawError(f"no draw {draw_id!r}")
        return draw

    def draws(self) -> list[DrawRecord]:
        with self.store.transaction() as tx:
            return tx.list_draws()

    def outcomes(self, draw_id: str | None = None) -> list[OutcomeRecord]:
        with self.store.transaction() as tx:
            return tx.list_outcomes(draw_id)

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)


__all__ = [
    "CancelReport",
    "DrawService",
    "LifecycleSettings",
]
