"""The campaign journal: bulk sends from a file, every row accounted for across a crash.

A campaign's rows are grouped into requests when it is created (state ``planned``).  A request
is journaled ``sending`` and committed *before* it goes out, then given its answer:
``accepted`` (with the msgid), ``failed`` (the platform said no: nothing was sent) or
``unknown`` (no answer came: it may have been sent).  A row's state follows its request's.
Nothing here ever puts an ``unknown`` row back to ``planned``: only :func:`settle`, told by the
send records which numbers were sent, does that, by moving the unsent ones into a new request.
A process killed mid-request leaves ``sending``, which the next run calls ``unknown``
(:func:`abandon_in_flight`).  A campaign left ``sending`` by a process that is gone is shown
``interrupted`` (:func:`shown_state`): the journal keeps what it knows, and ``campaign resume``
is what finishes it.  Tables: ``campaigns``, ``campaign_requests``, ``campaign_rows``.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from ..i18n import N_, _
from ..processes import alive
from .db import Store

#: Row and request states.  ``planned``: never submitted; the rest as above.
STATES = ("planned", "sending", "accepted", "failed", "unknown")
#: How a campaign left ``sending`` by a process no longer running is shown.
INTERRUPTED = N_("interrupted")


@dataclass(frozen=True, slots=True)
class NewRow:
    row: int
    mobile: str
    content: str  # the text sent (template mode: the variables as JSON)
    parts: int


@dataclass(frozen=True, slots=True)
class Request:
    id: int
    campaign_id: int
    kind: str  # send | batch | template
    rows: tuple[tuple[int, str, str], ...]  # (row, mobile, content)


def create_campaign(store: Store, meta: dict, rows: Sequence[NewRow], plan: Iterable[tuple]) -> int:
    """Store a campaign, its rows and its planned requests in one transaction.

    ``plan`` is ``(kind, [row numbers])`` per request.  Returns the campaign id.
    """
    now = time.time()
    with store.transaction() as conn:
        cur = conn.execute(
            "INSERT INTO campaigns(created_at, updated_at, state, source, source_sha1, "
            "content_sha1, mode, text, encode, traffic, rate, start_time, rows, rejected, "
            "results, rejects) VALUES (?, ?, 'ready', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                now,
                now,
                meta["source"],
                meta["source_sha1"],
                meta.get("content_sha1"),
                meta["mode"],
                meta["text"],
                meta["encode"],
                meta["traffic"],
                meta["rate"],
                meta.get("start_time"),
                len(rows),
                meta.get("rejected", 0),
                meta["results"],
                meta["rejects"],
            ),
        )
        cid = int(cur.lastrowid)
        conn.executemany(
            "INSERT INTO campaign_rows(campaign_id, row, mobile, content, parts, state) "
            "VALUES (?, ?, ?, ?, ?, 'planned')",
            [(cid, r.row, r.mobile, r.content, r.parts) for r in rows],
        )
        for kind, numbers in plan:
            _plan_request(conn, cid, kind, numbers, now)
    return cid


def _plan_request(conn, cid: int, kind: str, numbers: Sequence[int], now: float) -> int:
    rid = int(
        conn.execute(
            "INSERT INTO campaign_requests(campaign_id, kind, state, created_at, n) "
            "VALUES (?, ?, 'planned', ?, ?)",
            (cid, kind, now, len(numbers)),
        ).lastrowid
    )
    conn.executemany(
        "UPDATE campaign_rows SET request_id = ?, state = 'planned' "
        "WHERE campaign_id = ? AND row = ?",
        [(rid, cid, n) for n in numbers],
    )
    return rid


def campaign(store: Store, cid: int) -> dict | None:
    rows = store.query("SELECT * FROM campaigns WHERE id = ?", (cid,))
    return rows[0] if rows else None


def made_from(store: Store, content_sha1: str, source_sha1: str = "") -> dict | None:
    """The latest campaign of the same numbers and text (``content_sha1``, however the file
    was saved), unfinished ones first (resume those rather than send them twice).  Campaigns
    made before it was kept are known by their file's bytes (``source_sha1``)."""
    rows = store.query(
        "SELECT * FROM campaigns WHERE content_sha1 = ? "
        "OR (content_sha1 IS NULL AND source_sha1 = ?) "
        "ORDER BY state = 'done', id DESC LIMIT 1",
        (content_sha1, source_sha1),
    )
    return rows[0] if rows else None


