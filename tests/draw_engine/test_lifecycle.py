"""DrawService use cases on in-memory ports: a virtual clock, the in-process local beacon,
real Ed25519 cosigners timestamping on that clock, MemoryStorage and MemoryDrawStore.

The same rules over real processes and HTTP are in test_lifecycle_e2e.py."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from draw_engine.draw_pipeline import run_draw_pipeline
from draw_engine.draw_view import cancel_view, draw_view
from draw_engine.entries import format_utc
from draw_engine.errors import AnnounceError
from draw_engine.lifecycle import DrawService, LifecycleSettings
from draw_engine.lifecycle_errors import (
    BeaconWaitError,
    CancelTooLateError,
    CheckpointNotCosignedError,
    CommitmentError,
    DrawStateError,
    PlanError,
    SecondResultError,
    SupersedeError,
    TooLateError,
    UnknownDrawError,
)
from draw_engine.local_beacon import LocalBeaconSource, generate_local_key
from draw_engine.plan import quarter_range, return_visit_plan
from draw_engine.registry import ValidationError
from draw_engine.select import compute_draw
from draw_engine.snapshot import parse_records
from draw_engine.store import DrawRecord, MemoryDrawStore
from transparency.note import append_signatures, parse_note
from transparency.note_keys import generate_signer
from transparency.sequencer import Sequencer
from transparency.storage import MemoryStorage
from witnesses.cosignature import Cosigner
from witnesses.errors import CollectionError
from witnesses.policy import Policy, parse_policy

GENESIS = 1_767_225_600  # 2026-01-01T00:00:00Z
SETTINGS = LifecycleSettings(lead_time=30, commitment_margin=10, beacon_timeout=20,
                             poll_interval=1)
UNITS_CSV = (
    "id,name,brigade,status,risk_level,key_unit,tags\n"
    + "".join(f"U{i:03d},单位{i},{'xingbin' if i % 2 else 'heshan'},active,"
              f"{'high' if i % 3 == 0 else 'low'},{'true' if i % 4 == 0 else 'false'},\n"
              for i in range(1, 41))
    + "U099,僵尸单位,heshan,defunct,low,false,\n"
).encode()
INSPECTORS_CSV = (
    "id,name,brigade,roles,status,cert_valid_until,phone\n"
    + "".join(f"I{i:02d},人员{i},{'xingbin' if i % 2 else 'heshan'},lead;assist,active,"
              f"2030-12-31,1380000{i:04d}\n" for i in range(1, 7))
).encode()


class Clock:
    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += max(seconds, 0.001)


class InProcessWitnesses:
    """Real cosigners in this process; each cosigns at `clock() + skew[name]`."""

    def __init__(self, clock: Callable[[], float], names: Sequence[str]) -> None:
        self.clock = clock
        self.cosigners = [Cosigner.from_signer(generate_signer(n)) for n in names]
        self.skew = dict.fromkeys(names, 0.0)
        self.down: set[str] = set()
        lines = [f"witness {c.name} {c.verifier_key}" for c in self.cosigners]
        self.policy: Policy = parse_policy(
            "\n".join([*lines, f"group q 2 {' '.join(names)}", "quorum q", ""]))

    def collect(self, note: bytes, consistency_proof: Callable[[int, int], Sequence[bytes]]
                ) -> bytes:
        body = parse_note(note).text
        sigs = [c.cosign(body, timestamp=int(self.clock() + self.skew[c.name]))
                .to_note_signature() for c in self.cosigners if c.name not in self.down]
        if len(sigs) < 2:
            raise CollectionError("policy not met", reasons=dict.fromkeys(self.down, "down"))
        return append_signatures(note, sigs)


class World:
    def __init__(self) -> None:
        self.clock = Clock(GENESIS + 1000.5)
        self.storage = MemoryStorage()
        self.log_signer = generate_signer("example.org/fairdraw-test")
        self.sequencer = Sequencer(self.storage, [self.log_signer], self.log_signer.name)
        self.store = MemoryDrawStore()
        self.source = LocalBeaconSource(generate_local_key(genesis_time=GENESIS, period=1),
                                        clock=self.clock)
        self.witnesses = InProcessWitnesses(self.clock, ["w1.example", "w2.example"])
        self.service = self.make_service(self.store)

    def make_service(self, store: Any) -> DrawService:
        return DrawService(store=store, storage=self.storage, sequencer=self.sequencer,
                           beacon=self.source, cosigning=self.witnesses,
                           log_verifier_key=self.log_signer.verifier_key, settings=SETTINGS,
                           clock=self.clock, sleep=self.clock.sleep)

    def setup_snapshots(self) -> None:
        s = self.service
        s.import_registry("units", UNITS_CSV, fmt="csv", source_name="units.csv")
        s.import_registry("inspectors", INSPECTORS_CSV, fmt="csv", source_name="i.csv")
        s.create_snapshot("units", "units-2026-01")
        s.create_snapshot("inspectors", "inspectors-2026-01")

    def plan(self, draw_id: str = "d-2026-01", **extra: Any) -> dict[str, Any]:
        plan = {
            "draw_id": draw_id, "title": "一月 routine", "authority": "支队", "kind": "routine",
            "period": {"from": "2026-01-01", "to": "2026-01-31"},
            "units": "units-2026-01", "inspectors": "inspectors-2026-01",
            "strata": [{"name": "high", "match": {"risk_level": ["high"]},
                        "quota": {"ratio": "1/4", "reserve": 1}},
                       {"name": "rest", "match": {}, "quota": {"count": 3, "reserve": 1}}],
            "teams": {"assistants": 1},
            "recusals": [["I01", "U003"]],
        }
        plan.update(extra)
        return plan


@pytest.fixture
def world() -> World:
    w = World()
    w.setup_snapshots()
    return w


def test_full_lifecycle(world: World) -> None:
    s = world.service
    announce = s.plan_draw(world.plan())
    assert world.storage.tree_size() == 2  # plan_draw writes nothing
    draw = s.announce(world.plan())
    assert draw.status == "announced"
    assert draw.announce_index == 2
    logged = s.entry(2)
    assert logged == announce
    assert logged["beacon"]["local"] is True
    assert draw.round_time - world.clock() >= SETTINGS.lead_time
    assert json.loads(draw.plan or "") == world.plan()

    published = s.publish_checkpoint()
    assert published.committed == ("d-2026-01",)
    assert world.storage.latest_checkpoint(cosigned_only=True).note == published.note
    report = s.check_commitment("d-2026-01")
    assert sorted(w for w, _ in report.cosignatures) == ["w1.example", "w2.example"]

    waits: list[str] = []
    done = s.execute("d-2026-01", on_wait=lambda msg, _a, _b: waits.append(msg))
    assert waits
    assert world.clock() >= draw.round_time
    assert done.status == "drawn"
    assert done.result_index == 3
    result = s.entry(3)
    assert result["announce_index"] == 2
    assert result["draw_id"] == "d-2026-01"
    beacon = world.source.get(draw.beacon_round)
    assert result["beacon"] == {"round": draw.beacon_round, "signature": beacon.signature.hex(),
                                "randomness": beacon.randomness.hex()}
    # recompute independently from the stored snapshot files
    units = parse_records(s._snapshot("units-2026-01").records).records
    inspectors = parse_records(s._snapshot("inspectors-2026-01").records).records
    computed = compute_draw(announce, units, beacon.randomness, inspectors=inspectors)
    assert {k: result[k] for k in computed} == computed
    assert not any("phone" in r for r in inspectors)  # private data never snapshotted

    with pytest.raises(SecondResultError, match="already has its result at log index 3"):
        s.execute("d-2026-01")
    with pytest.raises(DrawStateError, match="never cancelled"):
        s.cancel("d-2026-01", "too late to cancel")
    assert world.storage.tree_size() == 4
    view = draw_view(s.draw("d-2026-01"))
    assert view["status"] == "drawn"
    assert view["commitment"]["tree_size"] == 3


def test_announce_refusals_change_nothing(world: World) -> None:
    s = world.service
    size = world.storage.tree_size()
    soon = int(world.clock() - GENESIS) + 1 + 5  # published 5 s from now
    with pytest.raises(TooLateError, match=r"needs at least 30 s"):
        s.announce(world.plan(beacon={"round": soon}))
    with pytest.raises(PlanError, match="no logged snapshot 'nope'"):
        s.announce(world.plan(units="nope"))
    with pytest.raises(PlanError, match=r"units\.root"):
        s.announce(world.plan(units={"snapshot": "units-2026-01", "root": "00" * 32}))
    with pytest.raises(PlanError, match="kind inspectors, not units"):
        s.announce(world.plan(units="inspectors-2026-01"))
    with pytest.raises(AnnounceError, match="draw_id"):
        s.announce(world.plan(draw_id="摇号-1"))
    with pytest.raises(AnnounceError, match="ratio"):
        s.announce(world.plan(strata=[{"name": "a", "match": {}, "quota": {"ratio": "01/4"}}]))
    with pytest.raises(PlanError, match=r"beacon\.local"):
        s.announce(world.plan(beacon={"local": False}))
    with pytest.raises(AnnounceError, match="unknown field"):
        s.announce(world.plan(colour="red"))
    with pytest.raises(PlanError, match="no draw 'ghost' to supersede"):
        s.announce(world.plan(supersedes="ghost"))
    assert world.storage.tree_size() == size
    assert s.draws() == []
    s.announce(world.plan())
    with pytest.raises(PlanError, match="exists already"):
        s.announce(world.plan())


def test_commitment_rule(world: World) -> None:
    s = world.service
    draw = s.announce(world.plan())
    with pytest.raises(CommitmentError, match="no co-signed checkpoint covers"):
        s.execute(draw.draw_id)
    # the witnesses only get to cosign 5 s before the round: less than the 10 s margin
    world.clock.now = draw.round_time - 5
    s.publish_checkpoint()
    with pytest.raises(CommitmentError, match="cannot proceed") as e:
        s.execute(draw.draw_id)
    assert set(e.value.reasons) == {"w1.example", "w2.example"}
    assert "timestamped after" in e.value.reasons["w1.example"]
    assert s.draw(draw.draw_id).status == "announced"
    assert world.storage.tree_size() == 3


def test_one_late_witness_is_enough_to_refuse(world: World) -> None:
    s = world.service
    draw = s.announce(world.plan())
    world.witnesses.skew["w2.example"] = draw.round_time - world.clock() - 3  # w2's clock late
    s.publish_checkpoint()
    with pytest.raises(CommitmentError) as e:
        s.check_commitment(draw.draw_id)
    assert list(e.value.reasons) == ["w2.example"]


def test_publish_fails_closed(world: World) -> None:
    s = world.service
    s.announce(world.plan())
    world.witnesses.down.add("w2.example")
    with pytest.raises(CheckpointNotCosignedError, match="nothing was published") as e:
        s.publish_checkpoint()
    assert e.value.reasons == {"w2.example": "down"}
    assert world.storage.latest_checkpoint(cosigned_only=True) is None
    assert s.draw("d-2026-01").commitment_note is None


def test_beacon_never_comes(world: World) -> None:
    s = world.service
    draw = s.announce(world.plan())
    s.publish_checkpoint()

    class Dead(LocalBeaconSource):
        def get(self, round: int) -> Any:
            from draw_engine.beacon_errors import BeaconUnavailableError

            raise BeaconUnavailableError("GET http://relay/public/x: ConnectionError")

    world.service.beacon = Dead(generate_local_key(genesis_time=GENESIS, period=1),
                                clock=world.clock)
    world.service.beacon._chain = world.source.chain  # same chain, unreachable relay
    with pytest.raises(BeaconWaitError, match="nothing was appended"):
        s.execute(draw.draw_id, timeout=5)
    assert world.clock() >= draw.round_time + 5
    assert s.draw(draw.draw_id).status == "announced"
    assert world.storage.tree_size() == 3


def test_cancel_and_supersede(world: World) -> None:
    s = world.service
    s.announce(world.plan())
    with pytest.raises(SupersedeError, match=r"supersede-uncancelled: .* cancel it") as e:
        s.announce(world.plan("d-2026-01b", supersedes="d-2026-01"))
    assert (e.value.rule, e.value.field) == ("supersede-uncancelled", "supersedes")
    with pytest.raises(AnnounceError, match="reason"):
        s.cancel("d-2026-01", "")
    report = s.cancel("d-2026-01", "registry error found before the round")
    cancelled = report.draw
    assert cancelled.status == "cancelled"
    assert s.entry(cancelled.cancel_index or 0)["reason"].startswith("registry error")
    # never committed (no checkpoint before the cancel), yet a checkpoint now covers it
    assert report.committed is False
    assert report.checkpoint is not None
    assert report.checkpoint.tree_size == (cancelled.cancel_index or 0) + 1
    assert report.in_time
    assert not report.needs_attention
    assert world.storage.latest_checkpoint(cosigned_only=True).note == report.checkpoint.note
    assert s.draw("d-2026-01").commitment_note is None  # a cancelled draw is never committed
    with pytest.raises(DrawStateError, match="cancelled"):
        s.execute("d-2026-01")
    with pytest.raises(DrawStateError, match="cancelled"):
        s.cancel("d-2026-01", "twice")
    redraw = s.announce(world.plan("d-2026-01b", supersedes="d-2026-01"))
    assert s.draw("d-2026-01").status == "superseded"
    assert s.draw("d-2026-01").superseded_by == "d-2026-01b"
    assert s.entry(redraw.announce_index)["supersedes"] == "d-2026-01"
    with pytest.raises(SupersedeError, match=r"superseded-twice: .*already superseded"):
        s.announce(world.plan("d-2026-01c", supersedes="d-2026-01"))
    with pytest.raises(UnknownDrawError):
        s.cancel("ghost", "x")


def _state(world: World) -> tuple[int, Any, list[Any], list[Any]]:
    """Everything a refusal must leave alone: log size, latest checkpoint, store rows."""
    cp = world.storage.latest_checkpoint()
    return (world.storage.tree_size(), cp and cp.note, world.service.draws(),
            world.service.outcomes())


def _committed_draw(world: World) -> DrawRecord:
    draw = world.service.announce(world.plan())
    assert world.service.publish_checkpoint().committed == (draw.draw_id,)
    return world.service.draw(draw.draw_id)


def test_cancel_of_a_committed_draw_just_before_its_deadline(world: World) -> None:
    s = world.service
    draw = _committed_draw(world)
    deadline = draw.round_time - SETTINGS.commitment_margin
    world.clock.now = deadline - 1
    report = s.cancel(draw.draw_id, "the unit registry was found incomplete")
    assert report.committed
    assert report.deadline == deadline
    assert report.draw.status == "cancelled"
    assert report.checkpoint is not None
    assert report.checkpoint.tree_size > (report.draw.cancel_index or 0)
    assert report.in_time
    assert not report.needs_attention
    view = cancel_view(report)
    assert view["cancel_proof"]["in_time"] is True
    assert "warning" not in view
    # its proof is in time: a redraw may supersede it, even after the old deadline
    world.clock.now = draw.round_time + 5
    redraw = s.announce(world.plan("d-2026-01b", supersedes=draw.draw_id))
    assert s.draw(draw.draw_id).superseded_by == redraw.draw_id


@pytest.mark.parametrize("after", [0, 0.5, 10, 3600])
def test_cancel_of_a_committed_draw_after_its_deadline_is_refused(world: World,
                                                                   after: float) -> None:
    s = world.service
    draw = _committed_draw(world)
    deadline = draw.round_time - SETTINGS.commitment_margin
    world.clock.now = deadline + after
    before = _state(world)
    with pytest.raises(CancelTooLateError) as e:
        s.cancel(draw.draw_id, "we would rather draw again")
    assert isinstance(e.value, DrawStateError)
    message = str(e.value)
    assert format_utc(draw.round_time) in message
    assert format_utc(deadline) in message
    assert "10 s margin" in message
    assert "must be executed" in message
    assert (e.value.round, e.value.deadline, e.value.margin) == (
        draw.beacon_round, deadline, SETTINGS.commitment_margin)
    assert _state(world) == before
    # nor can a redraw supersede it; it is executed as committed
    with pytest.raises(SupersedeError, match="supersede-uncancelled"):
        s.announce(world.plan("d-2026-01b", supersedes=draw.draw_id))
    assert _state(world) == before
    if after < 3600:
        assert s.execute(draw.draw_id).status == "drawn"


def test_a_draw_whose_commitment_was_missed_can_be_cancelled_late(world: World) -> None:
    s = world.service
    never = s.announce(world.plan())
    late = s.announce(world.plan("d-late"))
    world.clock.now = late.round_time - 5  # co-signed inside the 10 s margin: too late
    assert set(s.publish_checkpoint().committed) == {never.draw_id, late.draw_id}
    with pytest.raises(CommitmentError, match="cannot proceed"):
        s.check_commitment(late.draw_id)
    world.clock.now = late.round_time + 120  # the randomness is public by now
    for draw in (never, late):
        report = s.cancel(draw.draw_id, "commitment missed: it can never be executed")
        assert report.draw.status == "cancelled"
        assert report.committed is False
        assert not report.in_time  # the checkpoint is late, which does not matter here
        assert not report.needs_attention
        assert "warning" not in cancel_view(report)
    # and a draw that was never announced in time, now cancelled, may be redrawn
    redraw = s.announce(world.plan("d-2026-01b", supersedes=never.draw_id))
    assert s.draw(never.draw_id).superseded_by == redraw.draw_id


def test_cancel_whose_checkpoint_the_witnesses_refuse(world: World) -> None:
    s = world.service
    draw = _committed_draw(world)
    size = world.storage.tree_size()
    deadline = draw.round_time - SETTINGS.commitment_margin
    world.witnesses.down.add("w2.example")
    report = s.cancel(draw.draw_id, "a unit list error was found")
    # the cancel is logged (nothing is ever deleted) but not proven to come in time
    assert world.storage.tree_size() == size + 1
    assert s.draw(draw.draw_id).status == "cancelled"
    assert report.checkpoint is None
    assert report.needs_attention
    assert report.reasons == {"w2.example": "down"}
    view = cancel_view(report)
    assert view["cancel_proof"]["checkpoint"] is None
    assert "NOT proven" in view["warning"]
    assert format_utc(deadline) in view["warning"]
    assert "late-cancel" in view["warning"]
    assert world.storage.latest_checkpoint(cosigned_only=True).tree_size <= (
        report.draw.cancel_index or 0)
    # once the deadline has passed no checkpoint can prove it: a redraw would be red
    world.clock.now = deadline
    before = _state(world)
    with pytest.raises(SupersedeError, match=r"supersede-uncancelled: .*covered by no co-signed"):
        s.announce(world.plan("d-2026-01b", supersedes=draw.draw_id))
    assert _state(world) == before


def test_cancel_whose_checkpoint_comes_late_is_reported(world: World) -> None:
    s = world.service
    draw = _committed_draw(world)
    deadline = draw.round_time - SETTINGS.commitment_margin
    world.clock.now = deadline - 1
    world.witnesses.skew["w2.example"] = 5  # w2 co-signs the cancel's checkpoint too late
    report = s.cancel(draw.draw_id, "plan changed")
    assert report.checkpoint is not None
    assert not report.in_time
    assert report.needs_attention
    assert "timestamped after" in report.reasons["w2.example"]
    assert "not co-signed by the witness quorum by" in (report.problem or "")


def test_cancel_of_a_drawn_draw_is_refused(world: World) -> None:
    s = world.service
    draw = _committed_draw(world)
    s.execute(draw.draw_id)
    before = _state(world)
    with pytest.raises(DrawStateError, match="has its result at log index 3; a drawn draw is "
                                             "never cancelled"):
        s.cancel(draw.draw_id, "we do not like the result")
    assert _state(world) == before


def test_supersede_refusals_change_nothing(world: World) -> None:
    s = world.service
    draw = _committed_draw(world)
    s.execute(draw.draw_id)
    s.announce(world.plan("d-other"))
    before = _state(world)
    cases = [
        (world.plan("d-2026-01b", supersedes=draw.draw_id), "supersede-drawn",
         "has its result .*its result stands"),
        (world.plan("d-self", supersedes="d-self"), "self-supersede", "cannot supersede itself"),
        (world.plan("d-2026-01b", supersedes="ghost"), "supersede-unknown",
         "no draw 'ghost' to supersede"),
        (world.plan("d-2026-01b", supersedes="d-other"), "supersede-uncancelled",
         "still announced"),
    ]
    for plan, rule, message in cases:
        with pytest.raises(SupersedeError, match=f"{rule}: .*{message}") as e:
            s.plan_draw(plan)
        assert e.value.rule == rule
        with pytest.raises(SupersedeError, match=rule):
            s.announce(plan)
        assert _state(world) == before
    # a re-announce of an existing id stays refused, with or without supersedes
    for plan in (world.plan(), world.plan(supersedes=draw.draw_id)):
        with pytest.raises(PlanError, match="exists already"):
            s.announce(plan)
    assert _state(world) == before


def test_outcomes_and_return_visit(world: World) -> None:
    s = world.service
    s.announce(world.plan())
    s.publish_checkpoint()
    s.execute("d-2026-01")
    result = s.entry(s.draw("d-2026-01").result_index or 0)
    chosen = [e["unit_id"] for e in result["selected"]]
    evidence = ["ab" * 32]
    world.clock.now = GENESIS + 41 * 86400  # 2026-02-11: outcomes are never dated ahead
    for i, unit in enumerate(chosen):
        res = ("compliant", "penalised", "not_inspected", "rectification_ordered")[i % 4]
        s.record_outcome("d-2026-01", unit, date="2026-02-10", result=res,
                         note="现场检查", evidence_sha256=evidence)
    with pytest.raises(DrawStateError, match="already has an outcome"):
        s.record_outcome("d-2026-01", chosen[0], date="2026-02-10", result="penalised")
    not_chosen = next(f"U{i:03d}" for i in range(1, 41) if f"U{i:03d}" not in chosen
                      and f"U{i:03d}" not in {u for st in result["strata"] for u in st["reserve"]})
    size = world.storage.tree_size()
    for kwargs, field in [
        ({"unit_id": not_chosen, "result": "compliant", "date": "2026-02-10"}, "unit_id"),
        ({"unit_id": chosen[1], "result": "fined", "date": "2026-02-10"}, "result"),
        ({"unit_id": chosen[1], "result": "compliant", "date": "2026-02-30"}, "date"),
        ({"unit_id": chosen[1], "result": "compliant", "date": "2026-02-10",
          "evidence_sha256": ["AB" * 32]}, "evidence_sha256[0]"),
    ]:
        unit = kwargs.pop("unit_id")
        with pytest.raises((PlanError, AnnounceError)) as e:
            s.record_outcome("d-2026-01", unit, **kwargs)
        assert e.value.field == field
    assert world.storage.tree_size() == size

    snap = s.create_return_visit_snapshot("2026Q1")
    inspected = [u for i, u in enumerate(chosen) if i % 4 != 2]
    records = parse_records(snap.records).records
    assert [r["id"] for r in records] == sorted(inspected)
    assert {r["inspection_draw"] for r in records} == {"d-2026-01"}
    with pytest.raises(PlanError, match="no unit was inspected"):
        s.create_return_visit_snapshot("2026Q2")
    plan = return_visit_plan("2026Q1", draw_id="rv-2026Q1", snapshot=snap.name,
                             title="一季度回访", authority="纪委监委")
    rv = s.announce(plan)
    announce = s.entry(rv.announce_index)
    assert announce["kind"] == "return_visit"
    assert announce["strata"][0]["quota"] == {"ratio": "1/10"}
    assert announce["units"]["count"] == len(inspected)
    s.publish_checkpoint()
    s.execute("rv-2026Q1")
    rv_result = s.entry(s.draw("rv-2026Q1").result_index or 0)
    assert rv_result["strata"][0]["k"] == -(-len(inspected) // 10)
    assert quarter_range("2026Q4") == ("2026-10-01", "2026-12-31")


def test_registry_versions_and_bad_import(world: World) -> None:
    s = world.service
    smaller = b"\n".join(UNITS_CSV.split(b"\n")[:-3]) + b"\n"  # U040 and U099 dropped
    v = s.import_registry("units", smaller, fmt="csv", source_name="units-feb.csv")
    assert v.version == 2
    assert v.count == 41
    assert b'"id":"U040"' in v.records
    assert b'"status":"defunct"' in v.records
    bad = "id,name,brigade,status,risk_level\n单位,x,y,active,low\n".encode()
    with pytest.raises(ValidationError, match="row 2"):
        s.import_registry("units", bad, fmt="csv", source_name="bad.csv")
    s2 = s.create_snapshot("units", "units-2026-02")
    assert s2.prev == "units-2026-01"
    assert s.entry(s2.log_index or 0)["diff"] == {"added": 0, "removed": 0, "changed": 1, "ids": {
        "added": [], "removed": [], "changed": [{"id": "U040", "fields": ["status"]}],
        "retired": ["U040"], "reactivated": []}}
    with pytest.raises(PlanError, match="exists already"):
        s.create_snapshot("units", "units-2026-02")


def test_sync_repairs_the_index(world: World) -> None:
    """A crash between the log append and the index update is repaired by sync()."""
    s = world.service
    s.announce(world.plan())
    s.publish_checkpoint()
    s.execute("d-2026-01")
    fresh = world.make_service(MemoryDrawStore())
    fresh.sync()
    assert [(d.draw_id, d.status, d.result_index) for d in fresh.draws()] == [
        ("d-2026-01", "drawn", 3)]
    with pytest.raises(SecondResultError):
        fresh.execute("d-2026-01")


def test_pipeline_with_demo_shaped_records(world: World) -> None:
    """What the demo calls: records in memory, snapshots, then the whole pipeline."""
    from fairdraw import demo_registry

    s = world.service
    v = s.import_records("inspectors", demo_registry.generate_inspectors(),
                         source_name="demo", allow_mass_removal=True)
    assert v.version == 2
    s.create_snapshot("inspectors", "inspectors-demo")
    waits: list[float] = []
    out = run_draw_pipeline(s, world.plan(inspectors="inspectors-demo", zones=demo_registry.ZONES,
                                          teams=demo_registry.routine_teams(), recusals=[]),
                            on_wait=lambda _m, waited, _t: waits.append(waited))
    assert out.draw.status == "drawn"
    assert out.announce_checkpoint.committed == ("d-2026-01",)
    assert out.result_checkpoint.tree_size == world.storage.tree_size() == 5
    assert waits


def test_result_too_large_for_one_entry_is_refused_before_the_round(world: World) -> None:
    s = world.service
    many = "".join(f"X{i:05d},n,b,active,low\n" for i in range(3000))
    s.import_registry("units", f"id,name,brigade,status,risk_level\n{many}".encode(),
                      fmt="csv", source_name="big.csv", allow_mass_removal=True)
    s.create_snapshot("units", "units-big")
    big = world.plan(units="units-big",
                     strata=[{"name": "all", "match": {}, "quota": {"ratio": "1/4"}}])
    with pytest.raises(PlanError, match="split the draw into batches"):
        s.announce(big)


AUTH = {"authorization": "Bearer operator-token"}


def _client(world: World) -> Any:
    from fastapi import FastAPI, Header, HTTPException
    from fastapi.testclient import TestClient

    from draw_engine.api import create_routers
    from fairdraw.http_errors import install_error_handlers

    def require_role(role: str) -> Callable[..., str]:
        # as fairdraw.auth GRANTS: an operator token also passes the commission's routes
        tokens = {f"Bearer {role}-token"} | (
            {"Bearer operator-token"} if role == "commission" else set())

        def dependency(authorization: str = Header(default="")) -> str:
            if authorization not in tokens:
                raise HTTPException(401, detail="no token")
            return role
        return dependency

    app = FastAPI()
    install_error_handlers(app)  # the service's one error table (fairdraw.http_errors)
    for router in create_routers(world.service, require_role, max_upload=4096):
        app.include_router(router, prefix="/api")
    return TestClient(app)


def test_api_routes(world: World) -> None:
    client = _client(world)
    auth = AUTH
    assert client.post("/api/draws", json=world.plan()).status_code == 401
    r = client.post("/api/registries/units/import?format=csv&source_name=u.csv",
                    content=UNITS_CSV, headers=auth)
    assert r.status_code == 200
    assert r.json()["version"] == 2
    r = client.post("/api/registries/units/import?format=csv", content=b"x" * 5000,
                    headers=auth)
    assert r.status_code == 413
    r = client.post("/api/registries/units/import?format=csv",
                    content=b"id,name\nU1,x\n", headers=auth)
    assert r.status_code == 400
    assert r.json()["detail"]["problems"]
    r = client.post("/api/draws", json=world.plan(beacon={"round": 2}), headers=auth)
    assert r.status_code == 400
    assert r.json()["detail"]["field"] == "beacon.round"
    r = client.post("/api/draws", json=world.plan(), headers=auth)
    assert r.status_code == 201
    assert r.json()["status"] == "announced"
    r = client.post("/api/draws/d-2026-01/execute", json={}, headers=auth)
    assert r.status_code == 409
    assert client.post("/api/checkpoints/publish", headers=auth).json()["committed"] == [
        "d-2026-01"]
    assert client.get("/api/draws/d-2026-01/commitment").status_code == 200
    assert client.post("/api/draws/d-2026-01/execute", json={}, headers=auth).json()[
        "status"] == "drawn"
    assert client.post("/api/draws/d-2026-01/execute", json={}, headers=auth).status_code == 409
    assert client.post("/api/draws/nope/cancel", json={"reason": "x"},
                       headers=auth).status_code == 404
    listed = client.get("/api/draws").json()
    assert [d["status"] for d in listed] == ["drawn"]
    assert [s["name"] for s in client.get("/api/snapshots").json()] == [
        "units-2026-01", "inspectors-2026-01"]


def test_api_cancel_and_supersede(world: World) -> None:
    client = _client(world)
    s = world.service
    early, late, dark = (_committed_draw(world), s.announce(world.plan("d-late")),
                         s.announce(world.plan("d-dark")))
    s.publish_checkpoint()
    deadline = early.round_time - SETTINGS.commitment_margin
    world.clock.now = deadline - 1
    r = client.post(f"/api/draws/{early.draw_id}/cancel", json={"reason": "plan changed"},
                    headers=AUTH)
    assert r.status_code == 200
    assert r.json()["status"] == "cancelled"
    assert r.json()["cancel_proof"]["in_time"] is True
    assert r.json()["cancel_proof"]["checkpoint"]["tree_size"] == world.storage.tree_size()
    world.witnesses.down.add("w1.example")  # the cancel is logged, its proof is missing
    r = client.post(f"/api/draws/{dark.draw_id}/cancel", json={"reason": "plan changed"},
                    headers=AUTH)
    assert r.status_code == 202
    assert r.json()["status"] == "cancelled"
    assert r.json()["cancel_proof"]["reasons"] == {"w1.example": "down"}
    assert "NOT proven" in r.json()["warning"]
    world.witnesses.down.clear()
    world.clock.now = late.round_time - SETTINGS.commitment_margin
    before = _state(world)
    r = client.post("/api/draws/d-late/cancel", json={"reason": "too late"}, headers=AUTH)
    assert r.status_code == 409
    detail = r.json()["detail"]
    assert detail["error"] == "CancelTooLateError"
    assert detail["deadline"] == format_utc(late.round_time - SETTINGS.commitment_margin)
    assert detail["margin"] == SETTINGS.commitment_margin
    assert "must be executed" in detail["message"]
    r = client.post("/api/draws", json=world.plan("d-2026-01b", supersedes="d-2026-01b"),
                    headers=AUTH)
    assert r.status_code == 400
    assert (r.json()["detail"]["field"], r.json()["detail"]["rule"]) == (
        "supersedes", "self-supersede")
    assert _state(world) == before
