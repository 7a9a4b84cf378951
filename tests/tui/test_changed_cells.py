"""Writing only the cells that changed (fivec_tui/app/changed_cells.py, through the driver of
fivec_tui/app/terminal.py), checked against what Textual alone writes, both played on a
terminal emulator (pyte)."""

from __future__ import annotations

import io
import threading
from pathlib import Path

from terminals import Terminal, Terminals, on_terminals
from textual.drivers.headless_driver import HeadlessDriver

import fivec_tui.app.app
from fivec_tui.api import Balance, Reply
from fivec_tui.app import changed_cells
from fivec_tui.app.app import FivecApp
from fivec_tui.app.changed_cells import Frame
from fivec_tui.app.terminal import SYNC_END, SYNC_START, FrameWrites, Output
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


class Watched(FivecApp):
    """The app on two terminals (see :mod:`terminals`), made anew at each resize."""

    CSS_PATH = CSS

    def on_resize(self, event) -> None:  # (Textual calls FivecApp's handler too, after)
        self.terminals = Terminals(*event.size)


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
    async with on_terminals(app, (120, 40)).run_test(size=(120, 40), headless=False) as pilot:
        assert await wait_for(lambda: app.screen.lower_mounted, pilot)

        async def settled() -> None:
            await app.workers.wait_for_complete()
            await pilot.pause()
            await pilot.pause()
            shown = app.terminals
            assert shown.frugal.cells() == shown.whole.cells(), shown.frugal.text()

        await settled()
        for i, text in enumerate(["好的，收到", "TD", "[/] \x1b[2J", "退订", "ok"]):
            ingest_items(store, "replies", [reply(i, text)])
            add_balance(store, Balance(9e4 - i, 1e5))
            now[0] += 1
            app.refresh_screen()
            await settled()
        assert "好的，收到" in app.terminals.frugal.text()
        before = app.terminals.frugal.written, app.terminals.whole.written
        for widget in app.screen.query("*"):  # everything repainted, nothing changed
            widget.refresh()
        app.refresh_screen()
        await settled()
        assert (
            app.terminals.frugal.written == before[0]
            and app.terminals.whole.written > before[1] + 10_000
        )
        add_balance(store, Balance(12_345, 1e5))
        app.refresh_screen()
        await settled()
        assert "12,345" in app.terminals.frugal.text()
        assert (
            app.terminals.frugal.written - before[0] < 200
        )  # the balance, and what it is drawn with
        await switch(pilot, "r", "replies")
        await settled()
        await switch(pilot, "d", "dashboard")
        await settled()
        await pilot.resize_terminal(100, 30)
        await settled()
        await pilot.pause(0.2)
        await settled()
        assert (
            app.terminals.frugal.screen.columns == 100 and "balance" in app.terminals.frugal.text()
        )


def played(*frames: str) -> tuple[Terminal, Terminal, list[str]]:
    """``frames`` played on a terminal as they are and through a frame on another."""
    whole, frugal, frame, written = Terminal(20, 4), Terminal(20, 4), Frame(), []
    for data in frames:
        whole.feed(data)
        written.append(frame.filter(data))
        frugal.feed(written[-1])
        assert frugal.cells() == whole.cells(), (data, frugal.text())
    return whole, frugal, written


def test_only_changed_cells_are_written_with_their_style_and_wide_characters_whole():
    first = "\x1b[1;1H\x1b[1;31mhello\x1b[0m world\n\x1b[2;1Hline 好的 two\x1b[4;1H"
    _whole, _frugal, written = played(
        first,
        first,  # the same again: nothing
        "\x1b[1;1H\x1b[1;31mhellO\x1b[0m world\x1b[2;1Hline 好约 two\x1b[4;1H",
        "\x1b[2;6H的好\x1b[4;1H",  # a wide character over two halves of others
        "\x1b[2;6H的好",  # text last: the cursor is left after it
    )
    assert written[0] == first.replace("\n", "")  # a line never written: as it is
    assert written[1] == ""
    assert written[2] == "\x1b[1;5H\x1b[1;31mO\x1b[0m\x1b[2;8H约\x1b[4;1H"
    assert written[3] == "\x1b[2;6H的好\x1b[4;1H"
    assert written[4] == "\x1b[2;10H"


def test_anything_but_a_frame_is_written_as_it_is_and_what_may_change_cells_forgets():
    frame = Frame()
    line = "\x1b[1;1Hsame text\x1b[4;1H"
    assert frame.filter(line) == line
    harmless_writes = ("\x07", "\x1b[?25l", "\x1b[?1000h\x1b[?1006h", "\x1b[?2026$p")
    for harmless in (*harmless_writes, "\x1b]22;pointer\x07", "\x1b]0;title\x1b\\"):
        assert frame.filter(harmless) == harmless
        assert frame.filter(line) == ""  # still known to be there
    for foreign in (
        "\x1b[2J",  # an erase
        "\x1b[?1049h",  # the alternate screen
        "\x1b]8;id=1;https://x\x1b\\link\x1b]8;;\x1b\\",  # a link
        "\x1b[1;1Hsame\ttext\x1b[4;1H",  # a control character inside a frame
        "\x1b[1;1H\x1b[1msame text\x1b[4;1H",  # a style left on
    ):
        assert frame.filter(foreign) == foreign
        assert frame.filter(line) == line, foreign  # forgotten: written whole


