"""What the tool did, carried from a damaged cache into its rebuild (``doctor --fix``), before
anything can be sent from the new one: the audit trail, the campaign journal, the outbox,
alerts and the settings (consent, the trail's head, alert state).

Each table is copied row by row as it was (ids, hashes and states kept), every row that can
still be read (:mod:`.readback`), into the columns both files have.  The trail is not
re-chained: ``audit --verify`` checks the old chain, and entries lost with a damaged page
show there as a break naming the first one missing.  A campaign is complete only when every
one of its rows and the requests they name could be read; one that is not, and is not done,
becomes ``damaged`` (as does one known only from its rows or requests), which ``campaign
resume`` and a new bulk send of any of its rows refuse (:func:`damaged_earlier`, :func:`refusal`).
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from ..i18n import _
from ..when import iso
from . import campaigns as journal
from .audit import PRUNING_KEY
from .db import Store
from .integrity import SQLITE_ERRORS
from .readback import Lost, readable_rows

#: Copied in this order (a campaign before its requests); ``campaign_rows`` per campaign.
TABLES = ("settings", "audit", "campaigns", "campaign_requests", "outbox", "alerts")
DAMAGED = "damaged"


@dataclass
class Carried:
    """Rows copied per table, rows that could not be read (and why a table could not be read
    whole), and the campaigns marked damaged."""

    copied: dict[str, int] = field(default_factory=dict)
    lost: dict[str, int] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    damaged: list[int] = field(default_factory=list)

    def count(self, table: str, copied: int, lost: Lost) -> None:
        self.copied[table] = self.copied.get(table, 0) + copied
        self.lost[table] = self.lost.get(table, 0) + lost.keys
        if lost.error:
            self.errors[table] = lost.error


def _columns(conn: sqlite3.Connection, table: str) -> list[str]:
    try:
        return [row[1] for row in conn.execute(f"PRAGMA table_info({table})")]
    except SQLITE_ERRORS:
        return []


def _copy(
    broken: sqlite3.Connection,
    store: Store,
    table: str,
    done: Carried,
    *,
    key: str = "rowid",
    where: str = "",
    params: tuple = (),
) -> None:
    """Every readable row of ``table`` into ``store``, in the columns both files have."""
    theirs = set(_columns(broken, table))
    columns = [c for c in _columns(store.conn, table) if c in theirs]
    lost, n = Lost(), 0
    if not columns:
        done.count(table, 0, Lost(error="no table to read"))
        return
    insert = (
        f"INSERT OR REPLACE INTO {table}({', '.join(columns)}) "
        f"VALUES ({', '.join('?' * len(columns))})"
    )
    rows = readable_rows(
        broken, table, ", ".join(columns), lost, key=key, where=where, params=params
    )
    with store.transaction() as conn:
        for row in rows:
            if table == "settings" and row[columns.index("key")] == PRUNING_KEY:
                continue  # retention's flag of a moment, never a state to keep
            conn.execute(insert, row)
            n += 1
    done.count(table, n, lost)


def carry(broken: sqlite3.Connection, store: Store) -> Carried:
    """Copy what the tool did from ``broken`` into ``store`` (new), then mark the campaigns
    that could not be read whole."""
    done = Carried()
    with _no_foreign_keys(store):
        for table in TABLES:
            _copy(broken, store, table, done)
        for cid in _campaign_ids(broken, store):
            _copy(
                broken,
                store,
                "campaign_rows",
                done,
                key="row",
                where="campaign_id = ? AND ",
                params=(cid,),
            )
    done.damaged = _mark_damaged(store, done)
    return done


@contextlib.contextmanager
def _no_foreign_keys(store: Store) -> Iterator[None]:
    """Requests whose campaign row was lost are kept too (their campaign is made up after)."""
    store.conn.execute("PRAGMA foreign_keys = OFF")
    try:
        yield
    finally:
        store.conn.execute("PRAGMA foreign_keys = ON")


def _campaign_ids(broken: sqlite3.Connection, store: Store) -> list[int]:
    """Every campaign the new cache knows of (its row or its requests), and any the broken
    file's rows name that can be listed."""
    known = {
        r["id"]
        for r in store.query(
            "SELECT id FROM campaigns UNION SELECT campaign_id FROM campaign_requests"
        )
    }
    # the rows' pages damaged: the campaigns found above are walked
    with contextlib.suppress(*SQLITE_ERRORS):
        known |= {r[0] for r in broken.execute("SELECT DISTINCT campaign_id FROM campaign_rows")}
    return sorted(i for i in known if isinstance(i, int))


