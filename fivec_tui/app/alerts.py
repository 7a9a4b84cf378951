"""Alerts: what fired, repeated and resolved, newest first; enter (or a click) acknowledges."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Header, Static

from ..i18n import N_, _
from ..store import queries
from ..store.alerts import ack_alert
from ..when import show_date
from .base import StoreScreen
from .format import safe_text
from .keybar import KeyBar
from .widgets import Banner, Rows, table_of

STATE_STYLE = {N_("firing"): "bold red", N_("repeat"): "red", N_("resolved"): "green"}


@dataclass(frozen=True)
class Alerts:
    """One load: the latest alert events, newest first."""

    rows: list[dict]  # with several accounts, each with its "account"


class AlertsScreen(StoreScreen[Alerts]):
    AUTO_FOCUS = "#alerts"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Banner(id="banner")
        yield Static(id="alerts-status")
        several = len(self.fivec.accounts) > 1  # the account of each alert, in a column
        table = table_of(
            _("time"),
            *([_("account")] if several else []),
            _("state"),
            _("rule"),
            _("ack"),
            _("message"),
            id="alerts",
            zebra_stripes=True,
        )
        self.rows = Rows(table)
        yield table
        yield KeyBar()

    def load(self) -> Alerts:
        at = self.fivec.at
        if len(self.fivec.accounts) < 2:
            return Alerts(queries.alerts(self.fivec.store, 200, until=at))
        rows = [
            {**r, "account": name}
            for name, a in self.fivec.accounts.items()
            for r in queries.alerts(a.store, 200, until=at)
        ]
        return Alerts(sorted(rows, key=lambda r: -(r["at"] or 0))[:200])

    def show(self, data: Alerts) -> None:
        rows = data.rows
        unacked = sum(1 for r in rows if r["state"] != "resolved" and not r["acked"])
        self.query_one("#alerts-status", Static).update(
            Text(
                _("{n} unacknowledged").format(n=unacked) if unacked else _("nothing waiting"),
                "bold red" if unacked else "green",
            )
        )
        self.rows.show(
            [
                (
                    f"{r['account']}:{r['id']}" if "account" in r else str(r["id"]),
                    (
                        show_date(r["at"]),
                        *([safe_text(r["account"], limit=16)] if "account" in r else []),
                        Text(_(r["state"]), STATE_STYLE.get(r["state"], "")),
                        r["rule"],
                        "✓" if r["acked"] else "",
                        safe_text(r["message"], limit=120),
                    ),
                )
                for r in rows
            ]
        )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """Enter (or a click) on an alert acknowledges it."""
        account, _sep, alert_id = event.row_key.value.rpartition(":")
        store = self.fivec.accounts[account].store if account else self.fivec.store
        self.off_ui(lambda: ack_alert(store, int(alert_id)), lambda _: self.refresh_data(), "ack")
