"""`fairdraw demo`: the whole lifecycle of one draw, on a fresh clone, offline (issue 6 item 3).

`fairdraw demo [--out DIR] [--no-serve] [--port P]`:

1. creates `DIR` (default `./fairdraw-demo/`): a SQLite database, the log key,
   a settings file `fairdraw.json` (so `fairdraw serve --config DIR/fairdraw.json`
   serves the same state later). Each directory is its own log: its origin
   `localhost/fairdraw-demo/<random id>/log` is made once, with the log key, and
   stored as the key's name in `DIR/log.key` (issue 13 point 2: a second demo is
   another log, not a fork of the first, on every client that saw both);
2. starts a LOCAL beacon (1 s rounds) and two witnesses as separate processes
   on loopback ports (fairdraw.local_processes);
3. generates the synthetic Laibin-scale registry (fairdraw.demo_registry),
   imports the units, inspectors and experts, and logs their snapshots;
4. announces the monthly routine draw with the risk-based strata, teams over
   the collaboration zones, and a beacon round `lead_time` ahead (each batch's
   plan is also saved as an operator-console template, `routine-zone-N`,
   under `DIR/console-templates/`); publishes a
   checkpoint that both witnesses co-sign, and checks the commitment rule;
5. waits for the round (progress bar), executes the draw, publishes and
   co-signs again, builds the static portal (public_portal.builder);
6. serves the service and the portal and prints the portal URL until Ctrl-C;
   with `--no-serve` prints the portal directory and exits 0. Child processes
   are stopped either way. The port is checked before step 1: a busy one
   stops the demo at once (exit 2, naming `--port`), before any work.

The margin (`MARGIN`, 4 s) and lead time (8 s) are shortened from DESIGN's 60 s
and a day so the demo ends in a minute; the CLI says so where it prints them.

Everything here uses the local development beacon: the CLI says so in red,
the announce carries `"local": true` and the portal shows its banner.
Running it again in the same directory adds a new draw to the same log.

Left out: real drand (configure `beacon_chain = "quicknet"` and run
`fairdraw serve`), remote witnesses.
"""

from __future__ import annotations

import json
import secrets
import signal
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeRemainingColumn
from rich.table import Table

from fairdraw import demo_registry as reg
from fairdraw.errors import FairdrawError

if TYPE_CHECKING:
    from witnesses.policy import Policy

DEMO_ORIGIN_PREFIX = "localhost/fairdraw-demo"
"""A demo log's origin is `<prefix>/<random id>/log`, one id per demo directory."""
LEAD_TIME = 8
"""Seconds between the announce and its beacon round (a real detachment uses ≥ 1 day)."""
MARGIN = 4
"""Cosignatures must predate the round by this many seconds (DESIGN §2 default is 60)."""
MARGIN_NOTE = (f"the demo's margin is {MARGIN} s, not DESIGN's default 60 s, only so that it "
               f"finishes in a minute; a real plan is announced a day ahead with margin_seconds "
               f"60 or more")
BEACON_PERIOD = 1
LOCAL_MARKER = "LOCAL BEACON — development randomness from one key, NOT public randomness"

console = Console(stderr=True, highlight=False)


class DemoError(FairdrawError, RuntimeError):
    pass


def _jsonl(records: list[dict[str, Any]]) -> bytes:
    return b"".join(json.dumps(r, ensure_ascii=False, sort_keys=True).encode() + b"\n"
                    for r in records)


