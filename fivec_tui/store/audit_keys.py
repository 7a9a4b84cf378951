"""Which audit key sealed which entries of the trail (:mod:`.audit`, :mod:`.seal`).

The key lives outside the cache.  When it is gone (its file deleted, the state directory
wiped, the cache copied to another machine), the next action makes a new one, and the
entries sealed with the old key can no longer be checked here.  Unrecorded, ``audit
--verify`` took them for entries changed after they were written.  So the cache keeps, in
``settings`` (``audit.keys``), where each key starts: ``[[first entry, key id], ...]``, a
key's id being a MAC of a fixed text under it (it tells keys apart, and tells nothing of the
key).  A key id of ``null`` is a key that sealed entries before key ids were recorded and
was missing when they first were.

Edited by hand, this record can make entries uncheckable (the verdict then says so, never
"verified"); it cannot make a changed entry verify: an entry is checked whenever the key
recorded for it is the one at hand.
"""

from __future__ import annotations

import json
import logging
import sqlite3
from dataclasses import dataclass

from .seal import Seal

log = logging.getLogger("fivec_tui.audit")

KEYS_KEY = "audit.keys"
#: What a key's id is the MAC of.
_ID_TEXT = "fivec-tui audit key id"


def key_id(key: bytes) -> str:
    return Seal.mac(key, _ID_TEXT)[:16]


@dataclass(frozen=True)
class Span:
    """Entries from ``first`` on (to the next span) were sealed with the key ``key`` (an id;
    None: a key not known)."""

    first: int
    key: str | None


def spans(conn: sqlite3.Connection) -> list[Span]:
    """The record, oldest first; empty when there is none or it is not one (hand-edited)."""
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (KEYS_KEY,)).fetchone()
    try:
        data = json.loads(row[0]) if row else []
        found = [Span(int(first), None if kid is None else str(kid)) for first, kid in data]
    except (TypeError, ValueError):
        return []
    return sorted(found, key=lambda s: s.first)


def record(conn: sqlite3.Connection, key: bytes, entry_id: int, start: int, made: bool) -> None:
    """Inside the transaction that seals entry ``entry_id`` with ``key``: a new span when the
    key is not the last one recorded.  ``start``: the first sealed entry; ``made``: the key
    was made for this entry (entries sealed before were sealed with another)."""
    found = spans(conn)
    kid = key_id(key)
    now = list(found)
    if not now and start < entry_id:  # sealed before key ids were recorded
        now = [Span(start, None if made else kid)]
    if not now or now[-1].key != kid:
        if now:
            log.warning(
                "the audit key is not the one that sealed entries %d to %d (missing, replaced, "
                "or the cache comes from another machine): they cannot be checked with it",
                now[-1].first,
                entry_id - 1,
            )
        now.append(Span(entry_id, kid))
    if now != found:
        _save(conn, now)


def _save(conn: sqlite3.Connection, found: list[Span]) -> None:
    conn.execute(
        "INSERT OR REPLACE INTO settings(key, value) VALUES (?, ?)",
        (KEYS_KEY, json.dumps([[s.first, s.key] for s in found])),
    )


def checkable(found: list[Span], entry_id: int, current: str | None) -> bool:
    """Whether sealed entry ``entry_id`` can be checked with the key of id ``current``
    (None: no key at hand).  Without a record (a trail older than it), with the key at hand."""
    if current is None:
        return False
    if not found:
        return True
    before = [s for s in found if s.first <= entry_id]
    return bool(before) and before[-1].key == current


def foreign(found: list[Span], current: str | None, first: int, last: int) -> list[tuple[int, int]]:
    """The ranges of sealed entries ``first`` to ``last`` that the key at hand cannot check."""
    if current is None:
        return [(first, last)] if first <= last else []
    if not found:
        return []
    bounds = [*(s.first for s in found[1:]), last + 1]
    out = [(max(s.first, first), end - 1) for s, end in zip(found, bounds, strict=True)]
    out = [(a, b) for (a, b), s in zip(out, found, strict=True) if s.key != current and a <= b]
    if found[0].first > first:  # sealed entries before the record starts: no key known
        out.insert(0, (first, min(last, found[0].first - 1)))
    return out
