"""The screens driven with Pilot: the demo on the built-in simulator, sends, lookups, hostile
replies, the key bar, remapped keys, and caches whose queries fail."""

from __future__ import annotations

import asyncio
import os
import signal
import time

import pytest
from rich.text import Text
from textual.widgets import DataTable, Input, Static, TextArea

from fivec_tui.app.dashboard import RateBox
from fivec_tui.app.demo import demo_app
from fivec_tui.app.events import SendDone

HOSTILE = [
    "[/]",
    "[@click=app.quit]x[/]",
    "\x1b[2J\x1b]0;owned\x07",
    "\x9b31m",
    "\u202etxt.exe",
    "",
    "长" * 500,
]


def live(app) -> bool:
    """The demo's poll has run every job once (its simulator and poll are the app's children)."""
    return app.sync_state == "live"


async def wait_for(predicate, pilot, timeout=30.0):
    for _ in range(int(timeout / 0.1)):
        if predicate():
            return True
        await pilot.pause(0.1)
    return False


MODES = {
    "d": "dashboard",
    "r": "replies",
    "m": "messages",
    "s": "send",
    "b": "blacklist",
    "a": "alerts",
}


async def switch(pilot, key: str) -> None:
    """Press a navigation key and wait until that screen is mounted (its module may still be
    loading on the first visit)."""
    app = pilot.app
    await pilot.press(key)
    assert await wait_for(lambda: app.current_mode == MODES[key] and app.screen.is_mounted, pilot)
    await pilot.pause()


def cache_app(tmp_path, account: str = "u", **options):
    """The app on an empty cache, without a platform (nothing starts unless ``startup``)."""
    from fivec_tui.app.app import FivecApp
    from fivec_tui.config import Profile
    from fivec_tui.store import Store

    profile = Profile("t", account, "0" * 32, "k" * 32)
    return FivecApp(profile, Store(tmp_path / "t.db"), **options)


async def test_the_collector_is_back_on_once_the_first_frame_is_written(tmp_path):
    """Off from the process's start (``fivec_tui.__main__.run``), on after the first frame,
    what start-up made frozen first (the first collection would walk it all)."""
    import gc

    app = cache_app(tmp_path)
    gc.disable()
    frozen = gc.get_freeze_count()
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            assert await wait_for(lambda: app.first_frame_shown, pilot)
            assert gc.isenabled() and gc.get_freeze_count() > frozen
    finally:
        gc.enable()
        gc.unfreeze()


async def test_the_banner_stays_in_sight_when_the_dashboard_scrolls(tmp_path):
    """At 80x24 PageDown took LIVE, AUTH ERROR or READ-ONLY off the screen with the banner
    (a newcomer's finding): it stays above what scrolls, as on every other screen."""
    from fivec_tui.app.widgets import Banner

    app = cache_app(tmp_path, refresh_s=3600)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.2)
        scroll, banner = app.screen.query_one("#dashboard"), app.screen.query_one(Banner)
        assert await wait_for(lambda: scroll.max_scroll_y > 0, pilot)
        scroll.scroll_end(animate=False)
        await pilot.pause(0.2)
        assert scroll.scroll_y > 0
        assert app.screen.get_widget_at(2, 1)[0] is banner


async def test_the_dashboard_is_styled_for_its_width_as_it_is_composed(tmp_path):
    """Its breakpoint class (-narrow at 80 columns) is there when its widgets are first
    styled: set by Textual at the screen's first resize, it restyled them all again before
    the first frame."""
    from fivec_tui.app.dashboard import DashboardScreen

    restyled = []
    update = DashboardScreen.update_node_styles

    def counted(self, animate: bool = True) -> None:
        if not self.app.first_frame_shown:
            restyled.append(sorted(self.classes))
        update(self, animate)

    app = cache_app(tmp_path)
    DashboardScreen.update_node_styles = counted
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            assert await wait_for(lambda: app.first_frame_shown, pilot)
            assert app.screen.has_class("-narrow")
    finally:
        DashboardScreen.update_node_styles = update
    assert len(restyled) == 1  # as the screen is shown (Textual's), no second one
    assert "-narrow" in restyled[0]


