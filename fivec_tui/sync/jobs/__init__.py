"""The engine's jobs, one module a stream.

Each module's ``run(engine)`` does one run and returns how many new items it stored; a run
that fails raises, and the engine records the failure and backs the job off.  A module's
``INTERVAL_S``, where it has one, is the job's interval when the profile does not set it.

What the pulls share lives here: a body is committed to the journal before it is parsed, and
the next chunk is asked for only after that commit, so a destructive read loses at most the
request in flight.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from ...store import Store, ingest_items, ingest_journal, journal

#: Chunks one run takes at most; with more waiting it sets ``backlog`` and runs again at once.
MAX_CHUNKS_PER_RUN = 200


async def commit(
    store: Store, stream: str, body: str, *, source: str = "pull", encode: str | None = None
) -> dict[str, int]:
    """Journal ``body`` (committed), then parse it into rows: ``new`` and ``items`` counts."""
    journal_id = await asyncio.to_thread(journal, store, stream, source, body, encode)
    return await asyncio.to_thread(ingest_journal, store, journal_id)


async def store_items(store: Store, stream: str, items: Sequence) -> int:
    """Store parsed items from a repeatable read (nothing is lost if this dies); new rows."""
    return (await asyncio.to_thread(ingest_items, store, stream, items))["new"]
