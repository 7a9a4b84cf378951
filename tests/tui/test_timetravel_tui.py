"""Time-travel in the TUI: the dashboard at a past moment, the moment dialog, stepping, the
timeline's cursor, the return to live.

The cache holds :func:`scenes.day_cache`'s day of known traffic (an outage 18:00-19:00 Beijing).
"""

from __future__ import annotations

import time

import pytest
from clirun import empty_config
from scenes import AT, DAY_NOW, day_app, settle
from traffic import T0

from fivec_tui import i18n
from fivec_tui.app.dashboard import RateBox
from fivec_tui.store import asof
from fivec_tui.when import EARLIEST


def banner(app) -> str:
    return str(app.screen.query_one("#banner").render())


async def test_dashboard_at_a_past_moment_then_live(day_cache):
    app = day_app(day_cache)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)
        assert "AT 2026-11-20 18:30:45 +08:00 · as it was then" in banner(app)
        hour = asof.summary_at(app.store, 3600, AT)
        box = str(app.screen.query_one("#rate1", RateBox).render())
        assert f"{hour.delivery_rate:.1%}" in box and f"sent {hour.sent}" in box
        caption = str(app.screen.query_one("#dashboard-caption").render())
        assert "alerts firing: delivery rate" in caption
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert app.at == AT - 300 and "18:25:45" in banner(app)
        await pilot.press("right_square_bracket", "right_square_bracket")
        await settle(pilot)
        assert app.at == AT + 300
        await pilot.press("L")
        await settle(pilot)
        assert app.at is None and "AT " not in banner(app)
        live = str(app.screen.query_one("#rate1", RateBox).render())
        want = asof.summary_at(app.store, 3600, DAY_NOW)
        assert f"sent {want.sent}" in live
        caption = str(app.screen.query_one("#dashboard-caption").render())
        assert "alerts firing" not in caption


async def test_pick_a_moment(day_cache):
    app = day_app(day_cache, at=None)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("@")
        await pilot.pause()
        await pilot.press(*"tomorrow", "enter")
        await pilot.pause()
        assert app.at is None and "bad time" in str(app.screen.query_one("#moment-error").render())
        app.screen.query_one("#moment-input").value = "2026-11-20T10:00:00+00:00"
        await pilot.press("enter")
        await settle(pilot)
        assert app.at == T0 + 600 * 60
        assert "AT 2026-11-20 18:00:00 +08:00 · as it was then" in banner(app)
        said = []
        app.notify = lambda message, **_: said.append(message)
        await pilot.press("@")
        await pilot.pause()
        await pilot.press(*"+2h", "enter")  # to come: live, and said (it was silent)
        await settle(pilot)
        assert app.at is None and "is later than now: the live numbers" in said[-1]
        app.at = T0 + 600 * 60
        await pilot.press("@")
        await pilot.pause()
        await pilot.press("escape")  # cancelled: nothing changes
        await settle(pilot)
        assert app.at == T0 + 600 * 60
        await pilot.press("K")
        await settle(pilot)
        assert app.known_now and "as known now" in banner(app)
        await pilot.press("@")  # the calendar's ends: said, never a crash
        await pilot.pause()
        app.screen.query_one("#moment-input").value = "0001-01-01T00:00"
        await pilot.press("enter")
        await pilot.pause()
        assert "out of range" in str(app.screen.query_one("#moment-error").render())
        app.screen.query_one("#moment-input").value = "2000-01-01T00:10+00:00"
        await pilot.press("enter")
        await settle(pilot)
        await pilot.press("[", "[", "[")  # back past the earliest moment a WHEN may name
        await settle(pilot)
        assert app.at == EARLIEST and "AT 2000-01-01 08:00:00 +08:00" in banner(app)


