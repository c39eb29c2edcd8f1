"""The yearly inspection plan (年度抽查计划): rules → order draws → batch plans → coverage.

Format and worked example: docs/yearplan.md. Pure: rules, snapshot records, log entries
and dates are parameters; no clock, no storage (fairdraw.year_plan runs it against the
service, fairdraw.audit against a verified portal).

- `parse_rules(data)` checks a rules file strictly (`YearPlanError.field` names the
  JSON path of the first problem).
- Full-coverage classes (`"coverage": "full"`: every member once a year) are split into
  the year's batches. With `"order": "drawn"` the split comes from ordinary draw-v1
  draws, the *order draws* (`order_plans`): each takes up to `order_chunk` members (in id
  order) in one stratum with quota `all`, so its result ranks every member by ticket; a
  member of rank r among n goes to batch ceil(r·N/n) (`batch_of_rank`). No second
  randomness path: the order is the published ranking of verifiable draws. With
  `"order": "id"` members are spread by id order (predictable, no draw).
- `batch_plans` writes one ordinary draw plan per batch (and per group of brigades:
  the rules' `groups`, else their `zones`): a full class's stratum matches exactly its
  batch's ids (quota `all`), a stratum `<class>-other-batches` (quota count 0) keeps
  the rest of the class out of the sampled strata, and sampled classes keep their own
  quota. `apply_min_share` raises the `min` of the class with `min_share` so that it
  makes up at least that share of the batch's selected units (stratum sizes do not
  depend on the randomness).
- `coverage_findings` reads proven log entries and says, per batch and class, whether
  the year keeps to the plan: order draws naming these rules, batch strata equal to
  their slices, the minimum share held, and every unit of a finished batch inspected.

Left out: a unit that joins a full-coverage class after its order draw belongs to no
batch (a special draw covers it); batches of unequal length (12 / N months each).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from draw_engine.canonical import check_value, is_identifier, parse_json
from draw_engine.errors import CanonicalError, DrawEngineError
from draw_engine.select import _split_by_match as split_by_match

FORMAT = "fairdraw-yearplan-v1"
BATCH_COUNTS = (1, 2, 3, 4, 6, 12)
DEFAULT_ORDER_CHUNK = 300
MAX_ORDER_CHUNK = 400
MAX_RULES_SIZE = 1 << 20
DEFAULT_REPORT_DAYS = 30
INSPECTED = ("compliant", "rectification_ordered", "penalised")
_KEYS = ("format", "year", "id_prefix", "authority", "title", "batches", "zones", "groups",
         "teams",
         "classes", "order_chunk", "report_within_days")
_REQUIRED = ("format", "year", "id_prefix", "authority", "batches", "classes")
_CLASS_KEYS = ("name", "label", "match", "coverage", "order", "quota", "min_share")
_QUOTA_KEYS = ("ratio", "count", "min", "reserve")
_RATIO = re.compile(r"(0|[1-9][0-9]{0,8})/([1-9][0-9]{0,8})")
_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9.-]{0,23}")


class YearPlanError(DrawEngineError, ValueError):
    """A rules file, or the year's draws, that cannot be planned as given; `field` names it."""

    def __init__(self, message: str, *, field: str) -> None:
        super().__init__(message)
        self.field = field

    def __str__(self) -> str:
        return f"{self.field}: {self.args[0]}"


@dataclass(frozen=True)
class PlanClass:
    name: str
    label: str
    match: dict[str, list[Any]]
    full: bool
    order: str | None  # "drawn" | "id" for full classes
    quota: dict[str, Any] | None
    min_share: tuple[int, int] | None


