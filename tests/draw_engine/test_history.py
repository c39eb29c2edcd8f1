"""The draw history (draw_engine/history.py, entries.py) against tests/vectors/history/*.json.

The same files drive public_portal/static/js/history.js (tests/public_portal/js/
history.test.mjs). Beyond the vectors: Hypothesis properties (permuting or
replacing the entries unrelated to a draw never changes its verdict; the
one-pass `draw_histories` and a naive restatement of the spec agree with
`draw_history` on random logs) and the entry parser's refusals.
"""

from __future__ import annotations

import random
import re
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from draw_engine.canonical import canonical_json
from draw_engine.entries import (
    ENTRY_TYPES,
    AnnounceRef,
    ClosingRef,
    OutcomeRef,
    SnapshotRef,
    entry_type,
    format_utc,
    parse_entry,
    parse_utc_seconds,
)
from draw_engine.errors import EntryError, FormatError, HistoryError, VerificationError
from draw_engine.history import (
    CheckpointTime,
    DrawHistory,
    cancel_fate,
    check_announce,
    check_history,
    check_outcomes,
    check_results,
    draw_histories,
    draw_history,
    quorum_time,
)
from tests.conftest import VECTORS, load_vectors
from witnesses.policy import parse_policy, policy_from_json

FILES = sorted((VECTORS / "history").glob("*.json"))
RULE_CASES = [v for f in FILES if (d := load_vectors(f"history/{f.name}"))["function"] == "history"
              for v in d["vectors"]]
OUTCOME_CASES = [v for f in FILES if (d := load_vectors(f"history/{f.name}"))["function"]
                 == "outcomes" for v in d["vectors"]]
QUORUM_FILES = [d for f in FILES if (d := load_vectors(f"history/{f.name}"))["function"]
                == "quorum_time"]
RULES = {"announce-missing", "announce-twice", "self-supersede", "result-mismatch",
         "second-result", "drawn-and-cancelled", "late-cancel", "supersede-unknown",
         "supersede-drawn", "supersede-uncancelled", "superseded-twice"}


def checkpoint_times(cps: list[dict[str, Any]]) -> list[CheckpointTime]:
    return [CheckpointTime(c["tree_size"], None if c["quorum_time"] is None
                           else parse_utc_seconds(c["quorum_time"])) for c in cps]


def own_round_time(entries: Any, h: DrawHistory) -> int:
    return parse_utc_seconds(entries[h.announces[0]]["beacon"]["round_time"]) if h.announces else 0


def outcome(fn: Any) -> dict[str, Any]:
    try:
        return {"ok": fn()}
    except HistoryError as e:
        return {"rule": e.rule, "message": str(e)}
    except EntryError as e:
        return {"error": "EntryError", "message": str(e)}


def verdicts(entries: Any, draw_id: str, cps: list[CheckpointTime], margin: int) -> dict[str, Any]:
    h = draw_history(entries, draw_id)
    rt = own_round_time(entries, h)
    return {
        "check_announce": outcome(lambda: check_announce(h)),
        "check_results": outcome(lambda: check_results(h)),
        "check_history": outcome(lambda: check_history(h, entries, cps, margin, rt)),
        "cancel_fate": cancel_fate(h, cps, rt),
    }


def test_vector_files_cover_every_rule_and_attack() -> None:
    assert len(RULE_CASES) >= 30
    seen = {o["rule"] for v in RULE_CASES for k, o in v["expected"].items()
            if k.startswith("check_") and "rule" in o}
    assert seen == RULES
    attacks = {v["attack"] for v in RULE_CASES if "attack" in v}
    assert attacks == {"issue 12.1", "issue 12.3", "issue 12.4"}
    assert sum("ok" in v["expected"]["check_history"] for v in RULE_CASES) >= 10


@pytest.mark.parametrize("vector", RULE_CASES, ids=[v["name"] for v in RULE_CASES])
def test_history_vector(vector: dict[str, Any]) -> None:
    entries, d = vector["entries"], vector["draw_id"]
    h = draw_history(entries, d)
    want = vector["expected"]
    assert {"announces": list(h.announces), "results": list(h.results),
            "cancels": list(h.cancels), "superseded_by": list(h.superseded_by),
            "supersedes": h.supersedes} == want["history"]
    got = verdicts(entries, d, checkpoint_times(vector["checkpoints"]), vector["margin_seconds"])
    assert got == {k: want[k] for k in got}
    # A Mapping of entries reads the same as the list; the one-pass index agrees.
    assert draw_history(dict(enumerate(entries)), d) == h
    if d in (every := draw_histories(entries)):
        assert every[d] == h


