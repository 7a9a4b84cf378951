"""SVG snapshots of every screen at 80x24 and 160x48, English and Chinese, on the fixed
scenes of :mod:`scenes`: each screen of one account, the Accounts overview of three, the Bulk
screen's preview and progress, and a day in the past (the dashboard at a moment, the
Timeline, back to live, and every other screen at that moment, at 80x24).  The host's clock
runs in UTC; every time is shown in the display zone (the platform's, +08:00), which the
banner names.

Update after an intended change with: pytest tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import time

import pytest
from scenes import (
    NOW,
    PAST,
    SCENES,
    accounts_app,
    audit_app,
    breakdown_app,
    bulk_snapshot_app,
    day_app,
    day_scene,
    fill_bulk_form,
    screens_app,
    settle,
    show_bulk_progress,
)

from fivec_tui import i18n

SIZES = [(80, 24), (160, 48)]
SIZE_IDS = ["80x24", "160x48"]


@pytest.fixture(autouse=True)
def _utc_host(monkeypatch):
    """The host's clock runs in UTC, as on the shared jump box: the screens show the display
    zone (``[app] timezone``, the platform's by default) whatever the host's."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


SCREENS = ["d", "r", "m", "s", "b", "a"]


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize(
    "key", SCREENS, ids=["dashboard", "replies", "messages", "send", "blacklist", "alerts"]
)
def test_screen_snapshot(snap_compare, tmp_path, key, size):
    async def go_to(pilot):
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)

    assert snap_compare(screens_app(tmp_path), terminal_size=size, run_before=go_to)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize(
    "key", SCREENS, ids=["dashboard", "replies", "messages", "send", "blacklist", "alerts"]
)
def test_screen_snapshot_zh(snap_compare, chinese, tmp_path, key, size):
    """The same screens in Chinese: wide characters never cut in half, boxes never wrapped."""

    async def go_to(pilot):
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)

    assert snap_compare(screens_app(tmp_path), terminal_size=size, run_before=go_to)


ACCOUNT_KEYS = {"overview": (), "wrong-apikey": ("down",), "focused": ("down", "enter")}


def take_accounts(snap_compare, tmp_path, view: str, size: tuple[int, int]) -> bool:
    async def go_to(pilot):
        await settle(pilot)
        await pilot.press(*ACCOUNT_KEYS[view])
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)

    return snap_compare(accounts_app(tmp_path), terminal_size=size, run_before=go_to)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("view", list(ACCOUNT_KEYS))
def test_accounts_snapshot(snap_compare, tmp_path, view, size):
    assert take_accounts(snap_compare, tmp_path, view, size)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("view", list(ACCOUNT_KEYS))
def test_accounts_snapshot_zh(snap_compare, tmp_path, chinese, view, size):
    """In Chinese: wide characters never cut in half, the reason still in sight at 80."""
    assert take_accounts(snap_compare, tmp_path, view, size)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
def test_audit_snapshot(snap_compare, tmp_path, lang, size):
    """The trail newest first, the pending send highlighted in full, the chain verified."""
    i18n.use(lang)

    async def go(pilot):
        await settle(pilot)
        await pilot.press("w")
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)

    try:
        assert snap_compare(audit_app(tmp_path), terminal_size=size, run_before=go)
    finally:
        i18n.use("en")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("key", ["d", "s"], ids=["dashboard", "send"])
def test_read_only_snapshot(snap_compare, tmp_path, lang, key):
    """A watch-only console: READ-ONLY in the banner, a notice where the Send form was."""
    i18n.use(lang)
    app = screens_app(tmp_path)
    app.profile.acting.read_only = "[app] read_only"

    async def go(pilot):
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)

    try:
        assert snap_compare(app, terminal_size=(80, 24), run_before=go)
    finally:
        i18n.use("en")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("view", ["preview", "progress"])
