"""Ingest beside the pull: the next chunk is fetched while the last one is parsed and stored.

A destructive pull may ask for the next chunk once the last one's raw body is *durably*
committed: that commit is the only copy there is.  Parsing it and inserting its rows need
not hold the pull up, so :class:`Ingestor` splits the two:

- :meth:`Ingestor.journal` commits the body on the caller's connection and returns its id.
  That connection runs ``synchronous=FULL``: in WAL mode the commit returns after the WAL is
  fsynced, so the body survives a power cut, and the next request may go out.
- :meth:`Ingestor.submit` hands the body to a writer thread with its own connection, which
  parses it and inserts its rows (one transaction that also marks the body parsed).  That
  connection runs ``synchronous=NORMAL``: its commits are not fsynced on their own.  A
  crash or power cut may lose the last of them, never a body: the body was fsynced before,
  WAL frames are replayed in order up to the last intact commit, and a body left unparsed
  is ingested again by :func:`~.journaling.replay` at the next start (ingest is
  idempotent).  So each chunk costs one fsync, the journal's, and the rows ride on the
  next one's.
- :meth:`Ingestor.drain` waits until everything submitted is stored and returns the counts.

Bodies are stored in the order they were submitted.  One that fails to parse or insert is
logged, stays unparsed in the journal (replayed at the next start) and does not stop the
ones after it; :meth:`drain` then raises :class:`IngestFailed` so the job reports it.

Both connections share one lock around their transactions, so the journal commit waits for
the writer's insert in this process instead of in SQLite's sleeping busy handler.
"""

from __future__ import annotations

import logging
import queue
import threading

from .db import Store
from .journaling import ingest_body, journal
from .space import disk_error

log = logging.getLogger("fivec_tui.store")

_STOP = object()


class IngestFailed(Exception):
    """Bodies that could not be ingested; they stay unparsed in the journal for replay."""

    def __init__(self, journal_ids: list[int], counts: dict[str, int]) -> None:
        self.journal_ids, self.counts = journal_ids, counts
        shown = ", ".join(map(str, journal_ids[:5])) + (" …" if len(journal_ids) > 5 else "")
        super().__init__(
            f"{len(journal_ids)} journal bodies could not be ingested (ids {shown}); "
            "kept unparsed, replayed at the next start"
        )


class Ingestor:
    """Journal on the caller's connection, parse and insert on a writer thread.

    ::

        ingestor = Ingestor(store)
        while ...:
            body = await client.pull_reports_body()
            jid = await asyncio.to_thread(ingestor.journal, "reports", body)  # durable
            ingestor.submit(jid, "reports", body)      # parsed while the next is fetched
        counts = await asyncio.to_thread(ingestor.drain)  # {"new", "items", "unparsed"}
        ingestor.close()
    """

    def __init__(self, store: Store) -> None:
        self.store = store
        self._writer = Store(store.path, lock=store.lock, synchronous="NORMAL")
        self._queue: queue.Queue = queue.Queue()
        self._done = threading.Condition()
        self._pending = 0
        self._counts = {"new": 0, "items": 0, "unparsed": 0}
        self._failed: list[int] = []
        self._thread = threading.Thread(target=self._run, name="fivec-ingest", daemon=True)
        self._thread.start()

    def journal(
        self, stream: str, body: str, *, source: str = "pull", encode: str | None = None
    ) -> int:
        """Commit ``body`` durably (fsynced) and return its journal id."""
        return journal(self.store, stream, source, body, encode)

    def submit(
        self,
        journal_id: int,
        stream: str,
        body: str,
        *,
        source: str = "pull",
        encode: str | None = None,
    ) -> None:
        """Parse and store a journaled body in the background, after those submitted before."""
        with self._done:
            self._pending += 1
        self._queue.put((journal_id, stream, source, body, encode))

    def drain(self) -> dict[str, int]:
        """Wait for everything submitted; the counts since the last drain.

        Raises :class:`IngestFailed` (after the others are stored) when a body failed.
        """
        with self._done:
            self._done.wait_for(lambda: self._pending == 0)
            counts, failed = self._counts, self._failed
            self._counts, self._failed = {"new": 0, "items": 0, "unparsed": 0}, []
        if failed:
            raise IngestFailed(failed, counts)
        return counts

    def close(self) -> None:
        """Store what was submitted, then stop the writer and close its connection."""
        self._queue.put(_STOP)
        self._thread.join()
        self._writer.close()

    def _run(self) -> None:
        while (job := self._queue.get()) is not _STOP:
            journal_id = job[0]
            try:
                counts = ingest_body(self._writer, *job)
            except Exception as exc:  # logged (a bug's traceback too); the body stays journaled
                if disk_error(exc):
                    log.error(
                        "journal body %d could not be ingested (%s); kept unparsed", journal_id, exc
                    )
                else:
                    log.exception(
                        "journal body %d could not be ingested; kept unparsed", journal_id
                    )
                counts = None
            with self._done:
                if counts is None:
                    self._failed.append(journal_id)
                else:
                    for key in self._counts:
                        self._counts[key] += counts[key]
                self._pending -= 1
                self._done.notify_all()
