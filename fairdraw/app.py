"""The FastAPI app factory: the composition root of the service (issue 6 item 1).

`create_app(settings)` opens the database named by the settings and composes:

- `/log/…`: the log read API (transparency.api: checkpoint, tiles, proofs,
  entries). It serves the latest CO-SIGNED checkpoint when witnesses are
  configured, the latest signed one otherwise;
- `/api/…`: the draw and registry operator API (draw_engine.api) when the draw
  service is available; every write route depends on `Auth.require_role(role)`;
- `/console/…`: the operator console (fairdraw.console) and its endpoints;
- `/portal/…`: the static portal directory (`settings.portal_dir`), `/`
  redirects there;
- `/healthz` (database reachable, log size) and `/metrics` (Prometheus text
  format: request counts by method and status class, latency sum, log size).

The long-lived parts live in a `fairdraw.runtime.Runtime` (`open_runtime`);
`create_app` attaches the draw service (`fairdraw.draw_service.open_service`,
through `operator_routers`) and, when it serves a portal with witnesses, the
portal rebuilder: the draw service's publish use case calls
`Runtime.published` after each stored checkpoint, which asks it for a build.

Cross-cutting, in one place each:
- fairdraw.http_errors: the one table from the packages' exception trees to
  HTTP status (400 bad input, 404 unknown, 409 conflicts, 422 verification
  failures, 503 when a dependency such as a beacon or witness is
  unavailable); anything else is a bug, answered 500 and logged;
- fairdraw.middleware: body size limit (413), the read cache, metrics;
- fairdraw.auth: the token gate (401 before any body is read) and the audit
  trail (one row per write request).

Middleware order, outermost first: metrics, read cache, body limit, audit,
token gate, then FastAPI (role checks in the routes).

Left out: TLS (run behind a reverse proxy), CORS (the portal is same-origin).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import PlainTextResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles

from fairdraw.auth import Principal, TokenGate, create_admin_router
from fairdraw.console import mount_console
from fairdraw.draw_service import PortalRefresher
from fairdraw.draw_service import operator_routers as draw_routers
from fairdraw.http_errors import install_error_handlers
from fairdraw.middleware import (
    AuditMiddleware,
    BodyLimit,
    Freshness,
    Metrics,
    MetricsMiddleware,
    ReadCache,
    RecentCheckpoint,
)
from fairdraw.notices import create_notices_router
from fairdraw.runtime import Runtime, open_runtime
from fairdraw.settings import Settings
from transparency.api import create_router as create_log_router

__all__ = ["Runtime", "create_app", "open_runtime", "writer_role"]


# -- the app ------------------------------------------------------------------------


def create_app(settings: Settings, *, runtime: Runtime | None = None,
               operator_routers: list[tuple[str, APIRouter]] | None = None) -> FastAPI:
    """The service app. `operator_routers` are (prefix, router) pairs added under `/api`;
    by default they come from `fairdraw.draw_service.operator_routers(runtime)` when available."""
    rt = runtime or open_runtime(settings)
    app = FastAPI(title="fairdraw", version="0.1.0",
                  description="Publicly verifiable 双随机、一公开 inspection draws.")
    app.state.runtime = rt
    metrics = Metrics()
    install_error_handlers(app)

    cosigned_only = bool(settings.witnesses)
    freshness = Freshness()
    reads: Any = RecentCheckpoint(rt.storage, freshness)
    app.include_router(create_log_router(reads, cosigned_only=cosigned_only),
                       prefix="/log", tags=["log"])
    if operator_routers is None:
        operator_routers = draw_routers(rt)
    for prefix, router in operator_routers:
        app.include_router(router, prefix=prefix)
    app.include_router(create_admin_router(rt.auth), prefix="/api")
    app.include_router(create_notices_router(rt), prefix="/api")  # GET /api/notices (gateway)
    mount_console(app, rt)  # /console/ and its read endpoints (issue 17)

    @app.get("/api/witnesses/status", tags=["operator"])
    def witness_status(
        _principal: Principal = Depends(rt.auth.require_role("operator")),  # noqa: B008
    ) -> dict[str, Any]:
        """Each witness's last outcome, and how far co-signing lags signing (operators)."""
        signed = rt.storage.latest_checkpoint()
        cosigned = rt.storage.latest_checkpoint(cosigned_only=True)
        cosigning = rt.service.cosigning if rt.service is not None else None
        status = getattr(cosigning, "status", None)
        return {
            "witnesses": status() if callable(status) else {},
            "latest_signed_size": signed.tree_size if signed else None,
            "latest_cosigned_size": cosigned.tree_size if cosigned else None,
            "cosigning_lags": bool(signed and (cosigned is None
                                               or cosigned.tree_size < signed.tree_size)),
        }

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, Any]:
        with rt.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return {"status": "ok", "log_size": rt.storage.tree_size(),
                "database": rt.engine.dialect.name, **writer_role(rt)}

    @app.get("/metrics", tags=["service"], response_class=PlainTextResponse)
    def get_metrics() -> PlainTextResponse:
        cp = rt.storage.latest_checkpoint(cosigned_only=cosigned_only)
        gauges = {"log_entries": rt.storage.tree_size(),
                  "log_checkpoint_size": cp.tree_size if cp else 0}
        return PlainTextResponse(metrics.render(gauges),
                                 media_type="text/plain; version=0.0.4; charset=utf-8")

    portal = settings.portal_dir
    if portal is not None:
        portal_path = settings.path(portal)
        _mount_portal(app, portal_path)
        if (rt.portal is None and rt.service is not None and rt.service.sequencer is not None
                and settings.witnesses):
            rt.portal = PortalRefresher(rt, portal_path)  # built after each publish
        app.state.portal_refresher = rt.portal

    app.add_middleware(TokenGate, auth=rt.auth)
    app.add_middleware(AuditMiddleware, auth=rt.auth)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes,
                       upload_limit=settings.max_upload_bytes)
    app.add_middleware(ReadCache, freshness=freshness)
    app.add_middleware(MetricsMiddleware, metrics=metrics)
    return app


def writer_role(rt: Runtime) -> dict[str, Any]:
    """`/healthz`'s view of the write lease: role "writer" or "read-only" and why."""
    seq = rt.service.sequencer if rt.service is not None else None
    if seq is None:
        return {"writer": False, "role": "read-only",
                "reason": rt.read_only_reason or "no log key or draw service: reads only"}
    lease = seq.lease
    out: dict[str, Any] = {"writer": True, "role": "writer", "epoch": lease.epoch,
                           "lease_holder": lease.holder,
                           "lease_expires_at": lease.expires_at.isoformat()}
    lost = seq.lease_lost
    if lost is not None:
        out.update(writer=False, role="read-only",
                   reason=f"lease lost at {lost[0].isoformat()}: {lost[1]}")
    return out


def _mount_portal(app: FastAPI, directory: Path) -> None:
    directory.mkdir(parents=True, exist_ok=True)
    app.mount("/portal", StaticFiles(directory=directory, html=True, check_dir=False),
              name="portal")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/portal/")

