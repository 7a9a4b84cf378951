"""A cache holding what the tool did (an audit trail, an unfinished bulk campaign, the outbox,
alerts, consent and alert state), and damage aimed at one of its tables.

:func:`build` writes through the store's own functions, as the commands do; :func:`damage`
overwrites one leaf page of a table (found with SQLite's ``dbstat``), so a test knows which
rows the damage cost.
"""

from __future__ import annotations

import json
import random
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from fivec_tui.store import Store, outbox
from fivec_tui.store import campaigns as journal
from fivec_tui.store.audit import Actor
from fivec_tui.store.auditor import Auditor
from fivec_tui.sync.bulk.prepare import create, prepare

BULK_TEXT = "{name}您好，第三批【公司】"
DIRECT_TEXT = "直发测试【公司】"


@dataclass
class Built:
    db: Path
    csv: Path
    campaign: int
    rows: int
    sent: int
    actions: int


def bulk_file(tmp: Path, n: int) -> Path:
    path = tmp / "bulk3.csv"
    lines = ["mobile,name", *(f"137{i:08d},客户{i}" for i in range(n))]
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def build(tmp: Path, *, rows: int = 2000, sent: int = 1000, actions: int = 150) -> Built:
    """``actions`` direct sends in the trail (two entries each), a campaign of ``rows`` of
    which the first ``sent`` were accepted, two outbox rows, two alerts, consent and alert
    state in the settings."""
    db = tmp / "c.db"
    store = Store(db)
    audit = Auditor(store, Actor.here("cli"), "default", "demo")
    for i in range(actions):
        pending = audit.begin("send", mobiles=[f"139{i:08d}"], text=DIRECT_TEXT)
        audit.finish(pending, "accepted", f"{10**13 + i}")
    csv = bulk_file(tmp, rows)
    cid = create(store, prepare(csv, encode="UTF-8", content=BULK_TEXT))
    done = 0
    while done < sent and (request := journal.next_planned(store, cid)):
        journal.mark_sending(store, request.id)
        journal.record_answer(store, request.id, "accepted", f"{10**14 + request.id}")
        done += len(request.rows)
    journal.set_state(store, cid, "paused", "stopped with the request in flight")
    for state in ("accepted", "unknown"):
        oid = outbox.outbox_add(store, ["13800138000"], DIRECT_TEXT, "UTF-8", "params", 1)
        outbox.outbox_update(store, oid, state, "1" * 14 if state == "accepted" else "", "")
    for rule in ("rate_below", "balance_below"):
        store.insert("alerts", {"at": 1.7e9, "rule": rule, "state": "fired", "message": rule})
    store.set_setting("consent.destructive.demo", "yes")
    store.set_setting("alerts.active", json.dumps({"rate_below": "fired"}))
    store.close()
    return Built(db, csv, cid, rows, done, actions)


def leaves(db: Path, table: str) -> list[tuple[int, int, int, int]]:
    """``(pageno, cells, offset, size)`` of ``table``'s leaf pages, in page order."""
    with sqlite3.connect(db) as conn:
        return conn.execute(
            "SELECT pageno, ncell, pgoffset, pgsize FROM dbstat WHERE name = ? "
            "AND pagetype = 'leaf' ORDER BY pageno",
            (table,),
        ).fetchall()


def damage(db: Path, table: str, which: int | None = None) -> int:
    """Garbage over one leaf page of ``table`` (the middle one, or the ``which``-th); returns
    how many rows it held."""
    pages = leaves(db, table)
    assert len(pages) >= 3, pages
    _page, cells, offset, size = pages[len(pages) // 2 if which is None else which]
    with open(db, "r+b") as fh:
        fh.seek(offset)
        fh.write(b"\xff" + random.Random(offset).randbytes(size - 1))
    return cells
