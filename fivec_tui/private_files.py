"""Private files: whatever the umask, a file this tool creates is 0600 and a directory 0700.

The cache holds every code the account sent, every recipient and every reply; the log and
exports repeat them.  ``open`` and ``mkdir`` take their mode from the umask, so every writer
goes through here instead.  An existing file keeps its mode (someone chose it): it is warned
about (:func:`too_open`) and fixed by ``fivec-tui doctor --fix``.

Importable from every layer: only the standard library.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import IO

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: str | Path) -> Path:
    """``mkdir -p`` where each directory created is 0700; existing ones are left alone."""
    path = Path(path)
    missing = []
    for parent in (path, *path.parents):
        if parent.is_dir():
            break
        missing.append(parent)
    for directory in reversed(missing):
        try:
            directory.mkdir(DIR_MODE)
        except FileExistsError:  # made meanwhile by someone else: theirs, keep its mode
            continue
        os.chmod(directory, DIR_MODE)  # the umask may have taken bits off
    return path


def private_file(path: str | Path) -> Path:
    """Create ``path`` empty and 0600 unless it exists (its parent must exist)."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        return path
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)
    return path


def open_private(path: str | Path, mode: str = "w", **kwargs) -> IO:
    """``open(path, mode)`` for writing, creating the file 0600 first when it is new."""
    return open(private_file(path), mode, **kwargs)


def write_private(path: str | Path, text: str) -> None:
    """Replace ``path``'s content with ``text`` (UTF-8), its directory made if need be."""
    path = Path(path)
    private_dir(path.parent)
    with open_private(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def mode_of(path: str | Path) -> int | None:
    """Permission bits of ``path`` (``None`` when it does not exist or cannot be read)."""
    try:
        return stat.S_IMODE(os.stat(path).st_mode)
    except OSError:
        return None


def too_open(path: str | Path, what: str = "file") -> str | None:
    """A warning when group or others have any access to ``path``, else ``None``."""
    mode = mode_of(path)
    if mode is None or not mode & (stat.S_IRWXG | stat.S_IRWXO):
        return None
    want = DIR_MODE if Path(path).is_dir() else FILE_MODE
    return (
        f"WARNING: {what} '{path}' has mode {mode:04o}: group or others can read it. "
        f"Run: chmod {want:o} '{path}' (or `fivec-tui doctor --fix`)"
    )


def cache_files(db_path: str | Path) -> list[Path]:
    """The cache and the files SQLite keeps beside it."""
    return [Path(f"{db_path}{suffix}") for suffix in ("", "-wal", "-shm")]


def default_log(db_path: str | Path) -> Path:
    """The daemon's log when ``--log-file`` is not given: next to the cache."""
    return Path(db_path).with_suffix(".log")


def exposed_cache(db_path: str | Path, log_file: str | Path | None = None) -> list[str]:
    """Warnings for a cache (and its WAL, SHM and log) that group or others can read."""
    paths = [(p, "cache") for p in cache_files(db_path)]
    paths.append((Path(log_file) if log_file else default_log(db_path), "log"))
    return [w for p, what in paths if (w := too_open(p, what))]
