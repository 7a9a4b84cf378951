"""Is the cache fit to be written into?  Asked before anything pulls into it.

A report or a reply is pulled destructively: once the platform handed it out, the cache is
the only copy.  A cache with a damaged page may still open and even take inserts, while the
page the next insert needs raises, each chunk then taken off the platform and never stored.
So ``poll`` (every form) and the TUI's sync ask :func:`cache_problem` first and pull nothing
into a cache that has one; ``fivec-tui doctor --fix`` sets a damaged cache aside and builds a
new one (:mod:`.salvage`).

The check is SQLite's ``PRAGMA quick_check`` on a read-only connection: it walks every page
of every table and index (not the cross-check of index entries against rows, which is
``integrity_check`` and eight times slower), so it finds a damaged page wherever it is.  It
reads the whole file: about 2 s for a 1 GB cache whose pages the OS has cached, the disk's
read time when it has not.  The TUI runs it in a worker thread after its first frame, before
the sync starts.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from ..i18n import _
from ..private_files import refuse_unsafe, sqlite_siblings

HEADER = b"SQLite format 3\x00"
#: SQLite's result codes that mean the file itself is bad, not the moment (locked, busy,
#: read-only, no permission): only those make ``doctor --fix`` set a cache aside.
DAMAGE_CODES = {"SQLITE_CORRUPT", "SQLITE_NOTADB"}
#: At most this many of quick_check's findings are read (the first one is said).
FINDINGS = 5
#: What a damaged cache raises.  SQLite's message quotes the schema near a syntax error; when
#: the damage put bytes there that are not UTF-8, Python's sqlite3 fails to decode the message
#: and raises UnicodeDecodeError instead of the DatabaseError it was making.
SQLITE_ERRORS = (sqlite3.DatabaseError, UnicodeDecodeError)


@dataclass(frozen=True)
class CacheProblem:
    """Why the cache at ``path`` must not be written into.  ``damaged``: the file is bad
    (``doctor --fix`` rebuilds it); otherwise it is unsafe or unusable for now (a link, not
    ours, locked, a read-only file system), and rebuilding would not help."""

    path: Path
    reason: str
    damaged: bool

    def line(self) -> str:
        """The one line said wherever the cache is refused."""
        if self.damaged:
            text = _(
                "the cache {path} is damaged ({reason}): run `fivec-tui doctor --fix` to set "
                "it aside and rebuild it; nothing is pulled into it until then."
            )
        else:
            text = _(
                "the cache {path} cannot be used ({reason}): `fivec-tui doctor` says what to "
                "do; nothing is pulled into it until then."
            )
        return text.format(path=self.path, reason=self.reason)


class CacheBroken(Exception):
    """The cache cannot be opened or must not be written: ``str()`` is the one line to say."""

    def __init__(self, problem: CacheProblem) -> None:
        super().__init__(problem.line())
        self.problem = problem


def from_error(path: str | Path, exc: Exception) -> CacheProblem:
    """The problem an error raised while opening the cache (SQLite's, or a refused path)
    stands for."""
    if isinstance(exc, OSError):  # a refused path (UnsafePath), no permission...
        reason = exc.strerror or str(exc)
        if exc.filename and exc.filename != str(path):  # its -wal, -shm: named
            reason = f"{exc.filename}: {reason}"
        return CacheProblem(Path(path), reason, damaged=False)
    if isinstance(exc, UnicodeDecodeError):  # see SQLITE_ERRORS
        return CacheProblem(Path(path), _("its schema is damaged (bytes that are not text)"), True)
    name = getattr(exc, "sqlite_errorname", "")
    damaged = any(name.startswith(code) for code in DAMAGE_CODES)
    return CacheProblem(Path(path), str(exc) or name, damaged)


def cache_problem(path: str | Path) -> CacheProblem | None:
    """What is wrong with the cache at ``path``, or None when it may be written into (a
    missing or empty file is fine: a new cache is made there)."""
    path = Path(path)
    try:
        for file in (path, *sqlite_siblings(path)):
            refuse_unsafe(file)
        size = os.stat(path).st_size
    except FileNotFoundError:
        return None
    except OSError as exc:
        return from_error(path, exc)
    if not size:
        return None
    # The header is read by SQLite, never through a descriptor of our own: closing one would
    # release the POSIX locks this process's connections hold on the file (see
    # ``store/db.py:made_private``), and the TUI checks a cache it has open.
    # Without a WAL no connection has the cache open (opening it makes one): read it as
    # immutable, which creates no -wal or -shm beside it; else as a reader among others.
    wal = os.path.lexists(f"{path}-wal")
    uri = f"file:{quote(str(path))}?mode=ro" + ("" if wal else "&immutable=1")
    try:
        conn = sqlite3.connect(uri, uri=True, timeout=30)
    except SQLITE_ERRORS as exc:
        return from_error(path, exc)
    try:
        findings = [row[0] for row in conn.execute(f"PRAGMA quick_check({FINDINGS})")]
    except SQLITE_ERRORS as exc:
        if getattr(exc, "sqlite_errorname", "") == "SQLITE_NOTADB":
            return CacheProblem(path, _("not an SQLite database: its header is gone"), True)
        return from_error(path, exc)
    finally:
        conn.close()
    if findings != ["ok"]:  # the first finding said ("Page 53: btreeInitPage() returns...")
        lines = [line for f in findings for line in str(f).splitlines() if line.strip()]
        first = next((line for line in lines if not line.startswith("***")), "?")
        return CacheProblem(path, _("quick_check: {finding}").format(finding=first[:100]), True)
    return None


def schema_behind(path: str | Path, conn: sqlite3.Connection) -> CacheProblem | None:
    """The cache's schema is older than this version's (made by an earlier one, or whose
    first migration failed: a full ``TMPDIR``): a read-only command met "no such table"
    in it. A writer (``poll``, the TUI, ``doctor --fix``) brings it up to date."""
    from .migrations import pending

    if not (steps := pending(conn)):
        return None
    reason = _("its schema is {n} step(s) behind this version's").format(n=len(steps))
    return CacheProblem(Path(path), reason, False)


def ensure_sound(path: str | Path) -> None:
    """Raise :class:`CacheBroken` when :func:`cache_problem` finds one."""
    if problem := cache_problem(path):
        raise CacheBroken(problem)
