"""The push receiver against peers that starve, crash or flood it, on a real daemon.

Each case runs its attack while a :class:`Prober` pushes valid reports from another address:
every one of them must be answered ``success`` within 2 s and be in the cache afterwards, and
the daemon must log no traceback.  Counts are the outsider's, scaled down, same shape: 400
slow connections from 40 addresses against ``max_connections = 300``.
"""

from __future__ import annotations

import contextlib
import random
import socket
import threading
import time

import httpx
from peers import TOKEN, answer_of, peer, status_of

ONE_MIB = 1024 * 1024
WRONG = "w" * 24
REPORT = "1,13800000000,DELIVRD,1462879547"


def head(token: str, length: int | str, extra: str = "") -> bytes:
    return (
        f"POST /push/{token}/reports HTTP/1.1\r\nHost: x\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"Content-Length: {length}\r\n{extra}\r\n"
    ).encode()


def trickle(socks: list[socket.socket], seconds: float) -> None:
    """The attack's cadence: one more body byte on every connection every 2 s."""
    end = time.monotonic() + seconds
    while (left := end - time.monotonic()) > 0:
        for s in socks:
            with contextlib.suppress(OSError):
                s.send(b"x")
        time.sleep(min(2.0, left))


def finish(d, prober) -> str:
    """The prober never failed, the daemon stops cleanly, every acknowledged push is cached."""
    assert prober.finish() == []
    log = d.stop()
    assert prober.acknowledged <= d.cached_msgids()
    return log


def test_slow_bodies_with_a_wrong_token_from_40_addresses_never_starve_a_push(daemon):
    """Refused at their headers: answered 403 and closed, their bodies never waited for.  A
    few may be closed unanswered instead (None): on a loaded machine some are still waiting
    to be read when a newer one comes over the cap, and the oldest idle one makes room."""
    d = daemon(max_connections=300)
    prober = d.probe()
    flood = []
    for i in range(400):
        s = peer(i, d.port)
        s.sendall(head(WRONG, ONE_MIB))
        flood.append(s)
    trickle(flood, 6)
    assert prober.finish() == []
    answers = [answer_of(s, timeout=5) for s in flood]
    assert {status_of(a) for a in answers} <= {403, 503, None}
    assert sum(status_of(a) == 403 for a in answers) >= 300
    for s in flood:
        s.close()
    finish(d, prober)


def test_slow_bodies_with_the_token_are_closed_and_never_starve_a_push(daemon):
    """Under 1 KiB/s they count as idle (closed first at a cap or for memory), and are
    closed once the 5 s grace is over."""
    d = daemon(max_connections=300)
    prober = d.probe()
    before = d.rss_kb()
    flood = []
    for i in range(400):
        s = peer(i, d.port)
        s.sendall(head(TOKEN, ONE_MIB) + b"data=")
        flood.append(s)
    trickle(flood, 8)  # past the grace: every one of them is closed by now
    assert prober.finish() == []
    for s in flood:
        s.settimeout(0.5)
        assert status_of(answer_of(s, timeout=0.5)) in (None, 408, 503)
        s.close()
    assert prober.peak_rss_kb - before < 50 * 1024
    finish(d, prober)


def test_big_bodies_with_a_wrong_token_are_never_read_into_memory(daemon):
    """200 connections send 1 MiB bodies (all but their last byte) and hold: refused at
    their headers, the bodies are dropped as they come, never buffered."""
    d = daemon(max_connections=300)
    prober = d.probe()
    before = d.rss_kb()
    flood = []
    for i in range(200):
        s = peer(i, d.port)
        with contextlib.suppress(OSError):  # closed on us once refused: as it should
            s.sendall(head(WRONG, ONE_MIB) + b"x" * (ONE_MIB - 1))
        flood.append(s)
    peak = max(prober.peak_rss_kb, d.rss_kb())
    assert peak - before < 50 * 1024, (before, peak)
    for s in flood:
        assert status_of(answer_of(s, timeout=5)) in (None, 403, 503)
        s.close()
    finish(d, prober)


MALFORMED = {
    "superscript length": head(TOKEN, "²") + b"data=1",
    "5,000-digit length": head(TOKEN, "9" * 5000) + b"data=1",
    "duplicate differing length": head(TOKEN, 5, f"Content-Length: {len(REPORT) + 5}\r\n")
    + b"data="
    + REPORT.encode(),
    **{
        f"chunk size {size}": (
            f"POST /push/{TOKEN}/reports HTTP/1.1\r\nHost: x\r\n"
            f"Transfer-Encoding: chunked\r\n\r\n{size}\r\ndata=\r\n0\r\n\r\n"
        ).encode()
        for size in ("+5", "0x5", "2_5")
    },
    "header without colon": f"POST /push/{TOKEN}/reports HTTP/1.1\r\nHost x\r\n\r\n".encode(),
    "NUL in a header": f"POST /push/{TOKEN}/reports HTTP/1.1\r\nHost: x\x00y\r\n\r\n".encode(),
    "request line garbage": b"\x16\x03\x01\x02\x00 hello\r\n\r\n",
    "HTTP/0.9": f"GET /push/{TOKEN}/reports\r\n\r\n".encode(),
    "HTTP/0.9 declared": f"GET /push/{TOKEN}/reports HTTP/0.9\r\n\r\n".encode(),
    "length and chunked": head(TOKEN, 10, "Transfer-Encoding: chunked\r\n")
    + b"5\r\ndata=\r\n0\r\n\r\n",
}


