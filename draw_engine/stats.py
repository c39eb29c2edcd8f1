"""Fairness over many draws: the statistics of docs/spec/stats.md (issue 19).

`compute_stats(entries, records, documents, tree_size=…)` reads the proven log
entries (leaf index -> parsed entry) and the snapshot records whose roots the
caller checked against their logged entries, and returns the figures the
portal's stats.html plots and `fairdraw stats --json` prints (same shape, same
digits). Its browser twin is `public_portal/static/js/stats.js`; both read
`tests/vectors/stats/*.json`.

* draws: every draw with its one result (draw_engine.history), in announce order;
* strata: per stratum name, the pool, the quota the result applied, the units
  drawn and what the declared ratio alone predicts;
* brigades (and brigade x stratum cells): units drawn against the hypergeometric
  expectation of each draw's strata, with an exact interval and a flag outside it;
* units: times drawn against the Poisson-binomial expectation, a histogram and
  the units outside their interval;
* officers: duties per draw, roles, the brigades of the units they met, their team
  partners, repeated officer-unit pairs, and the duty spread per zone
  (draw_engine.team_load);
* registry: each snapshot's diff counts and the registry-gap findings
  (draw_engine.registry_gaps).

Numbers are exact where they can be: expectations are fractions printed with
three decimals (round half up). Distributions are IEEE doubles computed with
+, -, *, / only, in one fixed order, so Python and JavaScript give the same bits;
no `sum()` (Python's compensates), no exp/log. Intervals at family-wise level
ALPHA per table (Bonferroni over its rows, two-sided). Pure: no I/O, no clock.
Left out: draws whose units records are not published yet (listed in `pending`
and left out of the brigade and unit tables), p-values, any test across tables.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from draw_engine.announce import Quota, parse_announce
from draw_engine.entries import SNAPSHOT, DiffIds, SnapshotDiffRef, entry_type
from draw_engine.errors import EntryError, VerificationError
from draw_engine.history import check_announce, check_results, draw_histories
from draw_engine.registry_gaps import registry_gap_findings
from draw_engine.select import strata_pools, ticket
from draw_engine.team_load import DUTY_ROLES, draw_spread, month_spread

ALPHA = 0.05
"""Family-wise false-alarm rate of each table's flags (split over its rows)."""
TAIL = 1e-20
"""Probabilities below this at either end of a distribution are dropped (both twins)."""
MOST_DRAWN = 10
UNKNOWN = "?"

Dist = tuple[int, list[float]]
"""(offset, probabilities): P(X = offset + i) = probabilities[i]."""


# -- exact and float arithmetic shared with stats.js ------------------------------------------


def format_fraction(value: Fraction) -> str:
    """A non-negative fraction with three decimals, half up: 7/3 -> "2.333"."""
    thousandths = (value.numerator * 2000 + value.denominator) // (2 * value.denominator)
    return f"{thousandths // 1000}.{thousandths % 1000:03d}"


def format_milli(value: float) -> str:
    """A non-negative double with three decimals: floor(x * 1000 + 0.5) thousandths."""
    thousandths = int(value * 1000 + 0.5)
    return f"{thousandths // 1000}.{thousandths % 1000:03d}"


def _trim(offset: int, p: list[float]) -> Dist:
    lo, hi = 0, len(p)
    while hi - lo > 1 and p[lo] < TAIL:
        lo += 1
    while hi - lo > 1 and p[hi - 1] < TAIL:
        hi -= 1
    return offset + lo, p[lo:hi]


