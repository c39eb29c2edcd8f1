"""The service's composition root, typed: what one `fairdraw serve` process holds.

`open_runtime(settings)` opens (and migrates) the database and returns a
`Runtime`: the settings, the SQLAlchemy engine, the log storage, the token
store. The rest is attached by the composition in `fairdraw.app.create_app`
(or a CLI command), each part once:

- `service`: the draw lifecycle (`draw_engine.lifecycle.DrawService`), built
  by `fairdraw.draw_service.open_service` when a log key exists; it is the
  log's writer if it holds the write lease, read-only otherwise
  (`read_only_reason` says why);
- `portal`: the portal directory's rebuilder (`PortalRefresher`), when the
  service serves a portal and has witnesses.

The draw service's publish use case calls `Runtime.published` after every
checkpoint it stores (a cancel's publish and the freshness re-co-signing
included): that is where the portal is rebuilt, so nothing has to watch URLs
to know a checkpoint was published. `close()` runs the closers the parts
registered (lease keeper, beacon and witness clients, builder thread), last
first, then disposes of the engine.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy.engine import Engine

from draw_engine.commitment import PublishedCheckpoint
from draw_engine.lifecycle import DrawService
from fairdraw.auth import Auth
from fairdraw.db import create_engine, upgrade_engine
from fairdraw.settings import Settings
from transparency.sql import SqlStorage

if TYPE_CHECKING:  # fairdraw.draw_service composes a Runtime; only the type is needed here
    from fairdraw.draw_service import PortalRefresher

log = logging.getLogger("fairdraw.runtime")


@dataclass
class Runtime:
    """The long-lived parts of one service process (module docstring)."""

    settings: Settings
    engine: Engine
    storage: SqlStorage
    auth: Auth
    service: DrawService | None = None
    """The draw lifecycle service, once `open_service` built it."""
    portal: PortalRefresher | None = None
    """Rebuilds the served portal directory after each published checkpoint."""
    closers: list[Callable[[], None]] = field(default_factory=list)
    read_only_reason: str | None = None
    """Why this process is not the log's writer, when it started read-only."""

    def published(self, checkpoint: PublishedCheckpoint) -> None:
        """The draw service's `on_published`: a new co-signed checkpoint is stored, so the
        portal (if this process serves one) is rebuilt, off the request path."""
        if self.portal is not None:
            self.portal.request()

    def close(self) -> None:
        for close in reversed(self.closers):
            try:
                close()
            except Exception:
                log.exception("closing failed")
        self.engine.dispose()


def open_runtime(settings: Settings, *, migrate: bool = True) -> Runtime:
    """Open the database (and migrate it unless told not to); no draw service yet."""
    engine = create_engine(settings.database_url)
    if migrate:
        upgrade_engine(engine)
    return Runtime(settings=settings, engine=engine, storage=SqlStorage(engine),
                   auth=Auth(engine))
