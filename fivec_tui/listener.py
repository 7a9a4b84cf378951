"""Listening sockets that stay calm when the process runs out of file descriptors.

asyncio's own accept loop (``loop.create_server``, ``asyncio.start_server``) meets a failing
``accept()`` (EMFILE: ``ulimit -n`` reached) with a traceback through the loop's exception
handler, and in Python 3.11 it tries again up to ``backlog`` times in the same turn, each
failure scheduling one more retry: the outsider saw 320,000 stderr lines in 15 s while the
loop spun.  :class:`Listener` accepts itself instead: out of descriptors, it first asks its
server to close one idle connection (``make_room``), and otherwise stops accepting for
:data:`RETRY_S`; either way it says so in one log line a minute.  Every listening port of
this package (push receiver, metrics, ``serve``, the simulator) goes through it.

:class:`Throttle` is the servers' rate-limited log.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import resource
import socket
import time
from collections.abc import Callable

WARN_EVERY_S = 60.0
RETRY_S = 1.0  # how long accepting pauses when descriptors ran out and nothing was idle
BATCH = 64  # connections accepted in one turn of the loop, at most
#: accept() failing for want of resources: the process's (EMFILE) or the system's.
SHORT = {errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM}
#: accept() failing for that one connection only (it was reset, or a firewall refused it).
LOST = {errno.ECONNABORTED, errno.EPERM, errno.EPROTO}


class Throttle:
    """Log lines rate-limited: one per key every :data:`WARN_EVERY_S`, and lines for at most
    ``keys`` keys (addresses, say) in such a window, so a crowd cannot flood the log."""

    def __init__(self, log: logging.Logger, keys: int = 20) -> None:
        self.log, self.keys = log, keys
        self._last: dict[object, float] = {}

    def __call__(self, key: object, level: int, message: str, *args, exc_info=False) -> None:
        if self.allows(key):
            self.log.log(level, message, *args, exc_info=exc_info)

    def allows(self, key: object) -> bool:
        """Whether a line for ``key`` may be logged now (it is then counted)."""
        now = time.monotonic()
        if now - self._last.get(key, -WARN_EVERY_S) < WARN_EVERY_S:
            return False
        if key not in self._last and len(self._last) >= self.keys:
            self._last = {k: t for k, t in self._last.items() if now - t < WARN_EVERY_S}
            if len(self._last) >= self.keys:
                return False
        self._last[key] = now
        return True


class Listener:
    """Accept connections on ``host:port`` and hand each socket (non-blocking) to
    ``accepted``.  ``make_room()`` closes one idle connection of the server, if it has one,
    and says whether it did; ``name`` is the server's, for the log."""

    def __init__(
        self,
        name: str,
        accepted: Callable[[socket.socket], None],
        make_room: Callable[[], bool],
        warn: Throttle,
    ) -> None:
        self.name, self.accepted, self.make_room, self.warn = name, accepted, make_room, warn
        self.sockets: list[socket.socket] = []
        self._paused: dict[socket.socket, asyncio.TimerHandle] = {}

    @property
    def port(self) -> int:
        return self.sockets[0].getsockname()[1] if self.sockets else 0

    async def start(self, host: str, port: int, backlog: int = 128) -> int:
        """Listen on every address ``host`` names (as ``loop.create_server`` does); the port,
        the same on each (the first one's, when ``port`` is 0)."""
        loop = asyncio.get_running_loop()
        infos = await loop.getaddrinfo(
            host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )
        try:
            for family, address in dict.fromkeys((i[0], i[4][0]) for i in infos):
                where = (address, self.port or port)
                sock = socket.create_server(where, family=family, backlog=backlog)
                sock.setblocking(False)
                self.sockets.append(sock)
        except OSError:
            self.close()
            raise
        for sock in self.sockets:
            loop.add_reader(sock, self._ready, sock)
        return self.port

    def close(self) -> None:
        loop = asyncio.get_running_loop()
        for handle in self._paused.values():
            handle.cancel()
        for sock in self.sockets:
            loop.remove_reader(sock)
            sock.close()
        self.sockets, self._paused = [], {}

    def _ready(self, sock: socket.socket) -> None:
        for _ in range(BATCH):
            try:
                conn, _ = sock.accept()
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                if exc.errno in LOST:
                    continue
                self._short(sock, exc)
                return
            conn.setblocking(False)
            self.accepted(conn)

    def _short(self, sock: socket.socket, exc: OSError) -> None:
        """``accept()`` failed: make room, or pause; never a traceback, one line a minute."""
        if exc.errno in SHORT and self.make_room():
            what = "closing the oldest idle connection to accept"
        else:
            what = f"not accepting for {RETRY_S:g} s"
            loop = asyncio.get_running_loop()
            loop.remove_reader(sock)
            self._paused[sock] = loop.call_later(RETRY_S, self._resume, sock)
        if exc.errno in SHORT:
            soft = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
            cause = f"out of file descriptors (ulimit -n {soft})"
        else:
            cause = f"cannot accept ({exc.strerror or exc})"
        self.warn(("accept", self.name), logging.WARNING, "%s: %s: %s", self.name, cause, what)

    def _resume(self, sock: socket.socket) -> None:
        if self._paused.pop(sock, None) is not None:
            asyncio.get_running_loop().add_reader(sock, self._ready, sock)