@pytest.mark.parametrize("data", QUORUM_FILES, ids=lambda d: d["title"][:20])
def test_quorum_time_vectors(data: dict[str, Any]) -> None:
    for v in data["vectors"]:
        policy = policy_from_json(data["policies"][v["policy"]])
        assert quorum_time(v["timestamps"], policy) == v["quorum_time"], v


def test_quorum_none_proves_no_time() -> None:
    policy = parse_policy("quorum none\n")
    assert quorum_time({}, policy) == 0
    assert quorum_time({"w1": 5}, policy) == 0


def test_history_error_shape() -> None:
    with pytest.raises(HistoryError) as info:
        check_announce(draw_history([], "A"))
    e = info.value
    assert isinstance(e, VerificationError)
    assert e.rule == "announce-missing"
    assert str(e).startswith("announce-missing: ")
    assert e.evidence == {"draw_id": "A", "entries": 0}


@pytest.mark.parametrize("margin", [-60, 1.5, "60", None, True])
def test_margin_must_be_a_non_negative_integer(margin: Any) -> None:
    entries = [{"type": "draw.announce", "v": 1, "draw_id": "A", "supersedes": None,
                "beacon": {"round": 1, "round_time": "2030-01-01T00:00:00Z"}}]
    with pytest.raises(FormatError, match="margin_seconds"):
        check_history(draw_history(entries, "A"), entries, [], margin, 0)


def test_supersedes_must_be_an_id_or_null() -> None:
    entries = [{"type": "draw.announce", "v": 1, "draw_id": "A", "supersedes": 7}]
    with pytest.raises(EntryError) as info:
        draw_history(entries, "A")
    assert info.value.field == "supersedes"


# -- entries ----------------------------------------------------------------------------------


def test_parse_entry_and_classify() -> None:
    entry = {"type": "draw.result", "v": 1, "draw_id": "A", "announce_index": 0}
    data = canonical_json(entry)
    assert parse_entry(data) == entry
    assert entry_type(data) == entry_type(entry) == "draw.result"
    assert ENTRY_TYPES == ("registry.snapshot", "draw.announce", "draw.result", "draw.cancel",
                           "inspection.outcome")
    for text, message in [
        (b'{"v":1,"type":"x"}', "log entry is not canonical JSON (RFC 8785)"),
        (b"[1]", 'log entry is not an object with "type" and "v": 1'),
        (b'{"type":"draw.result","v":2}', 'log entry is not an object with "type" and "v": 1'),
        (b'{"f":1.5,"type":"x","v":1}', "log entry is not JSON in our subset: "),
        (b'{"type":', "log entry is not JSON in our subset: "),
        (b"{\xff}", "log entry is not JSON in our subset: "),
    ]:
        with pytest.raises(EntryError) as info:
            parse_entry(text)
        assert str(info.value).startswith(message), text
        assert entry_type(text) is None
    assert entry_type({"type": "draw.other", "v": 1}) is None
    assert entry_type({"type": "draw.cancel", "v": 2}) is None
    assert entry_type(None) is None


@pytest.mark.parametrize("bad", ["2030-02-30T00:00:00Z", "2030-01-01T00:00:60Z",
                                 "2030-01-01 00:00:00Z", "2030-01-01T00:00:00+00:00",
                                 "0000-01-01T00:00:00Z", "2030-1-01T00:00:00Z",
                                 "２０３０-01-01T00:00:00Z", 1893456000, None])
def test_parse_utc_seconds_is_strict(bad: Any) -> None:
    with pytest.raises(EntryError, match=r"is not RFC 3339 UTC \(YYYY-MM-DDTHH:MM:SSZ\)$"):
        parse_utc_seconds(bad)


@given(st.integers(min_value=-62135596800, max_value=253402300799))
def test_utc_round_trip(seconds: int) -> None:
    assert parse_utc_seconds(format_utc(seconds)) == seconds


