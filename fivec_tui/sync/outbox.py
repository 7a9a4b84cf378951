"""Sending from this tool: written to the outbox before it goes out, never retried."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from ..api import PlatformError, SendResult, TransportError
from ..api.sms import parts
from ..store import Store
from ..store import outbox as store_outbox

if TYPE_CHECKING:
    from ..api.client import FivecClient


async def send(
    store: Store,
    client: FivecClient,
    mobiles: Sequence[str],
    content: str,
    *,
    encode: str,
    start_time: datetime | None = None,
    templet_code: str = "",
    variables: dict | None = None,
) -> SendResult:
    """Send once.  The outbox row goes ``sending`` → ``accepted``/``unknown``/``failed``."""
    form = "json" if templet_code else "params"
    oid = await asyncio.to_thread(
        store_outbox.outbox_add, store, mobiles, content, encode, form, parts(content) or 1
    )
    try:
        result = await client.send(
            mobiles,
            content,
            encode=encode,
            start_time=start_time,
            templet_code=templet_code,
            variables=variables,
        )
    except (PlatformError, TransportError) as exc:
        await asyncio.to_thread(store_outbox.outbox_update, store, oid, "failed", "", str(exc))
        raise
    await asyncio.to_thread(
        store_outbox.outbox_update, store, oid, result.outcome, result.msgid, result.detail
    )
    return result
