"""Forwarder: relays pushed bodies to the customer's own push URLs through a durable queue.

Each body goes to every downstream URL in arrival order, retried with backoff, so nothing
downstream loses a report while this tool sits in the middle.  The URLs are the customer's
and may hold credentials: logs and stored errors show them through :func:`mask_url`.
"""

from __future__ import annotations

import asyncio
import logging
import time

import httpx

from ..api.redact import mask_url, mask_urls
from ..store import Store
from ..store.forward_queue import forward_done, forward_failed, forward_queued

log = logging.getLogger("fivec_tui.forward")


class Forwarder:
    """Relays queued push bodies downstream, per target in arrival order."""

    def __init__(self, store: Store, timeout: float = 10.0) -> None:
        self.store = store
        self.http = httpx.AsyncClient(timeout=timeout)

    async def run_once(self) -> int:
        rows = await asyncio.to_thread(forward_queued, self.store, 200)
        now, sent, blocked = time.time(), 0, set()
        for row in rows:
            target = row["target"]
            if target in blocked:
                continue
            if row["next_at"] and row["next_at"] > now:
                blocked.add(target)  # keep order: nothing later goes before this one
                continue
            try:
                r = await self.http.post(target, data={"data": row["body"]})
                error = "" if r.status_code == 200 else f"HTTP {r.status_code}"
            except (httpx.HTTPError, httpx.InvalidURL) as exc:  # InvalidURL: not an HTTPError
                error = mask_urls(f"{type(exc).__name__}: {exc}")
            if error:
                delay = min(2 ** min(row["attempts"], 8), 300)
                await asyncio.to_thread(
                    forward_failed, self.store, row["id"], error, now + delay
                )
                blocked.add(target)
                log.warning(
                    "forward to %s failed (%s); retry in %ss", mask_url(target), error, delay
                )
            else:
                await asyncio.to_thread(forward_done, self.store, row["id"])
                sent += 1
        return sent

    async def aclose(self) -> None:
        await self.http.aclose()
