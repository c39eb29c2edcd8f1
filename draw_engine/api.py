"""HTTP routers of the draw lifecycle (docs/spec/lifecycle.md §API): thin over `DrawService`.

`create_routers(service, require_role)` returns three routers, meant to be
mounted under `/api` by the composition root (fairdraw.draw_service):

operator (each route depends on `require_role("operator")`):
- `POST /registries/{kind}/import?format=csv|xlsx|jsonl&source_name=…`, the
  file as the raw request body (at most `max_upload` bytes, 413 beyond);
- `POST /registries/{kind}/import-sources` `{"files": [{"name", "format",
  "data_base64"}…], "mapping"?, "allow_mass_removal"?}`: several departments'
  files merged with a mapping (draw_engine.registry_sources), the same
  `DrawService.import_sources` as the CLI; the merge decisions in the answer;
- `POST /snapshots` `{"kind", "name", "publish"?}`;
- `POST /draws/plan` (dry run: the announce entry, nothing written),
  `POST /draws` (announce), `POST /draws/{id}/execute` `{"timeout"?}`,
  `POST /draws/{id}/cancel` `{"reason"}` (200, or 202 with `warning` when the
  cancel of a committed draw is logged but no checkpoint co-signed by round
  time − margin covers it yet), `POST /draws/{id}/outcomes`
  `{"unit_id", "date", "result", "note"?, "evidence_sha256"?}`;

commission (each route depends on `require_role("commission")`, which operator
and admin tokens also pass; fairdraw.auth GRANTS):
- `POST /checkpoints/publish`;
- `POST /return-visits/snapshot` `{"quarter", "name"?}`;
- `POST /return-visits/plan` `{"quarter", "draw_id"?, "ratio"?, "title"?,
  "authority"?, "beacon"?}`: the quarter's pool snapshot and the announce of
  its return-visit draw (draw_engine.return_visit);
- `POST /return-visits/{id}/execute` `{"timeout"?}`: executes a draw of kind
  `return_visit` only (409 for any other kind).

public: `GET /draws`, `GET /draws/{id}`, `GET /draws/{id}/commitment`,
`GET /snapshots` (metadata only: records files are published by the portal
builder according to each snapshot's publish mode).

The routes are thin: a lifecycle refusal propagates as the package's typed
error, and the app that mounts the routers answers it from its one
error → HTTP table (`fairdraw.http_errors`): 400 bad input (with `field`; a
refused supersede also names the verifier `rule`), 404 unknown draw, 409
wrong state, unmet commitment or a cancel too late, 503 witnesses or beacon
unavailable. The routes answer only their own request-shape problems
(`_object`, the upload size, an unknown kind or format). Authentication is
the caller's dependency.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, HTTPException, Query, Request, Response
from pydantic import BaseModel
from pydantic import ValidationError as ShapeError
from starlette.concurrency import run_in_threadpool

from draw_engine.canonical import parse_json
from draw_engine.draw_view import cancel_view, draw_view
from draw_engine.errors import CanonicalError
from draw_engine.lifecycle import DrawService
from draw_engine.registry import FORMATS, MAX_FILE_SIZE
from draw_engine.registry_sources import ImportSource, MappingError, check_mapping
from draw_engine.requests import (
    CancelRequest,
    ExecuteRequest,
    OutcomeRequest,
    PlanRequest,
    ReturnVisitPlanRequest,
    ReturnVisitRequest,
    SnapshotRequest,
    SourcesImportRequest,
)
from draw_engine.return_visit import execute_return_visit_draw, plan_return_visit
from draw_engine.snapshot import KINDS

MAX_UPLOAD = MAX_FILE_SIZE
JsonBody = Annotated[Any, Body()]


def _snapshot_view(s: Any) -> dict[str, Any]:
    return {"name": s.name, "kind": s.kind, "root": s.root, "count": s.count,
            "publish": s.publish, "prev": s.prev, "log_index": s.log_index, "source": s.source}


def _object(body: Any, model: type[BaseModel]) -> dict[str, Any]:
    """`body` as sent, once its JSON shape matches `model` (draw_engine.requests); else 400
    naming the first field (`problems` lists them all), as every refusal here does."""
    if not isinstance(body, dict):
        raise HTTPException(400, detail={"error": "BadRequest", "message": "body must be an "
                                         "object"})
    try:
        model.model_validate(body)
    except ShapeError as exc:
        problems = [{"field": ".".join(str(p) for p in e["loc"]) or "$",
                     "what": "is missing" if e["type"] == "missing" else e["msg"]}
                    for e in exc.errors(include_url=False, include_input=False)]
        first = problems[0]
        raise HTTPException(400, detail={"error": "BadRequest", "field": first["field"],
                                         "message": f"{first['field']} {first['what']}",
                                         "problems": problems}) from exc
    return body


def _schema(model: type[BaseModel], *, required: bool = True) -> dict[str, Any]:
    """`openapi_extra` documenting a JSON body of `model`'s shape (the route reads it raw)."""
    return {"requestBody": {"required": required, "content": {
        "application/json": {"schema": model.model_json_schema()}}}}


