"""The `draw.announce` entry (DESIGN §4 Entries, §5 field meanings), parsed strictly.

`parse_announce` checks an announce entry structurally and returns a frozen
`DrawSpec`: the typed view draw-v1 (`draw_engine.select`) computes with.
Every refusal is an `AnnounceError` whose `field` is a JSON path, e.g.
`strata[2].quota.ratio`. Pure: no clock (whether the beacon round lies far
enough in the future is the lifecycle's check), no storage (whether the named
snapshots exist is the lifecycle's check).

Optional fields and their defaults: `inspectors`, `experts`, `zones` ({}),
`teams` (absent = no teams), `recusals` ([]), `exclusions` ([]),
`supersedes` (null), `calendar` (absent in announces made before it existed:
`{"sha256", "years", "provisional"}`, the working-day calendar the schedule
uses, docs/spec/schedule.md). Unknown fields are refused, so a typo cannot silently
change nothing but the spec hash.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, TypeGuard

from draw_engine.canonical import check_value, is_identifier
from draw_engine.errors import AnnounceError, CanonicalError

ALGORITHM = "draw-v1"
KINDS = ("routine", "special", "return_visit")
SCOPES = ("brigade", "zone", "detachment")
BEACON_SCHEMES = ("bls-unchained-g1-rfc9380", "pedersen-bls-chained")

_REQUIRED = ("type", "v", "draw_id", "title", "authority", "kind", "algorithm", "period",
             "units", "strata", "beacon")
_OPTIONAL = ("inspectors", "experts", "exclusions", "zones", "teams", "recusals", "supersedes",
             "calendar")
_HEX64 = re.compile(r"[0-9a-f]{64}")
# Blank text: Python's str.isspace set plus U+FEFF, spelled out so that the browser's
# draw.js uses exactly the same characters (JS `trim` and `\s` differ from Python's).
_BLANK = re.compile(
    "[\t\n\x0b\x0c\r\x1c-\x1f \x85\xa0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f"
    "\u3000\ufeff]*"
)
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_RFC3339_UTC = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
# SPEC(DESIGN §4): ratios are strings "p/q", canonical decimals (no sign, space, leading zero).
_RATIO = re.compile(r"(0|[1-9][0-9]{0,15})/([1-9][0-9]{0,15})")


@dataclass(frozen=True)
class SnapshotRef:
    """`units` / `inspectors` / `experts` of an announce: which snapshot, its root and count."""

    snapshot: str
    root: str
    count: int


@dataclass(frozen=True)
class Quota:
    """A stratum quota (DESIGN §5 step 5). `kind` is "ratio", "count" or "all"."""

    kind: str
    numerator: int = 0
    denominator: int = 1
    count: int = 0
    minimum: int | None = None
    reserve: int = 0

    def size(self, n: int) -> int:
        """k for a stratum of n units."""
        if self.kind == "ratio":
            # SPEC(draw-v1 §5.5): k = ceil(n·p/q) in integer arithmetic.
            k = -(-(n * self.numerator) // self.denominator)
        elif self.kind == "count":
            k = min(self.count, n)  # SPEC(draw-v1 §5.5): k = min(c, n)
        else:
            k = n  # SPEC(draw-v1 §5.5): all → k = n
        if self.minimum is not None:
            k = max(k, min(self.minimum, n))  # SPEC(draw-v1 §5.5): min raises k to min(m, n)
        return min(k, n)


@dataclass(frozen=True)
class Stratum:
    name: str
    match: tuple[tuple[str, tuple[Any, ...]], ...]
    quota: Quota


@dataclass(frozen=True)
class TeamRules:
    assistants: int
    experts: int
    scopes: tuple[str, ...]
    exclude_own_brigade: bool


@dataclass(frozen=True)
class DrawSpec:
    """The parts of an announce that draw-v1 reads."""

    draw_id: str
    kind: str
    period_from: str
    period_to: str
    units: SnapshotRef
    inspectors: SnapshotRef | None
    experts: SnapshotRef | None
    strata: tuple[Stratum, ...]
    exclusions: frozenset[str]
    zones: tuple[tuple[str, tuple[str, ...]], ...]
    teams: TeamRules | None
    recusals: frozenset[tuple[str, str]]
    beacon_round: int
    beacon_local: bool
    supersedes: str | None
    calendar_sha256: str | None = None


def _fail(field: str, message: str) -> AnnounceError:
    return AnnounceError(message, field=field)


def _object(value: object, field: str) -> Mapping[str, Any]:
    if not isinstance(value, dict):
        raise _fail(field, "must be an object")
    return value


def _keys(obj: Mapping[str, Any], field: str, required: tuple[str, ...],
          optional: tuple[str, ...] = ()) -> None:
    for key in required:
        if key not in obj:
            raise _fail(f"{field}.{key}" if field else key, "is missing")
    for key in obj:
        if key not in required and key not in optional:
            allowed = ", ".join(required + optional)
            raise _fail(f"{field}.{key}" if field else key, f"unknown field (allowed: {allowed})")


def _identifier(value: object, field: str) -> str:
    if not isinstance(value, str) or not is_identifier(value):
        raise _fail(field, f"must be an ASCII identifier [A-Za-z0-9._:-]{{1,64}}, got {value!r}")
    return value


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or _BLANK.fullmatch(value):
        raise _fail(field, "must be a non-empty string (not only spaces)")
    return value


def _int(value: object, field: str, *, minimum: int = 0) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _fail(field, f"must be an integer, got {value!r}")
    if value < minimum:
        raise _fail(field, f"must be >= {minimum}, got {value}")
    return value


def is_calendar_date(value: object) -> TypeGuard[str]:
    """True for a string YYYY-MM-DD naming a real Gregorian date, years 0001-9999."""
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        return False
    try:
        date.fromisoformat(value)
    except ValueError:
        return False
    return True


def _date(value: object, field: str) -> str:
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise _fail(field, f"must be a date YYYY-MM-DD, got {value!r}")
    if not is_calendar_date(value):
        raise _fail(field, f"is not a calendar date: {value!r}")
    return value


def _snapshot_ref(value: object, field: str) -> SnapshotRef:
    obj = _object(value, field)
    _keys(obj, field, ("snapshot", "root", "count"))
    root = obj["root"]
    if not isinstance(root, str) or not _HEX64.fullmatch(root):
        raise _fail(f"{field}.root", "must be 64 lowercase hex digits")
    return SnapshotRef(
        snapshot=_identifier(obj["snapshot"], f"{field}.snapshot"),
        root=root,
        count=_int(obj["count"], f"{field}.count"),
    )


def parse_ratio(text: object, field: str = "ratio") -> tuple[int, int]:
    """Parse "p/q" (canonical decimals, 0 <= p <= q, q >= 1) into (p, q)."""
    if not isinstance(text, str):
        raise _fail(field, f"must be a string \"p/q\", got {text!r}")
    found = _RATIO.fullmatch(text)
    if found is None:
        raise _fail(field, f"{text!r} is not a ratio \"p/q\" of canonical decimals with q >= 1")
    p, q = int(found.group(1)), int(found.group(2))
    if p > q:
        raise _fail(field, f"{text!r} is more than 1 (p must be <= q)")
    return p, q


def _quota(value: object, field: str) -> Quota:
    obj = _object(value, field)
    kinds = [key for key in ("ratio", "count", "all") if key in obj]
    if len(kinds) != 1:
        raise _fail(field, "must have exactly one of ratio, count, all")
    kind = kinds[0]
    _keys(obj, field, (kind,), ("min", "reserve"))
    minimum = _int(obj["min"], f"{field}.min") if "min" in obj else None
    reserve = _int(obj["reserve"], f"{field}.reserve") if "reserve" in obj else 0
    if kind == "ratio":
        p, q = parse_ratio(obj["ratio"], f"{field}.ratio")
        return Quota("ratio", numerator=p, denominator=q, minimum=minimum, reserve=reserve)
    if kind == "count":
        return Quota("count", count=_int(obj["count"], f"{field}.count"), minimum=minimum,
                     reserve=reserve)
    if obj["all"] is not True:
        raise _fail(f"{field}.all", "must be true")
    return Quota("all", minimum=minimum, reserve=reserve)


def _stratum(value: object, field: str) -> Stratum:
    obj = _object(value, field)
    _keys(obj, field, ("name", "match", "quota"))
    match = _object(obj["match"], f"{field}.match")
    pairs = []
    for attribute, allowed in match.items():
        where = f"{field}.match.{attribute}"
        _identifier(attribute, where)
        if not isinstance(allowed, list) or not allowed:
            raise _fail(where, "must be a non-empty list of allowed values")
        for i, item in enumerate(allowed):
            if isinstance(item, dict | list):
                raise _fail(f"{where}[{i}]", "allowed values are strings, integers, booleans "
                            "or null")
        pairs.append((attribute, tuple(allowed)))
    return Stratum(name=_identifier(obj["name"], f"{field}.name"), match=tuple(pairs),
                   quota=_quota(obj["quota"], f"{field}.quota"))


def _teams(value: object, field: str) -> TeamRules:
    obj = _object(value, field)
    _keys(obj, field, (), ("assistants", "experts", "scopes", "exclude_own_brigade"))
    scopes = obj.get("scopes", ["detachment"])
    if not isinstance(scopes, list) or not scopes:
        raise _fail(f"{field}.scopes", "must be a non-empty list")
    for i, scope in enumerate(scopes):
        if scope not in SCOPES:
            raise _fail(f"{field}.scopes[{i}]", f"unknown scope {scope!r} (known: "
                        f"{', '.join(SCOPES)})")
    if len(set(scopes)) != len(scopes):
        raise _fail(f"{field}.scopes", "lists a scope twice")
    exclude = obj.get("exclude_own_brigade", False)
    if not isinstance(exclude, bool):
        raise _fail(f"{field}.exclude_own_brigade", "must be true or false")
    return TeamRules(
        assistants=_int(obj.get("assistants", 1), f"{field}.assistants"),
        experts=_int(obj.get("experts", 0), f"{field}.experts"),
        scopes=tuple(scopes),
        exclude_own_brigade=exclude,
    )


def _beacon(value: object) -> tuple[int, bool]:
    obj = _object(value, "beacon")
    _keys(obj, "beacon", ("scheme", "chain_hash", "round", "round_time"), ("local",))
    if obj["scheme"] not in BEACON_SCHEMES:
        raise _fail("beacon.scheme", f"unknown scheme {obj['scheme']!r} (known: "
                    f"{', '.join(BEACON_SCHEMES)})")
    if not isinstance(obj["chain_hash"], str) or not _HEX64.fullmatch(obj["chain_hash"]):
        raise _fail("beacon.chain_hash", "must be 64 lowercase hex digits")
    round_time = obj["round_time"]
    if not isinstance(round_time, str) or not _RFC3339_UTC.fullmatch(round_time):
        raise _fail("beacon.round_time", f"must be RFC 3339 UTC YYYY-MM-DDTHH:MM:SSZ, got "
                    f"{round_time!r}")
    _date(round_time[:10], "beacon.round_time")
    hh, mm, ss = int(round_time[11:13]), int(round_time[14:16]), int(round_time[17:19])
    if hh > 23 or mm > 59 or ss > 59:
        raise _fail("beacon.round_time", f"is not a valid time: {round_time!r}")
    local = obj.get("local", False)
    if not isinstance(local, bool):
        raise _fail("beacon.local", "must be true or false")
    return _int(obj["round"], "beacon.round", minimum=1), local


def _years(value: object, field: str, *, empty: bool) -> list[int]:
    if not isinstance(value, list) or (not value and not empty):
        raise _fail(field, "must be a list of years" + ("" if empty else " (not empty)"))
    years = [_int(y, f"{field}[{i}]", minimum=1) for i, y in enumerate(value)]
    for i, y in enumerate(years):
        if y > 9999 or (i and y <= years[i - 1]):
            raise _fail(f"{field}[{i}]", "years are ascending, unique and at most 9999")
    return years


def _calendar(value: object) -> str:
    """SPEC(schedule.md): calendar = {sha256, years (ascending), provisional (⊆ years)}."""
    obj = _object(value, "calendar")
    _keys(obj, "calendar", ("sha256", "years", "provisional"))
    if not isinstance(obj["sha256"], str) or not _HEX64.fullmatch(obj["sha256"]):
        raise _fail("calendar.sha256", "must be 64 lowercase hex digits")
    years = _years(obj["years"], "calendar.years", empty=False)
    for i, y in enumerate(_years(obj["provisional"], "calendar.provisional", empty=True)):
        if y not in years:
            raise _fail(f"calendar.provisional[{i}]", f"{y} is not one of calendar.years")
    return obj["sha256"]


def parse_announce(entry: object) -> DrawSpec:
    """Check a `draw.announce` entry and return its `DrawSpec`; raise `AnnounceError`."""
    obj = _object(entry, "$")
    try:
        check_value(obj)
    except CanonicalError as exc:
        raise _fail(exc.path.removeprefix("$").removeprefix("."), str(exc.args[0])) from exc
    _keys(obj, "", _REQUIRED, _OPTIONAL)
    if obj["type"] != "draw.announce":
        raise _fail("type", f"must be \"draw.announce\", got {obj['type']!r}")
    if obj["v"] != 1 or isinstance(obj["v"], bool):
        raise _fail("v", f"must be 1, got {obj['v']!r}")
    if obj["algorithm"] != ALGORITHM:
        raise _fail("algorithm", f"must be \"{ALGORITHM}\", got {obj['algorithm']!r}")
    if obj["kind"] not in KINDS:
        raise _fail("kind", f"must be one of {', '.join(KINDS)}, got {obj['kind']!r}")
    _text(obj["title"], "title")
    _text(obj["authority"], "authority")
    period = _object(obj["period"], "period")
    _keys(period, "period", ("from", "to"))
    period_from = _date(period["from"], "period.from")
    period_to = _date(period["to"], "period.to")
    if period_from > period_to:
        raise _fail("period", f"from {period_from} is after to {period_to}")

    strata_value = obj["strata"]
    if not isinstance(strata_value, list) or not strata_value:
        raise _fail("strata", "must be a non-empty list")
    strata = tuple(_stratum(s, f"strata[{i}]") for i, s in enumerate(strata_value))
    names = [s.name for s in strata]
    for i, name in enumerate(names):
        if name in names[:i]:
            raise _fail(f"strata[{i}].name", f"stratum name {name!r} is used twice")

    exclusions: set[str] = set()
    exclusions_value = obj.get("exclusions", [])
    if not isinstance(exclusions_value, list):
        raise _fail("exclusions", "must be a list")
    for i, item in enumerate(exclusions_value):
        where = f"exclusions[{i}]"
        ex = _object(item, where)
        _keys(ex, where, ("unit_id", "reason"))
        unit_id = _identifier(ex["unit_id"], f"{where}.unit_id")
        _text(ex["reason"], f"{where}.reason")
        if unit_id in exclusions:
            raise _fail(f"{where}.unit_id", f"unit {unit_id} is excluded twice")
        exclusions.add(unit_id)

    zones_value = _object(obj.get("zones", {}), "zones")
    zones = []
    for zone, brigades in zones_value.items():
        _identifier(zone, f"zones.{zone}")
        if not isinstance(brigades, list) or not all(
            isinstance(b, str) and b for b in brigades
        ):
            raise _fail(f"zones.{zone}", "must be a list of brigade names")
        zones.append((zone, tuple(brigades)))

    recusals: set[tuple[str, str]] = set()
    recusals_value = obj.get("recusals", [])
    if not isinstance(recusals_value, list):
        raise _fail("recusals", "must be a list of [person_id, unit_id]")
    for i, pair in enumerate(recusals_value):
        if not isinstance(pair, list) or len(pair) != 2:
            raise _fail(f"recusals[{i}]", "must be a pair [person_id, unit_id]")
        person = _identifier(pair[0], f"recusals[{i}][0]")
        unit = _identifier(pair[1], f"recusals[{i}][1]")
        if (person, unit) in recusals:
            raise _fail(f"recusals[{i}]", f"pair [{person}, {unit}] is listed twice")
        recusals.add((person, unit))

    inspectors = _snapshot_ref(obj["inspectors"], "inspectors") if "inspectors" in obj else None
    experts = _snapshot_ref(obj["experts"], "experts") if "experts" in obj else None
    teams = _teams(obj["teams"], "teams") if "teams" in obj else None
    if teams is not None:
        if inspectors is None:
            raise _fail("inspectors", "teams need an inspectors snapshot")
        if teams.experts > 0 and experts is None:
            raise _fail("experts", "teams.experts > 0 needs an experts snapshot")
        if "zone" in teams.scopes and not zones:
            raise _fail("teams.scopes", "scope \"zone\" needs a non-empty zones map")
    beacon_round, beacon_local = _beacon(obj["beacon"])
    supersedes = obj.get("supersedes")
    if supersedes is not None:
        _identifier(supersedes, "supersedes")
    return DrawSpec(
        draw_id=_identifier(obj["draw_id"], "draw_id"),
        kind=obj["kind"],
        period_from=period_from,
        period_to=period_to,
        units=_snapshot_ref(obj["units"], "units"),
        inspectors=inspectors,
        experts=experts,
        strata=strata,
        exclusions=frozenset(exclusions),
        zones=tuple(zones),
        teams=teams,
        recusals=frozenset(recusals),
        beacon_round=beacon_round,
        beacon_local=beacon_local,
        supersedes=supersedes,
        calendar_sha256=_calendar(obj["calendar"]) if "calendar" in obj else None,
    )


def validate_announce(entry: object) -> None:
    """Raise `AnnounceError` if `entry` is not a well-formed `draw.announce` entry."""
    parse_announce(entry)
