"""Read API: tlog-tiles resources, JSON proofs, and a clear 4xx for every kind of bad input."""

from __future__ import annotations

import base64
import socket
import subprocess
import sys
import time
import warnings

import pytest
import requests

from transparency import merkle
from transparency.api import IMMUTABLE, create_app
from transparency.checkpoint import open_checkpoint
from transparency.export import HttpSource, fsck_log
from transparency.note_keys import generate_signer
from transparency.sequencer import Sequencer
from transparency.sql import SqlStorage
from transparency.storage import MemoryStorage
from transparency.tiles import parse_bundle, parse_tile

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # starlette: "use httpx2", not our concern
    from fastapi.testclient import TestClient

ORIGIN = "example.com/fairdraw/api-test"
SIGNER = generate_signer(ORIGIN)
SIZE = 70_000  # 273 full level-0 tiles + .p/112, level 1: one full + .p/17, level 2: .p/1
ENTRIES = [f'{{"type":"t","v":1,"n":{i}}}'.encode() for i in range(SIZE + 10)]
LEAVES = [merkle.leaf_hash(e) for e in ENTRIES]


def b64(s: str) -> bytes:
    return base64.b64decode(s, validate=True)


@pytest.fixture(scope="module")
def storage() -> MemoryStorage:
    s = MemoryStorage()
    with Sequencer(s, [SIGNER], ORIGIN) as seq:
        seq.append(ENTRIES[:SIZE])
        seq.checkpoint()
        seq.append(ENTRIES[SIZE:])  # committed but not yet covered by a checkpoint
    return s


@pytest.fixture(scope="module")
def client(storage: MemoryStorage) -> TestClient:
    return TestClient(create_app(storage))


def test_checkpoint(client: TestClient) -> None:
    r = client.get("/checkpoint")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/plain; charset=utf-8"
    assert "immutable" not in r.headers["cache-control"]
    cp, _ = open_checkpoint(r.content, [SIGNER.verifier_key], origin=ORIGIN)
    assert (cp.tree_size, cp.root_hash) == (SIZE, merkle.root_hash(LEAVES[:SIZE]))


def test_no_checkpoint_yet_is_404() -> None:
    c = TestClient(create_app(MemoryStorage()))
    r = c.get("/checkpoint")
    assert r.status_code == 404
    assert "no checkpoint" in r.json()["detail"]
    assert c.get("/tile/0/000.p/1").status_code == 404


def test_full_and_partial_tiles(client: TestClient) -> None:
    r = client.get("/tile/0/x001/000")  # tile 1000 does not exist at size 70000
    assert r.status_code == 404
    r = client.get("/tile/0/005")
    assert r.status_code == 200
    assert r.headers["cache-control"] == IMMUTABLE
    assert r.headers["content-type"] == "application/octet-stream"
    assert parse_tile(r.content) == LEAVES[5 * 256 : 6 * 256]
    r = client.get("/tile/0/273.p/112")
    assert r.status_code == 200
    assert "immutable" not in r.headers["cache-control"]
    assert parse_tile(r.content, 112) == LEAVES[273 * 256 : SIZE]
    # a smaller width of the same partial tile is still implied (an older checkpoint had it)
    assert parse_tile(client.get("/tile/0/273.p/3").content, 3) == LEAVES[273 * 256 : 273 * 256 + 3]
    level1 = parse_tile(client.get("/tile/1/000").content)
    assert level1[7] == merkle.root_hash(LEAVES[7 * 256 : 8 * 256])
    assert len(parse_tile(client.get("/tile/1/001.p/17").content, 17)) == 17
    top = parse_tile(client.get("/tile/2/000.p/1").content, 1)
    assert top == [merkle.root_hash(LEAVES[: 256 * 256])]


@pytest.mark.parametrize(
    "path",
    [
        "/tile/0/273",  # full tile not complete at this size (entries past the checkpoint exist)
        "/tile/0/273.p/113",  # wider than the checkpoint implies
        "/tile/1/001",
        "/tile/1/001.p/18",
        "/tile/2/000",
        "/tile/3/000.p/1",
        "/tile/entries/273",
        "/tile/entries/273.p/113",
        "/tile/entries/274.p/1",
    ],
)
def test_tiles_not_implied_by_the_checkpoint_are_404(client: TestClient, path: str) -> None:
    r = client.get(path)
    assert r.status_code == 404, r.text
    assert "not implied" in r.json()["detail"]


def test_entry_bundles(client: TestClient) -> None:
    r = client.get("/tile/entries/000")
    assert r.headers["cache-control"] == IMMUTABLE
    assert parse_bundle(r.content, 256) == ENTRIES[:256]
    r = client.get("/tile/entries/273.p/112")
    assert parse_bundle(r.content, 112) == ENTRIES[273 * 256 : SIZE]


def test_inclusion_proof(client: TestClient) -> None:
    root = merkle.root_hash(LEAVES[:SIZE])
    for index, size in [(0, 1), (12345, SIZE), (SIZE - 1, SIZE), (5, 7)]:
        r = client.get(f"/proof/inclusion?index={index}&size={size}")
        assert r.status_code == 200, r.text
        body = r.json()
        assert (body["index"], body["tree_size"]) == (index, size)
        assert b64(body["leaf_hash"]) == LEAVES[index]
        assert b64(body["root_hash"]) == merkle.root_hash(LEAVES[:size])
        merkle.verify_inclusion(
            LEAVES[index], index, size, [b64(p) for p in body["proof"]], b64(body["root_hash"])
        )
    assert b64(client.get(f"/proof/inclusion?index=1&size={SIZE}").json()["root_hash"]) == root


