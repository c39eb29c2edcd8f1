"""The production shape for reads (issue 14 point 2): the real nginx, configured by
`fairdraw nginx-config`, in front of a real `fairdraw serve`, and `fairdraw serve` alone.

A 300-entry log (one full level-0 tile, one partial) is exported with `fairdraw log
export` into the portal directory's log/ (as `fairdraw portal build` does); nginx serves
that directory with C2SP cache headers and proxies the rest. Slow clients: 6,000
connections that send half a request head and stop are held open while normal requests
must still succeed, and a head trickled a byte at a time is cut off by the header
timeout (2 s here, 10 s in production), both through nginx and by `fairdraw serve` alone
(fairdraw.httpserver adds the header deadline uvicorn lacks).

Skipped when the `nginx` binary is absent, or the open-file limit cannot be raised to
hold the slow connections (both ends of each are in this machine).
"""

from __future__ import annotations

import json
import os
import random
import resource
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from fairdraw.local_processes import free_port

CLI = [sys.executable, "-c", "from fairdraw.cli import main; main()"]
ORIGIN = "localhost/nginx-test/log"
HEADER_TIMEOUT = 2
SLOW_CONNECTIONS = 6000
NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if Path("/usr/sbin/nginx").exists() else None)
IMMUTABLE = "public, max-age=31536000, immutable"


def _wait_http(url: str, proc: subprocess.Popen[bytes], log: Path, what: str) -> None:
    deadline = time.monotonic() + 60
    while True:
        try:
            if requests.get(url, timeout=2).status_code < 500:
                return
        except requests.RequestException:
            time.sleep(0.1)
        if proc.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{what} did not start (exit {proc.poll()}): {log.read_text()[-2000:]}")


