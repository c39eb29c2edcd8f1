"""The service's ASGI middlewares (pure ASGI: no BaseHTTPMiddleware, no body buffering).

- `BodyLimit`: a request body above the limit is answered 413 before a route parses it
  (Content-Length checked up front, chunked bodies counted as they arrive);
- `ReadCache` + `RecentCheckpoint` + `Freshness`: public log reads from memory (the
  URL-immutable answers in an LRU, the checkpoint for at most 1 s and never across a
  write request);
- `Metrics` + `MetricsMiddleware`: request counters rendered as Prometheus text;
- `AuditMiddleware`: one audit row (`fairdraw.auth.Auth.record`) per write request, with
  the request's content (a small JSON body whole, anything else by size and SHA-256).

No middleware looks at a route's URL to learn what a request did: the portal is
rebuilt by the draw service's publish use case itself (`on_published`,
fairdraw.runtime).

`fairdraw.app.create_app` stacks them; `fairdraw.auth` has the token gate and the audit
table. Left out: gzip, CORS, rate limiting (put a reverse proxy in front).
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Any

from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fairdraw.auth import WRITE_METHODS, Auth, Principal
from transparency.sql import SqlStorage

UPLOAD_PREFIXES = ("/api/registries", "/api/registry")


class StatusWatch:
    """A `send` that passes every message on and remembers the response status
    (`status` until a response starts: 500 by default, as for an app that raised)."""

    def __init__(self, send: Send, *, status: int = 500) -> None:
        self.send = send
        self.status = status

    async def __call__(self, message: Message) -> None:
        if message["type"] == "http.response.start":
            self.status = int(message["status"])
        await self.send(message)


# -- body size limit ----------------------------------------------------------------


class BodyLimit:
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


class ReadCache:
    """Answers repeated public log reads from memory, before routing.

    Every 200 answer under `/log/` other than the checkpoint is fixed by its URL for
    ever: a tile, bundle, entry or proof is served only once a checkpoint implies it,
    checkpoints only grow, and the log is append-only. Those answers are kept in an
    LRU bounded by `max_bytes`. `/log/checkpoint` is kept for `checkpoint_ttl` seconds
    (its Cache-Control already allows 5 s of staleness)."""

    def __init__(self, app: ASGIApp, *, freshness: Freshness, max_bytes: int = 64 << 20,
                 checkpoint_ttl: float = 1.0, prefix: str = "/log/") -> None:
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


class RecentCheckpoint:
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
    """Request counters, updated by `MetricsMiddleware`; rendered as Prometheus text."""

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


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        watch = StatusWatch(send)
        try:
            await self.app(scope, receive, watch)
        finally:
            self.metrics.observe(scope["method"], watch.status, time.perf_counter() - start)


# -- audit trail -------------------------------------------------------------------


AUDIT_BODY_LIMIT = 16 << 10
"""A JSON request body up to this size is kept whole in the audit row; larger bodies and
other content types (registry files, which hold phone numbers) only by size and SHA-256."""


class AuditMiddleware:
    """Records every write request (method in WRITE_METHODS) with its final status and its
    content (`detail`: JSON `{"bytes", "sha256", "content_type", "body"?}`)."""

    def __init__(self, app: ASGIApp, auth: Auth) -> None:
        self.app = app
        self.auth = auth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in WRITE_METHODS:
            await self.app(scope, receive, send)
            return
        watch = StatusWatch(send)
        content = _RequestContent(scope, receive)
        try:
            await self.app(scope, content.receive, watch)
        finally:
            state = scope.get("state") or {}
            principal = state.get("principal") if isinstance(state, dict) else None
            query = scope.get("query_string", b"").decode("latin-1")
            path = scope["path"] + (f"?{query}" if query else "")
            await run_in_threadpool(
                self.auth.record,
                principal=principal if isinstance(principal, Principal) else None,
                method=scope["method"],
                path=path,
                status=watch.status,
                detail=content.detail(),
            )


class _RequestContent:
    """Passes a request body on as it arrives, remembering its size, SHA-256 and (a JSON
    body up to AUDIT_BODY_LIMIT) its text, for the audit row."""

    def __init__(self, scope: Scope, receive: Receive) -> None:
        self._receive = receive
        self._hash = hashlib.sha256()
        self._kept = bytearray()
        self.size = 0
        self.content_type = ""
        for name, value in scope.get("headers", []):
            if name == b"content-type":
                self.content_type = value.decode("latin-1")[:128]

    async def receive(self) -> Message:
        message = await self._receive()
        if message["type"] == "http.request":
            chunk = message.get("body", b"")
            self.size += len(chunk)
            self._hash.update(chunk)
            if len(self._kept) <= AUDIT_BODY_LIMIT:
                self._kept += chunk[:AUDIT_BODY_LIMIT + 1 - len(self._kept)]
        return message

    def detail(self) -> str | None:
        if not self.size:
            return None
        out: dict[str, Any] = {"bytes": self.size, "sha256": self._hash.hexdigest(),
                               "content_type": self.content_type}
        if (self.content_type.split(";")[0].strip() == "application/json"
                and self.size <= AUDIT_BODY_LIMIT):
            out["body"] = bytes(self._kept).decode("utf-8", errors="replace")
        return json.dumps(out, ensure_ascii=False)
