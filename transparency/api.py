"""The log's read API: C2SP tlog-tiles resources plus JSON proof conveniences (FastAPI).

Routes (relative to wherever the router is mounted):

- `GET /checkpoint`: the latest signed checkpoint note, `text/plain; charset=utf-8`;
- `GET /tile/<L>/<N>[.p/<W>]`, `GET /tile/entries/<N>[.p/<W>]`: tiles and entry
  bundles exactly as c2sp.org/tlog-tiles, `application/octet-stream`;
- `GET /proof/inclusion?index=I&size=S`, `GET /proof/consistency?old=A&new=B`,
  `GET /entries/<index>`: JSON, hashes and entries in standard padded base64.

Only what the served checkpoint implies is served: a tile or bundle (of any
width up to what that tree size holds) exists iff its hashes are covered by the
checkpoint's tree size; anything else is 404, never 200. Full tiles are
immutable (`Cache-Control: public, max-age=31536000, immutable`), partial tiles
and the checkpoint get a short cache.

Every query value is parsed strictly (canonical decimal); bad input is a 400
whose JSON `detail` names the parameter and the problem; nothing is written.
The error → status mapping is `_problem()` below, in one place.

Left out: write endpoints (the operator API of the composition root owns
them), gzip (mount Starlette's GZipMiddleware if wanted), pruning.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, HTTPException, Query
from fastapi.responses import Response

from transparency.c2sp_codec import encode_base64, parse_decimal
from transparency.errors import FormatError, ProofArgumentError, StorageError
from transparency.merkle import (
    Node,
    consistency_ranges,
    fold_frontier,
    frontier_nodes,
    inclusion_ranges,
    prove_consistency,
    prove_inclusion,
    range_nodes,
)
from transparency.storage import LogStorage, StoredCheckpoint
from transparency.tiles import TILE_HEIGHT, TILE_WIDTH, format_bundle, parse_tile_path, tile_nodes

IMMUTABLE = "public, max-age=31536000, immutable"
SHORT_CACHE = "public, max-age=5"
NO_STORE = "no-store"
_MAX_SIZE = 1 << 62


class _Prefetched:
    """A NodeReader answering from one batch read (one SQL query per request)."""

    def __init__(self, storage: LogStorage, nodes: Sequence[Node]) -> None:
        unique = list(dict.fromkeys(nodes))
        self._hashes = dict(zip(unique, storage.read_nodes(unique), strict=True))

    def read_nodes(self, nodes: Sequence[Node]) -> list[bytes]:
        return [self._hashes[n] for n in nodes]


def _problem(status: int, message: str) -> HTTPException:
    return HTTPException(status_code=status, detail=message, headers={"Cache-Control": NO_STORE})


def _decimal(value: str | None, name: str) -> int:
    if value is None:
        raise _problem(400, f"missing query parameter {name!r}")
    try:
        return parse_decimal(value, name, _MAX_SIZE)
    except FormatError as e:
        raise _problem(400, str(e)) from None


def create_router(storage: LogStorage, *, cosigned_only: bool = False) -> APIRouter:
    """The read API over `storage`. With `cosigned_only`, serve the latest co-signed checkpoint
    (and only what it implies) instead of the latest signed one."""
    router = APIRouter()

    def current() -> StoredCheckpoint:
        cp = storage.latest_checkpoint(cosigned_only=cosigned_only)
        if cp is None:
            raise _problem(404, "the log has no checkpoint yet")
        return cp

    @router.get("/checkpoint")
    def get_checkpoint() -> Response:
        return Response(
            current().note,
            media_type="text/plain; charset=utf-8",
            headers={"Cache-Control": SHORT_CACHE},
        )

    @router.get("/tile/{rest:path}")
    def get_tile(rest: str) -> Response:
        path = "tile/" + rest
        try:
            ref = parse_tile_path(path)
        except FormatError as e:
            raise _problem(400, f"bad tile path: {e}") from None
        size = current().tree_size
        # SPEC(tlog-tiles): serve only what a published checkpoint implies; 404 otherwise.
        available = size >> (TILE_HEIGHT * (ref.level or 0))
        start = ref.index * TILE_WIDTH
        if start + ref.count > available:
            raise _problem(404, f"{path} is not implied by the current checkpoint (size {size})")
        try:
            if ref.level is None:
                body = format_bundle(storage.read_entries(start, start + ref.count))
            else:
                body = b"".join(storage.read_nodes(tile_nodes(ref.level, ref.index, ref.width)))
        except StorageError as e:
            raise _problem(500, f"storage is missing data for {path}: {e}") from None
        cache = IMMUTABLE if ref.width is None else SHORT_CACHE
        return Response(
            body, media_type="application/octet-stream", headers={"Cache-Control": cache}
        )

    @router.get("/proof/inclusion")
    def get_inclusion(
        index: Annotated[str | None, Query()] = None, size: Annotated[str | None, Query()] = None
    ) -> dict[str, Any]:
        i, n = _decimal(index, "index"), _decimal(size, "size")
        published = current().tree_size
        if n > published:
            raise _problem(400, f"size {n} is larger than the checkpoint's tree size {published}")
        if i >= n:
            raise _problem(400, f"index {i} is not below size {n}")
        wanted = [node for a, b in inclusion_ranges(i, n) for node in range_nodes(a, b)]
        reader = _Prefetched(storage, [*wanted, (0, i), *frontier_nodes(n)])
        try:
            proof = prove_inclusion(i, n, reader)
        except ProofArgumentError as e:
            raise _problem(400, str(e)) from None
        return {
            "index": i,
            "tree_size": n,
            "leaf_hash": encode_base64(reader.read_nodes([(0, i)])[0]),
            "root_hash": encode_base64(fold_frontier(reader.read_nodes(frontier_nodes(n)))),
            "proof": [encode_base64(h) for h in proof],
        }

    @router.get("/proof/consistency")
    def get_consistency(
        old: Annotated[str | None, Query()] = None, new: Annotated[str | None, Query()] = None
    ) -> dict[str, Any]:
        a, b = _decimal(old, "old"), _decimal(new, "new")
        published = current().tree_size
        if b > published:
            raise _problem(400, f"new {b} is larger than the checkpoint's tree size {published}")
        if a > b:
            raise _problem(400, f"old {a} is larger than new {b}")
        ranges = consistency_ranges(a, b) if 0 < a < b else []
        wanted = [node for lo, hi in ranges for node in range_nodes(lo, hi)]
        reader = _Prefetched(storage, [*wanted, *frontier_nodes(a), *frontier_nodes(b)])
        proof = prove_consistency(a, b, reader)
        return {
            "old_size": a,
            "new_size": b,
            "old_root": encode_base64(fold_frontier(reader.read_nodes(frontier_nodes(a)))),
            "new_root": encode_base64(fold_frontier(reader.read_nodes(frontier_nodes(b)))),
            "proof": [encode_base64(h) for h in proof],
        }

    @router.get("/entries/{index}")
    def get_entry(index: str) -> dict[str, Any]:
        i = _decimal(index, "index")
        published = current().tree_size
        if i >= published:
            raise _problem(404, f"entry {i} is not covered by the checkpoint (size {published})")
        data = storage.read_entries(i, i + 1)[0]
        leaf = storage.read_nodes([(0, i)])[0]
        return {"index": i, "leaf_hash": encode_base64(leaf), "data": encode_base64(data)}

    return router


def create_app(storage: LogStorage, *, cosigned_only: bool = False) -> FastAPI:
    """A stand-alone app serving only the log (used by `fairdraw log serve`)."""
    app = FastAPI(title="fairdraw transparency log", docs_url=None, redoc_url=None)
    app.include_router(create_router(storage, cosigned_only=cosigned_only))
    return app
