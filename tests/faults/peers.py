"""A real ``fivec-tui poll --listen`` facing hostile peers, and a legitimate sender beside them.

``daemon(**push)`` starts the daemon with those ``[profiles.default.push]`` settings; its
``probe()`` starts a :class:`Prober`, the platform's stand-in, which pushes a valid report
from 127.0.0.1 on a new connection every quarter second with a 2 s deadline (a functional
deadline: the platform gives up and retries later).  Attackers bind 127.0.0.2-41
(:func:`peer`), so the per-peer cap never protects the prober.  ``stop()`` ends the daemon
and returns its log (stderr and log file): the tests assert it holds no traceback.
"""

from __future__ import annotations

import resource
import selectors
import signal
import socket
import subprocess
import threading
import time
from pathlib import Path

import httpx

TOKEN = "f" * 24
PEERS = 40


def peer(i: int, port: int, timeout: float = 10.0) -> socket.socket:
    """A connection to the daemon from 127.0.0.(2 + i % 40)."""
    s = socket.socket()
    s.settimeout(timeout)
    s.bind((f"127.0.0.{2 + i % PEERS}", 0))
    s.connect(("127.0.0.1", port))
    return s


def half_sent(port: int, n: int, start: bytes, addresses: int = 30) -> list[socket.socket]:
    """``n`` connections to ``port`` from 127.0.0.2 on (``addresses`` of them), each having
    sent ``start``, the beginning of a request, and nothing more: those that connected within
    about 10 s (a server that stopped accepting leaves the others pending; they are closed)."""
    held: list[socket.socket] = []
    selector = selectors.DefaultSelector()
    made, deadline = 0, time.monotonic() + 10
    while (made < n or selector.get_map()) and time.monotonic() < deadline:
        while made < n and len(selector.get_map()) < 50:
            s = socket.socket()
            s.setblocking(False)
            s.bind((f"127.0.0.{2 + made % addresses}", 0))
            s.connect_ex(("127.0.0.1", port))
            selector.register(s, selectors.EVENT_WRITE)
            made += 1
        for key, _ in selector.select(0.2):
            s = key.fileobj
            selector.unregister(s)
            try:
                if s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR):
                    raise ConnectionRefusedError
                s.send(start)
                held.append(s)
            except OSError:
                s.close()
    for key in list(selector.get_map().values()):
        key.fileobj.close()
    selector.close()
    return held


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fd_limit(n: int) -> None:
    """``ulimit -n n`` (for ``preexec_fn``)."""
    resource.setrlimit(resource.RLIMIT_NOFILE, (n, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))


def threads_of(pid: int) -> int:
    """How many threads process ``pid`` runs."""
    status = Path(f"/proc/{pid}/status").read_text()
    return next(int(line.split()[1]) for line in status.splitlines() if line.startswith("Threads:"))


def answer_of(s: socket.socket, timeout: float = 10.0) -> bytes:
    """Everything the daemon sends on ``s`` until it closes (b"" when it only closed)."""
    s.settimeout(timeout)
    out = b""
    while True:
        try:
            chunk = s.recv(65536)
        except ConnectionError:  # a reset after the answer: what came before it counts
            return out
        if not chunk:
            return out
        out += chunk


def status_of(answer: bytes) -> int | None:
    """The final status of an answer (after any 100 Continue), None when there was none."""
    lines = [line for line in answer.split(b"\r\n") if line.startswith(b"HTTP/1.1 ")]
    return int(lines[-1].split()[1]) if lines else None


class Prober(threading.Thread):
    """Pushes report ``9000000000NNNN`` every ``every`` s until stopped; keeps every outcome."""

    def __init__(self, port: int, pid: int, every: float = 0.25) -> None:
        super().__init__(daemon=True)
        self.url = f"http://127.0.0.1:{port}/push/{TOKEN}/reports"
        self.pid, self.every = pid, every
        self.outcomes: list[tuple[str, str]] = []  # (msgid, "success" or what went wrong)
        self.peak_rss_kb = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        n = 0
        while not self._stop_event.wait(self.every):
            n += 1
            msgid = f"9{n:013d}"
            try:
                r = httpx.post(
                    self.url, data={"data": f"{msgid},13800000000,DELIVRD,1462879547"}, timeout=2
                )
                outcome = r.text if r.status_code == 200 else f"HTTP {r.status_code}"
            except httpx.HTTPError as exc:
                outcome = type(exc).__name__
            self.outcomes.append((msgid, outcome))
            self.peak_rss_kb = max(self.peak_rss_kb, rss_kb(self.pid))

    def finish(self) -> list[tuple[str, str]]:
        """Stop (once, after a second of pushes at least); the outcomes that were not
        ``success``."""
        deadline = time.monotonic() + 10
        while len(self.outcomes) < 4 and time.monotonic() < deadline and self.is_alive():
            time.sleep(0.05)
        self._stop_event.set()
        if self.is_alive():
            self.join(10)
        assert len(self.outcomes) >= 4, self.outcomes
        return [o for o in self.outcomes if o[1] != "success"]

    @property
    def acknowledged(self) -> set[str]:
        return {msgid for msgid, outcome in self.outcomes if outcome == "success"}


def rss_kb(pid: int) -> int:
    """The resident memory of process ``pid``, 0 once it is gone."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except FileNotFoundError:
        return 0
    return next(
        (int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0
    )


class Daemon:
    def __init__(self, proc: subprocess.Popen, port: int, tmp_path: Path) -> None:
        self.proc, self.port, self.tmp_path = proc, port, tmp_path
        self.pid = proc.pid

    def url(self, stream: str = "reports", token: str = TOKEN) -> str:
        return f"http://127.0.0.1:{self.port}/push/{token}/{stream}"

    def probe(self) -> Prober:
        prober = Prober(self.port, self.pid)
        prober.start()
        return prober

    def rss_kb(self) -> int:
        return rss_kb(self.pid)

    def log(self) -> str:
        """The log file (stderr has the same lines, and whatever bypassed logging)."""
        return (self.tmp_path / "c.log").read_text(errors="replace")

    def stop(self) -> str:
        """SIGTERM; the daemon exits 0, with no traceback in its log or on its stderr.
        Returns the log."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        code = self.proc.wait(30)
        stderr = (self.tmp_path / "poll.err").read_text(errors="replace")
        assert code == 0, stderr[-3000:]
        assert "Traceback" not in stderr + self.log(), stderr[-3000:]
        return self.log()

    def cached_msgids(self) -> set[str]:
        from fivec_tui.store import Store

        store = Store(self.tmp_path / "c.db", readonly=True)
        try:
            return {r["msgid"] for r in store.query("SELECT msgid FROM reports")}
        finally:
            store.close()


def wait_for_port(err: Path, proc: subprocess.Popen) -> int:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and proc.poll() is None:
        for line in err.read_text(errors="replace").splitlines():
            if "push receiver on http://127.0.0.1:" in line:
                return int(line.split("127.0.0.1:")[1].split("/")[0])
        time.sleep(0.1)
    raise AssertionError(f"no push receiver: {err.read_text(errors='replace')[-2000:]}")
