"""A draw's history, derived from every entry of the log (docs/spec/verification.md).

The verifiers take nothing about a draw from navigation files: they read every
proven entry of the log and derive the draw's history from it here. The
browser twin is `public_portal/static/js/history.js`; both read the vectors
`tests/vectors/history/*.json` and give the same rule names and messages.

API (entries: leaf index -> parsed entry object, as a Mapping or a Sequence
indexed by position; items that are not objects are skipped):

- `draw_history(entries, draw_id) -> DrawHistory`: the indices of the draw's
  announces, the results and cancels attached to it (by `draw_id` OR by an
  `announce_index` naming one of its announces), the announces that name it in
  `supersedes`, and its own `supersedes`. `draw_histories(entries)` derives the
  history of every draw in one pass (same values).
- `check_announce(h) -> int`: rules `announce-missing`, `announce-twice`;
  returns the leaf index of the one announce.
- `check_results(h) -> int | None`: rules `result-mismatch`, `second-result`;
  returns the leaf index of the result, None while the draw is pending.
- `check_history(h, entries, checkpoints, margin_seconds, round_time) -> None`:
  rules `self-supersede`, `drawn-and-cancelled`, `late-cancel`,
  `supersede-unknown`, `supersede-drawn`, `supersede-uncancelled`,
  `superseded-twice` (in that order; it first needs the one announce, so it
  raises `check_announce`'s errors too). `round_time` is the draw's own round
  time (POSIX seconds, as beacon-identity checked it); the round time of the
  superseded draw comes from its announce's `beacon.round_time`.
- `cancel_fate(h, checkpoints, round_time) -> int | None`: minutes between the
  earliest co-signed checkpoint covering the cancel and the round time,
  rounded down (negative when cancelled after the beacon); None without a
  cancel or without a co-signed checkpoint covering it.
- `quorum_time(timestamps, policy) -> int | None`: the `quorum_time` of one
  checkpoint from its verified cosignature timestamps by witness name.
- `check_outcomes(entries, draw_id) -> OutcomeHistory`: the draw's
  `inspection.outcome` entries; a correction is a new outcome whose
  `supersedes` names the unit's current outcome, both stay in the log. Rules
  `outcome-twice` (a second outcome of a unit that corrects nothing),
  `outcome-supersede-unknown` (supersedes names no earlier outcome of the same
  draw and unit), `outcome-superseded-twice` (an outcome corrected twice, or a
  correction of an outcome already corrected).

Each rule failure is a `HistoryError(rule, message, evidence)`; `str()` is
"<rule>: <message>". Malformed fields the rules need (a `supersedes` that is not
a string, a superseded draw's unparsable `round_time`) are `EntryError`s.
Left out: whether each entry is proven (the caller passes only proven
entries), the structure of announces and results (draw_engine.announce, the
verifier's recompute). Pure: no clock, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from draw_engine.entries import (
    ANNOUNCE,
    CANCEL,
    OUTCOME,
    RESULT,
    OutcomeRef,
    announce_round_time,
    entry_type,
    format_utc,
    is_index,
    quote,
)
from draw_engine.errors import EntryError, FormatError, HistoryError

Entries = Mapping[int, Any] | Sequence[Any]
"""The parsed entries of the whole log: leaf index -> entry object."""


@dataclass(frozen=True)
class CheckpointTime:
    """A co-signed checkpoint as the timing rules see it: it covers the leaves with
    index < `tree_size`, and its witness quorum was met at `quorum_time` (POSIX
    seconds; None if its cosignatures never meet the quorum)."""

    tree_size: int
    quorum_time: int | None


@dataclass(frozen=True)
class DrawHistory:
    """Everything the log says about one draw id (leaf indices, ascending)."""

    draw_id: str
    announces: tuple[int, ...]
    results: tuple[int, ...]
    cancels: tuple[int, ...]
    superseded_by: tuple[int, ...]
    supersedes: str | None
    entries: Mapping[int, Mapping[str, Any]]
    """The entries at the indices above."""
    size: int
    """How many entries were read (for messages)."""

    @property
    def announce_index(self) -> int | None:
        """The announce's index when there is exactly one."""
        return self.announces[0] if len(self.announces) == 1 else None


class _Quorum(Protocol):
    def satisfied_by(self, names: set[str]) -> bool: ...


# -- collecting -----------------------------------------------------------------------------


def _items(entries: Entries) -> Iterator[tuple[int, Mapping[str, Any]]]:
    pairs = entries.items() if isinstance(entries, Mapping) else enumerate(entries)
    for index, entry in sorted(pairs, key=lambda p: p[0]):
        if isinstance(entry, Mapping):
            yield index, entry