def _json_body(raw: bytes) -> Any:
    """A request body as JSON in our subset (strict, bounded); 400 otherwise."""
    try:
        return parse_json(raw, max_size=len(raw) + 1)
    except CanonicalError as exc:
        raise HTTPException(400, detail={"error": "BadRequest",
                                         "message": f"body is not JSON: {exc}"}) from exc


async def _read_body(request: Request, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise HTTPException(413, detail={"error": "TooLarge",
                                             "message": f"upload is larger than {limit} bytes"})
        chunks.append(chunk)
    return b"".join(chunks)


def create_routers(
    service: DrawService,
    require_role: Callable[[str], Any],
    *,
    max_upload: int = MAX_UPLOAD,
) -> list[APIRouter]:
    """[operator router, commission router, public router]; mount them under one prefix
    (e.g. /api)."""
    op = APIRouter(tags=["operator"], dependencies=[Depends(require_role("operator"))])
    commission = APIRouter(tags=["commission"],
                           dependencies=[Depends(require_role("commission"))])
    public = APIRouter(tags=["draws"])

    @op.post("/registries/{kind}/import")
    async def import_registry(
        kind: str,
        request: Request,
        fmt: str = Query(alias="format"),
        source_name: str = Query(default="upload", max_length=256),
        allow_mass_removal: bool = Query(default=False, description=(
            "Accept a file that retires more than the allowed share of the active records.")),
    ) -> dict[str, Any]:
        if kind not in KINDS:
            raise HTTPException(404, detail={"error": "UnknownKind",
                                             "message": f"kind must be one of {KINDS}"})
        if fmt not in FORMATS:
            raise HTTPException(400, detail={"error": "BadRequest", "field": "format",
                                             "message": f"format must be one of {FORMATS}"})
        data = await _read_body(request, max_upload)
        v = await run_in_threadpool(service.import_registry, kind, data, fmt=fmt,
                                    source_name=source_name,
                                    allow_mass_removal=allow_mass_removal)
        return {"kind": v.kind, "version": v.version, "count": v.count,
                "source_sha256": v.source_sha256}

    @op.post("/registries/{kind}/import-sources", openapi_extra=_schema(SourcesImportRequest))
    async def import_sources(kind: str, request: Request) -> dict[str, Any]:
        if kind not in KINDS:
            raise HTTPException(404, detail={"error": "UnknownKind",
                                             "message": f"kind must be one of {KINDS}"})
        # Base64 makes the body 4/3 of the files: the bound is on what is uploaded.
        raw = await _read_body(request, max_upload * 4 // 3 + 65536)
        body = _json_body(raw)
        obj = _object(body, SourcesImportRequest)
        sources = []
        for i, f in enumerate(obj["files"]):
            if f["format"] not in FORMATS:
                raise HTTPException(400, detail={"error": "BadRequest",
                                                 "field": f"files.{i}.format",
                                                 "message": f"format must be one of {FORMATS}"})
            try:
                data = base64.b64decode(f["data_base64"], validate=True)
            except binascii.Error as exc:
                raise HTTPException(400, detail={"error": "BadRequest",
                                                 "field": f"files.{i}.data_base64",
                                                 "message": f"not base64: {exc}"}) from exc
            sources.append(ImportSource(f["name"], data, f["format"]))
        try:
            mapping = (check_mapping(obj["mapping"]) if obj.get("mapping") is not None
                       else None)
        except MappingError as exc:
            field = f"mapping.{exc.field}" if exc.field else "mapping"
            raise HTTPException(400, detail={"error": "MappingError", "field": field,
                                             "message": str(exc)}) from exc
        v, merged = await run_in_threadpool(
            service.import_sources, kind, sources, mapping=mapping,
            allow_mass_removal=bool(obj.get("allow_mass_removal", False)))
        return {"kind": v.kind, "version": v.version, "count": v.count,
                "source_name": v.source_name, "source_sha256": v.source_sha256,
                "rows": merged.rows, "decisions": [d.to_json() for d in merged.decisions]}

    @op.post("/snapshots", openapi_extra=_schema(SnapshotRequest))
    def create_snapshot(body: JsonBody) -> dict[str, Any]:
        obj = _object(body, SnapshotRequest)
        snap = service.create_snapshot(obj["kind"], obj["name"],
                                       publish=obj.get("publish", "at_announce"))
        return _snapshot_view(snap)

    @op.post("/draws/plan", openapi_extra=_schema(PlanRequest))
    def plan_draw(body: JsonBody) -> dict[str, Any]:
        result: dict[str, Any] = service.plan_draw(_object(body, PlanRequest))
        return result

    @op.post("/draws", status_code=201, openapi_extra=_schema(PlanRequest))
    def announce(body: JsonBody) -> dict[str, Any]:
        return draw_view(service.announce(_object(body, PlanRequest)))

    @op.post("/draws/{draw_id}/execute", openapi_extra=_schema(ExecuteRequest, required=False))
    def execute(draw_id: str, body: JsonBody = None) -> dict[str, Any]:
        timeout = _object(body, ExecuteRequest).get("timeout") if body is not None else None
        return draw_view(service.execute(draw_id, timeout=timeout))

    @op.post("/draws/{draw_id}/cancel", openapi_extra=_schema(CancelRequest))
    def cancel(draw_id: str, body: JsonBody, response: Response) -> dict[str, Any]:
        obj = _object(body, CancelRequest)
        report = service.cancel(draw_id, obj["reason"])
        if report.needs_attention:
            response.status_code = 202  # logged, but its proof of timing is still missing
        return cancel_view(report)

    @op.post("/draws/{draw_id}/outcomes", status_code=201,
             openapi_extra=_schema(OutcomeRequest))
    def record_outcome(draw_id: str, body: JsonBody) -> dict[str, Any]:
        obj = _object(body, OutcomeRequest)
        o = service.record_outcome(draw_id, obj["unit_id"], date=obj["date"],
                                   result=obj["result"], note=obj.get("note", ""),
                                   evidence_sha256=obj.get("evidence_sha256", []),
                                   supersedes=obj.get("supersedes"))
        return {"log_index": o.log_index, "draw_id": o.draw_id, "unit_id": o.unit_id,
                "date": o.date, "result": o.result, "supersedes": obj.get("supersedes")}

    @commission.post("/checkpoints/publish")
    def publish_checkpoint() -> dict[str, Any]:
        p = service.publish_checkpoint()
        return {"tree_size": p.tree_size, "checkpoint": p.note.decode(),
                "committed": list(p.committed)}

    @commission.post("/return-visits/snapshot", openapi_extra=_schema(ReturnVisitRequest))
    def return_visit_snapshot(body: JsonBody) -> dict[str, Any]:
        obj = _object(body, ReturnVisitRequest)
        snap = service.create_return_visit_snapshot(obj["quarter"], name=obj.get("name"))
        return _snapshot_view(snap)

    @commission.post("/return-visits/plan", status_code=201,
                     openapi_extra=_schema(ReturnVisitPlanRequest))
    def return_visit_plan(body: JsonBody) -> dict[str, Any]:
        obj = _object(body, ReturnVisitPlanRequest)
        options = {k: obj[k] for k in ("draw_id", "ratio", "title", "authority", "beacon")
                   if obj.get(k) is not None}
        planned = plan_return_visit(service, obj["quarter"], **options)
        view: dict[str, Any] = planned.view()
        return view

    @commission.post("/return-visits/{draw_id}/execute",
                     openapi_extra=_schema(ExecuteRequest, required=False))
    def return_visit_execute(draw_id: str, body: JsonBody = None) -> dict[str, Any]:
        timeout = _object(body, ExecuteRequest).get("timeout") if body is not None else None
        return draw_view(execute_return_visit_draw(service, draw_id, timeout=timeout))

    @public.get("/draws")
    def list_draws() -> list[dict[str, Any]]:
        service.sync()
        return [draw_view(d) for d in service.draws()]

    @public.get("/draws/{draw_id}")
    def get_draw(draw_id: str) -> dict[str, Any]:
        return draw_view(service.draw(draw_id))

    @public.get("/draws/{draw_id}/commitment")
    def get_commitment(draw_id: str) -> dict[str, Any]:
        r = service.check_commitment(draw_id)
        return {"draw_id": r.draw_id, "tree_size": r.tree_size, "not_after": r.not_after,
                "cosignatures": [{"witness": w, "timestamp": t} for w, t in r.cosignatures]}

    @public.get("/snapshots")
    def list_snapshots() -> list[dict[str, Any]]:
        return [_snapshot_view(s) for s in service.snapshots()]

    return [op, commission, public]
