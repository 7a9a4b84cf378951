"""Status reports, pulled chunk after chunk until the platform answers ``no record``.

The pull is destructive: each chunk is committed before the next is asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ...api.parse import raise_for_error
from . import MAX_CHUNKS_PER_RUN, commit

if TYPE_CHECKING:
    from ..engine import Engine


async def run(engine: Engine) -> int:
    total, state = 0, engine.jobs["reports"]
    state.backlog = True
    for _ in range(MAX_CHUNKS_PER_RUN):
        body = raise_for_error(await engine.client.pull_reports_body())
        counts = await commit(engine.store, "reports", body)
        total += counts["new"]
        if not counts["items"]:
            state.backlog = False
            break
    return total
