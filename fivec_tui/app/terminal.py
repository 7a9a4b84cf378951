"""The drivers the app runs on: Textual's own, writing only the cells that changed, and on a
terminal through an output that outlives the terminal.

Every write goes through the app's :class:`~.changed_cells.Frame` (a synchronized update
that is left with nothing to write is not written at all). On a terminal the writes then go
to :class:`Output` instead of Textual's output thread, which dies on the first write after
the terminal hangs up (EIO); its bounded queue then blocked the UI thread for good at the
31st write, the dead-writer hang of Textualize/textual#6692: a dropped SSH session left the
process running, engine and all, with the poller lock held. :class:`Output` keeps taking
(and dropping) writes once the terminal is gone, so the exit that SIGHUP asks for finishes.

Only Textual's public driver API is used: ``App.get_driver_class`` picks the class (see
:func:`driver_for`), whose ``write``, ``start_application_mode`` and ``close`` are
overridden. LinuxDriver still starts its own output thread; nothing is ever written to it.
"""

from __future__ import annotations

import sys
import threading
from queue import Queue
from typing import IO, TYPE_CHECKING, Any

from textual.drivers.linux_driver import LinuxDriver

from .changed_cells import Frame
from .textual_hooks import applies

if TYPE_CHECKING:
    from textual.app import App
    from textual.driver import Driver

#: What begins and ends a synchronized update (DEC mode 2026).
SYNC_START, SYNC_END = "\x1b[?2026h", "\x1b[?2026l"
#: Writes waiting for the terminal before the UI waits for it: Textual's bound.
QUEUED = 30


class Output(threading.Thread):
    """Writes to the terminal off the UI thread, never blocking it once the terminal is gone:
    after a write error, what comes is taken and dropped; after :meth:`stop`, dropped."""

    def __init__(self, file: IO[str]) -> None:
        super().__init__(daemon=True, name="fivec-output")
        self.file = file
        self.queue: Queue[str | None] = Queue(QUEUED)
        self.open = True

    def write(self, text: str) -> None:
        if self.open:
            self.queue.put(text)

    def run(self) -> None:
        get, waiting = self.queue.get, self.queue.qsize
        try:
            while (text := get()) is not None:
                self.file.write(text)
                if not waiting():
                    self.file.flush()
            self.file.flush()
        except (OSError, ValueError):  # the terminal is gone: nothing can be shown
            self.open = False
            while get() is not None:
                pass

    def stop(self) -> None:
        """Write what is queued, then stop (the terminal's state is restored by then)."""
        self.open, queued = False, self.is_alive()
        if queued:
            self.queue.put(None)
            self.join()


class FrameWrites:
    """Mixed into a Textual driver: each write goes through the app's frame first."""

    def __init__(self, app: App, **options: Any) -> None:
        super().__init__(app, **options)  # type: ignore[call-arg]
        #: the app's, which it resets on a resize and a resume and tells of screen switches
        self.frame: Frame = getattr(app, "frame", None) or Frame()
        self.frame.attached = True
        self.sync_held = False  # a synchronized update begun, not yet written

    def write(self, data: str) -> None:
        if data == SYNC_START:
            self.sync_held = True
            return
        if data == SYNC_END and self.sync_held:  # an update with nothing left to write
            self.sync_held = False
            return
        data = self.frame.filter(data)
        if data:
            if self.sync_held:
                self.sync_held, data = False, SYNC_START + data
            self.send(data)

    def send(self, data: str) -> None:
        super().write(data)  # type: ignore[misc]


class TerminalDriver(FrameWrites, LinuxDriver):
    """Textual's Linux driver, writing changed cells through an :class:`Output`."""

    output: Output | None = None
    suspended = False

    def suspend_application_mode(self) -> None:
        self.suspended = True
        super().suspend_application_mode()

    def resume_application_mode(self) -> None:
        """Only after a suspend (ctrl+z, then ``fg``). A terminal that hangs up sends SIGCONT
        with its SIGHUP (the kernel's way with a session's leader and its foreground
        group), which LinuxDriver takes for a resume: an app quitting as the SSH session
        dropped started its input thread again on the dead terminal, where it spun on EOF
        at full CPU and kept the process from ever exiting."""
        if self.suspended:
            self.suspended = False
            super().resume_application_mode()

    def start_application_mode(self) -> None:
        self.frame.reset()
        if self.output is None or not self.output.open:
            self.output = Output(sys.__stderr__)  # where LinuxDriver writes
            self.output.start()
        super().start_application_mode()

    def send(self, data: str) -> None:
        if self.output is not None:
            self.output.write(data)

    def close(self) -> None:
        super().close()
        if self.output is not None:
            self.output.stop()


def driver_for(stock: type[Driver]) -> type[Driver]:
    """The driver to run on where Textual would run on ``stock``: ours for a terminal and a
    browser (textual-serve), ``stock`` itself for anything else or when switched off (see
    :mod:`.textual_hooks`)."""
    if not applies("driver"):
        return stock
    if stock is LinuxDriver:
        return TerminalDriver
    if stock.__module__ == "textual.drivers.web_driver" and stock.__name__ == "WebDriver":

        class BrowserDriver(FrameWrites, stock):  # type: ignore[misc, valid-type]
            """Textual's web driver (imported only when serving), writing changed cells."""

        return BrowserDriver
    return stock
