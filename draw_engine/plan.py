"""Draw plans and the lifecycle's log entries (DESIGN §2, §4 Entries), pure.

A *plan* is what an operator writes; the lifecycle turns it into the
`draw.announce` entry by filling in what the service knows (snapshot roots and
counts, the beacon chain, round and round time). A plan is an announce entry
with these relaxations:

- `type`, `v`, `algorithm` may be omitted (they must be right if present);
- `units` / `inspectors` / `experts` may be just a snapshot name, or an object
  `{"snapshot": name}` with `root` and `count` optional (checked if present);
- `beacon` may be omitted (the first round at least the lead time ahead), or
  `{"round": R}`, or `{"not_before": "YYYY-MM-DDTHH:MM:SSZ"}`; any of
  `scheme`, `chain_hash`, `round_time`, `local` given must equal the service's;
- `exclusions`, `zones`, `recusals`, `supersedes` default to [], {}, [], null
  and are always written out in the announce.

Also here: the `draw.result`, `draw.cancel` and `inspection.outcome` entry
builders with their checks, quarters ("2026Q1") and the return-visit plan.
No clock, no storage: times and stored values are parameters.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping, Sequence
from datetime import UTC, date, datetime
from typing import Any

from draw_engine.announce import ALGORITHM, KINDS
from draw_engine.beacon import Beacon
from draw_engine.canonical import check_value, is_identifier
from draw_engine.entries import format_utc
from draw_engine.errors import AnnounceError

OUTCOME_RESULTS = ("compliant", "rectification_ordered", "penalised", "not_inspected")
INSPECTED_RESULTS = ("compliant", "rectification_ordered", "penalised")
MAX_NOTE_LENGTH = 2000
MAX_EVIDENCE = 64
MAX_REASON_LENGTH = 2000
DEFAULT_RETURN_VISIT_RATIO = "1/10"
_PLAN_KEYS = ("type", "v", "algorithm", "draw_id", "title", "authority", "kind", "period",
              "units", "inspectors", "experts", "strata", "exclusions", "zones", "teams",
              "recusals", "beacon", "supersedes")
_BEACON_KEYS = ("round", "not_before", "scheme", "chain_hash", "round_time", "local")
_HEX64 = re.compile(r"[0-9a-f]{64}")
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_QUARTER = re.compile(r"([0-9]{4})Q([1-4])")
_RFC3339 = "%Y-%m-%dT%H:%M:%SZ"


def _fail(field: str, message: str) -> AnnounceError:
    return AnnounceError(message, field=field)


def parse_time(text: object, field: str) -> int:
    if not isinstance(text, str):
        raise _fail(field, f"must be a time YYYY-MM-DDTHH:MM:SSZ, got {text!r}")
    try:
        parsed = datetime.strptime(text, _RFC3339).replace(tzinfo=UTC)
    except ValueError as exc:
        raise _fail(field, f"must be a time YYYY-MM-DDTHH:MM:SSZ, got {text!r}") from exc
    if format_utc(int(parsed.timestamp())) != text:
        raise _fail(field, f"{text!r} is not in canonical form")
    return int(parsed.timestamp())


def plan_snapshot_ref(value: object, field: str) -> tuple[str, str | None, int | None]:
    """(name, root or None, count or None) of a plan's `units`/`inspectors`/`experts`."""
    if isinstance(value, str):
        value = {"snapshot": value}
    if not isinstance(value, dict):
        raise _fail(field, "must be a snapshot name or {\"snapshot\": name}")
    extra = set(value) - {"snapshot", "root", "count"}
    if extra:
        raise _fail(f"{field}.{sorted(extra)[0]}", "unknown field (allowed: snapshot, root, "
                    "count)")
    name = value.get("snapshot")
    if not isinstance(name, str) or not is_identifier(name):
        raise _fail(f"{field}.snapshot", f"must be an ASCII identifier, got {name!r}")
    root = value.get("root")
    if root is not None and (not isinstance(root, str) or not _HEX64.fullmatch(root)):
        raise _fail(f"{field}.root", "must be 64 lowercase hex digits")
    count = value.get("count")
    if count is not None and (isinstance(count, bool) or not isinstance(count, int)):
        raise _fail(f"{field}.count", "must be an integer")
    return name, root, count


