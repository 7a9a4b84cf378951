"""The SQLite cache (sqlite-utils): schema and migrations, raw journal, idempotent ingest,
rollups, and the queries the screens need.  No httpx, no Textual."""

from . import queries
from .db import Store
from .ingest import ingest_items, ingest_journal, journal, replay

__all__ = ["Store", "ingest_items", "ingest_journal", "journal", "queries", "replay"]