def _mark_damaged(store: Store, done: Carried) -> list[int]:
    """Campaigns not done that miss rows or requests, and those known only from their rows
    or requests, become ``damaged``, saying what was read; returns their ids."""
    rows = store.query(
        "WITH ids AS (SELECT campaign_id AS id FROM campaign_rows "
        "UNION SELECT campaign_id FROM campaign_requests UNION SELECT id FROM campaigns) "
        "SELECT ids.id, c.state, c.rows AS planned, "
        "(SELECT count(*) FROM campaign_rows r WHERE r.campaign_id = ids.id) AS got, "
        "(SELECT count(*) FROM campaign_rows r WHERE r.campaign_id = ids.id "
        " AND r.request_id IS NOT NULL AND r.request_id NOT IN "
        " (SELECT id FROM campaign_requests)) AS orphans "
        "FROM ids LEFT JOIN campaigns c ON c.id = ids.id"
    )
    marked = []
    now = time.time()
    with store.transaction() as conn:
        for r in rows:
            if r["state"] is None:
                conn.execute(
                    "INSERT INTO campaigns(id, created_at, updated_at, state, source, rows, "
                    "detail) VALUES (?, ?, ?, ?, '?', ?, ?)",
                    (r["id"], now, now, DAMAGED, r["got"], _said(r["got"], None, r["orphans"])),
                )
            elif r["state"] == "done" or (r["got"] == r["planned"] and not r["orphans"]):
                continue
            else:
                conn.execute(
                    "UPDATE campaigns SET state = ?, updated_at = ?, runner_pid = NULL, "
                    "detail = ? WHERE id = ?",
                    (DAMAGED, now, _said(r["got"], r["planned"], r["orphans"]), r["id"]),
                )
            marked.append(r["id"])
    return marked


def _said(got: int, planned: int | None, orphans: int) -> str:
    """A damaged campaign's detail (English, as every campaign detail)."""
    of = f" of its {planned}" if planned is not None else " (its record was lost)"
    requests = f"; {orphans} of them name a request that was lost" if orphans else ""
    return (
        f"damaged: the cache's repair read {got}{of} rows{requests}. Which went out is not "
        "known from the journal alone: check the send records before sending any again"
    )


def damaged(store: Store, pairs: list[tuple[str, str]], chunk: int = 500) -> int | None:
    """A ``damaged`` campaign holding one of ``pairs`` (mobile, content), or None."""
    wanted = set(pairs)
    mobiles = sorted({m for m, _c in wanted})
    for i in range(0, len(mobiles), chunk):
        part = mobiles[i : i + chunk]
        for row in store.query(
            "SELECT r.campaign_id, r.mobile, r.content FROM campaign_rows r "
            "JOIN campaigns c ON c.id = r.campaign_id "
            f"WHERE c.state = ? AND r.mobile IN ({', '.join('?' * len(part))})",
            (DAMAGED, *part),
        ):
            if (row["mobile"], row["content"] or "") in wanted:
                return row["campaign_id"]
    return None


def damaged_earlier(store: Store, valid, earlier: dict | None) -> dict | None:
    """The ``damaged`` campaign a bulk send of ``valid`` (validated rows) would send again:
    ``earlier`` (the campaign made from the same file) or one holding any of its rows."""
    if earlier and earlier["state"] == DAMAGED:
        return earlier
    cid = damaged(store, [(r.mobile, r.content) for r in valid])
    return journal.campaign(store, cid) if cid is not None else None


def refusal(meta: dict) -> str:
    """Why a damaged campaign is not sent again, and what the person does instead."""
    return _(
        "campaign {id} could not be read whole when the cache was repaired ({detail}): "
        "resuming it or sending its file again could send rows twice. See what it holds with "
        "`fivec-tui campaign show {id}` and what went out with `fivec-tui records --from "
        "{since}`, then send only the rows that did not go out, from a new file."
    ).format(id=meta["id"], detail=meta["detail"], since=iso(int(meta["created_at"])))
