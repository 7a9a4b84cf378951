"""Why a request reached no answer, in the words of :data:`.errors.UNREACHED`.

httpx says "All connection attempts failed" for a refused connection and a name not found
alike; the socket's own error, among its causes, says which.  Kept beside the client, the
one other place that knows httpx.
"""

from __future__ import annotations

import errno
import socket
import ssl

import httpx


def why_unreached(exc: httpx.HTTPError, timeout: httpx.Timeout) -> tuple[str, str]:
    """``(why, detail)``: a key of :data:`.errors.UNREACHED`, and what fills its
    ``{detail}`` (the timeout, the TLS error, or the exception when nothing fits)."""
    if isinstance(exc, httpx.ConnectTimeout):
        return "timeout", f"{timeout.connect:g} s"
    if isinstance(exc, httpx.TimeoutException):
        return "no_answer", f"{timeout.read:g} s"
    if isinstance(exc, (httpx.RemoteProtocolError, httpx.ReadError)):
        return "closed", ""
    cause: BaseException | None = exc
    seen: set[int] = set()
    while cause is not None and id(cause) not in seen:
        seen.add(id(cause))
        if isinstance(cause, socket.gaierror):
            return "dns", ""
        if isinstance(cause, ConnectionRefusedError):
            return "refused", ""
        if isinstance(cause, ssl.SSLError):
            return "tls", str(cause.reason or cause)
        if isinstance(cause, OSError) and cause.errno in (errno.ENETUNREACH, errno.EHOSTUNREACH):
            return "route", ""
        if isinstance(cause, TimeoutError):
            return "timeout", f"{timeout.connect:g} s"
        cause = cause.__cause__ or cause.__context__
    return "other", f"{type(exc).__name__}: {exc}"
