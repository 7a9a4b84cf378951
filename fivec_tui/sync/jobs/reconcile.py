"""Reports asked for again per number, for recipients still pending long after sending.

A report chunk lost in flight (the process died between the platform handing it out and our
commit) leaves its recipients pending; a per-number query (repeatable) brings them back.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ...store import queries
from . import commit

if TYPE_CHECKING:
    from ..engine import Engine

INTERVAL_S = 600.0
BATCH = 100  # numbers per request
MOST = 5000  # recipients per run
HORIZON_S = 6 * 3600  # older than this, a report is not coming
SENT_SLACK_S = 60  # the query's window opens this long before the first send


async def run(engine: Engine) -> int:
    pending = await asyncio.to_thread(
        queries.pending_recipients, engine.store, engine.reconcile_after_s, HORIZON_S, MOST
    )
    total = 0
    for i in range(0, len(pending), BATCH):
        batch = pending[i : i + BATCH]
        start = datetime.fromtimestamp(min(p["first_sent"] for p in batch) - SENT_SLACK_S, UTC)
        total += await engine.pulls.ready()  # possibly destructive: asked only with room
        body = await engine.client.reports_for_body(
            [p["mobile"] for p in batch], start, datetime.now(UTC)
        )
        counts = await commit(
            engine.pulls, "reports", body, source="query", encode=engine.client.encode
        )
        total += counts["new"]
    return total
