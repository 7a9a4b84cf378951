"""The app on terminal emulators (pyte) rather than headless: what a person would see.

:func:`on_terminals` makes an app write through :class:`Recorded`, Textual's test driver
made to write: what Textual writes is played on one terminal (``whole``), what the app's
frame leaves of it (see fivec_tui/app/changed_cells.py) on another (``frugal``).
"""

from __future__ import annotations

from typing import Any

import pyte
from textual.app import App
from textual.drivers.headless_driver import HeadlessDriver

from fivec_tui.app.terminal import FrameWrites


class Terminal:
    """A terminal played only when looked at: what was written is kept until then (the
    emulator is the costly part, and many tests read one of the two terminals only)."""

    def __init__(self, width: int, height: int) -> None:
        self._screen = pyte.Screen(width, height)
        self.stream = pyte.Stream(self._screen)
        self.written = 0
        self._unplayed: list[str] = []

    def feed(self, data: str) -> None:
        self.written += len(data.encode())
        self._unplayed.append(data)

    @property
    def screen(self) -> pyte.Screen:
        if self._unplayed:
            data, self._unplayed = "".join(self._unplayed), []
            self.stream.feed(data)
        return self._screen

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


class Terminals:
    def __init__(self, width: int, height: int) -> None:
        self.whole, self.frugal = Terminal(width, height), Terminal(width, height)


class Recorded(FrameWrites, HeadlessDriver):
    """Writes to the terminals of the app it drives (``app.terminals``, see the module)."""

    @property
    def is_headless(self) -> bool:
        return False

    def __init__(self, app: Any, **options: Any) -> None:
        super().__init__(app, **options)
        self.owner = app

    def write(self, data: str) -> None:
        self.owner.terminals.whole.feed(data)
        super().write(data)

    def send(self, data: str) -> None:
        self.owner.terminals.frugal.feed(data)


def on_terminals(app: App, size: tuple[int, int]) -> App:
    """``app``, to be run with ``run_test(size=size, headless=False)``, on terminals."""
    app.terminals = Terminals(*size)  # type: ignore[attr-defined]
    app.driver_class = Recorded
    return app
