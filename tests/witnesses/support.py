"""Test support: an in-memory Merkle tree acting as a log, and witness processes.

Witnesses run as real processes (`fairdraw witness serve`, uvicorn) on loopback
ports picked by binding port 0."""

from __future__ import annotations

import hashlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import requests

from transparency.checkpoint import Checkpoint, sign_checkpoint
from transparency.merkle import append_leaves, leaf_hash, prove_consistency, tree_root
from transparency.note_keys import Signer, generate_signer

CLI = [sys.executable, "-c", "from fairdraw.cli import main; main()"]


@dataclass
class MemoryLog:
    """A toy log: leaves in memory, checkpoints signed by an Ed25519 key named like the origin."""

    origin: str
    signer: Signer = field(init=False)
    size: int = 0
    frontier: list[bytes] = field(default_factory=list)
    nodes: dict[tuple[int, int], bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.signer = generate_signer(self.origin)

    @property
    def vkey(self) -> str:
        return self.signer.verifier_key

    def read_nodes(self, nodes: Sequence[tuple[int, int]]) -> list[bytes]:
        return [self.nodes[n] for n in nodes]

    def append(self, count: int = 1, tag: str = "entry") -> None:
        leaves = [leaf_hash(f"{self.origin} {tag} {self.size + i}".encode()) for i in range(count)]
        created, self.frontier = append_leaves(self.size, self.frontier, leaves)
        self.nodes.update(created)
        self.size += count

    def root(self, size: int | None = None) -> bytes:
        return tree_root(self.size if size is None else size, self)

    def checkpoint(self, size: int | None = None, signer: Signer | None = None) -> bytes:
        size = self.size if size is None else size
        cp = Checkpoint(self.origin, size, self.root(size))
        return sign_checkpoint(cp, [signer or self.signer])

    def forged_checkpoint(self, size: int, salt: bytes = b"fork") -> bytes:
        """A checkpoint of `size` with a different root, signed by the log key: a fork."""
        root = hashlib.sha256(salt + self.root(size)).digest()
        return sign_checkpoint(Checkpoint(self.origin, size, root), [self.signer])

    def fork(self) -> MemoryLog:
        """A log with the same origin, key and leaves so far, to be extended differently."""
        other = MemoryLog(self.origin)
        other.signer = self.signer
        other.size, other.frontier, other.nodes = self.size, list(self.frontier), dict(self.nodes)
        return other

    def proof(self, old: int, new: int) -> list[bytes]:
        return prove_consistency(old, new, self)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def run_cli(*args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    result = subprocess.run([*CLI, *args], check=False, capture_output=True, text=True, timeout=60)
    if check and result.returncode != 0:
        raise AssertionError(f"fairdraw {' '.join(args)} failed: {result.stderr}")
    return result


@dataclass
class WitnessProcess:
    directory: Path
    port: int
    process: subprocess.Popen[bytes]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def init_witness_dir(directory: Path, name: str, logs: Sequence[tuple[str, str]],
                     database_url: str | None = None) -> str:
    args = ["witness", "init", "--dir", str(directory), "--name", name]
    if database_url:
        args += ["--database-url", database_url]
    vkey = run_cli(*args).stdout.strip()
    for origin, log_vkey in logs:
        run_cli("witness", "add-log", "--dir", str(directory), "--origin", origin,
                "--vkey", log_vkey)
    return vkey


def spawn_witness(directory: Path, *extra: str) -> WitnessProcess:
    port = free_port()
    proc = subprocess.Popen(
        [*CLI, "witness", "serve", "--dir", str(directory), "--port", str(port), *extra],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=dict(os.environ),
    )
    return WitnessProcess(directory, port, proc)


def wait_ready(w: WitnessProcess) -> WitnessProcess:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if w.process.poll() is not None:
            err = w.process.stderr.read().decode() if w.process.stderr else ""
            raise RuntimeError(f"witness exited with {w.process.returncode}: {err}")
        try:
            if requests.get(f"{w.url}/healthz", timeout=0.5).status_code == 200:
                return w
        except requests.RequestException:
            time.sleep(0.05)
    w.stop()
    raise RuntimeError("witness did not start in 30 s")


def start_witness(directory: Path, *extra: str) -> WitnessProcess:
    return wait_ready(spawn_witness(directory, *extra))


def add_checkpoint(url: str, old: int, proof: Sequence[bytes], note: bytes) -> requests.Response:
    from witnesses.state import AddCheckpointRequest, format_add_checkpoint_request

    body = format_add_checkpoint_request(AddCheckpointRequest(old, tuple(proof), note))
    return requests.post(f"{url}/add-checkpoint", data=body, timeout=10)
