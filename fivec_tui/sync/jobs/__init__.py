"""The engine's jobs, one module a stream.

Each module's ``run(engine)`` does one run and returns how many new items it stored; a run
that fails raises, and the engine records the failure and backs the job off.  A module's
``INTERVAL_S``, where it has one, is the job's interval when the profile does not set it.

What the pulls share lives here: a body is committed to the journal before it is parsed, and
the next chunk is asked for only after that commit, so a destructive read loses at most the
request in flight.  Before each destructive read :meth:`Pulls.ready` makes sure the body can
be kept: room on the cache's disk (:mod:`...store.space`; short of it, the pull is paused, not
failed), and nothing an earlier run took still waiting to be stored.  A body taken that
could not be journaled all the same (a quota, a disk that filled between the check and the
write) is held in memory by :meth:`Pulls.journal` and stored before anything more is taken.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field

from ...store import Store, ingest_items, ingest_journal, journal
from ...store.space import room

log = logging.getLogger("fivec_tui.sync")

#: Chunks one run takes at most; with more waiting it sets ``backlog`` and runs again at once.
MAX_CHUNKS_PER_RUN = 200
#: Items of a repeatable read stored in one transaction at most (:func:`store_items`).
SLICE = 5000
#: The stream a job's unreadable answers are kept under (the job's own name otherwise).
STREAM_OF = {"reconcile": "reports", "reconcile_replies": "replies", "subaccounts": "billing"}


class PullsPaused(Exception):
    """The cache cannot take another body: destructive pulls wait, the job keeps its
    interval and asks again (a pause, not a failure: no backoff)."""


@dataclass
class Held:
    """A body taken off the platform that could not be journaled yet."""

    stream: str
    source: str
    body: str
    encode: str | None


@dataclass
class Pulls:
    """What stands between a destructive read and the platform, for one engine."""

    store: Store
    #: Bodies taken that could not be journaled, oldest first: stored before the next pull.
    held: list[Held] = field(default_factory=list)
    #: Why pulls are paused (said once when they pause, once when they resume); "" when not.
    short: str = ""

    async def ready(self) -> int:
        """Before a destructive read: store what earlier runs took (new rows returned), then
        raise :class:`PullsPaused` unless the cache has room for what comes next."""
        new = await self.store_held()
        space = room(self.store.path)
        if not space.ok:
            why = f"{space.problem}: pulls paused ({space})"
            if not self.short:
                log.warning("%s; they resume by themselves once there is room", why)
            self.short = why
            raise PullsPaused(why)
        if self.short:
            log.info("room again on the cache's disk (%s): pulls resume", space)
            self.short = ""
        return new

    async def journal(
        self,
        stream: str,
        body: str,
        *,
        source: str = "pull",
        encode: str | None = None,
    ) -> int:
        """Journal a body a destructive read took (its id); when that fails, hold it and
        raise."""
        try:
            return await asyncio.to_thread(journal, self.store, stream, source, body, encode)
        except Exception as exc:
            self.held.append(Held(stream, source, body, encode))
            log.warning(
                "a %s body of %d bytes taken from the platform could not be journaled (%s): "
                "held in memory, stored before anything more is taken",
                stream,
                len(body),
                exc,
            )
            raise

    async def store_held(self) -> int:
        """Journal and ingest the held bodies, oldest first; new rows.  A failure raises and
        keeps the rest held."""
        new = 0
        while self.held:
            h = self.held[0]
            journal_id = await asyncio.to_thread(
                journal, self.store, h.stream, h.source, h.body, h.encode
            )
            self.held.pop(0)
            log.info("a held %s body is journaled (%d)", h.stream, journal_id)
            new += (await asyncio.to_thread(ingest_journal, self.store, journal_id))["new"]
        return new


async def commit(
    pulls: Pulls, stream: str, body: str, *, source: str = "pull", encode: str | None = None
) -> dict[str, int]:
    """Journal ``body`` (committed, or held), then parse it into rows: ``new`` and ``items``."""
    journal_id = await pulls.journal(stream, body, source=source, encode=encode)
    return await asyncio.to_thread(ingest_journal, pulls.store, journal_id)


async def store_items(store: Store, stream: str, items: Sequence) -> int:
    """Store parsed items from a repeatable read (nothing is lost if this dies); new rows.

    A transaction per :data:`SLICE` items: a day of records at volume would otherwise hold
    the cache's one write lock for a second, and the journal commit a destructive pull
    waits for with it."""

    def slices() -> int:
        return sum(
            ingest_items(store, stream, items[i : i + SLICE])["new"]
            for i in range(0, len(items), SLICE)
        )

    return await asyncio.to_thread(slices)


def keep_unreadable(store: Store, job: str, raw: str, error: str) -> bool:
    """Keep an answer that was no answer (:class:`...api.errors.UnreadableAnswer`) once, in
    ``unparsed`` without a journal id, for diagnosis; True when it was new.

    The same page comes back on every try: kept by the hash of its body, once.
    """
    stream = STREAM_OF.get(job, job)
    reason = f"{error} (sha1 {hashlib.sha1(raw.encode('utf-8', 'surrogatepass')).hexdigest()})"
    with store.transaction() as conn:
        if conn.execute(
            "SELECT 1 FROM unparsed WHERE journal_id IS NULL AND stream = ? AND reason = ?",
            (stream, reason),
        ).fetchone():
            return False
        conn.execute(
            "INSERT INTO unparsed(journal_id, stream, raw, reason) VALUES (NULL, ?, ?, ?)",
            (stream, raw, reason),
        )
    return True
