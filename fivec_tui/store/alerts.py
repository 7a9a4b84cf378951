"""Alerts as they fired and resolved, and their acknowledgement (read by the Alerts screen)."""

from __future__ import annotations

import json
import time

from .db import Store


def add_alert(store: Store, rule: str, state: str, message: str, payload: dict) -> int:
    row = {
        "at": time.time(),
        "rule": rule,
        "state": state,
        "message": message,
        "payload": json.dumps(payload, ensure_ascii=False),
    }
    return store.insert("alerts", row)


def ack_alert(store: Store, alert_id: int) -> None:
    store.update("alerts", alert_id, {"acked": 1})
