"""The demo's temporary directories (``$TMPDIR/fivec-demo-XXXXXXXX``): each records the pid
of the process that owns it, and those whose owner is gone are removed when the next demo
starts.

A demo ends by removing its directory, but one killed (SIGKILL, or a ``serve --demo``
session's process killed) leaves it: the caches with the demo's week of history, hundreds
of MB on the disk the DISK FULL rule guards.  Removed only when all of this holds: the name
is exactly what :func:`tempfile.mkdtemp` made with the prefix; it is a directory itself
(never a link, never followed), of this user, mode 0700; it holds the ``owner`` file a demo
writes, and the process it names is gone (or its pid was reused: its start time differs).
A directory without that file (a demo of an earlier version, or one starting this moment)
is left alone.
"""

from __future__ import annotations

import contextlib
import logging
import os
import re
import shutil
import stat
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

from ..private_files import DIR_MODE, open_private, read_regular
from ..processes import alive, start_time

log = logging.getLogger("fivec_tui.demo")

PREFIX = "fivec-demo-"
#: What :func:`tempfile.mkdtemp` puts after the prefix: 8 of its characters.
NAME = re.compile(r"fivec-demo-[a-z0-9_]{8}\Z")
OWNER = "owner"


@contextlib.contextmanager
def demo_dir() -> Iterator[Path]:
    """A new 0700 temporary directory owned by this process, removed at the end; the stale
    ones of killed demos removed meanwhile, in a thread: the scan of the temporary directory
    (thousands of entries on a shared box) is not what the first frame should wait for. Not
    a daemon: the process ends once a removal begun is done, never with a directory half
    removed and its owner file gone, which no later start would remove."""
    threading.Thread(target=remove_stale, name="fivec-stale-demos").start()
    with tempfile.TemporaryDirectory(prefix=PREFIX, ignore_cleanup_errors=True) as tmp:
        with open_private(Path(tmp) / OWNER, "w", new=True, encoding="ascii") as fh:
            fh.write(f"{os.getpid()} {start_time(os.getpid()) or ''}\n")
        yield Path(tmp)


def remove_stale(base: str | Path | None = None) -> list[Path]:
    """Remove the demo directories in ``base`` (the temporary directory) whose owner is
    gone, as the module's docstring says; returns those removed."""
    base = Path(base or tempfile.gettempdir())
    removed = []
    try:
        entries = [e for e in os.scandir(base) if NAME.match(e.name)]
    except OSError:
        return []
    for entry in entries:
        path = Path(entry.path)
        if _stale(path):
            try:
                shutil.rmtree(path)  # a link put there since is refused, never followed
            except OSError as exc:
                log.warning("a stale demo directory cannot be removed: %s: %s", path, exc)
                continue
            removed.append(path)
    return removed


def _stale(path: Path) -> bool:
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
        return False
    if stat.S_IMODE(st.st_mode) != DIR_MODE:
        return False
    owner = path / OWNER
    try:
        if stat.S_ISLNK(os.lstat(owner).st_mode):
            return False
        pid, _sep, started = read_regular(owner, 100).decode("ascii").strip().partition(" ")
        return not alive(int(pid), started or None)
    except (OSError, ValueError):  # no owner file, not ours to judge, or not a pid
        return False
