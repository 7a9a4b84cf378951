"""Export cached rows (and the audit trail) as CSV, JSON or JSON lines, streaming in id order.

CSV cells that a spreadsheet would run as a formula are neutralised
(:func:`~fivec_tui.text.csv_row`: a reply can be ``=HYPERLINK(…)``); JSON keeps the text exact.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from typing import IO

from rich.progress import Progress

from ..text import csv_row
from . import audit
from .db import Store

TIME_FIELDS = {"reported_at", "received_at", "sent_at", "at"}


#: What each export reads: the table's columns and the time it is filtered by.
EXPORTED = {
    "reports": ("id, msgid, mobile, status, ext, reported_at", "reported_at"),
    "replies": ("id, mobile, content, ext, reply_id, received_at", "received_at"),
    "records": ("id, msgid, mobile, content, sent_at, username", "sent_at"),
    "balance": ("id, at, remaining, total", "at"),
    "audit": (f"id, {', '.join(audit.FIELDS)}, prev, hash", "at"),
}


def count(store: Store, kind: str, since: float | None = None) -> int:
    """How many rows of ``kind`` an export from ``since`` writes (its progress bar's total)."""
    at = EXPORTED[kind][1]
    return store.scalar(f"SELECT count(*) FROM {kind} WHERE coalesce({at}, 0) >= ?", (since or 0,))


def export_rows(store: Store, kind: str, since: float | None, batch: int = 5000):
    """Yield rows of reports, replies, records, balance or audit in id order, ``batch`` at a time.

    Through sqlite-utils' ``rows_where``: an export is a command of its own, so its import
    cost is paid once there, never on the TUI's path (:meth:`Store.query` reads raw).
    """
    import sqlite_utils

    columns, at = EXPORTED[kind]
    table = sqlite_utils.Database(store.conn)[kind]
    last = 0
    while True:
        with store.lock:
            rows = list(
                table.rows_where(
                    f"id > ? AND coalesce({at}, 0) >= ?",
                    [last, since or 0],
                    order_by="id",
                    select=columns,
                    limit=batch,
                )
            )
        if not rows:
            return
        yield from rows
        last = rows[-1]["id"]


def write_export(
    store: Store,
    kind: str,
    since: float | None,
    fmt: str,
    fh: IO[str],
    fields: tuple[str, ...],
    iso: Callable[[float | None], str | None],
    progress: int | None = None,
) -> int:
    """Write rows of ``kind`` to ``fh``; ``progress`` (a row total) shows a bar on stderr."""
    bar = Progress(transient=True) if progress else None
    task = bar.add_task(f"exporting {kind}", total=progress) if bar else None
    if bar:
        bar.start()
    writer = csv.writer(fh) if fmt == "csv" else None
    if writer:
        writer.writerow(fields)
    elif fmt == "json":
        fh.write("[")
    n = 0
    try:
        for row in export_rows(store, kind, since):
            item = {k: iso(row[k]) if k in TIME_FIELDS else row[k] for k in fields}
            if writer:
                writer.writerow(csv_row(item.values()))
            elif fmt == "json":
                fh.write(("," if n else "") + "\n  " + json.dumps(item, ensure_ascii=False))
            else:
                fh.write(json.dumps(item, ensure_ascii=False) + "\n")
            n += 1
            if bar and n % 1000 == 0:
                bar.update(task, completed=n)
    finally:
        if bar:
            bar.stop()
    if fmt == "json":
        fh.write("\n]\n" if n else "]\n")
    return n
