"""Sub-accounts (§11) of the account shown: status, sent today and this month, balance left,
and the CLI's actions (create, lock, unlock, charge), each confirmed first.

The table is the cache's (the poller's ``subaccounts`` job pulls ``billing`` and ``info`` on
a slow interval), so it never waits on the platform; an action calls the same client method
as ``fivec-tui subaccounts ...``, then the app asks the poller to pull them again.  The
new sub-account's password is typed in a password field, sent once, and never shown,
logged nor kept.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.screen import ModalScreen
from textual.widgets import Button, Header, Input, Label, Static

from ..api import FivecError, PlatformError, TransportError
from ..api.subaccounts import name_problems, password_problems
from ..i18n import N_, _
from ..store.auditor import ReadOnly
from ..store.subaccounts import SubAccount, subaccounts
from ..when import show_time
from .base import StoreScreen
from .events import SubaccountsChanged
from .format import count, safe_text
from .keybar import KeyBar
from .widgets import Banner, Confirm, Rows, table_of


@dataclass(frozen=True)
class Subaccounts:
    """One load: the account first, then its sub-accounts, as last pulled."""

    rows: list[SubAccount]


def status_text(row: SubAccount) -> Text:
    if row.main:
        return Text(_("main account"), "bold")
    if row.locked is None:
        return safe_text(row.status or _("unknown"), "yellow", limit=24)
    return Text(_("locked"), "bold red") if row.locked else Text(_("active"), "green")


class Form(ModalScreen[dict | None]):
    """A few fields and OK; Esc cancels.  ``fields``: (id, label, is a password).

    ``values`` fills the fields (a form given back after the platform refused it), ``note``
    says why above them, and ``check`` (values -> problems) keeps the form open, saying
    them, until there are none.
    """

    DEFAULT_CSS = "Form { align: center middle; } #form-note { color: $error; }"
    BINDINGS = [Binding("escape", "cancel", N_("Cancel"), id="form.cancel")]

    def __init__(
        self,
        title: str,
        fields: list[tuple[str, str, bool]],
        values: dict[str, str] | None = None,
        note: str = "",
        check: Callable[[dict[str, str]], list[str]] | None = None,
    ) -> None:
        super().__init__()
        self.title_text, self.fields = title, fields
        self.initial, self.note, self.check = values or {}, note, check

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Label(Text(self.title_text, "bold"))
            for name, label, secret in self.fields:
                value = self.initial.get(name, "")
                yield Input(value, placeholder=label, password=secret, id=f"form-{name}")
            yield Static(safe_text(self.note), id="form-note")
            with Horizontal():
                yield Button(_("OK"), variant="warning", id="ok")
                yield Button(_("Cancel"), id="cancel")

    def values(self) -> dict[str, str]:
        return {n: self.query_one(f"#form-{n}", Input).value.strip() for n, _l, _s in self.fields}

    def ok(self) -> None:
        values = self.values()
        problems = self.check(values) if self.check else []
        if problems:  # said here, the fields kept: nothing typed is lost
            said = Text("\n").join(safe_text(p) for p in problems)
            self.query_one("#form-note", Static).update(said)
            return
        self.dismiss(values)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Enter goes to the next field; on the last one it is OK."""
        if event.input.id == f"form-{self.fields[-1][0]}":
            self.ok()
        else:
            self.focus_next()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        if event.button.id == "ok":
            self.ok()
        else:
            self.dismiss(None)

    def action_cancel(self) -> None:
        self.dismiss(None)


