"""The account as it was at a past moment ("time-travel"), from the platform's times.

At ``at``, a window holds the messages *sent* in it (``records.sent_at``, to the minute, as
the live numbers), counted delivered or failed by the reports whose platform report time
(``reports.reported_at``; the cache's receipt when the platform gave none) is in ``at``'s
minute or before, and pending otherwise.  So the numbers do not depend on when the cache
happened to pull the rows: a record pulled an hour later still counts as sent then.

They are the live rollups of the window minus the late rollups (:mod:`.rollup`) of its send
minutes reported after ``at``: the same per-minute reads as the live summary plus the late
rows of the window, so a past moment costs about what now costs.  ``known_now=True`` counts
every report cached since (the live rollups alone).  At or after the present, nothing can
have been reported later, so the numbers are the live ones exactly.
"""

from __future__ import annotations

import time

from .db import Store
from .queries import BalanceView, Summary, balance, prefixes, series, summarise, summary


def _live(at: float, known_now: bool) -> bool:
    return known_now or at >= time.time()


def _window(window_s: float, at: float) -> tuple[int, int]:
    return int((at - window_s) // 60), int(at // 60)


def summary_at(store: Store, window_s: float, at: float, known_now: bool = False) -> Summary:
    """:func:`queries.summary` for the window ending at ``at``, as known then."""
    if _live(at, known_now):
        return summary(store, window_s, at)
    lo, hi = _window(window_s, at)
    with store.read():
        counts = _sums(
            store,
            "SELECT status AS k, sum(n) AS n FROM rollup WHERE minute BETWEEN ?1 AND ?2 "
            "GROUP BY status",
            "SELECT status AS k, sum(n) AS n FROM rollup_late WHERE minute BETWEEN ?1 AND ?2 "
            "AND rminute > ?2 GROUP BY status",
            (lo, hi),
        )
        hist = _sums(
            store,
            "SELECT bucket AS k, sum(n) AS n FROM latency WHERE minute BETWEEN ?1 AND ?2 "
            "GROUP BY bucket",
            "SELECT bucket AS k, sum(n) AS n FROM latency_late WHERE minute BETWEEN ?1 AND ?2 "
            "AND rminute > ?2 GROUP BY bucket",
            (lo, hi),
        )
    return summarise(window_s, counts, hist)


def _sums(store: Store, known: str, late: str, params: tuple) -> dict:
    """``known`` minus ``late``, both ``(k, n)`` rows."""
    out = {r["k"]: r["n"] for r in store.query(known, params)}
    for r in store.query(late, params):
        out[r["k"]] = out.get(r["k"], 0) - r["n"]
    return out


def _less_late(store: Store, window_s: float, at: float, key: str, rows: list[dict]) -> list[dict]:
    """``rows`` (live, by ``key``) less the reports of the window that came after ``at``."""
    lo, hi = _window(window_s, at)
    late = store.query(
        f"SELECT {key}, sum(CASE WHEN status = 'DELIVRD' THEN n ELSE 0 END) AS delivered, "
        "sum(CASE WHEN status != 'DELIVRD' THEN n ELSE 0 END) AS failed FROM rollup_late "
        f"WHERE minute BETWEEN ?1 AND ?2 AND rminute > ?2 GROUP BY {key}",
        (lo, hi),
    )
    by_key = {r[key]: r for r in late}
    return [
        row
        | {
            "delivered": row["delivered"] - less["delivered"],
            "failed": row["failed"] - less["failed"],
        }
        if (less := by_key.get(row[key]))
        else row
        for row in rows
    ]


def series_at(store: Store, window_s: float, at: float, known_now: bool = False) -> list[dict]:
    """:func:`queries.series` ending at ``at``, each minute's reports as known then."""
    rows = series(store, window_s, at)
    return rows if _live(at, known_now) else _less_late(store, window_s, at, "minute", rows)


def prefixes_at(store: Store, window_s: float, at: float, known_now: bool = False) -> list[dict]:
    """:func:`queries.prefixes` for the window ending at ``at``, as known then."""
    rows = prefixes(store, window_s, at)
    return rows if _live(at, known_now) else _less_late(store, window_s, at, "prefix", rows)


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
    """Per send minute of the window ending at ``at`` (the minutes :func:`summary_at` sums):
    ``{"counts": {status: n} (SENT too), "hist": {latency bucket: n}}`` as known then."""
    lo, hi = _window(window_s, at)
    live = _live(at, known_now)
    out: dict[int, dict[str, dict]] = {}

    def add(minute: int, part: str, key, n: int) -> None:
        slot = out.setdefault(minute, {"counts": {}, "hist": {}})[part]
        slot[key] = slot.get(key, 0) + n

    with store.read():
        for r in store.query(
            "SELECT minute, status, n FROM rollup WHERE minute BETWEEN ? AND ?", (lo, hi)
        ):
            add(r["minute"], "counts", r["status"], r["n"])
        for r in store.query(
            "SELECT minute, bucket, n FROM latency WHERE minute BETWEEN ? AND ?", (lo, hi)
        ):
            add(r["minute"], "hist", r["bucket"], r["n"])
        if not live:
            for r in store.query(
                "SELECT minute, status, sum(n) AS n FROM rollup_late WHERE minute BETWEEN ?1 "
                "AND ?2 AND rminute > ?2 GROUP BY 1, 2",
                (lo, hi),
            ):
                add(r["minute"], "counts", r["status"], -r["n"])
            for r in store.query(
                "SELECT minute, bucket, sum(n) AS n FROM latency_late WHERE minute BETWEEN ?1 "
                "AND ?2 AND rminute > ?2 GROUP BY 1, 2",
                (lo, hi),
            ):
                add(r["minute"], "hist", r["bucket"], -r["n"])
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
    bucket 0 starting at ``start``'s minute, up to ``end``'s minute, as known at ``end``
    (the timeline: a week of minutes summed in SQL to a screen's width)."""
    lo, hi, width = int(start // 60), int(end // 60), max(int(bucket_s // 60), 1)
    out: dict[int, dict[str, int]] = {}
    sql = (
        "SELECT (minute - ?1) / ?3 AS k, status, sum(n) AS n FROM {table} "
        "WHERE minute BETWEEN ?1 AND ?2{late} GROUP BY 1, 2"
    )
    with store.read():
        known = store.query(sql.format(table="rollup", late=""), (lo, hi, width))
        late = (
            []
            if _live(end, known_now)
            else store.query(
                sql.format(table="rollup_late", late=" AND rminute > ?2"), (lo, hi, width)
            )
        )
    for sign, rows in ((1, known), (-1, late)):
        for r in rows:
            slot = out.setdefault(r["k"], {})
            slot[r["status"]] = slot.get(r["status"], 0) + sign * r["n"]
    return out
