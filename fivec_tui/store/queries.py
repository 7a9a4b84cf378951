"""Reading the cache: everything the screens and the CLI show.

Window numbers come from the rollups (:mod:`.windows`), so they cost the same for ten
thousand or ten million cached reports.  Lists are paged in SQL; nothing returns an
unbounded table.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import asdict, dataclass, field

from . import windows
from .codes import describe
from .db import Store
from .rollup import percentile

PAGE = 200


@dataclass
class Summary:
    window_s: int
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    pending: int = 0
    delivery_rate: float | None = None
    latency_p50_s: float | None = None
    latency_p95_s: float | None = None
    latency_p99_s: float | None = None
    failures: dict[str, int] = field(default_factory=dict)

    def as_json(self) -> dict:
        return asdict(self)


def summary(
    store: Store, window_s: float = 3600, now: float | None = None, memo: dict | None = None
) -> Summary:
    """Delivery of the messages sent in the window ``(now - window_s, now]``, to the second:
    sent, delivered, failed, pending, rate, latency (see :mod:`.windows`, and its ``memo``).

    ``delivery_rate`` is delivered / (delivered + failed): messages still pending count
    neither way, so a burst just sent does not look like an outage.
    """
    now = time.time() if now is None else now
    counts, hist = windows.counts(store, now - window_s, now, memo=memo)
    return summarise(window_s, flat(counts), flat(hist))


def by_carrier(
    store: Store,
    window_s: float = 3600,
    now: float | None = None,
    memo: dict | None = None,
    latency: bool = True,
) -> dict[str, Summary]:
    """:func:`summary` per carrier id (:mod:`fivec_tui.api.carriers`: a hint, numbers can be
    ported), the carriers with messages in the window only."""
    now = time.time() if now is None else now
    counts, hist = windows.counts(
        store, now - window_s, now, by="carrier", latency=latency, memo=memo
    )
    return split(window_s, counts, hist)


def split(window_s: float, counts: dict[tuple, int], hist: dict[tuple, int]) -> dict:
    """Window counts by a key (:func:`windows.counts` by something) as a :class:`Summary`
    per key."""
    by_key: dict = {}
    for (key, status), n in counts.items():
        by_key.setdefault(key, ({}, {}))[0][status] = n
    for (key, bucket), n in hist.items():
        by_key.setdefault(key, ({}, {}))[1][bucket] = n
    return {key: summarise(window_s, c, h) for key, (c, h) in by_key.items()}


def summaries(
    store: Store, windows_s: tuple[float, ...], now: float | None = None
) -> list[Summary]:
    """:func:`summary` of each of ``windows_s`` (all ending now) without latencies: the
    Accounts overview reads two windows of every account each refresh."""
    now, memo = time.time() if now is None else now, {}  # the windows share their end
    return [
        summarise(w, flat(windows.counts(store, now - w, now, latency=False, memo=memo)[0]), {})
        for w in windows_s
    ]


def flat(counts: dict[tuple, int]) -> dict:
    """Window counts of one group (:func:`windows.counts` by nothing) by status or bucket."""
    return {what: n for (_key, what), n in counts.items()}


def summarise(window_s: float, counts: dict[str, int], hist: dict[int, int]) -> Summary:
    """A :class:`Summary` from counts by status (``SENT`` too) and latency buckets."""
    s = Summary(int(window_s))
    for status, n in counts.items():
        if status == "SENT":
            s.sent = n
        elif status == "DELIVRD":
            s.delivered = n
        elif n:
            s.failed += n
            s.failures[status] = n
    s.failures = dict(sorted(s.failures.items(), key=lambda kv: -kv[1]))
    s.pending = max(s.sent - s.delivered - s.failed, 0)
    finals = s.delivered + s.failed
    s.delivery_rate = s.delivered / finals if finals else None
    s.latency_p50_s = percentile(hist, 0.50)
    s.latency_p95_s = percentile(hist, 0.95)
    s.latency_p99_s = percentile(hist, 0.99)
    return s


def series(
    store: Store, window_s: float = 3600, now: float | None = None, memo: dict | None = None
) -> list[dict]:
    """Per send minute of the window: sent, delivered, failed, oldest first, gaps filled (the
    first and last minutes hold the part of them inside the window)."""
    now = time.time() if now is None else now
    counts, _hist = windows.counts(store, now - window_s, now, None, "minute", False, memo)
    return by_minute(counts, now - window_s, now)


def by_minute(counts: dict[tuple, int], start: float, end: float) -> list[dict]:
    """Window counts by minute as the rows of :func:`series`."""
    rows = {
        m: {"minute": m, "sent": 0, "delivered": 0, "failed": 0}
        for m in range(int(start // 60), int(end // 60) + 1)
    }
    for (minute, status), n in counts.items():
        row = rows[minute]
        column = {"SENT": "sent", "DELIVRD": "delivered"}.get(status, "failed")
        row[column] += n
    return list(rows.values())


def failure_breakdown(summary: Summary) -> list[dict]:
    """A summary's failures by code with family and meaning, most frequent first."""
    out = []
    for code, n in summary.failures.items():
        info = describe(code)
        out.append(
            {
                "status": code,
                "n": n,
                "family": info.family,
                "family_label": info.family_label,
                "meaning": info.meaning,
            }
        )
    return out


