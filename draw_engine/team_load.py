"""Team load: how evenly a draw, and a month of draws, spread duties over the officers.

draw-v1 (DESIGN §5 step 7, normative and published) fills each slot with the
least-loaded candidate of the current scope; its walk is greedy, so inside one
draw the duties of a zone can spread over three values where two were possible,
and across a month's batches nothing evens the zones out. This module measures
that; it changes nothing (docs/draw-v2-notes.md says what a draw-v2 would do).

A *duty* is one `lead` or `assist` slot of a selected unit's team (experts
never count as enforcement members, DOMAIN.md). Officers are grouped by the
zone of their brigade (the announce's `zones`; a brigade in no zone is its own
group). Every officer of a group who could hold a duty in the draw counts
(draw-v1 §5 step 7: active, holding `lead` or `assist`, `cert_valid_until` >=
the period's end), with 0 if the draw gave them none; a group appears in a
draw's report only if the draw gave it a duty. For a month, an officer counts
if they could hold a duty in one of its draws.

`best_low..best_high` is what an even spread would give: floor and ceiling of
duties / officers. Pure: takes the announce, the result's `selected` and the
inspector records.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

DUTY_ROLES = ("lead", "assist")


@dataclass(frozen=True)
class Spread:
    scope: str
    """A draw id or a month (YYYY-MM)."""
    group: str
    """A zone name, or a brigade in no zone."""
    officers: int
    duties: int
    low: int
    high: int

    @property
    def best_low(self) -> int:
        return self.duties // self.officers if self.officers else 0

    @property
    def best_high(self) -> int:
        return -(-self.duties // self.officers) if self.officers else 0

    @property
    def excess(self) -> int:
        """How much wider the spread is than an even one (0 = as even as possible)."""
        return (self.high - self.low) - (self.best_high - self.best_low)

    def to_json(self) -> dict[str, Any]:
        return {"scope": self.scope, "group": self.group, "officers": self.officers,
                "duties": self.duties, "low": self.low, "high": self.high,
                "best_low": self.best_low, "best_high": self.best_high, "excess": self.excess}


def zone_of(zones: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """Brigade -> zone name."""
    return {b: z for z, brigades in zones.items() for b in brigades}


def draw_duties(selected: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Officer id -> duties in one draw's selected teams."""
    out: dict[str, int] = defaultdict(int)
    for sel in selected:
        for m in (sel.get("team") or {}).get("members", ()):
            if m["role"] in DUTY_ROLES:
                out[m["person_id"]] += 1
    return dict(out)


def _groups(inspectors: Iterable[Mapping[str, Any]], zones: Mapping[str, Sequence[str]],
            period_to: str) -> dict[str, str]:
    """Officer who could hold a duty in a draw ending `period_to` -> group."""
    zone = zone_of(zones)
    out = {}
    for p in inspectors:
        roles = p.get("roles") or ()
        cert = p.get("cert_valid_until")
        if (p.get("status") == "active" and any(r in DUTY_ROLES for r in roles)
                and isinstance(cert, str) and cert >= period_to):
            brigade = str(p.get("brigade", ""))
            out[str(p["id"])] = zone.get(brigade, brigade)
    return out


def spreads(scope: str, duties: Mapping[str, int], groups: Mapping[str, str]) -> list[Spread]:
    """One Spread per group that holds a duty; officers with none count as 0."""
    members: dict[str, list[int]] = defaultdict(list)
    for person, group in groups.items():
        members[group].append(duties.get(person, 0))
    for person, n in duties.items():
        if person not in groups:  # drawn, but not an active officer now: still counted
            members["?"].append(n)
    out = []
    for group in sorted(members):
        counts = members[group]
        if sum(counts):
            out.append(Spread(scope, group, len(counts), sum(counts), min(counts), max(counts)))
    return out


def draw_spread(announce: Mapping[str, Any], selected: Sequence[Mapping[str, Any]],
                inspectors: Iterable[Mapping[str, Any]]) -> list[Spread]:
    """The spread of one draw, per zone."""
    return spreads(str(announce["draw_id"]), draw_duties(selected),
                   _groups(inspectors, announce.get("zones") or {}, announce["period"]["to"]))


def month_spread(month: str,
                 draws: Sequence[tuple[Mapping[str, Any], Sequence[Mapping[str, Any]]]],
                 inspectors: Iterable[Mapping[str, Any]]) -> list[Spread]:
    """The spread of the summed duties of `draws` ((announce, selected) pairs), per zone and
    over all officers (group "all")."""
    total: dict[str, int] = defaultdict(int)
    groups: dict[str, str] = {}
    people = list(inspectors)
    for announce, selected in draws:
        for person, n in draw_duties(selected).items():
            total[person] += n
        groups.update(_groups(people, announce.get("zones") or {}, announce["period"]["to"]))
    per_zone = spreads(month, total, groups)
    everyone = spreads(month, total, dict.fromkeys(groups, "all"))
    return per_zone + everyone


def format_spreads(rows: Sequence[Spread]) -> str:
    """An aligned bilingual table."""
    head = ("范围 scope", "协作区 zone", "人数 officers", "任务 duties", "最少 low",
            "最多 high", "均衡 even", "超出 excess")
    table = [head] + [(r.scope, r.group, str(r.officers), str(r.duties), str(r.low),
                       str(r.high), f"{r.best_low}-{r.best_high}", str(r.excess))
                      for r in rows]

    def width(text: str) -> int:
        return sum(2 if ord(c) > 0x2E80 else 1 for c in text)

    widths = [max(width(row[i]) for row in table) for i in range(len(head))]
    return "\n".join("  ".join(c + " " * (w - width(c)) for c, w in zip(row, widths,
                                                                        strict=True)).rstrip()
                     for row in table) + "\n"
