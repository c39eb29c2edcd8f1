"""`fairdraw log …`: operator commands for the transparency log.

init (key file + schema), append, checkpoint, serve, export, fsck. The
database comes from `--db` / FAIRDRAW_DATABASE_URL (default: SQLite file
./fairdraw.db); the log's signing key from `--key` / FAIRDRAW_LOG_KEY (default
./log.key), a Go-format `PRIVATE+KEY+…` file whose key name is the origin.
Errors print one clear line on stderr and exit 1 (fsck lists every problem).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

# The log's modules (SQLAlchemy, requests, cryptography) are imported by the commands that
# use them, so `fairdraw --help` does not load them (issue 13 point 9).
if TYPE_CHECKING:
    from transparency.sequencer import Sequencer
    from transparency.sql import SqlStorage

DEFAULT_DATABASE_URL = "sqlite:///fairdraw.db"
"""= transparency.sql.DEFAULT_DATABASE_URL (tests/fairdraw/test_cli_startup.py holds them equal)."""

log_app = typer.Typer(
    help="The transparency log: init, append, checkpoint, serve, export, fsck.",
    no_args_is_help=True,
)
err = Console(stderr=True)
out = Console()

DbOption = Annotated[
    str,
    typer.Option(
        "--db", envvar="FAIRDRAW_DATABASE_URL", help="Database URL (SQLite or PostgreSQL)."
    ),
]
KeyOption = Annotated[
    Path,
    typer.Option("--key", envvar="FAIRDRAW_LOG_KEY", help="The log's signer key file."),
]


def register(app: typer.Typer) -> None:
    app.add_typer(log_app, name="log")


def _fail(message: str) -> typer.Exit:
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    return typer.Exit(1)


@contextmanager
def _progress(description: str, quiet: bool = False) -> Iterator[Callable[[int, int], None]]:
    """A rich progress bar driven by (done, total) callbacks; silent when stderr is no terminal."""
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err,
        disable=quiet or not err.is_terminal,
    ) as bar:
        task = bar.add_task(description, total=None)

        def update(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)

        yield update


def _open(db: str) -> SqlStorage:
    from transparency.sql import SqlStorage

    return SqlStorage.open(db)


def _sequencer(db: str, key: Path) -> Sequencer:
    from transparency.keyfile import read_signer_key_file
    from transparency.sequencer import Sequencer

    signer = read_signer_key_file(key)
    return Sequencer(_open(db), [signer], signer.name)


@log_app.command()
def init(
    origin: Annotated[str, typer.Option(help="Log origin, e.g. example.com/fairdraw/log.")],
    directory: Annotated[Path, typer.Option("--dir", help="Where log.key and log.vkey go.")] = Path(
        "."
    ),
    db: DbOption = DEFAULT_DATABASE_URL,
) -> None:
    """Create the log's signing key (log.key, mode 0600) and database schema; print the vkey."""
    from transparency.errors import TransparencyError
    from transparency.keyfile import write_signer_key_file
    from transparency.note_keys import generate_signer

    try:
        signer = generate_signer(origin)
        directory.mkdir(parents=True, exist_ok=True)
        write_signer_key_file(directory / "log.key", signer)
        (directory / "log.vkey").write_text(signer.verifier_key + "\n", encoding="utf-8")
        _open(db).close()
    except (TransparencyError, OSError) as e:
        raise _fail(str(e)) from None
    err.print(f"key written to {directory / 'log.key'}; verifier key (publish it):")
    out.print(signer.verifier_key, highlight=False, soft_wrap=True)


def _read_entries(files: Sequence[Path]) -> list[bytes]:
    entries: list[bytes] = []
    for f in files:
        data = f.read_bytes()
        if f.suffix == ".jsonl":
            # One entry per non-empty line, without its line ending.
            entries.extend(line.rstrip(b"\r") for line in data.split(b"\n") if line.strip())
        else:
            entries.append(data)
    return entries


