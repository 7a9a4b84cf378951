"""Replies read again by time (``queryByCondition``, repeatable), so none is lost to a crash.

From where the last completed reconcile ended (less the overlap) to now, in windows of at most
an hour, storing what is missing.  A reply the consuming read took from a process killed
before it committed comes back here; one already stored is not stored twice (replies are keyed
by ext, id, mobile, content and time, the same in both answers).  The cursor lives in the
cache and moves only after each window is committed.  A first window starts an hour back,
never before the retention bound.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from . import store_items

if TYPE_CHECKING:
    from ..engine import Engine

#: Where the last completed reply reconcile ended (epoch seconds), per account, in ``settings``.
CURSOR_KEY = "reconcile.replies"
#: Each window starts this far before the last one ended: the platform's clock may be behind
#: ours, or store a reply a little after stamping it.
OVERLAP_S = 120.0
FIRST_S = 3600.0  # a cache with no cursor yet starts an hour back
SLICE_S = 3600.0  # one queryByCondition window at most
SLICES = 24  # per run; more waiting: the job runs again at once


async def run(engine: Engine) -> int:
    engine.replies_reconciled = True
    state = engine.jobs["reconcile_replies"]
    key = f"{CURSOR_KEY}.{engine.profile.username}"
    now = time.time()
    cursor = await asyncio.to_thread(engine.store.get_setting, key)
    start = min(float(cursor), now) - OVERLAP_S if cursor else now - FIRST_S
    start = max(start, now - engine.profile.retention_days * 86400)
    total, state.backlog = 0, True
    for _ in range(SLICES):
        end = min(start + SLICE_S, now)
        items = await engine.client.replies_between(
            datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(end, UTC)
        )
        total += await store_items(engine.store, "replies", items)
        await asyncio.to_thread(engine.store.set_setting, key, str(end))
        if end >= now:
            state.backlog = False
            break
        start = end
    return total