async def test_timeline_cursor_time_travels(day_cache):
    app = day_app(day_cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("t")
        await settle(pilot)
        await pilot.pause(0.2)
        screen = app.screen
        data = screen.data
        assert data is not None and data.bucket_s == 24 * 60  # 24 hours in 60 buckets
        assert data.start <= AT < data.start + len(data.buckets) * data.bucket_s
        assert screen.cursor == int((AT - data.start) // data.bucket_s)
        rated = [(b.rate, i) for i, b in enumerate(data.buckets) if b.rate is not None]
        worst = data.start + min(rated)[1] * data.bucket_s
        assert min(rated)[0] < 0.7 < 0.95 < max(rated)[0]  # the outage's dip is in the span
        assert T0 + 600 * 60 - data.bucket_s < worst < T0 + 660 * 60
        assert {e["state"] for e in data.events} == {"firing", "resolved"}
        cursor = screen.cursor
        await pilot.press("left", "left")
        await settle(pilot)
        assert screen.cursor == cursor - 2
        assert app.at == data.start + (cursor - 1) * data.bucket_s - 1
        assert "▶" in str(screen.query_one("#timeline-cursor").render())
        await pilot.press("d")
        await settle(pilot)
        assert "AT 2026-11-20" in banner(app)
        await pilot.press("t", "L")  # live: the span ends now, the cursor on the last bucket
        await settle(pilot)
        assert app.at is None and screen.end == DAY_NOW
        assert screen.cursor == len(screen.data.buckets) - 1


async def test_every_screen_at_the_moment(day_cache):
    """Messages sent by then with the reports known then, replies and alerts up to then."""
    app = day_app(day_cache)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.press("m")
        await settle(pilot)
        shown = app.screen.rows.shown
        statuses = {str(cells[3]) for cells in shown.values()}
        assert shown and "pending" in statuses and "MI:0013" in statuses
        newest = max(key.split("/")[0] for key in shown)  # msgids are the minute, then i
        assert int(newest[:4]) == 630  # sent by 18:30:45, nothing later
        await pilot.press("K")  # as known now: the delayed reports are in
        await settle(pilot)
        statuses = {str(cells[3]) for cells in app.screen.rows.shown.values()}
        assert "pending" not in statuses
        await pilot.press("a")
        await settle(pilot)
        assert [str(c[1]) for c in app.screen.rows.shown.values()] == ["firing"]
        await pilot.press("r")
        await settle(pilot)
        assert len(app.screen.rows.shown) == 12  # the hourly replies 08:00-18:00, the TD
        await pilot.press("L", "a")
        await settle(pilot)
        assert len(app.screen.rows.shown) == 2


@pytest.fixture
def chinese():
    i18n.use("zh")
    yield
    i18n.use("en")


def test_fivec_tui_at_opens_at_that_moment(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from fivec_tui.app import run
    from fivec_tui.cli import main

    seen = []
    monkeypatch.setattr(run, "run_tui", lambda ctx: seen.append(ctx.at) or 0)
    monkeypatch.setattr("time.time", lambda: DAY_NOW)
    env = {"FIVEC_CONFIG": empty_config(tmp_path / "none.toml")}
    said = []
    for args in (["--at", "-2h"], ["--at", "+1h"], []):
        result = CliRunner().invoke(main, args, env=env)
        assert result.exit_code == 0, result.output
        said.append("is later than now: the live numbers" in result.output)
    assert seen == [DAY_NOW - 7200, None, None]  # a moment to come is live, and said so
    assert said == [False, True, False]
    result = CliRunner().invoke(main, ["--at", "tomorrow"], env=env)
    assert result.exit_code == 2 and "yesterday 03:00" in result.output


async def test_replies_in_the_past_say_so_instead_of_following(day_cache):
    app = day_app(day_cache, at=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        await pilot.press("r")
        await settle(pilot)
        status = lambda: str(app.screen.query_one("#reply-status").render())  # noqa: E731
        assert "following new replies" in status()
        await pilot.press("left_square_bracket")
        await settle(pilot)
        assert "following" not in status() and "received by 11-21 07:54:50" in status()
        assert "AT 2026-11-21 07:54:50 +08:00 · as it was then" in banner(app)
        await pilot.press("L")
        await settle(pilot)
        assert "following new replies" in status()


def _alert(app, state: str = "firing") -> None:
    from fivec_tui.sync.alerts import Condition, Event

    app.alert(
        Event(state, Condition("balance", "all", True, "balance 842 below 1000"), DAY_NOW - 2)
    )


async def test_a_live_alert_at_a_past_moment_is_marked_now(day_cache):
    """An alert firing now matters to the person on call even while they read the past: it
    is shown, marked NOW with its time, never as if it were the past's."""
    app = day_app(day_cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        _alert(app)
        await pilot.pause()
        titles = [n.title for n in app._notifications]
        assert titles == ["NOW 07:59:48 · ALERT firing: balance"]
        caption = str(app.screen.query_one("#dashboard-caption").render())
        assert "alerts firing: delivery rate" in caption  # the past's, unchanged by it
        await pilot.press("L")
        await settle(pilot)
        _alert(app, "resolved")
        await pilot.pause()
        assert [n.title for n in app._notifications][-1] == "ALERT resolved: balance"


async def test_k_changes_the_caption_and_the_banner(day_cache):
    app = day_app(day_cache)
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        caption = lambda: str(app.screen.query_one("#dashboard-caption").render())  # noqa: E731
        box = lambda: str(app.screen.query_one("#rate0", RateBox).render())  # noqa: E731
        assert caption().startswith("as it was then") and "as it was then" in banner(app)
        then = asof.summary_at(app.store, 300, AT)
        assert f"pend {then.pending}" in box() and then.pending > 0
        await pilot.press("K")
        await settle(pilot)
        assert caption().startswith("as known now") and "as known now" in banner(app)
        now = asof.summary_at(app.store, 300, AT, known_now=True)
        assert f"pend {now.pending}" in box() and now.pending < then.pending


@pytest.mark.parametrize("known_now", [False, True], ids=["then", "known-now"])
async def test_the_timeline_cursor_and_the_dashboard_agree(day_cache, known_now):
    """The cursor's minute (the 1-hour span) read as the dashboard reads the same moment in
    the same view: the bar, the cursor's line and the dashboard's last minute."""
    app = day_app(day_cache)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        if known_now:
            await pilot.press("K")
        await pilot.press("t", "plus", "plus")  # 24 h, 6 h, 1 h: buckets of one minute
        await settle(pilot)
        screen = app.screen
        assert screen.data.bucket_s == 60
        await pilot.press("left", "left", "left")
        await settle(pilot)
        at = app.at
        assert at % 60 == 59  # the last second of the cursor's minute
        bar = screen.data.buckets[screen.cursor]
        want = asof.summary_at(app.store, 60, at, known_now)
        assert (bar.sent, bar.delivered, sum(bar.failed.values())) == (
            want.sent,
            want.delivered,
            want.failed,
        )
        line = str(screen.query_one("#timeline-cursor").render())
        assert f"sent {want.sent} ok {want.delivered} fail {want.failed} pend {want.pending}" in (
            line
        )
        view = "as known now" if known_now else "as it was then"
        assert view in str(screen.query_one("#timeline-caption").render())
        await pilot.press("d")
        await settle(pilot)
        last = app.screen.query_one("#chart").data[-1]
        assert last == want.sent
        assert str(app.screen.query_one("#dashboard-caption").render()).startswith(view)
        assert asof.series_at(app.store, 3600, at, known_now)[-1] | {"minute": 0} == {
            "minute": 0,
            "sent": want.sent,
            "delivered": want.delivered,
            "failed": want.failed,
        }


@pytest.mark.parametrize("keys", [(), ("r",), ("t",), ("b",)], ids=["dashboard", "r", "t", "b"])
async def test_screens_read_the_same_whatever_the_hosts_tz(day_cache, keys, monkeypatch):
    """The display zone, not the host's TZ, decides every time on screen."""
    shots = []
    for host in ("UTC", "Asia/Shanghai", "America/New_York"):
        monkeypatch.setenv("TZ", host)
        time.tzset()
        app = day_app(day_cache)
        async with app.run_test(size=(100, 30)) as pilot:
            await settle(pilot)
            await pilot.press(*keys)
            await settle(pilot)
            await pilot.pause(0.2)
            await settle(pilot)
            shots.append(app.export_screenshot())
    monkeypatch.undo()
    time.tzset()
    assert shots[0] == shots[1] == shots[2]
    assert "+08:00" in shots[0]
