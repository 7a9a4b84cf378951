"""Writing only the cells that changed (fivec_tui/app/frugal.py), checked against what Textual
alone writes, both played on a terminal emulator (pyte); and the first frame's early write."""

from __future__ import annotations

from pathlib import Path

import pyte
from textual._compositor import CompositorUpdate, LayoutUpdate

import fivec_tui.app.app
from fivec_tui.api import Balance, Reply
from fivec_tui.app.app import FivecApp
from fivec_tui.config import Profile
from fivec_tui.store import Store, ingest_items
from fivec_tui.store.balance import add_balance

CSS = str(Path(fivec_tui.app.app.__file__).with_name("fivec.tcss"))  # for subclasses here


async def wait_for(predicate, pilot, timeout=30.0):
    for _ in range(int(timeout / 0.1)):
        if predicate():
            return True
        await pilot.pause(0.1)
    return False


async def switch(pilot, key: str, mode: str) -> None:
    await pilot.press(key)
    assert await wait_for(
        lambda: pilot.app.current_mode == mode and pilot.app.screen.is_mounted, pilot
    )


class Terminal:
    def __init__(self, width: int, height: int) -> None:
        self.screen = pyte.Screen(width, height)
        self.stream = pyte.Stream(self.screen)
        self.written = 0

    def feed(self, data: str) -> None:
        self.written += len(data.encode())
        self.stream.feed(data)

    def cells(self) -> list[list[tuple]]:
        """Every cell: its character and how it looks."""
        return [
            [
                (c.data, c.fg, c.bg, c.bold, c.italics, c.underscore, c.reverse)
                for c in (row[x] for x in range(self.screen.columns))
            ]
            for row in (self.screen.buffer[y] for y in range(self.screen.lines))
        ]

    def text(self) -> str:
        return "\n".join(self.screen.display)


class Watched(FivecApp):
    """The app with two terminals: one fed what Textual writes, one what the frame writes.

    Tests run headless, where nothing is written: ``_display`` is replaced by the same two
    calls that ``FivecApp._display`` makes on a terminal, plus Textual's own rendering."""

    CSS_PATH = CSS
    term_size = (120, 40)
    whole: Terminal
    frugal: Terminal

    def _display(self, screen, renderable) -> None:
        if not isinstance(renderable, CompositorUpdate):
            return
        if isinstance(renderable, LayoutUpdate):  # a new picture: both start from it
            self.whole, self.frugal = Terminal(*self.term_size), Terminal(*self.term_size)
        self.whole.feed(renderable.render_segments(self.console))
        update = self.frame.update(renderable, self.console)
        if update is not None:
            self.frugal.feed(update.render_segments(self.console))


def profile() -> Profile:
    return Profile("t", "ops", "0" * 32, "k" * 32, base_url="https://m.5c.com.cn")


def reply(i: int, text: str) -> Reply:
    from datetime import UTC, datetime

    return Reply(f"1380013{i:04d}", text, datetime.fromtimestamp(1795600000 - 60 + i, UTC))


async def test_the_frame_writes_what_textual_would_show_with_far_fewer_bytes(tmp_path):
    """Dashboard refreshes with new data, Chinese and hostile text, a screen switch and a
    resize: after every update the two terminals show exactly the same cells; an unchanged
    refresh writes nothing; a changed number is written as little more than itself."""
    store = Store(tmp_path / "t.db")
    now = [1795600000.0]
    app = Watched(profile(), store, refresh_s=3600, clock=lambda: now[0])
    async with app.run_test(size=app.term_size) as pilot:
        assert await wait_for(lambda: app.screen.lower_mounted, pilot)

        async def settled() -> None:
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.pause()
            assert app.frugal.cells() == app.whole.cells(), app.frugal.text()

        await settled()
        for i, text in enumerate(["好的，收到", "TD", "[/] \x1b[2J", "退订", "ok"]):
            ingest_items(store, "replies", [reply(i, text)])
            add_balance(store, Balance(9e4 - i, 1e5))
            now[0] += 1
            app.refresh_screen()
            await settled()
        assert "好的，收到" in app.frugal.text()
        terminals = app.frugal, app.whole
        before = app.frugal.written, app.whole.written
        for widget in app.screen.query("*"):  # everything repainted, nothing changed
            widget.refresh()
        app.refresh_screen()
        await settled()
        assert (app.frugal, app.whole) == terminals  # partial updates, no new picture
        assert app.frugal.written == before[0] and app.whole.written > before[1] + 10_000
        await switch(pilot, "r", "replies")
        await settled()
        await switch(pilot, "d", "dashboard")
        await settled()
        app.term_size = (100, 30)
        await pilot.resize_terminal(*app.term_size)
        await settled()
        await pilot.pause(0.2)
        await settled()


async def test_the_whole_first_frame_is_written_when_ready(tmp_path):
    """``on_ready`` writes the first full frame at once (the screen's update tick, run by
    hand: textual has no public call for it); without it the key bar came ~20 ms later."""
    seen: list[str] = []

    class First(FivecApp):
        CSS_PATH = CSS
        ready = False

        def on_ready(self) -> None:
            self.ready = True
            super().on_ready()
            self.ready = False

        def _display(self, screen, renderable) -> None:
            if self.ready and renderable is not None:
                seen.append(type(renderable).__name__)
            super()._display(screen, renderable)

    app = First(profile(), Store(tmp_path / "t.db"), refresh_s=3600)
    async with app.run_test(size=(80, 24)):
        assert seen == ["LayoutUpdate"]