async def test_rate_boxes_keep_every_line_at_80_columns(tmp_path):
    """80 columns leave a rate box 17 columns: large counts are abbreviated as much as the
    line needs to fit whole, and the latency line stays in the box."""
    from textual.geometry import Region

    from fivec_tui.store.queries import Summary

    app = cache_app(tmp_path)
    async with app.run_test(size=(80, 24)) as pilot:
        assert await wait_for(lambda: app.screen.lower_mounted, pilot)
        await app.workers.wait_for_complete()
        await pilot.pause()
        box = app.screen.query_one("#rate2", RateBox)
        summary = Summary(86400, 1_234_567, 1_200_001, 23_456, 11_110, 0.98, 4, 31)
        box.update_summary("24 hours", summary)
        await pilot.pause()
        assert box.size.width == 17
        strips = box.render_lines(Region(0, 0, *box.outer_size))
        inside = [strip.text[1:-1].rstrip() for strip in strips[1:-1]]  # within the border
        assert inside == [
            "24 hours 98.0%",
            "sent 1.2M ok 1.2M",  # an account sending a million a day, over 24 hours
            "fail 23k pend 11k",
            "p50 4s p95 31s",
        ]


async def test_rows_that_failed_to_show_are_tried_again():
    """A load shown before its table was ready used to be remembered as shown: the table
    then stayed empty for good, as every later load had the same rows (seen in the Messages
    screen under CPU load)."""
    from textual.app import App
    from textual.widgets import DataTable

    from fivec_tui.app.widgets import Rows

    class One(App):
        def compose(self):
            yield DataTable()

    async with One().run_test() as pilot:
        grid = pilot.app.query_one(DataTable)
        rows, shown = [("a", ("1", "2")), ("b", ("3", "4"))], Rows(grid)
        with pytest.raises(ValueError):
            shown.show(rows)  # no columns yet
        grid.add_columns("x", "y")
        shown.show(rows)
        assert grid.row_count == 2


async def test_rows_change_by_key_in_place(monkeypatch):
    """A new load removes, updates and adds rows by key and puts them in order, without
    clearing the table; the cursor stays on its row; the same load again does nothing."""
    from textual.app import App
    from textual.widgets import DataTable

    from fivec_tui.app.widgets import Rows

    class One(App):
        def compose(self):
            yield DataTable(cursor_type="row")

    cleared = []
    monkeypatch.setattr(DataTable, "clear", lambda self, *a, **k: cleared.append(self))
    async with One().run_test() as pilot:
        grid = pilot.app.query_one(DataTable)
        grid.add_columns("id", "state")
        rows = Rows(grid)
        rows.show([("3", ("3", "new")), ("2", ("2", "new")), ("1", ("1", "new"))])
        grid.move_cursor(row=1)  # on "2"
        await pilot.pause()
        rows.show([("4", ("4", "new")), ("3", ("3", "new")), ("2", ("2", "DELIVRD"))])
        await pilot.pause()
        assert [[str(c) for c in grid.get_row_at(i)] for i in range(grid.row_count)] == [
            ["4", "new"],
            ["3", "new"],
            ["2", "DELIVRD"],
        ]
        assert grid.coordinate_to_cell_key(grid.cursor_coordinate).row_key.value == "2"
        assert cleared == []
        updates = []
        monkeypatch.setattr(DataTable, "update_cell", lambda *a, **k: updates.append(a))
        rows.show([("4", ("4", "new")), ("3", ("3", "new")), ("2", ("2", "DELIVRD"))])
        assert updates == [] and cleared == []


