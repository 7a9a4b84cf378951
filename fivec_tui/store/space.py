"""Is there room to write the cache?  One question, asked before anything is taken that
cannot be asked for again.

A destructive pull (reports, the replies' consuming read, the reports reconcile) takes a
chunk off the platform for good: if the body then cannot be journaled, it is gone.  So before
each one the poller asks :func:`room` about the cache's filesystem, and pulls only when it is
``ok``; the push receiver and the TUI ask the same question.

The reserve, :func:`reserve`, is max(64 MiB, 2 % of the filesystem):

- 64 MiB holds the largest run at the default chunk size several times over: 200 chunks of
  500 reports is ~6 MB of body (~1.5 MB journaled, compressed), ~15 MB of rows and indexes,
  and as much again in the WAL until its next checkpoint (~35 MB), with the log and
  ``poll_runs`` beside them;
- 2 % keeps a margin on a large disk that other programs on the box are filling: the check
  is made before each pull, and the free space it saw must still be there after it.

Free space is what an unprivileged writer may use (``f_bavail``, without the blocks ext4
keeps for root); the cache must also be writable (not a read-only filesystem, write
permission on it and on its directory, where SQLite creates its WAL).  Pure: the standard
library and a path, nothing else.

When a write fails all the same, :func:`disk_error` tells the disk's failures (said in a
line) from a bug's (said with its traceback).
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

MIB = 1024 * 1024
RESERVE_MIN = 64 * MIB
RESERVE_SHARE = 0.02
#: SQLite errors that come from the machine, not from a bug: a full or failing disk, a
#: read-only or vanished file, another writer (``sqlite_errorname``, extended codes included).
SQLITE_DISK_ERRORS = (
    "SQLITE_FULL",
    "SQLITE_IOERR",
    "SQLITE_READONLY",
    "SQLITE_CANTOPEN",
    "SQLITE_BUSY",
)


def reserve(size: int) -> int:
    """Free bytes a filesystem of ``size`` bytes must keep for the cache to be written."""
    return max(RESERVE_MIN, int(size * RESERVE_SHARE))


def mib(n: int) -> str:
    return f"{n / MIB:.1f} MiB"


@dataclass(frozen=True)
class Room:
    """The cache's filesystem as :func:`room` found it."""

    path: Path
    free: int
    size: int
    writable: bool

    @property
    def need(self) -> int:
        return reserve(self.size)

    @property
    def ok(self) -> bool:
        return self.writable and self.free >= self.need

    @property
    def problem(self) -> str:
        """What is wrong in a few words, English (logs, JSON, job health); "" when ``ok``."""
        if not self.writable:
            return "cache not writable"
        return "" if self.ok else "disk full"

    def __str__(self) -> str:
        return f"{self.path} has {mib(self.free)} free, needs {mib(self.need)}"


def _existing(path: Path) -> Path:
    """``path``, or its nearest ancestor that exists (a cache not made yet)."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return candidate
    return Path("/")


def room(path: str | Path) -> Room:
    """Room to write the cache at ``path`` (a file, or where it will be made)."""
    path = Path(path)
    where = _existing(path)
    directory = where if where.is_dir() else where.parent
    try:
        st = os.statvfs(where)
    except OSError:
        return Room(path, 0, 0, False)
    read_only = bool(st.f_flag & os.ST_RDONLY)
    writable = not read_only and os.access(directory, os.W_OK | os.X_OK)
    if where == path and path.is_file():
        writable = writable and os.access(path, os.W_OK)
    return Room(path, st.f_bavail * st.f_frsize, st.f_blocks * st.f_frsize, writable)


def disk_error(exc: BaseException) -> bool:
    """Whether ``exc`` is the disk's or the file system's doing (full, failing, read-only)."""
    if isinstance(exc, sqlite3.Error):
        return getattr(exc, "sqlite_errorname", "").startswith(SQLITE_DISK_ERRORS)
    return isinstance(exc, OSError)
