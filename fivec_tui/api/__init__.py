"""The 5c platform protocol: request building, response parsing, errors, push payloads.

Pure and small; httpx only at its edge (:class:`FivecClient`).  No SQLite, no Textual.
"""

from typing import TYPE_CHECKING

from .account import NODES, Credentials, mask, md5_hex, resolve_base_url
from .errors import (
    AuthError,
    ContentEncodingError,
    FivecError,
    ParseError,
    PlatformError,
    ThroughputExceeded,
    TransportError,
    UnauthorizedIP,
)
from .models import (
    Balance,
    BatchItem,
    BillingEntry,
    BlacklistResult,
    Record,
    Reply,
    Report,
    SendResult,
    Submission,
    Success,
    Unparsed,
)

__all__ = [
    "NODES",
    "AuthError",
    "Balance",
    "BatchItem",
    "BillingEntry",
    "BlacklistResult",
    "ContentEncodingError",
    "Credentials",
    "FivecClient",
    "FivecError",
    "ParseError",
    "Path",
    "PlatformError",
    "Record",
    "Reply",
    "Report",
    "SendResult",
    "Submission",
    "Success",
    "ThroughputExceeded",
    "TransportError",
    "UnauthorizedIP",
    "Unparsed",
    "mask",
    "md5_hex",
    "resolve_base_url",
]


if TYPE_CHECKING:
    from .client import FivecClient, Path


def __getattr__(name: str):
    """The HTTP client (and httpx) load on first use, not with the package: start-up is faster."""
    if name in ("FivecClient", "Path"):
        from . import client

        return getattr(client, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
