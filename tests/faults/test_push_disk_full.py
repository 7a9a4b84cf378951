"""A cache that cannot take a write: the receiver never answers a false ``success``.

``can_write`` is the owner's say (a free-space check); a write that fails anyway (SQLite's
"database or disk is full", made here with ``PRAGMA max_page_count``) is caught the same way.
Either is answered 503 with ``Retry-After``, so the platform pushes the body again, and
logged once a minute, without a traceback.
"""

from __future__ import annotations

import asyncio
import logging
import random

import pytest

from fivec_tui.store import Store
from fivec_tui.sync import PushConfig, PushReceiver

TOKEN = "d" * 24
REPORT = "1,13800000000,DELIVRD,1462879547"


def post(port: int, body: bytes) -> bytes:
    return (
        f"POST /push/{TOKEN}/reports HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    ).encode() + body


async def exchange(port: int, request: bytes) -> bytes:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(request)
    with_body = asyncio.ensure_future(writer.drain())
    answer = await asyncio.wait_for(reader.read(), 10)
    with_body.cancel()
    writer.close()
    return answer


@pytest.fixture
async def receiver(tmp_path):
    """A receiver whose ``can_write`` answers ``writable[0]`` (or raises it)."""
    store = Store(tmp_path / "c.db")
    writable: list = [True]

    def can_write() -> bool:
        if isinstance(writable[0], Exception):
            raise writable[0]
        return writable[0]

    r = PushReceiver(store, PushConfig(TOKEN), can_write=can_write)
    await r.start()
    r.writable = writable
    yield r
    await r.stop()
    store.close()


async def test_can_write_saying_no_is_503_before_the_body_is_read(receiver, caplog):
    caplog.set_level(logging.WARNING, "fivec_tui")
    big = b"data=" + REPORT.encode() + b"&pad=" + b"x" * 900_000
    for no in (False, OSError("statvfs failed")):
        receiver.writable[0] = no
        for _ in range(3):
            answer = await exchange(receiver.port, post(receiver.port, big))
            assert answer.startswith(b"HTTP/1.1 503 ")
            assert b"\r\nRetry-After: 60\r\n" in answer
    assert receiver.store.scalar("SELECT count(*) FROM journal") == 0
    assert receiver.stats["unwritable"] == 6
    lines = [r for r in caplog.records if "cannot take a write" in r.getMessage()]
    assert len(lines) == 1 and "Traceback" not in caplog.text
    receiver.writable[0] = True  # the platform's retry, once there is room
    answer = await exchange(receiver.port, post(receiver.port, big))
    assert answer.startswith(b"HTTP/1.1 200 ") and answer.endswith(b"success")
    assert receiver.store.scalar("SELECT count(*) FROM reports") == 1


async def test_a_write_failing_on_a_full_disk_is_503_and_nothing_is_lost(receiver, caplog):
    caplog.set_level(logging.WARNING, "fivec_tui")
    store = receiver.store
    pages = store.scalar("PRAGMA page_count")
    store.conn.execute(f"PRAGMA max_page_count = {pages}")  # full: no page more
    rng = random.Random(5)  # bodies that need new pages, even compressed
    bodies = [
        b"data="
        + ";".join(
            f"{rng.getrandbits(60)},1380000{n}000,DELIVRD,1462879547" for n in range(800)
        ).encode()
        for _ in range(3)
    ]
    for body in bodies:
        answer = await exchange(receiver.port, post(receiver.port, body))
        assert answer.startswith(b"HTTP/1.1 503 ") and b"\r\nRetry-After: 60\r\n" in answer
    assert "database or disk is full" in caplog.text and "Traceback" not in caplog.text
    assert len([r for r in caplog.records if "cannot take a write" in r.getMessage()]) == 1
    assert not store.conn.in_transaction  # the failed write left the connection usable
    store.conn.execute("PRAGMA max_page_count = 1073741823")  # room again: the retries land
    for body in bodies:
        answer = await exchange(receiver.port, post(receiver.port, body))
        assert answer.endswith(b"success")
    assert store.scalar("SELECT count(*) FROM journal") == 3
    assert store.scalar("SELECT count(*) FROM reports") == 3 * 800