def test_a_screenful_is_cut_into_cells_for_a_few_lines_only(monkeypatch):
    """Another screen, a full refresh: the text already on the terminal is skipped, what
    changed is cut into cells for a few lines, the rest written as it is (cutting it all is
    time a key press would wait for)."""
    monkeypatch.setattr(changed_cells, "SCREENFUL_CUT", 8)  # cells: a line and a bit
    frame = Frame()
    frame.reset(height=4)
    first = "".join(f"\x1b[{y};1H\x1b[32mrow {y}\x1b[0m" for y in range(1, 5)) + "\x1b[4;1H"
    assert frame.filter(first) == first  # nothing known yet: as it is, not cut
    assert len(frame.uncut) == 4 and not frame.lines
    assert frame.filter(first) == ""
    other = first.replace("row 1", "row 1!").replace("row 2", "row 2!").replace("row 3", "row 3!")
    assert frame.filter(other) == (
        "\x1b[1;6H\x1b[32m!\x1b[0m\x1b[2;6H\x1b[32m!\x1b[0m"  # cut: only the change
        "\x1b[3;1H\x1b[32mrow 3!\x1b[0m\x1b[4;1H"  # the budget spent: as it is
    )
    assert sorted(frame.lines) == [0, 1] and sorted(frame.uncut) == [2, 3]
    assert frame.filter("\x1b[3;1H\x1b[32mrow 3?\x1b[0m\x1b[4;1H") == (
        "\x1b[3;6H\x1b[32m?\x1b[0m\x1b[4;1H"  # not a screenful: cut
    )


class Sink(io.StringIO):
    def __init__(self, fail_after: int | None = None) -> None:
        super().__init__()
        self.fail_after = fail_after

    def write(self, text: str) -> int:
        if self.fail_after is not None:
            if self.fail_after <= 0:
                raise OSError(5, "Input/output error")
            self.fail_after -= 1
        return super().write(text)


async def test_an_update_left_with_nothing_to_write_writes_no_sync_markers():
    class Driver(FrameWrites, HeadlessDriver):
        sent: list[str]

        def send(self, data: str) -> None:
            self.sent.append(data)

    class Owner:
        frame = Frame()

    driver = Driver(Owner())  # type: ignore[arg-type]
    driver.sent = []
    frame = "\x1b[1;1Hhello\x1b[2;1H"
    for _ in range(2):
        for data in (SYNC_START, frame, SYNC_END):
            driver.write(data)
    assert driver.sent == [SYNC_START + frame, SYNC_END]


def test_output_never_blocks_once_the_terminal_is_gone():
    """Textual's writer thread died on EIO and its full queue then blocked the UI thread."""
    sink = Sink(fail_after=2)
    output = Output(sink)  # type: ignore[arg-type]
    output.start()
    done = threading.Event()

    def ui() -> None:
        for i in range(500):  # far more than the queue holds
            output.write(f"frame {i}\n")
        output.stop()
        done.set()

    threading.Thread(target=ui, daemon=True).start()
    assert done.wait(10), "the UI thread blocked on a dead terminal"
    assert sink.getvalue() == "frame 0\nframe 1\n" and not output.is_alive()
    output.write("after the end")  # dropped, not queued for nobody
    assert output.queue.empty()


def test_output_writes_everything_before_it_stops():
    sink = Sink()
    output = Output(sink)  # type: ignore[arg-type]
    output.start()
    for i in range(100):
        output.write(f"{i},")
    output.stop()
    assert sink.getvalue() == "".join(f"{i}," for i in range(100))


async def test_a_screen_loads_once_its_first_frame_is_on_the_terminal(tmp_path, monkeypatch):
    """A load started before the screen's frame (under a flood, the dashboard's takes tens
    of ms) delays that frame: the driver's frame says when it is written (after_frame)."""
    from fivec_tui.app.base import StoreScreen

    seen: list[str] = []
    load = StoreScreen.refresh_data

    def refresh_data(screen) -> None:
        if type(screen).__name__ == "RepliesScreen" and not seen:
            seen.append(app.terminals.whole.text())
        load(screen)

    monkeypatch.setattr(StoreScreen, "refresh_data", refresh_data)
    app = Watched(profile(), Store(tmp_path / "t.db"), refresh_s=3600)
    async with on_terminals(app, (80, 24)).run_test(size=(80, 24), headless=False) as pilot:
        assert await wait_for(lambda: app.screen.lower_mounted, pilot)
        await switch(pilot, "r", "replies")
        assert await wait_for(lambda: bool(seen), pilot)
    assert "following new replies" in seen[0]
