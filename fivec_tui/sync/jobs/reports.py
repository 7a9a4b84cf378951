"""Status reports, pulled chunk after chunk until the platform answers ``no record``.

The pull is destructive: each chunk is committed before the next is asked for, and asked for
only when there is room to commit it (:meth:`.Pulls.ready`).  An answer that is no answer
raises (the client checks it) and ends the run: the engine backs the job off.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ...api.parse import report_items
from ...store import Ingestor
from . import MAX_CHUNKS_PER_RUN

if TYPE_CHECKING:
    from ..engine import Engine


async def run(engine: Engine) -> int:
    """Each body is journaled (fsynced) before the next chunk is asked for; the ingestor's
    writer thread parses and stores it meanwhile (see ``store/pipeline.py``)."""
    state, pulls = engine.jobs["reports"], engine.pulls
    state.backlog = True
    ingestor = Ingestor(engine.store)
    try:
        held = 0
        for _ in range(MAX_CHUNKS_PER_RUN):
            held += await pulls.ready()
            body = await engine.client.pull_reports_body()
            journal_id = await pulls.journal("reports", body, encode=engine.client.encode)
            ingestor.submit(journal_id, "reports", body)
            if not report_items(body):
                state.backlog = False
                break
        return held + (await asyncio.to_thread(ingestor.drain))["new"]
    finally:
        await asyncio.to_thread(ingestor.close)
