"""Push receiver: sit between the platform and the customer's push URL.

The platform signs nothing it pushes, so the receiver checks, in this order and with one
and the same 403 for both, the sender's address against an optional allowlist and the
secret token in the path (compared in constant time): nobody outside learns whether a
token was right.  Bodies are capped in size and in nesting depth (a body nested deeper
than :data:`~fivec_tui.api.push.MAX_DEPTH` is answered 400 and kept once, however often
the platform retries it).  A body is committed (with its forward-queue entries) before
``success`` is answered; the forwarder (:mod:`fivec_tui.sync.forward`) then relays it
downstream.  Time, size and connection limits are :mod:`fivec_tui.sync.httpd`'s.

One receiver serves one account at ``/push/<token>/reports|replies``, or several
(``poll --all``) at ``/push/<token>/<profile>/reports|replies``, each body going to its
profile's cache and forward targets.  The token is checked before the profile is looked at,
so an outsider learns nothing about the profiles either.
"""

from __future__ import annotations

import asyncio
import email.message
import email.parser
import email.policy
import hmac
import ipaddress
import logging
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

from ..api.push import MAX_DEPTH, nesting_depth
from ..store import Store, ingest_journal
from ..store.journaling import journal_push
from .httpd import Answer, HttpServer, Limits, Request

log = logging.getLogger("fivec_tui.push")
STREAMS = ("reports", "replies")
DEFAULT_MAX_BODY = 1024 * 1024
REFUSED = Answer(403, "forbidden\n", close=True)


@dataclass
class PushConfig:
    token: str
    host: str = "127.0.0.1"
    port: int = 0
    allow: list[str] = field(default_factory=list)
    max_body: int = DEFAULT_MAX_BODY
    forward: dict[str, list[str]] = field(default_factory=dict)  # stream -> URLs
    limits: Limits = field(default_factory=Limits)  # its max_body is set from max_body


def form_field(headers: dict[str, str], body: bytes, name: str) -> str | None:
    """Field ``name`` of a urlencoded (the default) or multipart form body.

    Raises ValueError or LookupError for a body that is not text in its declared charset.
    """
    header = email.message.Message()
    header["content-type"] = headers.get("content-type", "application/x-www-form-urlencoded")
    if header.get_content_type() == "multipart/form-data":
        raw = b"Content-Type: " + header["content-type"].encode("latin-1") + b"\r\n\r\n" + body
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
        for part in message.iter_parts():
            if part.get_param("name", header="content-disposition") == name:
                payload = part.get_payload(decode=True) or b""
                return payload.decode(part.get_content_charset() or "utf-8")
        return None
    charset = header.get_content_charset() or "utf-8"
    pairs = parse_qsl(body.decode(charset), keep_blank_values=True, encoding=charset)
    return next((v for k, v in reversed(pairs) if k == name), None)


@dataclass
class Route:
    """Where one account's pushes go: its cache and its forward targets (stream -> URLs)."""

    store: Store
    forward: dict[str, list[str]] = field(default_factory=dict)


class PushReceiver:
    """``routes``: profile name -> :class:`Route`, for a receiver shared by several
    accounts; without it, ``store`` and ``config.forward`` take every push."""

    def __init__(
        self, store: Store | None, config: PushConfig, routes: dict[str, Route] | None = None
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
        self.stats = {"accepted": 0, "refused": 0, "too_deep": 0}
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
        """Allowlist, then token: one answer for both.  Then the profile, the stream and the
        method."""
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
        return None

    async def handle(self, request: Request, body: bytes) -> Answer:
        _token, profile, stream = self._target(request.path)
        route = self.routes[profile]
        try:
            data = form_field(request.headers, body, "data")
        except (ValueError, LookupError):
            self.stats["refused"] += 1
            return Answer(400, "bad form\n")
        if data is None:  # the document's examples show data= in the URL (§7.1, §9.1)
            data = next((v for k, v in parse_qsl(request.query) if k == "data"), None)
        if not data or not data.strip():
            self.stats["refused"] += 1
            return Answer(400, "missing data\n")
        if await asyncio.to_thread(nesting_depth, data) > MAX_DEPTH:
            self.stats["too_deep"] += 1
            await asyncio.to_thread(self._keep_too_deep, route.store, stream, data)
            return Answer(400, f"nested deeper than {MAX_DEPTH} levels\n")
        targets = route.forward.get(stream, [])
        jid = await asyncio.to_thread(journal_push, route.store, stream, data, targets)
        self.stats["accepted"] += 1
        try:
            await asyncio.to_thread(ingest_journal, route.store, jid)
        except Exception:  # committed: replayed at the next start, so the sender may stop
            log.exception("pushed body %d could not be ingested; kept in the journal", jid)
        return Answer(200, "success")

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
