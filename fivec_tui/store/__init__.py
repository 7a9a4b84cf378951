"""The SQLite cache (sqlite-utils): schema and migrations, raw journal, idempotent ingest,
rollups, and the queries the screens need.  No httpx, no Textual.

Only :class:`Store` loads with the package; ingest and queries load on first use, so the
TUI paints its first frame before it needs them.  The write API is one module per concept:
``journaling`` (raw bodies and replay), ``ingest`` (report, reply and record rows),
``pipeline`` (ingest beside the pull), ``rollup``, ``outbox``, ``forward_queue``, ``alerts``,
``balance``, ``blacklist``, ``poll_runs``, ``retention`` and ``campaigns`` (the journal of
bulk sends).
"""

import importlib
from typing import TYPE_CHECKING

from .db import Store

__all__ = ["Ingestor", "Store", "ingest_items", "ingest_journal", "journal", "queries", "replay"]

if TYPE_CHECKING:
    from . import queries
    from .ingest import ingest_items
    from .journaling import ingest_journal, journal, replay
    from .pipeline import Ingestor

#: Names loaded on first use, and the module each comes from.
_LAZY = {
    "Ingestor": "pipeline",
    "ingest_items": "ingest",
    "ingest_journal": "journaling",
    "journal": "journaling",
    "replay": "journaling",
}


def __getattr__(name: str):
    if name in _LAZY:
        return getattr(importlib.import_module(f"{__name__}.{_LAZY[name]}"), name)
    if name == "queries":
        return importlib.import_module(f"{__name__}.queries")
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