def prefixes(
    store: Store, window_s: float = 3600, now: float | None = None, memo: dict | None = None
) -> list[dict]:
    """Delivery by carrier prefix (a hint: numbers can be ported), most sent first."""
    now = time.time() if now is None else now
    counts, _hist = windows.counts(store, now - window_s, now, None, "prefix", False, memo)
    return by_prefix(counts)


def by_prefix(counts: dict[tuple, int]) -> list[dict]:
    """Window counts by prefix as the rows of :func:`prefixes` (the 50 most sent)."""
    rows: dict[str, dict] = {}
    for (prefix, status), n in counts.items():
        row = rows.setdefault(prefix, {"prefix": prefix, "sent": 0, "delivered": 0, "failed": 0})
        row[{"SENT": "sent", "DELIVRD": "delivered"}.get(status, "failed")] += n
    return sorted(rows.values(), key=lambda r: (-r["sent"], r["prefix"]))[:50]


def pending_older_than(
    store: Store, age_s: float, horizon_s: float = 86400, now: float | None = None
) -> int:
    """Recipients sent more than ``age_s`` ago (within the horizon) with no report yet.

    From the rollups, so it costs the same however many records the cache holds.
    """
    now = time.time() if now is None else now
    s = summary(store, horizon_s, now - age_s)
    return s.pending


def pending_recipients(
    store: Store,
    older_than_s: float,
    horizon_s: float = 86400,
    limit: int = 500,
    now: float | None = None,
) -> list[dict]:
    """Recipients still without a report ``older_than_s`` after sending (oldest first).

    These are what a crash mid-pull can leave behind; the engine re-queries them per number.
    """
    now = time.time() if now is None else now
    return store.query(
        "SELECT r.mobile, min(r.sent_at) AS first_sent FROM records r "
        "LEFT JOIN reports p ON p.msgid = r.msgid AND p.mobile = r.mobile "
        "WHERE p.id IS NULL AND r.sent_at BETWEEN ? AND ? "
        "GROUP BY r.mobile ORDER BY first_sent LIMIT ?",
        (now - horizon_s, now - older_than_s, limit),
    )


def _filters(filters: dict[str, str | None], columns: dict[str, str]) -> tuple[str, list]:
    clauses, params = [], []
    for key, value in filters.items():
        if value:
            clauses.append(columns[key])
            params.append(value if "LIKE" not in columns[key] else f"%{value}%")
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def recent_reports(
    store: Store,
    *,
    mobile: str | None = None,
    msgid: str | None = None,
    status: str | None = None,
    limit: int = PAGE,
    before_id: int | None = None,
) -> list[dict]:
    where, params = _filters(
        {
            "mobile": mobile,
            "msgid": msgid,
            "status": status,
            "before": before_id and str(before_id),
        },
        {
            "mobile": "p.mobile = ?",
            "msgid": "p.msgid = ?",
            "status": "p.status = ?",
            "before": "p.id < ?",
        },
    )
    return store.query(
        "SELECT p.id, p.msgid, p.mobile, p.status, p.ext, p.reported_at, r.sent_at, "
        "p.reported_at - r.sent_at AS latency, p.cached_at FROM reports p "
        "LEFT JOIN records r ON r.msgid = p.msgid AND r.mobile = p.mobile"
        f"{where} ORDER BY p.id DESC LIMIT ?",
        (*params, min(limit, PAGE * 5)),
    )


def recent_replies(
    store: Store,
    *,
    mobile: str | None = None,
    text: str | None = None,
    limit: int = PAGE,
    after_id: int | None = None,
    until: float | None = None,
) -> list[dict]:
    """Replies, newest first; ``until``: received (platform time) by then (time-travel)."""
    where, params = _filters(
        {"mobile": mobile, "text": text, "after": after_id and str(after_id), "until": until},
        {
            "mobile": "mobile = ?",
            "text": "content LIKE ?",
            "after": "id > ?",
            "until": "received_at <= ?",
        },
    )
    return store.query(
        "SELECT id, mobile, content, ext, reply_id, received_at, opt_out, clean, cached_at "
        f"FROM replies{where} ORDER BY id DESC LIMIT ?",
        (*params, min(limit, PAGE * 5)),
    )


