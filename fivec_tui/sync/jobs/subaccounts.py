"""The account's sub-accounts (§11): billing today and this month, and each one's status.

Two ``action=billing`` reads (since midnight and since the 1st, Beijing time: the platform's
day) list the account and every sub-account with its sent counts and balances; one
``action=info`` per sub-account says whether it is locked.  All repeatable reads, so a run
that fails loses nothing: the table keeps the last good pull.  Slow by default (every
10 minutes, ``intervals.subaccounts``): the overview reads the cache, never the platform.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from typing import TYPE_CHECKING

from ...api import BillingEntry, PlatformError
from ...api.wire import BEIJING
from ...store.subaccounts import SubAccount, replace_subaccounts

if TYPE_CHECKING:
    from ...api.client import FivecClient
    from ..engine import Engine

log = logging.getLogger("fivec_tui.sync")
INTERVAL_S = 600.0


def locked_from(message: str) -> bool | None:
    """``Account is normal`` -> False, ``Account is locked`` -> True; None for anything else."""
    text = message.lower()
    if "lock" in text:
        return "unlock" not in text
    return False if "normal" in text else None


async def status_of(client: FivecClient, child: str) -> tuple[bool | None, str]:
    """Locked or not, and the platform's words; a refusal for this one sub-account is its
    status (the others are still asked), a network error fails the run."""
    try:
        answer = await client.user_info(child, status=True)
    except PlatformError as exc:
        return None, str(exc)
    return locked_from(answer.message), answer.message


def _entries(rows: list) -> dict[str, BillingEntry]:
    out = {}
    for row in rows:
        if isinstance(row, BillingEntry):
            out[row.username] = row
        else:  # a repeatable read: the next run asks again; said, not stored
            log.warning("billing: unreadable entry %r: %s", row.raw[:200], row.reason)
    return out


async def pull(client: FivecClient, main: str, now: datetime | None = None) -> list[SubAccount]:
    """The account and its sub-accounts as the platform reports them now."""
    now = (now or datetime.now(BEIJING)).astimezone(BEIJING)
    midnight = now.replace(hour=0, minute=0, second=0, microsecond=0)
    today = _entries(await client.billing(midnight, now))
    month = _entries(await client.billing(midnight.replace(day=1), now))
    names = sorted(set(today) | set(month), key=lambda n: (n != main, n))
    out = []
    for name in names:
        entry = today.get(name) or month[name]
        sub = SubAccount(
            name,
            main=name == main,
            today=dict(today[name].sent) if name in today else {},
            month=dict(month[name].sent) if name in month else {},
            balances={
                kind: {"total": float(q.total), "remaining": float(q.remaining)}
                for kind, q in entry.balances.items()
            },
        )
        if not sub.main:
            sub.locked, sub.status = await status_of(client, name)
        out.append(sub)
    return out


async def run(engine: Engine) -> int:
    rows = await pull(engine.client, engine.profile.username)
    return await asyncio.to_thread(replace_subaccounts, engine.store, rows)