def test_typed_views() -> None:
    a = {"type": "draw.announce", "v": 1, "draw_id": "A", "kind": "routine", "supersedes": None,
         "beacon": {"round": 7, "round_time": "2030-01-01T00:00:00Z"}}
    assert AnnounceRef.of(a) == AnnounceRef("A", "routine", 7, 1893456000, None)
    with pytest.raises(EntryError) as info:
        AnnounceRef.of({**a, "beacon": {"round": 7}})
    assert info.value.field == "beacon.round_time"
    with pytest.raises(EntryError, match=re.escape(
            'entry is a "draw.announce", not a draw.result or draw.cancel')):
        ClosingRef.of(a)
    cancel = {"type": "draw.cancel", "v": 1, "draw_id": "A", "announce_index": 3}
    assert ClosingRef.of(cancel) == ClosingRef("draw.cancel", "A", 3)
    for bad in (-1, True, "3"):
        with pytest.raises(EntryError):
            ClosingRef.of({**cancel, "announce_index": bad})
    assert OutcomeRef.of({"type": "inspection.outcome", "v": 1, "draw_id": "A", "unit_id": "U1",
                          "date": "2030-01-05", "result": "compliant"}).unit_id == "U1"
    assert SnapshotRef.of({"type": "registry.snapshot", "v": 1, "snapshot": "s", "kind": "units",
                           "root": "00", "count": 2}).count == 2


# -- properties -------------------------------------------------------------------------------


def related(entries: list[Any], draw_id: str) -> set[int]:
    """Indices whose content can matter to draw_id's verdict."""
    h = draw_history(entries, draw_id)
    out = {*h.announces, *h.results, *h.cancels, *h.superseded_by}
    if h.supersedes is not None:
        old = draw_history(entries, h.supersedes)
        out |= {*old.announces, *old.results, *old.cancels, *old.superseded_by}
    return out


NOISE_IDS = ["N1", "N2", "N3"]


def noise(rng: random.Random) -> dict[str, Any] | None:
    """An entry of another draw, naming neither the draw under test nor any index of the log."""
    d = rng.choice(NOISE_IDS)
    kind = rng.randrange(6)
    if kind == 0:
        return {"type": "draw.announce", "v": 1, "draw_id": d,
                "supersedes": rng.choice([None, *NOISE_IDS]),
                "beacon": {"round": 1, "round_time": "2030-01-01T00:00:00Z"}}
    if kind in (1, 2):
        return {"type": rng.choice(["draw.result", "draw.cancel"]), "v": 1, "draw_id": d,
                "announce_index": 10**6 + rng.randrange(10)}
    if kind == 3:
        return {"type": "inspection.outcome", "v": 1, "draw_id": d, "unit_id": "U",
                "date": "2030-01-05", "result": "compliant"}
    if kind == 4:
        return {"type": "registry.snapshot", "v": 1, "snapshot": d, "kind": "units",
                "root": "00", "count": 0}
    return None


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(RULE_CASES), st.randoms(use_true_random=False), st.booleans())
def test_unrelated_entries_never_change_the_verdict(vector: dict[str, Any], rng: random.Random,
                                                    replace: bool) -> None:
    entries = list(vector["entries"])
    d, cps = vector["draw_id"], checkpoint_times(vector["checkpoints"])
    margin = vector["margin_seconds"]
    before = verdicts(entries, d, cps, margin)
    keep = related(entries, d)
    free = [i for i in range(len(entries)) if i not in keep]
    moved = [entries[i] for i in free]
    rng.shuffle(moved)
    if replace:
        moved = [noise(rng) for _ in moved]
    for i, e in zip(free, moved, strict=True):
        entries[i] = e
    assert verdicts(entries, d, cps, margin) == before
    # Appending other draws' entries after everything no checkpoint covers changes no rule.
    longer = entries + [noise(rng) for _ in range(rng.randrange(1, 6))]
    after = verdicts(longer, d, cps, margin)
    for k in ("check_announce", "check_results", "check_history"):
        assert after[k].get("rule", after[k].get("ok")) == before[k].get("rule",
                                                                         before[k].get("ok"))


IDS = ["A", "B", "C"]


