"""No English of Textual's own in the Chinese interface: the descriptions of its key bindings
(the key bar, the Keys screen), its palette commands and prompts. What Textual may say is
gathered from the installed Textual when the tests run, so an upgrade that adds a binding,
a command or a prompt fails here until it is translated (fivec_tui/app/textual_strings.py)."""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest
import textual
import textual.app
import textual.command
import textual.containers
import textual.screen
import textual.widgets
from scenes import screens_app, settle
from terminals import on_terminals
from textual.app import App
from textual.binding import Binding
from textual.command import CommandPalette
from textual.widget import Widget

from fivec_tui import i18n
from fivec_tui.app.keys import KeysScreen

SIZE = (80, 24)
PROMPT_KEYWORDS = {"placeholder", "tooltip", "description"}
MODES = ["dashboard", "replies", "messages", "send", "bulk", "blacklist", "alerts", "timeline"]


def textual_classes() -> list[type]:
    """Every screen, widget and app class the installed Textual offers."""
    found = {App, CommandPalette, textual.command.CommandInput}
    for module in (textual.screen, textual.containers):
        found |= {v for v in vars(module).values() if inspect.isclass(v)}
    found |= {getattr(textual.widgets, name) for name in textual.widgets.__all__}
    return [c for c in found if issubclass(c, (Widget, App))]


def bindings_english(classes) -> set[str]:
    """The descriptions and tooltips of the bindings that Textual defines on ``classes``."""
    out = set()
    for cls in classes:
        for klass in cls.__mro__:
            if not klass.__module__.startswith("textual."):
                continue
            for binding in klass.__dict__.get("BINDINGS", ()):
                binding = binding if isinstance(binding, Binding) else Binding(*binding)
                out |= {binding.description, binding.tooltip}
    return out - {""}


def prompts_english() -> set[str]:
    """The prompts, and the bindings made on the fly, of Textual's app and command palette
    (string literals in their code)."""
    out = {inspect.signature(CommandPalette).parameters["placeholder"].default}
    for module in (textual.app, textual.command):
        for node in ast.walk(ast.parse(Path(module.__file__).read_text("utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            args = [k.value for k in node.keywords if k.arg in PROMPT_KEYWORDS]
            if getattr(node.func, "id", None) == "Binding":
                args += node.args[2:3]
            out |= {a.value for a in args if isinstance(a, ast.Constant) and a.value}
    return out


def commands_english(app: App) -> set[str]:
    out = set()
    for command in App.get_system_commands(app, app.screen):
        out |= {command.title, command.help}
    return out


def everything_english(app: App) -> set[str]:
    return bindings_english(textual_classes()) | prompts_english() | commands_english(app)


def english_in(text: str, english: set[str]) -> list[str]:
    """The strings of ``english`` that ``text`` shows as words."""
    return sorted(
        e for e in english if re.search(rf"(?<![A-Za-z]){re.escape(e)}(?![A-Za-z])", text)
    )


@pytest.fixture
def zh():
    i18n.use("zh")
    yield
    i18n.use("en")


def keys_text(app: App) -> str:
    """All that the Keys screen lists (it may be taller than the terminal)."""
    screen = app.screen
    assert isinstance(screen, KeysScreen)
    return "\n".join(f"{key} {i18n._(description)}" for key, description in screen.keys)


async def test_textual_english_is_never_seen_in_the_chinese_interface(tmp_path, zh):
    """Every screen at 80x24, its Keys screen with each kind of widget focused, and the
    palette's commands and theme search: nothing of Textual's own English is on screen."""
    app = on_terminals(screens_app(tmp_path), SIZE)
    seen: dict[str, str] = {}
    async with app.run_test(size=SIZE, headless=False) as pilot:
        english = everything_english(app)
        assert {"Focus Next", "Scroll Up", "Search for commands…", "palette"} <= english
        for mode in MODES:
            await app.switch_mode(mode)
            await settle(pilot)
            seen[mode] = app.terminals.whole.text()
            focusable = {}  # one widget of each kind that takes the focus
            for widget in app.screen.query("*"):
                if widget.focusable and widget.display:
                    focusable.setdefault(type(widget), widget)
            for widget in [None, *focusable.values()]:
                app.set_focus(widget)
                await pilot.pause()
                app.action_keys()  # ? on a screen, or Keys in the palette from a text field
                await settle(pilot)
                where = f"{mode} ? ({type(widget).__name__})"
                seen[where] = app.terminals.whole.text() + "\n" + keys_text(app)
                await pilot.press("escape")
                await settle(pilot)
        await app.switch_mode("dashboard")
        await settle(pilot)
        await pilot.press("ctrl+p")
        await settle(pilot)
        seen["palette"] = app.terminals.whole.text()
        await pilot.press("escape")
        await settle(pilot)
        app.search_themes()
        await settle(pilot)
        seen["themes"] = app.terminals.whole.text()
    problems = {where: english_in(text, english) for where, text in seen.items()}
    assert {where: found for where, found in problems.items() if found} == {}
    assert "总览" in seen["dashboard"] and "搜索命令" in seen["palette"]  # (what was seen)
    assert "搜索主题" in seen["themes"] and "聚焦下一项" in seen["send ? (NoneType)"]


def test_the_check_sees_textual_english():
    english = {"Focus Next", "Scroll Up", "Top", "Search for commands…"}
    shown = "│ tab   Focus Next\n 1 hour   Topline\n Search for commands…"
    assert english_in(shown, english) == ["Focus Next", "Search for commands…"]


async def test_the_bindings_of_every_widget_on_the_screens_are_translated(tmp_path, zh):
    """Bound keys hidden from the bar still show on the Keys screen: every description and
    tooltip Textual gives the widgets the screens hold has a translation."""
    app = screens_app(tmp_path)
    classes = {App, CommandPalette, textual.command.CommandInput}
    async with app.run_test(size=SIZE) as pilot:
        for mode in MODES:
            await app.switch_mode(mode)
            await settle(pilot)
            classes |= {type(node) for node in app.screen.query("*")} | {type(app.screen)}
    untranslated = sorted(
        text for text in bindings_english(classes) | prompts_english() if i18n._(text) == text
    )
    assert untranslated == []
