"""Alerts: what fired, repeated and resolved, newest first; enter (or a click) acknowledges.

At 80 columns a message is cut in the table, so the highlighted alert is shown whole below it:
its message, rule, state, since when, value and threshold, account, acknowledged or not.
Rules are shown by their names in the interface's language (the id stays in the cache).
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
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


def row_key(row: dict) -> str:
    return f"{row['account']}:{row['id']}" if "account" in row else str(row["id"])


def detail(row: dict) -> Text:
    """The whole of one alert event, for the pane below the table."""
    from ..sync.alerts import rule_name

    try:
        payload = json.loads(row.get("payload") or "{}")
    except ValueError:
        payload = {}
    payload = payload if isinstance(payload, dict) else {}
    since = payload.get("since") or (row["at"] if row["state"] == "firing" else None)
    head = [
        Text(rule_name(row["rule"]), "bold"),
        Text("  " + _(row["state"]), STATE_STYLE.get(row["state"], "")),
        Text("  " + _("since {time}").format(time=show_date(since)) if since else ""),
        Text("  " + _("acknowledged"), "green")
        if row["acked"]
        else Text("  " + _("not acknowledged (enter)"), "yellow"),
    ]
    if "account" in row:
        head.append(safe_text("  " + _("account {account}").format(account=row["account"])))
    lines = [Text.assemble(*head)]
    value, threshold = payload.get("value"), payload.get("threshold")
    if value or threshold:
        lines.append(
            safe_text(
                _("value {value}, threshold {threshold}").format(
                    value=value or "—", threshold=threshold or "—"
                )
            )
        )
    lines.append(safe_text(row["message"]))
    return Text("\n").join(lines)


class AlertsScreen(StoreScreen[Alerts]):
    AUTO_FOCUS = "#alerts"
    DEFAULT_CSS = """
    AlertsScreen #alerts { height: 1fr; }
    AlertsScreen #alert-detail { height: auto; max-height: 8; padding: 0 1; background: $panel; }
    """
    # Over the table's own enter, so that the key bar says what it does.
    BINDINGS = [
        Binding(
            "enter",
            "acknowledge",
            N_("Acknowledge"),
            id="alerts.ack",
            key_display="enter",
            priority=True,
        )
    ]
    #: Columns beside the message, padding included: the message gets the rest of the width
    #: (whole in the pane below), so the table never scrolls sideways.
    OTHER_COLUMNS = 50
    ACCOUNT_COLUMN = 18

    rows_by_key: dict[str, dict] = {}

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
        yield Static(id="alert-detail")
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
        from ..sync.alerts import rule_name

        rows = data.rows
        unacked = sum(1 for r in rows if r["state"] != "resolved" and not r["acked"])
        self.query_one("#alerts-status", Static).update(
            Text(
                _("{n} unacknowledged").format(n=unacked) if unacked else _("nothing waiting"),
                "bold red" if unacked else "green",
            )
        )
        if bool(self.rows_by_key) != bool(rows):
            self.refresh_bindings()  # enter is offered once there is an alert, not before
        self.rows_by_key = {row_key(r): r for r in rows}
        several = len(self.fivec.accounts) > 1
        room = self.size.width - self.OTHER_COLUMNS - (self.ACCOUNT_COLUMN if several else 0)
        self.rows.show(
            [
                (
                    row_key(r),
                    (
                        show_date(r["at"]),
                        *([safe_text(r["account"], limit=16)] if several else []),
                        Text(_(r["state"]), STATE_STYLE.get(r["state"], "")),
                        rule_name(r["rule"]),
                        "✓" if r["acked"] else "",
                        safe_text(r["message"], limit=max(20, room)),
                    ),
                )
                for r in rows
            ]
        )
        self._show_detail()

    def _highlighted(self) -> str | None:
        table = self.query_one("#alerts", DataTable)
        if not table.row_count or table.cursor_row < 0:
            return None
        return table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value

    def _show_detail(self) -> None:
        row = self.rows_by_key.get(self._highlighted() or "")
        pane = self.query_one("#alert-detail", Static)
        pane.update(detail(row) if row else Text(_("no alert"), "dim"))

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self._show_detail()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "acknowledge" and not self.rows_by_key:
            return False  # nothing to acknowledge: enter is not offered
        return super().check_action(action, parameters)

    def on_resize(self) -> None:
        self.refresh_data()  # the messages cut to the new width

    def action_acknowledge(self) -> None:
        if key := self._highlighted():
            self._acknowledge(key)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        """A click on an alert acknowledges it (enter is :meth:`action_acknowledge`)."""
        self._acknowledge(event.row_key.value)

    def _acknowledge(self, key: str) -> None:
        account, _sep, alert_id = key.rpartition(":")
        store = self.fivec.accounts[account].store if account else self.fivec.store
        self.off_ui(lambda: ack_alert(store, int(alert_id)), lambda _: self.refresh_data(), "ack")
