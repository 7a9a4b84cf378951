"""Writing the audit trail (:mod:`.audit`) for one account and one actor, and the gate every
action on the platform passes: refused while the console is read-only.

Never a secret in an entry: arguments never hold one, and the profile's password, md5 and
apikey (and a new sub-account's password, given as ``secrets``) are masked out of every text
field, URLs' credentials too, before it is written.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from ..api.redact import MASK, mask_urls
from .audit import (
    ACTIONS,
    KEEP_KEY,
    Actor,
    append,
    canonical_json,
    clean_text,
    make_entry,
    numbers_hash,
    writing,
)
from .db import Store

#: Shorter secrets are not masked (a six-digit code in a text is not a password).
MIN_SECRET = 6


class ReadOnly(Exception):
    """An action refused because this console is read-only; ``reason`` says who made it so
    (``--read-only``, ``[app] read_only``, ...)."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"read-only ({reason}): nothing was sent")
        self.reason = reason


@dataclass(frozen=True)
class Pending:
    """An action begun: its entry's id, and what its outcome entry must mask too."""

    id: int
    action: str
    secrets: tuple[str, ...] = field(default=(), repr=False)


@dataclass
class Auditor:
    """Writes the trail for one account (``profile``, its platform ``account``) and one
    :class:`Actor`; refuses every action while ``read_only`` says why it is on."""

    store: Store
    actor: Actor
    profile: str
    account: str
    secrets: tuple[str, ...] = field(default=(), repr=False)
    read_only: str = ""
    keep_days: int = 0

    def mask(self, text: str, extra: Sequence[str] = ()) -> str:
        out = mask_urls(clean_text(text))
        for secret in sorted({*self.secrets, *extra}, key=len, reverse=True):
            if len(secret) >= MIN_SECRET:
                out = out.replace(secret, MASK)
        return out

    def _entry(self, action: str, outcome: str, extra: Sequence[str] = (), **what) -> dict:
        return make_entry(
            self.actor,
            self.profile,
            self.account,
            action,
            outcome,
            lambda text: self.mask(text, extra),
            **what,
        )

    def begin(
        self,
        action: str,
        *,
        mobiles: Sequence[str] = (),
        listed: bool = True,
        text: str = "",
        template: str = "",
        variables: Mapping | None = None,
        args: Mapping | None = None,
        secrets: Sequence[str] = (),
        guard: Callable[[], None] | None = None,
    ) -> Pending:
        """The ``pending`` entry, committed: call before the request leaves.  ``listed``:
        keep the numbers themselves (False: their count and hash only).  ``guard`` runs first
        in the same write transaction (no other writer between its check and the entry), and
        what it raises refuses the action (the duplicate guard's
        :func:`~.duplicates.refuse_recent`).  Raises :class:`ReadOnly` when actions are off,
        OSError/sqlite3.Error when it cannot be written (then nothing may be sent)."""
        if action not in ACTIONS:
            raise ValueError(f"not an audited action: {action!r}")
        if self.read_only:
            raise ReadOnly(self.read_only)
        entry = self._entry(
            action,
            "pending",
            secrets,
            numbers=len(mobiles) if mobiles else None,
            numbers_sha256=numbers_hash(mobiles) if mobiles else "",
            mobiles=",".join(mobiles) if listed else "",
            text=text,
            template=template,
            variables=canonical_json(variables) if variables else "",
            args=canonical_json(args) if args else "",
        )
        with writing(self.store) as conn:
            if guard is not None:
                guard()
            if self.keep_days:
                _remember_keep_days(conn, self.keep_days)
            return Pending(append(conn, entry), action, tuple(secrets))

    def finish(self, pending: Pending, outcome: str, msgid: str = "", detail: str = "") -> int:
        """The outcome entry of ``pending``: ``accepted``, ``ok``, ``failed`` or ``unknown``."""
        entry = self._entry(
            pending.action, outcome, pending.secrets, ref=pending.id, msgid=msgid, detail=detail
        )
        with writing(self.store) as conn:
            return append(conn, entry)


def _remember_keep_days(conn, days: int) -> None:
    conn.execute(
        "INSERT INTO settings(key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET "
        "value = max(CAST(value AS INTEGER), CAST(excluded.value AS INTEGER))",
        (KEEP_KEY, str(days)),
    )