def _stop(proc: subprocess.Popen[bytes], sig: int = signal.SIGINT) -> None:
    proc.send_signal(sig)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def _fill_log(d: Path, entries: int) -> None:
    from fairdraw.db import create_engine, upgrade_all
    from transparency.keyfile import write_signer_key_file
    from transparency.note_keys import generate_signer
    from transparency.sequencer import Sequencer
    from transparency.sql import SqlStorage

    signer = generate_signer(ORIGIN)
    write_signer_key_file(d / "log.key", signer)
    url = f"sqlite:///{d / 'log.db'}"
    upgrade_all(url)
    engine = create_engine(url)
    try:
        with Sequencer(SqlStorage(engine), [signer], ORIGIN) as seq:
            seq.append([json.dumps({"type": "test", "seq": k}).encode() for k in range(entries)])
            seq.checkpoint()
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def shape(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    if NGINX is None:
        pytest.skip("nginx is not installed (Debian package `nginx`; .ci/run installs it)")
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    need = 2 * SLOW_CONNECTIONS + 512
    if soft < need:
        if hard != resource.RLIM_INFINITY and hard < need:
            pytest.skip(f"needs {need} open files, the hard limit is {hard}")
        resource.setrlimit(resource.RLIMIT_NOFILE, (need, hard))
    d = tmp_path_factory.mktemp("shape")
    _fill_log(d, 300)
    config = d / "fairdraw.json"
    config.write_text(json.dumps({
        "database_url": f"sqlite:///{d / 'log.db'}", "data_dir": str(d), "log_origin": ORIGIN,
        "beacon_relay_url": "http://127.0.0.1:9", "checkpoint_refresh_seconds": 0,
        "http_header_timeout_seconds": HEADER_TIMEOUT, "http_max_connections": 64}))
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAIRDRAW_")}
    env["FAIRDRAW_CONFIG"] = str(config)
    # the exported directory: the log as files (what `fairdraw portal build` writes under
    # log/, without witnesses to co-sign here) and a page
    portal = d / "portal"
    subprocess.run([*CLI, "log", "export", "--out", str(portal / "log"), "--db",
                    f"sqlite:///{d / 'log.db'}"], env=env, check=True, capture_output=True)
    (portal / "index.html").write_text("<!doctype html><html><body>portal</body></html>\n")
    app_port, web_port = free_port(), free_port()
    serve_log = d / "serve.log"
    with serve_log.open("wb") as log:
        serve = subprocess.Popen([*CLI, "serve", "--port", str(app_port)], env=env,
                                 stdout=subprocess.DEVNULL, stderr=log)
    nginx = None
    try:
        _wait_http(f"http://127.0.0.1:{app_port}/healthz", serve, serve_log, "fairdraw serve")
        run = d / "nginx"
        run.mkdir()
        conf = d / "nginx.conf"
        args = ["nginx-config", "--portal", str(portal), "--run-dir", str(run),
                "--listen", f"127.0.0.1:{web_port}", "--upstream", f"127.0.0.1:{app_port}",
                "--header-timeout", f"{HEADER_TIMEOUT}s", "--worker-processes", "1",
                "--out", str(conf)]
        if os.geteuid() == 0:  # the temp directories are root's: keep the workers root
            args += ["--user", "root"]
        subprocess.run([*CLI, *args], env=env, check=True, capture_output=True)
        nginx_log = run / "error.log"
        nginx = subprocess.Popen([NGINX, "-p", str(run), "-e", str(nginx_log), "-c", str(conf),
                                  "-g", "daemon off;"], stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        nginx_log.touch()
        _wait_http(f"http://127.0.0.1:{web_port}/healthz", nginx, nginx_log, "nginx")
        yield {"web": f"http://127.0.0.1:{web_port}", "web_port": web_port,
               "app": f"http://127.0.0.1:{app_port}", "app_port": app_port,
               "portal": portal, "nginx_log": nginx_log, "serve_log": serve_log}
    finally:
        if nginx is not None:
            _stop(nginx, signal.SIGQUIT)
        _stop(serve)


def test_the_rendered_config_is_accepted_by_nginx(shape: dict[str, Any]) -> None:
    text = (shape["nginx_log"].parent.parent / "nginx.conf").read_text()
    assert "{{" not in text
    assert f"client_header_timeout {HEADER_TIMEOUT}s;" in text


def test_tiles_and_checkpoint_come_from_the_export_with_c2sp_cache_headers(
        shape: dict[str, Any]) -> None:
    web, portal = shape["web"], shape["portal"]
    cases = [("log/tile/0/000", IMMUTABLE), ("log/tile/entries/000", IMMUTABLE),
             ("log/tile/0/001.p/44", "public, max-age=5"),
             ("log/tile/entries/001.p/44", "public, max-age=5"),
             ("log/checkpoint", "public, max-age=5")]
    for rel, cache in cases:
        for prefix in ("/", "/portal/"):
            r = requests.get(web + prefix + rel, timeout=5)
            assert r.status_code == 200, (prefix + rel, r.status_code)
            assert r.headers["Cache-Control"] == cache, (prefix + rel, r.headers)
            assert r.content == (portal / rel).read_bytes(), prefix + rel
    assert requests.get(f"{web}/log/checkpoint", timeout=5).headers["Content-Type"] == (
        "text/plain; charset=utf-8")
    page = requests.get(f"{web}/portal/", timeout=5)
    assert page.status_code == 200
    assert "<html" in page.text.lower()
    assert page.headers["Cache-Control"] == "public, max-age=10"
    # nginx served them: the files are the export's, and a byte changed there shows
    tile = portal / "log/tile/0/000"
    original = tile.read_bytes()
    try:
        tile.write_bytes(b"X" + original[1:])
        time.sleep(2.5)  # open_file_cache_valid 2s
        assert requests.get(f"{web}/log/tile/0/000", timeout=5).content[:1] == b"X"
    finally:
        tile.write_bytes(original)


def test_api_proofs_and_health_are_proxied_to_the_service(shape: dict[str, Any]) -> None:
    web = shape["web"]
    r = requests.get(f"{web}/api/draws", timeout=5)
    assert r.status_code == 200, r.text
    assert r.json() == requests.get(f"{shape['app']}/api/draws", timeout=5).json()
    proof = requests.get(f"{web}/log/proof/inclusion?index=7&size=300", timeout=5)
    assert proof.status_code == 200, proof.text
    assert proof.content == requests.get(
        f"{shape['app']}/log/proof/inclusion?index=7&size=300", timeout=5).content
    health = requests.get(f"{web}/healthz", timeout=5)
    assert health.status_code == 200
    assert health.json()["log_size"] == 300
    assert requests.get(f"{web}/", timeout=5, allow_redirects=False).headers["Location"] \
        .endswith("/portal/")
    # an unauthenticated write reaches the service and is refused there
    assert requests.post(f"{web}/api/checkpoints/publish", timeout=5).status_code == 401
    # bodies beyond client_max_body_size are refused by nginx before the service
    big = requests.post(f"{web}/api/draws", data=b"x" * (2 << 20), timeout=10,
                        headers={"Content-Type": "application/json"})
    assert big.status_code == 413


def _open_slow(port: int, count: int) -> list[socket.socket]:
    """`count` connections that each sent half a request head and then nothing."""
    socks = []
    for _ in range(count):
        s = socket.create_connection(("127.0.0.1", port), timeout=5)
        s.sendall(b"GET /log/checkpoint HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        socks.append(s)
    return socks


def _closed_within(sock: socket.socket, seconds: float, trickle: bool) -> float | None:
    """Trickle a header byte every 0.2 s (or stay silent); the seconds until the server
    closed the connection, None if it was still open after `seconds`."""
    start = time.monotonic()
    sock.settimeout(0.2)
    while time.monotonic() - start < seconds:
        try:
            if trickle:
                sock.sendall(random.choice(b"abcdef").to_bytes(1, "big"))
            data = sock.recv(4096)
            if data == b"" or data.startswith(b"HTTP/1.1 408"):
                return time.monotonic() - start
        except TimeoutError:
            continue
        except (ConnectionResetError, BrokenPipeError):
            return time.monotonic() - start
    return None


@pytest.mark.parametrize("target", ["web_port", "app_port"])
def test_a_trickled_request_head_is_cut_off_by_the_header_timeout(
        shape: dict[str, Any], target: str) -> None:
    sock = socket.create_connection(("127.0.0.1", shape[target]), timeout=5)
    silent = socket.create_connection(("127.0.0.1", shape[target]), timeout=5)
    try:
        sock.sendall(b"GET /log/checkpoint HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        closed = _closed_within(sock, HEADER_TIMEOUT + 4, trickle=True)
        assert closed is not None, f"{target}: a trickled head held its connection"
        assert HEADER_TIMEOUT - 0.5 <= closed <= HEADER_TIMEOUT + 3, closed
        # a connection that never sends a byte is closed too
        assert _closed_within(silent, 2, trickle=False) is not None
    finally:
        sock.close()
        silent.close()


def test_a_normal_request_succeeds_while_many_slow_connections_are_held(
        shape: dict[str, Any]) -> None:
    web = shape["web"]
    socks = _open_slow(shape["web_port"], SLOW_CONNECTIONS)
    try:
        started = time.monotonic()
        for path in ("/log/checkpoint", "/log/tile/0/000", "/api/draws", "/healthz"):
            r = requests.get(web + path, timeout=5)
            assert r.status_code == 200, (path, r.status_code)
        assert time.monotonic() - started < 2
        # the slow connections were still held (not refused or dropped) meanwhile
        for sock in socks[:: SLOW_CONNECTIONS // 50]:
            sock.setblocking(False)
            with pytest.raises(BlockingIOError):
                sock.recv(1)
    finally:
        for s in socks:
            s.close()


def test_serve_alone_caps_connections_and_frees_slow_ones(shape: dict[str, Any]) -> None:
    """`fairdraw serve` with http_max_connections 64: 80 slow heads fill the cap (503 to a
    normal request, uvicorn's limit_concurrency), and once the header timeout closed them
    the service answers again."""
    socks = _open_slow(shape["app_port"], 80)
    try:
        time.sleep(0.3)
        refused = requests.get(f"{shape['app']}/healthz", timeout=5)
        assert refused.status_code == 503
        time.sleep(HEADER_TIMEOUT + 1)
        assert requests.get(f"{shape['app']}/healthz", timeout=5).status_code == 200
    finally:
        for s in socks:
            s.close()


def test_nginx_config_refuses_values_that_would_change_the_config(tmp_path: Path) -> None:
    from fairdraw.deploy import DeployConfigError, NginxConfig, render_nginx_config

    good = NginxConfig(portal=tmp_path, run_dir=tmp_path)
    assert "{{" not in render_nginx_config(good)
    for bad in ({"portal": Path("/srv/p;}server{")}, {"upstream": "evil; x"},
                {"header_timeout": "10s; keepalive_timeout 1h"}, {"portal": Path("rel")},
                {"max_body": "1m;"}, {"per_ip": 0}):
        with pytest.raises(DeployConfigError):
            render_nginx_config(NginxConfig(**{"portal": tmp_path, "run_dir": tmp_path, **bad}))
    with pytest.raises(DeployConfigError, match="unknown value"):
        render_nginx_config(good, "x {{nope}}")
    r = subprocess.run([*CLI, "nginx-config", "--portal", str(tmp_path), "--upstream", "a b"],
                       capture_output=True, text=True, check=False)
    assert r.returncode == 2
    assert "upstream must be HOST:PORT" in r.stderr
