"""A small HTTP/1.1 server that no peer can starve, crash or make buffer without bound.

The push receiver faces the internet.  h11 parses the protocol and refuses what RFC 9112
refuses (conflicting or non-decimal ``Content-Length``, malformed chunk sizes, header lines
without a colon or with a NUL, request lines that are not HTTP/1.x, heads over
``max_header``): every such request is answered 400 (431 for a head too large) and closed.
This module does the IO over asyncio streams, one exchange at a time (request head, a body
read only once the head is accepted, a short text answer), within :class:`Limits`:

- **time**: complete request headers within ``header_timeout`` of opening or of the previous
  answer (an idle keep-alive connection is closed then too), the body within
  ``body_timeout``.  A body must also keep coming: it is closed (408) once ``slow_grace`` has
  passed and it has averaged under ``min_body_rate`` since its headers, or when it has sent
  nothing for ``slow_grace``.
- **connections**: at most ``per_peer`` per address and ``total`` in all (by default half of
  the file descriptors left under ``RLIMIT_NOFILE``).  A connection over a cap closes the
  oldest *idle* one (of that peer, or of anyone), then is served; with none idle it is
  answered 503.  Idle: waiting for a request, lingering after a refusal, or sending a body
  under ``min_body_rate`` or not at all for a second.
- **memory**: a body is read only once its length (``max_body`` for a chunked one) is
  reserved out of ``max_buffered``; when it does not fit, idle bodies are closed, oldest
  first, to make room, and if that is not enough it is answered 503 with ``Retry-After``,
  its body unread.  A head is read :data:`READ_SIZE` at a time, and refused (431) past
  ``max_header``; each stream stops reading ahead past twice :data:`READ_SIZE`.  So the
  bytes held for requests never exceed::

      total × (max_header + 3 × READ_SIZE) + max(max_buffered, max_body)

  e.g. 448 × 64 KiB + 64 MiB ≈ 92 MiB under a 1,024 file limit, 4,096 × 64 KiB + 64 MiB =
  320 MiB at the most (``total`` is at most 4,096), plus, for an instant, the one socket read
  asyncio makes at a time on a connection whose bytes are coming fast (up to 256 KiB).

A request the handler refuses from its head (:meth:`Handler.check`) is answered and closed
without its body being read: the socket's sending side is shut, and whatever the peer still
sends is dropped unread for at most :data:`LINGER_S` (so that the answer is not lost to a TCP
reset), the connection counting as idle meanwhile.  Answers carry no ``Server`` header.
Nothing a peer sends is logged beyond one short line per address a minute.  Connections are
accepted by :class:`~.listener.Listener`, which stays calm when file descriptors run out.
The metrics port (:mod:`.metrics`) is served by this server too.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import socket
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from typing import Protocol
from urllib.parse import unquote

import h11

from ..listener import Listener, Throttle
from .admission import Admission, Conn

FD_RESERVE = 128  # the cache, the log, the HTTP clients' pools, the listening socket
READ_SIZE = 16 * 1024
LINGER_S = 2.0  # how long a refused request's unread body is dropped before the close
BUSY_RETRY_S = 5  # Retry-After when every connection or the memory budget is taken


def default_total() -> int:
    """Half of the file descriptors left after a reserve, between 32 and 4,096."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY:
        return 4096
    return max(32, min(4096, (soft - FD_RESERVE) // 2))


@dataclass
class Limits:
    header_timeout: float = 20.0
    body_timeout: float = 30.0
    max_header: int = 16 * 1024
    max_body: int = 1024 * 1024
    per_peer: int = 128
    total: int = field(default_factory=default_total)
    min_body_rate: float = 1024.0  # bytes a second, averaged since the body's headers
    slow_grace: float = 5.0
    max_buffered: int = 64 * 1024 * 1024  # request bodies held in memory, all connections


@dataclass
class Request:
    method: str
    path: str  # percent-decoded, without the query
    version: str
    headers: dict[str, str]  # names lower-cased; a repeated header keeps its last value
    peer: str
    query: str = ""  # still percent-encoded


@dataclass
class Answer:
    status: int
    text: str | bytes
    close: bool = False
    retry_after: int | None = None
    content_type: str = "text/plain; charset=utf-8"


class Handler(Protocol):
    def check(self, request: Request) -> Answer | None:
        """Refuse a request from its head alone (its body is then never read)."""

    async def handle(self, request: Request, body: bytes) -> Answer: ...


def render(answer: Answer, close: bool) -> bytes:
    body = answer.text if isinstance(answer.text, bytes) else answer.text.encode()
    return (
        f"HTTP/1.1 {answer.status} {HTTPStatus(answer.status).phrase}\r\n"
        f"Date: {formatdate(usegmt=True)}\r\n"
        f"Content-Type: {answer.content_type}\r\n"
        f"Content-Length: {len(body)}\r\n"
        + (f"Retry-After: {answer.retry_after}\r\n" if answer.retry_after is not None else "")
        + ("Connection: close\r\n" if close else "")
        + "\r\n"
    ).encode() + body


#: The answer to a connection over a cap when none can be closed to make room for it.
BUSY = render(Answer(503, "busy\n", retry_after=BUSY_RETRY_S), True)


def _request(event: h11.Request, peer: str) -> Request:
    path, _, query = event.target.decode("latin-1").partition("?")
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in event.headers}
    version = "HTTP/" + event.http_version.decode("latin-1")
    return Request(event.method.decode("latin-1"), unquote(path), version, headers, peer, query)


def _framing(request: Request) -> Answer | None:
    """What h11 accepts and this server does not: other versions, both kinds of framing."""
    if request.version not in ("HTTP/1.0", "HTTP/1.1"):
        return Answer(400, "unsupported HTTP version\n", close=True)
    if "content-length" in request.headers and "transfer-encoding" in request.headers:
        return Answer(400, "both Content-Length and Transfer-Encoding\n", close=True)
    return None


class HttpServer:
    """Serve ``handler`` on ``host:port`` within ``limits``; ``port`` is the bound one.
    ``name`` starts its log lines, written to ``log``."""

    def __init__(
        self,
        handler: Handler,
        limits: Limits,
        name: str = "push receiver",
        log: logging.Logger | None = None,
    ) -> None:
        self.handler, self.limits, self.name = handler, limits, name
        self.port = 0
        self.stats = {"evicted": 0, "busy": 0, "timeouts": 0, "bad": 0}
        self.warn = Throttle(log or logging.getLogger("fivec_tui.push"))
        self.caps = Admission(limits, self.warn, self.stats, name)
        self.listener = Listener(name, self._accepted, self.caps.make_room, self.warn)
        self._tasks: set[asyncio.Task] = set()

    @property
    def open_connections(self) -> int:
        return len(self.caps.open)

    @property
    def buffered(self) -> int:
        """Bytes of request bodies reserved across connections now."""
        return self.caps.buffered

    async def start(self, host: str, port: int) -> None:
        self.port = await self.listener.start(host, port)

    async def stop(self) -> None:
        if not self.listener.sockets:
            return
        self.listener.close()
        for conn in list(self.caps.open):
            self.caps.release(conn)
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=10)

    # -- one connection ------------------------------------------------------------------------
    def _accepted(self, sock: socket.socket) -> None:
        conn = self.caps.arrive(sock, BUSY)
        if conn is not None:
            task = asyncio.get_running_loop().create_task(self._connection(conn, sock))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _connection(self, conn: Conn, sock: socket.socket) -> None:
        try:
            conn.reader, writer = await asyncio.open_connection(sock=sock, limit=READ_SIZE)
        except OSError:  # reset before its turn
            sock.close()
            self.caps.release(conn)
            return
        if conn.closed:  # closed to make room meanwhile
            writer.close()
            return
        conn.writer = writer
        try:
            leftover: bytes | None = b""
            while leftover is not None and not conn.closed:
                leftover = await self._exchange(conn, leftover)
        except ConnectionError:
            pass  # the peer went away: nothing to answer
        except Exception:  # a bug, not the peer's doing: said once a minute, the rest goes on
            self.warn("bug", logging.ERROR, "%s: unexpected error", self.name, exc_info=True)
        finally:
            self.caps.release(conn)

    async def _read(self, conn: Conn, until: float) -> bytes | None:
        """The next bytes from the peer (b"" at its end or once closed), None at ``until``."""
        if conn.closed:
            return b""
        try:
            async with asyncio.timeout(until - time.monotonic()):
                return await conn.reader.read(READ_SIZE)
        except TimeoutError:
            return None

    async def _exchange(self, conn: Conn, leftover: bytes) -> bytes | None:
        """Read one request and answer it.  Returns the bytes already received after it, or
        None when the connection is to be closed."""
        limits = self.limits
        h = h11.Connection(h11.SERVER, max_incomplete_event_size=limits.max_header)
        self.caps.phase(conn, self.caps.idle)
        deadline = conn.since + limits.header_timeout
        fed = 0  # empty lines before a request line are ignored (RFC 9112 2.2)
        try:
            while (event := h.next_event()) is h11.NEED_DATA:
                chunk = leftover if leftover else await self._read(conn, deadline)
                leftover = b""
                if chunk is None:
                    self.stats["timeouts"] += 1
                    return None
                if not fed and chunk and not (chunk := chunk.lstrip(b"\r\n")):
                    continue
                fed += len(chunk)
                h.receive_data(chunk)
            if fed - len(h.trailing_data[0]) > limits.max_header:  # came whole in one read
                raise h11.RemoteProtocolError("head too large", error_status_hint=431)
        except h11.RemoteProtocolError as exc:
            return await self._bad(conn, exc)
        if not isinstance(event, h11.Request):
            return None  # the peer closed between requests
        request = _request(event, conn.peer)
        self.caps.phase(conn, None)
        chunked = "transfer-encoding" in request.headers
        size = limits.max_body if chunked else int(request.headers.get("content-length", 0))
        refusal = _framing(request) or self.handler.check(request)
        if refusal is None and size > limits.max_body:
            refusal = Answer(413, "too large\n", close=True)
        if refusal is None and size and not self.caps.reserve(conn, size):
            self.stats["busy"] += 1
            refusal = Answer(503, "busy\n", close=True, retry_after=BUSY_RETRY_S)
        if refusal is not None:
            return await self._refuse(conn, refusal, unread=size > 0)
        try:
            body = await self._body(conn, h)
            answer = body if isinstance(body, Answer) else await self._handle(request, body)
        finally:
            self.caps.unreserve(conn)
        if isinstance(body, Answer):
            return await self._refuse(conn, answer, unread=True)
        keep = not answer.close and request.version == "HTTP/1.1"
        keep = keep and request.headers.get("connection", "").lower() != "close"
        if not await self._send(conn, answer, close=not keep) or not keep:
            return None
        return h.trailing_data[0]

    async def _body(self, conn: Conn, h: h11.Connection) -> bytes | Answer:
        """The request's body, or the answer to one that came too slowly, grew too large or
        broke its framing."""
        limits = self.limits
        if h.they_are_waiting_for_100_continue:
            conn.writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        self.caps.phase(conn, self.caps.bodies)
        body = bytearray()
        try:
            while not isinstance(event := h.next_event(), h11.EndOfMessage):
                if isinstance(event, h11.Data):
                    body += event.data
                    conn.received, conn.last = len(body), time.monotonic()
                    if len(body) > limits.max_body:
                        return Answer(413, "too large\n", close=True)
                    continue
                chunk = await self._read(conn, self._body_due(conn))
                if chunk is None:
                    self.stats["timeouts"] += 1
                    return Answer(408, "body too slow\n", close=True)
                h.receive_data(chunk)
        except h11.RemoteProtocolError:
            self.stats["bad"] += 1
            return Answer(400, "bad body\n", close=True)
        finally:
            self.caps.phase(conn, None)
        return bytes(body)

    def _body_due(self, conn: Conn) -> float:
        """When a body that gets nothing more is closed: at ``body_timeout``, after
        ``slow_grace`` without progress, or once its average falls under ``min_body_rate``
        (never before ``slow_grace``)."""
        limits = self.limits
        behind = conn.received / limits.min_body_rate if limits.min_body_rate > 0 else 0.0
        return min(
            conn.since + limits.body_timeout,
            conn.last + limits.slow_grace,
            conn.since + max(limits.slow_grace, behind),
        )

    async def _handle(self, request: Request, body: bytes) -> Answer:
        try:
            return await self.handler.handle(request, body)
        except Exception:
            self.warn("bug", logging.ERROR, "%s: unexpected error", self.name, exc_info=True)
            return Answer(500, "internal error\n", close=True)

    async def _bad(self, conn: Conn, exc: h11.RemoteProtocolError) -> None:
        """A request h11 refused: 400 (431 for a head too large), one line a minute per peer."""
        self.stats["bad"] += 1
        status = 431 if exc.error_status_hint == 431 else 400
        what = str(exc).split(":")[0][:60]  # h11's words, without the peer's bytes
        self.warn(("bad", conn.peer), logging.WARNING, "%s: %s from %s", self.name, what, conn.peer)
        text = "headers too large\n" if status == 431 else "bad request\n"
        return await self._refuse(conn, Answer(status, text, close=True), unread=True)

    async def _refuse(self, conn: Conn, answer: Answer, unread: bool) -> None:
        """Answer and close.  A body still coming (``unread``) is dropped, never kept, for at
        most LINGER_S: closing on unread bytes would reset the connection, answer and all."""
        if not await self._send(conn, answer, close=True) or not unread:
            return None
        with contextlib.suppress(OSError, RuntimeError):
            conn.writer.write_eof()
        self.caps.phase(conn, self.caps.idle)
        until, dropped = conn.since + LINGER_S, 0
        while dropped <= self.limits.max_body:
            chunk = await self._read(conn, until)
            if not chunk:
                break
            dropped += len(chunk)
        return None

    async def _send(self, conn: Conn, answer: Answer, close: bool) -> bool:
        """Write ``answer``; whether it went out (to a peer that reads its answers)."""
        if conn.closed:
            return False
        conn.writer.write(render(answer, close))
        try:
            async with asyncio.timeout(self.limits.body_timeout):
                await conn.writer.drain()
        except TimeoutError:
            return False
        return True
