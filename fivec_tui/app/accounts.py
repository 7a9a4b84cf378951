"""Accounts: every profile's health on one screen, worst first; Enter shows one everywhere.

Each row is :func:`~fivec_tui.sync.overview.overview` of that account's own cache, read in a
worker, so a platform that hangs never holds the screen; an account whose jobs fail says why
in words and colour (``auth error``, ``unreachable``) beside its last good numbers.  The
reason and the sync state come first, so they stay in sight at 80 columns.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import DataTable, Header, Static

from ..i18n import N_, _
from ..sync.alerts import rule_name
from ..sync.diagnosis import THROTTLED
from ..sync.overview import Overview, overview, worst_first
from .base import StoreScreen
from .dashboard import FAMILIES
from .events import AccountFocused
from .format import count, duration, rate_text, safe_text
from .keybar import KeyBar
from .link import Hosted
from .widgets import Banner, Rows, table_of

STATE_STYLE = {N_("live"): "green", N_("read-only"): "yellow", N_("starting"): "dim"}


@dataclass(frozen=True)
class Accounts:
    """One load: each account's row and sync state (``starting``, ``live``, ``read-only``)."""

    rows: list[tuple[Overview, str]]


def state_text(row: Overview, state: str) -> Text:
    """Why the account fails, in words and colour; else its sync state."""
    if row.problem:
        reason = row.problem[0]
        return Text(_(reason), "yellow" if reason == THROTTLED else "bold reverse red")
    return Text(_(state), STATE_STYLE.get(state, ""))


def failures_text(families: dict[str, int]) -> str:
    worst = sorted(families.items(), key=lambda item: (-item[1], item[0]))
    return " ".join(f"{_(FAMILIES.get(f, f))} {count(n)}" for f, n in worst) or "—"


def cells(row: Overview, state: str) -> tuple:
    return (
        safe_text(row.profile, "bold", limit=16),
        state_text(row, state),
        rate_text(row.rate_5m),
        rate_text(row.rate_1h),
        Text(str(len(row.firing)), "bold red") if row.firing else Text("0", "dim"),
        "—" if row.balance is None else f"{row.balance:,.0f}",
        duration(row.runs_out_in_s),
        count(row.sent_1h),
        count(row.pending_1h),
        failures_text(row.failures_1h),
    )


class AccountsScreen(StoreScreen[Accounts]):
    AUTO_FOCUS = "#accounts"

    def compose(self) -> ComposeResult:
        yield Header()
        yield Banner(id="banner")
        yield Static(id="accounts-status")
        table = table_of(
            _("account"),
            _("state"),
            _("5 min"),
            _("1 hour"),
            _("alerts"),
            _("balance"),
            _("runs out"),
            _("sent 1 h"),
            _("pending"),
            _("failures 1 h"),
            id="accounts",
            zebra_stripes=True,
        )
        self.rows = Rows(table)
        self._made: dict[str, tuple] = {}  # account -> (its row, state, cells) last shown
        self._read: dict[str, tuple] = {}  # account -> (its cache's version, row) last read
        yield table
        yield Static(id="account-detail")
        yield KeyBar()

    def load(self) -> Accounts:
        now = self.fivec.clock()
        hosted = list(self.fivec.accounts.values())
        rows = [self._overview(a, now) for a in hosted]
        states = {a.name: a.state for a in hosted}
        return Accounts([(r, states[r.profile]) for r in worst_first(rows)])

    def _overview(self, account: Hosted, now: float) -> Overview:
        """The account's row, read again only when its cache changed (SQLite's
        ``data_version``: another connection, its poller or the app's own, committed) or the
        windows moved: live, every second (they end now, to the second); at a past moment,
        never: a quiet account then costs one pragma."""
        at, known_now = self.fivec.at, self.fivec.known_now
        moment = (at, known_now) if at is not None else int(now)
        version = (account.store.scalar("PRAGMA data_version"), moment)
        kept = self._read.get(account.name)
        if kept is None or kept[0] != version:
            with account.store.read():  # one snapshot of the cache for the whole row
                row = overview(account.name, account.store, now, at, known_now)
            kept = self._read[account.name] = (version, row)
        return kept[1]

    def show(self, data: Accounts) -> None:
        self.data = data
        trouble = sum(1 for r, _s in data.rows if r.firing or r.problem)
        self.query_one("#accounts-status", Static).update(
            Text.assemble(
                (_("{n} accounts").format(n=len(data.rows)), "bold"),
                "  ",
                (
                    _("{n} in trouble").format(n=trouble) if trouble else _("all well"),
                    "bold red" if trouble else "green",
                ),
                "   ",
                (_("Enter: this account on every screen; A: back here"), "dim"),
            )
        )
        self.rows.show([(r.profile, self._cells(r, s)) for r, s in data.rows])
        self._detail()

    data = Accounts([])

    def _cells(self, row: Overview, state: str) -> tuple:
        """An account's cells, made again only when its numbers or state changed."""
        made = self._made.get(row.profile)
        if made is None or made[:2] != (row, state):
            made = self._made[row.profile] = (row, state, cells(row, state))
        return made[2]

    highlighted: str | None = None

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        self.highlighted = event.row_key.value
        self._detail()

    def _detail(self) -> None:
        """The highlighted account's trouble in full: the failing job and its error."""
        rows = {r.profile: r for r, _s in self.data.rows}
        row = rows.get(self.highlighted or "")
        text = Text()
        if row and row.problem:
            text = safe_text(f"{row.profile}: {row.problem[1]}", "red", limit=300)
        elif row and row.firing:
            firing = ", ".join(rule_name(alert.partition(":")[0]) for alert in row.firing)
            text = safe_text(f"{row.profile}: {firing}", "red", limit=300)
        self.query_one("#account-detail", Static).update(text)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self.post_message(AccountFocused(event.row_key.value))
