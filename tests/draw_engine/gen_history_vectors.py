"""Generate tests/vectors/history/*.json: the draw-history rules (docs/spec/verification.md).

Run `python -m tests.draw_engine.gen_history_vectors` (add `--check` to only
compare with the committed files). Each case below is written by hand with the
verdict it must get per function (`ok` or the rule name); the generator runs
the Python implementation, refuses to write if a verdict differs from the
hand-written one, and records the Python message and return values so that the
browser implementation (public_portal/static/js/history.js) is held to the same
text. Entries carry only the fields the history reads (`type`, `v`, `draw_id`,
`announce_index`, `supersedes`, `beacon.round_time`, `reason`); a filler
`registry.snapshot` or `inspection.outcome` stands for the rest of a log.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from draw_engine.entries import announce_round_time, parse_utc_seconds
from draw_engine.errors import EntryError, HistoryError
from draw_engine.history import (
    CheckpointTime,
    cancel_fate,
    check_announce,
    check_history,
    check_outcomes,
    check_results,
    draw_history,
    quorum_time,
)
from witnesses.cosignature import CosignerKey
from witnesses.policy import policy_from_json

OUT = Path(__file__).resolve().parents[1] / "vectors" / "history"
ROUND = "2030-01-01T12:00:00Z"  # round time of draw A; deadline with margin 60 s: 11:59:00
LATER = "2030-01-02T12:00:00Z"

Entry = dict[str, Any]


def ann(draw_id: str, *, supersedes: str | None = None, round_time: str = ROUND) -> Entry:
    return {"type": "draw.announce", "v": 1, "draw_id": draw_id, "supersedes": supersedes,
            "beacon": {"round": 1000, "round_time": round_time}}


def res(draw_id: str, announce_index: int) -> Entry:
    return {"type": "draw.result", "v": 1, "draw_id": draw_id, "announce_index": announce_index}


def can(draw_id: str, announce_index: int) -> Entry:
    return {"type": "draw.cancel", "v": 1, "draw_id": draw_id, "announce_index": announce_index,
            "reason": "venue closed"}


def snap(name: str) -> Entry:
    return {"type": "registry.snapshot", "v": 1, "snapshot": name, "kind": "units",
            "root": "00" * 32, "count": 0}


def outcome(draw_id: str, unit_id: str) -> Entry:
    return {"type": "inspection.outcome", "v": 1, "draw_id": draw_id, "unit_id": unit_id,
            "date": "2030-01-05", "result": "compliant"}


def cp(tree_size: int, quorum_time: str | None) -> dict[str, Any]:
    return {"tree_size": tree_size, "quorum_time": quorum_time}


def at(hhmmss: str, day: str = "2030-01-01") -> str:
    return f"{day}T{hhmmss}Z"


# Each case: name, description, entries, draw_id, checkpoints, then the hand-written verdicts
# (check_announce, check_results, check_history: "ok" or a rule name or "EntryError") and the
# expected cancel fate (minutes, or None).
CASES: list[dict[str, Any]] = []


def case(name: str, description: str, entries: list[Entry | None], draw_id: str,
         checkpoints: list[dict[str, Any]], verdicts: tuple[str, str, str],
         fate: int | None = None, margin: int = 60, attack: str | None = None) -> None:
    CASES.append({"name": name, "description": description, "attack": attack,
                  "entries": entries, "draw_id": draw_id, "checkpoints": checkpoints,
                  "margin_seconds": margin, "verdicts": verdicts, "fate": fate})


OK = ("ok", "ok", "ok")

# -- good histories ---------------------------------------------------------------------------

case("plain-drawn", "announce committed at 10:00, result after the round",
     [snap("u1"), ann("A"), res("A", 1), outcome("A", "U1")], "A",
     [cp(2, at("10:00:00")), cp(4, at("12:05:00"))], OK)
case("pending", "announce committed, no result yet: the log is still scanned",
     [snap("u1"), ann("A")], "A", [cp(2, at("10:00:00"))], OK)
case("pending-no-checkpoint", "an announce no checkpoint covers yet", [ann("A")], "A", [], OK)
A_CANCEL_REDRAW = [snap("u1"), ann("A"), can("A", 1), ann("B", supersedes="A", round_time=LATER),
                   res("B", 3)]
A_CANCEL_CPS = [cp(2, at("10:00:00")), cp(3, at("11:00:00")), cp(4, at("13:00:00")),
                cp(5, at("12:05:00", "2030-01-02"))]
case("cancel-before-deadline", "committed draw cancelled (co-signed 11:00) before round − margin",
     A_CANCEL_REDRAW, "A", A_CANCEL_CPS, OK, fate=60)
case("redraw-after-timely-cancel", "the new draw names the cancelled one in supersedes",
     A_CANCEL_REDRAW, "B", A_CANCEL_CPS, OK)
case("cancel-at-deadline", "cancel co-signed exactly at round time − margin is in time",
     [ann("A"), can("A", 0)], "A", [cp(1, at("10:00:00")), cp(2, at("11:59:00"))], OK, fate=1)
case("uncommitted-cancelled-late", "commitment missed (first quorum 12:30): may be cancelled late",
     [ann("A"), can("A", 0), ann("B", supersedes="A", round_time=LATER)], "A",
     [cp(1, at("12:30:00")), cp(2, at("13:00:00")), cp(3, at("13:10:00"))], OK, fate=-60)
case("redraw-of-uncommitted", "superseding a draw that was never committed, cancelled late",
     [ann("A"), can("A", 0), ann("B", supersedes="A", round_time=LATER)], "B",
     [cp(1, at("12:30:00")), cp(2, at("13:00:00")), cp(3, at("13:10:00"))], OK)
case("uncommitted-no-quorum", "the only checkpoint covering the announce never met its quorum",
     [ann("A"), can("A", 0)], "A", [cp(1, None), cp(2, at("13:00:00"))], OK, fate=-60)
case("interleaved-draws", "other draws' announces, results, cancels and outcomes around A",
     [ann("X"), snap("u1"), ann("A"), res("X", 0), ann("Y"), can("Y", 4), res("A", 2),
      outcome("X", "U7"), None, outcome("A", "U1")], "A",
     [cp(3, at("10:00:00")), cp(10, at("12:30:00"))], OK)
case("older-checkpoint-proves-timely-cancel", "a later checkpoint co-signed late does not hide "
     "an earlier one co-signed in time", [ann("A"), can("A", 0)], "A",
     [cp(2, at("12:30:00")), cp(1, at("10:00:00")), cp(2, at("11:30:00"))], OK, fate=30)

# -- attacks (issue 12 points 1, 3, 4) ----------------------------------------------------------

case("two-results", "a second draw.result for the same announce (the navigation lists one)",
     [ann("A"), res("A", 0), snap("u2"), res("A", 0)], "A", [cp(1, at("10:00:00"))],
     ("ok", "second-result", "ok"), attack="12.1")
case("hidden-result-other-id", "a result of A's announce logged under another draw id",
     [ann("A"), res("A", 0), res("Z", 0)], "A", [cp(1, at("10:00:00"))],
     ("ok", "result-mismatch", "ok"), attack="12.1")
case("result-for-other-announce", "a result names draw A but points at B's announce_index",
     [ann("A"), ann("B"), res("A", 1)], "A", [cp(2, at("10:00:00"))],
     ("ok", "result-mismatch", "ok"), attack="12.1")
case("result-for-other-announce-seen-by-b", "the same log, from draw B's page",
     [ann("A"), ann("B"), res("A", 1)], "B", [cp(2, at("10:00:00"))],
     ("ok", "result-mismatch", "ok"), attack="12.1")
case("result-before-announce", "a result logged before the announce it names",
     [res("A", 1), ann("A")], "A", [cp(2, at("10:00:00"))], ("ok", "result-mismatch", "ok"),
     attack="12.1")
case("cancel-under-other-id", "a cancel under another id pointing at A's announce",
     [ann("A"), can("Z", 0)], "A", [cp(1, at("10:00:00")), cp(2, at("10:30:00"))],
     ("ok", "result-mismatch", "ok"), fate=90, attack="12.3")
case("self-supersede-reannounce", "abandoned draw re-announced with supersedes equal to its id",
     [ann("A"), ann("A", supersedes="A")], "A", [cp(2, at("10:00:00"))],
     ("announce-twice", "ok", "announce-twice"), attack="12.3")
case("self-supersede", "the one announce of A names A in supersedes",
     [ann("A", supersedes="A")], "A", [cp(1, at("10:00:00"))], ("ok", "ok", "self-supersede"),
     attack="12.3")
case("cancel-credited-to-later-announce", "cancel of announce 0 credited to a later announce "
     "of the same id, which then gets a result",
     [ann("A"), can("A", 0), ann("A"), res("A", 2)], "A", [cp(4, at("10:00:00"))],
     ("announce-twice", "ok", "announce-twice"), fate=120, attack="12.3")
case("second-announce-without-supersede", "an id announced twice, no supersede",
     [ann("A"), snap("u2"), ann("A", round_time=LATER)], "A", [cp(3, at("10:00:00"))],
     ("announce-twice", "ok", "announce-twice"), attack="12.4")
LATE = [ann("A"), can("A", 0), ann("B", supersedes="A", round_time=LATER)]
LATE_CPS = [cp(1, at("10:00:00")), cp(2, at("12:05:00")), cp(3, at("12:10:00"))]
case("late-cancel", "committed draw cancelled after round time − margin (co-signed 12:05)",
     LATE, "A", LATE_CPS, ("ok", "ok", "late-cancel"), fate=-5, attack="12.4")
case("redraw-after-late-cancel", "the new draw superseding a draw cancelled too late",
     LATE, "B", LATE_CPS, ("ok", "ok", "supersede-uncancelled"), attack="12.4")
case("late-cancel-one-second", "cancel co-signed one second after round time − margin",
     [ann("A"), can("A", 0)], "A", [cp(1, at("10:00:00")), cp(2, at("11:59:01"))],
     ("ok", "ok", "late-cancel"), fate=0, attack="12.4")
case("late-cancel-no-quorum", "committed draw, the cancel covered by no checkpoint that met "
     "its quorum", [ann("A"), can("A", 0)], "A", [cp(1, at("10:00:00")), cp(2, None)],
     ("ok", "ok", "late-cancel"), attack="12.4")
case("late-cancel-wider-margin", "co-signed 11:58 is late with a 5-minute margin",
     [ann("A"), can("A", 0)], "A", [cp(1, at("10:00:00")), cp(2, at("11:58:00"))],
     ("ok", "ok", "late-cancel"), fate=2, margin=300, attack="12.4")
DRAWN = [ann("A"), res("A", 0), ann("B", supersedes="A", round_time=LATER), res("B", 2)]
DRAWN_CPS = [cp(1, at("10:00:00")), cp(4, at("12:10:00"))]
case("supersede-drawn", "a new draw superseding a draw that has a result",
     DRAWN, "B", DRAWN_CPS, ("ok", "ok", "supersede-drawn"), attack="12.4")
case("drawn-then-superseded", "the drawn draw's own page shows it was superseded",
     DRAWN, "A", DRAWN_CPS, ("ok", "ok", "supersede-drawn"), attack="12.4")
case("drawn-and-cancelled", "a result and then a cancel to make way for a re-draw",
     [ann("A"), res("A", 0), can("A", 0), ann("B", supersedes="A", round_time=LATER)], "A",
     [cp(4, at("10:00:00"))], ("ok", "ok", "drawn-and-cancelled"), fate=120, attack="12.4")
case("supersede-drawn-and-cancelled", "the re-draw of a draw with a result and a cancel",
     [ann("A"), res("A", 0), can("A", 0), ann("B", supersedes="A", round_time=LATER)], "B",
     [cp(4, at("10:00:00"))], ("ok", "ok", "supersede-drawn"), attack="12.4")
case("cancelled-twice", "two cancels of one announce",
     [ann("A"), can("A", 0), can("A", 0)], "A", [cp(3, at("10:00:00"))],
     ("ok", "ok", "drawn-and-cancelled"), fate=120, attack="12.4")
case("supersede-uncancelled", "a re-draw of a draw that was never cancelled",
     [ann("A"), ann("B", supersedes="A", round_time=LATER)], "B", [cp(2, at("10:00:00"))],
     ("ok", "ok", "supersede-uncancelled"), attack="12.4")
case("supersede-before-cancel", "the cancel is logged only after the superseding announce",
     [ann("A"), ann("B", supersedes="A", round_time=LATER), can("A", 0)], "B",
     [cp(3, at("10:00:00"))], ("ok", "ok", "supersede-uncancelled"), attack="12.4")
case("supersede-unknown", "supersedes names an id that was never announced",
     [ann("B", supersedes="A")], "B", [cp(1, at("10:00:00"))], ("ok", "ok", "supersede-unknown"),
     attack="12.4")
case("supersede-announced-later", "supersedes names an id announced only afterwards",
     [ann("B", supersedes="A"), ann("A"), can("A", 1)], "B", [cp(3, at("10:00:00"))],
     ("ok", "ok", "supersede-unknown"), attack="12.4")
TWICE = [ann("A"), can("A", 0), ann("B", supersedes="A", round_time=LATER),
         ann("C", supersedes="A", round_time=LATER)]
case("superseded-twice", "two new draws both supersede A", TWICE, "A",
     [cp(4, at("10:00:00"))], ("ok", "ok", "superseded-twice"), fate=120, attack="12.4")
case("superseded-twice-seen-by-c", "the second superseding draw alone looks fine", TWICE, "C",
     [cp(4, at("10:00:00"))], OK)
case("announce-missing", "no announce of the draw in the log", [ann("A"), res("A", 0)], "Z",
     [cp(2, at("10:00:00"))], ("announce-missing", "ok", "announce-missing"))
case("result-without-announce", "a result of a draw that was never announced",
     [snap("u1"), res("Z", 0)], "Z", [cp(2, at("10:00:00"))],
     ("announce-missing", "result-mismatch", "announce-missing"), attack="12.1")
case("superseded-round-time-invalid", "the superseded draw's round_time is not a real time",
     [ann("A", round_time="2030-02-30T12:00:00Z"), can("A", 0),
      ann("B", supersedes="A", round_time=LATER)], "B", [cp(3, at("10:00:00"))],
     ("ok", "ok", "EntryError"))


def _times(checkpoints: list[dict[str, Any]]) -> list[CheckpointTime]:
    return [CheckpointTime(c["tree_size"], None if c["quorum_time"] is None
                           else parse_utc_seconds(c["quorum_time"])) for c in checkpoints]


def outcome_of(fn: Callable[[], Any]) -> dict[str, Any]:
    try:
        return {"ok": fn()}
    except HistoryError as e:
        return {"rule": e.rule, "message": str(e)}
    except EntryError as e:
        return {"error": "EntryError", "message": str(e)}


def build_case(c: dict[str, Any]) -> dict[str, Any]:
    entries, d, margin = c["entries"], c["draw_id"], c["margin_seconds"]
    cps = _times(c["checkpoints"])
    h = draw_history(entries, d)
    own = announce_round_time(entries[h.announces[0]]) if h.announces else 0
    got = {
        "check_announce": outcome_of(lambda: check_announce(h)),
        "check_results": outcome_of(lambda: check_results(h)),
        "check_history": outcome_of(lambda: check_history(h, entries, cps, margin, own)),
    }
    for name, want in zip(got, c["verdicts"], strict=True):
        verdict = "ok" if "ok" in got[name] else got[name].get("rule", got[name].get("error"))
        if verdict != want:
            raise SystemExit(f"{c['name']}: {name} gives {got[name]}, the case says {want}")
    fate = cancel_fate(h, cps, own)
    if fate != c["fate"]:
        raise SystemExit(f"{c['name']}: cancel_fate is {fate}, the case says {c['fate']}")
    out = {k: c[k] for k in ("name", "description", "entries", "draw_id", "checkpoints",
                             "margin_seconds")}
    if c["attack"]:
        out["attack"] = f"issue {c['attack']}"
    out["expected"] = {
        "history": {"announces": list(h.announces), "results": list(h.results),
                    "cancels": list(h.cancels), "superseded_by": list(h.superseded_by),
                    "supersedes": h.supersedes},
        **got, "cancel_fate": fate,
    }
    return out


# -- quorum_time ------------------------------------------------------------------------------

KEYS = {name: CosignerKey.from_public_key(name, bytes([i + 1]) * 32).vkey
        for i, name in enumerate(["w1.example", "w2.example", "w3.example"])}
POLICIES = {
    "2-of-3": {"witnesses": [{"name": n, "vkey": v} for n, v in KEYS.items()],
               "groups": [{"name": "g", "k": 2, "members": list(KEYS)}], "quorum": "g"},
    "w1-and-any-of-w2-w3": {
        "witnesses": [{"name": n, "vkey": v} for n, v in KEYS.items()],
        "groups": [{"name": "rest", "k": 1, "members": ["w2.example", "w3.example"]},
                   {"name": "all", "k": 2, "members": ["w1.example", "rest"]}],
        "quorum": "all"},
    "single": {"witnesses": [{"name": "w1.example", "vkey": KEYS["w1.example"]}], "quorum":
               "w1.example"},
}
QUORUM_CASES = [
    ("2-of-3", {"w1.example": 100, "w2.example": 300, "w3.example": 200}, 200),
    ("2-of-3", {"w1.example": 100, "w2.example": 100}, 100),
    ("2-of-3", {"w1.example": 100}, None),
    ("2-of-3", {}, None),
    ("w1-and-any-of-w2-w3", {"w1.example": 500, "w2.example": 100, "w3.example": 200}, 500),
    ("w1-and-any-of-w2-w3", {"w1.example": 50, "w2.example": 400, "w3.example": 300}, 300),
    ("w1-and-any-of-w2-w3", {"w2.example": 1, "w3.example": 2}, None),
    ("single", {"w1.example": 1767225600}, 1767225600),
    ("single", {"w1.example": 0}, 0),
]


def quorum_file() -> dict[str, Any]:
    vectors = []
    for policy, stamps, want in QUORUM_CASES:
        got = quorum_time(stamps, policy_from_json(POLICIES[policy]))
        if got != want:
            raise SystemExit(f"quorum_time {policy} {stamps}: {got}, the case says {want}")
        vectors.append({"policy": policy, "timestamps": stamps, "quorum_time": want})
    return {"title": "quorum_time: the smallest t such that the cosignatures timestamped <= t "
                     "meet the witness policy (docs/spec/verification.md)",
            "function": "quorum_time", "policies": POLICIES, "vectors": vectors}


# -- outcomes and corrections (check_outcomes) -------------------------------------------------


def fix(draw_id: str, unit_id: str, supersedes: Any, result: str = "penalised") -> Entry:
    """A correction: a new outcome naming the one it supersedes."""
    e = outcome(draw_id, unit_id)
    e.update(result=result, supersedes=supersedes, note="corrected: wrong result entered")
    return e


A1 = [snap("u1"), ann("A"), res("A", 1)]
OUTCOME_CASES: list[tuple[str, str, list[Entry | None], str]] = [
    ("one-outcome-per-unit", "two units, one outcome each",
     [*A1, outcome("A", "U1"), outcome("A", "U2")], "ok"),
    ("correction", "entry 4 corrects entry 3: both stay, 4 is in force",
     [*A1, outcome("A", "U1"), fix("A", "U1", 3)], "ok"),
    ("correction-of-a-correction", "3 -> 4 -> 6; another draw's outcome in between",
     [*A1, outcome("A", "U1"), fix("A", "U1", 3), outcome("B", "U1"), fix("A", "U1", 4)], "ok"),
    ("old-entries-without-supersedes", "outcomes logged before corrections existed",
     [*A1, outcome("A", "U1"), None, outcome("A", "U2")], "ok"),
    ("second-outcome-no-supersedes", "a second outcome for U1 that names nothing",
     [*A1, outcome("A", "U1"), outcome("A", "U1")], "outcome-twice"),
    ("supersedes-later-entry", "a correction cannot name a later entry",
     [*A1, outcome("A", "U1"), fix("A", "U1", 5), outcome("A", "U2")],
     "outcome-supersede-unknown"),
    ("supersedes-other-unit", "a correction of U2 names U1's outcome",
     [*A1, outcome("A", "U1"), outcome("A", "U2"), fix("A", "U2", 3)],
     "outcome-supersede-unknown"),
    ("supersedes-other-draw", "the named outcome is of draw B",
     [*A1, outcome("B", "U1"), fix("A", "U1", 3)], "outcome-supersede-unknown"),
    ("supersedes-a-result", "the named entry is not an outcome",
     [*A1, outcome("A", "U1"), fix("A", "U1", 2)], "outcome-supersede-unknown"),
    ("superseded-twice", "3 is corrected by 4 and again by 5",
     [*A1, outcome("A", "U1"), fix("A", "U1", 3), fix("A", "U1", 3)],
     "outcome-superseded-twice"),
    ("supersedes-not-an-index", "supersedes is a leaf index",
     [*A1, outcome("A", "U1"), fix("A", "U1", "3")], "EntryError"),
    ("supersedes-negative", "supersedes is a leaf index >= 0",
     [*A1, outcome("A", "U1"), fix("A", "U1", -1)], "EntryError"),
]


def outcome_file() -> dict[str, Any]:
    vectors = []
    for name, description, entries, want in OUTCOME_CASES:
        got = outcome_of(lambda entries=entries: check_outcomes(entries, "A"))
        verdict = "ok" if "ok" in got else got.get("rule", got.get("error"))
        if verdict != want:
            raise SystemExit(f"{name}: check_outcomes gives {got}, the case says {want}")
        if "ok" in got:
            h = got["ok"]
            got = {"ok": {"outcomes": list(h.outcomes),
                          "superseded_by": {str(k): v for k, v in h.superseded_by.items()},
                          "current": dict(h.current)}}
        vectors.append({"name": name, "description": description, "entries": entries,
                        "draw_id": "A", "expected": got})
    return {
        "title": "Outcome corrections (docs/spec/verification.md \"Outcomes\"): check_outcomes "
                 "of draw A over every entry",
        "function": "outcomes",
        "conventions": {
            "entries": "leaf index = position; null is an entry the rules skip",
            "expected": "{ok: {outcomes, superseded_by (index -> index, keys as strings), "
                        "current (unit -> index)}} or {rule, message} (HistoryError) or "
                        "{error: EntryError, message}",
            "provenance": "verdicts written by hand in tests/draw_engine/gen_history_vectors.py;"
                          " messages recorded from the Python",
        },
        "vectors": vectors,
    }


def files() -> dict[str, dict[str, Any]]:
    built = [build_case(c) for c in CASES]
    names = [c["name"] for c in built]
    assert len(set(names)) == len(names), "case names must be unique"
    return {
        "rules.json": {
            "title": "Draw-history rules (docs/spec/verification.md): per case, the history of "
                     "draw_id derived from every entry, and the verdict of check_announce, "
                     "check_results, check_history and cancel_fate",
            "function": "history",
            "conventions": {
                "entries": "leaf index = position; null is an entry the history skips",
                "checkpoints": "quorum_time RFC 3339 UTC or null (quorum never met); a "
                               "checkpoint covers the leaves < tree_size",
                "round_time": "check_history and cancel_fate take the round time of the one "
                              "announce of draw_id (0 when there is none)",
                "expected": "{ok: return value} or {rule, message} (HistoryError) or "
                            "{error: EntryError, message}",
                "provenance": "verdicts written by hand in tests/draw_engine/"
                              "gen_history_vectors.py; messages recorded from the Python",
            },
            "vectors": built,
        },
        "quorum-time.json": quorum_file(),
        "outcomes.json": outcome_file(),
    }


def main() -> None:
    check = "--check" in sys.argv[1:]
    OUT.mkdir(parents=True, exist_ok=True)
    stale = []
    for name, data in files().items():
        text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
        path = OUT / name
        if check:
            if not path.exists() or path.read_text("utf-8") != text:
                stale.append(name)
        else:
            path.write_text(text, "utf-8")
    if stale:
        raise SystemExit(f"stale vector files (re-run the generator): {stale}")


if __name__ == "__main__":
    main()
