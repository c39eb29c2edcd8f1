"""Local child processes of the demo: a local beacon and witnesses on loopback ports.

`LocalCluster(directory)` prepares, on disk, a local beacon key and N witness
directories (key, config trusting the given log key), then starts each as a
SEPARATE process running the ordinary CLI (`fairdraw beacon serve-local`,
`fairdraw witness serve`) on a free 127.0.0.1 port, and waits until each
answers over HTTP. `stop()` (also on `with` exit and at interpreter exit)
terminates every child it started, by process id, then kills any that linger.

Used by `fairdraw demo`, the tests and the load benchmark. Ports are picked by
binding port 0 and releasing it just before the child binds it: a tiny race
that a start-up check turns into a clear error rather than a hang.

Left out: restarting crashed children, remote hosts.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import requests

from draw_engine.beacon import ChainInfo
from draw_engine.local_beacon import load_or_create_local_key
from fairdraw.errors import FairdrawError
from witnesses.directory import add_log, init_witness, read_config, read_cosigner

CLI = [sys.executable, "-c", "from fairdraw.cli import main; main()"]
START_TIMEOUT = 30.0


class ClusterError(FairdrawError, RuntimeError):
    """A child process failed to start or answer; the message includes its output."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Child:
    name: str
    url: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def output(self) -> str:
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
        except OSError:
            return ""


@dataclass(frozen=True)
class WitnessInfo:
    name: str
    url: str
    vkey: str


@dataclass
class LocalCluster:
    """A local beacon and `witness_count` witnesses for the log `log_origin`/`log_vkey`."""

    directory: Path
    log_origin: str
    log_vkey: str
    witness_count: int = 2
    beacon_period: int = 1
    children: list[Child] = field(default_factory=list)
    chain: ChainInfo | None = None
    beacon_url: str = ""
    witnesses: list[WitnessInfo] = field(default_factory=list)

    # -- set up --------------------------------------------------------------------

    def prepare(self, *, now: float) -> None:
        """Create (or reuse) the beacon key and the witness directories."""
        self.directory.mkdir(parents=True, exist_ok=True)
        beacon_dir = self.directory / "beacon"
        key = load_or_create_local_key(beacon_dir, now=now, period=self.beacon_period)
        self.chain = key.chain
        for k in range(1, self.witness_count + 1):
            wdir = self.directory / f"witness-{k}"
            if not (wdir / "witness.json").exists():
                init_witness(wdir, f"localhost/fairdraw-demo/witness-{k}")
            if self.log_origin not in read_config(wdir).get("logs", {}):
                add_log(wdir, self.log_origin, self.log_vkey)
            self.witnesses.append(WitnessInfo(f"witness-{k}", "", read_cosigner(wdir).verifier_key))

    def start(self) -> None:
        """Start every child process and wait until each answers (ClusterError otherwise)."""
        if self.chain is None:
            raise ClusterError("prepare() first")
        atexit.register(self.stop)
        port = free_port()
        self.beacon_url = f"http://127.0.0.1:{port}"
        self._spawn("beacon", self.beacon_url, ["beacon", "serve-local", "--dir",
                                                str(self.directory / "beacon"),
                                                "--port", str(port)])
        for k, w in enumerate(self.witnesses, start=1):
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            self.witnesses[k - 1] = WitnessInfo(w.name, url, w.vkey)
            self._spawn(w.name, url, ["witness", "serve", "--dir",
                                      str(self.directory / f"witness-{k}"), "--port", str(port)])
        self._wait_ready(
            {"beacon": f"{self.beacon_url}/info",
             **{w.name: f"{w.url}/healthz" for w in self.witnesses}}
        )

    def _spawn(self, name: str, url: str, args: list[str]) -> None:
        log_path = self.directory / f"{name}.log"
        out = log_path.open("wb")
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        process = subprocess.Popen(
            [*CLI, *args], stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env=env, start_new_session=True,
        )
        out.close()
        self.children.append(Child(name, url, process, log_path))

    def _wait_ready(self, probes: dict[str, str]) -> None:
        deadline = time.monotonic() + START_TIMEOUT
        pending = dict(probes)
        with requests.Session() as session:
            while pending:
                for name, url in list(pending.items()):
                    child = next(c for c in self.children if c.name == name)
                    if child.process.poll() is not None:
                        raise ClusterError(f"{name} exited with code {child.process.returncode}:"
                                           f"\n{child.output()}")
                    try:
                        if session.get(url, timeout=1).status_code == 200:
                            del pending[name]
                    except requests.RequestException:
                        pass
                if pending and time.monotonic() > deadline:
                    raise ClusterError(f"{', '.join(pending)} did not answer within "
                                       f"{START_TIMEOUT:.0f} s")
                if pending:
                    time.sleep(0.1)

    # -- tear down -----------------------------------------------------------------

    def stop(self) -> None:
        """Terminate the children this cluster started (by pid), then kill stragglers."""
        for child in self.children:
            if child.process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    child.process.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 5
        for child in self.children:
            try:
                child.process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    child.process.kill()
                child.process.wait()
        self.children.clear()

    def __enter__(self) -> LocalCluster:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()