async def test_a_failing_load_is_told_once_not_swallowed(tmp_path, monkeypatch):
    """A screen whose store query raises says so in a notification, once for repeated
    failures, and again after a success; the app keeps running."""
    from fivec_tui.app.alerts import AlertsScreen

    broken = {"on": True}
    real = AlertsScreen.load

    def load(self):
        if broken["on"]:
            raise RuntimeError("disk I/O error \x1b[2J")
        return real(self)

    monkeypatch.setattr(AlertsScreen, "load", load)
    app = cache_app(tmp_path)

    def told() -> list[str]:
        return [n.message for n in app._notifications if n.title == "not refreshed"]

    async def refreshed(pilot) -> None:
        app.screen.refresh_data()
        assert await wait_for(lambda: all(w.is_finished for w in app.workers), pilot)
        await pilot.pause()

    async with app.run_test(size=(100, 30)) as pilot:
        await switch(pilot, "a")
        assert await wait_for(lambda: told() != [], pilot)
        for _ in range(3):
            await refreshed(pilot)
        assert told() == ["RuntimeError: disk I/O error \\x1b[2J"]
        broken["on"] = False
        await refreshed(pilot)
        broken["on"] = True
        await refreshed(pilot)
        assert len(told()) == 2
        assert app.is_running


async def test_demo_shows_live_numbers_and_pause(tmp_path):
    app = demo_app("demo", seed=1, speed=1.0, db_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        box = app.screen.query_one("#rate0", RateBox)
        assert await wait_for(
            lambda: "sent 0 " not in str(box.render()) and "sent" in str(box.render()), pilot
        )
        await pilot.press("p")
        assert app.paused
        await pilot.press("p")
        assert not app.paused


async def test_banner_says_starting_until_the_startup_is_done(tmp_path):
    """The first frame already names the account and says the sync is starting; a startup
    that fails leaves the app read-only on the cache, saying why."""
    go = asyncio.Event()

    async def startup(app) -> None:
        await go.wait()
        raise ConnectionError("platform unreachable")

    app = cache_app(tmp_path, "ops-account", startup=startup, refresh_s=3600)
    async with app.run_test(size=(120, 24)) as pilot:
        banner = app.screen.query_one("#banner", Static)
        assert " starting  times +08:00 ops-account @ " in str(banner.render())
        go.set()
        assert await wait_for(lambda: not app.starting, pilot)
        app.screen.refresh_data()
        assert await wait_for(lambda: " not syncing " in str(banner.render()), pilot)
        assert "sync not started: platform unreachable" in str(banner.render())
        assert "all streams pull" in app.banner().plain
        app.profile.streams["reports"] = "push"
        assert "reports:push  replies:pull" in app.banner().plain


async def test_send_flow_and_report_arrives(tmp_path):
    app = demo_app("quiet", seed=2, db_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        assert await wait_for(lambda: live(app), pilot)
        await switch(pilot, "s")
        app.screen.query_one("#to", TextArea).text = "13800138000, 13800138000, 123"
        app.screen.query_one("#content", TextArea).text = "你好【美联】"
        await pilot.pause(0.2)
        check = str(app.screen.query_one("#to-check", Static).render())
        assert "invalid: 123" in check and "duplicate" in check
        app.screen.query_one("#to", TextArea).text = "13800138000"
        await pilot.pause(0.1)
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        await pilot.press("y")
        result = app.screen.query_one("#send-result", Static)
        assert await wait_for(lambda: "msgid" in str(result.render()), pilot)
        msgid = str(result.render()).split()[-1]
        assert app.store.scalar("SELECT state FROM outbox WHERE msgid = ?", (msgid,)) == "accepted"
        assert await wait_for(
            lambda: (
                app.store.scalar("SELECT status FROM reports WHERE msgid = ?", (msgid,))
                == "DELIVRD"
            ),
            pilot,
        )
        await pilot.press("escape")  # out of the recipients, where the form opened
        await switch(pilot, "m")
        table = app.screen.query_one("#messages", DataTable)
        assert await wait_for(lambda: table.row_count >= 1, pilot)
        table.focus()
        await pilot.press("enter")
        await pilot.press("c")
        assert app.clipboard == msgid
        await pilot.press("y")
        assert app.clipboard == "13800138000"
        story = app.screen.query_one("#story", Static)
        assert await wait_for(lambda: f"msgid {msgid}" in str(story.render()), pilot)
        assert "DELIVRD" in str(story.render())


async def test_blacklist_lookups(tmp_path):
    app = demo_app("quiet", seed=3, db_dir=str(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        assert await wait_for(lambda: app.client is not None, pilot)
        await switch(pilot, "b")
        box = app.screen.query_one("#black-result", Static)
        for mobile, expect in (("13800000001", "BLACK"), ("13800138000", "not on")):
            app.screen.query_one("#black-mobile", Input).value = mobile
            app.screen.query_one("#black-mobile", Input).focus()
            await pilot.press("enter")
            assert await wait_for(lambda e=expect: e in str(box.render()), pilot)
        table = app.screen.query_one(DataTable)
        assert await wait_for(lambda: table.row_count == 2, pilot)
        # In the field, letters are typed, so the bar offers the way out; after it, the nav keys.
        assert bar_text(app).startswith(" esc Leave field ") and "Dashboard" not in bar_text(app)
        await pilot.press("escape")
        assert await wait_for(lambda: " d Dashboard " in bar_text(app), pilot)
        assert "Leave field" not in bar_text(app)


async def test_hostile_replies_shown_literally_everywhere(tmp_path):
    app = demo_app("quiet", seed=4, db_dir=str(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        assert await wait_for(lambda: live(app), pilot)
        for text in HOSTILE:
            await app.simulator.add_reply("13800138000", text)
        assert await wait_for(
            lambda: (app.store.scalar("SELECT count(*) FROM replies") or 0) == len(HOSTILE), pilot
        )
        await pilot.pause(1.5)  # dashboard feed renders them
        await switch(pilot, "r")
        table = app.screen.query_one("#replies", DataTable)
        assert await wait_for(lambda: table.row_count == len(HOSTILE), pilot)
        cells = [str(table.get_row_at(i)[3]) for i in range(table.row_count)]
        assert "[@click=app.quit]x[/]" in cells and "[/]" in cells
        assert any("\\x1b[2J" in c for c in cells) and not any("\x1b" in c for c in cells)
        for row in range(table.row_count):
            table.move_cursor(row=row)
            await pilot.pause(0.05)
        assert app.is_running


async def test_replies_follow_mode_pauses_when_scrolled(tmp_path):
    app = demo_app("quiet", seed=5, db_dir=str(tmp_path))
    async with app.run_test(size=(100, 30)) as pilot:
        assert await wait_for(lambda: live(app), pilot)
        for i in range(3):
            await app.simulator.add_reply(f"1380013800{i}", f"r{i}")
        await switch(pilot, "r")
        table = app.screen.query_one("#replies", DataTable)
        assert await wait_for(lambda: table.row_count == 3, pilot)
        table.focus()
        await pilot.press("down")
        await app.simulator.add_reply("13800138009", "new one")
        status = app.screen.query_one("#reply-status", Static)
        assert await wait_for(lambda: "1 new" in str(status.render()), pilot)
        assert table.row_count == 3
        await pilot.press("f")
        assert await wait_for(lambda: table.row_count == 4, pilot)
        await pilot.press("c")
        assert app.clipboard == "13800138009"


async def test_send_form_template_and_schedule(tmp_path):
    app = demo_app("quiet", seed=6, db_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        assert await wait_for(lambda: live(app), pilot)
        await switch(pilot, "s")
        app.screen.query_one("#to", TextArea).text = "13800138000"
        app.screen.query_one("#template", Input).value = "10001"
        app.screen.query_one("#vars", Input).value = "yzm=4321; 姓名=张工"
        app.screen.query_one("#at", Input).value = "+1h"
        await pilot.pause(0.1)
        await pilot.press("ctrl+s")
        await pilot.pause(0.2)
        await pilot.press("y")
        result = app.screen.query_one("#send-result", Static)
        assert await wait_for(lambda: "msgid" in str(result.render()), pilot)
        msgid = str(result.render()).split()[-1]
        msg = (await app.simulator.messages(msgid))[msgid]
        assert "{yzm}=4321" in msg["content"] and "{姓名}=张工" in msg["content"]
        assert 3500 < msg["start_time"] - msg["sent_at"] < 3700  # scheduled an hour ahead


async def test_send_form_refuses_a_template_variable_it_cannot_read(tmp_path):
    """A variable without ``=`` is said before anything is sent, as the CLI's --var is, never
    silently left out of the template."""
    app = demo_app("quiet", seed=6, db_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        assert await wait_for(lambda: live(app), pilot)
        await switch(pilot, "s")
        app.screen.query_one("#to", TextArea).text = "13800138000"
        app.screen.query_one("#template", Input).value = "10001"
        app.screen.query_one("#vars", Input).value = "yzm=4321; 姓名张工"
        await pilot.pause(0.1)
        await pilot.press("ctrl+s")
        assert await wait_for(
            lambda: any("姓名张工" in str(n.message) for n in app._notifications), pilot
        )
        assert app.screen.id != "confirm" and not app.screen.is_modal
        assert (await app.simulator.state())["submissions"]["numbers"] == 0


async def test_the_pollers_alerts_become_toasts(tmp_path):
    """Alerts are raised by the poll child (its alerts job); new rows of its ``alerts`` table
    become toasts, and the bell, in the app."""
    app = demo_app("quiet", seed=7, db_dir=str(tmp_path))
    app.profile.alerts = {"interval_s": 0.5, "balance_below": 10**9}  # any balance is "low"
    async with app.run_test(size=(120, 40)) as pilot:
        assert await wait_for(lambda: live(app), pilot)
        assert await wait_for(lambda: app.store.scalar("SELECT count(*) FROM alerts") > 0, pilot)
        assert await wait_for(
            lambda: any("ALERT firing" in (n.title or "") for n in app._notifications), pilot
        )
        await switch(pilot, "a")
        table = app.screen.query_one(DataTable)
        assert await wait_for(lambda: table.row_count >= 1, pilot)
        assert "balance" in str(table.get_row_at(0)[2])
        await pilot.press("enter")
        assert await wait_for(
            lambda: app.store.scalar("SELECT count(*) FROM alerts WHERE acked = 1") == 1, pilot
        )


def jobs(app) -> dict:
    from fivec_tui.store.poller import job_health

    return {j.job: j for j in job_health(app.store)}


async def test_the_sync_runs_in_a_poll_child_and_pull_soon_reaches_it(tmp_path):
    """``fivec-tui poll``, started by the app, fills the cache the app reads (job health
    included); a send's pull_soon (SIGUSR1) makes the records job run at once, not at its
    (here long) interval; quitting stops the child cleanly."""
    app = demo_app("quiet", seed=8, db_dir=str(tmp_path))
    app.profile.intervals["records"] = 3600.0
    async with app.run_test(size=(120, 40)) as pilot:
        assert await wait_for(lambda: live(app), pilot)
        child = app.link.pollers["demo"].child
        assert child.returncode is None and "poll" in child.argv and "--stop-on-eof" in child.argv
        job = jobs(app)["records"]  # what the dashboard's health table shows, field by field
        assert (job.mode, job.status, job.failures, job.pid) == ("pull", "ok", 0, child.pid)
        assert time.time() - 60 < job.last_run <= job.last_success <= time.time()
        assert job.next_run > time.time() + 3000  # the hour's interval (nothing pulled it)
        first = job.last_run
        await switch(pilot, "d")
        app.screen.post_message(SendDone())  # what the send screen posts after a send
        assert await wait_for(lambda: jobs(app)["records"].last_run != first, pilot, timeout=15)
        sim = app.link.children[0]
    assert child.returncode == 0  # its stdin closed: the poll stopped, the process left
    assert sim.returncode == 0


async def test_a_killed_poll_child_is_said_and_the_cache_still_read(tmp_path):
    app = demo_app("quiet", seed=9, db_dir=str(tmp_path))
    async with app.run_test(size=(120, 40)) as pilot:
        assert await wait_for(lambda: live(app), pilot)
        os.kill(app.link.pollers["demo"].pid, signal.SIGKILL)
        assert await wait_for(lambda: "sync stopped" in app.note, pilot)
        assert app.sync_state == "read-only"
        assert "NOT SYNCING" in app.banner().plain.upper() and "(-9)" in app.banner().plain
        assert any("sync stopped" in str(n.message) for n in app._notifications)
        await switch(pilot, "r")  # screens still load from the cache
        assert app.is_running and type(app.screen).__name__ == "RepliesScreen"


async def test_a_sync_state_quoting_the_platform_is_shown_inert(tmp_path):
    """The note of a stopped or failing poller quotes its last stderr line or the platform's
    error: shown literally in the banner and the toast, the banner's state as posted."""
    from fivec_tui.app.events import SyncStateChanged

    app = cache_app(tmp_path, refresh_s=3600)
    async with app.run_test(size=(120, 24)) as pilot:
        app.post_message(SyncStateChanged("t", "read-only", "sync stopped: \x1b]0;owned\x07 [b]x"))
        assert await wait_for(lambda: app._notifications, pilot)
        (toast,) = [str(n.message) for n in app._notifications]
        assert toast == "sync stopped: \\x1b]0;owned\\x07 [b]x"
        assert "\\x1b]0;owned" in app.banner().plain and "\x1b" not in app.banner().plain
        app.post_message(SyncStateChanged("other", "live", ""))  # not the account shown
        await pilot.pause()
        assert app.sync_state == "read-only" and "owned" in app.note


def bar_text(app) -> str:
    from fivec_tui.app.keybar import KeyBar

    return app.screen.query_one(KeyBar).render().plain


async def test_key_bar_follows_screens_and_redraws_only_on_change(tmp_path, monkeypatch):
    """Each screen's key bar shows its own keys; focus moves that keep the keys draw nothing."""
    from fivec_tui.app.keybar import KeyBar

    redraws = []
    real = KeyBar.refresh

    def counted(self, *args, **kwargs):
        redraws.append(type(self.screen).__name__)
        return real(self, *args, **kwargs)

    monkeypatch.setattr(KeyBar, "refresh", counted)
    app = demo_app("quiet", seed=3, db_dir=str(tmp_path))
    async with app.run_test(size=(160, 40)) as pilot:
        assert await wait_for(lambda: " d Dashboard " in bar_text(app), pilot)
        assert "Follow" not in bar_text(app)
        assert bar_text(app).endswith("▏^p palette ")
        await pilot.pause(0.5)
        before = len(redraws)
        app.screen.refresh_bindings()  # what every focus move publishes
        await pilot.pause()
        assert len(redraws) == before
        await switch(pilot, "r")
        assert await wait_for(lambda: " f Follow " in bar_text(app), pilot)
        await pilot.press("d")
        assert await wait_for(lambda: "Follow" not in bar_text(app), pilot)


async def test_keys_remapped_in_config_show_and_work(tmp_path):
    """``[keys]`` in the config remaps bindings by id: the key bar shows the new key, the new
    key works, a click on a key presses it, and a narrow terminal gets a compact bar."""
    from fivec_tui.app.keybar import KeyBar
    from fivec_tui.config import read_config

    config = tmp_path / "config.toml"
    config.write_text('[keys]\n"nav.replies" = "i"\n"nav.send" = 7\n', encoding="utf-8")
    keymap = read_config(config).keys
    assert keymap == {"nav.replies": "i"}  # a non-string key is ignored, not a crash
    app = cache_app(tmp_path, keymap=keymap, refresh_s=3600)
    async with app.run_test(size=(160, 24)) as pilot:
        assert await wait_for(lambda: " i Replies " in bar_text(app), pilot)
        assert " r Replies " not in bar_text(app)
        # in its binding's place, not last, where 80 columns cut it (a newcomer's finding)
        assert bar_text(app).index(" Dashboard ") < bar_text(app).index(" i Replies ")
        assert bar_text(app).index(" i Replies ") < bar_text(app).index(" Messages ")
        await switch_to(pilot, "i", "replies")
        await pilot.press("d")
        assert await wait_for(lambda: app.current_mode == "dashboard", pilot)
        bar = app.screen.query_one(KeyBar)
        x = next(a for a, _, k in bar._spans if k.description == "Messages")
        await pilot.click(KeyBar, offset=(x + 1, 0))
        assert await wait_for(lambda: app.current_mode == "messages", pilot)
        # 80 columns: the footer's compact style fits more keys, and ^p is never cut off.
        await pilot.resize_terminal(80, 24)
        assert await wait_for(lambda: bar_text(app).startswith("/ Search c Copy msgid"), pilot)
        assert len(bar_text(app)) == 80 and bar_text(app).endswith("▏^p palette ")


async def test_keys_that_are_no_key_or_no_id_are_said_and_the_default_kept(tmp_path):
    """A typo'd id did nothing without a word; a key that is no key took ``f`` from Bulk."""
    keymap = {"nav.sned": "x", "nav.bulk": "notakey!!", "nav.replies": "ctrl+e,question_mark"}
    app = cache_app(tmp_path, keymap=keymap, refresh_s=3600)
    said: list[str] = []
    notify = app.notify
    app.notify = lambda message, **kw: said.append(str(message)) or notify(message, **kw)
    async with app.run_test(size=(160, 24)) as pilot:
        assert await wait_for(lambda: len(said) == 2, pilot), said
        assert "[keys] nav.bulk: 'notakey!!' is not a key" in said[0]
        assert "[keys] nav.sned: no key has this id" in said[1]
        await switch_to(pilot, "f", "bulk")  # the default, kept
        await pilot.press("escape", "d")  # out of the file field Bulk opens in
        await switch_to(pilot, "ctrl+e", "replies")


async def switch_to(pilot, key: str, mode: str) -> None:
    await pilot.press(key)
    assert await wait_for(lambda: pilot.app.current_mode == mode, pilot)


async def test_a_refresh_tick_while_closing_does_nothing(tmp_path):
    """The refresh interval can fire while the app is taking its screens down."""
    app = demo_app("quiet", seed=5, db_dir=str(tmp_path))
    async with app.run_test(size=(80, 24)) as pilot:
        assert await wait_for(lambda: live(app), pilot)
    app.refresh_screen()  # no screens left: must not raise
    assert not app.screen_stack


async def test_a_message_and_its_story_show_outside_text_inert(tmp_path):
    """msgid, status and an outbox error come from the platform or a push: shown literally."""
    from fivec_tui.app.messages import Messages

    app = cache_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        await switch(pilot, "m")
        row = {"msgid": "[/]1", "mobile": "13800138000", "status": "\x1b[2J", "latency": None}
        app.screen.show(Messages([{**row, "sent_at": None, "content": "x"}]))
        await pilot.pause()
        cells = [str(c) for c in app.screen.query_one("#messages", DataTable).get_row_at(0)]
        assert cells[1] == "[/]1" and "\\x1b[2J" in cells[3]
        app.screen._story(
            {
                "msgid": "[/]1",
                "sent_at": None,
                "recipients": [{**row, "content": "x"}],
                "replies": [],
                "outbox": [{"state": "unknown", "detail": "\x1b]52;c;eA==\x07"}],
            }
        )
        shown = str(app.screen.query_one("#story", Static).render())
        assert "msgid [/]1" in shown and "\\x1b[2J" in shown and "\\x1b]52" in shown
        assert "\x1b" not in shown


async def test_a_confirmation_title_shows_outside_text_inert(tmp_path):
    """Titles name a mobile or a sub-account the platform listed: controls are escaped."""
    from textual.widgets import Label

    from fivec_tui.app.widgets import Confirm

    app = cache_app(tmp_path)
    async with app.run_test(size=(100, 30)) as pilot:
        app.push_screen(Confirm("Lock a\x1b[2Jb?", Text("")))
        await pilot.pause()
        title = str(app.screen.query_one(Label).render())
        assert "Lock a\\x1b[2Jb?" in title and "\x1b" not in title
