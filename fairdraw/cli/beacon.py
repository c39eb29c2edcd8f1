"""`fairdraw beacon …`: verify a drand beacon, serve the local or the replay beacon.

- `fairdraw beacon verify --chain quicknet|mainnet --round R --signature HEX
  [--previous-signature HEX] [--randomness HEX]` prints the randomness
  (sha256 of the signature) as hex and exits 0; otherwise it exits 1 for a
  beacon that does not verify and 2 for malformed input, saying why on stderr.
  `--chain-info FILE` instead of `--chain` verifies against a pinned
  chain-info file (e.g. a local beacon's `chain-info.json`).
- `fairdraw beacon serve-local --dir DIR [--host H] [--port P] [--period S]`.
- `fairdraw beacon serve-replay [--vectors DIR] [--host H] [--port P]`.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

beacon_app = typer.Typer(
    help="Public randomness beacons: verify drand rounds, run the local or replay beacon.",
    no_args_is_help=True,
)

_ROUND = re.compile(r"[1-9][0-9]{0,18}")
LOCAL_WARNING = "LOCAL BEACON: development randomness from one key, NOT public randomness"


def register(app: typer.Typer) -> None:
    app.add_typer(beacon_app, name="beacon")


def _fail(message: str, code: int) -> typer.Exit:
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code)


@beacon_app.command("verify")
def verify(  # noqa: PLR0917 - typer options
    round_text: Annotated[str, typer.Option("--round", help="Round number (decimal >= 1).")],
    signature: Annotated[str, typer.Option("--signature", help="Signature, lowercase hex.")],
    chain: Annotated[
        str | None, typer.Option("--chain", help="Pinned chain: quicknet or mainnet.")
    ] = None,
    chain_info: Annotated[
        Path | None, typer.Option("--chain-info", help="A chain-info JSON file to pin instead.")
    ] = None,
    previous_signature: Annotated[
        str | None, typer.Option("--previous-signature", help="Chained schemes: previous sig hex.")
    ] = None,
    randomness: Annotated[
        str | None, typer.Option("--randomness", help="Claimed randomness hex, checked if given.")
    ] = None,
) -> None:
    """Verify one drand beacon and print its randomness."""
    from draw_engine.beacon import (
        PINNED_CHAINS,
        SIGNATURE_SIZE,
        Beacon,
        parse_chain_info_json,
        parse_hex,
        randomness_from_signature,
    )
    from draw_engine.beacon_errors import BeaconError, BeaconVerificationError
    from draw_engine.drand import verify_beacon

    try:
        if (chain is None) == (chain_info is None):
            raise _fail("give exactly one of --chain quicknet|mainnet or --chain-info FILE", 2)
        if chain is not None:
            if chain not in PINNED_CHAINS:
                raise _fail(f"--chain must be quicknet or mainnet, got {chain!r}", 2)
            info = PINNED_CHAINS[chain]
        else:
            assert chain_info is not None
            try:
                info = parse_chain_info_json(json.loads(chain_info.read_text(encoding="utf-8")))
            except (OSError, ValueError) as exc:
                raise _fail(f"--chain-info {chain_info}: {exc}", 2) from exc
        if _ROUND.fullmatch(round_text) is None or int(round_text) > 2**63 - 1:
            raise _fail(f"--round must be a decimal integer >= 1, got {round_text!r}", 2)
        sig = parse_hex(signature, field="--signature", size=SIGNATURE_SIZE[info.scheme])
        prev = None
        if previous_signature is not None:
            prev = parse_hex(previous_signature, field="--previous-signature")
            if not prev:
                raise _fail("--previous-signature is empty", 2)
        if info.chained and prev is None:
            raise _fail(f"chain scheme {info.scheme} needs --previous-signature", 2)
        claimed = (
            randomness_from_signature(sig)
            if randomness is None
            else parse_hex(randomness, field="--randomness", size=32)
        )
        beacon = Beacon(int(round_text), sig, prev, claimed)
        result = verify_beacon(info, beacon, expected_round=int(round_text))
    except BeaconVerificationError as exc:
        raise _fail(f"beacon refused: {exc}", 1) from exc
    except BeaconError as exc:
        raise _fail(str(exc), 2) from exc
    if info.local:
        typer.echo(LOCAL_WARNING, err=True)
    typer.echo(result.hex())


@beacon_app.command("serve-local")
def serve_local(
    directory: Annotated[Path, typer.Option("--dir", help="Key directory (created if absent).")],
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8081,
    period: Annotated[
        int | None, typer.Option("--period", help="Seconds per round for a new key (default 3).")
    ] = None,
) -> None:
    """Run the local development beacon (its own key; NOT public randomness)."""
    import uvicorn

    from draw_engine.beacon_errors import BeaconError
    from draw_engine.local_beacon import create_local_beacon_app, load_or_create_local_key

    if period is not None and period < 1:
        raise _fail("--period must be >= 1", 2)
    try:
        key = load_or_create_local_key(directory, now=time.time(), period=period)
    except (BeaconError, OSError) as exc:
        raise _fail(str(exc), 2) from exc
    chain = key.chain
    typer.echo(LOCAL_WARNING, err=True)
    genesis = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(chain.genesis_time))
    typer.echo(
        f"chain {chain.chain_hash.hex()} genesis {genesis} period {chain.period} s; "
        f"pin {directory / 'chain-info.json'}",
        err=True,
    )
    sys.stderr.flush()
    uvicorn.run(create_local_beacon_app(key), host=host, port=port, log_level="warning")


@beacon_app.command("serve-replay")
def serve_replay(
    vectors: Annotated[
        Path | None, typer.Option("--vectors", help="Directory with quicknet.json, mainnet.json.")
    ] = None,
    host: Annotated[str, typer.Option("--host")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port")] = 8082,
) -> None:
    """Serve recorded real drand rounds through the drand HTTP API (for tests)."""
    import uvicorn

    from draw_engine.beacon_errors import BeaconError
    from draw_engine.replay_beacon import DEFAULT_VECTORS_DIR, create_recorded_replay_app

    try:
        app = create_recorded_replay_app(vectors or DEFAULT_VECTORS_DIR)
    except (BeaconError, OSError, KeyError, ValueError) as exc:
        raise _fail(f"cannot load recorded rounds: {exc}", 2) from exc
    typer.echo("replaying recorded drand rounds: quicknet at /, both at /<chain_hash>/", err=True)
    uvicorn.run(app, host=host, port=port, log_level="warning")
