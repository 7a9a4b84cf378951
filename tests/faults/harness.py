"""A real `fivec-tui poll` on the simulator, a fault applied and lifted, and what must hold.

Each case of ``test_pull_faults.py`` runs the simulator in the test's loop (with traffic:
reports and replies keep arriving), a ``fivec-tui poll`` process on it, applies a fault for a
few seconds, lifts it, and checks the same things:

- nothing the platform handed out is lost: every report it served is cached (after the
  reports reconcile, for the chunks a fault destroyed on their way back: the protocol has no
  better), and every reply it let a consuming read take;
- while the fault lasts, the platform is asked a few times per stream, not hundreds a second;
- the jobs' health (``poll_runs``, what ``stats`` and the TUI read) and exit codes say what is
  wrong; no ``Traceback`` in the log or on stderr; memory stays bounded;
- once the fault is gone, the poller recovers by itself.

The simulator's own truth: ``platform.served`` (every report the destructive pull handed out),
``served_chunks`` and ``server.damaged_chunks`` (chunks cut or garbled after the platform took
them), ``replies[*].consumed``, and ``server.arrived`` (requests per endpoint, those a fault
answered in front of the platform included).
"""

from __future__ import annotations

import asyncio
import os
import signal
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar

from fivec_tui.api import FivecClient
from fivec_tui.config import Profile
from fivec_tui.sim import Simulator
from fivec_tui.sim.scenario import Scenario, load
from fivec_tui.store import Store
from fivec_tui.store.journaling import read_body
from fivec_tui.sync import Engine

#: The pulling jobs and the endpoint each asks.
PULLS = {"reports": "recv", "replies": "reply", "records": "query", "balance": "query"}
INTERVALS = {"reports": 0.2, "replies": 0.3, "records": 1, "balance": 0.5, "reconcile_replies": 2}
CONFIG = (
    "[profiles.default.streams]\nsubaccounts = 'off'\n[profiles.default.intervals]\n"
    + "".join(f"{job} = {seconds}\n" for job, seconds in INTERVALS.items())
)
#: Requests one endpoint may get during a fault of a few seconds: a few runs of each job that
#: asks it, each backed off (a healthy poller asks several times a second).
FEW = 8
#: Memory a poller may peak at (VmHWM); it runs at about 60 MB.
RSS_LIMIT_KB = 300 * 1024
#: ``python -m fivec_tui`` with the backoff's first wait after an unreadable answer
#: (:data:`fivec_tui.sync.backoff.UNREADABLE_FIRST_S`, 5 s) set to ``sys.argv[1]`` first: a
#: case can fault for a few of those waits without waiting a few 5 s ones.
FIRST_WAIT_SET = (
    "import sys; from fivec_tui.sync import backoff; "
    "backoff.UNREADABLE_FIRST_S = float(sys.argv.pop(1)); sys.argv[0] = 'fivec-tui'; "
    "from fivec_tui.__main__ import run; run()"
)


def scenario() -> Scenario:
    """Quiet, with traffic: reports in small chunks and replies keep coming."""
    sc = load("quiet")
    sc.traffic_rate, sc.chunk, sc.delay_median = 40.0, 20, 0.05
    sc.reply_rate, sc.reply_pool = 3.0, ("好的", "收到", "TD")
    sc.account["balance"] = sc.account["total"] = 10**9
    return sc


async def wait_for(condition: Callable[[], object], timeout: float, what: str) -> object:
    """Poll ``condition`` until it is truthy; fail the test with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")
        await asyncio.sleep(0.1)


def rows(db: Path, sql: str, params: tuple = ()) -> list[tuple]:
    """Read the cache as `sqlite3` would, whatever the poller is doing (a full disk too)."""
    if not db.exists():
        return []
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute(sql, params).fetchall()
    except sqlite3.OperationalError:  # no schema yet: the poller has not started
        return []
    finally:
        conn.close()


def last_run(db: Path, job: str, since: float = 0.0) -> tuple[str, str] | None:
    """The outcome and error of ``job``'s latest run, if it ended after ``since``."""
    found = rows(
        db,
        "SELECT outcome, error FROM poll_runs WHERE job = ? AND started_at + duration > ? "
        "ORDER BY id DESC LIMIT 1",
        (job, since),
    )
    return found[0] if found else None


def healthy(db: Path, since: float, jobs=tuple(PULLS)) -> bool:
    """The latest run of every one of ``jobs`` ended well after ``since``."""
    return all((last_run(db, job, since) or ("",))[0] == "ok" for job in jobs)


