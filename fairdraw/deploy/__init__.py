"""Deployment files: the nginx configuration of the production shape (issue 14).

`render_nginx_config` fills `nginx.conf.template` (beside this file): a complete
nginx.conf for `nginx -c FILE` that serves the exported portal directory as
static files with C2SP cache headers (full tiles and entry bundles immutable,
partial tiles and the checkpoint `max-age=5`), proxies the rest (`/api`, the
log's proofs, `/healthz`, `/metrics`) to `fairdraw serve`, and bounds header and
body time, keep-alive, body size and connections. `fairdraw nginx-config` prints
it. Pure: no I/O but reading the template (docs/operations.md §4).
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from importlib import resources
from pathlib import Path

from fairdraw.errors import FairdrawError

_PLACEHOLDER = re.compile(r"\{\{([a-z_]+)\}\}")
_SIZE = re.compile(r"[0-9]+[kKmMgG]?")
_DURATION = re.compile(r"[0-9]+(?:ms|s|m)?")


class DeployConfigError(FairdrawError, ValueError):
    """A value cannot go into the nginx configuration; the message names it."""


@dataclass(frozen=True)
class NginxConfig:
    """What the nginx configuration needs; the defaults are the production bounds."""

    portal: Path
    upstream: str = "127.0.0.1:8000"
    listen: str = "80"
    run_dir: Path = Path("/run/fairdraw-nginx")
    error_log: str = ""  # default: run_dir/error.log
    access_log: str = "off"
    mime_types: str = "/etc/nginx/mime.types"
    user: str = ""  # the workers' user when nginx starts as root (e.g. www-data)
    worker_processes: str = "auto"
    worker_connections: int = 16384
    backlog: int = 4096
    header_timeout: str = "10s"
    body_timeout: str = "30s"
    keepalive_timeout: str = "15s"
    max_body: str = "1m"
    max_upload: str = "64m"
    per_ip: int = 256
    short_age: int = 5
    page_age: int = 10

    def values(self) -> dict[str, str]:
        v = {k: str(x) for k, x in asdict(self).items()}
        v["error_log"] = self.error_log or f"{self.run_dir}/error.log"
        v["user_line"] = f"user {self.user};" if self.user else ""
        v["rlimit_nofile"] = str(2 * self.worker_connections + 64)
        return v


def _check(cfg: NginxConfig) -> None:
    for name in ("header_timeout", "body_timeout", "keepalive_timeout"):
        if not _DURATION.fullmatch(getattr(cfg, name)):
            raise DeployConfigError(f"{name} must be an nginx duration like 10s, got "
                                    f"{getattr(cfg, name)!r}")
    for name in ("max_body", "max_upload"):
        if not _SIZE.fullmatch(getattr(cfg, name)):
            raise DeployConfigError(f"{name} must be an nginx size like 1m, got "
                                    f"{getattr(cfg, name)!r}")
    for name in ("worker_connections", "backlog", "per_ip"):
        if getattr(cfg, name) < 1:
            raise DeployConfigError(f"{name} must be positive")
    if not re.fullmatch(r"[A-Za-z0-9.\-\[\]:]+:[0-9]+", cfg.upstream):
        raise DeployConfigError(f"upstream must be HOST:PORT, got {cfg.upstream!r}")
    if not re.fullmatch(r"(?:[A-Za-z0-9.\-\[\]:]+:)?[0-9]+", cfg.listen):
        raise DeployConfigError(f"listen must be PORT or ADDRESS:PORT, got {cfg.listen!r}")
    if not cfg.portal.is_absolute() or not cfg.run_dir.is_absolute():
        raise DeployConfigError("portal and run_dir must be absolute paths")
    for name in ("portal", "run_dir", "error_log", "access_log", "mime_types", "user"):
        text = str(getattr(cfg, name))
        if re.search(r"[\s;{}\"'$#]", text):
            raise DeployConfigError(f"{name} must not hold spaces or any of ;{{}}\"'$#: {text!r}")


def template() -> str:
    return resources.files(__package__).joinpath("nginx.conf.template").read_text("utf-8")


def render_nginx_config(cfg: NginxConfig, text: str | None = None) -> str:
    """The nginx.conf for `cfg` (from `text`, default the packaged template)."""
    _check(cfg)
    values = cfg.values()
    src = template() if text is None else text

    def fill(m: re.Match[str]) -> str:
        key = m.group(1)
        if key not in values:
            raise DeployConfigError(f"the template names an unknown value {{{{{key}}}}}")
        return values[key]

    return _PLACEHOLDER.sub(fill, src)


RUN_SUBDIRS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