@log_app.command()
def append(
    files: Annotated[list[Path], typer.Argument(help="One entry per file; .jsonl: per line.")],
    checkpoint: Annotated[bool, typer.Option(help="Sign a checkpoint afterwards.")] = False,
    db: DbOption = DEFAULT_DATABASE_URL,
    key: KeyOption = Path("log.key"),
) -> None:
    """Durably append entries; prints the index range once it is committed."""
    from transparency.errors import TransparencyError
    from transparency.sequencer import MAX_BATCH

    try:
        entries = _read_entries(files)
        with _sequencer(db, key) as seq, _progress("appending") as progress:
            indices: list[int] = []
            for pos in range(0, len(entries), MAX_BATCH):
                indices.extend(seq.append(entries[pos : pos + MAX_BATCH]))
                progress(len(indices), len(entries))
            note = seq.checkpoint() if checkpoint else None
    except (TransparencyError, OSError) as e:
        raise _fail(str(e)) from None
    if indices:
        out.print(f"appended {len(indices)} entries: indices {indices[0]}..{indices[-1]}")
    else:
        out.print("appended nothing")
    if note is not None:
        sys.stdout.write(note.decode("utf-8"))


@log_app.command("checkpoint")
def checkpoint_cmd(db: DbOption = DEFAULT_DATABASE_URL, key: KeyOption = Path("log.key")) -> None:
    """Sign a checkpoint over every committed entry and print it."""
    from transparency.errors import TransparencyError

    try:
        with _sequencer(db, key) as seq:
            note = seq.checkpoint()
    except (TransparencyError, OSError) as e:
        raise _fail(str(e)) from None
    sys.stdout.write(note.decode("utf-8"))


@log_app.command()
def serve(
    host: Annotated[str, typer.Option(help="Interface to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="TCP port.")] = 8080,
    db: DbOption = DEFAULT_DATABASE_URL,
) -> None:
    """Serve the read API (checkpoint, tiles, bundles, JSON proofs)."""
    import uvicorn

    from transparency.api import create_app
    from transparency.errors import TransparencyError

    try:
        storage = _open(db)
    except TransparencyError as e:
        raise _fail(str(e)) from None
    err.print(f"serving the log at http://{host}:{port}/checkpoint")
    uvicorn.run(create_app(storage), host=host, port=port, log_level="warning")


@log_app.command()
def export(
    out_dir: Annotated[Path, typer.Option("--out", help="Directory to write the files into.")],
    db: DbOption = DEFAULT_DATABASE_URL,
) -> None:
    """Write the checkpoint and all its tiles and bundles as static files (incremental)."""
    from transparency.errors import TransparencyError
    from transparency.export import export_log

    try:
        storage = _open(db)
        with _progress("exporting") as progress:
            report = export_log(storage, out_dir, progress=progress)
    except (TransparencyError, OSError) as e:
        raise _fail(str(e)) from None
    out.print(
        f"exported size {report.tree_size} to {out_dir}: "
        f"{report.written} files written, {report.skipped} already there"
    )


def _vkeys(values: Sequence[str]) -> list[str]:
    keys: list[str] = []
    for v in values:
        text = Path(v).read_text(encoding="utf-8") if os.path.isfile(v) else v
        keys.extend(line.strip() for line in text.splitlines() if line.strip())
    return keys


@log_app.command()
def fsck(
    source: Annotated[str, typer.Argument(help="A directory or an http(s):// URL prefix.")],
    vkey: Annotated[
        list[str], typer.Option(help="Verifier key of the log (or a file holding it); repeatable.")
    ],
) -> None:
    """Recompute the whole tree from the published files; exit 1 on any difference."""
    from transparency.errors import TransparencyError
    from transparency.export import FsckError, fsck_log, open_source

    try:
        with _progress("checking") as progress:
            report = fsck_log(open_source(source), _vkeys(vkey), progress=progress)
    except FsckError as e:
        for problem in e.problems:
            err.print(f"[red]problem:[/red] {problem}", highlight=False, soft_wrap=True)
        raise _fail(f"fsck failed with {len(e.problems)} problem(s)") from None
    except (TransparencyError, OSError) as e:
        raise _fail(str(e)) from None
    out.print(
        f"ok: {report.origin} size {report.tree_size} root {report.root_hash.hex()}: "
        f"{report.entries} entries, {report.files} files verified",
        highlight=False,
        soft_wrap=True,
    )