def test_consistency_proof(client: TestClient) -> None:
    for old, new in [(1, SIZE), (256, 65536), (1000, SIZE), (SIZE, SIZE), (0, 5)]:
        r = client.get(f"/proof/consistency?old={old}&new={new}")
        assert r.status_code == 200, r.text
        body = r.json()
        assert b64(body["new_root"]) == merkle.root_hash(LEAVES[:new])
        assert b64(body["old_root"]) == merkle.root_hash(LEAVES[:old])
        proof = [b64(p) for p in body["proof"]]
        if old > 0:
            merkle.verify_consistency(old, new, proof, b64(body["old_root"]), b64(body["new_root"]))
        else:
            assert proof == []


def test_entry(client: TestClient) -> None:
    body = client.get("/entries/69999").json()
    assert body == {
        "index": 69999,
        "leaf_hash": base64.b64encode(LEAVES[69999]).decode(),
        "data": base64.b64encode(ENTRIES[69999]).decode(),
    }


@pytest.mark.parametrize(
    ("url", "status", "needle"),
    [
        ("/tile/0/1", 400, "not x-prefixed 3-digit groups"),
        ("/tile/0/x000/001", 400, "not canonical"),
        ("/tile/00/000", 400, "tile level"),
        ("/tile/64/000", 400, "tile level"),
        ("/tile/-1/000", 400, "tile level"),
        ("/tile/0/000.p/0", 400, "width"),
        ("/tile/0/000.p/256", 400, "width"),
        ("/tile/0/000.p/07", 400, "width"),
        ("/tile/entries/000.p/", 400, "width"),
        ("/tile/entries", 400, "not a tile path"),
        ("/tile/0/" + "x999/" * 30 + "999", 400, "at most 100 characters"),
        ("/tile/0/000/", 400, "tile index"),
        ("/proof/inclusion?size=3", 400, "missing query parameter 'index'"),
        ("/proof/inclusion?index=1", 400, "missing query parameter 'size'"),
        ("/proof/inclusion?index=%2B1&size=3", 400, "index is not a canonical decimal"),
        ("/proof/inclusion?index=01&size=3", 400, "index is not a canonical decimal"),
        ("/proof/inclusion?index=1&size=%203", 400, "size is not a canonical decimal"),
        ("/proof/inclusion?index=1_0&size=30", 400, "index is not a canonical decimal"),
        ("/proof/inclusion?index=abc&size=3", 400, "index is not a canonical decimal"),
        ("/proof/inclusion?index=1&size=" + "9" * 30, 400, "size is not a canonical decimal"),
        ("/proof/inclusion?index=1&size=9223372036854775807", 400, "not below"),
        ("/proof/inclusion?index=3&size=3", 400, "index 3 is not below size 3"),
        ("/proof/inclusion?index=0&size=0", 400, "index 0 is not below size 0"),
        (f"/proof/inclusion?index=0&size={SIZE + 1}", 400, "larger than the checkpoint"),
        ("/proof/consistency?old=5", 400, "missing query parameter 'new'"),
        ("/proof/consistency?old=6&new=5", 400, "old 6 is larger than new 5"),
        (f"/proof/consistency?old=1&new={SIZE + 1}", 400, "larger than the checkpoint"),
        ("/proof/consistency?old=-1&new=5", 400, "old is not a canonical decimal"),
        ("/entries/007", 400, "index is not a canonical decimal"),
        ("/entries/%E2%91%A0", 400, "index is not a canonical decimal"),
        (f"/entries/{SIZE}", 404, "not covered by the checkpoint"),
    ],
)
def test_bad_input_gets_a_clear_4xx(client: TestClient, url: str, status: int, needle: str) -> None:
    r = client.get(url)
    assert r.status_code == status, r.text
    assert needle in r.json()["detail"]
    assert r.headers["cache-control"] == "no-store"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_served_over_real_http_and_fsck_by_url(tmp_path) -> None:
    url = f"sqlite:///{tmp_path / 'log.db'}"
    storage = SqlStorage.open(url)
    with Sequencer(storage, [SIGNER], ORIGIN) as seq:
        seq.append(ENTRIES[:600])
        seq.checkpoint()
    storage.close()
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from fairdraw.cli import main; main()",
            "log",
            "serve",
            "--port",
            str(port),
            "--db",
            url,
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 20
        while True:
            try:
                r = requests.get(f"{base}/checkpoint", timeout=2)
                break
            except requests.ConnectionError:
                if time.time() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.1)
        assert r.status_code == 200
        report = fsck_log(HttpSource(base), [SIGNER.verifier_key])
        assert (report.tree_size, report.entries) == (600, 600)
        proof = requests.get(f"{base}/proof/inclusion?index=599&size=600", timeout=5).json()
        merkle.verify_inclusion(
            LEAVES[599], 599, 600, [b64(p) for p in proof["proof"]], report.root_hash
        )
        assert requests.get(f"{base}/tile/0/002", timeout=5).status_code == 404
    finally:
        proc.terminate()
        proc.wait(timeout=10)
