"""Who may hold a connection, and memory for a body: the push receiver's caps.

Connections are counted per address and in all.  One over a cap closes the oldest *idle*
connection (of that address, or of anyone) to make room: one waiting for a request or
lingering after a refusal, or one sending a body that counts as idle, that is under
``min_body_rate`` on average since its headers or silent for :data:`STALL_S`.  A body is read
only once its length is reserved out of the memory budget; idle bodies are closed, oldest
first, to make room for it.  Out of file descriptors, the listener closes the oldest idle
connection of anyone (:meth:`Admission.make_room`).  :mod:`.httpd` says what the limits are
and why; :mod:`.gate` puts an aiohttp server (``serve``) under the same caps.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .httpd import Limits

STALL_S = 1.0  # a body that sent nothing for this long counts as idle


@dataclass(eq=False)
class Conn:
    peer: str
    reader: asyncio.StreamReader | None = None  # None where the protocol is aiohttp's (gate)
    #: What closing it closes; None until its transport is made (a release then only marks
    #: it closed: whoever makes the transport closes it).
    writer: asyncio.StreamWriter | asyncio.BaseTransport | None = None
    since: float = 0.0  # when its current phase began (monotonic)
    last: float = 0.0  # when its body last made progress
    received: int = 0  # body bytes of the current request
    reserved: int = 0  # bytes of the memory budget held for that body
    closed: bool = False

    def idle_body(self, now: float, rate: float) -> bool:
        return self.received < rate * (now - self.since) or now - self.last > STALL_S


class Admission:
    """The open connections, what each is doing, and the bytes reserved for bodies.

    ``warn(key, level, message, *args)`` logs (rate-limited by the caller's throttle);
    ``stats["evicted"]`` counts the connections closed to make room; ``name`` is the
    server's, for the log.
    """

    def __init__(
        self,
        limits: Limits,
        warn: Callable[..., None],
        stats: dict[str, int],
        name: str = "push receiver",
    ) -> None:
        self.limits, self.warn, self.stats, self.name = limits, warn, stats, name
        self.buffered = 0  # bytes of bodies reserved, all connections
        self.budget = max(limits.max_buffered, limits.max_body)
        self.open: set[Conn] = set()
        self._per_peer: dict[str, int] = {}
        self.idle: OrderedDict[Conn, None] = OrderedDict()  # waiting or lingering, oldest first
        self.bodies: OrderedDict[Conn, None] = OrderedDict()  # sending a body, oldest first

    def arrive(self, sock: socket.socket, busy: bytes) -> Conn | None:
        """A connection just accepted, counted at once (so the caps bound the descriptors
        held): admitted as idle, or answered ``busy`` and closed when no idle connection
        can give way."""
        try:
            conn = Conn(str(sock.getpeername()[0]))
        except OSError:  # already reset
            sock.close()
            return None
        if self.admit(conn):
            self.phase(conn, self.idle)
            return conn
        self.stats["busy"] += 1
        with contextlib.suppress(OSError):
            sock.send(busy)
        sock.close()
        return None

    def admit(self, conn: Conn) -> bool:
        """Make room for ``conn`` under both caps by closing idle connections, if need be."""
        limits = self.limits
        over_peer = self._per_peer.get(conn.peer, 0) >= limits.per_peer
        if over_peer and not self._evict(self._victim(conn.peer), "connection cap"):
            return False
        over_total = len(self.open) >= limits.total
        if over_total and not self._evict(self._victim(None), "connection cap"):
            return False
        self.open.add(conn)
        self._per_peer[conn.peer] = self._per_peer.get(conn.peer, 0) + 1
        return True

    def reserve(self, conn: Conn, size: int) -> bool:
        """Hold ``size`` bytes of the budget for ``conn``'s body, closing idle bodies if need be."""
        while self.buffered + size > self.budget:
            if not self._evict(self._victim(None, bodies_only=True), "memory budget for bodies"):
                return False
        conn.reserved = size
        self.buffered += size
        return True

    def make_room(self) -> bool:
        """Close the oldest idle connection, if there is one (the listener, out of file
        descriptors, says so itself)."""
        return self._evict(self._victim(None), None)

    def expire(self, timeout: float) -> None:
        """Close the connections idle for ``timeout`` s or more."""
        now = time.monotonic()
        while self.idle and (oldest := next(iter(self.idle))).since + timeout <= now:
            self.release(oldest)

    def unreserve(self, conn: Conn) -> None:
        self.buffered -= conn.reserved
        conn.reserved = 0

    def phase(self, conn: Conn, where: OrderedDict | None) -> None:
        """``conn`` starts a phase now: ``idle``, sending a body (``bodies``), or busy (None)."""
        self.idle.pop(conn, None)
        self.bodies.pop(conn, None)
        conn.since = conn.last = time.monotonic()
        if where is not None and not conn.closed:
            where[conn] = None

    def release(self, conn: Conn) -> None:
        """Close ``conn`` and give back all it held (once)."""
        if conn.closed:
            return
        conn.closed = True
        self.phase(conn, None)
        self.unreserve(conn)
        self.open.discard(conn)
        left = self._per_peer.pop(conn.peer, 1) - 1
        if left:
            self._per_peer[conn.peer] = left
        if conn.writer is not None:
            conn.writer.close()

    def _victim(self, peer: str | None, bodies_only: bool = False) -> Conn | None:
        """The oldest idle connection (of ``peer``, or of anyone)."""
        now, rate = time.monotonic(), self.limits.min_body_rate
        mine = (lambda c: True) if peer is None else (lambda c: c.peer == peer)
        body = next((c for c in self.bodies if mine(c) and c.idle_body(now, rate)), None)
        if bodies_only:
            return body
        waiting = next((c for c in self.idle if mine(c)), None)
        found = [c for c in (waiting, body) if c is not None]
        return min(found, key=lambda c: c.since) if found else None

    def _evict(self, conn: Conn | None, cap: str | None) -> bool:
        if conn is None:
            return False
        self.stats["evicted"] += 1
        self.release(conn)
        if cap is None:
            return True
        limits = self.limits
        self.warn(
            ("evict", cap),
            logging.WARNING,
            "%s at its %s (%d per peer, %d in all, %d MiB of bodies): closing "
            "connections that are idle or send too slowly",
            self.name,
            cap,
            limits.per_peer,
            limits.total,
            self.budget >> 20,
        )
        return True
