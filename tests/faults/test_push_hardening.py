"""The push receiver facing a hostile network: idle floods, slow senders, outsiders, deep bodies."""

from __future__ import annotations

import asyncio
import contextlib
import resource
import selectors
import signal
import socket
import subprocess
import sys
import time

import httpx
import pytest

from fivec_tui.api.push import MAX_DEPTH, nesting_depth, parse_push
from fivec_tui.store import Store
from fivec_tui.sync import PushConfig, PushReceiver
from fivec_tui.sync.httpd import Limits

TOKEN = "h" * 24
REPORT = "1,13800000000,DELIVRD,1462879547"
DEEP_JSON = '{"results": ' + "[" * 5000 + "]" * 5000 + "}"
DEEP_XML = "<results><item>" + "<a>" * 5000 + "</a>" * 5000 + "</item></results>"


@pytest.fixture
async def receiver(tmp_path):
    """``await receiver(allow=[...], limits={...})``: a PushReceiver on a free loopback port."""
    store = Store(tmp_path / "c.db")
    started: list[PushReceiver] = []

    async def make(limits: dict | None = None, **config) -> PushReceiver:
        r = PushReceiver(store, PushConfig(TOKEN, limits=Limits(**(limits or {})), **config))
        await r.start()
        started.append(r)
        return r

    make.store = store
    yield make
    for r in started:
        await r.stop()
    store.close()


async def exchange(port: int, request: bytes, source: str = "127.0.0.1") -> bytes:
    """Send raw bytes, read the answer until the server closes."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0))
    writer.write(request)
    await writer.drain()
    answer = await asyncio.wait_for(reader.read(), 10)
    writer.close()
    return answer


def post(path: str, body: bytes, extra: str = "") -> bytes:
    return (
        f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {len(body)}\r\n{extra}Connection: close\r\n\r\n"
    ).encode() + body


async def closed_by_server(reader: asyncio.StreamReader) -> bool:
    """Whether the server closed without an answer: the stream's end, or a reset (when a byte
    of ours was still on its way in)."""
    try:
        return await reader.read() == b""
    except ConnectionResetError:
        return True


def without_date(answer: bytes) -> bytes:
    return b"\r\n".join(line for line in answer.split(b"\r\n") if not line.startswith(b"Date:"))


async def test_allowlist_and_token_refusals_are_one_answer(receiver):
    body = b"data=" + REPORT.encode()
    outside = await receiver(allow=["192.0.2.0/24"])
    inside = await receiver(allow=["127.0.0.0/8"])
    answers = {
        without_date(await exchange(outside.port, post(f"/push/{TOKEN}/reports", body))),
        without_date(await exchange(inside.port, post("/push/wrong-token-xxxxxxxx/reports", body))),
        without_date(await exchange(inside.port, post("/anything/else", body))),
    }
    assert len(answers) == 1
    (answer,) = answers
    assert answer.startswith(b"HTTP/1.1 403 Forbidden\r\n") and answer.endswith(
        b"\r\n\r\nforbidden\n"
    )
    assert receiver.store.scalar("SELECT count(*) FROM journal") == 0
    ok = await exchange(inside.port, post(f"/push/{TOKEN}/reports", body))
    assert ok.startswith(b"HTTP/1.1 200 OK") and ok.endswith(b"success")


async def test_no_server_header_on_any_answer(receiver):
    r = await receiver(max_body=2048)
    path = f"/push/{TOKEN}/reports"
    requests = [
        post(path, b"data=" + REPORT.encode()),  # 200
        post(path, b"nodata=1"),  # 400 missing data
        post(path, b"data=1", "Content-Type: multipart/form-data\r\n"),  # 400 no boundary
        post(f"/push/{TOKEN}/other", b"data=x"),  # 404
        f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode(),  # 405
        post(path, b"data=" + b"x" * 3000),  # 413
        b"\x16\x03\x01 garbage that is not HTTP\r\n\r\n",  # 400
        b"GET / HTTP/1.1\r\nHost: x\r\nX: " + b"y" * 20000 + b"\r\n\r\n",  # 431
        post(path, b"d", "Transfer-Encoding: gzip\r\n"),  # 400
    ]
    statuses = []
    for request in requests:
        answer = await exchange(r.port, request)
        statuses.append(int(answer.split(b" ")[1]))
        assert b"\nserver:" not in answer.lower()
    assert statuses == [200, 400, 400, 404, 405, 413, 400, 431, 400]


async def test_chunked_multipart_and_expect_continue_bodies_are_read(receiver):
    r = await receiver()
    url = f"http://127.0.0.1:{r.port}/push/{TOKEN}/reports"

    async def chunks():
        yield b"data=1,13800000001,"
        yield b"DELIVRD,1462879547"

    async with httpx.AsyncClient() as h:
        assert (await h.post(url, content=chunks())).text == "success"
        multipart = await h.post(
            url, data={"data": "2,13800000002,DELIVRD,1462879547"}, files={"f": ("a", b"1")}
        )
        assert multipart.text == "success"
    answer = await exchange(
        r.port, post(f"/push/{TOKEN}/reports", b"data=3,1,DELIVRD,1", "Expect: 100-continue\r\n")
    )
    assert answer.startswith(b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK")
    # The CRLF some clients add after a body, before the next request line, is skipped.
    answer = await exchange(r.port, b"\r\n" + post(f"/push/{TOKEN}/reports", b"data=4,1,DELIVRD,1"))
    assert answer.startswith(b"HTTP/1.1 200 OK")
    assert receiver.store.scalar("SELECT count(*) FROM reports") == 4


async def test_deep_json_and_xml_are_400_kept_once_and_the_receiver_goes_on(receiver):
    r = await receiver()
    url = f"http://127.0.0.1:{r.port}/push/{TOKEN}"
    async with httpx.AsyncClient() as h:
        for body in (DEEP_JSON, DEEP_XML):
            for _ in range(3):  # the platform retries what was not answered `success`
                answer = await h.post(f"{url}/reports", data={"data": body})
                assert answer.status_code == 400 and "nested deeper" in answer.text
        assert (await h.post(f"{url}/reports", data={"data": REPORT})).text == "success"
    rows = receiver.store.query("SELECT raw, reason FROM unparsed ORDER BY id")
    assert [row["raw"] for row in rows] == [DEEP_JSON, DEEP_XML]
    assert all(str(MAX_DEPTH) in row["reason"] for row in rows)
    assert receiver.store.scalar("SELECT count(*) FROM reports") == 1
    assert r.stats["too_deep"] == 6


def test_parse_push_never_raises_on_deep_bodies():
    """Pulled or replayed bodies go through parse_push too, without the receiver's check."""
    for body in (DEEP_JSON, DEEP_XML, "[" * 200_000, "<a>" * 200_000):
        (item,) = parse_push("report", body).items
        assert item.raw == body and "nested deeper" in item.reason


