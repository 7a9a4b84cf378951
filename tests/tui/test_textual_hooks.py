"""The hooks of fivec_tui/app/textual_hooks.py, switched by FIVEC_TEXTUAL_HOOKS, and the app
the same without them; its start on stock Textual (the first frame, the first theme)."""

from __future__ import annotations

import logging

import pytest
from scenes import screens_app, settle
from terminals import on_terminals

import fivec_tui.app.app as app_module
from fivec_tui.app.app import FivecApp
from fivec_tui.app.terminal import TerminalDriver
from fivec_tui.app.textual_hooks import ENV, HOOKS, applies
from fivec_tui.config import Profile
from fivec_tui.store import Store


def test_the_switch_turns_hooks_on_and_off(monkeypatch, caplog):
    for setting, on in [
        (None, set(HOOKS)),
        ("on", set(HOOKS)),
        ("off", set()),
        ("driver", {"driver"}),
        (" Scrollbars , driver ", {"scrollbars", "driver"}),
    ]:
        if setting is None:
            monkeypatch.delenv(ENV, raising=False)
        else:
            monkeypatch.setenv(ENV, setting)
        assert {hook for hook in HOOKS if applies(hook)} == on, setting
    monkeypatch.setenv(ENV, "driver,first-frame")  # (a hook of an earlier version)
    with caplog.at_level(logging.WARNING):
        assert applies("driver") and not applies("scrollbars")
    assert "unknown hooks first-frame" in caplog.text
    caplog.clear()
    monkeypatch.setenv(ENV, "driver,\x1b]0;pwned\x07")  # an outsider's: the title set
    with caplog.at_level(logging.WARNING):
        assert applies("driver")
    assert "\x1b" not in caplog.text and "\\x1b]0;pwned\\x07" in caplog.text


def profile() -> Profile:
    return Profile("t", "ops", "0" * 32, "k" * 32, base_url="https://m.5c.com.cn")


async def shown_when_ready(tmp_path, monkeypatch) -> str:
    """What the terminal shows as the app's ``on_ready`` runs."""
    shown = []
    ready = FivecApp.on_ready

    def on_ready(app: FivecApp) -> None:
        shown.append(app.terminals.whole.text())
        ready(app)

    monkeypatch.setattr(FivecApp, "on_ready", on_ready)
    app = on_terminals(FivecApp(profile(), Store(tmp_path / "t.db"), refresh_s=3600), (80, 24))
    async with app.run_test(size=(80, 24), headless=False) as pilot:
        await settle(pilot)
    assert len(shown) == 1
    return shown[0]


@pytest.mark.parametrize("hooks", ["on", "off"])
async def test_the_whole_first_frame_is_written_when_ready(tmp_path, monkeypatch, hooks):
    """Stock Textual writes the whole first frame (the key bar, its last line) by the time
    the app is ready, as the dashboard is its default screen; as a mode's first screen it
    came only with the screen's next update tick, ~20 ms later."""
    monkeypatch.setenv(ENV, hooks)
    assert "Dashboard" in await shown_when_ready(tmp_path, monkeypatch)


@pytest.mark.parametrize("saved", ["fivec-dark", "textual-light", "ansi-dark", None, "gone"])
async def test_the_remembered_theme_is_the_first_and_not_written_again(
    tmp_path, monkeypatch, saved
):
    """Set through Textual's theme watcher (its classes, its colour filter), but not
    remembered again at each start; a theme chosen later is."""
    remembered: list[str] = []
    monkeypatch.setattr(app_module, "remembered_theme", lambda: saved)
    monkeypatch.setattr(app_module, "remember_theme", remembered.append)
    app = FivecApp(profile(), Store(tmp_path / "t.db"), refresh_s=3600)
    first = saved if saved in ("fivec-dark", "textual-light", "ansi-dark") else "fivec-dark"
    dark = app.get_theme(first).dark
    assert app.theme == first and app.has_class(f"-theme-{first}") and remembered == []
    assert app.has_class("-dark-mode") == dark and app.has_class("-light-mode") != dark
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        assert app.current_theme.name == first
        assert app.ansi_theme == (app.ansi_theme_dark if dark else app.ansi_theme_light)
        assert remembered == []
        app.theme = "textual-light" if first != "textual-light" else "fivec-dark"
        await settle(pilot)
        assert remembered == [app.theme]


async def test_every_screen_looks_the_same_with_every_hook_off(tmp_path, monkeypatch):
    """The fallback: stock Textual shows every screen exactly as the app with its hooks, but
    for the look of the scroll bars (the one hook meant to be seen, kept on here)."""
    shown: dict[str, list[list[tuple]]] = {}
    for hooks in ("on", "scrollbars"):  # all, and none but the scroll bars'
        monkeypatch.setenv(ENV, hooks)
        app = on_terminals(screens_app(tmp_path / hooks), (80, 24))
        async with app.run_test(size=(80, 24), headless=False) as pilot:
            for key in "drmsbaf":
                await pilot.press(key)
                await settle(pilot)
                await pilot.pause(0.2)
                await settle(pilot)
                shown[f"{hooks} {key}"] = app.terminals.whole.cells()
    for key in "drmsbaf":
        assert shown[f"on {key}"] == shown[f"scrollbars {key}"], key


def test_the_driver_is_stock_when_switched_off(monkeypatch):
    """On a terminal and under textual-serve (the browser's driver), unless switched off."""
    from textual.drivers.headless_driver import HeadlessDriver
    from textual.drivers.linux_driver import LinuxDriver
    from textual.drivers.web_driver import WebDriver

    from fivec_tui.app.terminal import FrameWrites, driver_for

    monkeypatch.setenv(ENV, "on")
    assert driver_for(LinuxDriver) is TerminalDriver
    browser = driver_for(WebDriver)
    assert issubclass(browser, FrameWrites) and issubclass(browser, WebDriver)
    assert driver_for(HeadlessDriver) is HeadlessDriver
    monkeypatch.setenv(ENV, "scrollbars")
    assert driver_for(LinuxDriver) is LinuxDriver and driver_for(WebDriver) is WebDriver
