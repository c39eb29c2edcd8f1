"""Wiring the draw lifecycle from settings: key file, sequencer, witnesses, policy, beacon.

`open_service(runtime)` builds a `draw_engine.lifecycle.DrawService` on the
runtime's database (one `Sequencer`, so one per process: it takes the log's
sequencer lock), the witness `Collector` with the policy (the policy file, or
by default every configured witness must co-sign), and the beacon source
(`DrandHttpSource` on the relay, pinned to quicknet/mainnet or to the local
beacon's chain-info file); its publish use case reports each stored
checkpoint to `Runtime.published` (`on_published`), which has the
`PortalRefresher` rebuild a served portal. `operator_routers(runtime)`
returns the operator API routers of `draw_engine.api`, guarded by
`Auth.require_role`.

The writer holds the log's write lease (DESIGN §7, transparency.sequencer):
`LeaseKeeper` renews it every third of `writer_lease_seconds`, and every log
write the service makes (entries, signed and co-signed checkpoints) is fenced
with its epoch. A second process on the same database cannot take a live
lease: its service is read-only (lifecycle writes answer 409), so several
`fairdraw serve` processes can share the read load with one writer. A writer
whose lease was taken over (it could not renew for a whole lease, e.g. frozen
or cut off from the database, and another server started meanwhile) is fenced:
its writes answer 503, `/healthz` says "read-only" and why, it serves reads.
Left out: promoting a running read-only server when the writer dies (restart
it: a server started after the lease expired becomes the writer).
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path
from typing import Any

from fastapi import APIRouter

from draw_engine import api as draw_api
from draw_engine.beacon import PINNED_CHAINS, ChainInfo, parse_chain_info_json
from draw_engine.drand_http import DrandHttpSource
from draw_engine.lifecycle import DrawService, LifecycleSettings
from draw_engine.sql_store import SqlDrawStore
from fairdraw.notices import load_calendar
from fairdraw.runtime import Runtime
from fairdraw.settings import Settings, SettingsError
from public_portal.builder import build_portal, inputs_from_store, trust_document
from transparency.errors import FencedError, SequencerBusyError
from transparency.keyfile import read_signer_key_file
from transparency.sequencer import Sequencer
from witnesses.collector import Collector, WitnessEndpoint
from witnesses.policy import Policy, parse_policy

log = logging.getLogger("fairdraw.draw_service")

MAX_FILE = 1 << 20


def beacon_chain(settings: Settings) -> ChainInfo:
    """The pinned chain named by the settings (local: read from the chain-info file)."""
    if settings.beacon_chain != "local":
        return PINNED_CHAINS[settings.beacon_chain]
    if settings.beacon_chain_info_file is None:
        raise SettingsError("beacon_chain 'local' needs beacon_chain_info_file (the local "
                            "beacon's chain-info.json)")
    path = settings.path(settings.beacon_chain_info_file)
    try:
        return parse_chain_info_json(json.loads(path.read_bytes()[:MAX_FILE]))
    except (OSError, ValueError) as e:
        raise SettingsError(f"beacon_chain_info_file {path}: {e}") from e


def witness_policy(settings: Settings, log_vkey: str) -> Policy | None:
    """The policy file, or: every configured witness must co-sign. None without witnesses."""
    if settings.witness_policy_file is not None:
        path = settings.path(settings.witness_policy_file)
        try:
            return parse_policy(path.read_bytes()[:MAX_FILE + 1])
        except OSError as e:
            raise SettingsError(f"witness_policy_file {path}: {e.strerror or e}") from e
    if not settings.witnesses:
        return None
    lines = [f"log {log_vkey}"]
    lines += [f"witness {w.name} {w.vkey} {w.url}" for w in settings.witnesses]
    lines.append(f"group all-witnesses all {' '.join(w.name for w in settings.witnesses)}")
    lines.append("quorum all-witnesses")
    return parse_policy("\n".join(lines) + "\n")


def open_service(runtime: Runtime, *, clock: Callable[[], float] | None = None,
                 sleep: Callable[[float], None] | None = None,
                 allow_read_only: bool = False) -> DrawService:
    """The DrawService of this runtime (created once; its closers are registered). Its
    publish use case reports to `runtime.published` (which rebuilds a served portal).

    If another process holds the log's sequencer lock: SequencerBusyError, or, with
    `allow_read_only` (the server), a read-only service whose writes answer 409."""
    if runtime.service is not None:
        return runtime.service
    settings = runtime.settings
    signer = read_signer_key_file(settings.log_key_path)
    if signer.name != settings.log_origin:
        raise SettingsError(f"log key {settings.log_key_path} is named {signer.name!r} but "
                            f"log_origin is {settings.log_origin!r}")
    policy = witness_policy(settings, signer.verifier_key)
    collector = None
    if settings.witnesses and policy is not None:
        collector = Collector([WitnessEndpoint(w.url, w.vkey) for w in settings.witnesses],
                              policy, timeout=settings.witness_timeout_seconds)
        runtime.closers.append(collector.close)
    beacon = DrandHttpSource(settings.beacon_relay_url, beacon_chain(settings))
    runtime.closers.append(beacon.close)
    try:
        sequencer: Sequencer | None = Sequencer(
            runtime.storage, [signer], settings.log_origin,
            lease_duration=timedelta(seconds=settings.writer_lease_seconds))
    except SequencerBusyError as e:
        if not allow_read_only:
            raise
        # Another process is the log's writer: serve reads (writes answer 409 "read-only").
        runtime.read_only_reason = str(e)
        log.warning("this process serves reads only: %s", e)
        sequencer = None
    if sequencer is not None:
        runtime.closers.append(sequencer.close)
        log.info("this process is the log's writer: lease epoch %d, held as %s",
                 sequencer.epoch, sequencer.holder)
        keeper = LeaseKeeper(sequencer)
        runtime.closers.append(keeper.stop)
    service = DrawService(
        store=SqlDrawStore(runtime.engine),
        # the writer's log writes (co-signed checkpoints too) all carry its lease epoch
        storage=sequencer.storage if sequencer is not None else runtime.storage,
        sequencer=sequencer,
        beacon=beacon,
        cosigning=collector,
        policy=policy,
        log_verifier_key=signer.verifier_key,
        settings=LifecycleSettings(lead_time=settings.lead_time_seconds,
                                   commitment_margin=settings.margin_seconds,
                                   mass_removal_percent=settings.mass_removal_percent,
                                   calendar=load_calendar(settings)),
        clock=clock or time.time,
        sleep=sleep or time.sleep,
        on_published=runtime.published,
    )
    service.recover()  # sync, and (the writer) drop snapshot rows a crash left unlogged
    runtime.service = service
    return service


class LeaseKeeper:
    """Renews the sequencer's write lease every third of its duration, in a daemon thread.

    Fenced (another server took the lease over): logs it once, as an error, and stops;
    the sequencer refuses every write from then on. A failed renewal for any other
    reason (the database unreachable) is logged and retried at the next tick: if
    the database comes back before another server took over, nothing was lost."""

    def __init__(self, sequencer: Sequencer) -> None:
        self.sequencer = sequencer
        self.interval = sequencer.lease_duration.total_seconds() / 3
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="lease-keeper", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        lease_log = logging.getLogger("fairdraw.lease")
        while not self._stop.wait(self.interval):
            try:
                self.sequencer.renew()
            except FencedError as e:
                lease_log.error("LEASE LOST: this process is no longer the log's writer and "
                                "serves reads only: %s", e)
                return
            except Exception as e:  # the database may come back: retry at the next tick
                lease_log.warning("renewing the log's write lease failed (retrying): %r", e)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)


def portal_trust(settings: Settings) -> dict[str, Any]:
    """trust.json from the settings: log key, witness policy, pinned beacon, margin."""
    signer = read_signer_key_file(settings.log_key_path)
    policy = witness_policy(settings, signer.verifier_key)
    if policy is None:
        raise SettingsError("no witnesses are configured: a portal needs a witness policy")
    return trust_document(origin=settings.log_origin, log_vkeys=[signer.verifier_key],
                          policy=policy, chains=[beacon_chain(settings)],
                          margin_seconds=settings.margin_seconds)


class PortalRefresher:
    """Rebuilds the portal directory after each published checkpoint, one build at a time,
    off the request path (a single background thread). Build failures are logged, never
    raised into a request: the previous portal stays in place (its files are replaced
    atomically, tiles are write-once)."""

    def __init__(self, runtime: Runtime, directory: Path) -> None:
        self.runtime = runtime
        self.directory = directory
        self.trust = portal_trust(runtime.settings)
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="portal")
        self.builds = 0
        self.last_error: str | None = None
        runtime.closers.append(lambda: self._pool.shutdown(wait=True))

    def request(self) -> Future[None]:
        return self._pool.submit(self._build)

    def _build(self) -> None:
        try:
            build_portal(self.directory, inputs_from_store(
                self.runtime.storage, SqlDrawStore(self.runtime.engine), self.trust))
            self.builds += 1
            self.last_error = None
        except Exception as e:  # keep serving the previous portal
            self.last_error = f"{type(e).__name__}: {e}"
            logging.getLogger("fairdraw.portal").exception("portal rebuild failed")


def operator_routers(runtime: Runtime) -> list[tuple[str, APIRouter]]:
    """The draw/registry operator API under /api (empty if the service cannot be opened
    because no log key exists yet: the app then serves reads only)."""
    if not runtime.settings.log_key_path.exists():
        return []
    service = open_service(runtime, allow_read_only=True)
    routers = draw_api.create_routers(service, runtime.auth.require_role,
                                      max_upload=runtime.settings.max_upload_bytes)
    return [("/api", r) for r in routers]
