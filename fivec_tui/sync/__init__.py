"""Keeps the store current: scheduled pulls, push receiver and forwarder, poller lock.

Names load on first use (PEP 562), so that ``fivec_tui.sync.lock`` does not bring in
APScheduler, httpx and aiohttp before the TUI's first frame.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .engine import Engine
    from .forward import Forwarder
    from .jobstate import JobState
    from .lock import LockHeld, PollerLock
    from .push import PushConfig, PushReceiver

_WHERE = {
    "Engine": "engine",
    "JobState": "jobstate",
    "Forwarder": "forward",
    "LockHeld": "lock",
    "PollerLock": "lock",
    "PushConfig": "push",
    "PushReceiver": "push",
}
__all__ = [
    "Engine",
    "Forwarder",
    "JobState",
    "LockHeld",
    "PollerLock",
    "PushConfig",
    "PushReceiver",
]


def __getattr__(name: str):
    if name in _WHERE:
        return getattr(importlib.import_module(f".{_WHERE[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
