"""Export cached rows as CSV, JSON or JSON lines, streaming in id order."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable
from typing import IO

from rich.progress import Progress

from .db import Store

TIME_FIELDS = {"reported_at", "received_at", "sent_at", "at"}


def export_rows(store: Store, kind: str, since: float | None, batch: int = 5000):
    """Yield rows of reports, replies, records or balance in id order, ``batch`` at a time."""
    sql = {
        "reports": "SELECT id, msgid, mobile, status, ext, reported_at FROM reports "
        "WHERE id > ? AND coalesce(reported_at, 0) >= ? ORDER BY id LIMIT ?",
        "replies": "SELECT id, mobile, content, ext, reply_id, received_at FROM replies "
        "WHERE id > ? AND coalesce(received_at, 0) >= ? ORDER BY id LIMIT ?",
        "records": "SELECT id, msgid, mobile, content, sent_at, username FROM records "
        "WHERE id > ? AND coalesce(sent_at, 0) >= ? ORDER BY id LIMIT ?",
        "balance": "SELECT id, at, remaining, total FROM balance "
        "WHERE id > ? AND at >= ? ORDER BY id LIMIT ?",
    }[kind]
    last = 0
    while True:
        rows = store.query(sql, (last, since or 0, batch))
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
    writer = csv.DictWriter(fh, fields) if fmt == "csv" else None
    if writer:
        writer.writeheader()
    elif fmt == "json":
        fh.write("[")
    n = 0
    try:
        for row in export_rows(store, kind, since):
            item = {k: iso(row[k]) if k in TIME_FIELDS else row[k] for k in fields}
            if writer:
                writer.writerow(item)
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