@pytest.mark.parametrize(
    ("payload", "depth"),
    [
        ('{"results": [{"content": "[[[{{{"}]}', 3),
        ('{"a": "\\"[[["}', 1),
        ('{"a": "unterminated [[[', 1),  # runs to the end, as for the parser, which rejects it
        ("<r><!-- <a><b><c> --><![CDATA[<x><y>]]><i x='/>' y=\"<\"><e/></i></r>", 2),
        ('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "x">]><r><i>&a;</i></r>', 2),
        ('<a x="/>">' * 100, MAX_DEPTH + 1),  # a quoted /> does not close the element
        ("<" * 100, 1),  # one unterminated tag
        # Unterminated strings, comments, CDATA, PIs, one after another: still one pass.
        ("[" + '"\\' * 200_000, 1),
        ("<r>" + "<!-- >" * 100_000, 1),
        ("<r>" + "<![CDATA[ >" * 50_000 + "<? >" * 50_000, 1),
        ("1,13800000000,DELIVRD,1462879547;" * 3, 0),
    ],
)
def test_nesting_depth_reads_only_structure(payload, depth):
    assert nesting_depth(payload) == depth


async def test_slow_headers_slow_bodies_and_idle_keepalive_are_closed(receiver):
    r = await receiver(limits={"header_timeout": 0.5, "body_timeout": 0.5})
    # Trickled headers: a byte every 20 ms, never finishing, closed all the same.
    reader, writer = await asyncio.open_connection("127.0.0.1", r.port)
    trickle = b"POST /push/ HTTP/1.1\r\nX: " + b"y" * 2000
    sent = 0

    async def send_slowly():
        nonlocal sent
        with contextlib.suppress(ConnectionError):
            for byte in trickle:
                writer.write(bytes([byte]))
                await writer.drain()
                sent += 1
                await asyncio.sleep(0.02)

    sender = asyncio.create_task(send_slowly())
    assert await asyncio.wait_for(closed_by_server(reader), 20)
    assert 0 < sent < len(trickle)  # closed while it was still sending
    sender.cancel()
    writer.close()
    # Headers, then a body that never comes: 408.
    slow = post(f"/push/{TOKEN}/reports", b"data=" + REPORT.encode())[:-5]
    assert (await exchange(r.port, slow)).startswith(b"HTTP/1.1 408")
    # A keep-alive connection left idle after its answer.
    reader, writer = await asyncio.open_connection("127.0.0.1", r.port)
    request = post(f"/push/{TOKEN}/reports", b"data=" + REPORT.encode())
    writer.write(request.replace(b"Connection: close\r\n", b""))
    answer = await asyncio.wait_for(reader.read(), 10)  # the whole answer, then EOF
    assert answer.startswith(b"HTTP/1.1 200 OK") and answer.endswith(b"success")
    writer.close()
    assert r.server.stats["timeouts"] == 3


