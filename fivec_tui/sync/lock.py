"""One poller per account: an exclusive file lock next to the database.

Two pollers on one account would split the destructive streams between them, so the second
one must refuse, and say which process holds the lock.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from ..private_files import lock_file, private_dir, private_fd


class LockHeld(RuntimeError):
    def __init__(self, path: Path, holder: str) -> None:
        super().__init__(
            f"another poller holds {path} (pid {holder or 'unknown'}); only one may pull an "
            "account's reports and replies. Stop it, or open the TUI to attach read-only."
        )
        self.holder = holder


class PollerLock:
    def __init__(self, db_path: str | Path) -> None:
        self.path = lock_file(db_path)
        self._fd: int | None = None

    def holder(self) -> str:
        try:
            return self.path.read_text().strip()
        except OSError:
            return ""

    def acquire(self) -> None:
        private_dir(self.path.parent)
        fd = private_fd(self.path, os.O_RDWR)  # never through a link, only a file of ours
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise LockHeld(self.path, self.holder()) from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        os.fsync(fd)
        self._fd = fd

    def release(self) -> None:
        if self._fd is not None:
            fcntl.flock(self._fd, fcntl.LOCK_UN)
            os.close(self._fd)
            self._fd = None

    def __enter__(self) -> PollerLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
