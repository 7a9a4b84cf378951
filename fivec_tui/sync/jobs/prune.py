"""Retention: rows (and their raw bodies) older than ``retention_days`` are deleted."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ...store.retention import prune

if TYPE_CHECKING:
    from ..engine import Engine

INTERVAL_S = 3600.0


async def run(engine: Engine) -> int:
    profile = engine.profile
    counts = await asyncio.to_thread(
        prune, engine.store, profile.retention_days, profile.keep_raw_days
    )
    return sum(counts.values())
