"""Several accounts in one app: the Accounts overview, and an account focused on every screen."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..i18n import _
from .events import AccountFocused

if TYPE_CHECKING:
    from .app import FivecApp

#: The worker groups of the screens that act on the platform (a send, a bulk send, ...).
ACTING = frozenset({"send", "bulk-send", "blacklist", "subaccounts"})


class AccountFocus:
    """What :class:`~.app.FivecApp` does with several accounts (``demo --accounts 3``, or a
    config of several profiles opened without ``--profile``)."""

    def action_accounts(self: FivecApp) -> None:
        """The Accounts overview, when there are several accounts to overview."""
        if len(self.accounts) > 1:
            self.switch_mode("accounts")
        elif self.simulator is not None:  # the demo: its own way to show several
            self.notify(_("one account: fivec-tui demo --accounts 3 shows several"))
        else:
            self.notify(_("one account: start fivec-tui without --profile to see them all"))

    def on_account_focused(self: FivecApp, message: AccountFocused) -> None:
        if message.account in self.accounts:
            self.run_worker(self.focus_account(message.account), group="focus", exclusive=True)

    async def focus_account(self: FivecApp, name: str) -> None:
        """Show ``name`` on every screen: its cache, client and sync state become the app's,
        the screens are made anew (no filter or row of the last account stays), the dashboard.

        Not while a send, bulk send or other action on the platform runs: making its screen
        anew would cancel it halfway."""
        if any(w.is_running and w.group in ACTING for w in self.workers):
            self.notify(
                _("an action on the platform is running: switch account once it is done"),
                severity="warning",
            )
            return
        hosted = self.accounts[name]
        self.profile, self.store = hosted.profile, hosted.store
        self.client = self.clients.get(name)
        self.note, self.sync_state = hosted.note, hosted.state
        self.mutate_reactive(type(self).note)  # even when both are as before: the banners redraw
        await self.switch_mode("accounts")
        for mode, screen in self.screens().items():
            if mode != "accounts":  # made for the last account: made again
                await self.remove_mode(mode)  # (a mode never entered has no screen to remove)
                self.add_mode(mode, screen)
        await self.switch_mode("dashboard")