@st.composite
def random_logs(draw: Any) -> list[Any]:
    n = draw(st.integers(min_value=0, max_value=12))
    out: list[Any] = []
    for _ in range(n):
        kind = draw(st.sampled_from(["draw.announce", "draw.result", "draw.cancel", "x", None]))
        d = draw(st.sampled_from([*IDS, 5]))
        if kind == "draw.announce":
            out.append({"type": kind, "v": 1, "draw_id": d,
                        "supersedes": draw(st.sampled_from([None, *IDS])),
                        "beacon": {"round": 1, "round_time": draw(st.sampled_from(
                            ["2030-01-01T12:00:00Z", "2030-01-01T13:00:00Z", "bad"]))}})
        elif kind in ("draw.result", "draw.cancel"):
            out.append({"type": kind, "v": draw(st.sampled_from([1, 1, 1, 2])), "draw_id": d,
                        "announce_index": draw(st.sampled_from([*range(n), -1, "0", None]))})
        else:
            out.append(None if kind is None else {"type": "registry.snapshot", "v": 1})
    return out


def naive_history(entries: list[Any], d: str) -> tuple[Any, ...]:
    """The spec's definitions, restated as directly as possible."""
    def is_(e: Any, t: str) -> bool:
        return isinstance(e, dict) and e.get("type") == t and e.get("v") == 1

    announces = [i for i, e in enumerate(entries) if is_(e, "draw.announce") and e["draw_id"] == d]

    def attached(e: Any) -> bool:
        ai = e.get("announce_index")
        return e.get("draw_id") == d or (type(ai) is int and ai in announces)

    results = [i for i, e in enumerate(entries) if is_(e, "draw.result") and attached(e)]
    cancels = [i for i, e in enumerate(entries) if is_(e, "draw.cancel") and attached(e)]
    superseded_by = [i for i, e in enumerate(entries)
                     if is_(e, "draw.announce") and e.get("supersedes") == d]
    return tuple(announces), tuple(results), tuple(cancels), tuple(superseded_by)


@settings(max_examples=400, deadline=None)
@given(random_logs(), st.lists(st.tuples(st.integers(0, 13),
                                         st.sampled_from([None, 0, 43000, 43140, 43200, 46800]))),
       st.sampled_from([0, 60, 600]))
def test_random_logs(entries: list[Any], raw_cps: list[tuple[int, int | None]],
                     margin: int) -> None:
    base = 1893456000  # 2030-01-01T00:00:00Z
    cps = [CheckpointTime(n, None if t is None else base + t) for n, t in raw_cps]
    every = draw_histories(entries)
    for d in IDS:
        h = draw_history(entries, d)
        assert (h.announces, h.results, h.cancels, h.superseded_by) == naive_history(entries, d)
        if d in every:
            assert every[d] == h
        else:
            assert not h.announces
            assert not h.results
            assert not h.cancels
        for got in (outcome(lambda h=h: check_announce(h)), outcome(lambda h=h: check_results(h)),
                    outcome(lambda h=h: check_history(h, entries, cps, margin, base + 43200))):
            if "rule" in got:
                assert got["rule"] in RULES
                assert got["message"].startswith(f"{got['rule']}: ")
            elif "error" in got:  # only the superseded draw's "bad" round_time
                assert got["message"].startswith('"bad" is not RFC 3339')
        fate = cancel_fate(h, cps, base + 43200)
        assert fate is None or isinstance(fate, int)


def test_vectors_are_generated_from_the_committed_generator() -> None:
    from tests.draw_engine import gen_history_vectors

    for name, data in gen_history_vectors.files().items():
        assert load_vectors(f"history/{name}") == data, f"{name} is stale: re-run the generator"
    assert Path(gen_history_vectors.OUT) == VECTORS / "history"


@pytest.mark.parametrize("vector", OUTCOME_CASES, ids=lambda v: v["name"])
def test_outcome_vector(vector: dict[str, Any]) -> None:
    try:
        h = check_outcomes(vector["entries"], vector["draw_id"])
    except HistoryError as e:
        got: dict[str, Any] = {"rule": e.rule, "message": str(e)}
    except EntryError as e:
        got = {"error": "EntryError", "message": str(e)}
    else:
        got = {"ok": {"outcomes": list(h.outcomes),
                      "superseded_by": {str(k): v for k, v in h.superseded_by.items()},
                      "current": dict(h.current)}}
    assert got == vector["expected"]


def test_outcome_vectors_cover_every_rule() -> None:
    rules = {v["expected"].get("rule") for v in OUTCOME_CASES} - {None}
    assert rules == {"outcome-twice", "outcome-supersede-unknown", "outcome-superseded-twice"}
    assert sum("ok" in v["expected"] for v in OUTCOME_CASES) >= 4
