"""The SQLite cache (sqlite-utils): schema and migrations, raw journal, idempotent ingest,
rollups, and the queries the screens need.  No httpx, no Textual.

Only :class:`Store` loads with the package; ingest and queries load on first use, so the
TUI paints its first frame before it needs them.
"""

import importlib
from typing import TYPE_CHECKING

from .db import Store

__all__ = ["Store", "ingest_items", "ingest_journal", "journal", "queries", "replay"]

if TYPE_CHECKING:
    from . import queries
    from .ingest import ingest_items, ingest_journal, journal, replay


def __getattr__(name: str):
    if name in ("ingest_items", "ingest_journal", "journal", "replay"):
        return getattr(importlib.import_module(f"{__name__}.ingest"), name)
    if name == "queries":
        return importlib.import_module(f"{__name__}.queries")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
