"""A small HTTP/1.1 server that a crowd of slow or idle connections cannot starve.

The push receiver faces the internet, and aiohttp's server could not be bounded enough for it:
it has no header read timeout (a connection trickling its headers is held forever), no cap on
connections, and it adds a ``Server`` header to the error pages it writes itself.  This
serves one kind of exchange (request headers, a bounded body, a short text answer) over
asyncio streams, with every limit explicit in :class:`Limits`:

- a connection must deliver complete request headers within ``header_timeout`` of opening or
  of its previous answer (so an idle keep-alive connection is closed then too), and its body
  within ``body_timeout``; headers over ``max_header`` bytes get 431, bodies over ``max_body``
  get 413;
- at most ``per_peer`` connections per address and ``total`` in all (by default half of the
  file descriptors left under ``RLIMIT_NOFILE``).  A connection over a cap closes the oldest
  one still waiting for its headers (of that peer, or of anyone), so a flood of idle
  connections gives way to a sender that talks; with none idle it is answered 503.

Answers carry no ``Server`` header.  The handler (:class:`Handler`) sees the request head
first and may refuse it before any body is read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import resource
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from email.utils import formatdate
from http import HTTPStatus
from typing import Protocol
from urllib.parse import unquote, urlsplit

log = logging.getLogger("fivec_tui.push")
FD_RESERVE = 128  # the cache, the log, the HTTP clients' pools, the listening socket
WARN_EVERY_S = 60.0


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
    text: str
    close: bool = False


class Handler(Protocol):
    def check(self, request: Request) -> Answer | None:
        """Refuse a request from its head alone (its body is then never used)."""

    async def handle(self, request: Request, body: bytes) -> Answer: ...


class BadRequest(ValueError):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def parse_head(head: bytes, peer: str) -> Request:
    try:  # an empty line before the request line is ignored (RFC 9112 2.2)
        lines = head.lstrip(b"\r\n").decode("latin-1").split("\r\n")
        method, target, version = lines[0].split(" ")
    except ValueError:
        raise BadRequest(400, "bad request line") from None
    if not version.startswith("HTTP/1.") or not method.isalpha():
        raise BadRequest(400, "bad request line")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep or not name or name != name.strip():
            raise BadRequest(400, "bad header line")
        headers[name.lower()] = value.strip()
    url = urlsplit(target)
    return Request(method, unquote(url.path), version, headers, peer, url.query)


def _body_length(request: Request, max_body: int) -> int | None:
    """The Content-Length, or ``None`` for a chunked body."""
    coding = request.headers.get("transfer-encoding")
    length = request.headers.get("content-length")
    if coding is not None:
        if length is not None or coding.lower() != "chunked":
            raise BadRequest(400, "unsupported transfer-encoding")
        return None
    if length is None:
        return 0
    if not length.isdigit():
        raise BadRequest(400, "bad content-length")
    if int(length) > max_body:
        raise BadRequest(413, "too large")
    return int(length)


async def _read_chunked(reader: asyncio.StreamReader, max_body: int) -> bytes:
    body = bytearray()
    while True:
        size_line = (await reader.readuntil(b"\r\n")).split(b";")[0].strip()
        try:
            size = int(size_line, 16)
        except ValueError:
            raise BadRequest(400, "bad chunk size") from None
        if size < 0 or len(body) + size > max_body:
            raise BadRequest(413, "too large")
        if size == 0:
            while await reader.readuntil(b"\r\n") != b"\r\n":  # trailers, ignored
                pass
            return bytes(body)
        body += (await reader.readexactly(size + 2))[:-2]


def render(answer: Answer, close: bool) -> bytes:
    body = answer.text.encode()
    reason = HTTPStatus(answer.status).phrase
    return (
        f"HTTP/1.1 {answer.status} {reason}\r\n"
        f"Date: {formatdate(usegmt=True)}\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        f"Content-Length: {len(body)}\r\n"
        + ("Connection: close\r\n" if close else "")
        + "\r\n"
    ).encode() + body


@dataclass(eq=False)
class _Conn:
    peer: str
    writer: asyncio.StreamWriter
    closed: bool = False


class HttpServer:
    """Serve ``handler`` on ``host:port`` within ``limits``; ``port`` is the bound one."""

    def __init__(self, handler: Handler, limits: Limits) -> None:
        self.handler, self.limits = handler, limits
        self.port = 0
        self.stats = {"evicted": 0, "busy": 0, "timeouts": 0}
        self._server: asyncio.Server | None = None
        self._per_peer: dict[str, int] = {}
        self._open: set[_Conn] = set()
        self._idle: OrderedDict[_Conn, None] = OrderedDict()  # oldest first
        self._tasks: set[asyncio.Task] = set()
        self._warned = 0.0

    @property
    def open_connections(self) -> int:
        return len(self._open)

    async def start(self, host: str, port: int) -> None:
        self._server = await asyncio.start_server(
            self._connection, host, port, limit=self.limits.max_header, backlog=128
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is None:
            return
        self._server.close()
        for conn in list(self._open):
            self._release(conn)
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=10)
        await self._server.wait_closed()
        self._server = None

    # -- connection accounting ------------------------------------------------------------------
    def _admit(self, conn: _Conn) -> bool:
        """Make room for ``conn`` under both caps by closing idle connections, if need be."""
        if self._per_peer.get(conn.peer, 0) >= self.limits.per_peer:
            victim = next((c for c in self._idle if c.peer == conn.peer), None)
            if victim is None:
                return False
            self._evict(victim)
        if len(self._open) >= self.limits.total:
            if not self._idle:
                return False
            self._evict(next(iter(self._idle)))
        self._open.add(conn)
        self._per_peer[conn.peer] = self._per_peer.get(conn.peer, 0) + 1
        return True

    def _evict(self, conn: _Conn) -> None:
        self.stats["evicted"] += 1
        self._release(conn)
        now = time.monotonic()
        if now - self._warned > WARN_EVERY_S:
            self._warned = now
            log.warning(
                "push receiver at its connection cap (%d per peer, %d in all): closing "
                "connections that sent no request",
                self.limits.per_peer,
                self.limits.total,
            )

    def _release(self, conn: _Conn) -> None:
        if conn.closed:
            return
        conn.closed = True
        self._idle.pop(conn, None)
        self._open.discard(conn)
        left = self._per_peer.pop(conn.peer, 1) - 1
        if left:
            self._per_peer[conn.peer] = left
        conn.writer.close()

    # -- one connection ------------------------------------------------------------------------
    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        peername = writer.get_extra_info("peername")
        conn = _Conn(str(peername[0]) if peername else "", writer)
        if not self._admit(conn):
            self.stats["busy"] += 1
            with contextlib.suppress(ConnectionError):
                writer.write(render(Answer(503, "busy\n"), close=True))
            writer.close()
            return
        try:
            while not conn.closed and await self._exchange(conn, reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the peer went away mid-request: nothing to answer
        finally:
            self._release(conn)

    async def _exchange(
        self, conn: _Conn, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Read one request and answer it.  Returns whether the connection stays open."""
        limits = self.limits
        self._idle[conn] = None
        try:
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), limits.header_timeout)
        except asyncio.LimitOverrunError:
            return await self._send(writer, Answer(431, "headers too large\n"), close=True)
        except TimeoutError:
            self.stats["timeouts"] += 1
            return False
        finally:
            self._idle.pop(conn, None)
        try:
            request = parse_head(head, conn.peer)
        except BadRequest as exc:
            return await self._send(writer, Answer(exc.status, f"{exc}\n"), close=True)
        refusal = self.handler.check(request)  # first: an outsider learns nothing more
        try:
            length = _body_length(request, limits.max_body)
        except BadRequest as exc:
            return await self._send(writer, refusal or Answer(exc.status, f"{exc}\n"), close=True)
        expect = request.headers.get("expect", "").lower() == "100-continue"
        if refusal is not None and (expect or length is None):
            return await self._send(writer, refusal, close=True)  # no body is waiting for us
        if expect:
            writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
        try:
            body = await asyncio.wait_for(
                reader.readexactly(length)
                if length is not None
                else _read_chunked(reader, limits.max_body),
                limits.body_timeout,
            )
        except BadRequest as exc:
            return await self._send(writer, Answer(exc.status, f"{exc}\n"), close=True)
        except asyncio.LimitOverrunError:
            return await self._send(writer, Answer(400, "bad chunk size\n"), close=True)
        except TimeoutError:
            self.stats["timeouts"] += 1
            return await self._send(writer, Answer(408, "body too slow\n"), close=True)
        if refusal is not None:  # read and dropped, so that the refusal reaches the sender
            return await self._send(writer, refusal, close=True)
        try:
            answer = await self.handler.handle(request, body)
        except Exception:
            log.exception("push receiver: unexpected error; the sender will retry")
            answer = Answer(500, "internal error\n", close=True)
        keep = not answer.close and request.version == "HTTP/1.1"
        keep = keep and request.headers.get("connection", "").lower() != "close"
        return await self._send(writer, answer, close=not keep)

    async def _send(self, writer: asyncio.StreamWriter, answer: Answer, close: bool) -> bool:
        writer.write(render(answer, close))
        try:
            await asyncio.wait_for(writer.drain(), self.limits.body_timeout)
        except TimeoutError:
            return False  # a peer that does not read its answers
        return not close
