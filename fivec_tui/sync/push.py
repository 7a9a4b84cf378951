"""Push receiver: sit between the platform and the customer's push URL.

The platform signs nothing it pushes, so the receiver checks, in this order and with one
and the same 403 for both, the sender's address against an optional allowlist and the
secret token in the path (compared in constant time): nobody outside learns whether a
token was right.  Every refusal is decided from the request's head, before its body is read.

The body's form is read in a worker thread (:func:`~fivec_tui.api.push.push_data`: at most
:data:`~fivec_tui.api.push.MAX_PARTS` parts, else 413), and so is its nesting depth (a body
nested deeper than :data:`~fivec_tui.api.push.MAX_DEPTH` is answered 400 and kept once,
however often the platform retries it).  The request body is committed to the journal as it
came, byte for byte, with its forward-queue entries, before ``success`` is answered; the
forwarder (:mod:`fivec_tui.sync.forward`) then relays its ``data`` downstream.  When the cache
cannot take a write (``can_write()`` says so, or the write fails: a full disk), the answer is
503 with ``Retry-After``, and the platform pushes the body again later: never a false
``success``.  Time, size, memory and connection limits are :mod:`fivec_tui.sync.httpd`'s.

One receiver serves one account at ``/push/<token>/reports|replies``, or several
(``poll --all``) at ``/push/<token>/<profile>/reports|replies``, each body going to its
profile's cache and forward targets.  The token is checked before the profile is looked at,
so an outsider learns nothing about the profiles either.
"""

from __future__ import annotations

import asyncio
import hmac
import ipaddress
import logging
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field

from ..api.push import MAX_DEPTH, FormError, nesting_depth, push_data
from ..api.wire import readable
from ..store import Store, ingest_journal
from ..store.journaling import journal_push
from .httpd import Answer, HttpServer, Limits, Request

log = logging.getLogger("fivec_tui.push")
STREAMS = ("reports", "replies")
DEFAULT_MAX_BODY = 1024 * 1024
REFUSED = Answer(403, "forbidden\n", close=True)
DISK_RETRY_S = 60
CANNOT_WRITE = Answer(503, "cannot store now\n", close=True, retry_after=DISK_RETRY_S)


@dataclass
class PushConfig:
    token: str
    host: str = "127.0.0.1"
    port: int = 0
    allow: list[str] = field(default_factory=list)
    max_body: int = DEFAULT_MAX_BODY
    forward: dict[str, list[str]] = field(default_factory=dict)  # stream -> URLs
    limits: Limits = field(default_factory=Limits)  # its max_body is set from max_body


@dataclass
class Route:
    """Where one account's pushes go: its cache and its forward targets (stream -> URLs)."""

    store: Store
    forward: dict[str, list[str]] = field(default_factory=dict)


def _read(body: bytes, content_type: str, query: str) -> tuple[str, int]:
    """A push's ``data`` and how deep it nests: the work on the body, for a worker thread."""
    data = push_data(body, content_type, query)
    return data, nesting_depth(data)


