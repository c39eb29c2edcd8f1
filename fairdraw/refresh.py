"""Keeps the published checkpoint fresh: re-co-signs it when the newest one gets old.

Verifiers refuse a live view whose newest quorum of co-signatures is older than
a maximum age (check `checkpoint-freshness`, default 24 h, docs/spec/verification.md):
a frozen view could hide new entries. A log with no new entries publishes
nothing, so a quiet week would turn every portal red. `CheckpointRefresher`
publishes again when the newest co-signed checkpoint is `interval` seconds old
(`checkpoint_refresh_seconds`, default 3600, 0 = off): the sequencer signs the
same tree and the witnesses co-sign it anew, with fresh timestamps.
SPEC(tlog-witness, C2SP PR #280): add-checkpoint with old size equal to the
checkpoint's size and an empty proof is accepted when the root matches. Each publish
goes through the draw service's publish use case, whose `on_published` rebuilds the
served portal (fairdraw.runtime), so its `log/checkpoint` carries the new
co-signatures; `after_publish` is for any further caller.

One background thread per writer process; a failed publish (a witness down) is
logged and retried after `retry` seconds, never raised into a request. The clock is
a parameter (tests drive `refresh_if_due` directly). Left out: running it in a
read-only process (no sequencer) or without witnesses (nothing to co-sign).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

log = logging.getLogger("fairdraw.refresh")

DEFAULT_INTERVAL = 3600
DEFAULT_RETRY = 60.0


class CheckpointRefresher:
    """Re-publish (re-co-sign) the checkpoint once the newest co-signed one is `interval` old."""

    def __init__(
        self,
        service: Any,
        storage: Any,
        *,
        interval: float = DEFAULT_INTERVAL,
        retry: float = DEFAULT_RETRY,
        clock: Callable[[], float] = time.time,
        after_publish: Callable[[], object] | None = None,
    ) -> None:
        if interval <= 0:
            raise ValueError("the refresh interval must be positive (0 turns refreshing off "
                             "before a refresher is made)")
        self.service = service
        self.storage = storage
        self.interval = float(interval)
        self.retry = min(float(retry), self.interval)
        self.clock = clock
        self.after_publish = after_publish
        self.refreshes = 0
        self.last_error: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def due_in(self) -> float | None:
        """Seconds until the newest co-signed checkpoint is `interval` old (≤ 0: due now);
        None before anything was ever published (nothing to keep fresh)."""
        latest = self.storage.latest_checkpoint(cosigned_only=True)
        if latest is None:
            return None
        return float(latest.created_at.timestamp()) + self.interval - self.clock()

    def refresh_if_due(self) -> float:
        """Publish if due; return the seconds to wait before the next look."""
        due = self.due_in()
        if due is None:
            return self.interval
        if due > 0:
            return due
        try:
            published = self.service.publish_checkpoint()
        except Exception as e:  # a witness down, the database busy: try again soon
            self.last_error = f"{type(e).__name__}: {e}"
            log.warning("checkpoint refresh failed (retry in %.0f s): %s", self.retry,
                        self.last_error)
            return self.retry
        self.refreshes += 1
        self.last_error = None
        log.info("checkpoint of size %d co-signed again (freshness refresh)",
                 published.tree_size)
        if self.after_publish is not None:
            self.after_publish()
        return self.interval

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._run, name="checkpoint-refresh",
                                        daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                wait = self.refresh_if_due()
            except Exception:  # never let the thread die: reading the storage failed
                log.exception("checkpoint refresh check failed")
                wait = self.retry
            self._stop.wait(max(wait, 0.05))


def start_checkpoint_refresh(app: Any, runtime: Any) -> CheckpointRefresher | None:
    """Start refreshing for the app's runtime if it is the log's writer with witnesses and
    `checkpoint_refresh_seconds` is not 0; stopped by `runtime.close()`."""
    interval = runtime.settings.checkpoint_refresh_seconds
    service = runtime.service
    if (not interval or service is None or getattr(service, "sequencer", None) is None
            or getattr(service, "cosigning", None) is None):
        return None
    refresher = CheckpointRefresher(service, runtime.storage, interval=interval)
    refresher.start()
    runtime.closers.append(refresher.stop)
    return refresher
