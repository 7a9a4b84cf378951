"""What the app's parts tell each other, as Textual messages.

The cache watcher (:mod:`.link`, a worker thread) posts what it sees in the caches; the
screens post what the person did.  The app handles them (``on_*``), so that no part calls
into another: a screen never steers the sync, the watcher never redraws a screen.
(:mod:`.messages` is the Messages screen.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

if TYPE_CHECKING:
    from ..sync.alerts import Event


class CacheChanged(Message):
    """Another connection committed to these accounts' caches (new rows, a job's health):
    the screen showing them reloads."""

    def __init__(self, accounts: frozenset[str]) -> None:
        super().__init__()
        self.accounts = accounts


class AlertRaised(Message):
    """A new row of an account's ``alerts`` table: fired, repeated or resolved."""

    def __init__(self, account: str, event: Event) -> None:
        super().__init__()
        self.account, self.event = account, event


class SyncStateChanged(Message):
    """An account's sync: ``starting``, ``live``, ``read-only`` or why its jobs fail (one of
    :data:`fivec_tui.sync.diagnosis.REASONS`), with the line the banner says beside it."""

    def __init__(self, account: str, state: str, note: str) -> None:
        super().__init__()
        self.account, self.state, self.note = account, state, note


class AccountFocused(Message):
    """The person chose an account: every screen shows it from now on."""

    def __init__(self, account: str) -> None:
        super().__init__()
        self.account = account


class SendDone(Message):
    """A send or a bulk send went out: its records and reports are wanted sooner."""


class SubaccountsChanged(Message):
    """A sub-account was created, locked, unlocked or charged: their table is wanted again."""
