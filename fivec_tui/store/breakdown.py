"""The numbers beside the headline ones: per carrier (with burn rates against the delivery
objective), per message group (signature, template, campaign), what was spent, and the same
window a week earlier.

Every window is exact to the second and, with ``known_at``, as it was known then
(:mod:`.windows`); message groups are counted as known now only.
"""

from __future__ import annotations

import itertools
import math
import time

from ..api.carriers import CARRIERS, NAMES
from ..i18n import _
from . import optouts, windows
from .db import Store
from .groups import names
from .queries import Summary, flat, split, summarise

WEEK_S = 7 * 86400
#: The burn-rate windows ``stats --json`` gives per carrier (the page alert's pair).
BURN_WINDOWS = {"burn_1h": 3600, "burn_5m": 300}
#: What a breakdown can be by (``stats --by``).
BY = ("carrier", "signature", "template", "campaign")
_KEYS = ("sent", "delivered", "failed", "pending")


def burn(s: Summary | None, objective: float) -> float | None:
    """The share of finished messages that failed over the share ``objective`` allows: at 1
    the error budget lasts exactly the SLO window.  None without a finished message."""
    if s is None or not s.delivered + s.failed:
        return None
    return s.failed / (s.delivered + s.failed) / (1 - objective)


def row(s: Summary) -> dict:
    """A breakdown's row: counts, rate and latency percentiles."""
    return {k: getattr(s, k) for k in _KEYS} | {
        "rate": s.delivery_rate,
        "latency_p50_s": s.latency_p50_s,
        "latency_p95_s": s.latency_p95_s,
        "latency_p99_s": s.latency_p99_s,
    }


def carriers(
    store: Store,
    window_s: float,
    now: float | None = None,
    known_at: float | None = None,
    objective: float = 0.97,
    memo: dict | None = None,
) -> dict[str, dict]:
    """Per carrier id with messages or opt-outs in the window or messages in the burn
    windows: :func:`row`, its opt-outs (:mod:`.optouts`), and the burn rate over the last
    hour and five minutes (``burn_1h``, ``burn_5m``)."""
    now = time.time() if now is None else now
    memo = {} if memo is None else memo

    def per(seconds: float, latency: bool) -> dict:
        counts, hist = windows.counts(store, now - seconds, now, known_at, "carrier", latency, memo)
        return split(seconds, counts, hist)

    main = per(window_s, True)
    burns = {name: per(seconds, False) for name, seconds in BURN_WINDOWS.items()}
    opted = optouts.attributed(store, "carrier", now - window_s, now)
    out = {}
    for carrier in CARRIERS:
        if carrier in main or carrier in opted or any(carrier in b for b in burns.values()):
            s = main.get(carrier) or Summary(int(window_s))
            out[carrier] = (
                row(s)
                | {"opt_outs": opted.get(carrier, 0)}
                | {name: burn(b.get(carrier), objective) for name, b in burns.items()}
            )
    return out


def group_label(by: str, name: str) -> str:
    """A breakdown row's name as people read it: a carrier's name, "no campaign" for the
    messages of none (``0``), "none" for no signature or template; the name itself (outside
    text: the caller escapes it) otherwise.  JSON keeps the ids."""
    if by == "carrier" and name in NAMES:
        return _(NAMES[name])
    if by == "campaign" and name in ("0", ""):
        return _("no campaign")
    return name or _("none")


def groups(store: Store, by: str, window_s: float, now: float | None = None) -> dict[str, dict]:
    """Per signature, template or campaign (``by``), most sent first: :func:`row` and its
    opt-outs (:mod:`.optouts`).  A campaign is named by its id ("0": messages of no
    campaign)."""
    now = time.time() if now is None else now
    counts, hist = windows.counts(store, now - window_s, now, by="group")
    named = names(store, {k for k, _ in counts})
    merged: dict[str, tuple[dict, dict]] = {}
    for table, at in ((counts, 0), (hist, 1)):
        for (grp, what), n in table.items():
            name = str(named.get(grp, {}).get(by, ""))
            part = merged.setdefault(name, ({}, {}))[at]
            part[what] = part.get(what, 0) + n
    opted = optouts.attributed(store, by, now - window_s, now)
    for name in opted.keys() - merged.keys():
        merged[name] = ({}, {})
    rows = {
        name: row(summarise(window_s, c, h)) | {"opt_outs": opted.get(name, 0)}
        for name, (c, h) in merged.items()
    }
    return dict(sorted(rows.items(), key=lambda kv: (-kv[1]["sent"], kv[0])))


def cost(
    store: Store,
    window_s: float,
    now: float | None = None,
    known_at: float | None = None,
    memo: dict | None = None,
) -> dict:
    """Parts billed for the window's messages, the balance spent over the same window
    (:func:`spent`; ``spent_since`` when the balance was first seen inside it), what a
    delivered message of it cost (``per_delivered``; None with none delivered, no snapshots,
    or a balance seen over part of the window only), and when the balance runs out at the last hour's burn
    (``runs_out_in_s``, as :func:`.queries.balance` has it; None without a burn)."""
    from .queries import balance

    now = time.time() if now is None else now
    counts, _ = windows.counts(
        store, now - window_s, now, known_at, latency=False, memo=memo, parts=True
    )
    parts, delivered = counts.get(("", "PARTS"), 0), counts.get(("", "DELIVRD"), 0)
    used = spent(store, now - window_s, now, known_at)
    since = _since(store, now - window_s, now)
    # the balance seen over only part of the window: its spend against the whole window's
    # deliveries would understate the cost of each
    per = used / delivered if used is not None and delivered and since is None else None
    runs_out = balance(store, 3600, now, until=now).runs_out_in_s
    return {
        "parts": parts,
        "spent": used,
        "spent_since": since,
        "per_delivered": per,
        "runs_out_in_s": runs_out,
    }