def _supersedes(entry: Mapping[str, Any]) -> str | None:
    value = entry.get("supersedes")
    if value is not None and not isinstance(value, str):
        raise EntryError("draw.announce entry: supersedes must be a draw id or null",
                         field="supersedes")
    return value


def draw_history(entries: Entries, draw_id: str) -> DrawHistory:
    """SPEC(verification.md "The draw history"): the history of `draw_id` in the whole log."""
    items = list(_items(entries))
    announces = [i for i, e in items if entry_type(e) == ANNOUNCE and e.get("draw_id") == draw_id]
    own = set(announces)
    results: list[int] = []
    cancels: list[int] = []
    superseded_by: list[int] = []
    for i, e in items:
        kind = entry_type(e)
        if kind in (RESULT, CANCEL):
            ai = e.get("announce_index")
            if e.get("draw_id") == draw_id or (is_index(ai) and ai in own):
                (results if kind == RESULT else cancels).append(i)
        elif kind == ANNOUNCE and e.get("supersedes") == draw_id:
            superseded_by.append(i)
    by_index = dict(items)
    kept = {i: by_index[i] for i in (*announces, *results, *cancels, *superseded_by)}
    return DrawHistory(
        draw_id=draw_id, announces=tuple(announces), results=tuple(results),
        cancels=tuple(cancels), superseded_by=tuple(superseded_by),
        supersedes=_supersedes(by_index[announces[0]]) if announces else None,
        entries=kept, size=len(entries),
    )


def draw_histories(entries: Entries) -> dict[str, DrawHistory]:
    """The history of every draw id that some draw.announce, draw.result or draw.cancel
    names, in one pass over the log; `draw_histories(e)[d] == draw_history(e, d)`."""
    items = list(_items(entries))
    announces: dict[str, list[int]] = {}
    owner: dict[int, str] = {}
    for i, e in items:
        d = e.get("draw_id")
        if entry_type(e) == ANNOUNCE and isinstance(d, str):
            announces.setdefault(d, []).append(i)
            owner[i] = d
    results: dict[str, list[int]] = {}
    cancels: dict[str, list[int]] = {}
    superseded_by: dict[str, list[int]] = {}
    ids = set(announces)
    for i, e in items:
        kind = entry_type(e)
        if kind in (RESULT, CANCEL):
            target = results if kind == RESULT else cancels
            d, ai = e.get("draw_id"), e.get("announce_index")
            names = {d} if isinstance(d, str) else set()
            if is_index(ai) and ai in owner:
                names.add(owner[ai])
            for name in names:
                target.setdefault(name, []).append(i)
                ids.add(name)
        elif kind == ANNOUNCE and isinstance(e.get("supersedes"), str):
            superseded_by.setdefault(e["supersedes"], []).append(i)
    by_index = dict(items)
    out = {}
    for d in sorted(ids):
        a, r, c = announces.get(d, []), results.get(d, []), cancels.get(d, [])
        s = superseded_by.get(d, [])
        out[d] = DrawHistory(
            draw_id=d, announces=tuple(a), results=tuple(r), cancels=tuple(c),
            superseded_by=tuple(s), supersedes=_supersedes(by_index[a[0]]) if a else None,
            entries={i: by_index[i] for i in (*a, *r, *c, *s)}, size=len(entries),
        )
    return out


# -- rules ----------------------------------------------------------------------------------


def _list(indices: Sequence[int]) -> str:
    return ", ".join(str(i) for i in indices)


def check_announce(h: DrawHistory) -> int:
    """Rules announce-missing, announce-twice; the index of the draw's one announce."""
    if not h.announces:
        raise HistoryError("announce-missing",
                           f"no draw.announce of draw {h.draw_id} in {h.size} log entries",
                           {"draw_id": h.draw_id, "entries": h.size})
    if len(h.announces) > 1:
        # SPEC(verification.md): an id is announced once; a re-draw is a new id.
        raise HistoryError(
            "announce-twice",
            f"draw {h.draw_id} is announced {len(h.announces)} times (entries "
            f"{_list(h.announces)}); a re-draw is a new id that names the old one in supersedes",
            {"announces": list(h.announces)})
    return h.announces[0]