@dataclass
class Poller:
    """A `fivec-tui poll` process; its stderr read as it comes (a pipe: a file there would be
    subject to the disk faults the poller is under)."""

    env: dict[str, str]
    #: The backoff's first wait after an unreadable answer, if not the product's.
    unreadable_first_s: float | None = None
    proc: asyncio.subprocess.Process | None = None
    lines: list[str] = field(default_factory=list)
    _reader: asyncio.Task | None = None
    #: Pollers started and not stopped yet: :func:`kill_left` ends them after a failed case.
    live: ClassVar[set[Poller]] = set()

    async def start(self, *args: str) -> Poller:
        self.proc = await poll(
            self.env, *args, stdout=asyncio.subprocess.DEVNULL, first_s=self.unreadable_first_s
        )
        self._reader = asyncio.create_task(self._read(self.proc.stderr))
        Poller.live.add(self)
        return self

    async def _read(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            self.lines.append(line.decode("utf-8", "replace"))

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def peak_rss_kb(self) -> int:
        for line in Path(f"/proc/{self.pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise AssertionError("no VmHWM in /proc")

    async def stop(self) -> int:
        assert self.proc is not None
        if self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(self.proc.wait(), 30)
        except TimeoutError:
            self.proc.kill()
            await self.proc.wait()
            raise AssertionError("the poller did not stop within 30s of SIGTERM") from None
        if self._reader is not None:
            await self._reader
        Poller.live.discard(self)
        return code

    def __hash__(self) -> int:
        return id(self)

    def stderr(self) -> str:
        return "".join(self.lines)


async def kill_left() -> None:
    """End the pollers a failed case left running."""
    for poller in list(Poller.live):
        if poller.proc is not None and poller.proc.returncode is None:
            poller.proc.kill()
            await poller.proc.wait()
        Poller.live.discard(poller)


async def poll(
    env: dict[str, str], *args: str, stdout=asyncio.subprocess.PIPE, first_s: float | None = None
):
    """``fivec-tui poll --yes ARGS`` started, its stderr (and by default stdout) piped; with
    ``first_s``, its first wait after an unreadable answer that (:data:`FIRST_WAIT_SET`)."""
    main = ("-m", "fivec_tui") if first_s is None else ("-c", FIRST_WAIT_SET, str(first_s))
    return await asyncio.create_subprocess_exec(
        *(sys.executable, *main, "poll", "--yes", *args),
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=stdout,
        stderr=asyncio.subprocess.PIPE,
    )


async def run_once(env: dict[str, str], timeout: float = 30.0) -> tuple[int, str, str, float]:
    """``fivec-tui poll --once --yes``: exit code, stdout, stderr, seconds it took."""
    started = time.monotonic()
    proc = await poll(env, "--once")
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except TimeoutError:
        proc.kill()
        await proc.wait()
        raise AssertionError(f"poll --once still running after {timeout:.0f}s") from None
    return proc.returncode, out.decode(), err.decode(), time.monotonic() - started


def environment(sim: Simulator, workdir: Path, db: Path, config: str = CONFIG) -> dict[str, str]:
    """A poller's environment: ``sim``'s account, the cache at ``db``, config in ``workdir``."""
    (workdir / "config.toml").write_text(config)
    a = sim.account
    return {
        **os.environ,
        "FIVEC_CONFIG": str(workdir / "config.toml"),
        "FIVEC_DB": str(db),
        "FIVEC_BASE_URL": sim.base_url,
        "FIVEC_USERNAME": a.username,
        "FIVEC_PASSWORD_MD5": a.password_md5,
        "FIVEC_APIKEY": a.apikey,
    }


def cached_reports(db: Path) -> set[tuple[str, str]]:
    return set(rows(db, "SELECT msgid, mobile FROM reports"))


def served_reports(sim: Simulator) -> set[tuple[str, str]]:
    return {(s.msgid, s.mobile) for s in sim.platform.served}


def damaged_reports(sim: Simulator) -> set[tuple[str, str]]:
    """Reports of the chunks the platform handed out that a fault destroyed on the way back."""
    out, start = set(), 0
    for i, size in enumerate(sim.platform.served_chunks):
        if i in sim.server.damaged_chunks:
            out |= {(s.msgid, s.mobile) for s in sim.platform.served[start : start + size]}
        start += size
    return out


def lost_replies(sim: Simulator, db: Path) -> set[str]:
    """Replies a consuming read took off the platform that the cache does not hold."""
    cached = {r[0] for r in rows(db, "SELECT reply_id FROM replies")}
    return {r.reply_id for r in sim.platform.replies if r.consumed} - cached


async def drained(sim: Simulator, db: Path, timeout: float = 40.0) -> None:
    """Stop the traffic, then wait until the poller has taken and stored every report and
    reply (those a fault destroyed on the way back aside: see :func:`reconcile`)."""
    if sim._task is not None:
        sim._task.cancel()
    await asyncio.sleep(0.3)

    def done() -> bool:
        p = sim.platform
        p.release_due()
        if p.report_queue[p.main.username] or p.pending_reports:
            return False
        if any(not r.consumed for r in p.replies):
            return False
        return served_reports(sim) - damaged_reports(sim) <= cached_reports(db) and not (
            lost_replies(sim, db)
        )

    await wait_for(done, timeout, "the poller to take and store everything")


async def reconcile(sim: Simulator, db: Path) -> None:
    """The reports reconcile, as the poller runs it for recipients long pending, run now."""
    a = sim.account
    profile = Profile("t", a.username, a.password_md5, a.apikey, base_url=sim.base_url)
    async with FivecClient(profile.credentials, sim.base_url) as client:
        store = Store(db)
        try:
            engine = Engine(profile, store, client, reconcile_after_s=0)
            await engine.run_job("reconcile")
            assert engine.jobs["reconcile"].failures == 0, engine.jobs["reconcile"].last_error
        finally:
            store.close()


def journal_text(db: Path) -> str:
    """Every journaled body, as received, and every unparsed item, in one text."""
    store = Store(db, readonly=True)
    try:
        bodies = [read_body(store, r["id"]) for r in store.query("SELECT id FROM journal")]
        kept = [r["raw"] for r in store.query("SELECT raw FROM unparsed")]
        errors = [r["error"] or "" for r in store.query("SELECT error FROM poll_runs")]
    finally:
        store.close()
    return "\n".join(bodies + kept + errors)


def no_traceback(*texts: str) -> None:
    for text in texts:
        assert "Traceback" not in text, text[-3000:]
