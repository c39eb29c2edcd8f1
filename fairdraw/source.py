"""Where the verifying clients read a portal from: a directory, a base URL, or a bundle.

Implements the reading side of docs/spec/portal-data.md (the static portal
layout) and of C2SP tlog-tiles (HEAD ≈ v0.1.0, as pinned in docs/spec/log.md):

* `PortalSource.read(path, limit)` returns the bytes of one portal file, or
  None when it does not exist (a directory's missing file, HTTP 404). Any
  other failure (HTTP 5xx, a file larger than `limit`, a path that tries to
  leave the portal) raises `SourceError`. The size bound is enforced while
  reading, before anything is parsed.
* `TileReader` reads the log under `log/` for one checkpoint's tree size: hash
  tiles and entry bundles, falling back from a partial tile to the full tile
  (tlog-tiles: partial tiles MAY be deleted once the full one exists), and it
  builds inclusion and consistency proofs from tiles (`merkle.NodeReader`).
* `RecordingSource` remembers every file read through it: a bundle is exactly
  the files one verification needed (`fairdraw.bundle`).

The client exception tree starts here: `ClientError` ⊃ `SourceError`;
`fairdraw.verify` and `fairdraw.clientstate` add theirs under it.
Left out: gzip transfer (requests decodes it), pruned logs, retries.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Protocol

import requests

from draw_engine.canonical import parse_json
from transparency.errors import FormatError, TransparencyError, VerificationError
from transparency.merkle import (
    HASH_SIZE,
    leaf_hash,
    node_hash,
    prove_consistency,
    prove_inclusion,
    root_hash,
    verify_inclusion,
)
from transparency.note import MAX_NOTE_SIZE
from transparency.tiles import (
    MAX_BUNDLE_SIZE,
    TILE_HEIGHT,
    TILE_WIDTH,
    entries_path,
    node_tile,
    parse_bundle,
    parse_tile,
    tile_path,
)

LOG_PREFIX = "log/"
MAX_TILE_SIZE = TILE_WIDTH * HASH_SIZE
MAX_JSON_SIZE = 16 * 1024 * 1024
"""data/*.json, trust.json, bundle manifests."""
MAX_SNAPSHOT_SIZE = 512 * 1024 * 1024
MAX_CHECKPOINT_SIZE = MAX_NOTE_SIZE

_SEGMENT = re.compile(r"[A-Za-z0-9._:-]+")


class ClientError(Exception):
    """Base of every error raised by the verifying clients (fairdraw.source/verify/…)."""


class SourceError(ClientError):
    """A portal file could not be read (other than "does not exist"), or was too large."""


def check_portal_path(path: str) -> str:
    """A relative portal path: '/'-separated segments of [A-Za-z0-9._:-], no '.'/'..' segment."""
    segments = path.split("/")
    if not path or any(s in ("", ".", "..") or not _SEGMENT.fullmatch(s) for s in segments):
        raise SourceError(f"{path!r} is not a relative portal path")
    return path


class PortalSource(Protocol):
    """Read-only access to one portal's files."""

    description: str

    def read(self, path: str, limit: int) -> bytes | None:
        """The file's bytes, None if it does not exist; SourceError if larger than `limit`."""
        ...


class DirectorySource:
    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        if not self.root.is_dir():
            raise SourceError(f"{self.root} is not a directory")
        self.description = str(self.root)

    def read(self, path: str, limit: int) -> bytes | None:
        target = self.root / check_portal_path(path)
        try:
            with open(target, "rb") as f:
                data = f.read(limit + 1)
        except (FileNotFoundError, NotADirectoryError, IsADirectoryError):
            return None
        except OSError as e:
            raise SourceError(f"cannot read {target}: {e.strerror or e}") from e
        if len(data) > limit:
            raise SourceError(f"{target} is larger than the limit of {limit} bytes")
        return data


class HttpSource:
    """A portal served over HTTP(S) under `base_url` (any static host)."""

    def __init__(
        self, base_url: str, *, timeout: float = 30.0, session: requests.Session | None = None
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise SourceError(f"{base_url!r} is not an http(s) URL")
        self.base = base_url.rstrip("/")
        self.timeout = timeout
        self.session = session or requests.Session()
        self.description = self.base

    def read(self, path: str, limit: int) -> bytes | None:
        url = f"{self.base}/{check_portal_path(path)}"
        try:
            with self.session.get(url, timeout=self.timeout, stream=True) as r:
                if r.status_code in (404, 410):
                    return None
                if r.status_code != 200:
                    raise SourceError(f"GET {url}: HTTP {r.status_code}")
                length = r.headers.get("Content-Length")
                if length and length.isdigit() and int(length) > limit:
                    raise SourceError(f"GET {url}: {length} bytes, more than the limit {limit}")
                data = r.raw.read(limit + 1, decode_content=True)
        except requests.RequestException as e:
            raise SourceError(unreachable(self.base, url, e)) from e
        if len(data) > limit:
            raise SourceError(f"GET {url}: more than the limit of {limit} bytes")
        return bytes(data)


def unreachable(base: str, url: str, e: Exception) -> str:
    """One line for a request that got no HTTP answer: "cannot reach BASE: connection
    refused (GET URL)", never the library's nested exception text (issue 13 point 10)."""
    text = str(e)
    if isinstance(e, requests.Timeout):
        why = "no answer in time (timed out)"
    elif "Name or service not known" in text or "NameResolutionError" in text or \
            "nodename nor servname" in text or "getaddrinfo failed" in text:
        why = "unknown host name (check the address)"
    elif "Connection refused" in text:
        why = "connection refused (is the portal or `fairdraw demo` running there?)"
    elif isinstance(e, requests.exceptions.SSLError):
        why = "TLS (https) error: certificate or protocol refused"
    elif isinstance(e, requests.ConnectionError):
        why = "the connection failed or was reset"
    else:
        why = f"{type(e).__name__}: {text[:200]}"
    return f"cannot reach {base}: {why} (GET {url})"


class MemorySource:
    """Files held in memory, keyed by portal path (an offline bundle)."""

    def __init__(self, files: Mapping[str, bytes], description: str = "memory") -> None:
        self.files = {check_portal_path(p): bytes(b) for p, b in files.items()}
        self.description = description

    def read(self, path: str, limit: int) -> bytes | None:
        data = self.files.get(check_portal_path(path))
        if data is not None and len(data) > limit:
            raise SourceError(f"{path} is larger than the limit of {limit} bytes")
        return data


class RecordingSource:
    """Wraps a source and keeps every file read that existed (for bundles)."""

    def __init__(self, inner: PortalSource) -> None:
        self.inner = inner
        self.description = inner.description
        self.files: dict[str, bytes] = {}

    def read(self, path: str, limit: int) -> bytes | None:
        if path in self.files:
            return self.files[path]
        data = self.inner.read(path, limit)
        if data is not None:
            self.files[path] = data
        return data


def read_required(source: PortalSource, path: str, limit: int) -> bytes:
    data = source.read(path, limit)
    if data is None:
        raise SourceError(f"{source.description}: {path} does not exist")
    return data


def read_json(source: PortalSource, path: str, limit: int = MAX_JSON_SIZE) -> Any:
    """A JSON portal file, parsed strictly (no duplicate keys, no floats)."""
    data = read_required(source, path, limit)
    try:
        return parse_json(data, max_size=limit)
    except ValueError as e:
        raise SourceError(f"{source.description}: {path} is not valid JSON: {e}") from e


# -- the log, from tiles --------------------------------------------------------------


class TileReader:
    """The log of one checkpoint's tree size, read from tlog-tiles files under `prefix`.

    Implements `transparency.merkle.NodeReader`; tiles and bundles are cached.
    Only files the tree size implies are fetched (SPEC(tlog-tiles): clients
    MUST NOT fetch partial tiles not implied by the checkpoint)."""

    def __init__(self, source: PortalSource, tree_size: int, *, prefix: str = LOG_PREFIX) -> None:
        if isinstance(tree_size, bool) or not isinstance(tree_size, int) or tree_size < 0:
            raise FormatError(f"tree size {tree_size!r} is not a non-negative integer")
        self.source = source
        self.tree_size = tree_size
        self.prefix = prefix
        self._tiles: dict[tuple[int, int], list[bytes]] = {}
        self._bundles: dict[int, list[bytes]] = {}

    def _width(self, level: int, index: int) -> int:
        hashes = self.tree_size >> (TILE_HEIGHT * level)
        return max(0, min(TILE_WIDTH, hashes - index * TILE_WIDTH))

    def _fetch(self, full: str, partial: str | None, width: int, limit: int) -> tuple[bytes, bool]:
        data = self.source.read(self.prefix + (partial or full), limit)
        if data is not None:
            return data, False
        if partial is not None:
            # SPEC(tlog-tiles): a client MAY fetch the full tile when the partial one is gone.
            data = self.source.read(self.prefix + full, limit)
            if data is not None:
                return data, True
        raise VerificationError(f"{self.prefix}{partial or full} is missing")

    def tile_hashes(self, level: int, index: int) -> list[bytes]:
        key = (level, index)
        if key not in self._tiles:
            width = self._width(level, index)
            if width == 0:
                raise FormatError(
                    f"tile {level}/{index} is not implied by tree size {self.tree_size}"
                )
            partial = tile_path(level, index, width) if width < TILE_WIDTH else None
            data, fell_back = self._fetch(tile_path(level, index), partial, width, MAX_TILE_SIZE)
            if fell_back:
                data = data[: width * HASH_SIZE]
            self._tiles[key] = parse_tile(data, None if width == TILE_WIDTH else width)
        return self._tiles[key]

    def node(self, level: int, index: int) -> bytes:
        """Hash of the complete subtree (level, index), recomputed from its tile row."""
        tile_level, tile_index, row, in_row = node_tile(level, index)
        hashes = self.tile_hashes(tile_level, tile_index)
        span = 1 << row
        chunk = hashes[in_row * span : (in_row + 1) * span]
        if len(chunk) != span:
            raise VerificationError(
                f"tile {tile_level}/{tile_index} is too short for node {level}/{index}"
            )
        while len(chunk) > 1:
            chunk = [node_hash(chunk[i], chunk[i + 1]) for i in range(0, len(chunk), 2)]
        return chunk[0]

    def read_nodes(self, nodes: Sequence[tuple[int, int]]) -> list[bytes]:
        return [self.node(level, index) for level, index in nodes]

    def bundle(self, n: int) -> list[bytes]:
        if n not in self._bundles:
            width = self._width(0, n)
            if width == 0:
                raise FormatError(f"entry bundle {n} is not implied by tree size {self.tree_size}")
            partial = entries_path(n, width) if width < TILE_WIDTH else None
            data, fell_back = self._fetch(entries_path(n), partial, width, MAX_BUNDLE_SIZE)
            try:
                entries = parse_bundle(data)
            except TransparencyError as e:
                raise VerificationError(f"entry bundle {n}: {e}") from e
            if fell_back:
                entries = entries[:width]
            if len(entries) != width:
                raise VerificationError(
                    f"entry bundle {n} holds {len(entries)} entries, expected {width}"
                )
            self._bundles[n] = entries
        return self._bundles[n]

    def entry(self, index: int) -> bytes:
        """Entry bytes at `index`, unproven."""
        self._check_index(index)
        return self.bundle(index // TILE_WIDTH)[index % TILE_WIDTH]

    def _check_index(self, index: int) -> None:
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < self.tree_size:
            raise FormatError(f"index {index!r} is not below tree size {self.tree_size}")

    def proven_entry(self, index: int, root: bytes) -> bytes:
        """The entry at `index`: its leaf hash equals the level-0 tile hash, and an inclusion
        proof built from tiles reaches `root` (from a verified checkpoint of this size)."""
        entry = self.entry(index)
        leaf = leaf_hash(entry)
        tile_leaf = self.node(0, index)
        if leaf != tile_leaf:
            raise VerificationError(
                f"entry {index} hashes to {leaf.hex()}, its level-0 tile hash is {tile_leaf.hex()}"
            )
        verify_inclusion(leaf, index, self.tree_size, self.inclusion_proof(index), root)
        return entry

    def all_entries(self, root: bytes) -> list[bytes]:
        """Every entry, proven by recomputing the root from all bundles."""
        entries: list[bytes] = []
        for n in range(-(-self.tree_size // TILE_WIDTH)):
            entries.extend(self.bundle(n))
        computed = root_hash([leaf_hash(e) for e in entries])
        if computed != root:
            raise VerificationError(
                f"the entry bundles hash to {computed.hex()}, the checkpoint signs {root.hex()}"
            )
        return entries

    def inclusion_proof(self, index: int) -> list[bytes]:
        return prove_inclusion(index, self.tree_size, self)

    def consistency_proof(self, size1: int) -> list[bytes]:
        return prove_consistency(size1, self.tree_size, self)


def open_source(location: str, **http: Any) -> PortalSource:
    """An http(s) base URL or a portal directory."""
    if location.startswith(("http://", "https://")):
        return HttpSource(location, **http)
    return DirectorySource(location)
