"""How `fairdraw serve` runs uvicorn: bounded header time, keep-alive and connections.

uvicorn (0.55, h11) bounds an idle keep-alive connection (`timeout_keep_alive`,
armed only after a response) and the number of connections plus running tasks
(`limit_concurrency`: beyond it every request gets 503), but it has NO
header-read timeout: a client that connects and sends nothing, or trickles its
request line and headers a byte at a time, holds its connection for ever. So a
few thousand such clients keep `limit_concurrency` full and everyone else gets
503 (issue 14 point 2).

`HeaderTimeoutH11Protocol` adds that bound: from the moment a connection opens,
or the first byte of the next request on a kept-alive connection, the whole
request head (request line and headers) must arrive within `header_timeout`
seconds, else the connection is closed. The deadline is absolute, so trickling
bytes does not extend it. h11's `max_incomplete_event_size` bounds the head's
size (431/400 beyond).

This bounds what ONE slow client can hold to `header_timeout` seconds; it does
not stop many addresses from reconnecting at once. Production runs nginx in
front (fairdraw.deploy, docs/operations.md §4 "Production shape"), which also
bounds body time, per-address connections and serves the reads as files.
"""

from __future__ import annotations

import asyncio
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol


class HeaderTimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with a deadline on each request head (class attribute
    `header_timeout`, seconds; set by `protocol_with_header_timeout`)."""

    header_timeout: float = 10.0
    header_timeouts = 0  # connections closed for a late head, this process

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._head_timer: asyncio.TimerHandle | None = None

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def data_received(self, data: bytes) -> None:
        if self._head_timer is None and self._awaiting_head():
            self._arm_head_timer()  # first byte of the next request on a kept-alive connection
        super().data_received(data)
        if not self._awaiting_head():
            self._cancel_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_timer()
        super().connection_lost(exc)

    def _awaiting_head(self) -> bool:
        return self.conn.their_state is h11.IDLE

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _head_timed_out(self) -> None:
        self._head_timer = None
        if self._awaiting_head() and not self.transport.is_closing():
            type(self).header_timeouts += 1
            self.transport.close()


def protocol_with_header_timeout(seconds: float) -> type[HeaderTimeoutH11Protocol]:
    """A protocol class whose request heads must arrive within `seconds`."""
    if seconds <= 0:
        raise ValueError("the header timeout must be positive")
    return type("BoundedH11Protocol", (HeaderTimeoutH11Protocol,), {"header_timeout": seconds})


def run(app: Any, *, host: str, port: int, settings: Any) -> None:
    """uvicorn.run with the service's HTTP bounds (settings `http_*`)."""
    uvicorn.run(
        app, host=host, port=port, log_level="warning", access_log=False,
        http=protocol_with_header_timeout(settings.http_header_timeout_seconds),
        timeout_keep_alive=settings.http_keep_alive_seconds,
        limit_concurrency=settings.http_max_connections,
        backlog=min(settings.http_max_connections, 4096),
        h11_max_incomplete_event_size=settings.http_max_header_bytes,
    )
