"""Keeps the store current: scheduled pulls, push receiver and forwarder, poller lock."""

from .engine import Engine, JobState
from .lock import LockHeld, PollerLock
from .push import Forwarder, PushConfig, PushReceiver

__all__ = [
    "Engine",
    "Forwarder",
    "JobState",
    "LockHeld",
    "PollerLock",
    "PushConfig",
    "PushReceiver",
]
