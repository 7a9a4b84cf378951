"""Reading an answer whole, within a deadline and up to a size: what every request goes through.

httpx's timeout bounds each wait for the next bytes, not the answer: a server (a broken proxy,
a captive portal, a wrong node) that sends a byte every few seconds holds a request forever,
and one that streams without end fills the memory.  So each request here has a total
deadline, from connecting to its last byte (``asyncio.timeout``; the profile's ``timeout``,
``send_timeout`` for sends), and its body is read as it streams, never past a cap chosen from
what the platform can legitimately send on that endpoint (:data:`CAPS`).  Past the deadline is
:class:`Overdue`, a :class:`~.errors.TransportError`; over the cap, :class:`Oversized`, an
:class:`~.errors.UnreadableAnswer` that keeps the answer's first bytes (:data:`KEPT`), as
every unreadable answer keeps its body.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

import httpx

from .errors import TransportError, UnreadableAnswer
from .redact import Secrets

MiB = 1 << 20
#: The most an answer may hold, by what it answers.  ``answer``: one value (a send's msgid, the
#: balance, a blacklist lookup, ``success``/``error``), a few hundred bytes; a maintenance page
#: instead is tens of KiB.  ``list``: a chunk of status reports (one ~70-byte line a report)
#: or of replies (a reply's text percent-encoded is at most ~4.5 KB), the per-number report
#: query, billing lines: the platform hands out a few hundred to a few thousand a request
#: (the simulator 500); 32 MiB is about 450,000 reports.  ``records``: a window of send
#: records (each up to ~700 bytes with a 70-character Chinese text percent-encoded): 64 MiB is
#: about 100,000 of them, and a larger window is asked for in halves
#: (:meth:`~.client.FivecClient.records`).
CAPS = {"answer": 1 * MiB, "list": 32 * MiB, "records": 64 * MiB}
#: How much of an answer over its cap is kept, for diagnosis; and how much more is masked
#: before the cut (longer than any secret in any of its forms).
KEPT, MARGIN = 4096, 1024
#: The longest wait to connect, whatever the deadline.
CONNECT_S = 10.0


class Overdue(TransportError):
    """No complete answer within the request's deadline (it may have reached the platform)."""


class Oversized(UnreadableAnswer):
    """An answer longer than its endpoint's cap: not the platform's; its first bytes kept."""


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes


async def read_answer(
    http: httpx.AsyncClient,
    path: str,
    *,
    content: bytes | str,
    headers: dict[str, str],
    deadline: float,
    cap: int,
    secrets: Secrets,
    host: str = "",
) -> Answer:
    """POST ``content`` to ``path`` and read the whole answer, secrets masked, within
    ``deadline`` seconds and ``cap`` bytes.  httpx's errors (never connected, cut) pass
    through; raises :class:`Overdue` (naming ``host``) or :class:`Oversized`."""
    try:
        async with asyncio.timeout(deadline):
            # each wait for bytes as long as the whole (a send's deadline is longer)
            timeout = httpx.Timeout(deadline, connect=min(deadline, CONNECT_S))
            request = http.stream("POST", path, content=content, headers=headers, timeout=timeout)
            async with request as response:
                body = bytearray()
                async for chunk in response.aiter_bytes():
                    body += chunk
                    if len(body) > cap:
                        first = bytes(body[: KEPT + MARGIN])
                        body.clear()  # the error's traceback keeps this frame: not its body
                        raise _oversized(path, cap, first, secrets)
                return Answer(response.status_code, secrets.mask(bytes(body)))
    except TimeoutError:
        raise Overdue(path, why="no_answer", host=host, detail=f"{deadline:g} s") from None


def _oversized(path: str, cap: int, first: bytes, secrets: Secrets) -> Oversized:
    """The error, with the first :data:`KEPT` bytes, masked before they are cut (a secret
    across the cut is masked whole)."""
    kept = secrets.mask(first)[:KEPT].decode("utf-8", "replace")
    shown = repr(kept[:80]) + "…"
    size = f"{cap // MiB} MiB" if cap >= MiB else f"{cap} bytes"
    return Oversized(f"unreadable answer: {path}: more than {size}: {shown}", kept)
