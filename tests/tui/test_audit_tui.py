"""The TUI's side of the audit trail, the duplicate guard and the read-only console, driven
with Pilot against the simulator: a second, different question before the same text goes to
the same number again; no key, palette entry or form that acts on a read-only console (and
the platform sees no request); the Audit screen and its chain line; the served TUI."""

from __future__ import annotations

import asyncio
import shlex

import pytest
from click.testing import CliRunner
from clirun import empty_config
from scenes import settle
from textual.screen import ModalScreen
from textual.widgets import Button, Input, Static, TextArea

from fivec_tui.app.app import FivecApp
from fivec_tui.app.widgets import Confirm, ConfirmAgain, ReadOnlyNotice
from fivec_tui.config import Profile
from fivec_tui.store import Store
from fivec_tui.store import audit as trail
from fivec_tui.store.audit_verify import verify
from fivec_tui.store.auditor import Auditor

ACTING = ("send", "batch", "black", "bind", "user")
#: Every key that acts on some screen (send, bulk preview/send/pause, removal, sub-accounts).
ACTING_KEYS = ("ctrl+s", "ctrl+r", "ctrl+t", "n", "l", "o", "c")


async def until(predicate, pilot, timeout: float = 20.0) -> bool:
    for _ in range(int(timeout / 0.05)):
        if predicate():
            return True
        await pilot.pause(0.05)
    return False


def sim_app(tmp_path, sim, client) -> FivecApp:
    a = sim.account
    profile = Profile("prod", a.username, a.password_md5, a.apikey, base_url=sim.base_url)
    return FivecApp(profile, Store(tmp_path / "c.db"), client=client, refresh_s=3600)


def requests(sim) -> dict[str, int]:
    return {name: sim.server.requests.get(name, 0) for name in ACTING}


async def to_screen(pilot, key: str, mode: str) -> None:
    app = pilot.app
    app.set_focus(None)
    await pilot.press(key)
    assert await until(lambda: app.current_mode == mode and app.screen.is_mounted, pilot)
    await settle(pilot)


async def ask_to_send(pilot) -> None:
    app = pilot.app
    await pilot.press("ctrl+s")
    assert await until(lambda: isinstance(app.screen, Confirm), pilot)
    await pilot.press("y")
    await until(lambda: isinstance(app.screen, ConfirmAgain), pilot, 1.0)


async def test_the_same_text_again_asks_a_second_different_question(tmp_path, sim, client):
    app = sim_app(tmp_path, sim, client)
    async with app.run_test(size=(120, 40)) as pilot:
        await to_screen(pilot, "s", "send")
        app.screen.query_one("#to", TextArea).text = "13800138000"
        app.screen.query_one("#content", TextArea).text = "验证码1234【美联】"
        await ask_to_send(pilot)
        result = app.screen.query_one("#send-result", Static)
        assert await until(lambda: "msgid" in str(result.render()), pilot)
        msgid = str(result.render()).split()[-1]
        await ask_to_send(pilot)  # the same again: y, then a different dialog
        again = app.screen
        assert isinstance(again, ConfirmAgain)
        said = str(again.body)
        assert f"msgid {msgid}" in said and "13800138000" in said and "via tui" in said
        await pilot.press("y", "enter")  # a double y or Enter never sends twice
        assert await until(lambda: not isinstance(app.screen, ModalScreen), pilot)
        await settle(pilot)
        assert len(sim.platform.messages) == 1
        await ask_to_send(pilot)
        await pilot.press("a")  # asked for by name: sent again
        assert await until(lambda: len(sim.platform.messages) == 2, pilot)
        await settle(pilot)
        app.screen.query_one("#content", TextArea).text = "验证码9999【美联】"
        await ask_to_send(pilot)  # another text: the first question only
        assert not isinstance(app.screen, ConfirmAgain)
        assert await until(lambda: len(sim.platform.messages) == 3, pilot)
    actions = trail.actions(app.store)
    assert [a["outcome"] for a in actions] == ["accepted"] * 3
    assert {a["path"] for a in actions} == {"tui"}
    assert verify(app.store).ok


@pytest.mark.parametrize("way", ["profile", "app"])
async def test_a_read_only_console_offers_no_action_and_sends_nothing(tmp_path, sim, client, way):
    app = sim_app(tmp_path, sim, client)
    if way == "profile":  # [profiles.NAME] read_only, [app] read_only and --read-only
        app.profile.acting.read_only = "[app] read_only"
    else:  # the demo's --read-only, for every account
        app.actions_off = "--read-only"
    before = requests(sim)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        assert "READ-ONLY" in app.banner().plain
        commands = list(app.get_system_commands(app.screen))
        titles = [c.title for c in commands]
        assert "Send" in titles and "Audit" in titles  # screens, never an action
        for command in commands:
            callback = command.callback
            if getattr(callback, "func", None) != app.switch_mode:
                continue
            callback()  # the palette's entry for this screen
            mode = callback.args[0]
            assert await until(
                lambda m=mode: app.current_mode == m and app.screen.is_mounted, pilot
            )
            await settle(pilot)
            banner = str(app.screen.query_one("#banner", Static).render())  # every screen
            assert "READ-ONLY" in banner and "times +08:00" in banner, (mode, banner)
            for key in ACTING_KEYS:
                app.set_focus(None)
                await pilot.press(key)
                await pilot.pause(0.05)
                assert not isinstance(app.screen, ModalScreen), (mode, key)
        await to_screen(pilot, "s", "send")
        assert not app.screen.query("#to") and "READ-ONLY" in str(
            app.screen.query_one(ReadOnlyNotice).render()
        )
        await to_screen(pilot, "f", "bulk")
        assert not app.screen.query("#bulk-path") and app.screen.query("#bulk-campaigns")
        await to_screen(pilot, "b", "blacklist")
        assert not app.screen.query("#remove") and app.screen.query_one("#check", Button)
        app.screen.query_one("#black-mobile", Input).value = "13800000001"
        app.screen._remove("13800000001")  # the worker itself, reached some other way
        box = app.screen.query_one("#black-result", Static)
        assert await until(lambda: "read-only" in str(box.render()), pilot)
        await to_screen(pilot, "u", "subaccounts")
        assert not any("Lock" in str(b) for b in app.screen.active_bindings)
    assert requests(sim) == before
    assert app.store.scalar("SELECT count(*) FROM audit") == 0


