"""Private files: a file this tool creates is 0600 and a directory 0700 whatever the umask,
and nothing is ever written through a symbolic link or into someone else's file.

The cache holds every code the account sent, every recipient and every reply; the log and
exports repeat them.  ``open`` and ``mkdir`` take their mode from the umask, and they follow
a symbolic link: another local user who plants ``default.log -> /tmp/evil`` where the log
will be would have the tool create ``/tmp/evil`` for them to read.  So every writer goes
through here: a new file is made with ``O_CREAT|O_EXCL|O_NOFOLLOW`` and set to 0600; a file
that is already there is opened only when it is a regular file of this user (never through
a link, never a FIFO that would block, never a device); a file replaced whole is written
beside it and renamed over it, which replaces a link itself, never its target.  An existing
file keeps its mode (someone chose it): it is warned about (:func:`too_open`) and fixed by
``fivec-tui doctor --fix``.

SQLite opens the cache and its ``-wal``/``-shm`` by name itself: :func:`refuse_unsafe` checks
those paths first (what remains is the moment between the check and SQLite's open).

Importable from every layer: only the standard library and :mod:`fivec_tui.i18n`.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .i18n import _

FILE_MODE = 0o600
DIR_MODE = 0o700
_NOFOLLOW = os.O_NOFOLLOW | os.O_CLOEXEC


class UnsafePath(OSError):
    """A path this tool will not write to (or read as a file): ``strerror`` says why."""

    def __init__(self, path: str | Path, reason: str) -> None:
        super().__init__(errno.EPERM, reason, str(path))

    def __str__(self) -> str:
        return f"{self.filename}: {self.strerror}"


def _refusal(path: str | Path, st: os.stat_result, *, dir_ok: bool = False) -> str | None:
    """Why a path with status ``st`` (``lstat``'s) is refused, or None."""
    if stat.S_ISLNK(st.st_mode):
        return _("a symbolic link: refused (this tool never writes through one)")
    if not (stat.S_ISREG(st.st_mode) or (dir_ok and stat.S_ISDIR(st.st_mode))):
        return _("not a regular file: refused")
    if st.st_uid != os.geteuid():
        return _("owned by uid {uid}, not by this user (uid {me}): refused").format(
            uid=st.st_uid, me=os.geteuid()
        )
    return None


def refuse_unsafe(path: str | Path) -> None:
    """Raise :class:`UnsafePath` unless ``path`` is missing or a regular file of this user."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if reason := _refusal(path, st):
        raise UnsafePath(path, reason)


def _open_existing(path: str | Path, flags: int) -> int:
    """Open a file that exists, only if it is a regular file of this user (not through a link;
    a FIFO is opened without blocking, then refused)."""
    try:
        fd = os.open(path, flags | _NOFOLLOW | os.O_NONBLOCK)
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise UnsafePath(path, _refusal(path, os.lstat(path)) or exc.strerror) from None
        if exc.errno in (errno.ENXIO, errno.EISDIR, errno.ENODEV):
            raise UnsafePath(path, _("not a regular file: refused")) from None
        raise
    try:
        if reason := _refusal(path, os.fstat(fd)):
            raise UnsafePath(path, reason)
        fcntl.fcntl(fd, fcntl.F_SETFL, fcntl.fcntl(fd, fcntl.F_GETFL) & ~os.O_NONBLOCK)
    except BaseException:
        os.close(fd)
        raise
    return fd


def private_fd(path: str | Path, flags: int = os.O_WRONLY, *, new: bool = False) -> int:
    """``os.open(path, flags)``, the file made 0600 when it is new (``new``: it must be, else
    FileExistsError); an existing one only if it is a regular file of this user."""
    try:
        fd = os.open(path, flags | _NOFOLLOW | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:  # a dangling link too: O_EXCL never follows one
        if new:
            raise
        return _open_existing(path, flags)
    try:
        os.fchmod(fd, FILE_MODE)  # the umask may have taken bits off
    except BaseException:
        os.close(fd)
        raise
    return fd


def private_dir(path: str | Path) -> Path:
    """``mkdir -p`` where each directory created is 0700; existing ones are left alone.

    A directory made here is set 0700 through a handle that refuses a link, so a link swapped
    in meanwhile is never followed.  The deepest directory that exists must be one; a
    symbolic link to one is taken only when this user (or root) owns the link (a data dir
    linked to another disk), never one someone else planted.
    """
    path = Path(path)
    missing = []
    for parent in (path, *path.parents):
        if os.path.lexists(parent):
            _check_dir(parent)
            break
        missing.append(parent)
    for directory in reversed(missing):
        try:
            os.mkdir(directory, DIR_MODE)
        except FileExistsError:  # made meanwhile by someone else: theirs, keep its mode
            _check_dir(directory)
            continue
        fd = os.open(directory, os.O_RDONLY | os.O_DIRECTORY | _NOFOLLOW)
        try:
            os.fchmod(fd, DIR_MODE)
        finally:
            os.close(fd)
    return path


def _check_dir(path: Path) -> None:
    st = os.lstat(path)
    if stat.S_ISLNK(st.st_mode) and st.st_uid not in (os.geteuid(), 0):
        reason = _("a symbolic link owned by uid {uid}, not by this user: refused")
        raise UnsafePath(path, reason.format(uid=st.st_uid))
    if not path.is_dir():
        raise UnsafePath(path, _("not a directory: refused"))


_FLAGS = {"w": os.O_WRONLY, "a": os.O_WRONLY | os.O_APPEND}


def open_private(path: str | Path, mode: str = "w", *, new: bool = False, **kwargs) -> IO:
    """``open(path, mode)`` for writing ("w" or "a", text or "b"): the file created 0600 when it
    is new (``new``: it must be, else FileExistsError), else opened as :func:`private_fd` says
    and, for "w", emptied once it is known to be ours."""
    fd = private_fd(path, _FLAGS[mode[0]], new=new)
    if mode[0] == "w":
        os.ftruncate(fd, 0)
    return os.fdopen(fd, mode, **kwargs)


def _replaceable(path: Path) -> None:
    """A path :func:`replacing` may rename a new file onto: nothing, a regular file, or a link
    (replaced itself); a directory, FIFO, socket or device is refused."""
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return
    if not (stat.S_ISREG(st.st_mode) or stat.S_ISLNK(st.st_mode)):
        raise UnsafePath(path, _("not a regular file: refused"))


@contextlib.contextmanager
def replacing(
    path: str | Path, mode: str = "w", *, durable: bool = False, **kwargs
) -> Iterator[IO]:
    """Write a new 0600 file that replaces ``path`` whole when the block ends without error
    (never half written; on error ``path`` is as it was).  A link at ``path`` is replaced,
    its target untouched.  ``durable``: synced to disk before the rename (the config)."""
    import tempfile  # here: most commands never replace a file (start-up)

    path = Path(path)
    _replaceable(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        os.fchmod(fd, FILE_MODE)
        with os.fdopen(fd, mode, **kwargs) as fh:
            yield fh
            if durable:
                fh.flush()
                os.fsync(fh.fileno())
        _replaceable(path)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_private(path: str | Path, text: str) -> None:
    """Replace ``path``'s content with ``text`` (UTF-8), its directory made if need be."""
    path = Path(path)
    private_dir(path.parent)
    with replacing(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def read_regular(path: str | Path, max_bytes: int) -> bytes:
    """The bytes of the regular file at ``path`` (a link to one is followed: reading through
    it harms nobody).  A FIFO, device or directory is refused without blocking, and a file
    larger than ``max_bytes`` before it is read (:class:`UnsafePath` says which);
    FileNotFoundError when there is nothing."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC | os.O_NONBLOCK | os.O_NOCTTY)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafePath(path, _("not a regular file: refused"))
        if st.st_size > max_bytes:
            raise UnsafePath(
                path,
                _("{size} bytes, more than the {limit} it may have").format(
                    size=st.st_size, limit=_size(max_bytes)
                ),
            )
        chunks, left = [], max_bytes + 1  # a file growing meanwhile is cut, then refused
        while left and (chunk := os.read(fd, min(left, 1 << 20))):
            chunks.append(chunk)
            left -= len(chunk)
    finally:
        os.close(fd)
    data = b"".join(chunks)
    if len(data) > max_bytes:
        raise UnsafePath(
            path, _("larger than the {limit} it may have").format(limit=_size(max_bytes))
        )
    return data


def _size(n: int) -> str:
    return f"{n >> 20} MiB" if n >= 1 << 20 and not n % (1 << 20) else f"{n} bytes"


def chmod_private(path: str | Path) -> None:
    """Make the regular file at ``path`` 0600 (never through a link)."""
    fd = _open_existing(path, os.O_RDONLY)
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


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


def sqlite_siblings(db_path: str | Path) -> list[Path]:
    """The files SQLite may create beside the cache, by name (WAL, shared memory, a rollback
    journal): :func:`refuse_unsafe` checks them before it opens the cache."""
    return [*cache_files(db_path)[1:], Path(f"{db_path}-journal")]


def default_log(db_path: str | Path) -> Path:
    """The daemon's log when ``--log-file`` is not given: next to the cache."""
    return Path(db_path).with_suffix(".log")


def exposed_cache(db_path: str | Path, log_file: str | Path | None = None) -> list[str]:
    """Warnings for a cache (and its WAL, SHM and log) that group or others can read."""
    paths = [(p, "cache") for p in cache_files(db_path)]
    paths.append((Path(log_file) if log_file else default_log(db_path), "log"))
    return [w for p, what in paths if (w := too_open(p, what))]
