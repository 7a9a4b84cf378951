"""An account's sub-accounts (§11) with their billing, as the sub-accounts job cached them.

The sub-accounts job (:mod:`fivec_tui.sync.jobs.subaccounts`) replaces the ``subaccounts``
table on each run with what ``action=billing`` (today and this month) and ``action=info``
(locked or not) said; the screens read it with :func:`subaccounts`, never the platform.
Counts are the platform's own, per kind (domestic SMS, international SMS, MMS, voice), in the
units its balances are kept in: that is the spend the document gives (it has no prices).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from .db import Store

KINDS = ("domestic", "international", "mms", "voice")


@dataclass
class SubAccount:
    """One row of ``action=billing`` with its ``action=info`` status.

    ``main``: the account itself (billing lists it first); ``locked`` is None when unknown
    (the main account, or an ``info`` that failed: ``status`` then says why).  ``today`` and
    ``month``: sent counts by kind since local midnight and since the 1st (Beijing time);
    ``balances``: kind -> ``{"total", "remaining"}``.
    """

    username: str
    main: bool = False
    locked: bool | None = None
    status: str = ""
    today: dict[str, int] = field(default_factory=dict)
    month: dict[str, int] = field(default_factory=dict)
    balances: dict[str, dict[str, float]] = field(default_factory=dict)
    checked_at: float = 0.0

    @property
    def sent_today(self) -> int:
        return sum(self.today.values())

    @property
    def sent_month(self) -> int:
        return sum(self.month.values())

    @property
    def remaining(self) -> float | None:
        """Domestic SMS balance left (the balance ``fivec-tui balance`` shows)."""
        quota = self.balances.get("domestic")
        return quota["remaining"] if quota else None

    def as_json(self) -> dict:
        return asdict(self) | {"sent_today": self.sent_today, "sent_month": self.sent_month}


_COLUMNS = "username, main, locked, status, checked_at, " + ", ".join(
    f"today_{k}, month_{k}, total_{k}, remaining_{k}" for k in KINDS
)


def replace_subaccounts(store: Store, rows: Iterable[SubAccount], now: float | None = None) -> int:
    """The account's sub-accounts are now ``rows``: others (deleted on the platform) go."""
    now = time.time() if now is None else now
    values = []
    for r in rows:
        row = [r.username, int(r.main), None if r.locked is None else int(r.locked), r.status, now]
        for k in KINDS:
            quota = r.balances.get(k) or {}
            row += [
                r.today.get(k, 0),
                r.month.get(k, 0),
                quota.get("total"),
                quota.get("remaining"),
            ]
        values.append(row)
    marks = ", ".join("?" * (5 + 4 * len(KINDS)))
    with store.transaction() as conn:
        conn.execute("DELETE FROM subaccounts")
        conn.executemany(f"INSERT INTO subaccounts({_COLUMNS}) VALUES ({marks})", values)
    return len(values)


def subaccounts(store: Store) -> list[SubAccount]:
    """The account first, then its sub-accounts by name, as last pulled."""
    out = []
    for r in store.query(f"SELECT {_COLUMNS} FROM subaccounts ORDER BY main DESC, username"):
        balances = {
            k: {"total": r[f"total_{k}"], "remaining": r[f"remaining_{k}"]}
            for k in KINDS
            if r[f"total_{k}"] is not None
        }
        out.append(
            SubAccount(
                r["username"],
                bool(r["main"]),
                None if r["locked"] is None else bool(r["locked"]),
                r["status"] or "",
                {k: r[f"today_{k}"] for k in KINDS},
                {k: r[f"month_{k}"] for k in KINDS},
                balances,
                r["checked_at"],
            )
        )
    return out