def claim(store: Store, cid: int, pid: int | None = None) -> int | None:
    """Take the campaign for this process; returns the pid of a live other runner instead."""
    pid = pid or os.getpid()
    with store.transaction() as conn:
        row = conn.execute("SELECT runner_pid FROM campaigns WHERE id = ?", (cid,)).fetchone()
        other = row[0] if row else None
        if other and other != pid and alive(other):
            return other
        conn.execute(
            "UPDATE campaigns SET runner_pid = ?, updated_at = ? WHERE id = ?",
            (pid, time.time(), cid),
        )
    return None


def set_state(store: Store, cid: int, state: str, detail: str = "") -> None:
    """The campaign's state; ``sending`` records this process as its runner (whoever sends
    it: the CLI claimed it first, the TUI's new campaign has no other), so that a run
    killed shows as :data:`INTERRUPTED` and a resume elsewhere waits for a live one."""
    with store.transaction() as conn:
        conn.execute(
            "UPDATE campaigns SET state = ?, detail = ?, updated_at = ?, "
            "runner_pid = CASE WHEN ? IN ('paused', 'done') THEN NULL "
            "WHEN ? = 'sending' THEN ? ELSE runner_pid END WHERE id = ?",
            (state, detail, time.time(), state, state, os.getpid(), cid),
        )


def shown_state(campaign: dict) -> str:
    """The state to show of a campaign row (with ``state`` and ``runner_pid``):
    :data:`INTERRUPTED` when it was left ``sending`` by a process no longer running (killed:
    nothing recorded its end), else its state."""
    pid = campaign.get("runner_pid")
    if campaign["state"] == "sending" and not (pid and alive(pid)):
        return INTERRUPTED
    return campaign["state"]


def resume_hint(cid: int) -> str:
    """What to do about an :data:`INTERRUPTED` campaign (said by the CLI, the TUI, doctor)."""
    return _(
        "campaign {id} was interrupted (the process sending it is gone): `fivec-tui campaign "
        "resume {id}` settles the requests it left in flight from the send records, then "
        "sends the rows never submitted"
    ).format(id=cid)


def abandon_in_flight(store: Store, cid: int) -> int:
    """Requests left ``sending`` by a run that died: their outcome is unknown.  Returns rows."""
    with store.transaction() as conn:
        ids = [
            r[0]
            for r in conn.execute(
                "SELECT id FROM campaign_requests WHERE campaign_id = ? AND state = 'sending'",
                (cid,),
            )
        ]
        n = 0
        for rid in ids:
            _answer(conn, rid, "unknown", detail="no answer recorded: the run stopped")
            n += conn.execute("SELECT n FROM campaign_requests WHERE id = ?", (rid,)).fetchone()[0]
    return n


def next_planned(store: Store, cid: int) -> Request | None:
    row = store.query(
        "SELECT id, kind FROM campaign_requests WHERE campaign_id = ? AND state = 'planned' "
        "ORDER BY id LIMIT 1",
        (cid,),
    )
    if not row:
        return None
    rid, kind = row[0]["id"], row[0]["kind"]
    with store.lock:
        items = store.conn.execute(
            "SELECT row, mobile, content FROM campaign_rows WHERE request_id = ? ORDER BY row",
            (rid,),
        ).fetchall()
    return Request(rid, cid, kind, tuple(items))


def mark_sending(store: Store, rid: int) -> None:
    """Journal the request as going out: committed before a byte is sent."""
    with store.transaction() as conn:
        conn.execute(
            "UPDATE campaign_requests SET state = 'sending', sent_at = ?, attempts = attempts + 1 "
            "WHERE id = ? AND state = 'planned'",
            (time.time(), rid),
        )
        conn.execute("UPDATE campaign_rows SET state = 'sending' WHERE request_id = ?", (rid,))


