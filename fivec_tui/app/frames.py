"""Frames between the TUI and its sync child (:mod:`.sync_child`), and what the TUI sees of a
job there.

A frame is a pickled tuple behind its length. Pickle, because both ends are this package in
the same interpreter, the pipe is private to them, and a profile or an alert event then
crosses whole; nothing else is ever read this way.
"""

from __future__ import annotations

import asyncio
import pickle
import struct
from dataclasses import dataclass
from typing import IO, Any

HEAD = struct.Struct("!I")


def pack(frame: tuple) -> bytes:
    body = pickle.dumps(frame, protocol=pickle.HIGHEST_PROTOCOL)
    return HEAD.pack(len(body)) + body


def write_frame(out: IO[bytes], frame: tuple) -> None:
    out.write(pack(frame))
    out.flush()


async def read_frame(reader: asyncio.StreamReader) -> tuple[Any, ...] | None:
    """The next frame; None once the other end closed the pipe."""
    try:
        (size,) = HEAD.unpack(await reader.readexactly(HEAD.size))
        return pickle.loads(await reader.readexactly(size))
    except asyncio.IncompleteReadError:
        return None


@dataclass(frozen=True)
class JobView:
    """A job's health as the dashboard shows it (the engine's JobState, minus its scheduler)."""

    name: str
    mode: str
    status: str
    last_run: float | None
    last_success: float | None
    failures: int
    next_run: float | None

    @classmethod
    def of(cls, job) -> JobView:
        return cls(
            name=job.name,
            mode=job.mode,
            status=job.status,
            last_run=job.last_run,
            last_success=job.last_success,
            failures=job.failures,
            next_run=job.next_run,
        )
