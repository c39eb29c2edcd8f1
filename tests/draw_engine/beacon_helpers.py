"""Loopback servers for the beacon tests: CLI processes, in-thread uvicorn, a tampering proxy."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import requests
import uvicorn

CLI = [sys.executable, "-c", "from fairdraw.cli import main; main()"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_until_up(
    url: str, proc: subprocess.Popen[bytes] | None = None, timeout: float = 20
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}: {proc.stderr.read()!r}")  # type: ignore[union-attr]
        try:
            requests.get(url, timeout=1)
            return
        except requests.ConnectionError:
            time.sleep(0.05)
    raise RuntimeError(f"{url} did not come up in {timeout} s")


@contextlib.contextmanager
def cli_server(args: list[str]) -> Iterator[str]:
    """Run `fairdraw <args> --host 127.0.0.1 --port P` as a process; yield its base URL."""
    port = free_port()
    proc = subprocess.Popen(
        [*CLI, *args, "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/info", proc)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        for stream in (proc.stdout, proc.stderr):
            if stream is not None:
                stream.close()


@contextlib.contextmanager
def thread_server(app: Any) -> Iterator[str]:
    """Serve an ASGI app with a real uvicorn server on a loopback port, in a thread."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(f"{base}/info")
        yield base
    finally:
        server.should_exit = True
        thread.join(timeout=10)


Transform = Callable[[str, int, Any], tuple[int, Any]]


@contextlib.contextmanager
def tampering_proxy(upstream: str, transform: Transform) -> Iterator[str]:
    """A loopback HTTP proxy that forwards GETs to `upstream` and rewrites the JSON answers."""

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            r = requests.get(upstream + self.path, timeout=5)
            status, obj = transform(self.path, r.status_code, r.json())
            body = json.dumps(obj).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def flip_hex(text: str, index: int = -1) -> str:
    """Flip the low bit of one hex digit (by default the last one)."""
    digits = list(text)
    digits[index] = format(int(digits[index], 16) ^ 1, "x")
    return "".join(digits)
