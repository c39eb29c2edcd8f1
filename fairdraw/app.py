"""The FastAPI app factory: the composition root of the service (issue 6 item 1).

`create_app(settings)` opens the database named by the settings and composes:

- `/log/…`: the log read API (transparency.api: checkpoint, tiles, proofs,
  entries). It serves the latest CO-SIGNED checkpoint when witnesses are
  configured, the latest signed one otherwise;
- `/api/…`: the draw and registry operator API (draw_engine.api) when the draw
  service is available; every write route depends on `Auth.require_role(role)`;
- `/portal/…`: the static portal directory (`settings.portal_dir`), `/`
  redirects there;
- `/healthz` (database reachable, log size) and `/metrics` (Prometheus text
  format: request counts by method and status class, latency sum, log size).

Cross-cutting, in one place each:
- `_BodyLimit`: a request body larger than `max_body_bytes` (or
  `max_upload_bytes` under an upload prefix) is refused with 413 before the
  route reads it, whether it has a Content-Length or is chunked;
- `_install_error_mapping`: the package exception trees → HTTP status (400
  for bad input, 404 unknown, 409 conflicts, 422 verification failures, 503
  when a dependency such as a beacon or witness is unavailable);
- `AuditMiddleware` (fairdraw.auth): one audit row per write request.

Left out: TLS (run behind a reverse proxy), CORS (the portal is same-origin).
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from sqlalchemy.engine import Engine
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fairdraw.auth import WRITE_METHODS, AuditMiddleware, Auth, AuthError, TokenGate
from fairdraw.db import create_engine
from fairdraw.settings import Settings
from transparency.api import create_router as create_log_router
from transparency.sql import SqlStorage

log = logging.getLogger("fairdraw.app")
UPLOAD_PREFIXES = ("/api/registries", "/api/registry")


# -- body size limit ----------------------------------------------------------------


class _BodyLimit:
    """Refuse request bodies above the limit with 413, before the route parses them."""

    def __init__(self, app: ASGIApp, *, limit: int, upload_limit: int,
                 upload_prefixes: tuple[str, ...] = UPLOAD_PREFIXES) -> None:
        self.app = app
        self.limit = limit
        self.upload_limit = upload_limit
        self.upload_prefixes = upload_prefixes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        limit = self.upload_limit if path.startswith(self.upload_prefixes) else self.limit
        for name, value in scope.get("headers", []):
            if name == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    await _too_large(send, 400, "Content-Length is not a number")
                    return
                if declared > limit:
                    await _too_large(send, 413, f"request body of {declared} bytes is larger "
                                                f"than the limit of {limit} bytes")
                    return
        seen = 0
        started = False
        refused = False

        async def tracked(message: Message) -> None:
            nonlocal started
            if refused:
                return  # we answered 413 already; the app's own answer is dropped
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        async def counted() -> Message:
            nonlocal seen, refused
            if refused:
                return {"type": "http.disconnect"}
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit and not started:
                    # Answer now: routes may swallow exceptions raised while they read.
                    refused = True
                    await _too_large(send, 413, f"request body is larger than the limit "
                                                f"of {limit} bytes")
                    return {"type": "http.disconnect"}
            return message

        try:
            await self.app(scope, counted, tracked)
        except Exception:
            if not refused:
                raise


async def _too_large(send: Send, status: int, message: str) -> None:
    body = JSONResponse({"detail": message}, status_code=status).body
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"),
                            (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


# -- read cache ---------------------------------------------------------------------


@dataclass
class Freshness:
    """Bumped after every write request: the checkpoint caches drop what they hold, so a
    checkpoint published by a request is served from the next request on. (This process
    is the log's only writer: it holds the sequencer lock.)"""

    version: int = 0


class _ReadCache:
    """Answers repeated public log reads from memory, before routing.

    Every 200 answer under `/log/` other than the checkpoint is fixed by its URL for
    ever: a tile, bundle, entry or proof is served only once a checkpoint implies it,
    checkpoints only grow, and the log is append-only. Those answers are kept in an
    LRU bounded by `max_bytes`. `/log/checkpoint` is kept for `checkpoint_ttl` seconds
    (its Cache-Control already allows 5 s of staleness)."""

    def __init__(self, app: ASGIApp, *, freshness: Freshness, max_bytes: int = 64 << 20,
                 checkpoint_ttl: float = 1.0, prefix: str = "/log/") -> None:
        from collections import OrderedDict

        self.app = app
        self.freshness = freshness
        self.max_bytes = max_bytes
        self.checkpoint_ttl = checkpoint_ttl
        self.prefix = prefix
        self.entries: OrderedDict[bytes, tuple[float, int, list[Message]]] = OrderedDict()
        self.size = 0
        self.seen_version = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] in WRITE_METHODS:
            try:
                await self.app(scope, receive, send)
            finally:
                self.freshness.version += 1
            return
        if (scope["type"] != "http" or scope["method"] != "GET"
                or not scope["path"].startswith(self.prefix)):
            await self.app(scope, receive, send)
            return
        if self.seen_version != self.freshness.version:
            self.seen_version = self.freshness.version
            self._drop(self.prefix.encode() + b"checkpoint?")
        key = scope["path"].encode() + b"?" + scope.get("query_string", b"")
        checkpoint = scope["path"] == self.prefix + "checkpoint"
        hit = self.entries.get(key)
        now = time.monotonic()
        if hit is not None and (not checkpoint or now < hit[0]):
            self.entries.move_to_end(key)
            for message in hit[2]:
                await send(message)
            return
        messages: list[Message] = []
        status = 0

        async def keep(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            messages.append(message)
            await send(message)

        await self.app(scope, receive, keep)
        if status == 200 and all(not m.get("more_body") for m in messages[1:]):
            size = sum(len(m.get("body", b"")) for m in messages)
            if size <= self.max_bytes // 16:
                self._store(key, now + self.checkpoint_ttl if checkpoint else float("inf"),
                            size, messages)

    def _drop(self, key: bytes) -> None:
        old = self.entries.pop(key, None)
        if old is not None:
            self.size -= old[1]

    def _store(self, key: bytes, expires: float, size: int, messages: list[Message]) -> None:
        old = self.entries.pop(key, None)
        if old is not None:
            self.size -= old[1]
        self.entries[key] = (expires, size, messages)
        self.size += size
        while self.size > self.max_bytes and self.entries:
            _, (_, dropped, _) = self.entries.popitem(last=False)
            self.size -= dropped


class _RecentCheckpoint:
    """The read router's view of the log: `latest_checkpoint` remembered for `ttl` seconds
    (one database round trip saved per request); every other method is the storage's."""

    def __init__(self, storage: SqlStorage, freshness: Freshness, ttl: float = 1.0) -> None:
        self._storage = storage
        self._freshness = freshness
        self._ttl = ttl
        self._cached: dict[bool, tuple[float, int, Any]] = {}

    def latest_checkpoint(self, *, cosigned_only: bool = False) -> Any:
        now = time.monotonic()
        version = self._freshness.version
        hit = self._cached.get(cosigned_only)
        if hit is not None and now < hit[0] and hit[1] == version:
            return hit[2]
        cp = self._storage.latest_checkpoint(cosigned_only=cosigned_only)
        if cp is not None:  # "no checkpoint yet" is never remembered
            self._cached[cosigned_only] = (now + self._ttl, version, cp)
        return cp

    def __getattr__(self, name: str) -> Any:
        return getattr(self._storage, name)


# -- metrics ------------------------------------------------------------------------


@dataclass
class Metrics:
    """Request counters, updated by `_MetricsMiddleware`; rendered as Prometheus text."""

    requests: Counter[tuple[str, str]] = field(default_factory=Counter)
    seconds: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def observe(self, method: str, status: int, elapsed: float) -> None:
        with self.lock:
            self.requests[(method, f"{status // 100}xx")] += 1
            self.seconds += elapsed

    def render(self, gauges: dict[str, int]) -> str:
        lines = ["# HELP fairdraw_http_requests_total HTTP requests by method and status class.",
                 "# TYPE fairdraw_http_requests_total counter"]
        with self.lock:
            for (method, status), n in sorted(self.requests.items()):
                lines.append(
                    f'fairdraw_http_requests_total{{method="{method}",status="{status}"}} {n}')
            lines += ["# HELP fairdraw_http_request_seconds_sum Time spent answering requests.",
                      "# TYPE fairdraw_http_request_seconds_sum counter",
                      f"fairdraw_http_request_seconds_sum {self.seconds:.6f}"]
        for name, value in gauges.items():
            lines += [f"# TYPE fairdraw_{name} gauge", f"fairdraw_{name} {value}"]
        return "\n".join(lines) + "\n"


class _MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            self.metrics.observe(scope["method"], status, time.perf_counter() - start)


# -- error mapping ------------------------------------------------------------------


def _status_for(exc: Exception) -> int:
    """The one table from exception types to HTTP status codes (STYLE §6)."""
    from draw_engine.beacon_errors import BeaconError, BeaconUnavailableError
    from draw_engine.errors import DrawEngineError
    from draw_engine.errors import FormatError as DrawFormatError
    from draw_engine.errors import VerificationError as DrawVerificationError
    from transparency.errors import FormatError as LogFormatError
    from transparency.errors import SequencerBusyError, StorageError, TransparencyError
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
        (SequencerBusyError, 503),
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
        return JSONResponse({"detail": str(exc) or type(exc).__name__,
                             "error": type(exc).__name__}, status_code=status)

    for root in (DrawEngineError, BeaconError, WitnessError, TransparencyError, AuthError,
                 LookupError, ValueError):
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
    by default they come from `fairdraw.service.operator_routers(runtime)` when available."""
    rt = runtime or open_runtime(settings)
    app = FastAPI(title="fairdraw", version="0.1.0",
                  description="Publicly verifiable 双随机、一公开 inspection draws.")
    app.state.runtime = rt
    metrics = Metrics()
    _install_error_mapping(app)

    cosigned_only = bool(settings.witnesses)
    freshness = Freshness()
    reads: Any = _RecentCheckpoint(rt.storage, freshness)
    app.include_router(create_log_router(reads, cosigned_only=cosigned_only),
                       prefix="/log", tags=["log"])
    if operator_routers is None:
        operator_routers = _default_operator_routers(rt)
    for prefix, router in operator_routers:
        app.include_router(router, prefix=prefix)

    @app.get("/healthz", tags=["service"])
    def healthz() -> dict[str, Any]:
        with rt.engine.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return {"status": "ok", "log_size": rt.storage.tree_size(),
                "database": rt.engine.dialect.name,
                "writer": bool(rt.service is not None and rt.service.sequencer is not None)}

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
            from fairdraw.service import PortalRefresher

            refresher = PortalRefresher(rt, portal_path)
            app.state.portal_refresher = refresher

    if refresher is not None:
        app.add_middleware(_RebuildAfterPublish, refresher=refresher)
    app.add_middleware(TokenGate, auth=rt.auth)
    app.add_middleware(AuditMiddleware, auth=rt.auth)
    app.add_middleware(_BodyLimit, limit=settings.max_body_bytes,
                       upload_limit=settings.max_upload_bytes)
    app.add_middleware(_ReadCache, freshness=freshness)
    app.add_middleware(_MetricsMiddleware, metrics=metrics)
    return app


class _RebuildAfterPublish:
    """After a successful POST …/checkpoints/publish, ask for a portal rebuild: the portal
    shows the latest co-signed checkpoint, and only a publish changes it."""

    def __init__(self, app: ASGIApp, refresher: Any) -> None:
        self.app = app
        self.refresher = refresher

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not (scope["type"] == "http" and scope["method"] == "POST"
                and scope["path"].endswith("/checkpoints/publish")):
            await self.app(scope, receive, send)
            return
        status = 0

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        await self.app(scope, receive, watch)
        if 200 <= status < 300:
            self.refresher.request()


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
        from fairdraw.service import operator_routers
    except ImportError:
        return []
    return operator_routers(rt)
