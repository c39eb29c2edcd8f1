"""The log-side collector against three real witness processes (and stub witnesses
for misbehaviour: stuffing, bad signatures, slowness) over loopback HTTP."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from tests.witnesses.support import (
    MemoryLog,
    WitnessProcess,
    free_port,
    spawn_witness,
    wait_ready,
)
from witnesses.collector import Collector, WitnessEndpoint
from witnesses.cosignature import Cosignature, Cosigner, format_cosignature_line
from witnesses.directory import add_log, init_witness
from witnesses.errors import CollectionError
from witnesses.policy import parse_policy

ORIGINS = [f"example.com/c{i}" for i in range(6)]


@pytest.fixture(scope="module")
def logs() -> dict[str, MemoryLog]:
    return {o: MemoryLog(o) for o in ORIGINS}


@pytest.fixture(scope="module")
def witnesses(tmp_path_factory: pytest.TempPathFactory,
              logs: dict[str, MemoryLog]) -> Iterator[list[tuple[WitnessProcess, str]]]:
    out = []
    for i in range(3):
        d: Path = tmp_path_factory.mktemp(f"w{i}")
        vkey = init_witness(d, f"witness{i}.example").verifier_key
        for log in logs.values():
            add_log(d, log.origin, log.vkey)
        out.append((spawn_witness(d, "--rate", "1000", "--burst", "1000"), vkey))
    for w, _ in out:
        wait_ready(w)
    yield out
    for w, _ in out:
        w.stop()


def _policy(vkeys: list[str], k: str) -> str:
    lines = [f"witness w{i} {v}" for i, v in enumerate(vkeys)]
    names = " ".join(f"w{i}" for i in range(len(vkeys)))
    return "\n".join([*lines, f"group g {k} {names}", "quorum g", ""])


def _collector(endpoints: list[WitnessEndpoint], k: str, **kw: float) -> Collector:
    return Collector(endpoints, parse_policy(_policy([e.vkey for e in endpoints], k)), **kw)


def test_collects_a_growing_log_and_learns_sizes(witnesses, logs) -> None:
    log = logs[ORIGINS[0]]
    endpoints = [WitnessEndpoint(w.url, v) for w, v in witnesses]
    collector = _collector(endpoints, "all")
    try:
        for grow in (1, 3, 5):
            log.append(grow)
            cosigned = collector.collect(log.checkpoint(), log.proof)
            result = collector.policy.check(cosigned)
            assert result.witnesses == ("w0", "w1", "w2")
            assert all(collector.known_sizes[e.url] == log.size for e in endpoints)
        assert all(s["ok"] for s in collector.status().values())
    finally:
        collector.close()
    # a fresh collector (cache lost) sends old 0, gets 409 with the size, retries
    fresh = _collector(endpoints, "all")
    try:
        log.append(2)
        fresh.collect(log.checkpoint(), log.proof)
        assert all(fresh.known_sizes[e.url] == log.size for e in endpoints)
    finally:
        fresh.close()


def test_unreachable_witness_tolerated_by_two_of_three(witnesses, logs) -> None:
    log = logs[ORIGINS[1]]
    dead = WitnessEndpoint(f"http://127.0.0.1:{free_port()}", witnesses[2][1])
    endpoints = [WitnessEndpoint(witnesses[0][0].url, witnesses[0][1]),
                 WitnessEndpoint(witnesses[1][0].url, witnesses[1][1]), dead]
    log.append(4)
    two = _collector(endpoints, "2", timeout=2.0)
    try:
        cosigned = two.collect(log.checkpoint(), log.proof)
        assert two.policy.check(cosigned).witnesses == ("w0", "w1")
        assert "unreachable" in two.status()[dead.url]["detail"]
    finally:
        two.close()
    three = _collector(endpoints, "all", timeout=2.0)
    try:
        log.append(1)
        with pytest.raises(CollectionError) as e:
            three.collect(log.checkpoint(), log.proof)
        assert set(e.value.reasons) == {"witness2.example"}
        assert "unreachable" in e.value.reasons["witness2.example"]
    finally:
        three.close()


def test_witness_ahead_of_the_log_is_a_fork_not_a_retry(witnesses, logs) -> None:
    log = logs[ORIGINS[2]]
    endpoints = [WitnessEndpoint(w.url, v) for w, v in witnesses]
    c = _collector(endpoints, "any")
    try:
        log.append(6)
        c.collect(log.checkpoint(), log.proof)
        with pytest.raises(CollectionError) as e:
            c.collect(log.checkpoint(3), log.proof)  # a rollback of the log
        assert all("larger than this checkpoint" in why for why in e.value.reasons.values()), (
            e.value.reasons
        )
        with pytest.raises(CollectionError) as e:
            c.collect(log.forged_checkpoint(6), log.proof)  # same size, other root
        assert all(why.startswith("422") for why in e.value.reasons.values())
    finally:
        c.close()


class _Stub:
    """A fake witness on a real loopback socket answering with `respond(body)`."""

    def __init__(self, respond: Callable[[bytes], tuple[int, bytes]]) -> None:
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["content-length"]))
                status, payload = stub.respond(body)
                self.send_response(status)
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args: object) -> None:
                pass

        self.respond = respond
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def _checkpoint_body(request: bytes) -> bytes:
    note = request.split(b"\n\n", 1)[1]
    return note[: note.index(b"\n\n") + 1]


def test_stuffing_bad_signatures_and_timeouts_do_not_count() -> None:
    log = MemoryLog("example.com/stub")
    log.append(2)
    honest, other = Cosigner("honest.example", b"\x05" * 32), Cosigner("x.example", b"\x06" * 32)

    def stuffing(req: bytes) -> tuple[int, bytes]:
        body = _checkpoint_body(req)
        lines = format_cosignature_line(other.cosign(body, timestamp=5))
        return 200, lines.encode()

    def forged(req: bytes) -> tuple[int, bytes]:
        # the configured key's line, but signed over another timestamp
        body = _checkpoint_body(req)
        good = honest.cosign(body, timestamp=5)
        bad = Cosignature(good.name, good.key_id, 6, good.signature)
        return 200, format_cosignature_line(bad).encode()

    def good_plus_junk(req: bytes) -> tuple[int, bytes]:
        body = _checkpoint_body(req)
        return 200, (format_cosignature_line(honest.cosign(body, timestamp=5))
                     + format_cosignature_line(other.cosign(body, timestamp=5))).encode()

    def slow(req: bytes) -> tuple[int, bytes]:
        time.sleep(1.5)
        return 200, b""

    for respond, reason in [(stuffing, "no cosignature from the configured key"),
                            (forged, "does not verify"), (slow, "timed out")]:
        stub = _Stub(respond)
        c = _collector([WitnessEndpoint(stub.url, honest.verifier_key)], "all", timeout=0.5)
        try:
            with pytest.raises(CollectionError) as e:
                c.collect(log.checkpoint(), log.proof)
            assert reason in e.value.reasons["honest.example"]
        finally:
            c.close()
            stub.close()
    stub = _Stub(good_plus_junk)
    c = _collector([WitnessEndpoint(stub.url, honest.verifier_key)], "all")
    try:
        cosigned = c.collect(log.checkpoint(), log.proof)
        assert b"x.example" not in cosigned  # only the configured key's line is attached
        assert cosigned.count("\u2014".encode()) == 2  # log signature + honest cosignature
    finally:
        c.close()
        stub.close()
