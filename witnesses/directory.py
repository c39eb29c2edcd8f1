"""A witness's directory: key file, configuration, state database.

Layout of `DIR` (created by `fairdraw witness init`):

    DIR/witness.key    Go sumdb signer key "PRIVATE+KEY+name+id+base64(0x01||seed)", mode 0600
    DIR/witness.json   {"name", "database_url", "instance_id", "logs": {origin: [vkey…]}}
    DIR/witness.db     SQLite state (default database_url; PostgreSQL URLs work too)

The key is stored as an ordinary Ed25519 note signer key (so Go tooling reads
it); the cosignature/v1 key id is derived from it (type 0x04). Keys never
enter the database. `instance_id` is written both to witness.json and to the
database when the database is created: a database that lacks it (lost,
re-created, swapped) makes `open_witness` refuse with StateLostError until the
operator runs the recovery procedure (`restore_state`, docs/spec/witness.md §7).
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transparency.checkpoint import open_checkpoint, parse_checkpoint
from transparency.errors import FormatError, TransparencyError
from transparency.note import parse_note
from transparency.note_keys import (
    format_signer_key,
    generate_signer,
    parse_signer_key,
    parse_verifier_key,
)
from witnesses.cosignature import Cosignature, Cosigner
from witnesses.errors import (
    CosignatureFormatError,
    StateLostError,
    WitnessConfigError,
    WitnessError,
)
from witnesses.state import LogConfig, WitnessedCheckpoint
from witnesses.store import SqlWitnessState

KEY_FILE = "witness.key"
CONFIG_FILE = "witness.json"


@dataclass
class Witness:
    """An opened witness directory."""

    directory: Path
    cosigner: Cosigner
    logs: dict[str, LogConfig]
    state: SqlWitnessState


def _config_path(directory: Path) -> Path:
    return directory / CONFIG_FILE


def read_config(directory: Path) -> dict[str, Any]:
    path = _config_path(directory)
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as e:
        raise WitnessConfigError(f"{path} does not exist: run `fairdraw witness init`") from e
    except (json.JSONDecodeError, UnicodeDecodeError) as e:
        raise WitnessConfigError(f"{path} is not valid JSON: {e}") from e
    if not isinstance(config, dict) or not isinstance(config.get("logs"), dict):
        raise WitnessConfigError(f"{path} lacks a 'logs' object")
    return config


def _write_config(directory: Path, config: dict[str, Any]) -> None:
    path = _config_path(directory)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(config, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def read_cosigner(directory: Path) -> Cosigner:
    path = directory / KEY_FILE
    try:
        text = path.read_text(encoding="ascii").strip()
    except FileNotFoundError as e:
        raise WitnessConfigError(f"{path} does not exist: run `fairdraw witness init`") from e
    try:
        return Cosigner.from_signer(parse_signer_key(text))
    except (FormatError, CosignatureFormatError) as e:
        raise WitnessConfigError(f"{path}: {e}") from e


def init_witness(directory: Path, name: str, *, database_url: str | None = None) -> Cosigner:
    """Create the key, configuration and state database. Refuses to overwrite a key."""
    directory.mkdir(parents=True, exist_ok=True)
    key_path = directory / KEY_FILE
    if key_path.exists() or _config_path(directory).exists():
        raise WitnessConfigError(f"{directory} already holds a witness; not overwriting it")
    try:
        signer = generate_signer(name)
        cosigner = Cosigner.from_signer(signer)
    except (FormatError, CosignatureFormatError) as e:
        raise WitnessConfigError(f"invalid witness name {name!r}: {e}") from e
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(format_signer_key(signer) + "\n")
    url = database_url or f"sqlite:///{(directory / 'witness.db').resolve()}"
    instance = secrets.token_hex(16)
    state = SqlWitnessState.open(url)
    try:
        state.set_instance_id(instance)
    finally:
        state.close()
    _write_config(
        directory, {"name": name, "database_url": url, "instance_id": instance, "logs": {}}
    )
    return cosigner


def add_log(directory: Path, origin: str, vkey: str) -> LogConfig:
    """Trust `vkey` for checkpoints of `origin` (appends; idempotent)."""
    if not origin or "\n" in origin:
        raise WitnessConfigError(f"invalid origin {origin!r}")
    try:
        verifier = parse_verifier_key(vkey)
    except FormatError as e:
        raise WitnessConfigError(f"invalid log verifier key: {e}") from e
    if verifier.sig_type == 0x04:
        raise WitnessConfigError("that is a cosigner (type 0x04) key, not a log key")
    config = read_config(directory)
    keys = config["logs"].setdefault(origin, [])
    if vkey not in keys:
        keys.append(vkey)
    _write_config(directory, config)
    return LogConfig(origin, tuple(keys))


def _logs(config: dict[str, Any]) -> dict[str, LogConfig]:
    return {o: LogConfig(o, tuple(v)) for o, v in config["logs"].items()}


def open_witness(directory: Path) -> Witness:
    """Open a witness directory for serving; StateLostError if its database was lost."""
    config = read_config(directory)
    cosigner = read_cosigner(directory)
    state = SqlWitnessState.open(config["database_url"])
    found = state.instance_id()
    if found != config.get("instance_id"):
        state.close()
        raise StateLostError(
            f"the state database {config['database_url']} is not the one this witness created "
            f"(instance {found or 'missing'}, expected {config.get('instance_id')}): it was lost "
            "or replaced. Refusing to cosign; follow the recovery procedure "
            "(docs/spec/witness.md §7, `fairdraw witness restore`)."
        )
    return Witness(directory, cosigner, _logs(config), state)


def restore_state(directory: Path, checkpoints: list[bytes]) -> list[WitnessedCheckpoint]:
    """Recovery after a lost database: seed the state with the latest checkpoints this
    witness is known to have cosigned, taken from the logs' published history.

    Each note must be a checkpoint of a configured log, validly signed by the log AND
    carrying a valid cosignature by this witness's own key (so the operator cannot
    seed a checkpoint the witness never vouched for). The database must hold nothing
    for those origins. Afterwards the witness answers 409 with these sizes and
    refuses anything inconsistent with them."""
    config = read_config(directory)
    cosigner = read_cosigner(directory)
    logs = _logs(config)
    state = SqlWitnessState.open(config["database_url"])
    try:
        records = []
        for note in checkpoints:
            records.append(_restorable(note, logs, cosigner))
        for record in records:
            if state.latest(record.origin) is not None:
                raise WitnessConfigError(
                    f"the database already holds state for {record.origin!r}; not overwriting it"
                )
        for record in records:
            state.compare_and_swap(None, record)
        instance = secrets.token_hex(16)
        state.set_instance_id(instance)
        config["instance_id"] = instance
        _write_config(directory, config)
        return records
    finally:
        state.close()


def _restorable(
    note: bytes, logs: dict[str, LogConfig], cosigner: Cosigner
) -> WitnessedCheckpoint:
    try:
        parsed = parse_note(note)
        origin = parse_checkpoint(parsed.text).origin
        log = logs.get(origin)
        if log is None:
            raise WitnessConfigError(f"checkpoint origin {origin!r} is not a configured log")
        cp, _ = open_checkpoint(note, list(log.verifier_keys))
    except TransparencyError as e:
        raise WitnessConfigError(f"not a validly signed checkpoint: {e}") from e
    key = cosigner.key
    ours = [s for s in parsed.signatures if (s.name, s.key_id) == (key.name, key.key_id)]
    if not ours:
        raise WitnessConfigError(
            f"checkpoint {origin} size {cp.tree_size} carries no cosignature by this witness"
        )
    try:
        for sig in ours:
            key.check(parsed.text, Cosignature.from_note_signature(sig))
    except (WitnessError, TransparencyError) as e:
        raise WitnessConfigError(f"this witness's cosignature does not verify: {e}") from e
    return WitnessedCheckpoint(cp.origin, cp.tree_size, cp.root_hash, note)
