"""The witness HTTP service: C2SP tlog-witness `POST /add-checkpoint`.

`WitnessService` is the use case (parse → open → read state → decide →
compare-and-swap → cosign); `create_app` is the thin FastAPI router around it.
All protocol errors map to HTTP statuses in ONE table, `STATUS_BY_ERROR`, one
row per refusal class (`status_for`); anything else raised while answering
(a state store failure, a bug) is a 500, logged. This table is the witness
app's own, apart from the log service's (`fairdraw.http_errors`): a witness
is another process run by another administration, speaks C2SP tlog-witness
(plain-text bodies, the 409 body carrying the latest size) and must not
depend on the log service's code (docs/architecture.md "Witnesses").

Transport rules of our own: request bodies above `max_request_size` get 413
before parsing; each configured origin has a token bucket (`RateLimiter`),
exceeding it gets 429 with Retry-After. `GET /<hex SHA-256(origin)>/checkpoint`
is the optional monitoring read of tlog-witness: the stored signed note.

Test hook: `stall_seconds` sleeps between the state read/decision and the
compare-and-swap, so tests can make concurrent requests overlap for real
(`fairdraw witness serve --test-stall-ms`). It is off unless asked for.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import PlainTextResponse, Response

from witnesses.cosignature import Cosigner, format_cosignature_line
from witnesses.errors import (
    AddCheckpointError,
    CompareAndSwapError,
    InvalidProofError,
    MalformedRequestError,
    NoValidSignatureError,
    OldSizeMismatchError,
    OldSizeTooLargeError,
    RateLimitedError,
    RequestTooLargeError,
    UnknownOriginError,
)
from witnesses.state import (
    LogConfig,
    decide,
    open_request,
    parse_add_checkpoint_request,
    request_origin,
)
from witnesses.store import WitnessState

log = logging.getLogger("fairdraw.witness")

STATUS_BY_ERROR: dict[type[AddCheckpointError], int] = {
    MalformedRequestError: 400,
    OldSizeTooLargeError: 400,
    NoValidSignatureError: 403,
    UnknownOriginError: 404,
    OldSizeMismatchError: 409,
    RequestTooLargeError: 413,
    InvalidProofError: 422,  # includes RootMismatchError (HEAD: 422; v1.0.0 said 409)
    RateLimitedError: 429,
}
DEFAULT_MAX_REQUEST_SIZE = 128 * 1024
SIZE_CONTENT_TYPE = "text/x.tlog.size"


def status_for(error: AddCheckpointError) -> int:
    """The status of a refusal: the row of the nearest class in its MRO. A refusal class
    without a row is a bug (tests/witnesses/test_state.py checks every one has a row)."""
    for cls in type(error).__mro__:
        if cls in STATUS_BY_ERROR:
            return STATUS_BY_ERROR[cls]
    raise LookupError(f"no HTTP status for {type(error).__name__}")


class RateLimiter:
    """Token bucket per origin: `rate` requests per second, bursts up to `burst`."""

    def __init__(self, rate: float, burst: int, *, clock: Callable[[], float]) -> None:
        self.rate, self.burst, self.clock = rate, burst, clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, origin: str) -> None:
        with self._lock:
            now = self.clock()
            tokens, last = self._buckets.get(origin, (float(self.burst), now))
            tokens = min(float(self.burst), tokens + (now - last) * self.rate)
            if tokens < 1.0:
                self._buckets[origin] = (tokens, now)
                raise RateLimitedError(origin, (1.0 - tokens) / self.rate)
            self._buckets[origin] = (tokens - 1.0, now)


@dataclass
class WitnessService:
    """One witness: its key, the logs it follows, its state, its clock."""

    cosigner: Cosigner
    logs: Mapping[str, LogConfig]
    state: WitnessState
    clock: Callable[[], float] = time.time
    rate_limiter: RateLimiter | None = None
    stall_seconds: float = 0.0
    _cas_retries: int = field(default=0, init=False)

    def add_checkpoint(self, body: bytes) -> str:
        """Handle one add-checkpoint body; return the cosignature line(s) or raise."""
        request = parse_add_checkpoint_request(body)
        origin = request_origin(request)
        if self.rate_limiter is not None and origin in self.logs:
            self.rate_limiter.take(origin)
        opened = open_request(request, self.logs)
        while True:
            latest = self.state.latest(origin)
            decision = decide(opened, latest)
            if self.stall_seconds:
                time.sleep(self.stall_seconds)  # test hook: widen the check→write window
            if not decision.changed:
                break
            try:
                # SPEC(tlog-witness): "checking the old size against the latest checkpoint and
                # persisting the new checkpoint must be performed atomically".
                self.state.compare_and_swap(latest, decision.record)
                break
            except CompareAndSwapError:
                # Someone else stored first: re-read and decide again (usually now 409).
                self._cas_retries += 1
                continue
        # SPEC(tlog-witness): "The witness MUST persist the new checkpoint before responding."
        timestamp = int(self.clock())
        cosignature = self.cosigner.cosign(decision.body, timestamp=timestamp)
        log.info("cosigned %s size %d at %d", origin, decision.record.tree_size, timestamp)
        return format_cosignature_line(cosignature)


def create_app(
    service: WitnessService, *, max_request_size: int = DEFAULT_MAX_REQUEST_SIZE
) -> FastAPI:
    app = FastAPI(title="fairdraw witness", docs_url=None, redoc_url=None, openapi_url=None)
    app.state.service = service

    def error_response(e: AddCheckpointError) -> Response:
        status = status_for(e)
        log.info("add-checkpoint refused with %d: %s", status, e)
        if isinstance(e, OldSizeMismatchError):
            # SPEC(tlog-witness): 409 body is the latest size in decimal and a newline,
            # Content-Type text/x.tlog.size.
            return Response(
                f"{e.latest_size}\n".encode(), status, headers={"content-type": SIZE_CONTENT_TYPE}
            )
        headers = {}
        if isinstance(e, RateLimitedError):
            headers["Retry-After"] = str(max(1, round(e.retry_after)))
        return PlainTextResponse(f"{e}\n", status, headers=headers)

    @app.post("/add-checkpoint")
    async def add_checkpoint(request: Request) -> Response:
        try:
            declared = request.headers.get("content-length", "0")
            if not declared.isdigit() or int(declared) > max_request_size:
                raise RequestTooLargeError(f"request body larger than {max_request_size} bytes")
            chunks: list[bytes] = []
            total = 0
            async for chunk in request.stream():
                total += len(chunk)
                if total > max_request_size:
                    raise RequestTooLargeError(f"request body larger than {max_request_size} bytes")
                chunks.append(chunk)
            lines = await run_in_threadpool(service.add_checkpoint, b"".join(chunks))
        except AddCheckpointError as e:
            return error_response(e)
        return PlainTextResponse(lines, 200)

    @app.get("/{origin_hash}/checkpoint")
    def monitoring_checkpoint(origin_hash: str) -> Response:
        for record in service.state.all_latest():
            if hashlib.sha256(record.origin.encode()).hexdigest() == origin_hash:
                return Response(record.note, 200, media_type="text/plain; charset=utf-8")
        return PlainTextResponse("never cosigned\n", 404)

    @app.get("/healthz")
    def healthz() -> Response:
        return PlainTextResponse(f"{service.cosigner.verifier_key}\n")

    return app