class SubaccountsScreen(StoreScreen[Subaccounts]):
    SHOWS_NOW = True  # acts on and shows the platform now, whatever moment the others show
    AUTO_FOCUS = "#subaccounts"
    BINDINGS = [
        Binding("n", "create", N_("New"), id="subaccounts.create"),
        Binding("l", "lock(True)", N_("Lock"), id="subaccounts.lock"),
        Binding("o", "lock(False)", N_("Unlock"), id="subaccounts.unlock"),
        Binding("c", "charge", N_("Charge"), id="subaccounts.charge"),
    ]
    ACTING = frozenset({"create", "lock", "charge"})

    def compose(self) -> ComposeResult:
        yield Header()
        yield Banner(id="banner")
        yield Static(id="subaccounts-status")
        table = table_of(
            _("sub-account"),
            _("status"),
            _("today"),
            _("this month"),
            _("balance"),
            _("checked"),
            id="subaccounts",
            zebra_stripes=True,
        )
        self.rows = Rows(table)
        yield table
        yield Static(id="subaccounts-result")
        yield KeyBar()

    def load(self) -> Subaccounts:
        return Subaccounts(subaccounts(self.fivec.store))

    def show(self, data: Subaccounts) -> None:
        self.data = data
        status = (
            _("{n} sub-accounts; sent counts and balances as the platform bills them").format(
                n=sum(1 for r in data.rows if not r.main)
            )
            if data.rows
            else _("not pulled yet (the subaccounts job runs on a slow interval)")
        )
        self.query_one("#subaccounts-status", Static).update(Text(status))
        self.rows.show(
            [
                (
                    r.username,
                    (
                        safe_text(r.username, "bold" if r.main else "", limit=24),
                        status_text(r),
                        count(r.sent_today),
                        count(r.sent_month),
                        "—" if r.remaining is None else f"{r.remaining:,.0f}",
                        show_time(r.checked_at or None),
                    ),
                )
                for r in data.rows
            ]
        )

    data = Subaccounts([])

    def _chosen(self) -> str | None:
        """The highlighted sub-account (not the account itself), or said why none."""
        from textual.widgets import DataTable

        table = self.query_one("#subaccounts", DataTable)
        rows = {r.username: r for r in self.data.rows}
        if table.row_count and table.cursor_row >= 0:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
            if key in rows and not rows[key].main:
                return key
        self.notify(_("choose a sub-account first"), severity="warning")
        return None

    def _confirm_then(
        self,
        title: str,
        body: str,
        action,
        audited: tuple[str, dict],
        refused: Callable[[str], None] | None = None,
    ) -> None:
        """Ask, then call ``action`` (client → request), audited as ``audited``: the action's
        name and its entry's fields; ``refused`` is told the platform's refusal."""
        if self.fivec.client is None:
            self.notify(_("no account configured"), severity="error")
            return
        self.app.push_screen(
            Confirm(title, safe_text(body)),
            lambda ok: self._call(action, *audited, refused) if ok else None,
        )

    def action_lock(self, lock: bool) -> None:
        child = self._chosen()
        if child:
            title = _("Lock {child}?") if lock else _("Unlock {child}?")
            body = _("account {account}").format(account=self.fivec.profile.username)
            audited = (
                "subaccount_lock" if lock else "subaccount_unlock",
                {"args": {"child": child}},
            )
            self._confirm_then(
                title.format(child=child), body, lambda c: c.user_lock(child, lock), audited
            )

    def action_charge(self) -> None:
        child = self._chosen()
        if not child:
            return

        def asked(values: dict | None) -> None:
            if not values:
                return
            amount = int(values["amount"])
            self._confirm_then(
                _("Move {amount} to {child}?").format(amount=amount, child=child),
                _("from account {account} (a negative amount takes it back)").format(
                    account=self.fivec.profile.username
                ),
                lambda c: c.user_charge(child, amount),
                ("subaccount_charge", {"args": {"child": child, "amount": amount}}),
            )

        def whole(values: dict[str, str]) -> list[str]:
            ok = re.fullmatch(r"-?[0-9]+", values["amount"]) is not None
            return [] if ok else [_("the amount is a whole number")]

        title = _("Charge {child}").format(child=child)
        self.app.push_screen(Form(title, [("amount", _("amount"), False)], check=whole), asked)

    def action_create(self, values: dict[str, str] | None = None, note: str = "") -> None:
        """The new sub-account's form, checked against the platform's rules before it asks
        to confirm; given back filled (``values``), saying why (``note``), when the platform
        refuses it."""

        def asked(values: dict | None) -> None:
            if not values:
                return
            child, password = values["child"], values["password"]
            mobile, company = values["mobile"], values["company"]
            self._confirm_then(
                _("Create sub-account {child}?").format(child=child),
                _("under account {account}, contact mobile {mobile}").format(
                    account=self.fivec.profile.username, mobile=mobile
                ),
                lambda c: c.user_create(child, password, mobile, company),
                (
                    "subaccount_create",
                    {
                        "args": {"child": child, "contact_mobile": mobile, "company": company},
                        "secrets": [password],
                    },
                ),
                refused=lambda error: self.action_create(values, error),
            )

        fields = [
            ("child", _("sub-account name: 6 to 15 letters or digits"), False),
            ("password", _("its password: 6 to 15 letters or digits"), True),
            ("mobile", _("contact mobile"), False),
            ("company", _("company (optional, at most 20 characters)"), False),
        ]

        def check(v: dict[str, str]) -> list[str]:
            return name_problems(v["child"], v["mobile"], v["company"]) + password_problems(
                v["password"]
            )

        form = Form(_("New sub-account"), fields, values, note, check)
        self.app.push_screen(form, asked)

    @work(exclusive=True, exit_on_error=False, group="subaccounts")
    async def _call(self, action, name: str, what: dict, refused=None) -> None:
        from ..sync.acting import NotAudited, act

        box = self.query_one("#subaccounts-result", Static)
        client = self.fivec.client
        try:
            result = await act(self.fivec.auditor(), name, lambda: action(client), **what)
        except (FivecError, ReadOnly, NotAudited) as exc:
            said = _("refused: {error}").format(error=exc)
            box.update(safe_text(said, "bold red"))
            if refused is not None and isinstance(exc, (PlatformError, TransportError)):
                refused(said)
            return
        box.update(safe_text(result.message, "green"))
        self.post_message(SubaccountsChanged())