def _next_month(today: date) -> tuple[date, date]:
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    last = (first + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return first, last


def write_settings(out: Path, cluster: Any) -> Path:
    """The demo's settings file (JSON), readable by `fairdraw serve --config`."""
    config = {
        "database_url": f"sqlite:///{(out / 'fairdraw.db').resolve()}",
        "data_dir": str(out.resolve()),
        "log_origin": cluster.log_origin,
        "log_key_file": "log.key",
        "witnesses": [{"name": w.name, "url": w.url, "vkey": w.vkey} for w in cluster.witnesses],
        "beacon_chain": "local",
        "beacon_relay_url": cluster.beacon_url,
        "beacon_chain_info_file": str((cluster.directory / "beacon" / "chain-info.json").resolve()),
        "lead_time_seconds": LEAD_TIME,
        "margin_seconds": MARGIN,
        "portal_dir": "portal",
    }
    path = out / "fairdraw.json"
    path.write_text(json.dumps(config, indent=1) + "\n", encoding="utf-8")
    return path


def new_demo_origin() -> str:
    """A fresh log origin for a new demo directory (48 random bits)."""
    return f"{DEMO_ORIGIN_PREFIX}/{secrets.token_hex(6)}/log"


def _log_key(out: Path) -> str:
    """The demo directory's log verifier key, made once with the directory's own origin
    (the key's name). A directory made before per-demo origins keeps its old origin."""
    from transparency.keyfile import read_signer_key_file, write_signer_key_file
    from transparency.note_keys import generate_signer

    key_path = out / "log.key"
    if not key_path.exists():
        out.mkdir(parents=True, exist_ok=True)
        write_signer_key_file(key_path, generate_signer(new_demo_origin()))
    signer = read_signer_key_file(key_path)
    (out / "log.vkey").write_text(signer.verifier_key + "\n", encoding="utf-8")
    return signer.verifier_key


def _batch_ids(service: Any, first: date) -> dict[str, str]:
    """Draw ids of this month's batches, one per collaboration zone (new ones on a re-run)."""
    known = {d.draw_id for d in service.draws()}
    n = 1
    while True:
        suffix = "" if n == 1 else f"-r{n}"
        ids = {zone: f"LB-{first:%Y-%m}-{zone}{suffix}" for zone in reg.ZONES}
        if not known.intersection(ids.values()):
            return ids
        n += 1


def demo_plan(draw_id: str, zone: str, *, snapshots: dict[str, str], first: date, last: date,
              units: list[dict[str, Any]], inspectors: list[dict[str, Any]]) -> dict[str, Any]:
    """One batch of the monthly routine plan: the risk-based strata restricted to the
    brigades of one collaboration zone, teams drawn inside the zone (then the detachment),
    a few exclusions (pending rectification) and recusals (declared conflicts).

    A whole-city draw selects ~290 units, more than one log entry holds with teams
    (64 KiB); the plan is therefore filed as one batch per zone (DOMAIN: batch by batch)."""
    brigades = reg.ZONES[zone]
    strata = [{**st, "match": {**st["match"], "brigade": list(brigades)}}
              for st in reg.routine_strata()]
    active = sorted(u["id"] for u in units
                    if u["status"] == "active" and u["brigade"] in brigades)
    people = sorted(i["id"] for i in inspectors if i["brigade"] in brigades)
    names = "、".join(dict([*reg.BRIGADES, reg.SUPERVISION_SECTION])[b] for b in brigades)
    return {
        "draw_id": draw_id,
        "title": f"来宾市消防救援支队 {first.year}年{first.month}月 双随机抽查 "
                 f"{zone}（{names}）（演示）",
        "authority": "来宾市消防救援支队（演示数据）",
        "kind": "routine",
        "period": {"from": first.isoformat(), "to": last.isoformat()},
        "units": snapshots["units"],
        "inspectors": snapshots["inspectors"],
        "experts": snapshots["experts"],
        "strata": strata,
        "exclusions": [{"unit_id": active[7], "reason": "rectification_pending"}],
        "zones": reg.ZONES,
        "teams": reg.routine_teams(),
        "recusals": [[people[0], active[100]], [people[-1], active[1000]]],
    }


class _Steps:
    """The demo's progress on stderr: a live bar for the running step (spinner, bar,
    time left while waiting for the round) and one permanent line per finished step."""

    def __init__(self) -> None:
        self.progress = Progress(SpinnerColumn(), TextColumn("{task.description}"),
                                 BarColumn(bar_width=24), TextColumn("{task.fields[note]}"),
                                 TimeRemainingColumn(), console=console, transient=True)
        self.task: Any = None
        self.description = ""
        self.note = ""

    def __enter__(self) -> _Steps:
        self.progress.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.finish()
        self.progress.__exit__(None, None, None)

    def start(self, description: str, total: float = 1) -> None:
        self.finish()
        self.description = description
        self.note = ""
        self.task = self.progress.add_task(description, total=total, note="")

    def update(self, completed: float, note: str = "") -> None:
        self.note = note
        self.progress.update(self.task, completed=completed, note=note[:60])

    def finish(self, note: str | None = None) -> None:
        if self.task is not None:
            text = self.note if note is None else note
            self.progress.remove_task(self.task)
            self.progress.console.print(f"[green]✓[/] {self.description}: {text}",
                                        highlight=False, soft_wrap=True)
            self.task = None


def run_demo(out: Path, *, steps: _Steps | None = None, now: float | None = None
             ) -> dict[str, Any]:
    """Run the lifecycle once under `out` with a started cluster; return what happened.

    The caller owns the returned `runtime` and `cluster` (close/stop them)."""
    from fairdraw.app import open_runtime
    from fairdraw.console.templates import template_from_plan, template_store
    from fairdraw.draw_service import beacon_chain, open_service
    from fairdraw.local_processes import LocalCluster
    from fairdraw.settings import load_settings
    from public_portal.builder import PortalInputs, build_portal, trust_document

    s = steps or _Steps()
    out.mkdir(parents=True, exist_ok=True)
    out = out.resolve()
    s.start("keys, beacon and witnesses")
    log_vkey = _log_key(out)
    origin = log_vkey.split("+", 1)[0]
    cluster = LocalCluster(out / "services", origin, log_vkey, witness_count=2,
                           beacon_period=BEACON_PERIOD)
    runtime = None
    try:
        cluster.prepare(now=time.time() if now is None else now)
        cluster.start()
        s.finish(f"log {origin}, beacon {cluster.beacon_url}, witnesses "
                 f"{', '.join(w.url for w in cluster.witnesses)}")
        config = write_settings(out, cluster)
        # The demo's own values beat any FAIRDRAW_* variables of the caller's shell.
        settings = load_settings(config, **json.loads(config.read_text(encoding="utf-8")))
        runtime = open_runtime(settings)
        service = open_service(runtime)

        s.start("registry: generate, import, snapshot", total=3)
        units, inspectors = reg.generate_units(), reg.generate_inspectors()
        experts = reg.generate_experts()
        snapshots = {}
        tag = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        for n, (kind, records) in enumerate((("units", units), ("inspectors", inspectors),
                                             ("experts", experts)), start=1):
            version = service.import_registry(kind, _jsonl(records), fmt="jsonl",
                                              source_name=f"demo-{kind}.jsonl")
            snap = service.create_snapshot(kind, f"{kind}-{tag}-v{version.version}")
            snapshots[kind] = snap.name
            s.update(n, f"{kind}: {snap.count} records, root {snap.root[:12]}…")
        s.finish(f"{len(units)} units ({sum(u['status'] == 'defunct' for u in units)} defunct), "
                 f"{len(inspectors)} inspectors, {len(experts)} experts")

        s.start("announce the monthly routine plan (one batch per zone)", total=len(reg.ZONES))
        first, last = _next_month(date.today())
        draws = []
        templates = template_store(settings)
        for n, (zone, draw_id) in enumerate(_batch_ids(service, first).items(), start=1):
            plan = demo_plan(draw_id, zone, snapshots=snapshots, first=first, last=last,
                             units=units, inspectors=inspectors)
            draws.append(service.announce(plan))
            # the operator console plans next month's batches from these (issue 17)
            templates.save(f"routine-{zone}", template_from_plan(
                plan, reg.ROUTINE_STRATA_LABELS, description=f"月度例行抽查 {zone}（演示）"))
            s.update(n, f"{draw_id} at log index {draws[-1].announce_index}")
        s.finish(", ".join(f"{d.draw_id} (beacon round {d.beacon_round})" for d in draws))

        s.start("co-sign the commitment (2 of 2 witnesses)")
        published = service.publish_checkpoint()
        reports = [service.check_commitment(d.draw_id) for d in draws]
        # Each batch has its own round: the tightest lead over all of them is the one to show.
        lead = min(d.round_time - max(t for _, t in r.cosignatures)
                   for d, r in zip(draws, reports, strict=True))
        s.finish(f"checkpoint size {published.tree_size} co-signed by "
                 f"{', '.join(w for w, _ in reports[0].cosignatures)}, at least {lead} s before "
                 f"each batch's round (margin {MARGIN} s: {MARGIN_NOTE})")

        round_time = max(d.round_time for d in draws)
        wait_total = max(1.0, round_time - time.time())
        rounds = _rounds(draws)
        s.start(f"wait for beacon {rounds}", total=wait_total)
        waited_from = time.time()

        def on_wait(message: str, _waited: float, _limit: float) -> None:
            s.update(min(time.time() - waited_from, wait_total), message)

        executed = [service.execute(d.draw_id, on_wait=on_wait, timeout=30) for d in draws]
        s.finish(f"{rounds} verified; {len(executed)} results appended")
        s.start("execute, co-sign the result, build the portal", total=2)
        service.publish_checkpoint()
        s.update(1, "result co-signed")
        portal_dir = out / "portal"
        policy = cast("Policy", service.policy)  # the demo's settings name its two witnesses
        trust = trust_document(origin=origin, log_vkeys=[log_vkey], policy=policy,
                               chains=[beacon_chain(settings)], margin_seconds=MARGIN)
        built = build_portal(portal_dir, PortalInputs(
            storage=runtime.storage, trust=trust,
            snapshots={sn.name: sn.records for sn in service.snapshots()},
            commitments={d.draw_id: d.commitment_note for d in service.draws()
                         if d.commitment_note is not None}))
        s.finish(f"{built.draws} draw(s), log size {built.tree_size}")
        results = [(d, service.entry(cast(int, d.result_index))) for d in executed]  # executed
        return {"runtime": runtime, "cluster": cluster, "settings": settings,
                "results": results, "portal_dir": portal_dir, "service": service}
    except BaseException:
        if runtime is not None:
            runtime.close()
        cluster.stop()
        raise


def _rounds(draws: list[Any]) -> str:
    """"round 27" or "rounds 27, 28": every batch's own round, in batch order."""
    rounds = list(dict.fromkeys(d.beacon_round for d in draws))
    return f"round{'s' if len(rounds) > 1 else ''} {', '.join(map(str, rounds))}"


def _summary(results: list[tuple[Any, dict[str, Any]]]) -> Table:
    table = Table(title="selected units per batch and stratum (LOCAL beacon)")
    for col in ("draw", "stratum", "pool n", "drawn k", "reserve"):
        table.add_column(col, justify="left" if col in ("draw", "stratum") else "right")
    units = teams = unfilled = 0
    for draw, result in results:
        for st in result["strata"]:
            table.add_row(draw.draw_id, st["name"], str(st["n"]), str(st["k"]),
                          str(len(st["reserve"])))
        found = [x["team"] for x in result["selected"] if x.get("team")]
        units += len(result["selected"])
        teams += len(found)
        unfilled += sum(len(t["unfilled"]) for t in found)
    table.caption = f"{units} units drawn, {teams} teams, {unfilled} unfilled slots"
    return table


def port_problem(port: int, host: str = "127.0.0.1") -> str | None:
    """Why the demo could not serve on `port`, or None if it is free now (issue 13 point 5:
    checked before any work, so a busy port is not found last). Binds the way uvicorn
    does (SO_REUSEADDR), so a port that only lingers in TIME_WAIT counts as free."""
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError as e:
            return f"cannot serve on {host}:{port}: {e.strerror or e}"
    return None


def _interrupt(_signum: int, _frame: object) -> None:
    raise KeyboardInterrupt


def demo(
    out: Annotated[Path, typer.Option("--out", help="Directory for the demo's files.")] = Path(
        "fairdraw-demo"),
    port: Annotated[int, typer.Option("--port", help="Port to serve on (127.0.0.1).")] = 8080,
    serve: Annotated[bool, typer.Option("--serve/--no-serve",
                                        help="Serve the portal afterwards.")] = True,
) -> None:
    """Run next month's plan (three zone batches) end to end, build the portal, serve it.

    Local beacon and two witnesses run as separate processes."""
    # SIGTERM stops the demo like Ctrl-C, so the child processes are always stopped
    # (uvicorn re-raises the signal it captured once it has shut down).
    signal.signal(signal.SIGTERM, _interrupt)
    problem = port_problem(port) if serve else None
    if problem is not None:
        other = port + 1 if port < 65535 else 8080
        console.print(f"[bold red]error:[/] {problem} (another demo or server is using it?). "
                      f"Choose a free port with --port, e.g. --port {other}, or build "
                      "without serving with --no-serve. Nothing was done.")
        raise typer.Exit(2)
    console.print(f"[bold white on red] {LOCAL_MARKER} [/]")
    started = time.monotonic()
    try:
        with _Steps() as steps:
            done = run_demo(out, steps=steps)
    except Exception as e:  # the demo reports any failure as one clear line
        console.print(f"[bold red]demo failed:[/] {type(e).__name__}: {e}")
        raise typer.Exit(1) from e
    runtime, cluster = done["runtime"], done["cluster"]
    try:
        console.print(_summary(done["results"]))
        console.print(f"[bold white on red] {LOCAL_MARKER} [/]")
        console.print(f"done in {time.monotonic() - started:.1f} s; settings: "
                      f"{out / 'fairdraw.json'}")
        portal_dir: Path = done["portal_dir"]
        if not serve:
            print(f"portal: {portal_dir}", flush=True)
            print(f"open {portal_dir / 'index.html'} or serve it: fairdraw serve --config "
                  f"{out / 'fairdraw.json'}", flush=True)
            return
        _serve(done, port)
    finally:
        runtime.close()
        cluster.stop()


def _serve(done: dict[str, Any], port: int) -> None:
    import uvicorn

    from fairdraw.app import create_app
    from fairdraw.refresh import start_checkpoint_refresh

    app = create_app(done["settings"], runtime=done["runtime"])
    start_checkpoint_refresh(app, done["runtime"])  # keeps the portal fresh while it serves
    url = f"http://127.0.0.1:{port}/portal/"
    print(f"portal: {url}", flush=True)
    for draw, _ in done["results"]:
        print(f"draw page: {url}draw/{draw.draw_id}.html", flush=True)
    config = done["settings"].data_dir / "fairdraw.json"
    console.print(f"operator API at http://127.0.0.1:{port}/docs; a token: "
                  f"fairdraw token create --role operator --config {config}")
    console.print("serving; Ctrl-C stops the service, the beacon and the witnesses")
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def register(app: typer.Typer) -> None:
    app.command("demo")(demo)
