"""`fairdraw recompute` and `fairdraw snapshot root`: the public recomputation contract.

`fairdraw recompute --announce A.json --units U.jsonl [--inspectors I.jsonl]
[--experts E.jsonl] --randomness HEX` checks every records file against the
snapshot root and count that the announce commits to, runs draw-v1
(docs/spec/draw-v1.md) and prints the computed part of the result (DESIGN §5
step 8) as canonical JSON, one line, on stdout; exit 0. Any bad input prints
one clear line on stderr and exits 1; nothing is printed on stdout then.

`fairdraw snapshot root FILE.jsonl` prints "<root hex> <count>" for a
published snapshot records file (a note on stderr if the file is not in
canonical sorted form; the root is over canonical records either way).

Left out: fetching or verifying the beacon (use `fairdraw beacon verify`),
checking the log (use `fairdraw verify`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

# draw_engine is imported by the commands that run it, not for `fairdraw --help`.
if TYPE_CHECKING:
    from draw_engine.snapshot import ParsedRecords

MAX_ANNOUNCE_SIZE = 16 * 1024 * 1024
MAX_RECORDS_SIZE = 2 * 1024 * 1024 * 1024

snapshot_app = typer.Typer(
    help="Registry snapshots: create, recompute roots, return visits.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    app.command("recompute")(recompute)
    app.add_typer(snapshot_app, name="snapshot")


def _fail(message: str) -> typer.Exit:
    sys.stderr.write(f"error: {message}\n")
    return typer.Exit(1)


def _read(path: Path, what: str, limit: int) -> bytes:
    try:
        size = path.stat().st_size
        if size > limit:
            raise _fail(f"{what} file {path} is {size} bytes, more than the limit {limit}")
        return path.read_bytes()
    except OSError as exc:
        raise _fail(f"cannot read {what} file {path}: {exc.strerror or exc}") from exc


def _records(path: Path | None, kind: str, ref: Any) -> ParsedRecords | None:
    from draw_engine.errors import DrawEngineError
    from draw_engine.snapshot import check_parsed, parse_records

    if ref is None:
        if path is not None:
            raise _fail(f"--{kind} given, but the announce names no {kind} snapshot")
        return None
    if path is None:
        raise _fail(f"the announce names {kind} snapshot {ref.snapshot}: give --{kind} FILE")
    try:
        parsed = parse_records(_read(path, kind, MAX_RECORDS_SIZE), max_size=MAX_RECORDS_SIZE)
        # SPEC(DESIGN §5): the records are those whose roots the announce names.
        check_parsed(kind, root=ref.root, count=ref.count, parsed=parsed)
    except DrawEngineError as exc:
        raise _fail(f"{kind} file {path}: {exc}") from exc
    return parsed


def recompute(
    announce: Annotated[Path, typer.Option("--announce", help="The draw.announce entry (JSON).")],
    units: Annotated[Path, typer.Option("--units", help="Units snapshot records (JSONL).")],
    randomness: Annotated[str, typer.Option("--randomness", help="Beacon randomness, hex.")],
    inspectors: Annotated[
        Path | None, typer.Option("--inspectors", help="Inspectors snapshot records (JSONL).")
    ] = None,
    experts: Annotated[
        Path | None, typer.Option("--experts", help="Experts snapshot records (JSONL).")
    ] = None,
) -> None:
    """Recompute a draw-v1 result and print its computed part as canonical JSON."""
    from draw_engine.announce import parse_announce
    from draw_engine.canonical import canonical_json, parse_json
    from draw_engine.errors import DrawEngineError
    from draw_engine.select import compute_draw, parse_randomness

    try:
        entry = parse_json(_read(announce, "announce", MAX_ANNOUNCE_SIZE),
                           max_size=MAX_ANNOUNCE_SIZE)
        spec = parse_announce(entry)
        beacon_randomness = parse_randomness(randomness.strip())
    except DrawEngineError as exc:
        raise _fail(str(exc)) from exc
    unit_records = _records(units, "units", spec.units)
    assert unit_records is not None
    inspector_records = _records(inspectors, "inspectors", spec.inspectors)
    expert_records = _records(experts, "experts", spec.experts)
    try:
        result = compute_draw(
            entry, unit_records.records, beacon_randomness,
            inspectors=inspector_records.records if inspector_records else (),
            experts=expert_records.records if expert_records else (),
        )
    except DrawEngineError as exc:
        raise _fail(str(exc)) from exc
    if spec.beacon_local:
        sys.stderr.write("note: local beacon, not public randomness\n")
    sys.stdout.buffer.write(canonical_json(result) + b"\n")
    sys.stdout.flush()


@snapshot_app.command("root")
def snapshot_root(
    file: Annotated[Path, typer.Argument(help="A snapshot records file (JSON Lines).")],
) -> None:
    """Print the RFC 9162 root and the record count of a snapshot records file."""
    from draw_engine.errors import DrawEngineError
    from draw_engine.snapshot import records_file_root

    try:
        root, count, canonical = records_file_root(
            _read(file, "records", MAX_RECORDS_SIZE), max_size=MAX_RECORDS_SIZE)
    except DrawEngineError as exc:
        raise _fail(f"{file}: {exc}") from exc
    if not canonical:
        sys.stderr.write("note: file is not canonical sorted JSON Lines; root computed over "
                         "the canonical records\n")
    sys.stdout.write(f"{root.hex()} {count}\n")
