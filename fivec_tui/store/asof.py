"""The account as it was at a past moment ("time-travel"), from the platform's times.

At ``at``, a window holds the messages *sent* in it, to the second (``records.sent_at``, as
the live numbers), counted delivered or failed by the reports whose platform report time
(``reports.reported_at``; the cache's receipt when the platform gave none) is at ``at`` or
before, and pending otherwise (:mod:`.windows`).  So the numbers do not depend on when the
cache happened to pull the rows: a record pulled an hour later still counts as sent then.
``known_now=True`` counts every report cached since.  At or after the present, nothing can
have been reported later, so the numbers are the live ones exactly.
"""

from __future__ import annotations

import time

from . import windows
from .db import Store
from .queries import BalanceView, Summary, balance, by_minute, by_prefix, flat, summarise


def known_at(at: float, known_now: bool) -> float | None:
    """The moment reports must be known by to count at ``at``; None: every report cached."""
    return None if known_now or at >= time.time() else at


def summary_at(
    store: Store, window_s: float, at: float, known_now: bool = False, memo: dict | None = None
) -> Summary:
    """:func:`queries.summary` for the window ending at ``at``, as known then."""
    c, hist = windows.counts(store, at - window_s, at, known_at(at, known_now), memo=memo)
    return summarise(window_s, flat(c), flat(hist))


def series_at(
    store: Store, window_s: float, at: float, known_now: bool = False, memo: dict | None = None
) -> list[dict]:
    """:func:`queries.series` ending at ``at``, each minute's reports as known then."""
    start = at - window_s
    c, _hist = windows.counts(store, start, at, known_at(at, known_now), "minute", False, memo)
    return by_minute(c, start, at)


def prefixes_at(
    store: Store, window_s: float, at: float, known_now: bool = False, memo: dict | None = None
) -> list[dict]:
    """:func:`queries.prefixes` for the window ending at ``at``, as known then."""
    known = known_at(at, known_now)
    c, _hist = windows.counts(store, at - window_s, at, known, "prefix", False, memo)
    return by_prefix(c)


def balance_at(store: Store, window_s: float, at: float) -> BalanceView:
    """The balance as last pulled at or before ``at``, and the burn over the window then."""
    if at >= time.time():
        return balance(store, window_s, at)
    return balance(store, window_s, at, until=at)


def replies_at(store: Store, at: float, limit: int = 12) -> list[dict]:
    """The newest replies received (platform time) at or before ``at``."""
    return store.query(
        "SELECT id, mobile, content, ext, reply_id, received_at, opt_out, clean FROM replies "
        "WHERE received_at <= ? ORDER BY received_at DESC LIMIT ?",
        (at, limit),
    )


def reports_at(store: Store, at: float, limit: int = 12, horizon_s: float = 3600) -> list[dict]:
    """Reports known at ``at`` for the newest messages sent before it (the live feed then)."""
    return store.query(
        "SELECT p.id, p.msgid, p.mobile, p.status, p.ext, p.reported_at, r.sent_at, "
        "p.reported_at - r.sent_at AS latency FROM records r "
        "JOIN reports p ON p.msgid = r.msgid AND p.mobile = r.mobile "
        "WHERE r.sent_at BETWEEN ? AND ? AND coalesce(p.reported_at, p.cached_at) <= ? "
        "ORDER BY r.sent_at DESC LIMIT ?",
        (at - horizon_s, at, at, limit),
    )


def alerts_firing(store: Store, at: float) -> list[dict]:
    """Alerts firing at ``at``: per rule, the last event at or before it, unless resolved.

    Each with ``since``, when that firing began (its first ``firing`` event).
    """
    rows = store.query(
        "SELECT a.*, (SELECT max(f.at) FROM alerts f WHERE f.rule = a.rule AND f.state = 'firing' "
        "AND f.at <= a.at) AS since FROM alerts a "
        "WHERE a.id IN (SELECT max(id) FROM alerts WHERE at <= ? GROUP BY rule) "
        "AND a.state != 'resolved' ORDER BY a.at",
        (at,),
    )
    return rows


def alert_events(store: Store, start: float, end: float) -> list[dict]:
    """Alert events (fired, repeated, resolved) between ``start`` and ``end``, oldest first."""
    return store.query(
        "SELECT * FROM alerts WHERE at BETWEEN ? AND ? ORDER BY at, id LIMIT 1000", (start, end)
    )


def minutes_at(
    store: Store, window_s: float, at: float, known_now: bool = False
) -> dict[int, dict[str, dict]]:
    """Per send minute of the window ending at ``at`` (the rows :func:`summary_at` sums):
    ``{"counts": {status: n} (SENT too), "hist": {latency bucket: n}}`` as known then."""
    c, hist = windows.counts(store, at - window_s, at, known_at(at, known_now), "minute")
    out: dict[int, dict[str, dict]] = {}
    for part, table in (("counts", c), ("hist", hist)):
        for (minute, what), n in table.items():
            out.setdefault(minute, {"counts": {}, "hist": {}})[part][what] = n
    return out


def replies_between(store: Store, start: float, end: float) -> dict[str, int]:
    """Replies received (platform time) from ``start`` to ``end``, and the opt-outs among them."""
    row = store.query(
        "SELECT count(*) AS replies, coalesce(sum(opt_out), 0) AS opt_outs FROM replies "
        "WHERE received_at BETWEEN ? AND ?",
        (start, end),
    )[0]
    return {"replies": row["replies"], "opt_outs": row["opt_outs"]}


def buckets_at(
    store: Store, start: float, end: float, bucket_s: float, known_now: bool = False
) -> dict[int, dict[str, int]]:
    """Counts by status (``SENT`` too) per bucket of ``bucket_s`` seconds of send minutes,
    bucket 0 starting at ``start``'s minute, up to ``end``'s minute (the timeline: a week of
    minutes summed in SQL to a screen's width).

    Each bucket as it was at its own end (its last second: the platform's times are whole
    seconds), what the dashboard showed at that moment; ``known_now``: with every report
    cached.
    """
    lo, hi, width = int(start // 60), int(end // 60), max(int(bucket_s // 60), 1)
    out: dict[int, dict[str, int]] = {}
    sql = (
        "SELECT (minute - ?1) / ?3 AS k, status, sum(n) AS n FROM {table} "
        "WHERE minute BETWEEN ?1 AND ?2 AND status != 'PARTS'{late} GROUP BY 1, 2"
    )
    after = " AND rminute > ?1 + ((minute - ?1) / ?3 + 1) * ?3 - 1"  # the bucket's last minute
    with store.read():
        known = store.query(sql.format(table="rollup", late=""), (lo, hi, width))
        late = (
            []
            if known_now
            else store.query(sql.format(table="rollup_late", late=after), (lo, hi, width))
        )
    for sign, rows in ((1, known), (-1, late)):
        for r in rows:
            slot = out.setdefault(r["k"], {})
            slot[r["status"]] = slot.get(r["status"], 0) + sign * r["n"]
    return out
