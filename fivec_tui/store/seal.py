"""The audit trail's seal, kept outside the cache: a key and, per cache, an anchor.

A hash chain kept in the cache alone proves nothing to whoever can write the cache: they can
cut the tail and rewrite the head, rewrite entries and chain them again with the same
public hash, or delete everything.  So the chain is an HMAC-SHA256 under a key that lives in
this user's state directory (``~/.local/state/fivec-tui/audit/key``, 0600, made on first use,
never logged or exported), and the last entry written (its id and hash) is recorded there
too, in the cache's anchor (``audit/<hash of the cache's real path>.anchor``), after each
commit.  What the anchor says can only be contradicted by the cache, never rewritten from it:

- ``keyed_from``: the first entry sealed with the key (entries before it were chained with
  plain SHA-256 by an earlier version, and are checked so);
- ``id``/``hash``: an entry the trail must still hold, unchanged;
- ``lost``: anchored entries found missing when a later entry was written (the trail was cut,
  replaced or rebuilt without them), kept so the break stays visible.

This detects a cut tail, a deleted trail and entries rewritten or chained again without the
key.  It does not stop whoever can read the key (this OS user, root): they can forge.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import functools
import hashlib
import hmac
import json
import os
import secrets
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

from ..private_files import open_private, private_dir, private_fd, replacing

KEY_BYTES = 32
#: Keys read in this process, by path: a key never changes once made.
_KEYS: dict[Path, bytes] = {}


def seal_dir() -> Path:
    """Where the key and the anchors live: this user's state directory."""
    import platformdirs  # here: only a writer or a check of the trail needs it

    return Path(platformdirs.user_state_dir("fivec-tui")) / "audit"


@dataclass
class Anchor:
    """What the state directory knows of one cache's trail."""

    cache: str
    keyed_from: int
    id: int
    hash: str
    lost: list[dict] = field(default_factory=list)


class Seal:
    """The key and the anchor of the cache at ``cache`` (its real path names the anchor)."""

    def __init__(self, cache: str | Path, directory: Path | None = None) -> None:
        self.cache = os.path.realpath(cache)
        self.dir = directory or seal_dir()
        name = hashlib.sha256(self.cache.encode("utf-8", "surrogateescape")).hexdigest()[:32]
        self.key_path = self.dir / "key"
        self.anchor_path = self.dir / f"{name}.anchor"
        self._lock_path = self.dir / f"{name}.lock"

    @classmethod
    def of(cls, conn: sqlite3.Connection) -> Seal | None:
        """The seal of the cache ``conn`` is on; None for a database in memory."""
        for _seq, name, path in conn.execute("PRAGMA database_list"):
            if name == "main":
                return _seal(path, seal_dir()) if path else None
        return None

    # -- the key --------------------------------------------------------------------------
    def key(self, *, create: bool = False) -> bytes | None:
        """The key (made first when ``create``); None when there is none or it is unreadable."""
        if known := _KEYS.get(self.key_path):
            return known
        if self.key_path.is_symlink() or (self.key_path.exists() and not self.key_path.is_file()):
            # Followed, another user's file would seal the trail; ignored, actions went unsealed
            # without a word and a cut tail verified clean.  Refused: said, nothing written.
            raise OSError(
                errno.EINVAL,
                f"the audit key {self.key_path} is a link or not a file: remove it (a new key is "
                "made) or put the key file itself there",
            )
        try:
            key = bytes.fromhex(self.key_path.read_text("ascii").strip())
        except FileNotFoundError:
            return self._new_key() if create else None
        except (OSError, ValueError):
            return None
        if len(key) != KEY_BYTES:
            return None
        _KEYS[self.key_path] = key
        return key

    def _new_key(self) -> bytes | None:
        """A new key, written whole beside its final name then linked there: of two processes
        making it at once, one key wins and both use it."""
        private_dir(self.dir)
        tmp = self.dir / f".key.{os.getpid()}.{secrets.token_hex(4)}"
        with open_private(tmp, "w", new=True, encoding="ascii") as fh:
            fh.write(secrets.token_hex(KEY_BYTES) + "\n")
        try:
            os.link(tmp, self.key_path)
        except FileExistsError:
            pass
        finally:
            tmp.unlink()
        return self.key()

    @staticmethod
    def mac(key: bytes, text: str) -> str:
        return hmac.new(key, text.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()

    # -- the anchor -----------------------------------------------------------------------
    def anchor(self) -> Anchor | None:
        """The anchor, None when there is none (or it cannot be read: said by the caller as
        a trail not anchored)."""
        try:
            data = json.loads(self.anchor_path.read_text("utf-8"))
            return Anchor(**data)
        except FileNotFoundError:
            return None
        except (OSError, ValueError, TypeError):
            return None

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        private_dir(self.dir)
        fd = private_fd(self._lock_path, os.O_RDWR)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            yield
        finally:
            os.close(fd)

    def _write(self, anchor: Anchor) -> None:
        with replacing(self.anchor_path, "w", encoding="utf-8") as fh:
            json.dump(asdict(anchor), fh, ensure_ascii=False)

    def advance(self, entry_id: int, digest: str, keyed_from: int) -> None:
        """Anchor entry ``entry_id`` (committed) unless a later one is anchored already."""
        with self._locked():
            anchor = self.anchor()
            if anchor is None:
                self._write(Anchor(self.cache, keyed_from, entry_id, digest))
            elif entry_id > anchor.id:
                anchor.id, anchor.hash = entry_id, digest
                self._write(anchor)

    def note_lost(self, anchor: Anchor, found: str | None) -> None:
        """The anchored entry is missing (``found`` None) or not as anchored: kept in the
        anchor's ``lost`` before a later entry is anchored over it."""
        with self._locked():
            current = self.anchor() or anchor
            if any(lost["id"] == anchor.id for lost in current.lost):
                return
            current.lost.append(
                {"id": anchor.id, "hash": anchor.hash, "found": found, "at": time.time()}
            )
            self._write(current)


@functools.lru_cache(maxsize=64)
def _seal(cache: str, directory: Path) -> Seal:
    """One :class:`Seal` per cache and state directory in a process (each write asks)."""
    return Seal(cache, directory)
