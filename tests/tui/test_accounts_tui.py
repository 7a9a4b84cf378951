"""The TUI with several accounts: the overview, the focus switch, an account whose credentials
are wrong, alerts of every account, the Sub-accounts screen and its actions, on
:func:`scenes.three_accounts` (fixed data, a fixed clock, no network)."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from scenes import NOW, accounts_app, screens_app, settle, three_accounts
from textual.widgets import DataTable, Input

from fivec_tui.app.widgets import Banner
from fivec_tui.store import Store
from fivec_tui.store.alerts import add_alert
from fivec_tui.store.poll_runs import add_poll_run
from fivec_tui.store.poller import JobHealth


def rows(app) -> list[list[str]]:
    table = app.screen.query_one(DataTable)
    return [[str(c) for c in table.get_row(r.key)] for r in table.ordered_rows]


async def test_the_overview_shows_every_account_worst_first(tmp_path):
    app = accounts_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.current_mode == "accounts"
        shown = rows(app)
        # firing alert first, then the failing account, then the healthy one
        assert [r[0] for r in shown] == ["notify", "market", "verify"]
        notify, market, verify = shown
        assert market[1] == "auth error"  # in words, its last good numbers beside it
        # windows to the second: 5 min, the 7 reported of the sends at NOW-270..NOW-30, all
        # delivered; 1 hour, sends 1..117 reported, the 11 with i % 10 == 9 failed
        assert market[2] == "100.0%" and market[3] == "90.6%" and market[5] == "2,400"
        assert notify[4] == "1" and verify[4] == "0"
        assert verify[1] == "not syncing" and notify[1] == "not syncing"  # the banner's word
        assert "handset" in market[9] and "unknown" not in notify[9]


async def test_enter_focuses_an_account_and_A_comes_back(tmp_path):
    app = accounts_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")  # market, the second row
        await settle(pilot)
        assert app.current_mode == "dashboard"
        assert app.profile.name == "market" and app.store is app.accounts["market"].store
        assert "[market] market @" in app.banner().plain
        await pilot.press("m")
        await settle(pilot)
        assert rows(app) and all(r[1].startswith("market") for r in rows(app))
        await pilot.press("A")
        await settle(pilot)
        assert app.current_mode == "accounts"
        app.run_worker(app.focus_account("verify"))  # what the palette entry runs
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        assert app.profile.name == "verify"
        assert app.screen.query_one("#messages", DataTable).row_count == 120
        await pilot.press("A")  # the overview is kept, not made anew: its banner follows
        await settle(pilot)
        assert "[verify] verify @" in str(app.screen.query_one(Banner).render())


async def test_the_palette_has_an_entry_per_account(tmp_path):
    app = accounts_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        commands = {c.title: c for c in app.get_system_commands(app.screen)}
        assert {"Account: verify", "Account: notify", "Account: market"} <= set(commands)
        commands["Account: notify"].callback()
        await settle(pilot)
        assert app.current_mode == "dashboard" and app.profile.name == "notify"


async def test_one_account_has_no_overview(tmp_path):
    accounts = three_accounts(tmp_path)[:1]
    app = accounts_app(tmp_path, accounts)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.current_mode == "dashboard"
        await pilot.press("A")
        await settle(pilot)
        assert app.current_mode == "dashboard"
        assert not any(c.title.startswith("Account:") for c in app.get_system_commands(app.screen))


async def test_alerts_of_every_account_with_their_account(tmp_path):
    accounts = three_accounts(tmp_path)
    add_alert(accounts[2].store, "balance", "firing", "balance 2,400 runs out within a day", {})
    app = accounts_app(tmp_path, accounts)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        shown = rows(app)
        assert sorted(r[1] for r in shown) == ["market", "notify"]
        await pilot.press("enter")  # acknowledges the newest: market's, in market's cache
        await settle(pilot)
        assert accounts[2].store.query("SELECT acked FROM alerts")[0]["acked"]
        assert not accounts[1].store.query("SELECT acked FROM alerts")[0]["acked"]


async def test_alerts_of_every_account_at_a_past_moment(tmp_path):
    """Time-travel: every account's alerts up to the moment, as with one account."""
    accounts = three_accounts(tmp_path)
    add_alert(accounts[2].store, "balance", "firing", "balance 2,400 runs out within a day", {})
    accounts[2].store.conn.execute("UPDATE alerts SET at = ?", (NOW - 10,))
    app = accounts_app(tmp_path, accounts)
    async with app.run_test(size=(120, 30)) as pilot:
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        app.at = NOW - 50
        await settle(pilot)
        assert [r[1] for r in rows(app)] == ["notify"]


@dataclass
class Done:
    message: str


class FakeClient:
    """Records the sub-account calls the screen makes (the platform is not the point)."""

    def __init__(self) -> None:
        self.calls: list[tuple] = []

    async def user_lock(self, child, lock=True):
        self.calls.append(("lock", child, lock))
        return Done("ok")

    async def user_charge(self, child, amount):
        self.calls.append(("charge", child, amount))
        return Done("ok")

    async def user_create(self, child, password, contact_mobile, company=""):
        self.calls.append(("create", child, password, contact_mobile, company))
        return Done("created")


