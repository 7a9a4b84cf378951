"""The account's balance, one snapshot a run (the burn rate is computed from the snapshots)."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from ...store.balance import add_balance

if TYPE_CHECKING:
    from ..engine import Engine


async def run(engine: Engine) -> int:
    balance = await engine.client.balance()
    await asyncio.to_thread(add_balance, engine.store, balance)
    return 1
