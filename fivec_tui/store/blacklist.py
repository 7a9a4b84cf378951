"""Blacklist lookups and changes as the platform answered them (checks, removals)."""

from __future__ import annotations

import time

from ..api import BlacklistResult
from .db import Store


def add_blacklist_lookup(store: Store, result: BlacklistResult, action: str = "check") -> None:
    row = {
        "at": time.time(),
        "mobile": result.mobile,
        "black": int(result.black),
        "description": result.description,
        "added": result.added,
        "action": action,
        "raw": result.raw,
    }
    store.insert("blacklist_lookups", row)
