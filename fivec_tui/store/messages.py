"""Sent messages in the cache: searched (one row per recipient, with its report), and one
msgid's whole story (record rows, reports, outbox, the replies that came after it)."""

from __future__ import annotations

from .db import Store
from .queries import PAGE


def search_messages(
    store: Store,
    *,
    mobile: str | None = None,
    msgid: str | None = None,
    status: str | None = None,
    since: float | None = None,
    until: float | None = None,
    limit: int = PAGE,
    reported_by: float | None = None,
) -> list[dict]:
    """Sent messages (one row per recipient) with their report, newest first.

    ``reported_by``: only reports the platform made by then (time-travel: later ones pending).
    """
    clauses, params = [], []
    join = "p.msgid = r.msgid AND p.mobile = r.mobile"
    if reported_by is not None:
        join += " AND coalesce(p.reported_at, p.cached_at) <= ?"
        params.append(reported_by)
    for cond, value in (
        ("r.mobile = ?", mobile),
        ("r.msgid = ?", msgid),
        ("r.sent_at >= ?", since),
        ("r.sent_at <= ?", until),
    ):
        if value is not None and value != "":
            clauses.append(cond)
            params.append(value)
    if status == "PENDING":
        clauses.append("p.status IS NULL")
    elif status:
        clauses.append("p.status = ?")
        params.append(status)
    where = (" WHERE " + " AND ".join(clauses)) if clauses else ""
    return store.query(
        "SELECT r.msgid, r.mobile, r.content, r.sent_at, p.status, p.reported_at, "
        "p.reported_at - r.sent_at AS latency FROM records r "
        f"LEFT JOIN reports p ON {join}{where} "
        "ORDER BY r.sent_at DESC, r.id DESC LIMIT ?",
        (*params, min(limit, PAGE * 5)),
    )


def story(
    store: Store, msgid: str, until: float | None = None, reported_by: float | None = None
) -> dict:
    """One message's full story: its record rows, each recipient's report, replies after it.

    Time-travel, as :func:`search_messages`: ``until``, the replies received by then;
    ``reported_by``, the reports reported by then (platform times), the others pending."""
    upto = float("inf") if until is None else until
    known = float("inf") if reported_by is None else reported_by
    recipients = store.query(
        "SELECT r.mobile, r.content, r.sent_at, p.status, p.reported_at, "
        "p.reported_at - r.sent_at AS latency FROM records r "
        "LEFT JOIN reports p ON p.msgid = r.msgid AND p.mobile = r.mobile "
        "AND coalesce(p.reported_at, p.cached_at) <= ?2 "
        "WHERE r.msgid = ?1 ORDER BY r.mobile LIMIT 1000",
        (msgid, known),
    )
    orphans = store.query(
        "SELECT mobile, status, reported_at FROM reports WHERE msgid = ? AND record_id = 0 "
        "AND coalesce(reported_at, cached_at) <= ? LIMIT 1000",
        (msgid, known),
    )
    outbox = store.query("SELECT * FROM outbox WHERE msgid = ?", (msgid,))
    sent_at = min((r["sent_at"] for r in recipients if r["sent_at"]), default=None)
    mobiles = [r["mobile"] for r in recipients] or [o["mobile"] for o in orphans]
    replies: list[dict] = []
    if mobiles:
        marks = ",".join("?" * len(mobiles[:500]))
        replies = store.query(
            f"SELECT mobile, content, received_at, opt_out FROM replies WHERE mobile IN ({marks}) "
            "AND received_at >= ? AND received_at <= ? ORDER BY received_at LIMIT 500",
            (*mobiles[:500], sent_at or 0, upto),
        )
    return {
        "msgid": msgid,
        "sent_at": sent_at,
        "recipients": recipients,
        "unmatched_reports": orphans,
        "outbox": outbox,
        "replies": replies,
    }
