"""Blacklist: look a number up, keep the history, request removal (audited; not offered on a
read-only console)."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal
from textual.widgets import Button, Header, Input, Static

from ..api import BlacklistResult, FivecError
from ..api.sms import one_mobile
from ..i18n import N_, _
from ..store import queries
from ..store.auditor import ReadOnly
from ..store.blacklist import add_blacklist_lookup
from ..when import platform_time, show_date
from .base import StoreScreen
from .format import safe_text
from .keybar import KeyBar
from .widgets import Banner, Confirm, Rows, table_of

RULES = N_(
    "Only numbers blacklisted for an opt-out reply (TD, 退订) can be whitelisted, and only on "
    "non-marketing accounts. Complaint blacklists (10086, MIIT) cannot be removed. The number "
    "is whitelisted for this account only."
)


#: The history's actions (as the cache keeps them) as a person reads them.
ACTIONS = {"check": N_("lookup"), "remove": N_("removal"), "remove-refused": N_("removal refused")}


@dataclass(frozen=True)
class Lookups:
    """One load: the blacklist lookups made from this cache, newest first."""

    rows: list[dict]


class BlacklistScreen(StoreScreen[Lookups]):
    """Opens on the history, as the other screens open on their table, so that a letter
    typed goes to another screen; ``/`` (or Tab) goes to the number's field."""

    AUTO_FOCUS = "#black-history"
    DEFAULT_CSS = """
    #black-form { height: auto; }
    #black-form Input { width: 1fr; }
    #black-result { height: auto; padding: 0 1; }
    """
    BINDINGS = [
        Binding("/", "lookup", N_("Look up"), id="blacklist.lookup"),
        Binding("ctrl+r", "remove", N_("Request removal"), id="blacklist.remove"),
    ]
    ACTING = frozenset({"remove"})

    def compose(self) -> ComposeResult:
        yield Header()
        yield Banner(id="banner")
        with Horizontal(id="black-form"):
            yield Input(placeholder=_("mobile number, then enter"), id="black-mobile")
            yield Button(_("Check"), id="check", variant="primary")
            if not self.fivec.read_only:
                yield Button(_("Remove…"), id="remove", variant="warning")
        yield Static(id="black-result")
        yield Static(_("lookup history"), classes="caption")
        table = table_of(
            _("time"),
            _("mobile"),
            _("result"),
            _("description"),
            _("added"),
            _("action"),
            id="black-history",
        )
        self.rows = Rows(table)
        yield table
        yield KeyBar()

    def load(self) -> Lookups:
        return Lookups(queries.blacklist_history(self.fivec.store, until=self.fivec.at))

    def show(self, data: Lookups) -> None:
        self.rows.show(
            [
                (
                    str(i),
                    (
                        show_date(r["at"]),
                        safe_text(r["mobile"]),
                        Text(_("BLACK"), "bold red") if r["black"] else Text(_("clear"), "green"),
                        safe_text(r["description"], limit=40),
                        safe_text(platform_time(r["added"])),
                        _(ACTIONS[r["action"]]) if r["action"] in ACTIONS else r["action"],
                    ),
                )
                for i, r in enumerate(data.rows)
            ]
        )

    def _mobile(self) -> str | None:
        try:
            return one_mobile(self.query_one("#black-mobile", Input).value)
        except ValueError as exc:  # why, and how a number abroad is written
            self.notify(
                str(exc), title=_("enter one valid mobile number"), severity="error", markup=False
            )
            return None

    def action_lookup(self) -> None:
        self.query_one("#black-mobile", Input).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        self.check()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.check() if event.button.id == "check" else self.action_remove()

    def check(self) -> None:
        mobile = self._mobile()
        if mobile:
            self._check(mobile)

    @work(exclusive=True, exit_on_error=False, group="blacklist")
    async def _check(self, mobile: str) -> None:
        box = self.query_one("#black-result", Static)
        if self.fivec.client is None:
            box.update(Text(_("no account configured"), "red"))
            return
        try:
            result = await self.fivec.client.blacklist_check(mobile)
        except FivecError as exc:
            box.update(safe_text(_("lookup failed: {error}").format(error=exc), "red"))
            return
        add_blacklist_lookup(self.fivec.store, result)
        if result.black:
            box.update(
                Text.assemble(
                    (f"{mobile}: " + _("BLACK"), "bold red"),
                    " — ",
                    safe_text(result.description),
                    safe_text(" " + _("(added {added})").format(added=platform_time(result.added))),
                )
            )
        else:
            box.update(Text(f"{mobile}: " + _("not on the platform blacklist"), "green"))
        self.refresh_data()

    def action_remove(self) -> None:
        if self.fivec.client is None:
            self.notify(_("no account configured"), severity="error")
            return
        mobile = self._mobile()
        if mobile:
            self.app.push_screen(
                Confirm(
                    _("Request whitelisting of {mobile}?").format(mobile=mobile), Text(_(RULES))
                ),
                lambda ok: self._remove(mobile) if ok else None,
            )

    @work(exclusive=True, exit_on_error=False, group="blacklist")
    async def _remove(self, mobile: str) -> None:
        from ..sync.acting import NotAudited, act

        box = self.query_one("#black-result", Static)
        client = self.fivec.client
        try:
            result = await act(
                self.fivec.auditor(),
                "blacklist_remove",
                lambda: client.blacklist_remove(mobile),
                mobiles=[mobile],
            )
        except (FivecError, ReadOnly, NotAudited) as exc:
            box.update(
                safe_text(
                    f"{mobile}: " + _("removal refused: {error}").format(error=exc), "bold red"
                )
            )
            # in the history too, the number as black as it was known to be
            black = mobile in queries.cached_black(self.fivec.store, [mobile])
            self._keep(BlacklistResult(mobile, black, str(exc)), "remove-refused")
            return
        box.update(safe_text(f"{mobile}: {result.message}", "green"))
        self._keep(BlacklistResult(mobile, False, result.message), "remove")

    def _keep(self, result: BlacklistResult, action: str) -> None:
        """A removal asked for, in the lookup history beside the lookups."""
        add_blacklist_lookup(self.fivec.store, result, action)
        self.refresh_data()
