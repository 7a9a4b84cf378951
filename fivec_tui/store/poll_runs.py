"""One row per sync job run: what the health table and the stale-data alerts read."""

from __future__ import annotations

import time

from .db import Store


def add_poll_run(
    store: Store, job: str, started: float, outcome: str, error: str = "", items: int = 0
) -> None:
    row = {
        "job": job,
        "started_at": started,
        "duration": time.time() - started,
        "outcome": outcome,
        "error": error,
        "items": items,
    }
    store.insert("poll_runs", row)