async def test_per_peer_cap_gives_way_to_a_sender_that_talks(receiver):
    r = await receiver(limits={"per_peer": 4, "total": 6})
    idle = [await asyncio.open_connection("127.0.0.1", r.port) for _ in range(10)]
    others = [
        await asyncio.open_connection("127.0.0.1", r.port, local_addr=("127.0.0.2", 0))
        for _ in range(3)
    ]
    await asyncio.sleep(0.2)
    assert r.server.open_connections <= 6
    closed = [await asyncio.wait_for(rd.read(), 2) for rd, _ in idle[:6]]
    assert closed == [b""] * 6  # the oldest idle ones made room
    async with httpx.AsyncClient() as h:
        url = f"http://127.0.0.1:{r.port}/push/{TOKEN}/reports"
        assert (await h.post(url, data={"data": REPORT})).text == "success"
    for _, w in idle + others:
        w.close()


# -- the real daemon under a low file-descriptor limit ----------------------------------------
CONFIG = f"""
[profiles.default.streams]
reports = "push"
replies = "push"
[profiles.default.push]
token = "{TOKEN}"
header_timeout = 3
"""
IDLE = 2000
PEERS = 40  # the flood comes from 127.0.0.2-41: the total cap, not the per-peer one, binds


def _low_fd_limit() -> None:
    resource.setrlimit(resource.RLIMIT_NOFILE, (1024, 1024))


def _wait_for_port(log_path, proc) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        for line in log_path.read_text(errors="replace").splitlines():
            if "push receiver on http://127.0.0.1:" in line:
                return int(line.split("127.0.0.1:")[1].split("/")[0])
        time.sleep(0.1)
    raise AssertionError(f"no push receiver: {log_path.read_text(errors='replace')[-2000:]}")