@dataclass(frozen=True)
class Rules:
    year: int
    id_prefix: str
    authority: str
    title: str
    batches: int
    zones: dict[str, list[str]]
    groups: dict[str, list[str]]  # the batch draws' brigade groups: `groups`, else `zones`
    teams: dict[str, Any] | None
    classes: tuple[PlanClass, ...]
    order_chunk: int
    report_within_days: int
    sha256: str

    def period(self, batch: int) -> tuple[str, str]:
        """First and last day of batch `batch` (1-based): 12 / batches months."""
        months = 12 // self.batches
        first = date(self.year, (batch - 1) * months + 1, 1)
        end_month = batch * months
        after = date(self.year + 1, 1, 1) if end_month == 12 else date(self.year,
                                                                        end_month + 1, 1)
        return first.isoformat(), (after - timedelta(days=1)).isoformat()

    def order_id(self, cls: str, part: int) -> str:
        return f"{self.id_prefix}-{self.year}-order-{cls}-{part:02d}"

    def batch_id(self, batch: int, group: str | None) -> str:
        return f"{self.id_prefix}-{self.year}-b{batch:02d}" + (f"-{group}" if group else "")

    def group_list(self) -> list[str | None]:
        return list(self.groups) if self.groups else [None]


def _fail(field: str, message: str) -> YearPlanError:
    return YearPlanError(message, field=field)


def _ratio(value: object, field: str, *, below_one: bool = False) -> tuple[int, int]:
    found = _RATIO.fullmatch(value) if isinstance(value, str) else None
    if found is None:
        raise _fail(field, f"must be a ratio \"p/q\" (canonical decimals), got {value!r}")
    p, q = int(found.group(1)), int(found.group(2))
    if p > q or (below_one and not 0 < p < q):
        where = "strictly between 0 and 1" if below_one else "between 0 and 1"
        raise _fail(field, f"{value!r} must lie {where}")
    return p, q