def record_answer(
    store: Store, rid: int, state: str, msgid: str = "", raw: str = "", detail: str = ""
) -> None:
    """The request's answer: ``accepted``, ``failed`` or ``unknown``; its rows follow."""
    with store.transaction() as conn:
        _answer(conn, rid, state, msgid, raw, detail)


def _answer(conn, rid: int, state: str, msgid: str = "", raw: str = "", detail: str = "") -> None:
    if state not in ("accepted", "failed", "unknown"):
        raise ValueError(f"not an answer state: {state!r}")
    conn.execute(
        "UPDATE campaign_requests SET state = ?, msgid = ?, raw = ?, detail = ?, answered_at = ? "
        "WHERE id = ?",
        (state, msgid, raw[:2000], detail, time.time(), rid),
    )
    conn.execute(
        "UPDATE campaign_rows SET state = ?, msgid = ?, error = ? WHERE request_id = ?",
        (state, msgid, detail if state != "accepted" else "", rid),
    )


def replan(store: Store, rid: int, detail: str) -> None:
    """The platform refused the request before sending anything (throughput, balance) or it
    never connected: it goes back to ``planned``, to be sent again."""
    with store.transaction() as conn:
        conn.execute(
            "UPDATE campaign_requests SET state = 'planned', detail = ? "
            "WHERE id = ? AND state = 'sending'",
            (detail, rid),
        )
        conn.execute("UPDATE campaign_rows SET state = 'planned' WHERE request_id = ?", (rid,))


def unknown_requests(store: Store, cid: int) -> list[dict]:
    return store.query(
        "SELECT * FROM campaign_requests WHERE campaign_id = ? AND state = 'unknown' "
        "AND settled_at IS NULL ORDER BY id",
        (cid,),
    )


def request_rows(store: Store, rid: int) -> list[dict]:
    return store.query(
        "SELECT row, mobile, content, state FROM campaign_rows WHERE request_id = ? ORDER BY row",
        (rid,),
    )


def settle(store: Store, rid: int, sent: dict[int, str], kind: str) -> int:
    """Settle an unknown request from the send records: ``sent`` maps row → msgid of the rows
    the records show; those become ``accepted``, the others go into a new planned request.
    Returns how many rows were found unsent."""
    now = time.time()
    with store.transaction() as conn:
        req = conn.execute(
            "SELECT campaign_id, state, settled_at FROM campaign_requests WHERE id = ?", (rid,)
        ).fetchone()
        if req is None or req[1] != "unknown" or req[2] is not None:
            return 0
        cid = req[0]
        rows = [
            r[0]
            for r in conn.execute(
                "SELECT row FROM campaign_rows WHERE request_id = ? AND state = 'unknown'", (rid,)
            )
        ]
        conn.executemany(
            "UPDATE campaign_rows SET state = 'accepted', msgid = ?, error = '', "
            "settled = 'sent' WHERE campaign_id = ? AND row = ?",
            [(sent[r], cid, r) for r in rows if r in sent],
        )
        unsent = [r for r in rows if r not in sent]
        conn.execute(
            "UPDATE campaign_requests SET settled_at = ?, detail = detail || ? WHERE id = ?",
            (now, f"; settled: {len(rows) - len(unsent)} sent, {len(unsent)} unsent", rid),
        )
        if unsent:
            _plan_request(conn, cid, kind, unsent, now)
            conn.executemany(
                "UPDATE campaign_rows SET settled = 'unsent', error = '' "
                "WHERE campaign_id = ? AND row = ?",
                [(cid, r) for r in unsent],
            )
    return len(unsent)