def test_2000_idle_connections_under_ulimit_1024_do_not_starve_a_push(
    sim_thread, poll_env, tmp_path
):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < IDLE + 200:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, IDLE + 1000), hard))
    log_path = tmp_path / "poll.err"
    with log_path.open("wb") as err:
        proc = subprocess.Popen(
            [sys.executable, "-m", "fivec_tui", "poll", "--listen", "127.0.0.1:0"],
            env=poll_env(sim_thread, CONFIG),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            preexec_fn=_low_fd_limit,
        )
    flood: list[socket.socket] = []
    try:
        port = _wait_for_port(log_path, proc)
        for i in range(IDLE):
            s = socket.socket()
            s.settimeout(10)
            s.bind((f"127.0.0.{2 + i % PEERS}", 0))
            s.connect(("127.0.0.1", port))
            if i % 2:
                s.send(b"POST /push/")  # half of them start a request and stall
            flood.append(s)
        with httpx.Client(timeout=2) as h:  # a functional deadline, not a measurement
            answer = h.post(f"http://127.0.0.1:{port}/push/{TOKEN}/reports", data={"data": REPORT})
        assert answer.text == "success" and "server" not in answer.headers
        # Every flood connection is closed: made room for others, or timed out on its headers.
        selector = selectors.DefaultSelector()
        for s in flood:
            s.setblocking(False)
            selector.register(s, selectors.EVENT_READ)
        open_ = len(flood)
        deadline = time.monotonic() + 60
        while open_ and time.monotonic() < deadline:
            for key, _ in selector.select(timeout=1):
                try:
                    data = key.fileobj.recv(1024)
                except ConnectionError:
                    data = b""
                if not data:
                    selector.unregister(key.fileobj)
                    open_ -= 1
        assert open_ == 0
        assert proc.poll() is None  # the daemon is alive
    finally:
        for s in flood:
            s.close()
        proc.send_signal(signal.SIGTERM)
        code = proc.wait(20)
    log = log_path.read_text(errors="replace")
    assert code == 0, log[-2000:]
    assert "at its connection cap" in log  # the cap, below the fd limit, is what held
    assert "Too many open files" not in log and "EMFILE" not in log and len(log) < 20_000
    store = Store(tmp_path / "c.db", readonly=True)
    assert store.scalar("SELECT count(*) FROM reports") == 1


async def test_data_in_the_url_as_the_document_shows_it(receiver):
    """§7.1 and §9.1 show ``report.php?data=...``: a push whose body has no data field is read
    from the query string, decoded once like a form field."""
    r = await receiver()
    query = "data=309111755558600%2c13811299999%2cDELIVRD%2c1456853866"
    answer = await exchange(r.port, post(f"/push/{TOKEN}/reports?{query}", b""))
    assert answer.startswith(b"HTTP/1.1 200 OK")
    assert receiver.store.scalar("SELECT msgid FROM reports") == "309111755558600"
    empty = await exchange(r.port, post(f"/push/{TOKEN}/reports?other=1", b""))
    assert empty.startswith(b"HTTP/1.1 400")


async def test_a_refused_request_is_answered_before_its_body_is_sent(receiver):
    """A 1 MiB body announced, none of it sent: the refusal comes at once all the same."""
    r = await receiver()
    reader, writer = await asyncio.open_connection("127.0.0.1", r.port)
    request = post("/push/wrong-token-xxxxxxxx/reports", b"")
    writer.write(request.replace(b"Content-Length: 0", b"Content-Length: 1048576"))
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 5)
    assert head.startswith(b"HTTP/1.1 403 ") and b"Connection: close" in head
    writer.close()
    assert r.server.buffered == 0


async def test_bodies_wait_for_room_in_the_memory_budget_and_idle_ones_give_way(receiver):
    r = await receiver(max_body=100_000, limits={"max_buffered": 100_000})
    path = f"/push/{TOKEN}/reports"
    reader, writer = await asyncio.open_connection("127.0.0.1", r.port)
    writer.write(f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\ndata=".encode())
    feeding = asyncio.Event()
    feeding.set()

    async def feed() -> None:  # 20 KiB/s: not idle, holds the whole budget
        while feeding.is_set():
            writer.write(b"x" * 2048)
            await writer.drain()
            await asyncio.sleep(0.1)

    feeder = asyncio.create_task(feed())
    for _ in range(100):
        if r.server.buffered == 100_000:
            break
        await asyncio.sleep(0.05)
    push = post(path, b"data=" + REPORT.encode())
    busy = await exchange(r.port, push)
    assert busy.startswith(b"HTTP/1.1 503 ") and b"\r\nRetry-After: 5\r\n" in busy
    assert receiver.store.scalar("SELECT count(*) FROM journal") == 0
    feeding.clear()
    await feeder
    # Silent for a second, the holder counts as idle: the platform's next retry gets through.
    for _ in range(100):
        answer = await exchange(r.port, push)
        if not answer.startswith(b"HTTP/1.1 503 "):
            break
        await asyncio.sleep(0.1)
    assert answer.endswith(b"success")
    assert await asyncio.wait_for(closed_by_server(reader), 5)
    assert r.server.stats["evicted"] == 1 and r.server.buffered == 0
    writer.close()