def _int(value: object, field: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise _fail(field, f"must be an integer from {low} to {high}, got {value!r}")
    return value


def _text(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise _fail(field, "must be a non-empty string of at most 200 characters")
    return value


def _match(value: object, field: str, *, zoned: bool) -> dict[str, list[Any]]:
    if not isinstance(value, dict):
        raise _fail(field, "must be an object mapping an attribute to its allowed values")
    for attribute, allowed in value.items():
        where = f"{field}.{attribute}"
        if not is_identifier(attribute):
            raise _fail(where, "attribute names are ASCII identifiers")
        if attribute in {"id", "status"}:
            raise _fail(where, f"a class may not match on {attribute!r} (the plan does)")
        if zoned and attribute == "brigade":
            raise _fail(where, "with zones or groups, the plan restricts each batch draw to "
                        "its brigades: a class may not match on brigade")
        if not isinstance(allowed, list) or not allowed:
            raise _fail(where, "must be a non-empty list of allowed values")
        for i, item in enumerate(allowed):
            if isinstance(item, dict | list):
                raise _fail(f"{where}[{i}]", "allowed values are strings, integers, booleans "
                            "or null")
    return value


def _quota(value: object, field: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise _fail(field, "must be an object {ratio|count, min?, reserve?}")
    for key in value:
        if key not in _QUOTA_KEYS:
            raise _fail(f"{field}.{key}", f"unknown field (allowed: {', '.join(_QUOTA_KEYS)})")
    kinds = [k for k in ("ratio", "count") if k in value]
    if len(kinds) != 1:
        raise _fail(field, "must have exactly one of ratio, count")
    if "ratio" in value:
        _ratio(value["ratio"], f"{field}.ratio")
    else:
        _int(value["count"], f"{field}.count", 0, 100_000)
    for key in ("min", "reserve"):
        if key in value:
            _int(value[key], f"{field}.{key}", 0, 100_000)
    return dict(value)


def _class(value: object, field: str, *, zoned: bool) -> PlanClass:
    if not isinstance(value, dict):
        raise _fail(field, "must be an object")
    for key in value:
        if key not in _CLASS_KEYS:
            raise _fail(f"{field}.{key}", f"unknown field (allowed: {', '.join(_CLASS_KEYS)})")
    name = value.get("name")
    if not isinstance(name, str) or not is_identifier(name) or len(name) > 24:
        raise _fail(f"{field}.name", f"must be an ASCII identifier of at most 24 characters, "
                    f"got {name!r}")
    label = _text(value.get("label", name), f"{field}.label")
    if "match" not in value:
        raise _fail(f"{field}.match", "is missing ({} matches every unit)")
    match = _match(value["match"], f"{field}.match", zoned=zoned)
    coverage = value.get("coverage")
    if coverage not in (None, "full"):
        raise _fail(f"{field}.coverage", f"must be \"full\" or absent, got {coverage!r}")
    if coverage == "full":
        for key in ("quota", "min_share"):
            if key in value:
                raise _fail(f"{field}.{key}", "a full-coverage class has no quota or share: "
                            "each member is inspected once a year")
        order = value.get("order")
        if order not in ("drawn", "id"):
            raise _fail(f"{field}.order", f"must be \"drawn\" or \"id\", got {order!r}")
        return PlanClass(name, label, match, True, order, None, None)
    if "order" in value:
        raise _fail(f"{field}.order", "only a full-coverage class has an order")
    if "quota" not in value:
        raise _fail(f"{field}.quota", "is missing (a sampled class needs a quota per batch)")
    quota = _quota(value["quota"], f"{field}.quota")
    share = (_ratio(value["min_share"], f"{field}.min_share", below_one=True)
             if "min_share" in value else None)
    return PlanClass(name, label, match, False, None, quota, share)


def _zones(value: object, key: str = "zones") -> dict[str, list[str]]:
    if not isinstance(value, dict):
        raise _fail(key, "must be an object mapping a name to its brigades")
    seen: dict[str, str] = {}
    for zone, brigades in value.items():
        if not is_identifier(zone) or len(zone) > 16:
            raise _fail(f"{key}.{zone}", "names are ASCII identifiers of at most 16 characters")
        if not isinstance(brigades, list) or not brigades or not all(
                isinstance(b, str) and b for b in brigades):
            raise _fail(f"{key}.{zone}", "must be a non-empty list of brigade names")
        for b in brigades:
            if b in seen:
                raise _fail(f"{key}.{zone}", f"brigade {b!r} is also in {seen[b]!r}")
            seen[b] = zone
    return value


def _groups(value: object, zones: Mapping[str, Sequence[str]]) -> dict[str, list[str]]:
    """`groups` split a zone's batch draw further (one log entry holds ~280 selected units
    with teams); each group lies in one zone and, with zones, every zone brigade is in one."""
    groups = _zones(value, "groups")
    zone_of = {b: z for z, bs in zones.items() for b in bs}
    for name, brigades in groups.items():
        in_zones = {zone_of.get(b) for b in brigades}
        if zones and (len(in_zones) != 1 or None in in_zones):
            raise _fail(f"groups.{name}", "a group's brigades must all lie in one zone")
    missing = sorted(set(zone_of) - {b for bs in groups.values() for b in bs})
    if missing:
        raise _fail("groups", f"brigades of the zones in no group: {', '.join(missing)}")
    return groups


def parse_rules(data: bytes) -> Rules:
    """Strictly parse a rules file (docs/yearplan.md); `YearPlanError` names the field."""
    if len(data) > MAX_RULES_SIZE:
        raise _fail("$", f"the rules file is larger than {MAX_RULES_SIZE} bytes")
    try:
        obj = parse_json(data, max_size=MAX_RULES_SIZE)
        check_value(obj)
    except CanonicalError as e:
        raise _fail("$", f"not valid JSON for a plan: {e}") from e
    if not isinstance(obj, dict):
        raise _fail("$", "the rules must be a JSON object")
    for key in obj:
        if key not in _KEYS:
            raise _fail(key, f"unknown field (allowed: {', '.join(_KEYS)})")
    for key in _REQUIRED:
        if key not in obj:
            raise _fail(key, "is missing")
    if obj["format"] != FORMAT:
        raise _fail("format", f"must be {FORMAT!r}, got {obj['format']!r}")
    year = _int(obj["year"], "year", 2000, 2999)
    prefix = obj["id_prefix"]
    if not isinstance(prefix, str) or not _PREFIX.fullmatch(prefix):
        raise _fail("id_prefix", f"must match {_PREFIX.pattern}, got {prefix!r}")
    batches = obj["batches"]
    if isinstance(batches, bool) or batches not in BATCH_COUNTS:
        raise _fail("batches", f"must be one of {BATCH_COUNTS} (batches of equal months), "
                    f"got {batches!r}")
    zones = _zones(obj.get("zones", {}))
    groups = _groups(obj["groups"], zones) if "groups" in obj else zones
    teams = obj.get("teams")
    if teams is not None and not isinstance(teams, dict):
        raise _fail("teams", "must be an object (draw-v1 team rules)")
    if not isinstance(obj["classes"], list) or not obj["classes"]:
        raise _fail("classes", "must be a non-empty list")
    classes = tuple(_class(c, f"classes[{i}]", zoned=bool(groups))
                    for i, c in enumerate(obj["classes"]))
    names = [c.name for c in classes]
    for i, name in enumerate(names):
        if name in names[:i] or f"{name}-other-batches" in names:
            raise _fail(f"classes[{i}].name", f"class name {name!r} is used twice")
    shares = [i for i, c in enumerate(classes) if c.min_share is not None]
    if len(shares) > 1:
        raise _fail(f"classes[{shares[1]}].min_share", "only one class may have a min_share")
    return Rules(
        year=year, id_prefix=prefix, authority=_text(obj["authority"], "authority"),
        title=_text(obj.get("title", f"{year}年度双随机抽查计划"), "title"), batches=batches,
        zones=zones, groups=groups, teams=teams, classes=classes,
        order_chunk=_int(obj.get("order_chunk", DEFAULT_ORDER_CHUNK), "order_chunk", 1,
                         MAX_ORDER_CHUNK),
        report_within_days=_int(obj.get("report_within_days", DEFAULT_REPORT_DAYS),
                                "report_within_days", 0, 365),
        sha256=hashlib.sha256(data).hexdigest())


# -- class membership (draw-v1 §5.4 semantics: the FIRST class whose match holds) ------------


def class_members(rules: Rules, records: Iterable[Mapping[str, Any]]) -> dict[str, list[str]]:
    """Active unit ids of each class, sorted by id: each unit joins the FIRST class whose
    match holds, by draw-v1's own stratum matching (draw_engine.select, §5.4)."""
    brigades = {b for bs in rules.groups.values() for b in bs}
    records_left = [r for r in records if r.get("status") == "active"
                    and (not rules.groups or r.get("brigade") in brigades)]
    ids_left = [str(r["id"]) for r in records_left]
    out: dict[str, list[str]] = {}
    for c in rules.classes:
        chosen, ids_left, records_left = split_by_match(ids_left, records_left, tuple(
            (attribute, tuple(allowed)) for attribute, allowed in c.match.items()))
        out[c.name] = sorted(chosen, key=lambda i: i.encode("ascii"))
    return out


def chunks(ids: Sequence[str], size: int) -> list[list[str]]:
    return [list(ids[i:i + size]) for i in range(0, len(ids), size)]


def batch_of_rank(rank: int, n: int, batches: int) -> int:
    """Batch (1-based) of the member of rank `rank` (1-based) among `n`: ceil(r·N/n)."""
    return -(-(rank * batches) // n)


# -- plans ----------------------------------------------------------------------------------


def order_plans(rules: Rules, members: Mapping[str, Sequence[str]], units: str
                ) -> list[dict[str, Any]]:
    """The order draws of every full class with `"order": "drawn"` (module docstring)."""
    plans = []
    for c in rules.classes:
        if not (c.full and c.order == "drawn"):
            continue
        parts = chunks(members[c.name], rules.order_chunk)
        for part, ids in enumerate(parts, start=1):
            plans.append({
                "draw_id": rules.order_id(c.name, part),
                "title": f"{rules.year}年度抽查计划 批次顺序 {c.label} 第{part}/{len(parts)}部分 / "
                         f"{rules.year} batch order of {c.name}, part {part} of {len(parts)} "
                         f"(rules sha256 {rules.sha256})",
                "authority": rules.authority, "kind": "special",
                "period": {"from": f"{rules.year}-01-01", "to": f"{rules.year}-12-31"},
                "units": units,
                "strata": [{"name": c.name, "match": {"id": ids}, "quota": {"all": True}}],
            })
    return plans


def slices_from_results(rules: Rules, cls: PlanClass, results: Sequence[Mapping[str, Any]]
                        ) -> dict[str, int]:
    """unit id → batch, from the `draw.result` entries of the class's order draws."""
    batch: dict[str, int] = {}
    for result in results:
        strata = {s["name"]: s["n"] for s in result["strata"]}
        n = strata.get(cls.name)
        if not n:
            continue
        for sel in result["selected"]:
            if sel["stratum"] == cls.name:
                batch[sel["unit_id"]] = batch_of_rank(sel["rank"], n, rules.batches)
    return batch


def slices_by_id(rules: Rules, ids: Sequence[str]) -> dict[str, int]:
    """`"order": "id"`: members in id order, spread evenly over the batches."""
    return {uid: batch_of_rank(i, len(ids), rules.batches) for i, uid in enumerate(ids, 1)}


def batch_plans(
    rules: Rules,
    *,
    records: Iterable[Mapping[str, Any]],
    slices: Mapping[str, Mapping[str, int]],
    snapshots: Mapping[str, str],
) -> list[dict[str, Any]]:
    """One draw plan per batch (and group): `slices[class][unit_id]` is the unit's batch;
    `snapshots` names the units (and inspectors / experts) snapshots the batches use.
    A slice unit the records do not place in any group (gone from the registry) is listed
    in the first group's draw, where it matches nothing: the audit reports it as having
    left the pool, never as missing from the plan."""
    known = {b for bs in rules.groups.values() for b in bs}
    group_of = {str(r["id"]): r.get("brigade") for r in records}
    home = {u: (br if br in known else None) for u, br in group_of.items()}
    names = rules.group_list()
    plans = []
    for b in range(1, rules.batches + 1):
        first, last = rules.period(b)
        for group in names:
            allowed = rules.groups[group] if group else None
            where = {"brigade": list(allowed)} if allowed else {}
            strata: list[dict[str, Any]] = []
            for c in rules.classes:
                if c.full:
                    ids = sorted((u for u, ub in slices[c.name].items() if ub == b and (
                        allowed is None or home.get(u) in allowed
                        or (home.get(u) is None and group == names[0]))),
                                 key=lambda i: i.encode("ascii"))
                    if ids:
                        strata.append({"name": c.name, "match": {"id": ids},
                                       "quota": {"all": True}})
                    strata.append({"name": f"{c.name}-other-batches",
                                   "match": {**c.match, **where}, "quota": {"count": 0}})
                else:
                    assert c.quota is not None
                    strata.append({"name": c.name, "match": {**c.match, **where},
                                   "quota": dict(c.quota)})
            months = f"{first[:7]}" if first[:7] == last[:7] else f"{first[:7]}~{last[:7]}"
            plan: dict[str, Any] = {
                "draw_id": rules.batch_id(b, group),
                "title": f"{rules.title} 第{b}批（{months}）" + (f" {group}" if group else "")
                         + f" / batch {b} of {rules.batches}",
                "authority": rules.authority, "kind": "routine",
                "period": {"from": first, "to": last},
                **snapshots,
                "strata": strata,
            }
            if rules.zones:
                plan["zones"] = {z: list(bs) for z, bs in rules.zones.items()}
            if rules.teams is not None:
                plan["teams"] = dict(rules.teams)
            plans.append(plan)
    return plans


def apply_min_share(rules: Rules, plan: Mapping[str, Any], sizes: Mapping[str, tuple[int, int]]
                    ) -> dict[str, Any]:
    """`plan` with the `min_share` class's quota `min` raised so that its k is at least
    ceil(p·O/(q−p)), O the k of every other stratum; `sizes[stratum] = (n, k)` as draw-v1
    computes them for this plan (they do not depend on the randomness)."""
    share = [c for c in rules.classes if c.min_share is not None]
    if not share:
        return dict(plan)
    c = share[0]
    assert c.min_share is not None
    p, q = c.min_share
    others = sum(k for name, (_n, k) in sizes.items() if name != c.name)
    need = -(-(p * others) // (q - p))
    n, k = sizes.get(c.name, (0, 0))
    if need > n:
        raise _fail(f"classes.{c.name}.min_share",
                    f"batch {plan['draw_id']}: {c.name} has {n} units but needs {need} to make "
                    f"up {p}/{q} of {others + need} selected")
    if k >= need:
        return dict(plan)
    strata = []
    for s in plan["strata"]:
        strata.append({**s, "quota": {**s["quota"], "min": need}} if s["name"] == c.name else s)
    return {**plan, "strata": strata}


# -- coverage against the proven log ------------------------------------------------------


@dataclass(frozen=True)
class CoverageFinding:
    check: str
    status: str  # pass | fail | pending
    subject: str
    reason: str
    evidence: dict[str, Any]


_SUFFIX = r"(?:-r[0-9]+)?"


def _drawn(entries: Mapping[int, Mapping[str, Any]]) -> dict[str, tuple[Mapping[str, Any],
                                                                         Mapping[str, Any]]]:
    """draw id → (announce, result) for every draw with a result."""
    announces: dict[str, Mapping[str, Any]] = {}
    out = {}
    for _i, e in sorted(entries.items()):
        if e.get("type") == "draw.announce":
            announces.setdefault(e["draw_id"], e)
        elif e.get("type") == "draw.result" and e.get("draw_id") in announces:
            out[e["draw_id"]] = (announces[e["draw_id"]], e)
    return out


def coverage_findings(
    rules: Rules,
    entries: Mapping[int, Mapping[str, Any]],
    *,
    today: date,
) -> list[CoverageFinding]:
    """The plan's findings over proven log entries (docs/yearplan.md §Audit)."""
    out: list[CoverageFinding] = []

    def add(check: str, status: str, subject: str, reason: str, **evidence: Any) -> None:
        out.append(CoverageFinding(check, status, subject, reason, evidence))

    drawn = _drawn(entries)
    cancelled = {e.get("draw_id") for e in entries.values() if e.get("type") == "draw.cancel"}
    announced = {e["draw_id"]: e for e in entries.values()
                 if e.get("type") == "draw.announce" and e["draw_id"] not in cancelled}
    slices: dict[str, dict[str, int]] = {}
    for c in (c for c in rules.classes if c.full and c.order == "drawn"):
        pattern = re.compile(re.escape(f"{rules.id_prefix}-{rules.year}-order-{c.name}-")
                             + r"[0-9]{2}" + _SUFFIX)
        ids = sorted(d for d in announced if pattern.fullmatch(d))
        subject = f"plan {rules.year} class {c.name}"
        if not ids:
            add("plan-order", "pending", subject, "no order draw announced yet")
            continue
        wrong = [d for d in ids if rules.sha256 not in announced[d].get("title", "")]
        if wrong:
            add("plan-order", "fail", subject, f"order draw(s) {', '.join(wrong)} do not name "
                f"these rules (sha256 {rules.sha256}) in their title", draws=wrong)
        pending = [d for d in ids if d not in drawn]
        results = [drawn[d][1] for d in ids if d in drawn]
        slices[c.name] = slices_from_results(rules, c, results)
        if pending:
            add("plan-order", "pending", subject, f"order draw(s) not drawn yet: "
                f"{', '.join(pending)}", draws=pending)
        elif not wrong:
            add("plan-order", "pass", subject, f"{len(slices[c.name])} units ordered into "
                f"{rules.batches} batches by {len(ids)} order draw(s)", draws=ids)
    outcomes = {i: e for i, e in entries.items() if e.get("type") == "inspection.outcome"}
    corrected = {e["supersedes"] for e in outcomes.values() if isinstance(e.get("supersedes"), int)}
    inspected = {e["unit_id"] for i, e in outcomes.items()
                 if i not in corrected and e.get("result") in INSPECTED
                 and str(e.get("date", ""))[:4] == str(rules.year)}
    for b in range(1, rules.batches + 1):
        first, last = rules.period(b)
        due = date.fromisoformat(last) + timedelta(days=rules.report_within_days)
        pattern = re.compile(re.escape(rules.batch_id(b, None)) + r"(?:-[A-Za-z0-9_.:]+)?")
        batch_draws = {d: v for d, v in drawn.items() if pattern.fullmatch(d)}
        subject = f"plan {rules.year} batch {b} ({first} to {last})"
        if not batch_draws:
            status = "fail" if today > date.fromisoformat(first) else "pending"
            add("plan-coverage", status, subject, "no batch draw drawn" + (
                " although the batch has begun" if status == "fail" else " yet"))
            continue
        for c in rules.classes:
            if c.full and c.name in slices:
                want = {u for u, ub in slices[c.name].items() if ub == b}
                listed: set[str] = set()
                for announce, _result in batch_draws.values():
                    for s in announce["strata"]:
                        if s["name"] == c.name:
                            listed.update(s["match"].get("id", []))
                if listed != want:
                    add("plan-order", "fail", f"{subject} class {c.name}",
                        f"the batch draws list {len(listed)} units of {c.name}, the order "
                        f"draws put {len(want)} in batch {b}",
                        missing=sorted(want - listed)[:20], extra=sorted(listed - want)[:20])
        for d, (_announce, result) in sorted(batch_draws.items()):
            by_class: dict[str, int] = {}
            for sel in result["selected"]:
                by_class[sel["stratum"]] = by_class.get(sel["stratum"], 0) + 1
            total = len(result["selected"])
            for c in rules.classes:
                if c.min_share is None:
                    continue
                p, q = c.min_share
                k = by_class.get(c.name, 0)
                ok = k * q >= p * total
                add("plan-share", "pass" if ok else "fail", f"draw {d} class {c.name}",
                    f"{k} of {total} selected units are {c.name} (at least {p}/{q} required)",
                    selected=k, total=total)
        for c in (c for c in rules.classes if c.full):
            chosen = sorted({sel["unit_id"] for _a, result in batch_draws.values()
                             for sel in result["selected"] if sel["stratum"] == c.name})
            csub = f"{subject} class {c.name}"
            if c.name in slices:
                left = sorted({u for u, ub in slices[c.name].items() if ub == b} - set(chosen))
                if left:
                    add("plan-coverage", "pending", csub,
                        f"{len(left)} units of the batch's slice were not in its draws' pool "
                        "(defunct or excluded: see the snapshot diff and the exclusions)",
                        units=left[:50], count=len(left))
            missing = [u for u in chosen if u not in inspected]
            if not missing:
                add("plan-coverage", "pass", csub,
                    f"all {len(chosen)} selected units of {c.name} inspected")
            elif today > due:
                add("plan-coverage", "fail", csub,
                    f"{c.name} falls behind: {len(missing)} of {len(chosen)} units of batch "
                    f"{b} have no inspection outcome {rules.report_within_days} days after "
                    f"the batch ended ({last})", units=missing[:50], count=len(missing))
            else:
                add("plan-coverage", "pending", csub,
                    f"{len(chosen) - len(missing)} of {len(chosen)} units of {c.name} "
                    f"inspected; outcomes due by {due.isoformat()}", count=len(missing))
    return out