def latest(store: Store, now: float, limit: int = 12) -> tuple[list[dict], list[dict]]:
    """The newest reports and replies by platform time up to ``now`` (the dashboard's feed).
    By time, not by the order they reached the cache: a backfill (the demo's past, a
    reconcile, a daemon catching up) inserts days-old rows last.  A time set ahead of ``now``
    by a wrong or hostile clock is left out rather than pinned to the top for good."""
    reports = store.query(
        "SELECT id, msgid, mobile, status, ext, reported_at, cached_at FROM reports "
        "WHERE coalesce(reported_at, cached_at) <= ? "
        "ORDER BY coalesce(reported_at, cached_at) DESC LIMIT ?",
        (now, limit),
    )
    replies = store.query(
        "SELECT id, mobile, content, ext, received_at, cached_at FROM replies "
        "WHERE received_at <= ? ORDER BY received_at DESC LIMIT ?",
        (now, limit),
    )
    return reports, replies


def reply(store: Store, reply_id: int) -> tuple[dict, dict | None] | None:
    """One reply in full, with the sent message it most likely answers."""
    rows = store.query("SELECT * FROM replies WHERE id = ?", (reply_id,))
    if not rows:
        return None
    return rows[0], answered(store, rows[0]["mobile"], rows[0]["received_at"])


def answered(store: Store, mobile: str, at: float | None) -> dict | None:
    """The sent message a reply most likely answers: the last record to that number before it."""
    rows = store.query(
        "SELECT msgid, content, sent_at FROM records WHERE mobile = ? AND sent_at <= ? "
        "ORDER BY sent_at DESC LIMIT 1",
        (mobile, at if at is not None else time.time()),
    )
    return rows[0] if rows else None


@dataclass
class BalanceView:
    remaining: float | None = None
    total: float | None = None
    at: float | None = None
    burn_per_hour: float | None = None
    runs_out_in_s: float | None = None
    history: list[dict] = field(default_factory=list)


def balance(
    store: Store, window_s: float = 3600, now: float | None = None, until: float | None = None
) -> BalanceView:
    """Latest balance, burn rate over the window (recharges excluded) and time left.

    ``until``: as it was then (the snapshots taken up to that time), for time-travel.
    """
    now = time.time() if now is None else now
    upto = float("inf") if until is None else until
    rows = store.query(
        "SELECT at, remaining, total FROM balance WHERE at >= ? AND at <= ? ORDER BY at LIMIT 2000",
        (now - window_s, upto),
    )
    last = store.query(
        "SELECT at, remaining, total FROM balance WHERE at <= ? ORDER BY id DESC LIMIT 1", (upto,)
    )
    view = BalanceView(history=rows)
    if not last:
        return view
    view.remaining, view.total, view.at = last[0]["remaining"], last[0]["total"], last[0]["at"]
    spent = sum(max(a["remaining"] - b["remaining"], 0) for a, b in itertools.pairwise(rows))
    span = rows[-1]["at"] - rows[0]["at"] if len(rows) > 1 else 0
    if span >= 60:
        view.burn_per_hour = spent / span * 3600
        if view.burn_per_hour > 0:
            view.runs_out_in_s = view.remaining / view.burn_per_hour * 3600
    return view


def health(store: Store, now: float | None = None) -> list[dict]:
    """Per job: the last run, the last success and the errors since it."""
    return store.query(
        "SELECT job, max(started_at) AS last_run, "
        "max(CASE WHEN outcome = 'ok' THEN started_at END) AS last_success, "
        "(SELECT error FROM poll_runs p2 WHERE p2.job = p.job AND outcome != 'ok' "
        " ORDER BY id DESC LIMIT 1) AS last_error, "
        "sum(CASE WHEN outcome != 'ok' AND started_at > coalesce("
        " (SELECT max(started_at) FROM poll_runs p3 WHERE p3.job = p.job AND outcome = 'ok'), 0)"
        " THEN 1 ELSE 0 END) AS errors_since_success "
        "FROM poll_runs p WHERE started_at > ? GROUP BY job ORDER BY job",
        ((time.time() if now is None else now) - 86400,),
    )


def blacklist_history(store: Store, limit: int = 100, until: float | None = None) -> list[dict]:
    """Lookups made from this cache, newest first; ``until``: those made by then."""
    return store.query(
        "SELECT at, mobile, black, description, added, action FROM blacklist_lookups "
        "WHERE at <= ? ORDER BY id DESC LIMIT ?",
        (float("inf") if until is None else until, limit),
    )


def cached_black(store: Store, mobiles: list[str]) -> set[str]:
    """Numbers whose latest cached lookup said black."""
    if not mobiles:
        return set()
    marks = ",".join("?" * len(mobiles))
    rows = store.query(
        f"SELECT mobile, black FROM blacklist_lookups WHERE id IN (SELECT max(id) FROM "
        f"blacklist_lookups WHERE mobile IN ({marks}) GROUP BY mobile)",
        tuple(mobiles),
    )
    return {r["mobile"] for r in rows if r["black"]}


def alerts(store: Store, limit: int = 100, until: float | None = None) -> list[dict]:
    """Alert events, newest first; ``until``: those up to then (time-travel)."""
    if until is not None:
        return store.query(
            "SELECT * FROM alerts WHERE at <= ? ORDER BY id DESC LIMIT ?", (until, limit)
        )
    return store.query("SELECT * FROM alerts ORDER BY id DESC LIMIT ?", (limit,))