async def test_subaccounts_screen_shows_them_and_confirms_each_action(tmp_path):
    accounts = three_accounts(tmp_path)
    app = accounts_app(tmp_path, accounts)
    client = FakeClient()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter")  # notify
        await settle(pilot)
        app.client = client
        await pilot.press("u")
        await settle(pilot)
        shown = rows(app)
        assert [r[0] for r in shown] == ["notify", "notifysub1", "notifysub2"]
        assert shown[1][1:5] == ["active", "12", "300", "4,700"]
        assert shown[2][1] == "locked"
        await pilot.press("l")  # on the account itself: refused, nothing asked
        await settle(pilot)
        assert client.calls == []
        await pilot.press("down", "l", "n")  # asked, and declined
        await settle(pilot)
        assert client.calls == []
        await pilot.press("l", "y")
        await settle(pilot)
        await pilot.press("down", "o", "y")
        await settle(pilot)
        assert client.calls == [("lock", "notifysub1", True), ("lock", "notifysub2", False)]
        await pilot.press("c")
        await settle(pilot)
        app.screen.query_one("#form-amount", Input).value = "-300"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert client.calls[-1] == ("charge", "notifysub2", -300)


async def test_a_new_subaccounts_password_is_typed_hidden_and_never_shown(tmp_path):
    app = accounts_app(tmp_path)
    client = FakeClient()
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await pilot.press("enter")
        await settle(pilot)
        app.client = client
        await pilot.press("u", "n")
        await settle(pilot)
        password = app.screen.query_one("#form-password", Input)
        assert password.password
        for name, value in (("child", "ops2team"), ("mobile", "13800138000"), ("company", "")):
            app.screen.query_one(f"#form-{name}", Input).value = value
        password.value = "S3cretPass9"
        await pilot.press("enter", "enter", "enter")  # field to field
        await settle(pilot)
        assert not client.calls and app.screen.query_one("#form-company", Input).has_focus
        await pilot.press("enter")  # on the last field: OK
        await settle(pilot)
        shown = "".join(str(w.render()) for w in app.screen.query("*"))
        assert "ops2team" in shown and "S3cretPass9" not in shown
        await pilot.press("y")
        await settle(pilot)
        assert client.calls == [("create", "ops2team", "S3cretPass9", "13800138000", "")]
        assert "S3cretPass9" not in "".join(str(w.render()) for w in app.screen.query("*"))


@pytest.mark.parametrize("accounts", [3])
async def test_demo_accounts_starts_a_fleet_in_different_states(tmp_path, accounts):
    """``demo --accounts 3``: one ``sim --accounts 3`` and one ``poll --all``, children of
    the app, fill the three caches the overview reads."""
    from fivec_tui.app.demo import demo_accounts

    app = demo_accounts(accounts, db_dir=str(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        for _ in range(600):  # the fleet and the poller start after the first frame
            await pilot.pause(0.1)
            if all(a.state == "live" for a in app.accounts.values()):
                break
        assert sorted(app.accounts) == ["market", "notify", "verify"]
        assert all(a.state == "live" for a in app.accounts.values())
        assert app.current_mode == "accounts"
        assert app.accounts["market"].profile.base_url != app.accounts["verify"].profile.base_url
        sim, poll = app.link.children
        assert "--accounts" in sim.argv and "--all" in poll.argv
        assert {p.pid for p in app.link.pollers.values()} == {poll.pid}
        assert (await app.simulator.state(account=2))["requests"]["recv"] > 0  # market's


async def test_the_overview_reads_an_account_again_when_its_cache_changes(tmp_path):
    """Rows are kept while a cache is unchanged: a commit by another connection (the
    account's poller) must show at the next refresh."""
    accounts = three_accounts(tmp_path)
    app = accounts_app(tmp_path, accounts)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        assert dict((r[0], r[1]) for r in rows(app))["verify"] == "not syncing"
        poller = Store(accounts[0].store.path)  # a connection of its own, as a poller's
        health = JobHealth("records", "pull", "degraded", NOW - 1, failures=1, last_error="x")
        add_poll_run(poller, "records", NOW - 1, "error", "ConnectError", 0, health)
        app.refresh_screen()
        await settle(pilot)
        assert dict((r[0], r[1]) for r in rows(app))["verify"] == "failing"


def test_summaries_agree_with_summary(tmp_path):
    from fivec_tui.store import queries

    store = three_accounts(tmp_path)[1].store
    both = queries.summaries(store, (300, 3600), NOW)
    for window, got in zip((300, 3600), both, strict=True):
        want = queries.summary(store, window, NOW)
        assert (got.sent, got.delivered, got.failed, got.pending, got.failures) == (
            want.sent,
            want.delivered,
            want.failed,
            want.pending,
            want.failures,
        )
        assert got.delivery_rate == want.delivery_rate and got.sent > 0


async def test_no_switch_while_an_action_on_the_platform_runs(tmp_path):
    """Making the screens anew would cancel a send halfway: the switch waits for it."""
    import asyncio

    app = accounts_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        await app.focus_account("verify")
        done = asyncio.Event()
        sending = app.screen.run_worker(done.wait(), group="send")
        await app.focus_account("market")
        assert app.profile.name == "verify" and sending.is_running
        done.set()
        await sending.wait()
        await app.focus_account("market")
        assert app.profile.name == "market"


async def test_the_palette_offers_every_screen_accounts_and_time_travel(tmp_path):
    """A newcomer found no Accounts, Breakdown or "go to a moment" in the palette."""
    app = screens_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await settle(pilot)
        titles = {c.title for c in app.get_system_commands(app.screen)}
        assert {"Breakdown", "Accounts", "Go to a moment", "Timeline", "Dashboard"} <= titles
        (moment,) = [c for c in app.get_system_commands(app.screen) if c.title == "Go to a moment"]
        app.call_later(moment.callback)  # as the palette runs it
        await settle(pilot)
        assert type(app.screen).__name__ == "MomentDialog"
