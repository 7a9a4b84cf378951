"""An aiohttp server (``fivec-tui serve``) under the push receiver's admission policy.

aiohttp has neither a header timeout nor connection caps: 1,107 idle connections took
``serve`` to its file limit, and the token holder's page never loaded.  :class:`Gate` listens
in aiohttp's place (:class:`~fivec_tui.listener.Listener`, calm when descriptors run out) and counts
each connection as it is accepted (:meth:`~.admission.Admission.arrive`): at most
``per_peer`` per address and ``total`` in all, the oldest idle connection closed to make
room, else 503.  A connection is idle except while the application holds one of its requests
(:meth:`Gate.middleware`: a page being made, a WebSocket session), so one that sends nothing,
or half a request, is the first to give way and is closed ``header_timeout`` after it opened
or got its last answer.

aiohttp logs each malformed request with a traceback; :class:`OneLine` makes that one line a
minute, without the traceback when the fault is the peer's.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from collections.abc import Callable

from aiohttp import web
from aiohttp.http_exceptions import HttpProcessingError

from ..listener import Listener, Throttle
from .admission import Admission, Conn
from .httpd import BUSY, Limits

SWEEP_S = 1.0  # how often connections idle past the header timeout are closed


class Gated(asyncio.Protocol):
    """aiohttp's protocol for one connection, behind the gate: what the transport says goes
    to ``inner``, and the connection's end gives back what it held."""

    def __init__(self, gate: Gate, conn: Conn, inner: asyncio.Protocol) -> None:
        self.gate, self.conn = gate, conn
        self.inner: asyncio.Protocol | None = inner

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        if self.conn.closed:  # it gave way to another while its transport was made
            self.inner = None
            transport.close()
            return
        self.conn.writer = transport
        self.gate.conns[transport] = self.conn
        self.inner.connection_made(transport)

    def data_received(self, data: bytes) -> None:
        if self.inner is not None:
            self.inner.data_received(data)

    def eof_received(self) -> bool | None:
        return self.inner.eof_received() if self.inner is not None else None

    def pause_writing(self) -> None:
        if self.inner is not None:
            self.inner.pause_writing()

    def resume_writing(self) -> None:
        if self.inner is not None:
            self.inner.resume_writing()

    def connection_lost(self, exc: Exception | None) -> None:
        self.gate.conns.pop(self.conn.writer, None)
        self.gate.caps.release(self.conn)
        if self.inner is not None:
            self.inner.connection_lost(exc)


class Gate:
    """Serve ``protocol()`` (aiohttp's ``runner.server``) on ``host:port`` within ``limits``.
    :meth:`middleware` must be the application's first."""

    def __init__(self, name: str, limits: Limits, log: logging.Logger) -> None:
        self.limits = limits
        self.stats = {"evicted": 0, "busy": 0}
        self.warn = Throttle(log)
        self.caps = Admission(limits, self.warn, self.stats, name)
        self.listener = Listener(name, self._accepted, self.caps.make_room, self.warn)
        self.conns: dict[asyncio.BaseTransport, Conn] = {}
        self.protocol: Callable[[], asyncio.Protocol] | None = None
        self._tasks: set[asyncio.Task] = set()

    async def start(self, host: str, port: int, protocol: Callable[[], asyncio.Protocol]) -> int:
        """Listen; the bound port."""
        self.protocol = protocol
        bound = await self.listener.start(host, port)
        self._spawn(self._sweep())
        return bound

    async def stop(self) -> None:
        """Stop accepting and sweeping (the connections are aiohttp's to close)."""
        self.listener.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    @web.middleware
    async def middleware(self, request: web.Request, handler) -> web.StreamResponse:
        """The connection is busy while its request is handled, idle again once answered."""
        conn = self.conns.get(request.transport)
        if conn is not None:
            self.caps.phase(conn, None)
        try:
            return await handler(request)
        finally:
            if conn is not None and not conn.closed:
                self.caps.phase(conn, self.caps.idle)

    def _accepted(self, sock: socket.socket) -> None:
        conn = self.caps.arrive(sock, BUSY)
        if conn is not None:
            self._spawn(self._attach(conn, sock))

    async def _attach(self, conn: Conn, sock: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        try:
            await loop.connect_accepted_socket(lambda: Gated(self, conn, self.protocol()), sock)
        except OSError:  # reset before its turn
            sock.close()
            self.caps.release(conn)

    async def _sweep(self) -> None:
        while True:
            await asyncio.sleep(SWEEP_S)
            self.caps.expire(self.limits.header_timeout)

    def _spawn(self, work) -> None:
        task = asyncio.get_running_loop().create_task(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)


class OneLine(logging.Filter):
    """At most one line a minute per message; a request the peer got wrong (aiohttp's
    ``HttpProcessingError``: its words quote the peer's bytes) is named, not traced."""

    def __init__(self) -> None:
        super().__init__()
        self.throttle = Throttle(logging.getLogger(__name__))

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.throttle.allows(record.msg):
            return False
        exc = record.exc_info[1] if record.exc_info else None
        if isinstance(exc, HttpProcessingError):
            with contextlib.suppress(TypeError, ValueError):
                record.msg, record.args = f"{record.getMessage()}: {type(exc).__name__}", ()
            record.exc_info = record.exc_text = None
        return True