def test_malformed_framing_is_answered_400_with_one_log_line_at_most(daemon):
    d = daemon()
    prober = d.probe()
    for name, request in MALFORMED.items():
        s = peer(1, d.port)
        s.sendall(request)
        answer = answer_of(s)
        s.close()
        assert status_of(answer) == 400, (name, answer)
        assert b"\r\nserver:" not in answer.lower()
    for _ in range(200):  # the outsider's log flood: one client, the same garbage
        s = peer(2, d.port)
        s.sendall(MALFORMED["superscript length"])
        assert status_of(answer_of(s)) == 400
        s.close()
    log = finish(d, prober)
    assert len([line for line in log.splitlines() if "127.0.0.3" in line]) <= 1
    assert len(log) < 10_000
    assert not d.cached_msgids() - prober.acknowledged  # nothing of the garbage was stored


def multipart(parts: int) -> bytes:
    """A form with ``data`` first, then ``parts`` empty parts: 9 bytes each."""
    return (
        b'--b\r\nContent-Disposition: form-data; name="data"\r\n\r\n'
        + REPORT.encode()
        + b"\r\n--b\r\n\r\n" * parts
        + b"\r\n--b--\r\n"
    )


def test_an_80000_part_multipart_never_holds_up_other_pushes(daemon):
    d = daemon()
    body = multipart(80_000)
    form = {"Content-Type": "multipart/form-data; boundary=b"}
    statuses: list[int] = []

    def attack() -> None:
        with httpx.Client(
            timeout=30, transport=httpx.HTTPTransport(local_address="127.0.0.2")
        ) as h:
            for _ in range(3):
                statuses.append(h.post(d.url(), content=body, headers=form).status_code)

    prober = d.probe()
    attacker = threading.Thread(target=attack)
    attacker.start()
    attacker.join(60)
    deadline = time.monotonic() + 10
    while len(prober.outcomes) < 6 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert statuses == [413] * 3
    with httpx.Client(timeout=5) as h:  # a sane number of parts is read as before
        assert h.post(d.url(), content=multipart(50), headers=form).text == "success"
    finish(d, prober)


def fuzzed(rng: random.Random) -> bytes:
    """A request as a hostile peer may send one: garbage, or a push with bytes changed."""
    body = rng.choice(
        [
            b"data=" + REPORT.encode(),
            b"data=0,1,13800000000,%C4%E3%BA%C3,1462913482",
            b'data={"results": [{"msgid": "\xff", "mobile": 1}]}',
            b"data=<results><item><msgid>1</msgid>",
            bytes(rng.randrange(256) for _ in range(rng.randrange(64))),
        ]
    )
    headers = [
        f"POST /push/{rng.choice([TOKEN, WRONG])}/{rng.choice(['reports', 'replies'])} HTTP/1.1",
        "Host: x",
        rng.choice(
            [
                "Content-Type: application/x-www-form-urlencoded",
                "Content-Type: multipart/form-data; boundary=b",
                "Content-Type: application/x-www-form-urlencoded; charset=nope",
                "Content-Type: text/plain; charset=gbk",
            ]
        ),
        rng.choice(
            [
                f"Content-Length: {len(body)}",
                f"Content-Length: {rng.randrange(-5, 2 * len(body) + 5)}",
                f"Content-Length: {rng.choice(['²', '٣', '9' * 5000, '+5', '0x5', '5, 6', ''])}",
                "Transfer-Encoding: chunked",
            ]
        ),
    ]
    if "chunked" in headers[-1]:
        body = f"{len(body):x}\r\n".encode() + body + b"\r\n0\r\n\r\n"
    request = bytearray("\r\n".join(headers).encode() + b"\r\n\r\n" + body)
    for _ in range(rng.choice([0, 0, 1, 3, 10])):  # flip, insert or drop bytes anywhere
        at = rng.randrange(len(request))
        op = rng.randrange(3)
        if op == 0:
            request[at] = rng.randrange(256)
        elif op == 1:
            request.insert(at, rng.choice([0, 10, 13, 32, 58, 0xFF, rng.randrange(256)]))
        else:
            del request[at]
    return bytes(request)


def test_random_requests_never_make_a_traceback(daemon):
    d = daemon()
    prober = d.probe()
    rng = random.Random(20260517)
    seen = set()
    for i in range(400):
        s = peer(i, d.port)
        with contextlib.suppress(OSError):
            s.sendall(fuzzed(rng))
            s.shutdown(socket.SHUT_WR)  # nothing more is coming: answer now
        seen.add(status_of(answer_of(s)))
        s.close()
    assert seen <= {None, 200, 400, 403, 404, 405, 413, 431}, seen
    assert {200, 400, 403} <= seen
    log = finish(d, prober)
    assert "unexpected error" not in log and len(log) < 20_000
