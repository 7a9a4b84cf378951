"""Send records, read by time (repeatable) from a little before the last success to now.

On a fresh cache (no record yet) the first run reaches back ``backfill_hours`` (24 by
default, never past ``retention_days``), an hour a request, newest first, so a new user has
yesterday to look at (time-travel, the timeline, ``report``) as soon as the last hour is in.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from . import store_items

if TYPE_CHECKING:
    from ..engine import Engine

#: Records late by more than this are missed; at 600 msg/s each second re-read is 600 rows.
OVERLAP_S = 60.0
FIRST_WINDOW = timedelta(hours=1)  # a start with no success yet reads an hour back
AHEAD = timedelta(seconds=5)  # the platform's clock may run ahead of ours


async def run(engine: Engine) -> int:
    now = datetime.now(UTC)
    last = engine.jobs["records"].last_success
    if last:
        start = datetime.fromtimestamp(last - OVERLAP_S, UTC)
    elif await asyncio.to_thread(_fresh, engine.store):
        return await _backfill(engine, now, _backfill_window(engine.profile))
    else:
        start = now - FIRST_WINDOW
    items = await engine.client.records(start, now + AHEAD)
    return await store_items(engine.store, "records", items)


def _fresh(store) -> bool:
    return store.scalar("SELECT 1 FROM records LIMIT 1") is None


def _backfill_window(profile) -> timedelta:
    hours = min(profile.backfill_hours, profile.retention_days * 24)
    return max(timedelta(hours=hours), FIRST_WINDOW)


async def _backfill(engine: Engine, now: datetime, span: timedelta) -> int:
    """``span`` back from now, a request per ``FIRST_WINDOW``, newest first; new rows."""
    new, end, oldest = 0, now, now - span
    while end > oldest:
        start = max(end - FIRST_WINDOW, oldest)
        upto = now + AHEAD if end == now else end
        new += await store_items(engine.store, "records", await engine.client.records(start, upto))
        end = start
    return new