def check_results(h: DrawHistory) -> int | None:
    """Rules result-mismatch, second-result; the index of the draw's result, or None."""
    for i in sorted((*h.results, *h.cancels)):
        e = h.entries[i]
        d, ai = e.get("draw_id"), e.get("announce_index")
        if d != h.draw_id or not is_index(ai) or ai not in h.announces:
            want = "|".join(str(a) for a in h.announces) or "no announce"
            raise HistoryError(
                "result-mismatch",
                f"entry {i} ({e['type']}) names draw {quote(d)} / announce {quote(ai)}, "
                f"not {h.draw_id} / {want}",
                {"index": i, "draw_id": d, "announce_index": ai, "announces": list(h.announces)})
        if i < ai:
            raise HistoryError(
                "result-mismatch",
                f"entry {i} ({e['type']}) comes before its announce (entry {ai})",
                {"index": i, "announce_index": ai})
    if len(h.results) > 1:
        raise HistoryError(
            "second-result",
            f"draw {h.draw_id} has {len(h.results)} results (entries {_list(h.results)})",
            {"results": list(h.results)})
    return h.results[0] if h.results else None


def _first_quorum(index: int, checkpoints: Sequence[CheckpointTime]) -> int | None:
    """The earliest quorum_time of a checkpoint covering leaf `index` (None: none does)."""
    times = [c.quorum_time for c in checkpoints
             if c.tree_size > index and c.quorum_time is not None]
    return min(times, default=None)


def _late_cancel(draw_id: str, announce_index: int, cancel_index: int, *,
                 checkpoints: Sequence[CheckpointTime], margin_seconds: int,
                 round_time: int) -> HistoryError | None:
    deadline = round_time - margin_seconds
    committed = _first_quorum(announce_index, checkpoints)
    if committed is None or committed > deadline:
        return None  # SPEC: a draw whose commitment was missed can always be cancelled
    cancelled = _first_quorum(cancel_index, checkpoints)
    if cancelled is not None and cancelled <= deadline:
        return None
    when = ("is covered by no co-signed checkpoint" if cancelled is None
            else f"was first co-signed at {format_utc(cancelled)}")
    return HistoryError(
        "late-cancel",
        f"draw {draw_id} was committed by {format_utc(committed)} but its cancel (entry "
        f"{cancel_index}) {when}, after {format_utc(deadline)} (round time − {margin_seconds} s):"
        " a cancel once the randomness may be known is a re-roll",
        {"draw_id": draw_id, "announce_index": announce_index, "cancel_index": cancel_index,
         "round_time": round_time, "deadline": deadline, "committed_at": committed,
         "cancel_cosigned_at": cancelled})


def check_history(h: DrawHistory, entries: Entries, checkpoints: Sequence[CheckpointTime],
                  margin_seconds: int, round_time: int) -> None:
    """Rules self-supersede, drawn-and-cancelled, late-cancel, supersede-unknown,
    supersede-drawn, supersede-uncancelled, superseded-twice (after check_announce)."""
    if not is_index(margin_seconds):
        raise FormatError(f"margin_seconds must be an integer >= 0, got {quote(margin_seconds)}")
    a = check_announce(h)
    d = h.draw_id
    if h.supersedes == d:
        raise HistoryError("self-supersede", f"draw {d} names itself in supersedes (entry {a})",
                           {"announce_index": a})
    if h.results and h.cancels:
        raise HistoryError(
            "drawn-and-cancelled",
            f"draw {d} has both a result (entry {h.results[0]}) and a cancel (entry "
            f"{h.cancels[0]})", {"results": list(h.results), "cancels": list(h.cancels)})
    if len(h.cancels) > 1:
        raise HistoryError("drawn-and-cancelled",
                           f"draw {d} is cancelled {len(h.cancels)} times (entries "
                           f"{_list(h.cancels)})", {"cancels": list(h.cancels)})
    if h.cancels:
        late = _late_cancel(d, a, h.cancels[0], checkpoints=checkpoints,
                            margin_seconds=margin_seconds, round_time=round_time)
        if late is not None:
            raise late
    if h.supersedes is not None:
        _check_supersede(h, a, entries, checkpoints, margin_seconds)
    if h.superseded_by and h.results:
        raise HistoryError(
            "supersede-drawn",
            f"draw {d} has a result (entry {h.results[0]}) but is superseded by entry "
            f"{h.superseded_by[0]}", {"result": h.results[0], "superseded_by": h.superseded_by[0]})
    if len(h.superseded_by) > 1:
        raise HistoryError(
            "superseded-twice",
            f"draw {d} is superseded by {len(h.superseded_by)} announces (entries "
            f"{_list(h.superseded_by)})", {"superseded_by": list(h.superseded_by)})


