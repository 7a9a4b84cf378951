"""Leaving cleanly when the SSH session drops.

Textual's output thread dies on the first write after the terminal hangs up (EIO); its
bounded queue then blocks the UI thread for good at the 31st write, the same dead-writer hang
as Textualize/textual#6692.  A dropped session left the process running, engine and all, with
the poller lock held.  The writer here keeps taking (and dropping) output after a write
error, so the exit that SIGHUP asks for can finish and the engine stop cleanly.
"""

from __future__ import annotations

from textual.drivers import linux_driver
from textual.drivers._writer_thread import WriterThread


class DrainingWriter(WriterThread):
    def run(self) -> None:
        try:
            super().run()
        except OSError:  # the terminal is gone: nothing can be shown, nothing may block
            while self._queue.get() is not None:
                pass


def survive_hangup() -> None:
    """Make Linux drivers created from now on use :class:`DrainingWriter` (textual is pinned)."""
    linux_driver.WriterThread = DrainingWriter
