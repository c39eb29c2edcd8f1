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

Cross-cutting, in one place each:
- `_status_for` / `_install_error_mapping`: the package exception trees → HTTP
  status (400 bad input, 404 unknown, 409 conflicts, 422 verification failures,
  503 when a dependency such as a beacon or witness is unavailable);
- fairdraw.middleware: body size limit (413), the read cache, metrics, the
  portal rebuild after a publish;
- fairdraw.auth: the token gate (401 before any body is read) and the audit
  trail (one row per write request).

Middleware order, outermost first: metrics, read cache, body limit, audit,
token gate, portal rebuild, then FastAPI (role checks in the routes).

Left out: TLS (run behind a reverse proxy), CORS (the portal is same-origin).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import Depends, FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from sqlalchemy.engine import Engine

from fairdraw.auth import Auth, AuthError, TokenGate, create_admin_router
from fairdraw.console import mount_console
from fairdraw.db import create_engine
from fairdraw.middleware import (
    AuditMiddleware,
    BodyLimit,
    Freshness,
    Metrics,
    MetricsMiddleware,
    ReadCache,
    RebuildAfterPublish,
    RecentCheckpoint,
)
from fairdraw.notices import create_notices_router
from fairdraw.settings import Settings
from transparency.api import create_router as create_log_router
from transparency.sql import SqlStorage

log = logging.getLogger("fairdraw.app")


# -- error mapping ------------------------------------------------------------------

_DB_GONE = (sa.exc.OperationalError, sa.exc.InterfaceError)
"""Connection-level database failures (terminated session, server restarting): 503."""


def _status_for(exc: Exception) -> int:
    """The one table from exception types to HTTP status codes (STYLE §6)."""
    from draw_engine.beacon_errors import BeaconError, BeaconUnavailableError
    from draw_engine.errors import DrawEngineError
    from draw_engine.errors import FormatError as DrawFormatError
    from draw_engine.errors import VerificationError as DrawVerificationError
    from transparency.errors import (
        FencedError,
        SequencerBusyError,
        StorageError,
        TransparencyError,
    )
    from transparency.errors import FormatError as LogFormatError
    from witnesses.errors import CollectionError, PolicyError, WitnessError

    try:
        from draw_engine.store import StoreError
    except ImportError:  # pragma: no cover - the store is optional while it is written
        StoreError = DrawEngineError  # type: ignore[misc,assignment]  # noqa: N806

    table: list[tuple[type[Exception] | tuple[type[Exception], ...], int]] = [
        ((AuthError, DrawFormatError, LogFormatError), 400),
        (StoreError, 409),
        (DrawVerificationError, 422),
        ((BeaconUnavailableError, CollectionError), 503),
        ((BeaconError, PolicyError), 422),
        ((FencedError, SequencerBusyError), 503),  # this server lost the write lease
        (_DB_GONE, 503),  # the database went away (connection lost, restarting)
        (StorageError, 500),
        ((DrawEngineError, WitnessError, TransparencyError), 400),
        (LookupError, 404),
        (ValueError, 400),
    ]
    for types, status in table:
        if isinstance(exc, types):
            return status
    return 500


def _install_error_mapping(app: FastAPI) -> None:
    """Register `_status_for` for each package's exception root. Registered per class (not
    for bare Exception) so the inner ExceptionMiddleware answers and the metrics and audit
    middlewares see the real status; anything else is a genuine 500."""
    from draw_engine.beacon_errors import BeaconError
    from draw_engine.errors import DrawEngineError
    from transparency.errors import TransparencyError
    from witnesses.errors import WitnessError

    async def handle(request: Request, exc: Exception) -> Response:
        status = _status_for(exc)
        if status >= 500:
            log.error("%s %s failed: %r", request.method, request.url.path, exc)
        if isinstance(exc, _DB_GONE):  # no SQL or parameters in the answer
            return JSONResponse({"detail": "the database is unavailable; retry shortly",
                                 "error": "DatabaseUnavailable"}, status_code=503)
        return JSONResponse({"detail": str(exc) or type(exc).__name__,
                             "error": type(exc).__name__}, status_code=status)

    for root in (DrawEngineError, BeaconError, WitnessError, TransparencyError, AuthError,
                 LookupError, ValueError, *_DB_GONE):
        app.add_exception_handler(root, handle)


# -- the app ------------------------------------------------------------------------


@dataclass
class Runtime:
    """The long-lived parts the app composes; built from settings by `open_runtime`."""

    settings: Settings
    engine: Engine
    storage: SqlStorage
    auth: Auth
    service: Any = None
    """The draw lifecycle service (draw_engine), when configured."""
    closers: list[Callable[[], None]] = field(default_factory=list)
    read_only_reason: str | None = None
    """Why this process is not the log's writer, when it started read-only."""

    def close(self) -> None:
        for close in reversed(self.closers):
            try:
                close()
            except Exception:
                log.exception("closing failed")
        self.engine.dispose()


def open_runtime(settings: Settings, *, migrate: bool = True) -> Runtime:
    """Open the database (and migrate it unless told not to); no draw service yet."""
    from fairdraw.db import upgrade_engine

    engine = create_engine(settings.database_url)
    if migrate:
        upgrade_engine(engine)
    return Runtime(settings=settings, engine=engine, storage=SqlStorage(engine), auth=Auth(engine))


def create_app(settings: Settings, *, runtime: Runtime | None = None,
               operator_routers: list[Any] | None = None) -> FastAPI:
    """The service app. `operator_routers` are (prefix, router) pairs added under `/api`;
    by default they come from `fairdraw.draw_service.operator_routers(runtime)` when available."""
    rt = runtime or open_runtime(settings)
    app = FastAPI(title="fairdraw", version="0.1.0",
                  description="Publicly verifiable 双随机、一公开 inspection draws.")
    app.state.runtime = rt
    metrics = Metrics()
    _install_error_mapping(app)

    cosigned_only = bool(settings.witnesses)
    freshness = Freshness()
    reads: Any = RecentCheckpoint(rt.storage, freshness)
    app.include_router(create_log_router(reads, cosigned_only=cosigned_only),
                       prefix="/log", tags=["log"])
    if operator_routers is None:
        operator_routers = _default_operator_routers(rt)
    for prefix, router in operator_routers:
        app.include_router(router, prefix=prefix)
    app.include_router(create_admin_router(rt.auth), prefix="/api")
    app.include_router(create_notices_router(rt), prefix="/api")  # GET /api/notices (gateway)
    mount_console(app, rt)  # /console/ and its read endpoints (issue 17)

    @app.get("/api/witnesses/status", tags=["operator"])
    def witness_status(
        _principal: Any = Depends(rt.auth.require_role("operator")),  # noqa: B008
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
    refresher = None
    if portal is not None:
        portal_path = settings.path(portal)
        _mount_portal(app, portal_path)
        if rt.service is not None and rt.service.sequencer is not None and settings.witnesses:
            from fairdraw.draw_service import PortalRefresher

            refresher = PortalRefresher(rt, portal_path)
            app.state.portal_refresher = refresher

    if refresher is not None:
        app.add_middleware(RebuildAfterPublish, refresher=refresher)
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
    from fastapi.staticfiles import StaticFiles

    directory.mkdir(parents=True, exist_ok=True)
    app.mount("/portal", StaticFiles(directory=directory, html=True, check_dir=False),
              name="portal")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/portal/")


def _default_operator_routers(rt: Runtime) -> list[Any]:
    try:
        from fairdraw.draw_service import operator_routers
    except ImportError:
        return []
    return operator_routers(rt)
