"""The `fairdraw` command line: one typer app composed of per-area sub-apps, loaded lazily.

Each area owns one module defining `register(app)` (`fairdraw.cli.log`,
`.witness`, `.serve`…). `COMMANDS` below names every top-level command, the
module(s) whose `register` defines it and the one line `fairdraw --help`
lists for it. A command's module is imported only when that command runs
(or its own `--help` is asked for): issue 15 wants `fairdraw --help` at most
twice `python -c "import typer, rich"` (benchmarks/cli_help_bench.py).

Lazy imports, deliberately and only in this package: the command modules
(`fairdraw/cli/*.py`) import the service, the database, the HTTP clients
and the verifiers inside the commands that use them, so that a light
command (`fairdraw snapshot root`, `recompute`, whose run times are
benchmarked against plain hashlib loops) or any command's `--help` never
pays for another command's stack (tests/fairdraw/test_cli_startup.py holds
which modules each loads). Everywhere else in `fairdraw/` imports are at
module level.

`fairdraw --help` itself is rendered by click's plain formatter: typer's rich
help formatter imports `rich.markdown` and `markdown_it`, which alone cost
about as much as importing typer and rich (docs/performance.md). The
commands' own `--help` pages keep typer's rich formatting.

Adding a command: register it in its module and add its row here;
tests/fairdraw/test_cli_startup.py fails while the two disagree.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from typing import Any, NamedTuple

import typer
from typer.core import TyperGroup
from typer.main import get_group


class Entry(NamedTuple):
    modules: tuple[str, ...]
    """The `fairdraw.cli` modules whose `register(app)` together define the command."""
    summary: str
    """Its line in `fairdraw --help` (the opening of the command's own help)."""


COMMANDS: Mapping[str, Entry] = {
    "demo": Entry(("demo",), "Run next month's plan (three zone batches) end to end, build "
                             "the portal, serve it."),
    "recompute": Entry(("draw",), "Recompute a draw-v1 result and print its computed part as "
                                  "canonical JSON."),
    "assignments": Entry(("client",), "Verify every draw first; then print this brigade's "
                                      "assignments."),
    "bundle": Entry(("client",), "Write one JSON file with everything needed to verify "
                                 "DRAW_ID offline."),
    "verify": Entry(("client",), "Verify a bundle or a live draw and print each check with "
                                 "✓/✗ and its reason."),
    "audit": Entry(("client",), "Replay the whole log; exit 0 only if every draw and every "
                                "checkpoint holds."),
    "stats": Entry(("stats",), "Fairness over many draws (公平性统计): drawn vs expected per "
                               "stratum, brigade and unit, officers' duties and pairs, the "
                               "registry over time; every draw verified first."),
    "serve": Entry(("serve",), "Serve the log read API, the operator API, the portal, "
                               "/healthz and /metrics."),
    "nginx-config": Entry(("serve",), "Print the nginx.conf that serves the exported portal "
                                      "and log as static files"),
    "notices": Entry(("serve",), "Export the units to notify on DATE (one working day before "
                                 "their inspection date)"),
    "team-load": Entry(("serve",), "Report how evenly the month's drawn draws spread duties "
                                   "over the officers"),
    "log": Entry(("log",), "The transparency log: init, append, checkpoint, serve, export, "
                           "fsck."),
    "witness": Entry(("witness",), "A witness: init, add-log, serve, restore."),
    "beacon": Entry(("beacon",), "Public randomness beacons: verify drand rounds, run the "
                                 "local or replay beacon."),
    "snapshot": Entry(("draw", "operate"), "Registry snapshots: create, recompute roots, "
                                           "return visits."),
    "registry": Entry(("operate",), "Registries: import a new version."),
    "draw": Entry(("operate",), "Draws: announce, publish, execute, cancel, status."),
    "outcome": Entry(("operate",), "Inspection outcomes (一公开)."),
    "trust": Entry(("trustroot",), "The trust root (trust.json): fingerprint and keys."),
    "state": Entry(("trustroot",), "The client state: the last verified checkpoint per "
                                   "(origin, log key)."),
    "token": Entry(("serve",), "Operator tokens (stored hashed)."),
    "db": Entry(("serve",), "The service database."),
    "portal": Entry(("portal",), "The public portal: build its static files."),
    "plan": Entry(("practice",), "Plans: the yearly plan (年度抽查计划)."),
    "evidence": Entry(("practice",), "Evidence files of inspection outcomes."),
    "return-visit": Entry(("practice",), "The discipline commission's return-visit draws "
                                         "(回访)."),
}


def load_command(name: str) -> Any:
    """The click command `name`, built by registering its module(s) on a fresh typer app."""
    staging = typer.Typer()
    for module in COMMANDS[name].modules:
        importlib.import_module(f"fairdraw.cli.{module}").register(staging)
    command = get_group(staging).commands.get(name)
    if command is None:
        raise LookupError(f"fairdraw.cli: {', '.join(COMMANDS[name].modules)} registered no "
                          f"command {name!r}")
    return command


class _Commands(Mapping[str, Any]):
    """The root group's commands: every name of `COMMANDS`, each built on first use."""

    def __init__(self) -> None:
        self._built: dict[str, Any] = {}

    def __getitem__(self, name: str) -> Any:
        if name not in COMMANDS:
            raise KeyError(name)
        if name not in self._built:
            self._built[name] = load_command(name)
        return self._built[name]

    def __iter__(self) -> Iterator[str]:
        return iter(COMMANDS)

    def __len__(self) -> int:
        return len(COMMANDS)


class LazyGroup(TyperGroup):
    """The root group: lists `COMMANDS` from the table, builds a command when it is used."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.commands = _Commands()  # type: ignore[assignment]

    def list_commands(self, ctx: Any) -> list[str]:
        return list(COMMANDS)

    def format_commands(self, ctx: Any, formatter: Any) -> None:
        with formatter.section("Commands"):
            formatter.write_dl([(name, entry.summary) for name, entry in COMMANDS.items()])


app = typer.Typer(
    name="fairdraw",
    cls=LazyGroup,
    help="Publicly verifiable 双随机、一公开 inspection draws on a Merkle transparency log.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)


@app.callback()
def _root() -> None:
    # A callback makes typer build a group (LazyGroup) although no command is registered on
    # `app` itself; the help text is the app's.
    pass


def _register() -> None:
    """Build every command now (tests drive `app` with all commands resolved up front)."""
    for name in COMMANDS:
        load_command(name)


def main() -> None:
    app()
