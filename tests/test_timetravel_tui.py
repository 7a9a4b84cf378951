"""Time-travel in the TUI: the dashboard at a past moment, the moment dialog, stepping, the
timeline's cursor, the return to live; snapshots at 80x24 and 160x48, English and Chinese.

The cache holds test_timetravel's day of known traffic (an outage 18:00-19:00 Beijing).
"""

from __future__ import annotations

import pytest
from test_timetravel import T0, fill, traffic

from fivec_tui import i18n
from fivec_tui.app.app import FivecApp
from fivec_tui.app.dashboard import RateBox
from fivec_tui.config import Profile
from fivec_tui.store import Store, asof

NOW = T0 + 1439 * 60 + 50  # the end of the day
AT = T0 + 630 * 60 + 45  # inside the outage: 2026-11-20 18:30:45 Beijing


@pytest.fixture(autouse=True)
def _beijing(beijing_local_time):
    """Every test here sees times as a Beijing operator does."""


@pytest.fixture(scope="module")
def day_cache(tmp_path_factory):
    path = tmp_path_factory.mktemp("tui") / "c.db"
    store = Store(path)
    fill(store, traffic())
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO alerts(at, rule, state, message, payload) VALUES (?, ?, ?, ?, '{}')",
            [
                (T0 + 605 * 60, "delivery_rate", "firing", "rate low"),
                (T0 + 700 * 60, "delivery_rate", "resolved", "rate back"),
            ],
        )
        conn.executemany(
            "INSERT INTO balance(at, remaining, total) VALUES (?, ?, 1000)",
            [(T0 + m * 60, 1000 - m * 0.25) for m in range(1440)],
        )
    store.close()
    return path


def make_app(path, at=AT) -> FivecApp:
    profile = Profile("snap", "demo", "0" * 32, "k" * 32, base_url="https://m.5c.com.cn")
    return FivecApp(
        profile, Store(path), refresh_s=3600, clock=lambda: NOW, note="fixed data", at=at
    )


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def banner(app) -> str:
    return str(app.screen.query_one("#banner").render())


async def test_dashboard_at_a_past_moment_then_live(day_cache):
    app = make_app(day_cache)
    async with app.run_test(size=(160, 48)) as pilot:
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)
        assert "AT 2026-11-20 18:30:45 (+08:00)" in banner(app)
        hour = asof.summary_at(app.store, 3600, AT)
        box = str(app.screen.query_one("#rate1", RateBox).render())
        assert f"{hour.delivery_rate:.1%}" in box and f"sent {hour.sent}" in box
        caption = str(app.screen.query_one("#dashboard-caption").render())
        assert "alerts firing: delivery_rate" in caption
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
        want = asof.summary_at(app.store, 3600, NOW)
        assert f"sent {want.sent}" in live
        caption = str(app.screen.query_one("#dashboard-caption").render())
        assert "alerts firing" not in caption


async def test_pick_a_moment(day_cache):
    app = make_app(day_cache, at=None)
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
        assert "AT 2026-11-20 18:00:00 (+08:00)" in banner(app)
        await pilot.press("@")
        await pilot.pause()
        await pilot.press("escape")  # cancelled: nothing changes
        await settle(pilot)
        assert app.at == T0 + 600 * 60
        await pilot.press("K")
        await settle(pilot)
        assert app.known_now and "as known now" in banner(app)


async def test_timeline_cursor_time_travels(day_cache):
    app = make_app(day_cache)
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
        assert app.at is None and screen.end == NOW
        assert screen.cursor == len(screen.data.buckets) - 1


async def test_every_screen_at_the_moment(day_cache):
    """Messages sent by then with the reports known then, replies and alerts up to then."""
    app = make_app(day_cache)
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


SCENES = ["dashboard-at", "timeline", "back-to-live"]


async def _scene(pilot, scene: str) -> None:
    await settle(pilot)
    await pilot.pause(0.2)
    await settle(pilot)
    if scene == "timeline":
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("left", "left", "left")
    elif scene == "back-to-live":
        await pilot.press("L")
    await settle(pilot)
    await pilot.pause(0.2)
    await settle(pilot)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
@pytest.mark.parametrize("scene", SCENES)
def test_snapshot(snap_compare, day_cache, scene, size):
    async def run_before(pilot):
        await _scene(pilot, scene)

    assert snap_compare(make_app(day_cache), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
@pytest.mark.parametrize("scene", SCENES)
def test_snapshot_zh(snap_compare, chinese, day_cache, scene, size):
    async def run_before(pilot):
        await _scene(pilot, scene)

    assert snap_compare(make_app(day_cache), terminal_size=size, run_before=run_before)


def test_fivec_tui_at_opens_at_that_moment(monkeypatch, tmp_path):
    from click.testing import CliRunner

    from fivec_tui.app import run
    from fivec_tui.cli import main

    seen = []
    monkeypatch.setattr(run, "run_tui", lambda ctx: seen.append(ctx.at) or 0)
    monkeypatch.setattr("time.time", lambda: NOW)
    env = {"FIVEC_CONFIG": str(tmp_path / "none.toml")}
    for args in (["--at", "-2h"], ["--at", "+1h"], []):
        result = CliRunner().invoke(main, args, env=env)
        assert result.exit_code == 0, result.output
    assert seen == [NOW - 7200, None, None]  # a moment to come is live
    result = CliRunner().invoke(main, ["--at", "tomorrow"], env=env)
    assert result.exit_code == 2 and "yesterday 03:00" in result.output
