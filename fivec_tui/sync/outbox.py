"""Sending from this tool: audited, written to the outbox before it goes out, never retried."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from ..api import PlatformError, SendResult, TransportError
from ..api.sms import parts
from ..store import Store
from ..store import outbox as store_outbox
from ..store.duplicates import refuse_recent, text_key
from .acting import act

if TYPE_CHECKING:
    from ..api.client import FivecClient
    from ..store.auditor import Auditor


async def send(
    store: Store,
    client: FivecClient,
    mobiles: Sequence[str],
    content: str,
    *,
    audit: Auditor,
    encode: str,
    start_time: datetime | None = None,
    templet_code: str = "",
    variables: dict | None = None,
    soap_password: str | None = None,
    duplicate_window_s: float = 0.0,
    again: bool = False,
) -> SendResult:
    """Send once (through the WebService when ``soap_password`` is given).  The audit trail
    says it first (:func:`.acting.act`), then the outbox row goes ``sending`` →
    ``accepted``/``unknown``/``failed``.  With ``duplicate_window_s``, a number that got the
    same text within it refuses the send (:class:`~..store.duplicates.Duplicate`), checked
    in the transaction that writes the pending entry; ``again``: the person overrode that
    check (``--again``), which the audit entry says."""
    form = "json" if templet_code else "soap" if soap_password is not None else "params"

    async def go() -> SendResult:
        oid = await asyncio.to_thread(
            store_outbox.outbox_add, store, mobiles, content, encode, form, parts(content) or 1
        )
        try:
            if soap_password is not None:
                result = await client.send_soap(mobiles, content, soap_password)
            else:
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

    key = text_key(content, templet_code, variables)
    wanted = [(mobile, key) for mobile in mobiles]

    def guard() -> None:
        refuse_recent(store, wanted, duplicate_window_s)

    args = {"encode": encode, "form": form, "parts": parts(content) if content else 1}
    if start_time is not None:
        args["start_time"] = start_time.isoformat()
    if again:
        args["again"] = True
    return await act(
        audit,
        "template" if templet_code else "send",
        go,
        mobiles=list(mobiles),
        text="" if templet_code else content,
        template=templet_code,
        variables=variables,
        args=args,
        guard=guard if duplicate_window_s > 0 else None,
    )
