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
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Protocol

import requests

from draw_engine.canonical import parse_json
from fairdraw.errors import FairdrawError
from transparency.note import MAX_NOTE_SIZE
from transparency.reader import TileReader as LogTileReader

LOG_PREFIX = "log/"
MAX_JSON_SIZE = 16 * 1024 * 1024
"""data/*.json, trust.json, bundle manifests."""
MAX_SNAPSHOT_SIZE = 512 * 1024 * 1024
MAX_CHECKPOINT_SIZE = MAX_NOTE_SIZE

_SEGMENT = re.compile(r"[A-Za-z0-9._:-]+")


class ClientError(FairdrawError):
    """Base of every error raised by the verifying clients (fairdraw.portal_source/verify/…)."""


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


class TileReader(LogTileReader):
    """`transparency.reader.TileReader` over a portal's `log/` folder (its default prefix)."""

    def __init__(self, source: PortalSource, tree_size: int, *, prefix: str = LOG_PREFIX) -> None:
        super().__init__(source, tree_size, prefix=prefix)


def open_source(location: str, **http: Any) -> PortalSource:
    """An http(s) base URL or a portal directory."""
    if location.startswith(("http://", "https://")):
        return HttpSource(location, **http)
    return DirectorySource(location)
