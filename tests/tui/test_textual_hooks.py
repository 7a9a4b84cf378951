"""The hooks of fivec_tui/app/textual_hooks.py: switched by FIVEC_TEXTUAL_HOOKS, the internal
ones applied only on the Textual they were written for, and the app the same without them."""

from __future__ import annotations

import logging

import pytest
import textual
from scenes import screens_app, settle
from terminals import on_terminals

import fivec_tui.app.app as app_module
from fivec_tui.app import textual_hooks
from fivec_tui.app.app import FivecApp
from fivec_tui.app.terminal import TerminalDriver
from fivec_tui.app.textual_hooks import ENV, HOOKS, WRITTEN_FOR, applies
from fivec_tui.config import Profile
from fivec_tui.store import Store


@pytest.fixture
def other_textual(monkeypatch, tmp_path):
    """Textual as if another version were installed (its metadata beside it says so)."""
    (tmp_path / "textual").mkdir()
    (tmp_path / "textual-8.3.0.dist-info").mkdir()
    monkeypatch.setattr(textual, "__file__", str(tmp_path / "textual" / "__init__.py"))
    monkeypatch.setattr(textual, "__version__", "8.3.0", raising=False)
    textual_hooks.written_for_this_textual.cache_clear()
    yield
    textual_hooks.written_for_this_textual.cache_clear()


def test_the_switch_turns_hooks_on_and_off(monkeypatch, caplog):
    assert textual.__version__ == WRITTEN_FOR  # (pyproject pins it: else nothing is applied)
    assert textual_hooks.written_for_this_textual()
    for setting, on in [
        (None, set(HOOKS)),
        ("on", set(HOOKS)),
        ("off", set()),
        ("driver", {"driver"}),
        (" First-Frame , driver ", {"first-frame", "driver"}),
    ]:
        if setting is None:
            monkeypatch.delenv(ENV, raising=False)
        else:
            monkeypatch.setenv(ENV, setting)
        assert {hook for hook in HOOKS if applies(hook)} == on, setting
    monkeypatch.setenv(ENV, "driver,frugal")
    with caplog.at_level(logging.WARNING):
        assert applies("driver") and not applies("first-frame")
    assert "unknown hooks frugal" in caplog.text


def test_on_another_textual_only_the_public_api_is_used(other_textual, monkeypatch):
    monkeypatch.delenv(ENV, raising=False)
    assert not applies("first-frame") and not applies("first-theme")
    assert applies("driver")


def profile() -> Profile:
    return Profile("t", "ops", "0" * 32, "k" * 32, base_url="https://m.5c.com.cn")


async def shown_when_ready(tmp_path, monkeypatch) -> str:
    """What the terminal shows as the app's ``on_ready`` has written the first frame."""
    shown = []
    write = textual_hooks.write_first_frame  # (not a wrapper from an earlier call)

    def written(screen) -> None:
        write(screen)
        shown.append(app.terminals.whole.text())

    monkeypatch.setattr(app_module, "write_first_frame", written)
    app = on_terminals(FivecApp(profile(), Store(tmp_path / "t.db"), refresh_s=3600), (80, 24))
    async with app.run_test(size=(80, 24), headless=False) as pilot:
        await settle(pilot)
        assert "Dashboard" in app.terminals.whole.text()  # written by now in any case
    assert len(shown) == 1
    return shown[0]


async def test_the_whole_first_frame_is_written_when_ready(tmp_path, monkeypatch):
    """first-frame: the key bar is on the terminal as on_ready returns; without the hook
    (switched off, or another Textual) it comes with the screen's next update tick."""
    monkeypatch.delenv(ENV, raising=False)
    (tmp_path / "on").mkdir()
    assert "Dashboard" in await shown_when_ready(tmp_path / "on", monkeypatch)
    monkeypatch.setenv(ENV, "driver,first-theme")
    (tmp_path / "off").mkdir()
    assert "Dashboard" not in await shown_when_ready(tmp_path / "off", monkeypatch)


async def test_on_another_textual_the_first_frame_waits_for_the_tick(
    tmp_path, monkeypatch, other_textual
):
    assert "Dashboard" not in await shown_when_ready(tmp_path, monkeypatch)


@pytest.mark.parametrize(
    ("saved", "hooked"), [("fivec-dark", True), ("textual-light", False), ("ansi-dark", False)]
)
async def test_the_first_theme_is_set_whole_with_or_without_the_watcher(
    tmp_path, monkeypatch, saved, hooked
):
    """first-theme skips the theme watcher (which would remember the theme again) only
    where Textual's default colour filter already fits the theme."""
    remembered: list[str] = []
    monkeypatch.setattr(app_module, "remembered_theme", lambda: saved)
    monkeypatch.setattr(app_module, "remember_theme", remembered.append)
    for hooks in ("on", "off"):
        monkeypatch.setenv(ENV, hooks)
        remembered.clear()
        app = FivecApp(profile(), Store(tmp_path / f"{hooks}.db"), refresh_s=3600)
        assert remembered == ([] if hooked and hooks == "on" else [saved])
        dark = app.get_theme(saved).dark
        assert app.theme == saved and app.has_class(f"-theme-{saved}")
        assert app.has_class("-dark-mode") == dark and app.has_class("-light-mode") != dark
        async with app.run_test(size=(80, 24)) as pilot:
            await settle(pilot)
            assert app.current_theme.name == saved
            assert app.ansi_theme == (app.ansi_theme_dark if dark else app.ansi_theme_light)


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
    monkeypatch.setenv(ENV, "first-frame")
    assert driver_for(LinuxDriver) is LinuxDriver and driver_for(WebDriver) is WebDriver
