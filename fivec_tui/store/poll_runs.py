"""One row per sync job run: what the stale-data alerts and the metrics read.  The job's
health after the run (:mod:`.poller`) is written with it, in the same transaction."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

from .db import Store
from .poller import upsert_health

if TYPE_CHECKING:
    from .poller import JobHealth


def add_poll_run(
    store: Store,
    job: str,
    started: float,
    outcome: str,
    error: str = "",
    items: int = 0,
    health: JobHealth | None = None,
) -> None:
    row = {
        "job": job,
        "started_at": started,
        "duration": time.time() - started,
        "outcome": outcome,
        "error": error,
        "items": items,
    }
    with store.transaction():
        store.db["poll_runs"].insert(row)
        if health is not None:
            upsert_health(store, health)
