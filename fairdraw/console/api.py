"""The console's own operator endpoints (issue 17): reads and dry runs, mounted under `/api`.

Every WRITE the console makes goes through the ordinary operator API
(draw_engine.api: import, snapshots, plan, announce, publish, execute, cancel,
outcomes): there is no second write path. What the console needs beyond it is
here, thin over a use case, each behind `Auth.require_role("operator")` unless
said otherwise:

- `GET /console/session`: who the token is (name, role, the roles it holds),
  whether this process is the log's writer, the timing settings;
- `GET /console/beacon?round=R | not_before=T`: the beacon round a plan would
  commit to (`draw_engine.plan_checks.beacon_fields`, the plan's own rule: the
  first round at least the lead time ahead) and its time;
- `POST /registries/{kind}/preview`: what importing would change, merge
  decisions and row errors included (fairdraw.console.preview over
  `DrawService.preview_sources`), nothing written; the body is one raw file
  (`?format=…`) or import-sources' JSON (`{"files": […], "mapping"?}`); beside
  the import, so the same upload size limit applies;
- `GET /console/templates`, `GET|PUT /console/templates/{name}`: saved plan
  templates (fairdraw.console.templates; files, never the log);
- `GET /console/draws/{id}/follow` (any token): the commitment per witness
  (co-signed when, in time or not), the policy met or not, time left before the
  round, whether execute and cancel are possible now;
- `GET /console/draws/{id}/result` (any token): the result with unit and people
  names (the portal's tables), every outcome (corrected ones read back from the
  log: which corrects which, which is in force), the public page's address;
- `GET /console/draws/{id}/notices?brigade=…&format=csv|xlsx`: that draw's
  notices (fairdraw.notices: schedule, notice dates, message texts) for one
  brigade, as a file.

Refusals answer like the operator API: 400 `{"error", "message", "field"?,
"problems"?}`, 404 unknown, 409 wrong state. Left out: anything the operator
API already answers (draw list, snapshots, audit trail for admins).
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, Response
from fastapi.routing import APIRoute
from starlette.concurrency import run_in_threadpool

from draw_engine.canonical import parse_json
from draw_engine.entries import format_utc
from draw_engine.errors import CanonicalError
from draw_engine.lifecycle_errors import CommitmentError, UnknownDrawError
from draw_engine.plan_checks import beacon_fields
from draw_engine.registry import FORMATS, KINDS, ImportMapping
from draw_engine.registry_sources import ImportSource, MappingError, check_mapping
from draw_engine.schedule import ScheduleError, schedule_draw
from draw_engine.snapshot import parse_records
from fairdraw.auth import ROLES, Principal
from fairdraw.console.preview import preview_registry_import
from fairdraw.console.templates import TemplateError, TemplateNotFoundError, template_store
from fairdraw.notices import FORMATTERS, NoticeError, load_calendar, notice_run
from witnesses.errors import WitnessError
from witnesses.policy import counted_cosignatures


def _refuse(status: int, error: str, message: str, **extra: Any) -> HTTPException:
    return HTTPException(status, detail={"error": error, "message": message, **extra})


def create_console_router(runtime: Any) -> APIRouter:
    """The `/console/…` router (mount under `/api`) over the runtime's draw service."""
    auth = runtime.auth
    service = runtime.service
    settings = runtime.settings
    templates = template_store(settings)
    operator = auth.require_role("operator")
    router = APIRouter(tags=["console"])
    op = APIRouter(tags=["console"], dependencies=[Depends(operator)])

    def any_token(request: Request) -> Principal:
        """Any valid token (the commission follows its return-visit draws too)."""
        principal: Principal = auth.authenticate(request.headers.get("authorization"))
        request.state.principal = principal
        return principal

    signed = APIRouter(tags=["console"], dependencies=[Depends(any_token)])

    @router.get("/console/session")
    def session(request: Request,
                principal: Principal = Depends(any_token)) -> dict[str, Any]:  # noqa: B008
        """Any valid token: its holder and role, the roles it may act as, which console
        actions it may take (judged from the roles the API's own routes require), and the
        service's timing."""
        chain = service.beacon.chain if service is not None else None
        return {
            "name": principal.name, "role": principal.role,
            "roles": [r for r in ROLES if principal.may(r)],
            "actions": {a: ok and (service is not None or a == "audit")
                        for a, ok in allowed_actions(request.app, principal).items()},
            "writer": service is not None and service.sequencer is not None,
            "read_only_reason": runtime.read_only_reason,
            "lead_time": settings.lead_time_seconds, "margin": settings.margin_seconds,
            "mass_removal_percent": settings.mass_removal_percent,
            "portal": settings.portal_dir is not None,
            "beacon": None if chain is None else {
                "scheme": chain.scheme, "chain_hash": chain.chain_hash.hex(),
                "genesis_time": chain.genesis_time, "period": chain.period,
                "local": chain.local},
            "now": format_utc(int(service.clock())) if service is not None else None,
        }

    def need_service() -> Any:
        if service is None:
            raise _refuse(503, "NoDrawService", "this server has no draw service (no log key)")
        return service

    @op.get("/console/beacon")
    def beacon(round: int | None = Query(None, ge=1, le=10**9),
               not_before: str | None = Query(None, max_length=32)) -> dict[str, Any]:
        """The round a plan would commit to, by the plan's own rule, and when it comes."""
        svc = need_service()
        given: dict[str, Any] = {}
        if round is not None:
            given["round"] = round
        if not_before is not None:
            given["not_before"] = not_before
        now = svc.clock()
        fields = beacon_fields(svc.beacon, given, now=now, lead_time=svc.settings.lead_time)
        return {**fields, "now": format_utc(int(now)), "lead_time": svc.settings.lead_time,
                "margin": svc.settings.commitment_margin,
                "commit_by": format_utc(svc.beacon.round_time(fields["round"])
                                        - svc.settings.commitment_margin)}

    @op.post("/registries/{kind}/preview")
    async def preview(kind: str, request: Request,
                      fmt: str | None = Query(default=None, alias="format"),
                      source_name: str = Query(default="upload", max_length=256)
                      ) -> dict[str, Any]:
        """What importing would change (merge decisions and row errors included); nothing
        written. The body is one file (raw, `?format=`), or, as `application/json`, what
        `POST /registries/{kind}/import-sources` takes: `{"files": [{"name", "format",
        "data_base64"}…], "mapping"?}` (several files merged, with a mapping file)."""
        svc = need_service()
        if kind not in KINDS:
            raise _refuse(404, "UnknownKind", f"kind must be one of {', '.join(KINDS)}")
        data = await request.body()  # bounded by BodyLimit's upload limit (/api/registries)
        mapping: ImportMapping | None = None
        if request.headers.get("content-type", "").split(";")[0].strip() == "application/json":
            sources, mapping = preview_request(data)
        else:
            if fmt not in FORMATS:
                raise _refuse(400, "BadRequest", f"format must be one of {', '.join(FORMATS)}",
                              field="format")
            sources = [ImportSource(source_name, data, fmt)]
        try:
            result: dict[str, Any] = await run_in_threadpool(
                preview_registry_import, svc, kind, sources, mapping=mapping)
        except MappingError as e:
            raise _refuse(400, "MappingError", str(e),
                          field=f"mapping.{e.field}" if e.field else "mapping") from e
        return result

    @op.get("/console/templates")
    def list_templates() -> list[dict[str, Any]]:
        out = []
        for name in templates.names():
            try:
                t = templates.load(name)
            except TemplateError:
                continue
            out.append({"name": name, "description": t.get("description", ""),
                        "title": t.get("plan", {}).get("title", "")})
        return out

    @op.get("/console/templates/{name}")
    def get_template(name: str) -> dict[str, Any]:
        try:
            return {"name": name, **templates.load(name)}
        except TemplateNotFoundError as e:
            raise _refuse(404, "UnknownTemplate", str(e)) from e
        except TemplateError as e:
            raise _refuse(400, "BadTemplate", str(e), field=e.field) from e

    @op.put("/console/templates/{name}")
    def put_template(name: str,
                     body: Annotated[Any, Body()] = None) -> dict[str, Any]:
        try:
            return {"name": name, **templates.save(name, body)}
        except TemplateError as e:
            raise _refuse(400, "BadTemplate", str(e), field=e.field) from e

    @signed.get("/console/draws/{draw_id}/follow")
    def follow(draw_id: str) -> dict[str, Any]:
        svc = need_service()
        return follow_view(svc, svc.draw(draw_id))

    @signed.get("/console/draws/{draw_id}/result")
    def result(draw_id: str) -> dict[str, Any]:
        svc = need_service()
        draw = svc.draw(draw_id)
        if draw.result_index is None:
            raise _refuse(409, "DrawStateError", f"draw {draw_id} has no result yet "
                          f"(status {draw.status})")
        view = result_view(svc, draw)
        if settings.portal_dir is not None:
            view["public_page"] = f"/portal/draw/{draw_id}.html"
        return view

    @op.get("/console/draws/{draw_id}/notices")
    def notices(draw_id: str,
                brigade: str = Query("", max_length=64),
                fmt: str = Query("csv", alias="format", pattern="^(csv|xlsx)$")) -> Response:
        """The draw's notices for one brigade (code or name; empty: all) as CSV or XLSX."""
        svc = need_service()
        try:
            rows = draw_notices(runtime, svc, draw_id, brigade)
        except NoticeError as e:
            raise _refuse(400, "NoticeError", str(e), field="brigade" if brigade else
                          "draw_id") from e
        name = f"notices-{draw_id}-{brigade or 'all'}.{fmt}"
        headers = {"Content-Disposition": f'attachment; filename="{name}"',
                   "X-Notice-Rows": str(len(rows))}
        media = {"csv": "text/csv; charset=utf-8", "xlsx": (
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")}[fmt]
        return Response(FORMATTERS[fmt](rows), headers=headers, media_type=media)

    router.include_router(op)
    router.include_router(signed)
    return router


def preview_request(data: bytes) -> tuple[list[ImportSource], ImportMapping | None]:
    """The files and mapping of a JSON preview body (import-sources' shape), checked: a
    refusal names the member at fault."""
    try:
        body = parse_json(data, max_size=len(data) + 1)
    except CanonicalError as e:
        raise _refuse(400, "BadRequest", f"the body is not JSON: {e}") from e
    if not isinstance(body, dict):
        raise _refuse(400, "BadRequest", "the body must be a JSON object")
    unknown = set(body) - {"files", "mapping", "allow_mass_removal"}
    if unknown:
        raise _refuse(400, "BadRequest", f"unknown member {min(unknown)!r}", field=min(unknown))
    files = body.get("files")
    if not isinstance(files, list) or not files:
        raise _refuse(400, "BadRequest", "files must be a non-empty list", field="files")
    sources = []
    for i, f in enumerate(files):
        where = f"files.{i}"
        if not isinstance(f, dict) or not isinstance(f.get("name"), str) or not f["name"]:
            raise _refuse(400, "BadRequest", "each file needs a name", field=f"{where}.name")
        if f.get("format") not in FORMATS:
            raise _refuse(400, "BadRequest", f"format must be one of {', '.join(FORMATS)}",
                          field=f"{where}.format")
        try:
            raw = base64.b64decode(str(f.get("data_base64", "")), validate=True)
        except binascii.Error as e:
            raise _refuse(400, "BadRequest", f"not base64: {e}",
                          field=f"{where}.data_base64") from e
        sources.append(ImportSource(f["name"], raw, f["format"]))
    mapping = None
    if body.get("mapping") is not None:
        try:
            mapping = check_mapping(body["mapping"])
        except MappingError as e:
            raise _refuse(400, "MappingError", str(e),
                          field=f"mapping.{e.field}" if e.field else "mapping") from e
    return sources, mapping


# -- which actions a token may take --------------------------------------------------

ACTION_ROUTES: dict[str, tuple[str, str]] = {
    "import-preview": ("POST", "/api/registries/{kind}/preview"),
    "import-commit": ("POST", "/api/registries/{kind}/import-sources"),
    "plan-validate": ("POST", "/api/draws/plan"),
    "plan-announce": ("POST", "/api/draws"),
    "publish": ("POST", "/api/checkpoints/publish"),
    "execute": ("POST", "/api/draws/{draw_id}/execute"),
    "record-outcome": ("POST", "/api/draws/{draw_id}/outcomes"),
    "cancel": ("POST", "/api/draws/{draw_id}/cancel"),
    "export-notices": ("GET", "/api/console/draws/{draw_id}/notices"),
    "audit": ("GET", "/api/admin/audit"),
    "return-visit-plan": ("POST", "/api/return-visits/plan"),
    "return-visit-execute": ("POST", "/api/return-visits/{draw_id}/execute"),
}
"""Each console action (its buttons' `data-action`) and the API route it calls."""


def _required_roles(dependant: Any) -> set[str]:
    roles: set[str] = set()
    for dep in dependant.dependencies:
        role = getattr(dep.call, "required_role", None)
        if isinstance(role, str):
            roles.add(role)
        roles |= _required_roles(dep)
    return roles


def _api_routes(routes: Any, prefix: str = "") -> Any:
    """(full path, APIRoute) of every route, into included routers (FastAPI ≥ 0.165 keeps
    them as `original_router` + `include_context.prefix`; older ones flatten them)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            context = getattr(route, "include_context", None)
            yield from _api_routes(inner.routes, prefix + getattr(context, "prefix", ""))
        elif isinstance(route, APIRoute):
            yield prefix + route.path, route


def allowed_actions(app: Any, principal: Principal) -> dict[str, bool]:
    """action -> whether `principal` may call its route: the roles the route itself requires
    (`Auth.require_role` marks its dependency), so the console never guesses the rules.
    An action whose route this server lacks (no draw service) is not allowed."""
    routes: dict[tuple[str, str], Any] = {}
    for path, route in _api_routes(app.routes):
        for method in route.methods or ():
            routes[(method, path)] = route
    out = {}
    for action, key in ACTION_ROUTES.items():
        route = routes.get(key)
        out[action] = route is not None and all(
            principal.may(r) for r in _required_roles(route.dependant))
    return out


# -- use cases (reads) --------------------------------------------------------------


def follow_view(service: Any, draw: Any) -> dict[str, Any]:
    """Where a draw stands: commitment per witness, policy, time left, what is possible."""
    now = service.clock()
    margin = service.settings.commitment_margin
    deadline = draw.round_time - margin
    witnesses: list[dict[str, Any]] = []
    policy = service.policy
    cosigned: dict[str, int] = {}
    if draw.commitment_note is not None and policy is not None:
        try:
            cosigned = {c.witness: c.timestamp
                        for c in counted_cosignatures(draw.commitment_note, policy)}
        except WitnessError:
            cosigned = {}
    if policy is not None:
        for w in policy.witnesses:
            at = cosigned.get(w.name)
            witnesses.append({"name": w.name, "cosigned_at": None if at is None
                              else format_utc(at), "in_time": at is not None and at <= deadline})
    policy_met = False
    reason = None
    try:
        service.check_commitment(draw.draw_id)
        policy_met = True
    except (CommitmentError, UnknownDrawError) as e:
        reason = str(e)
    announced = draw.status == "announced"
    return {
        "draw_id": draw.draw_id, "status": draw.status,
        "title": json.loads(draw.announce).get("title"),
        "kind": json.loads(draw.announce).get("kind", "routine"),
        "round": draw.beacon_round, "round_time": format_utc(draw.round_time),
        "commit_by": format_utc(deadline), "now": format_utc(int(now)),
        "seconds_to_round": max(0, int(draw.round_time - now)),
        "seconds_to_commit_by": max(0, int(deadline - now)),
        "commitment_size": draw.commitment_size, "witnesses": witnesses,
        "policy_met": policy_met, "commitment_reason": reason,
        "can_execute": announced and policy_met and now >= draw.round_time,
        "can_cancel": announced and (not policy_met or now < deadline),
        "announce_index": draw.announce_index, "result_index": draw.result_index,
        "cancel_index": draw.cancel_index,
    }


def _records_by_id(service: Any, name: str | None) -> dict[str, dict[str, Any]]:
    if name is None:
        return {}
    for snap in service.snapshots():
        if snap.name == name:
            return {r["id"]: r for r in parse_records(snap.records).records}
    return {}


def result_view(service: Any, draw: Any) -> dict[str, Any]:
    """The result entry as the portal's tables show it: strata (n, k, reserve with names),
    selected units with name, brigade, ticket and team (people named), and outcomes."""
    announce = json.loads(draw.announce)
    result = service.entry(draw.result_index)
    units = _records_by_id(service, announce["units"]["snapshot"])
    people: dict[str, dict[str, Any]] = {}
    for kind in ("inspectors", "experts"):
        ref = announce.get(kind)
        people.update(_records_by_id(service, ref["snapshot"] if ref else None))

    def unit(uid: str) -> dict[str, Any]:
        u = units.get(uid, {})
        return {"unit_id": uid, "name": u.get("name", ""), "brigade": u.get("brigade", "")}

    selected = []
    for s in result["selected"]:
        row = {**unit(s["unit_id"]), "stratum": s["stratum"], "rank": s["rank"],
               "ticket": s["ticket"]}
        if "team" in s:
            team = s["team"]
            row["team"] = {
                "members": [{**m, "name": people.get(m["person_id"], {}).get("name", "")}
                            for m in team["members"]],
                "skipped": team["skipped"], "unfilled": team["unfilled"]}
        selected.append(row)
    return {
        "draw_id": draw.draw_id, "title": announce.get("title"), "status": draw.status,
        "result_index": draw.result_index, "seed": result["seed"],
        "beacon": {"round": result["beacon"]["round"],
                   "randomness": result["beacon"]["randomness"],
                   "local": bool(announce["beacon"].get("local"))},
        "period": announce.get("period"),
        "strata": [{"name": st["name"], "n": st["n"], "k": st["k"],
                    "reserve": [unit(r) for r in st["reserve"]]} for st in result["strata"]],
        "unmatched": result["unmatched"], "selected": selected,
        "outcomes": outcomes_view(service, draw.draw_id),
    }


def outcomes_view(service: Any, draw_id: str) -> list[dict[str, Any]]:
    """The draw's outcomes in log order, corrected ones too: the store keeps the one in force
    per unit, and each correction's entry names the one it supersedes, so the chain is read
    back from the log (docs/spec/verification.md "Outcomes"). Each row says what its entry
    says (evidence, note, the outcome it corrects), whether it is in force, and which later
    entry corrected it."""
    rows: list[dict[str, Any]] = []
    for o in service.outcomes(draw_id):
        index: int | None = o.log_index
        later: int | None = None
        while index is not None:
            entry = service.entry(index)
            supersedes = entry.get("supersedes")
            rows.append({"log_index": index, "unit_id": entry.get("unit_id", o.unit_id),
                         "date": entry.get("date", ""), "result": entry.get("result", ""),
                         "note": entry.get("note", ""), "supersedes": supersedes,
                         "evidence_sha256": entry.get("evidence_sha256", []),
                         "in_force": later is None, "superseded_by": later})
            later = index
            index = supersedes if isinstance(supersedes, int) else None
    rows.sort(key=lambda r: int(r["log_index"]))
    return rows


def draw_notices(runtime: Any, service: Any, draw_id: str, brigade: str
                 ) -> list[dict[str, str]]:
    """Every notice row (fairdraw.notices: the schedule's inspection date, the notice one
    working day before, the message texts) of one drawn draw, for one brigade ('' = all):
    one `notice_run` per notice date the draw's schedule has."""
    draw = service.draw(draw_id)
    if draw.status != "drawn" or draw.result_index is None:
        raise HTTPException(409, detail={"error": "DrawStateError", "message": (
            f"draw {draw_id} is {draw.status}; notices follow a result")})
    calendar = load_calendar(runtime.settings)
    announce = json.loads(draw.announce)
    try:
        schedule = schedule_draw(announce, service.entry(draw.result_index)["selected"],
                                 calendar)
    except ScheduleError as e:
        raise NoticeError(f"no notices can be made for draw {draw_id}: {e}") from e
    rows: list[dict[str, str]] = []
    for day in sorted({u.notice_date for u in schedule.units.values()}):
        run = notice_run(runtime, day, calendar=calendar, brigade=brigade or None)
        rows += [r for r in run.rows if r["draw_id"] == draw_id]
    if brigade and not rows:
        raise NoticeError(f"draw {draw_id} selected no unit of brigade {brigade!r}")
    return rows
