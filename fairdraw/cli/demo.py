"""`fairdraw demo`: a self-contained log demo that works on a fresh clone, offline.

`run_log_demo(out_dir)` creates (or reuses) a SQLite log and a log key under
`out_dir`, appends a few hundred sample JSON entries, signs a checkpoint,
exports the static tiles to `out_dir/log/`, verifies them with fsck and
returns `out_dir`. The command then serves the log on 127.0.0.1 until
interrupted (`--no-serve` exits instead). The full draw demo will replace the
command later and can call `run_log_demo` for its log part.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import rfc8785
import typer
from rich.console import Console

from transparency.export import DirectorySource, export_log, fsck_log
from transparency.keyfile import read_signer_key_file, write_signer_key_file
from transparency.note import generate_signer
from transparency.sequencer import Sequencer
from transparency.sql import SqlStorage

DEMO_ORIGIN = "localhost/fairdraw-demo/log"
SAMPLE_ENTRIES = 300
console = Console(stderr=True)


def _database_url(out_dir: Path) -> str:
    return f"sqlite:///{(out_dir / 'log.db').resolve()}"


def _sample_entries(start: int, count: int) -> list[bytes]:
    return [
        rfc8785.dumps(
            {
                "type": "demo.sample",
                "v": 1,
                "seq": start + k,
                "note": "sample entry of the fairdraw log demo (not a real draw)",
            }
        )
        for k in range(count)
    ]


def run_log_demo(out_dir: Path, *, entries: int = SAMPLE_ENTRIES) -> Path:
    """Build, export and fsck a demo log under `out_dir`; returns `out_dir`.

    Files: log.key (0600), log.vkey, log.db (SQLite), log/ (static tlog-tiles)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    key_path = out_dir / "log.key"
    if not key_path.exists():
        write_signer_key_file(key_path, generate_signer(DEMO_ORIGIN))
    signer = read_signer_key_file(key_path)
    (out_dir / "log.vkey").write_text(signer.verifier_key + "\n", encoding="utf-8")
    storage = SqlStorage.open(_database_url(out_dir))
    try:
        with Sequencer(storage, [signer], signer.name) as seq:
            seq.append(_sample_entries(seq.tree_size, entries))
            seq.checkpoint()
        export_log(storage, out_dir / "log")
    finally:
        storage.close()
    fsck_log(DirectorySource(out_dir / "log"), [signer.verifier_key])
    return out_dir


def demo(
    out: Annotated[Path, typer.Option(help="Directory for the demo's files.")] = Path(
        "fairdraw-demo"
    ),
    port: Annotated[int, typer.Option(help="Port to serve the log on (127.0.0.1).")] = 8080,
    serve: Annotated[bool, typer.Option(help="Serve the log after building it.")] = True,
) -> None:
    """Run the log demo: append sample entries, sign, export, fsck, then serve."""
    run_log_demo(out)
    vkey = (out / "log.vkey").read_text(encoding="utf-8").strip()
    storage = SqlStorage.open(_database_url(out))
    cp = storage.latest_checkpoint()
    size = cp.tree_size if cp else 0
    console.print(f"demo log: {size} entries, static tiles in {out / 'log'} (fsck ok)")
    console.print(f"verifier key: {vkey}", highlight=False, soft_wrap=True)
    if not serve:
        print(f"{out.resolve() / 'log'}")
        return
    import uvicorn

    from transparency.api import create_app

    print(f"http://127.0.0.1:{port}/checkpoint", flush=True)
    uvicorn.run(create_app(storage), host="127.0.0.1", port=port, log_level="warning")


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