def _check_supersede(h: DrawHistory, a: int, entries: Entries,
                     checkpoints: Sequence[CheckpointTime], margin_seconds: int) -> None:
    d, s = h.draw_id, h.supersedes
    assert s is not None
    old = draw_history(entries, s)
    earlier = [i for i in old.announces if i < a]
    if not earlier:
        raise HistoryError("supersede-unknown",
                           f"draw {d} supersedes {s}, which has no announce before entry {a}",
                           {"supersedes": s, "announce_index": a})
    if old.results:
        raise HistoryError("supersede-drawn",
                           f"draw {d} supersedes {s}, which has a result (entry {old.results[0]})",
                           {"supersedes": s, "result": old.results[0]})
    cancels = [i for i in old.cancels if i < a and old.entries[i].get("draw_id") == s
               and old.entries[i].get("announce_index") in earlier]
    if not cancels:
        raise HistoryError("supersede-uncancelled",
                           f"draw {d} supersedes {s}, which has no cancel before entry {a}",
                           {"supersedes": s, "announce_index": a})
    c = cancels[0]
    old_announce = old.entries[c]["announce_index"]
    old_round = announce_round_time(old.entries[old_announce])
    late = _late_cancel(s, old_announce, c, checkpoints=checkpoints,
                        margin_seconds=margin_seconds, round_time=old_round)
    if late is not None:
        raise HistoryError("supersede-uncancelled",
                           f"draw {d} supersedes {s}, whose cancel is late: {late.message}",
                           {"supersedes": s, **late.evidence})


# -- times for the page and the timing rules -----------------------------------------------


def cancel_fate(h: DrawHistory, checkpoints: Sequence[CheckpointTime],
                round_time: int) -> int | None:
    """SPEC(verification.md): "cancelled N minutes before its beacon", N rounded down."""
    if not h.cancels:
        return None
    first = _first_quorum(h.cancels[0], checkpoints)
    return None if first is None else (round_time - first) // 60


def quorum_time(timestamps: Mapping[str, int], policy: _Quorum) -> int | None:
    """The smallest t such that the cosignatures timestamped <= t meet the policy's
    quorum (`timestamps`: witness name -> timestamp of its one counted, verified
    cosignature); None if all of them together do not. A quorum met with no
    cosignature at all (`quorum none`) proves no time: its quorum_time is 0."""
    if policy.satisfied_by(set()):
        return 0
    for t in sorted(set(timestamps.values())):
        if policy.satisfied_by({w for w, ts in timestamps.items() if ts <= t}):
            return t
    return None


# -- outcomes and their corrections ---------------------------------------------------------


@dataclass(frozen=True)
class OutcomeHistory:
    """The draw's outcome entries (leaf indices, ascending) and who corrects whom."""

    draw_id: str
    outcomes: tuple[int, ...]
    superseded_by: Mapping[int, int]
    """Outcome index -> index of the outcome that corrects it."""
    current: Mapping[str, int]
    """Unit id -> index of its outcome in force (the last of its chain)."""


def check_outcomes(entries: Entries, draw_id: str) -> OutcomeHistory:
    """SPEC(verification.md "Outcomes"): rules outcome-twice, outcome-supersede-unknown,
    outcome-superseded-twice, in log order."""
    refs: dict[int, OutcomeRef] = {}
    current: dict[str, int] = {}
    superseded_by: dict[int, int] = {}
    for i, e in _items(entries):
        if entry_type(e) != OUTCOME or e.get("draw_id") != draw_id:
            continue
        ref = refs[i] = OutcomeRef.of(e)
        s = ref.supersedes
        if s is None:
            if ref.unit_id in current:
                raise HistoryError(
                    "outcome-twice",
                    f"unit {ref.unit_id} of draw {draw_id} has an outcome (entry "
                    f"{current[ref.unit_id]}) and entry {i} adds another that corrects nothing;"
                    " a correction names the outcome it supersedes",
                    {"unit_id": ref.unit_id, "outcome": current[ref.unit_id], "index": i})
        else:
            old = refs.get(s)
            if old is None or old.unit_id != ref.unit_id:
                raise HistoryError(
                    "outcome-supersede-unknown",
                    f"entry {i} corrects entry {s}, which is no earlier outcome of unit "
                    f"{ref.unit_id} in draw {draw_id}",
                    {"index": i, "supersedes": s, "unit_id": ref.unit_id})
            if s in superseded_by:
                raise HistoryError(
                    "outcome-superseded-twice",
                    f"entry {i} corrects entry {s}, which entry {superseded_by[s]} corrected "
                    f"already; a correction supersedes the outcome in force (entry "
                    f"{current[ref.unit_id]})",
                    {"index": i, "supersedes": s, "superseded_by": superseded_by[s],
                     "current": current[ref.unit_id]})
            superseded_by[s] = i
        current[ref.unit_id] = i
    return OutcomeHistory(draw_id, tuple(refs), superseded_by, current)