def test_bulk_snapshot(snap_compare, tmp_path, customers, lang, size, view):
    i18n.use(lang)

    async def go(pilot):
        await fill_bulk_form(pilot)
        if view == "progress":
            show_bulk_progress(pilot)
            await pilot.pause()

    try:
        assert snap_compare(
            bulk_snapshot_app(tmp_path, customers), terminal_size=size, run_before=go
        )
    finally:
        i18n.use("en")


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("scene", SCENES)
def test_day_snapshot(snap_compare, day_cache, scene, size):
    async def run_before(pilot):
        await day_scene(pilot, scene)

    assert snap_compare(day_app(day_cache), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("scene", SCENES)
def test_day_snapshot_zh(snap_compare, chinese, day_cache, scene, size):
    async def run_before(pilot):
        await day_scene(pilot, scene)

    assert snap_compare(day_app(day_cache), terminal_size=size, run_before=run_before)


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("scene", list(PAST))
def test_past_snapshot(snap_compare, day_cache, scene, lang):
    """Every screen at the moment: the banner (moment, zone, view), times in the zone."""
    i18n.use(lang)

    async def run_before(pilot):
        await day_scene(pilot, scene)

    try:
        assert snap_compare(day_app(day_cache), terminal_size=(80, 24), run_before=run_before)
    finally:
        i18n.use("en")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_accounts_past_snapshot(snap_compare, tmp_path, lang):
    """The Accounts overview half an hour back: each account's numbers as they were then."""
    i18n.use(lang)

    async def go_to(pilot):
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)

    try:
        app = accounts_app(tmp_path, at=NOW - 1800)
        assert snap_compare(app, terminal_size=(80, 24), run_before=go_to)
    finally:
        i18n.use("en")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_keys_snapshot(snap_compare, tmp_path, lang):
    """``?`` at 80x24, scrolled to its end: every key, grouped, and how to scroll and leave."""
    i18n.use(lang)

    async def go(pilot):
        await settle(pilot)
        await pilot.press("question_mark")
        await pilot.pause()
        await pilot.press("end")
        await pilot.pause(0.2)

    try:
        assert snap_compare(screens_app(tmp_path), terminal_size=(80, 24), run_before=go)
    finally:
        i18n.use("en")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_alerts_detail_snapshot(snap_compare, tmp_path, lang):
    """The Alerts screen at 80x24, the firing alert highlighted and shown whole below."""
    i18n.use(lang)

    async def go(pilot):
        await settle(pilot)
        await pilot.press("a")
        await settle(pilot)
        await pilot.press("down")
        await pilot.pause(0.2)
        await settle(pilot)

    try:
        assert snap_compare(screens_app(tmp_path), terminal_size=(80, 24), run_before=go)
    finally:
        i18n.use("en")


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("view", ["carrier", "signature"])
def test_breakdown_snapshot(snap_compare, tmp_path, lang, size, view):
    """``c`` from the dashboard: the hour by carrier (China Mobile failing, marked unusual
    against a week earlier, burning its budget), then ``g``: by signature."""
    i18n.use(lang)

    async def go(pilot):
        await settle(pilot)
        await pilot.press("c", *(("g",) if view == "signature" else ()))
        await settle(pilot)
        await pilot.pause(0.3)
        await settle(pilot)

    try:
        assert snap_compare(breakdown_app(tmp_path), terminal_size=size, run_before=go)
    finally:
        i18n.use("en")


#: What a newcomer typed at 80x24: the Send form with every warning, a search with no match.
TYPED = {
    "send-warnings": (
        "s",
        *"1380013800013900139000, 12345",
        "tab",
        *"hello world",
    ),
    "messages-no-match": ("m", "slash", *"19900000000", "enter"),
}


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("view", list(TYPED))
def test_typed_snapshot(snap_compare, tmp_path, lang, view):
    """At 80x24: the Send form whole (the checks one line each, Send in sight), and a
    Messages search that matches nothing saying so."""
    i18n.use(lang)

    async def go(pilot):
        await settle(pilot)
        for key in TYPED[view]:
            await pilot.press({" ": "space", ",": "comma"}.get(key, key))
        await settle(pilot)
        await pilot.press("escape")  # out of the field: no blinking cursor
        await pilot.pause(0.2)
        await settle(pilot)

    try:
        assert snap_compare(screens_app(tmp_path), terminal_size=(80, 24), run_before=go)
    finally:
        i18n.use("en")