def check_plan(plan: object) -> Mapping[str, Any]:
    """Structural checks of a plan before anything is looked up; returns it."""
    if not isinstance(plan, dict):
        raise _fail("$", "a plan must be a JSON object")
    check_value(plan)
    for key in plan:
        if key not in _PLAN_KEYS:
            raise _fail(key, f"unknown field (allowed: {', '.join(_PLAN_KEYS)})")
    for key, want in (("type", "draw.announce"), ("v", 1), ("algorithm", ALGORITHM)):
        if key in plan and (plan[key] != want or isinstance(plan[key], bool)):
            raise _fail(key, f"must be {want!r}, got {plan[key]!r}")
    if plan.get("kind") not in KINDS:
        raise _fail("kind", f"must be one of {', '.join(KINDS)}, got {plan.get('kind')!r}")
    beacon = plan.get("beacon", {})
    if not isinstance(beacon, dict):
        raise _fail("beacon", "must be an object")
    for key in beacon:
        if key not in _BEACON_KEYS:
            raise _fail(f"beacon.{key}", f"unknown field (allowed: {', '.join(_BEACON_KEYS)})")
    if "round" in beacon and "not_before" in beacon:
        raise _fail("beacon", "give round or not_before, not both")
    return plan


def build_announce(
    plan: Mapping[str, Any],
    refs: Mapping[str, tuple[str, str, int]],
    beacon: Mapping[str, Any],
    calendar: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """The announce entry: `refs` maps units/inspectors/experts to (name, root, count) as
    stored; `beacon` is the complete beacon object (scheme, chain_hash, round, round_time,
    local); `calendar` the working-day calendar reference (`calendar.calendar_ref`, written
    when given). Structural validation of the result is `announce.parse_announce`'s job."""
    out: dict[str, Any] = {"type": "draw.announce", "v": 1}
    for key in ("draw_id", "title", "authority", "kind"):
        if key in plan:
            out[key] = plan[key]
    out["algorithm"] = ALGORITHM
    if "period" in plan:
        out["period"] = plan["period"]
    for kind, (name, root, count) in refs.items():
        out[kind] = {"snapshot": name, "root": root, "count": count}
    if "strata" in plan:
        out["strata"] = plan["strata"]
    out["exclusions"] = plan.get("exclusions", [])
    out["zones"] = plan.get("zones", {})
    if "teams" in plan:
        out["teams"] = plan["teams"]
    out["recusals"] = plan.get("recusals", [])
    out["beacon"] = dict(beacon)
    out["supersedes"] = plan.get("supersedes")
    if calendar is not None:
        out["calendar"] = dict(calendar)
    return out


def result_entry(
    announce: Mapping[str, Any],
    announce_index: int,
    spec_hash_hex: str,
    beacon: Beacon,
    computed: Mapping[str, Any],
) -> dict[str, Any]:
    """SPEC(DESIGN §4): draw.result = draw_id, announce_index, spec_hash, beacon{round,
    signature, previous_signature (chained only), randomness}, then the computed part."""
    beacon_obj: dict[str, Any] = {"round": beacon.round, "signature": beacon.signature.hex()}
    if beacon.previous_signature is not None:
        beacon_obj["previous_signature"] = beacon.previous_signature.hex()
    beacon_obj["randomness"] = beacon.randomness.hex()
    entry: dict[str, Any] = {
        "type": "draw.result", "v": 1, "draw_id": announce["draw_id"],
        "announce_index": announce_index, "spec_hash": spec_hash_hex, "beacon": beacon_obj,
    }
    for key in ("seed", "strata", "unmatched", "selected"):
        entry[key] = computed[key]
    return entry


def _text(value: object, field: str, limit: int, *, required: bool) -> str:
    if not isinstance(value, str) or (required and not value.strip()):
        raise _fail(field, "must be a non-empty string" if required else "must be a string")
    if len(value) > limit:
        raise _fail(field, f"is {len(value)} characters, more than {limit}")
    check_value(value)
    return value


def cancel_entry(draw_id: str, announce_index: int, reason: object) -> dict[str, Any]:
    """SPEC(DESIGN §4): draw.cancel = draw_id, announce_index, reason (non-empty)."""
    return {"type": "draw.cancel", "v": 1, "draw_id": draw_id, "announce_index": announce_index,
            "reason": _text(reason, "reason", MAX_REASON_LENGTH, required=True)}


def outcome_entry(
    draw_id: str,
    unit_id: object,
    *,
    date_text: object,
    result: object,
    note: object = "",
    evidence_sha256: object = (),
    supersedes: object = None,
) -> dict[str, Any]:
    """SPEC(DESIGN §4): inspection.outcome = draw_id, unit_id, date, result
    (compliant|rectification_ordered|penalised|not_inspected), note, evidence_sha256 [hex…],
    and for a correction `supersedes`: the leaf index of the outcome it corrects (its note,
    the reason, is then required)."""
    if supersedes is not None and (not isinstance(supersedes, int) or isinstance(
            supersedes, bool) or supersedes < 0):
        raise _fail("supersedes", f"must be the log index of the outcome corrected, got "
                    f"{supersedes!r}")
    if not isinstance(unit_id, str) or not is_identifier(unit_id):
        raise _fail("unit_id", f"must be an ASCII identifier, got {unit_id!r}")
    if not isinstance(date_text, str) or not _DATE.fullmatch(date_text):
        raise _fail("date", f"must be a date YYYY-MM-DD, got {date_text!r}")
    try:
        date.fromisoformat(date_text)
    except ValueError as exc:
        raise _fail("date", f"is not a calendar date: {date_text!r}") from exc
    if result not in OUTCOME_RESULTS:
        raise _fail("result", f"must be one of {', '.join(OUTCOME_RESULTS)}, got {result!r}")
    if not isinstance(evidence_sha256, list | tuple):
        raise _fail("evidence_sha256", "must be a list of SHA-256 hex digests")
    if len(evidence_sha256) > MAX_EVIDENCE:
        raise _fail("evidence_sha256", f"lists {len(evidence_sha256)} digests, more than "
                    f"{MAX_EVIDENCE}")
    for i, digest in enumerate(evidence_sha256):
        if not isinstance(digest, str) or not _HEX64.fullmatch(digest):
            raise _fail(f"evidence_sha256[{i}]", f"must be 64 lowercase hex digits, got "
                        f"{digest!r}")
    entry = {"type": "inspection.outcome", "v": 1, "draw_id": draw_id, "unit_id": unit_id,
             "date": date_text, "result": result,
             "note": _text(note, "note", MAX_NOTE_LENGTH, required=supersedes is not None),
             "evidence_sha256": list(evidence_sha256)}
    if supersedes is not None:
        entry["supersedes"] = supersedes
    return entry


def quarter_range(quarter: str) -> tuple[str, str]:
    """"2026Q1" -> ("2026-01-01", "2026-03-31")."""
    found = _QUARTER.fullmatch(quarter) if isinstance(quarter, str) else None
    if found is None:
        raise _fail("quarter", f"must look like 2026Q1, got {quarter!r}")
    year, q = int(found.group(1)), int(found.group(2))
    first = date(year, 3 * q - 2, 1)
    last = date(year + 1, 1, 1) if q == 4 else date(year, 3 * q + 1, 1)
    return first.isoformat(), date.fromordinal(last.toordinal() - 1).isoformat()


def return_visit_records(
    outcomes: Sequence[tuple[int, str, str, str, str]],
    unit_records: Mapping[str, Mapping[str, Mapping[str, Any]]],
    *,
    superseded: Collection[int] = (),
) -> list[dict[str, Any]]:
    """The return-visit pool: for each unit inspected (compliant, rectification ordered or
    penalised), its record from the draw's unit snapshot plus `inspection_draw`,
    `inspection_date`, `inspection_result` of its latest outcome (by date, then log index).

    `outcomes` are (log_index, draw_id, unit_id, date, result) already limited to the
    quarter; `superseded` the log indices of outcomes a later correction replaced (they
    count for nothing); `unit_records[draw_id][unit_id]` is the unit's record in that
    draw's snapshot. The service (DrawService.create_return_visit_snapshot) and the
    audit (`return-visit-pool`) both build the pool with this function."""
    latest: dict[str, tuple[str, int, str, str]] = {}
    for log_index, draw_id, unit_id, day, result in outcomes:
        if result not in INSPECTED_RESULTS or log_index in superseded:
            continue
        key = (day, log_index, draw_id, result)
        if unit_id not in latest or key > latest[unit_id]:
            latest[unit_id] = key
    records = []
    for unit_id, (day, _index, draw_id, result) in sorted(latest.items()):
        record = dict(unit_records[draw_id][unit_id])
        record.update(inspection_draw=draw_id, inspection_date=day, inspection_result=result)
        records.append(record)
    return records


def return_visit_plan(
    quarter: str,
    *,
    draw_id: str,
    snapshot: str,
    title: str,
    authority: str,
    ratio: str = DEFAULT_RETURN_VISIT_RATIO,
    beacon: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """A plan of kind return_visit: one stratum over the whole pool, quota `ratio` (1/10)."""
    first, last = quarter_range(quarter)
    plan: dict[str, Any] = {
        "draw_id": draw_id, "title": title, "authority": authority, "kind": "return_visit",
        "period": {"from": first, "to": last}, "units": snapshot,
        "strata": [{"name": "inspected", "match": {}, "quota": {"ratio": ratio}}],
    }
    if beacon is not None:
        plan["beacon"] = dict(beacon)
    return plan
