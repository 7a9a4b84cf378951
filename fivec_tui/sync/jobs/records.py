"""Send records, read by time (repeatable) from a little before the last success to now."""

from __future__ import annotations

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
    start = datetime.fromtimestamp(last - OVERLAP_S, UTC) if last else now - FIRST_WINDOW
    items = await engine.client.records(start, now + AHEAD)
    return await store_items(engine.store, "records", items)
