"""Pushed bodies forwarded to the URLs the push config names (see :class:`..forward.Forwarder`)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ..engine import Engine

INTERVAL_S = 2.0


async def run(engine: Engine) -> int:
    return await engine.forwarder.run_once() if engine.forwarder else 0
