"""A damaged cache rebuilt (``fivec-tui doctor --fix``): a new one made beside it and filled
from the old file (:mod:`fivec_tui.store.salvage`: what the tool did, then the journal), then
put in its place, the old one set aside whole; then refilled from the platform's send
records, by the records job's own backfill (:mod:`.jobs.records`), as a first poll on a new
cache would.

The new cache takes the old one's place only once the audit trail, the campaign journal and
the outbox are in it: a send in between meets either the old file (damaged: refused) or the
new one with its history, never an empty cache that would let a campaign go out twice.  It
holds the account's poller lock throughout: a poller writing into the file being moved would
lose what it pulled.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..config import ConfigError, Profile
from ..i18n import _
from ..private_files import cache_files
from ..store import Store
from ..store.integrity import cache_problem
from ..store.salvage import Salvage, salvage, set_aside
from .lock import PollerLock


@dataclass
class Rebuilt:
    """What the rebuild did: where the broken file is kept, what its journal gave back, and
    the send records backfilled (``records_error``: why not, "" when they were)."""

    kept: Path
    salvage: Salvage = field(default_factory=Salvage)
    records: int = 0
    records_error: str = ""

    def as_json(self) -> dict:
        return {
            "kept": str(self.kept),
            **self.salvage.as_json(),
            "records": self.records,
            "records_error": self.records_error or None,
        }


def rebuild(db_path: Path, profile: Profile | None) -> Rebuilt | None:
    """Set the cache at ``db_path`` aside and build a new one there; None when, checked again
    under the lock, it is not damaged after all.  Raises :class:`~.lock.LockHeld` when a
    poller holds the account, OSError when the file cannot be moved (nothing changed then)."""
    with PollerLock(db_path):
        problem = cache_problem(db_path)
        if problem is None or not problem.damaged:
            return None
        new = Path(tempfile.mkdtemp(prefix=f".{db_path.name}.rebuild-", dir=db_path.parent))
        try:
            fresh = Store(new / db_path.name)
            try:
                got = salvage(db_path, fresh)
            finally:
                fresh.close()
            done = Rebuilt(set_aside(db_path), got)
            for made, final in zip(cache_files(fresh.path), cache_files(db_path), strict=True):
                with contextlib.suppress(FileNotFoundError):  # closed: no -wal, -shm left
                    os.rename(made, final)
        finally:
            for leftover in cache_files(new / db_path.name):
                leftover.unlink(missing_ok=True)
            new.rmdir()
        store = Store(db_path)
        try:
            done.records, done.records_error = _backfill(profile, store)
        finally:
            store.close()
    return done


def _backfill(profile: Profile | None, store: Store) -> tuple[int, str]:
    """The records job's first run on the new cache (its backfill); (new records, error)."""
    try:
        if profile is None:
            raise ConfigError(_("the config does not load"))
        profile.require_account()
    except ConfigError as exc:
        return 0, str(exc)
    if profile.streams.get("records") == "off":
        return 0, _("streams.records is off")
    return asyncio.run(_records(profile, store))


async def _records(profile: Profile, store: Store) -> tuple[int, str]:
    from .client import client_for
    from .engine import Engine

    async with client_for(profile) as client:
        engine = Engine(profile, store, client)
        new = await engine.run_job("records")
    return new, engine.jobs["records"].last_error
