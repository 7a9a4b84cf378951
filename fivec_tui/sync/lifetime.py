"""How a long-running process of this package ends: on SIGINT or SIGTERM, or, when its parent
asks for it, once its standard input reaches its end (``poll`` and ``sim`` started by the TUI
with ``--stop-on-eof``: the TUI holds the other end of the pipe, so they stop when the TUI
ends, however it ends, SIGKILL included)."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import threading


def hold_stop_signals() -> threading.Event:
    """From now on SIGINT and SIGTERM set the returned event instead of ending the process,
    until :func:`stop_event` hands them to the loop: a stop that arrives while the metrics
    server or the engines are still starting is kept, then honoured, and the exit is clean."""
    requested = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: requested.set())
    return requested


def stop_event(requested: threading.Event | None, on_eof: bool = False) -> asyncio.Event:
    """The loop's stop event: set by SIGINT or SIGTERM from now on, or at once if one came
    while the process was starting; with ``on_eof``, also once standard input reaches its
    end."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    if on_eof:
        fd = sys.stdin.fileno()

        def readable() -> None:
            try:
                data = os.read(fd, 4096)
            except OSError:
                data = b""
            if not data:
                loop.remove_reader(fd)
                stop.set()

        try:
            loop.add_reader(fd, readable)
        except PermissionError:  # a file or /dev/null, which epoll refuses: its end is now
            stop.set()
    if requested is not None and requested.is_set():
        stop.set()
    return stop