class PushReceiver:
    """``routes``: profile name -> :class:`Route`, for a receiver shared by several
    accounts; without it, ``store`` and ``config.forward`` take every push.  ``can_write``:
    whether the caches can take a write now (free disk space, say); while it says no, pushes
    are answered 503 with ``Retry-After`` from their head, their bodies unread."""

    def __init__(
        self,
        store: Store | None,
        config: PushConfig,
        routes: dict[str, Route] | None = None,
        can_write: Callable[[], bool] = lambda: True,
    ) -> None:
        if len(config.token) < 16:
            raise ValueError("push token must be at least 16 characters")
        if routes is None and store is None:
            raise ValueError("a push receiver needs a store or routes")
        self.store, self.config, self.shared = store, config, routes is not None
        self.routes: dict[str | None, Route] = (
            dict(routes) if routes is not None else {None: Route(store, config.forward)}  # type: ignore[arg-type]
        )
        self.networks = [ipaddress.ip_network(a, strict=False) for a in config.allow]
        self.can_write = can_write
        self.stats = {"accepted": 0, "refused": 0, "too_deep": 0, "unwritable": 0}
        config.limits.max_body = config.max_body
        self.server = HttpServer(self, config.limits)
        self.port = config.port

    def _allowed(self, remote: str) -> bool:
        if not self.networks:
            return True
        try:
            address = ipaddress.ip_address(remote)
        except ValueError:
            return False
        if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
            address = address.ipv4_mapped
        return any(address in net for net in self.networks)

    def _target(self, path: str) -> tuple[str, str | None, str]:
        """The path's token, profile (None on a one-account receiver) and stream; empty
        strings when the path has the wrong shape."""
        parts = path.split("/")
        if len(parts) != (5 if self.shared else 4) or parts[1] != "push":
            return "", None, ""
        return parts[2], parts[3] if self.shared else None, parts[-1]

    def check(self, request: Request) -> Answer | None:
        """Allowlist, then token: one answer for both.  Then the profile, the stream, the
        method, and whether the cache can take the body."""
        token, profile, stream = self._target(request.path)
        if not self._allowed(request.peer) or not hmac.compare_digest(
            token.encode(), self.config.token.encode()
        ):
            self.stats["refused"] += 1
            return REFUSED
        if stream not in STREAMS or profile not in self.routes:
            self.stats["refused"] += 1
            return Answer(404, "not found\n", close=True)
        if request.method != "POST":
            self.stats["refused"] += 1
            return Answer(405, "POST only\n", close=True)
        try:
            writable = self.can_write()
        except Exception as exc:  # the owner's check failed: it cannot say yes
            return self._unwritable(exc)
        return None if writable else self._unwritable(None)

    async def handle(self, request: Request, body: bytes) -> Answer:
        _token, profile, stream = self._target(request.path)
        route = self.routes[profile]
        content_type = request.headers.get("content-type", "")
        try:
            data, depth = await asyncio.to_thread(_read, body, content_type, request.query)
        except FormError as exc:
            self.stats["refused"] += 1
            return Answer(exc.status, f"{exc}\n")
        shown = readable(data)
        # The forward queue relays data; bytes that were not text go out as they came.
        forward = data if shown == data else data.encode("utf-8", "surrogateescape")
        envelope = {"content_type": content_type, "query": request.query}
        targets = route.forward.get(stream, [])
        try:
            if depth > MAX_DEPTH:
                self.stats["too_deep"] += 1
                await asyncio.to_thread(self._keep_too_deep, route.store, stream, shown)
                return Answer(400, f"nested deeper than {MAX_DEPTH} levels\n")
            jid = await asyncio.to_thread(
                journal_push, route.store, stream, body, envelope, forward, targets
            )
        except (OSError, sqlite3.Error) as exc:  # a full disk, say: the platform retries
            return self._unwritable(exc)
        self.stats["accepted"] += 1
        try:
            await asyncio.to_thread(ingest_journal, route.store, jid)
        except Exception as exc:  # committed: replayed at the next start, so the sender may stop
            self.server.warn(
                "ingest",
                logging.WARNING,
                "pushed body %d could not be ingested (%s: %s); kept in the journal",
                jid,
                type(exc).__name__,
                exc,
                exc_info=not isinstance(exc, OSError | sqlite3.Error),  # a bug: say where
            )
        return Answer(200, "success")

    def _unwritable(self, exc: Exception | None) -> Answer:
        """503 with Retry-After: the cache cannot take the body now.  Said once a minute."""
        self.stats["unwritable"] += 1
        why = f"{type(exc).__name__}: {exc}" if exc is not None else "can_write() says no"
        self.server.warn(
            "unwritable",
            logging.WARNING,
            "push receiver: the cache cannot take a write (%s); answering 503, the platform "
            "pushes again later",
            why,
        )
        return CANNOT_WRITE

    @staticmethod
    def _keep_too_deep(store: Store, stream: str, data: str) -> None:
        """Keep a refused body once: the platform retries it, every time the same."""
        with store.transaction() as conn:
            kept = conn.execute(
                "SELECT 1 FROM unparsed WHERE journal_id IS NULL AND stream = ? AND raw = ?",
                (stream, data),
            ).fetchone()
            if not kept:
                conn.execute(
                    "INSERT INTO unparsed(journal_id, stream, raw, reason) VALUES (NULL, ?, ?, ?)",
                    (stream, data, f"push refused: nested deeper than {MAX_DEPTH} levels"),
                )

    async def start(self) -> str:
        await self.server.start(self.config.host, self.config.port)
        self.port = self.server.port
        profile = "<profile>/" if self.shared else ""
        return f"http://{self.config.host}:{self.port}/push/<token>/{profile}reports|replies"

    async def stop(self) -> None:
        await self.server.stop()
