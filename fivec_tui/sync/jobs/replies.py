"""Replies (uplink messages): pulled, or in ``watch`` mode read by time without taking them.

A pull peeks (``debug=1``) and commits, then takes: only a reply arriving between the two
reads rides on the destructive one alone, and :mod:`.reconcile_replies` reads it again by
time.  The first pull of a start waits for that reconcile, so what a killed run took comes
back before anything new is taken.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

from . import MAX_CHUNKS_PER_RUN, commit, store_items

if TYPE_CHECKING:
    from ..engine import Engine

WATCH_WINDOW = timedelta(hours=1)  # watch mode re-reads the last hour each run


async def run(engine: Engine) -> int:
    if engine.jobs["replies"].mode == "watch":
        now = datetime.now(UTC)
        items = await engine.client.replies_between(now - WATCH_WINDOW, now)
        return await store_items(engine.store, "replies", items)
    total, state, encode = 0, engine.jobs["replies"], engine.client.encode
    if not engine.replies_reconciled:
        total += await engine.run_job("reconcile_replies")
    state.backlog = True
    for _ in range(MAX_CHUNKS_PER_RUN):
        total += await engine.pulls.ready()  # the peek is journaled too: one check for both
        peek = await engine.client.pull_replies_body(debug=True)
        total += (await commit(engine.pulls, "replies", peek, encode=encode))["new"]
        taken = await engine.client.pull_replies_body()
        counts = await commit(engine.pulls, "replies", taken, encode=encode)
        total += counts["new"]
        if not counts["items"]:
            state.backlog = False
            break
    return total