async def test_the_audit_screen_lists_actions_with_the_chain_line(tmp_path):
    store = Store(tmp_path / "c.db")
    actor = trail.Actor("cli", "fivec", "", "alice", "10.0.0.5", "jump1")
    audit = Auditor(store, actor, "prod", "acme")
    for text in ("第一条【x】", "第二条【x】"):
        audit.finish(audit.begin("send", mobiles=["13800138000"], text=text), "accepted", "1234")
    audit.begin("blacklist_remove", mobiles=["13700000001"])  # no outcome: left pending
    app = FivecApp(Profile("prod", "acme", "0" * 32, "k" * 32), store, refresh_s=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        await to_screen(pilot, "w", "audit")
        screen = app.screen
        status = screen.query_one("#audit-status", Static)
        assert await until(lambda: "verified: 5 entries" in str(status.render()), pilot)
        table = screen.query_one("#audit")
        assert table.row_count == 3
        assert [str(c) for c in table.get_row_at(0)][2:4] == ["blacklist removal", "pending"]
        detail = screen.query_one("#audit-detail", Static)
        assert "fivec (sudo alice)" in str(detail.render()) and "10.0.0.5" in str(detail.render())
        table.move_cursor(row=2)
        await settle(pilot)
        assert "第一条【x】" in str(detail.render()) and "accepted 1234" in str(detail.render())
        store.conn.execute("DROP TRIGGER audit_no_update")
        store.conn.execute("UPDATE audit SET text = 'forged' WHERE id = 1")
        audit.begin("send", mobiles=["13800138000"], text="third")  # the head moves: walked again
        screen.refresh_data()
        assert await until(lambda: "BROKEN at entry 1" in str(status.render()), pilot)


async def test_the_audit_screen_says_entries_a_lost_key_sealed_cannot_be_checked(
    tmp_path, monkeypatch
):
    from fivec_tui.store import seal as seal_module
    from fivec_tui.store.seal import Seal

    store = Store(tmp_path / "c.db")
    audit = Auditor(store, trail.Actor("cli", "fivec"), "prod", "acme")
    audit.finish(audit.begin("send", mobiles=["13800138000"], text="一【x】"), "accepted", "1")
    Seal(store.path).key_path.unlink()
    monkeypatch.setattr(seal_module, "_KEYS", {})  # as a new process
    audit.finish(audit.begin("send", mobiles=["13800138000"], text="二【x】"), "accepted", "2")
    app = FivecApp(Profile("prod", "acme", "0" * 32, "k" * 32), store, refresh_s=3600)
    async with app.run_test(size=(120, 40)) as pilot:
        await to_screen(pilot, "w", "audit")
        status = app.screen.query_one("#audit-status", Static)
        said = "entries 1 to 2 were sealed with an audit key not at hand"
        assert await until(lambda: said in str(status.render()), pilot)
        assert "BROKEN" not in str(status.render())


async def test_an_action_from_the_browser_is_marked_serve(tmp_path, monkeypatch):
    app = FivecApp(Profile("prod", "acme", "0" * 32, "k" * 32), Store(tmp_path / "c.db"))
    assert app.auditor().actor.path == "tui"
    monkeypatch.setattr(FivecApp, "is_web", property(lambda self: True))
    assert app.auditor().actor.path == "serve"


async def test_the_served_tui_off_loopback_is_read_only(tmp_path, sim, monkeypatch):
    """The app the served command builds (what each browser gets) acts on nothing."""
    from fivec_tui.app import serve as served
    from fivec_tui.cli import main

    a = sim.account
    env = {
        "FIVEC_CONFIG": empty_config(tmp_path / "none.toml"),
        "FIVEC_DB": str(tmp_path / "c.db"),
        "FIVEC_BASE_URL": sim.base_url,
        "FIVEC_USERNAME": a.username,
        "FIVEC_PASSWORD_MD5": a.password_md5,
        "FIVEC_APIKEY": a.apikey,
    }
    commands, apps = [], []
    monkeypatch.setattr(served.GuardedServer, "serve", lambda self: commands.append(self.command))
    args = ["serve", "--host", "0.0.0.0", "--i-know-this-is-public"]
    assert CliRunner().invoke(main, args, env=env).exit_code == 0
    served_args = shlex.split(commands[-1])[3:]  # after python -m fivec_tui
    assert served_args[-1] == "--read-only"  # after the group options (--config: the env)
    monkeypatch.setattr(FivecApp, "run", lambda self, *a, **k: apps.append(self))
    assert CliRunner().invoke(main, served_args, env=env).exit_code == 0
    (app,) = apps
    app.startup = None  # no sync process here: only what the browser could do
    before = requests(sim)
    async with app.run_test(size=(100, 30)) as pilot:
        assert app.read_only == "--read-only" and "READ-ONLY" in app.banner().plain
        await to_screen(pilot, "s", "send")
        assert not app.screen.query("#to")
        await pilot.press("ctrl+s")
        await asyncio.sleep(0.1)
        assert not isinstance(app.screen, ModalScreen)
    assert requests(sim) == before
    app.store.close()