def _since(store: Store, start: float, end: float) -> float | None:
    """When the balance was first seen in ``(start, end]``, when no snapshot is as old as
    ``start`` (a cache younger than the window): what ``spent`` counts from.  None when the
    snapshots cover the window."""
    if store.scalar("SELECT 1 FROM balance WHERE at <= ? LIMIT 1", (start,)):
        return None
    return store.scalar("SELECT min(at) FROM balance WHERE at > ? AND at <= ?", (start, end))


def spent(store: Store, start: float, end: float, known_at: float | None = None) -> float | None:
    """The balance's falls over ``(start, end]`` (recharges excluded), the level at each
    edge taken on the line between the snapshots around it, so that a fall that straddles
    an edge counts for its part inside; from the first snapshot inside when none is before
    ``start``; with ``known_at``, of the snapshots taken by then only.  None without a
    snapshot by ``end``."""
    q = "SELECT at, remaining FROM balance WHERE at {} ? AND at <= ? ORDER BY at {}, id {} {}"
    before = store.conn.execute(q.format(">=", "DESC", "DESC", "LIMIT 1"), (-math.inf, start))
    within = store.conn.execute(q.format(">", "", "", ""), (start, end))
    upto = math.inf if known_at is None else known_at
    after = store.conn.execute(q.format(">", "", "", "LIMIT 1"), (end, upto))
    levels = _without_dips([*before.fetchall(), *within.fetchall(), *after.fetchall()])
    inside = [(at, level) for at, level in levels if at <= end]
    if not inside:
        return None
    if levels[0][0] <= start and len(levels) > 1:  # the level at start, between two snapshots
        levels[0] = (start, _between(levels[0], levels[1], start))
    if levels[-1][0] > end:  # the level at end, between the last inside and the next
        levels[-1] = (end, _between(levels[-2], levels[-1], end))
    return sum(max(a[1] - b[1], 0) for a, b in itertools.pairwise(levels))


#: A reading below both its neighbours, when the one after is back within this share of the
#: dip's depth of the one before, is a misreading (``0.000/30110.000`` for a moment), not a
#: spend followed by a recharge that happened to bring the balance back to where it was.
DIP = 0.1


def _without_dips(levels: list[tuple[float, float]]) -> list[tuple[float, float]]:
    """``levels`` without the misread ones (:data:`DIP`): one garbage answer counted the
    whole balance as spent, and hid the forecast, for an hour."""
    out = list(levels)
    i = 1
    while i < len(out) - 1:
        before, level, after = out[i - 1][1], out[i][1], out[i + 1][1]
        depth = before - level
        if depth > 0 and level < after <= before and before - after <= DIP * depth:
            del out[i]
        else:
            i += 1
    return out


def _between(a: tuple[float, float], b: tuple[float, float], at: float) -> float:
    """The level at ``at`` on the line from snapshot ``a`` to ``b`` (a recharge between
    them: ``a``'s, as no fall between them can be told from it)."""
    if b[1] > a[1] or b[0] <= a[0]:
        return a[1]
    return a[1] + (b[1] - a[1]) * (at - a[0]) / (b[0] - a[0])


def holds(store: Store, start: float, end: float | None = None) -> bool:
    """Whether the cache's rollups go back to ``start`` and hold a sent message between it
    and ``end``: a cache with a gap there (a copy, a poll stopped for days) has no week
    earlier to compare with, rather than a week of nothing."""
    oldest = store.scalar("SELECT min(minute) FROM rollup")
    if oldest is None or oldest > math.floor(start / 60):
        return False
    if end is None:
        return True
    return bool(
        store.scalar(
            "SELECT 1 FROM rollup WHERE minute BETWEEN ? AND ? LIMIT 1",
            (math.floor(start / 60), math.floor(end / 60)),
        )
    )


def _summary(
    store: Store, window_s: float, end: float, known_at: float | None, memo: dict | None = None
) -> Summary:
    counts, hist = windows.counts(store, end - window_s, end, known_at, memo=memo)
    return summarise(window_s, flat(counts), flat(hist))


def week_earlier(
    store: Store, window_s: float, now: float, known_at: float | None = None
) -> tuple[Summary, dict] | None:
    """The window ending a week before ``now`` (as known a week before ``known_at``; None:
    as known now): its summary and :func:`cost`, or None when the cache does not go back
    that far (the dashboard's week-ago column)."""
    then = now - WEEK_S
    if not holds(store, then - window_s, then):
        return None
    before, memo = None if known_at is None else known_at - WEEK_S, {}
    return _summary(store, window_s, then, before, memo), cost(store, window_s, then, before, memo)


def headline(
    store: Store,
    window_s: float,
    now: float,
    known_at: float | None = None,
    objective: float = 0.97,
    week: bool = True,
    memo: dict | None = None,
) -> dict:
    """What ``stats --json`` gives beside the window's summary: ``carriers``, ``cost`` and
    ``baseline``, the same keys (and the summary's) for the window a week earlier, as it was
    known a week before ``known_at`` (None: as known now), or None when the cache does not
    go back that far.  Its windows share one ``memo`` (:func:`windows.counts`): their edges
    are read once."""
    memo = {} if memo is None else memo
    out = {
        "carriers": carriers(store, window_s, now, known_at, objective, memo),
        "cost": cost(store, window_s, now, known_at, memo),
    }
    if week:
        then = now - WEEK_S
        out["baseline"] = None
        if holds(store, then - window_s, then):
            before = None if known_at is None else known_at - WEEK_S
            s = _summary(store, window_s, then, before, memo).as_json()
            out["baseline"] = s | headline(store, window_s, then, before, objective, False, memo)
    return out
