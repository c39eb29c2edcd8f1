"""`fairdraw trust show`, `fairdraw state list|forget`, and the trust-root header of the clients.

The clients (`verify`, `audit`, `assignments`) print, before anything else, the
trust.json fingerprint and the keys it pins (`trust_root_lines`), so a person
can compare them with the ones the detachment publishes in the draw plan's
公告 (docs/clients.md "Trust root"). `trust show` prints the same for a file.

`state list` prints what the client state remembers per (origin, log key);
`state forget ORIGIN [--key KEY]` drops a log from it (e.g. a demo log that was
re-created), after which the next run starts afresh for that log.
"""

from __future__ import annotations

import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from fairdraw.clientstate import ClientState
    from fairdraw.trust import Trust

trust_app = typer.Typer(help="The trust root (trust.json): fingerprint and keys.",
                        no_args_is_help=True)
state_app = typer.Typer(help="The client state: the last verified checkpoint per (origin, "
                             "log key).", no_args_is_help=True)

StatePathOpt = Annotated[Path | None, typer.Option(
    "--state", help="client state file (default $XDG_STATE_HOME/fairdraw/client-state.json)")]


def trust_root_lines(trust: Trust) -> list[str]:
    """The fingerprint and every key trust.json pins, one per line (bilingual labels)."""
    from draw_engine.beacon import PINNED_CHAINS, key_fingerprint

    fp = trust.fingerprint
    lines = [
        f"trust root 信任根 (trust.json) fingerprint 指纹: {fp.short}",
        f"  full 完整指纹: {fp.full}",
        "  compare it with the fingerprint in the draw plan's 公告 (docs/clients.md "
        "\"Trust root\")",
        f"  log 日志 {trust.origin}",
    ]
    lines += [f"    log key 日志公钥: {vkey}" for vkey in trust.log_vkeys]
    policy = trust.policy
    groups = {g.name: g for g in policy.groups}
    quorum = groups.get(policy.quorum)
    rule = (f"{quorum.threshold} of {', '.join(quorum.members)}" if quorum is not None
            else policy.quorum)
    lines.append(f"  witnesses 见证人 (quorum 法定数 {policy.quorum}: {rule})")
    lines += [f"    {w.name}: {w.key.vkey}" for w in policy.witnesses]
    for chain_hash, (chain, local) in sorted(trust.beacons.items()):
        pinned = next((name for name, c in PINNED_CHAINS.items()
                       if c.chain_hash == chain.chain_hash and c.public_key == chain.public_key),
                      None)
        label = ("LOCAL development beacon 本地开发信标, not public randomness" if local
                 else f"drand {pinned}, pinned in code" if pinned else "not a pinned drand chain")
        lines.append(f"  beacon 信标 {chain_hash} ({label})")
        genesis = datetime.fromtimestamp(chain.genesis_time, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        lines.append(f"    {chain.scheme}, period {chain.period} s, genesis {genesis}, "
                     f"key fingerprint 公钥指纹 {key_fingerprint(chain)}")
    lines.append(f"  margin 提前量 {trust.margin_seconds} s")
    return lines


def print_trust_root(trust: Trust, *, to_stderr: bool = False) -> None:
    out = sys.stderr if to_stderr else sys.stdout
    out.write("\n".join(trust_root_lines(trust)) + "\n")
    out.flush()


def log_key_of(trust: Trust, name: str, key_id: int) -> str | None:
    """The vkey of trust.json whose (name, key id) made a verified checkpoint signature."""
    from transparency.note_keys import parse_verifier_key

    for vkey in trust.log_vkeys:
        v = parse_verifier_key(vkey)
        if (v.name, v.key_id) == (name, key_id):
            return vkey
    return None


def state_notes(state: ClientState, origin: str, key_id: str) -> list[str]:
    """Warnings before a check: a migrated file; this origin seen before under another key."""
    notes = []
    if state.migrated_from is not None:
        notes.append(f"note: state file {state.path} is version {state.migrated_from}; it is "
                     "read as version 2 (one record per origin and log key) and rewritten so")
    if state.find(origin, key_id) is None:
        for rec in state.others(origin, key_id):
            notes.append(
                f"warning: this client saw log {origin} before under ANOTHER log key "
                f"({rec['key_id']}, size {rec['tree_size']}); key {key_id} is a new log to it. "
                "A real detachment changes its key only with a new 公告: compare the trust "
                "fingerprint above with the published one")
    return notes


def _state(path: Path | None) -> ClientState:
    from fairdraw.clientstate import ClientState, StateFileError, default_state_path

    try:
        return ClientState.load(path or default_state_path())
    except StateFileError as e:
        sys.stderr.write(f"error: {e}\n")
        raise typer.Exit(2) from e


@trust_app.command("show")
def trust_show(
    trust: Annotated[Path, typer.Option("--trust", help="trust.json to show")],
) -> None:
    """Print the fingerprint of a trust.json and every key it pins."""
    from fairdraw.trust import TrustError, load_trust

    try:
        parsed = load_trust(trust.read_bytes())
    except OSError as e:
        sys.stderr.write(f"error: cannot read trust file {trust}: {e.strerror or e}\n")
        raise typer.Exit(2) from e
    except TrustError as e:
        sys.stderr.write(f"error: {e}\n")
        raise typer.Exit(2) from e
    print_trust_root(parsed)


@state_app.command("list")
def state_list(state: StatePathOpt = None) -> None:
    """Every remembered log: origin, key id, size, root, trust fingerprint, when seen."""
    st = _state(state)
    print(f"state file {st.path}: {len(st.records)} log(s)")
    for r in sorted(st.records, key=lambda r: (r["origin"], r["key_id"])):
        fp = r.get("trust_fingerprint")
        seen = r.get("seen_at")
        when = (datetime.fromtimestamp(seen, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
                if isinstance(seen, int) else "unknown")
        print(f"{r['origin']}  key {r['key_id']}  size {r['tree_size']}  root "
              f"{r['root_hash'][:16]}…  trust {fp[:16] if fp else '(not yet known)'}  "
              f"seen {when}")


@state_app.command("forget")
def state_forget(
    origin: Annotated[str, typer.Argument(help="log origin, as `state list` shows it")],
    key: Annotated[str | None, typer.Option(
        "--key", help="only this log key (key id of 8 hex digits, or the log's vkey)")] = None,
    state: StatePathOpt = None,
) -> None:
    """Forget a log: the next run accepts whatever checkpoint it serves, as the first time."""
    from transparency.errors import TransparencyError

    st = _state(state)
    try:
        dropped = st.forget(origin, key)
    except (TransparencyError, ValueError) as e:
        sys.stderr.write(f"error: --key {key!r} is neither a key id nor a log vkey: {e}\n")
        raise typer.Exit(2) from e
    if not dropped:
        known = ", ".join(sorted({f"{r['origin']} {r['key_id']}" for r in st.records})) or "none"
        sys.stderr.write(f"error: no log {origin}{' key ' + key if key else ''} in {st.path} "
                         f"(known: {known})\n")
        raise typer.Exit(2)
    for r in dropped:
        print(f"forgot {r['origin']} key {r['key_id']} (size {r['tree_size']}, root "
              f"{r['root_hash'][:16]}…)")


def register(app: typer.Typer) -> None:
    app.add_typer(trust_app, name="trust")
    app.add_typer(state_app, name="state")
