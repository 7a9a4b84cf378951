"""The daemon's ports facing the outsider's floods, scaled down, on a real ``poll``.

``poll --metrics`` gets 300 half-sent scrapes from 30 addresses under ``ulimit -n 256``;
the push receiver, when allowed more connections than it has file descriptors, 300 idle ones
under ``ulimit -n 128``.  Throughout, a push from another address is answered ``success``
within 2 s (and a scrape too, for the metrics flood); the daemon's threads and memory stay
bounded, and its stderr holds no traceback and a few lines at most.
"""

from __future__ import annotations

import time

import httpx
from peers import free_port, half_sent, threads_of

HALF_SCRAPE = b"GET /metrics HTTP/1.1\r\n"


def quiet_stop(d) -> str:
    """Stop the daemon (no traceback, exit 0: :meth:`Daemon.stop`); its stderr, a few lines."""
    d.stop()
    stderr = (d.tmp_path / "poll.err").read_text(errors="replace")
    assert len(stderr.splitlines()) < 40, stderr[-3000:]
    return stderr


def test_half_sent_scrapes_from_30_addresses_starve_neither_pushes_nor_scrapes(daemon):
    port = free_port()
    d = daemon("--metrics", f"127.0.0.1:{port}", nofile=256)
    url = f"http://127.0.0.1:{port}/metrics"
    assert "fivec_job_runs" in httpx.get(url, timeout=5).text
    threads, rss_kb = threads_of(d.pid), d.rss_kb()
    prober = d.probe()
    flood = half_sent(port, 300, HALF_SCRAPE)
    try:
        assert len(flood) >= 250  # the flood got in (the old server took them all)
        for _ in range(8):  # from 127.0.0.1, none of the flood's addresses
            scrape = httpx.get(url, timeout=2)  # a functional deadline, not a measurement
            assert scrape.status_code == 200 and "fivec_job_runs" in scrape.text
            assert threads_of(d.pid) <= threads + 4
            time.sleep(0.25)
        assert prober.finish() == []
    finally:
        for s in flood:
            s.close()
    assert prober.peak_rss_kb - rss_kb < 64 * 1024
    stderr = quiet_stop(d)
    assert "Too many open files" not in stderr


def test_out_of_file_descriptors_no_listener_spins_or_logs_a_traceback(daemon):
    """``max_connections`` above what ``ulimit -n`` leaves: accepting fails (EMFILE).  The
    receiver then closes its oldest idle connection to make room, and says so once."""
    port = free_port()
    d = daemon("--metrics", f"127.0.0.1:{port}", nofile=128, max_connections=1000)
    prober = d.probe()
    flood = half_sent(d.port, 300, b"POST /push/")
    try:
        assert len(flood) >= 200
        assert prober.finish() == []
    finally:
        for s in flood:
            s.close()
    deadline = time.monotonic() + 10
    while True:  # the metrics listener, refused a descriptor meanwhile, accepts again
        try:
            assert "fivec_job_runs" in httpx.get(f"http://127.0.0.1:{port}/metrics").text
            break
        except httpx.HTTPError:
            assert time.monotonic() < deadline
            time.sleep(0.2)
    stderr = quiet_stop(d)
    assert stderr.count("out of file descriptors") == 1, stderr[-3000:]
