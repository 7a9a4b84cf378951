"""One account at a glance, from its cache alone: what an Accounts overview shows per row.

Every number comes from the cache with the queries the dashboard, ``stats`` and the metrics
use, so the overview never waits on a platform and agrees with them; a failing account keeps
its last good numbers and says why (:func:`~.diagnosis.cached_problem`).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field

from ..store import Store, asof, queries
from ..store.codes import by_family
from .alerts import ACTIVE_KEY
from .diagnosis import cached_problem


@dataclass
class Overview:
    """``firing``: ids (``rule:key``) of the alerts firing now; ``problem``: ``(reason,
    "job: error")`` when a job's last run failed (reason one of
    :data:`~.diagnosis.REASONS`, English: show it with ``_()``), else None."""

    profile: str
    rate_5m: float | None = None
    rate_1h: float | None = None
    sent_1h: int = 0
    pending_1h: int = 0
    failures_1h: dict[str, int] = field(default_factory=dict)  # by family
    balance: float | None = None
    runs_out_in_s: float | None = None
    firing: list[str] = field(default_factory=list)
    problem: tuple[str, str] | None = None


def overview(
    profile: str,
    store: Store | None,
    now: float | None = None,
    at: float | None = None,
    known_now: bool = False,
) -> Overview:
    """``profile``'s row; an account without a cache yet (``store`` None) is all unknown.

    ``at``: its numbers, balance and firing alerts as they were then (time-travel, see
    :mod:`~fivec_tui.store.asof`); ``problem`` stays the sync's now."""
    row = Overview(profile)
    if store is None:
        return row
    now = time.time() if now is None else now
    if at is None:
        last_5m, last_1h = queries.summaries(store, (300, 3600), now)
        b = queries.balance(store, 3600, now)
    else:
        last_5m, last_1h = (asof.summary_at(store, w, at, known_now) for w in (300, 3600))
        b = asof.balance_at(store, 3600, at)
    row.rate_5m, row.rate_1h = last_5m.delivery_rate, last_1h.delivery_rate
    row.sent_1h, row.pending_1h = last_1h.sent, last_1h.pending
    row.failures_1h = by_family(last_1h.failures)
    row.balance, row.runs_out_in_s = b.remaining, b.runs_out_in_s
    if at is None:
        try:
            active = json.loads(store.get_setting(ACTIVE_KEY, "{}") or "{}")
        except ValueError:  # a hand-edited cache: said as no alert rather than a crash
            active = {}
        row.firing = sorted(active) if isinstance(active, dict) else []
    else:
        row.firing = sorted({a["rule"] for a in asof.alerts_firing(store, at)})
    row.problem = cached_problem(store)
    return row


def worst_first(rows: list[Overview]) -> list[Overview]:
    """Firing alerts first (most first), then failing accounts, then the lowest 1 h rate
    (an account with nothing to judge counts as fine), then by name."""
    return sorted(
        rows,
        key=lambda r: (
            -len(r.firing),
            r.problem is None,
            1.0 if r.rate_1h is None else r.rate_1h,
            r.profile,
        ),
    )
