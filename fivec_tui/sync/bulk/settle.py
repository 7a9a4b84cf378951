"""Settling requests whose answer never came, from the platform's send records (§5.1).

A row of an unknown request is *sent* when the records, read by time window from shortly
before the request went out, hold its number with its text (template sends: its number, the
platform renders the text); the others are *unsent* and planned again.  Nothing is settled as
unsent while the request is younger than ``settle_after_s`` (the records may lag the send) or
when part of the records answer could not be read (the missing piece may hold the row).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ...api import Record
from ...api.errors import UnreadableAnswer
from ...store import Store
from ...store import campaigns as journal

if TYPE_CHECKING:
    from ...api.client import FivecClient

#: Clock difference allowed between this machine and the platform.
SKEW_S = 120.0


@dataclass
class Settled:
    sent: int = 0
    unsent: int = 0
    waiting: int = 0  # rows of requests too young to settle, or with unreadable records

    def as_json(self) -> dict:
        return dict(self.__dict__)


async def settle_unknown(
    store: Store,
    client: FivecClient,
    cid: int,
    *,
    settle_after_s: float = 60.0,
    now: float | None = None,
) -> Settled:
    now = time.time() if now is None else now
    out = Settled()
    pending = await asyncio.to_thread(journal.unknown_requests, store, cid)
    ripe = []
    for req in pending:
        went = req["sent_at"] or req["created_at"]
        if went + settle_after_s <= now:
            ripe.append(req)
        else:
            out.waiting += req["n"]
    if not ripe:
        return out
    start = min(r["sent_at"] or r["created_at"] for r in ripe) - SKEW_S
    try:
        items = await client.records(
            datetime.fromtimestamp(start, UTC), datetime.fromtimestamp(now + SKEW_S, UTC)
        )
    except UnreadableAnswer:  # a page or garbage instead of the records: nothing settles
        out.waiting += sum(r["n"] for r in ripe)
        return out
    complete = all(isinstance(i, Record) for i in items)
    seen: dict[str, list[Record]] = {}
    for rec in items:
        if isinstance(rec, Record):
            for mobile in rec.mobiles:
                seen.setdefault(mobile, []).append(rec)
    for req in ripe:
        went = (req["sent_at"] or req["created_at"]) - SKEW_S
        rows = await asyncio.to_thread(journal.request_rows, store, req["id"])
        sent = {}
        for row in rows:
            msgid = _match(seen.get(row["mobile"], ()), row["content"], went, req["kind"])
            if msgid is not None:
                sent[row["row"]] = msgid
        if not complete and len(sent) < len(rows):
            out.waiting += len(rows)  # an unreadable record may be one of these: wait
            continue
        unsent = await asyncio.to_thread(journal.settle, store, req["id"], sent, req["kind"])
        out.sent += len(rows) - unsent
        out.unsent += unsent
    return out


def _match(records, content: str, after: float, kind: str) -> str | None:
    for rec in records:
        if rec.sent_at is not None and rec.sent_at.timestamp() < after:
            continue
        if kind == "template" or rec.content.strip() == (content or "").strip():
            return rec.msgid
    return None