def counts(store: Store, cid: int) -> dict[str, int]:
    """Rows by state, plus ``rows`` (all) and ``submitted`` (every row that went out, or may
    have).  Read from the requests, whose rows share their state, except the rows of settled
    requests, counted one by one: cheap at every request of a large campaign."""
    out = dict.fromkeys(STATES, 0)
    with store.lock:
        rows = store.conn.execute(
            "SELECT state, sum(n) FROM campaign_requests WHERE campaign_id = ? "
            "AND settled_at IS NULL GROUP BY state "
            "UNION ALL SELECT r.state, count(*) FROM campaign_rows r "
            "JOIN campaign_requests q ON q.id = r.request_id "
            "WHERE q.campaign_id = ? AND q.settled_at IS NOT NULL GROUP BY r.state",
            (cid, cid),
        ).fetchall()
    for state, n in rows:
        out[state] += n
    out["rows"] = sum(out[s] for s in STATES)
    out["submitted"] = out["rows"] - out["planned"]
    return out


def settled_unsent(store: Store, cid: int) -> int:
    """Rows the send records showed unsent, planned again and not yet sent."""
    return store.scalar(
        "SELECT count(*) FROM campaign_rows WHERE campaign_id = ? AND state = 'planned' "
        "AND settled = 'unsent'",
        (cid,),
    )


def unknown_rows(store: Store, cid: int) -> list[dict]:
    return store.query(
        "SELECT row, mobile FROM campaign_rows WHERE campaign_id = ? "
        "AND state IN ('unknown', 'sending') ORDER BY row",
        (cid,),
    )


def result_rows(store: Store, cid: int) -> list[tuple]:
    """``(row, mobile, state, msgid, error)`` of every row, in file order (the results file)."""
    with store.lock:
        return store.conn.execute(
            "SELECT row, mobile, state, coalesce(msgid, ''), coalesce(error, '') "
            "FROM campaign_rows WHERE campaign_id = ? ORDER BY row",
            (cid,),
        ).fetchall()


def campaigns(store: Store, limit: int = 100) -> list[dict]:
    return store.query(
        "SELECT c.id, c.created_at, c.rows, c.state, c.runner_pid, c.source, "
        "(SELECT count(*) FROM campaign_rows r WHERE r.campaign_id = c.id "
        " AND r.state != 'planned') AS submitted, "
        "(SELECT count(*) FROM campaign_rows r WHERE r.campaign_id = c.id "
        " AND r.state IN ('unknown', 'sending')) AS unknown "
        "FROM campaigns c ORDER BY c.id DESC LIMIT ?",
        (limit,),
    )


def delivery(store: Store, cid: int, skew_s: float = 120.0) -> dict:
    """Delivery of the campaign's accepted rows from the cache's reports: by the row's msgid,
    else (a batch answers one msgid for many items) by the send record of the same number and
    text sent after the request was journaled."""
    row = store.query(
        """
        WITH acc AS (
            SELECT cr.mobile, cr.msgid, cr.content, coalesce(q.sent_at, q.created_at) AS at
            FROM campaign_rows cr JOIN campaign_requests q ON q.id = cr.request_id
            WHERE cr.campaign_id = ? AND cr.state = 'accepted'
        ), st AS (
            SELECT coalesce(
                (SELECT status FROM reports WHERE msgid = acc.msgid AND mobile = acc.mobile),
                (SELECT rp.status FROM records rc
                 JOIN reports rp ON rp.msgid = rc.msgid AND rp.mobile = rc.mobile
                 WHERE rc.mobile = acc.mobile AND rc.sent_at >= acc.at - ?
                 AND rc.content = acc.content LIMIT 1)
            ) AS status FROM acc
        )
        SELECT count(*) AS sent,
               coalesce(sum(status = 'DELIVRD'), 0) AS delivered,
               coalesce(sum(status IS NOT NULL AND status != 'DELIVRD'), 0) AS failed,
               coalesce(sum(status IS NULL), 0) AS pending
        FROM st
        """,
        (cid, skew_s),
    )[0]
    done = row["delivered"] + row["failed"]
    row["rate"] = round(row["delivered"] / done, 4) if done else None
    return row
