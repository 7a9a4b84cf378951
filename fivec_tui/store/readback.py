"""Reading a damaged cache's rows back, page by page past the damage (``doctor --fix``).

A table is read by its integer key (a rowid, or one column of a key within a fixed prefix:
a campaign's rows by ``row``) a page of keys at a time.  Where a damaged page makes a read
raise, the keys after the last good one are tried one by one until reads succeed again, so
one bad page costs the rows on it, not those after it.  Rows that could not be read are
counted (:class:`Lost`); when even the table's last key cannot be read, keys are tried until
:data:`GIVE_UP_AFTER` in a row gave nothing.

Trying a key costs one query where it can: a page is read again only after a key that could
be read (a page from a key that could not seeks where that key's read failed, and fails the
same way), and a rowid table's key is sought once (:func:`_one`).  Past damage at a table's
end that is ~100,000 queries, not three times that: ``doctor --fix`` on a big damaged cache
spent most of its time there.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass

from ..i18n import _
from .integrity import SQLITE_ERRORS

#: Rows read per query.
PAGE = 200
#: When even the last key cannot be read: keys tried one by one past a damaged page before
#: the rest is given up as unreadable.
GIVE_UP_AFTER = 100_000


@dataclass
class Lost:
    """What a read back could not read: keys whose row failed (some may never have existed)
    and, when the rest of the table was given up, why ("" when it was read to its end)."""

    keys: int = 0
    error: str = ""


def readable_rows(
    conn: sqlite3.Connection,
    table: str,
    columns: str,
    lost: Lost,
    *,
    key: str = "rowid",
    where: str = "",
    params: tuple = (),
) -> Iterator[tuple]:
    """Every row of ``table`` (``columns``, the key first) that can still be read, in key
    order; ``where`` (``"campaign_id = ? AND "``) with ``params`` narrows it."""
    select = f"SELECT {key}, {columns} FROM {table} WHERE {where}"
    try:
        conn.execute(f"{select}0 LIMIT 0", params).fetchall()
    except SQLITE_ERRORS as exc:  # no table to walk (its schema is unreadable)
        lost.error = str(exc)
        return
    try:
        top = conn.execute(f"SELECT max({key}) FROM {table} WHERE {where}1", params).fetchone()[0]
        top = top or 0
    except SQLITE_ERRORS:
        top = None  # tried past damage until GIVE_UP_AFTER keys in a row gave nothing
    last = misses = 0
    unreadable = False  # the key just tried could not be read
    while top is None or last < top:
        if not unreadable:
            got = 0
            try:
                for row in conn.execute(
                    f"{select}{key} > ? ORDER BY {key} LIMIT ?", (*params, last, PAGE)
                ):
                    last, got, misses = row[0], got + 1, 0
                    yield row[1:]
                if got < PAGE:
                    return
                continue
            except SQLITE_ERRORS:
                pass  # the next key's page is damaged: step over it a key at a time
        last += 1
        row = _one(conn, select, key, params, last)
        unreadable = row is False
        if row is False:
            lost.keys += 1
            misses += 1
            if top is None and misses >= GIVE_UP_AFTER:  # not counted: they may not exist
                lost.keys -= misses
                lost.error = (
                    _("{table} could not be read after key {key}").format(
                        table=table, key=last - misses
                    )
                    if last > misses
                    else _("no row of {table} could be read").format(table=table)
                )
                return
            continue
        if row is not None:
            misses = 0
            yield row[1:]


def _one(conn: sqlite3.Connection, select: str, key: str, params: tuple, at: int):
    """The row at key ``at``, None when there is none, False when it cannot be read.

    In a table without rowid (a campaign's rows) the row between two leaf pages lives in
    their parent page: a seek for it by equality goes down into the damaged leaf beside it
    and fails, while a seek for the last key up to it stops at the parent; both are tried.
    A rowid table keeps every row in a leaf, where both seeks go the same way: one is made."""
    seeks = [f"{select}{key} = ?"]
    if key != "rowid":
        seeks.append(f"{select}{key} <= ? ORDER BY {key} DESC LIMIT 1")
    for query in seeks:
        try:
            row = conn.execute(query, (*params, at)).fetchone()
        except SQLITE_ERRORS:
            continue
        return row if row is None or row[0] == at else None
    return False