def hypergeometric(n: int, good: int, k: int) -> Dist:
    """Units of a group of `good` among `k` drawn without replacement from `n`."""
    low, high = max(0, k - (n - good)), min(k, good)
    mode = min(max((k + 1) * (good + 1) // (n + 2), low), high)
    weights = {mode: 1.0}
    w = 1.0
    for x in range(mode + 1, high + 1):
        w = w * ((good - x + 1) * (k - x + 1)) / (x * (n - good - k + x))
        if w < TAIL:
            break
        weights[x] = w
    w = 1.0
    for x in range(mode - 1, low - 1, -1):
        w = w * ((x + 1) * (n - good - k + x + 1)) / ((good - x) * (k - x))
        if w < TAIL:
            break
        weights[x] = w
    start = min(weights)
    values = [weights[x] for x in range(start, max(weights) + 1)]
    total = 0.0
    for v in values:
        total = total + v
    return start, [v / total for v in values]


def convolve(a: Dist, b: Dist) -> Dist:
    """The distribution of the sum of two independent counts (tails trimmed)."""
    out = [0.0] * (len(a[1]) + len(b[1]) - 1)
    for i, pa in enumerate(a[1]):
        for j, pb in enumerate(b[1]):
            out[i + j] = out[i + j] + pa * pb
    return _trim(a[0] + b[0], out)


def interval(dist: Dist, tail: float) -> tuple[int, int]:
    """(low, high): P(X < low) <= tail and P(X > high) <= tail, each as tight as possible."""
    offset, p = dist
    low = offset + len(p) - 1
    cum = 0.0
    for i, v in enumerate(p):
        cum = cum + v
        if cum > tail:
            low = offset + i
            break
    high = offset
    cum = 0.0
    for i in range(len(p) - 1, -1, -1):
        cum = cum + p[i]
        if cum > tail:
            high = offset + i
            break
    return low, high


def _flag(drawn: int, low: int, high: int) -> str | None:
    return "above" if drawn > high else "below" if drawn < low else None


def _tail(rows: int) -> float:
    return ALPHA / (2 * max(rows, 1))


# -- the draws -----------------------------------------------------------------------------


def _drawn(entries: Mapping[int, Mapping[str, Any]]) -> list[tuple[int, int]]:
    """(announce index, result index) of every draw with its one result, in announce order."""
    out = []
    for h in draw_histories(entries).values():
        announce_index = check_announce(h)
        result_index = check_results(h)
        if result_index is not None:
            out.append((announce_index, result_index))
    return sorted(out)


def _expected_by_ratio(quota: Quota, n: int) -> Fraction:
    if quota.kind == "ratio":
        return Fraction(n * quota.numerator, quota.denominator)
    return Fraction(min(quota.count, n) if quota.kind == "count" else n)


def _as_map(entries: Mapping[int, Any] | Sequence[Any]) -> dict[int, Mapping[str, Any]]:
    items = entries.items() if isinstance(entries, Mapping) else enumerate(entries)
    return {int(i): e for i, e in items if isinstance(e, Mapping)}


class _Draw:
    def __init__(self, entries: Mapping[int, Mapping[str, Any]], announce_index: int,
                 result_index: int, records: Mapping[str, Sequence[Mapping[str, Any]]]) -> None:
        self.announce = entries[announce_index]
        self.result = entries[result_index]
        self.announce_index, self.result_index = announce_index, result_index
        self.draw_id = str(self.announce["draw_id"])
        self.spec = parse_announce(self.announce)
        units = self.announce["units"]["snapshot"]
        people = (self.announce.get("inspectors") or {}).get("snapshot")
        self.units = records.get(units)
        self.inspectors = records.get(people) if isinstance(people, str) else None
        self.selected: list[Mapping[str, Any]] = list(self.result["selected"])
        self.pools: list[list[str]] | None = None
        if self.units is not None:
            self.pools = strata_pools(self.announce, self.units)[0]
            for stratum, pool, logged in zip(self.spec.strata, self.pools,
                                             self.result["strata"], strict=True):
                if len(pool) != logged["n"]:
                    raise VerificationError(
                        f"draw {self.draw_id}: stratum {stratum.name} has {len(pool)} members "
                        f"in units snapshot {units}, its result says n = {logged['n']}")

    def row(self) -> dict[str, Any]:
        a = self.announce
        return {"draw_id": self.draw_id, "kind": a["kind"], "from": a["period"]["from"],
                "to": a["period"]["to"], "month": a["period"]["from"][:7],
                "round_time": a["beacon"]["round_time"], "announce_index": self.announce_index,
                "result_index": self.result_index, "units_snapshot": a["units"]["snapshot"],
                "pool": sum_ints(s["n"] for s in self.result["strata"]),
                "selected": len(self.selected), "records": self.units is not None}


def sum_ints(values: Any) -> int:
    total = 0
    for v in values:
        total += int(v)
    return total


# -- the tables ----------------------------------------------------------------------------


def _strata_rows(draws: Sequence[_Draw]) -> list[dict[str, Any]]:
    rows: dict[str, dict[str, Any]] = {}
    for d in draws:
        drawn: dict[str, int] = defaultdict(int)
        for s in d.selected:
            drawn[str(s["stratum"])] += 1
        for stratum, logged in zip(d.spec.strata, d.result["strata"], strict=True):
            row = rows.setdefault(stratum.name, {"stratum": stratum.name, "draws": 0, "pool": 0,
                                                 "quota": 0, "drawn": 0,
                                                 "expected": Fraction(0)})
            row["draws"] += 1
            row["pool"] += logged["n"]
            row["quota"] += logged["k"]
            row["drawn"] += drawn[stratum.name]
            row["expected"] += _expected_by_ratio(stratum.quota, logged["n"])
    out = []
    for row in rows.values():
        row["expected"] = format_fraction(row["expected"])
        # Without replacement from the whole stratum: the interval is the quota itself.
        row["flag"] = _flag(row["drawn"], row["quota"], row["quota"])
        out.append(row)
    return out


class _Tally:
    def __init__(self) -> None:
        self.drawn = 0
        self.expected = Fraction(0)
        self.dist: Dist = (0, [1.0])

    def add(self, drawn: int, expected: Fraction, dist: Dist) -> None:
        self.drawn += drawn
        self.expected += expected
        self.dist = convolve(self.dist, dist)

    def row(self, tail: float, **key: Any) -> dict[str, Any]:
        low, high = interval(self.dist, tail)
        return {**key, "drawn": self.drawn, "expected": format_fraction(self.expected),
                "low": low, "high": high, "flag": _flag(self.drawn, low, high)}


def _brigade(record: Mapping[str, Any] | None) -> str:
    value = record.get("brigade") if record is not None else None
    return value if isinstance(value, str) else UNKNOWN


def _group_tables(draws: Sequence[_Draw]) -> tuple[list[dict[str, Any]], list[dict[str, Any]],
                                                   dict[str, Any]]:
    brigades: dict[str, _Tally] = defaultdict(_Tally)
    cells: dict[tuple[str, str], _Tally] = defaultdict(_Tally)
    units: dict[str, list[tuple[int, int]]] = defaultdict(list)
    drawn_units: dict[str, int] = defaultdict(int)
    for d in draws:
        if d.units is None or d.pools is None:
            continue
        by_id = {str(r["id"]): r for r in d.units}
        chosen: dict[str, set[str]] = defaultdict(set)
        for s in d.selected:
            chosen[str(s["stratum"])].add(str(s["unit_id"]))
            drawn_units[str(s["unit_id"])] += 1
        for stratum, pool, logged in zip(d.spec.strata, d.pools, d.result["strata"],
                                         strict=True):
            n, k = len(pool), int(logged["k"])
            if n == 0:
                continue
            members: dict[str, int] = defaultdict(int)
            hits: dict[str, int] = defaultdict(int)
            for unit_id in pool:
                b = _brigade(by_id.get(unit_id))
                members[b] += 1
                if unit_id in chosen[stratum.name]:
                    hits[b] += 1
                units[unit_id].append((k, n))
            for b in sorted(members):
                dist = hypergeometric(n, members[b], k)
                expected = Fraction(k * members[b], n)
                brigades[b].add(hits[b], expected, dist)
                cells[(b, stratum.name)].add(hits[b], expected, dist)
    brigade_rows = [brigades[b].row(_tail(len(brigades)), brigade=b) for b in sorted(brigades)]
    cell_rows = [cells[c].row(_tail(len(cells)), brigade=c[0], stratum=c[1])
                 for c in sorted(cells)]
    return brigade_rows, cell_rows, _unit_table(units, drawn_units)


def _unit_table(units: Mapping[str, list[tuple[int, int]]],
                drawn: Mapping[str, int]) -> dict[str, Any]:
    tail = _tail(len(units))
    expected_hist: list[float] = []
    observed_hist: list[int] = []
    flagged: list[dict[str, Any]] = []
    rows: list[dict[str, Any]] = []
    for unit_id in sorted(units):
        dist: Dist = (0, [1.0])
        expected = Fraction(0)
        for k, n in units[unit_id]:
            p = k / n
            dist = convolve(dist, _trim(0, [1.0 - p, p]))
            expected += Fraction(k, n)
        times = drawn.get(unit_id, 0)
        offset, probs = dist
        while len(expected_hist) < offset + len(probs):
            expected_hist.append(0.0)
        for i, v in enumerate(probs):
            expected_hist[offset + i] = expected_hist[offset + i] + v
        while len(observed_hist) <= times:
            observed_hist.append(0)
        observed_hist[times] += 1
        low, high = interval(dist, tail)
        row = {"unit_id": unit_id, "draws": len(units[unit_id]), "drawn": times,
               "expected": format_fraction(expected), "low": low, "high": high,
               "flag": _flag(times, low, high)}
        rows.append(row)
        if row["flag"] is not None:
            flagged.append(row)
    top = len(observed_hist)
    while top < len(expected_hist) and format_milli(expected_hist[top]) != "0.000":
        top += 1
    histogram = [{"times": t,
                  "units": observed_hist[t] if t < len(observed_hist) else 0,
                  "expected": format_milli(expected_hist[t] if t < len(expected_hist) else 0.0)}
                 for t in range(top)]
    most = sorted(rows, key=lambda r: (-r["drawn"], Fraction(r["expected"]), r["unit_id"]))
    return {"pooled": len(units), "histogram": histogram, "flagged": flagged,
            "most_drawn": [r for r in most[:MOST_DRAWN] if r["drawn"] > 0]}


def _officer_tables(draws: Sequence[_Draw]) -> dict[str, Any]:
    people: dict[str, dict[str, Any]] = {}
    pairs: dict[tuple[str, str], int] = defaultdict(int)
    for n, d in enumerate(draws):
        brigade_of = {str(r["id"]): r for r in d.inspectors or ()}
        unit_of = {str(r["id"]): r for r in d.units or ()}
        for s in d.selected:
            for m in (s.get("team") or {}).get("members", ()):
                pid, role = str(m["person_id"]), str(m["role"])
                row = people.setdefault(pid, {
                    "person_id": pid, "brigade": None, "duties": 0,
                    "roles": {"lead": 0, "assist": 0, "expert": 0},
                    "per_draw": [0] * len(draws), "unit_brigades": {}, "partners": {}})
                if pid in brigade_of:
                    row["brigade"] = _brigade(brigade_of[pid])
                row["roles"][role] = row["roles"].get(role, 0) + 1
                if role in DUTY_ROLES:
                    row["duties"] += 1
                    row["per_draw"][n] += 1
                ub = _brigade(unit_of.get(str(s["unit_id"])))
                row["unit_brigades"][ub] = row["unit_brigades"].get(ub, 0) + 1
                pairs[(pid, str(s["unit_id"]))] += 1
            team = [str(m["person_id"]) for m in (s.get("team") or {}).get("members", ())]
            for pid in team:
                partners = people[pid]["partners"]
                for other in team:
                    if other != pid:
                        partners[other] = partners.get(other, 0) + 1
    for row in people.values():
        row["unit_brigades"] = dict(sorted(row["unit_brigades"].items()))
        row["partners"] = dict(sorted(row["partners"].items()))
    repeated = sorted(((p, u, t) for (p, u), t in pairs.items() if t > 1),
                      key=lambda x: (-x[2], x[0], x[1]))
    per_draw = []
    months: dict[str, list[_Draw]] = defaultdict(list)
    for d in draws:
        if d.inspectors is None:
            continue
        per_draw += [s.to_json() for s in draw_spread(d.announce, d.selected, d.inspectors)]
        months[d.row()["month"]].append(d)
    per_month = []
    for month in sorted(months):
        group = months[month]
        latest = group[-1].inspectors or []
        per_month += [s.to_json() for s in
                      month_spread(month, [(d.announce, d.selected) for d in group], latest)]
    return {"officers": [people[p] for p in sorted(people)],
            "pairs": len(pairs),
            "repeated_pairs": [{"person_id": p, "unit_id": u, "times": t}
                               for p, u, t in repeated],
            "spread": per_draw + per_month}


def _registry_table(entries: Mapping[int, Mapping[str, Any]],
                    documents: Mapping[str, bytes]) -> dict[str, Any]:
    snapshots = []
    for index in sorted(entries):
        e = entries[index]
        if entry_type(e) != SNAPSHOT:
            continue
        row: dict[str, Any] = {"snapshot": e.get("snapshot"), "kind": e.get("kind"),
                               "index": index, "count": e.get("count"), "prev": e.get("prev"),
                               "added": None, "removed": None, "changed": None,
                               "retired": None, "reactivated": None}
        try:
            ref = SnapshotDiffRef.of(e)
            ids: DiffIds | None = ref.ids
            document = documents.get(str(e.get("snapshot")))
            if ids is None and ref.ids_sha256 is not None and document is not None:
                ids = ref.check_ids_file(document)
        except EntryError:
            snapshots.append(row)
            continue
        row.update(added=ref.added, removed=ref.removed, changed=ref.changed)
        if ids is not None:
            row.update(retired=len(ids.retired), reactivated=len(ids.reactivated))
        snapshots.append(row)
    gaps, pending = [], []
    for f in registry_gap_findings(entries, documents):
        if f.status == "fail":
            ev = f.evidence
            gaps.append({"draw_id": f.subject.removeprefix("draw "), "unit_id": ev["unit_id"],
                         "left_in": ev["left_in"], "left_how": ev["left_how"],
                         "back_in": ev["back_in"], "back_how": ev["back_how"]})
        elif f.status == "pending":
            pending.append({"draw_id": f.subject.removeprefix("draw "), "reason": f.reason})
    return {"snapshots": snapshots, "gaps": gaps, "gaps_pending": pending}


def compute_stats(entries: Mapping[int, Any] | Sequence[Any],
                  records: Mapping[str, Sequence[Mapping[str, Any]]],
                  documents: Mapping[str, bytes] | None = None, *,
                  tree_size: int) -> dict[str, Any]:
    """The figures of docs/spec/stats.md from proven entries and root-checked records.

    `records`: snapshot name -> its records (only snapshots whose root the caller
    checked); `documents`: snapshot name -> its published diff ids document."""
    by_index = _as_map(entries)
    draws = [_Draw(by_index, a, r, records) for a, r in _drawn(by_index)]
    brigades, cells, units = _group_tables(draws)
    return {
        "version": 1,
        "tree_size": tree_size,
        "alpha": "0.05",
        "draws": [d.row() for d in draws],
        "pending": [d.draw_id for d in draws if d.units is None],
        "strata": _strata_rows(draws),
        "brigades": brigades,
        "cells": cells,
        "units": units,
        **_officer_tables(draws),
        "registry": _registry_table(by_index, documents or {}),
    }


def unit_history(entries: Mapping[int, Any] | Sequence[Any],
                 records: Mapping[str, Sequence[Mapping[str, Any]]],
                 unit_id: str) -> list[dict[str, Any]]:
    """One unit across every drawn draw: its stratum, its target ticket, the cut-off (the
    last selected ticket of its stratum) and its rank when selected."""
    by_index = _as_map(entries)
    out = []
    for a, r in _drawn(by_index):
        d = _Draw(by_index, a, r, records)
        row: dict[str, Any] = {"draw_id": d.draw_id, "from": d.announce["period"]["from"],
                               "in_snapshot": None, "stratum": None, "ticket": None,
                               "cutoff": None, "rank": None}
        for s in d.selected:
            if s["unit_id"] == unit_id:
                row.update(stratum=s["stratum"], rank=s["rank"])
        if d.units is not None and d.pools is not None:
            row["in_snapshot"] = any(u.get("id") == unit_id for u in d.units)
            for stratum, pool in zip(d.spec.strata, d.pools, strict=True):
                if unit_id in pool:
                    row["stratum"] = stratum.name
        if row["stratum"] is not None:
            seed = bytes.fromhex(str(d.result["seed"]))
            row["ticket"] = ticket(seed, "target", unit_id).hex()
            last = [s["ticket"] for s in d.selected if s["stratum"] == row["stratum"]]
            row["cutoff"] = max(last) if last else None
        out.append(row)
    return out
