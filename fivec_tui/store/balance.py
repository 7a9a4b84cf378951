"""Balance readings, one row per pull (the burn rate is computed from their history)."""

from __future__ import annotations

import time

from ..api import Balance
from .db import Store


def add_balance(store: Store, balance: Balance) -> None:
    row = {
        "at": time.time(),
        "remaining": float(balance.remaining),
        "total": float(balance.total),
        "raw": balance.raw,
    }
    store.insert("balance", row)
