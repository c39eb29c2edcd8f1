"""Service settings (pydantic-settings): environment `FAIRDRAW_*` plus an optional file.

Sources, highest priority first: keyword arguments, environment variables
(`FAIRDRAW_DATABASE_URL`, `FAIRDRAW_LEAD_TIME_SECONDS`, …; nested values such as
`FAIRDRAW_WITNESSES` are JSON), the file named by `FAIRDRAW_CONFIG` (TOML if it
ends in `.toml`, otherwise JSON), then the defaults below. Relative paths are
resolved against `data_dir`.

Keys never enter the settings themselves: settings name key FILES
(`log_key_file`), read by the composition root (DESIGN §8).

Left out: hot reload, secrets managers.
"""

from __future__ import annotations

import json
import os
import tomllib
from contextvars import ContextVar
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from fairdraw.errors import FairdrawError

DEFAULT_DATABASE_URL = "sqlite:///./fairdraw.db"
MAX_CONFIG_FILE = 1 << 20
QUICKNET_RELAY = "https://api.drand.sh"
_config_file: ContextVar[str | None] = ContextVar("fairdraw_config_file", default=None)


class SettingsError(FairdrawError, ValueError):
    """The settings file or a setting is unusable; the message names it."""


class WitnessSetting(BaseModel):
    """One witness the log asks for cosignatures (C2SP tlog-witness submission prefix)."""

    name: str = Field(min_length=1, max_length=256)
    url: str = Field(min_length=1, max_length=2048)
    vkey: str = Field(min_length=1, max_length=1024, description="cosigner key, type 0x04")


class _FileSource(PydanticBaseSettingsSource):
    """Values from the file named by FAIRDRAW_CONFIG (TOML or JSON)."""

    def __init__(self, settings_cls: type[BaseSettings], path: str | None) -> None:
        super().__init__(settings_cls)
        self._data = _read_config_file(Path(path)) if path else {}

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return {k: v for k, v in self._data.items() if k in self.settings_cls.model_fields}


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_FILE:
            raise SettingsError(f"config file {path} is {size} bytes, more than {MAX_CONFIG_FILE}")
        raw = path.read_bytes()
    except OSError as e:
        raise SettingsError(f"cannot read config file {path}: {e.strerror or e}") from e
    try:
        data = tomllib.loads(raw.decode()) if path.suffix == ".toml" else json.loads(raw)
    except (ValueError, UnicodeDecodeError) as e:
        kind = path.suffix[1:] or "JSON"
        raise SettingsError(f"config file {path} is not valid {kind}: {e}") from e
    if not isinstance(data, dict):
        raise SettingsError(f"config file {path} must hold a table/object at the top level")
    unknown = sorted(set(data) - set(Settings.model_fields))
    if unknown:
        raise SettingsError(f"config file {path}: unknown setting(s) {', '.join(unknown)}")
    return data


class Settings(BaseSettings):
    """Everything `fairdraw serve` and the operator CLI need to know."""

    model_config = SettingsConfigDict(env_prefix="FAIRDRAW_", extra="forbid")

    database_url: str = DEFAULT_DATABASE_URL
    data_dir: Path = Path()
    # The log
    log_origin: str = "localhost/fairdraw/log"
    log_key_file: Path = Path("log.key")
    # Witnesses and the policy deciding which cosignatures are required
    witnesses: list[WitnessSetting] = Field(default_factory=list)
    witness_policy_file: Path | None = None
    witness_timeout_seconds: float = Field(default=5.0, gt=0, le=120)
    # The beacon
    beacon_chain: Literal["quicknet", "mainnet", "local"] = "quicknet"
    beacon_relay_url: str = QUICKNET_RELAY
    beacon_chain_info_file: Path | None = None
    # Draw timing (DESIGN §2): the beacon round is `lead_time` ahead of the announce,
    # and the commitment's cosignatures must predate the round by `margin`.
    lead_time_seconds: int = Field(default=86_400, ge=1, le=366 * 86_400)
    margin_seconds: int = Field(default=60, ge=0, le=86_400)
    # An import may retire at most this share (%) of the active records unless
    # --allow-mass-removal / allow_mass_removal=true (docs/spec/lifecycle.md).
    mass_removal_percent: int = Field(default=20, ge=0, le=100)
    # Re-co-sign the checkpoint when the newest co-signed one is this old, even with no new
    # entries, so live portals stay within the verifiers' maximum age (24 h); 0 = never.
    checkpoint_refresh_seconds: int = Field(default=3600, ge=0, le=86_400)
    # The sequencer's write lease (DESIGN §7): another server may take the log over only
    # after this long without renewal; renewed every third of it.
    writer_lease_seconds: float = Field(default=15.0, ge=1, le=3600)
    # The public portal (static files) served at /portal/ if present
    portal_dir: Path | None = None
    # The portal's public address, for the link in notice messages (fairdraw.notices)
    portal_url: str = Field(default="", max_length=2048)
    # State Council holiday notices beyond the packaged ones (draw_engine.calendar format);
    # a year with none is provisional (临时) and every schedule and notice says so
    calendar_file: Path | None = None
    # Limits (DESIGN §8)
    max_body_bytes: int = Field(default=1 << 20, ge=1024)
    max_upload_bytes: int = Field(default=64 << 20, ge=1024)
    # HTTP bounds of `fairdraw serve` (fairdraw.httpserver; nginx bounds more in production)
    http_header_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    http_keep_alive_seconds: int = Field(default=5, ge=1, le=300)
    http_max_connections: int = Field(default=4096, ge=16, le=1_000_000)
    http_max_header_bytes: int = Field(default=16 << 10, ge=1024, le=1 << 20)

    @field_validator("database_url")
    @classmethod
    def _database_url(cls, value: str) -> str:
        if not value.startswith(("sqlite:", "postgresql:", "postgresql+psycopg:", "postgres:")):
            raise ValueError(
                f"database_url must be sqlite:///… or postgresql+psycopg://…, got {value!r}"
            )
        return value

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (
            init_settings,
            env_settings,
            _FileSource(settings_cls, _config_file.get() or os.environ.get("FAIRDRAW_CONFIG")),
        )

    def path(self, p: Path) -> Path:
        """`p` resolved against the data directory."""
        return p if p.is_absolute() else self.data_dir / p

    @property
    def log_key_path(self) -> Path:
        return self.path(self.log_key_file)


def load_settings(config_file: Path | None = None, **overrides: Any) -> Settings:
    """Settings from the environment, `config_file` (or FAIRDRAW_CONFIG) and `overrides`."""
    token = _config_file.set(str(config_file) if config_file is not None else None)
    try:
        return Settings(**overrides)
    finally:
        _config_file.reset(token)
