"""The 5c platform protocol: request building, response parsing, errors, push payloads.

Pure and small; httpx only at its edge (:class:`FivecClient`).  No SQLite, no Textual.
"""

import importlib
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


def __getattr__(name: str):
    """The HTTP client (and httpx) and the result models load on first use, not with the
    package: the CLI and the TUI's first frame need neither."""
    if name in ("FivecClient", "Path"):
        return getattr(importlib.import_module(f"{__name__}.client"), name)
    if name in __all__:  # the rest of __all__ is imported above: these are the models
        return getattr(importlib.import_module(f"{__name__}.models"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
