"""The fault matrix of the pulls: a real `fivec-tui poll` against the simulator (harness.py).

- The platform answering HTTP 200 with something that is not an answer (a maintenance page,
  a WAF block page, an empty body, garbage, a cut answer, the request echoed back with its
  credentials), on every endpoint at once, for a few seconds; ``poll --once`` under each.
- The cache's disk short of room, then full, while polling; and at start.  The disk is a
  small tmpfs mounted for the test when the tests run as root and ``mount`` works (CI
  machines run them as root); otherwise the write failures come from ``RLIMIT_FSIZE`` set on
  the poller with ``prlimit``, and the case says so in its output.  The ``RLIMIT_FSIZE``
  case also runs as root: there writes fail while the disk still looks roomy.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from harness import (
    FEW,
    INTERVALS,
    PULLS,
    RSS_LIMIT_KB,
    Poller,
    cached_reports,
    damaged_reports,
    drained,
    environment,
    healthy,
    journal_text,
    kill_left,
    last_run,
    lost_replies,
    no_traceback,
    reconcile,
    rows,
    run_once,
    scenario,
    served_reports,
    wait_for,
)

from fivec_tui.sim import Simulator

KINDS = ["html", "waf", "empty", "garbage", "truncated", "echo"]
#: Kinds answered in front of the platform: a destructive pull takes nothing.
IN_FRONT = {"html", "waf", "empty", "echo"}
FAULT_S = 6.0
#: The backoff's first wait after an unreadable answer in the cases below (5 s in the product,
#: where their fault lasted 1.2 of them): a fault of three first waits asks each stream about
#: as often (FEW bounds it as before), in half the time, and the jobs' next try after it comes
#: seconds sooner.
FIRST_WAIT_S = 1.0
UNREADABLE_FAULT_S = 3 * FIRST_WAIT_S
FAULTED = ("recv", "reply", "query")


async def _fault(sim: Simulator, kind: str | None) -> None:
    """Set (or lift) the fault on every pulled endpoint, as a person would: /_sim/control."""
    faults = {e: {"answer_with": kind} for e in FAULTED} if kind else {}
    async with httpx.AsyncClient(base_url=sim.base_url, timeout=10) as http:
        response = await http.post("/_sim/control", json={"faults": faults})
    assert response.status_code == 200, response.text


@pytest.fixture(autouse=True)
async def no_poller_left():
    yield
    await kill_left()


def _arrived(sim: Simulator) -> dict[str, int]:
    return {e: sim.server.arrived.get(e, 0) for e in FAULTED}


def _backed_off(db: Path) -> list[tuple[int, float]]:
    """(failures, backoff_s) of the pulls failing on an unreadable answer, once one of them
    has failed twice in a row or more; else nothing."""
    health = rows(
        db,
        "SELECT failures, backoff_s FROM job_health WHERE failures > 0 "
        f"AND last_error LIKE '%unreadable answer%' AND job IN ({', '.join('?' * len(PULLS))})",
        tuple(PULLS),
    )
    return health if any(failures >= 2 for failures, _ in health) else []


def _secrets(sim: Simulator) -> list[str]:
    a = sim.account
    return [a.apikey, a.password_md5, a.password_md5.upper()]


@pytest.mark.parametrize("kind", KINDS)
async def test_unreadable_answers_back_off_and_lose_nothing(tmp_path, kind):
    db = tmp_path / "c.db"
    async with Simulator(scenario(), seed=21) as sim:
        poller = await Poller(environment(sim, tmp_path, db), FIRST_WAIT_S).start()
        started = time.time()
        await wait_for(lambda: healthy(db, started), 30, "a first healthy run of every pull")
        before, fault_at = _arrived(sim), time.time()
        await _fault(sim, kind)
        # reports are pulled one request at a time: once one is answered by the fault, the
        # platform's count is what it handed out before
        await wait_for(lambda: sim.server.answered.get("recv"), 10, "a faulted reports pull")
        served_before, chunks_before = len(sim.platform.served), len(sim.platform.served_chunks)

        def said_unreadable() -> bool:
            # every pull whose answer carries no data says so (truncated: only those cut
            # before their first item; the balance always is)
            jobs = PULLS if kind != "truncated" else ("balance",)
            runs = [last_run(db, job, fault_at) for job in jobs]
            return all(r and r[0] == "error" and "unreadable answer" in r[1] for r in runs)

        await wait_for(said_unreadable, 15, "the jobs' health to say 'unreadable answer'")
        await asyncio.sleep(max(0.0, fault_at + UNREADABLE_FAULT_S - time.time()))
        # the waits double: after its f-th failure in a row a job waits 2^(f-1) first waits
        # (times the jitter), as its health says; and a job has failed twice at least
        backoffs = await wait_for(lambda: _backed_off(db), 15, "a second failure in a row")
        for failures, waits in backoffs:
            assert 0.5 <= waits / (FIRST_WAIT_S * 2 ** (failures - 1)) <= 1.5, backoffs
        during = {e: n - before[e] for e, n in _arrived(sim).items()}
        lasted = time.time() - fault_at
        chunks = len(sim.platform.served_chunks) - chunks_before
        rss = poller.peak_rss_kb()
        lifted = time.time()
        await _fault(sim, None)
        # every answer the fault made: to the requests that came before it was lifted
        faulted = sum(n - before[e] for e, n in _arrived(sim).items())

        # Asked a few times per stream, not in a loop.  A cut answer that still carries items
        # is data: reports go on as long as the platform hands chunks out, records at the
        # job's interval.
        assert during["recv"] <= FEW + chunks, during
        records = lasted / INTERVALS["records"] if kind == "truncated" else 0
        assert during["reply"] <= FEW and during["query"] <= FEW + records, during
        if kind in IN_FRONT:
            assert len(sim.platform.served) == served_before  # nothing was taken meanwhile
        await wait_for(lambda: healthy(db, lifted), 40, "recovery once the fault is lifted")
        await drained(sim, db)
        assert await poller.stop() == 0
        lost = served_reports(sim) - cached_reports(db)
        assert lost <= damaged_reports(sim)  # only chunks a fault destroyed after the platform
        if lost:
            await reconcile(sim, db)  # took them, which the reconcile brings back

    assert served_reports(sim) <= cached_reports(db)
    assert lost_replies(sim, db) == set()
    # An answer that is not data is kept once for diagnosis, never as rows.
    kept = rows(db, "SELECT stream, raw FROM unparsed WHERE journal_id IS NULL")
    assert len(kept) == len(set(kept))  # once per stream
    if kind in ("html", "waf", "empty"):  # the same page every time
        assert len(kept) <= len(PULLS)
    assert len(kept) <= faulted
    if kind in IN_FRONT:  # nothing journaled during the fault (but requests in flight)
        journaled = "SELECT count(*) FROM journal WHERE received_at BETWEEN ? AND ?"
        assert rows(db, journaled, (fault_at + 1, lifted)) == [(0,)]
    log = (tmp_path / "c.log").read_text("utf-8", "replace")
    no_traceback(poller.stderr(), log)
    everything = poller.stderr() + log + journal_text(db)
    assert not [s for s in _secrets(sim) if s in everything]
    assert rss < RSS_LIMIT_KB
    print(
        f"\n{kind}: {during} requests in {lasted:.0f}s of fault, {chunks} chunks taken "
        f"meanwhile, {len(lost)} reports lost in transit and reconciled, peak RSS {rss // 1024} MB"
    )


@pytest.mark.parametrize("kind", KINDS)
async def test_poll_once_under_unreadable_answers_ends_with_exit_1(tmp_path, kind):
    db = tmp_path / "c.db"
    sc = scenario()
    sc.traffic_rate = 0.0
    async with Simulator(sc, seed=22, traffic=False) as sim:
        account = sim.platform.main
        for i in range(60):  # three chunks of reports waiting, and replies
            sim.platform.submit(account, [f"1380000{i:04d}"], "hi【x】", background=True)
        for i in range(5):
            sim.platform.add_reply(f"1390000{i:04d}", "好的")
        await asyncio.sleep(0.5)
        sim.platform.release_due()
        await _fault(sim, kind)
        code, out, err, took = await run_once(environment(sim, tmp_path, db))
        during = _arrived(sim)
        assert code == 1, out + err
        assert took < 20
        assert "unreadable answer" in out
        assert during["recv"] <= FEW + len(sim.platform.served_chunks), during
        assert during["reply"] <= FEW and during["query"] <= FEW, during
        if kind in IN_FRONT:
            assert not sim.platform.served and not any(r.consumed for r in sim.platform.replies)
        no_traceback(out, err)
        assert not [s for s in _secrets(sim) if s in out + err + journal_text(db)]


# -- a full disk ---------------------------------------------------------------------------
MIB = 1024 * 1024
DISK_MIB = 80  # the tmpfs: 2 % of it is far below the 64 MiB floor of the reserve


@contextlib.contextmanager
def small_disk(path: Path):
    """A tmpfs of :data:`DISK_MIB` at ``path``; None where this machine cannot mount one."""
    path.mkdir()
    if os.geteuid() != 0:
        yield None
        return
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", f"size={DISK_MIB}m,mode=0700", "tmpfs", str(path)],
        capture_output=True,
    )
    if mounted.returncode != 0:
        print(f"\ncannot mount a tmpfs: {mounted.stderr.decode().strip()}")
        yield None
        return
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], check=True)


def fill(disk: Path, leave_mib: float) -> Path:
    """Write a ballast file on ``disk`` so that ``leave_mib`` MiB stay free (0: none)."""
    ballast = disk / f"ballast-{time.monotonic_ns()}"
    st = os.statvfs(disk)
    size = max(0, st.f_bavail * st.f_frsize - int(leave_mib * MIB))
    with open(ballast, "wb") as fh:
        block = b"\0" * MIB
        with contextlib.suppress(OSError):  # full: that was the point
            while size > 0 or not leave_mib:
                fh.write(block[: min(MIB, size)] if size > 0 else block)
                fh.flush()
                size -= MIB
    return ballast


def free_mib(disk: Path) -> float:
    st = os.statvfs(disk)
    return st.f_bavail * st.f_frsize / MIB


async def test_disk_short_then_full_while_polling(tmp_path):
    """tmpfs: short of room, destructive pulls pause; full, the other jobs fail and back off;
    room again, everything resumes by itself and nothing was lost."""
    with small_disk(tmp_path / "disk") as disk:
        if disk is None:
            print("\nno tmpfs here: the RLIMIT_FSIZE case below covers the write failures")
            await _writes_fail_under_rlimit(tmp_path)
            return
        db = disk / "c.db"
        async with Simulator(scenario(), seed=23) as sim:
            poller = await Poller(environment(sim, tmp_path, db)).start()
            started = time.time()
            await wait_for(lambda: healthy(db, started), 30, "a first healthy run")
            short_at = time.time()
            ballast = [fill(disk, leave_mib=24)]

            def paused() -> bool:
                runs = [last_run(db, job, short_at) for job in ("reports", "replies")]
                return all(r and r[0] == "paused" and "disk full" in r[1] for r in runs)

            await wait_for(paused, 10, "reports and replies to say 'disk full: pulls paused'")
            served, recv = len(sim.platform.served), sim.server.arrived.get("recv", 0)
            await asyncio.sleep(2.0)
            assert len(sim.platform.served) == served  # nothing taken while short
            assert sim.server.arrived.get("recv", 0) - recv <= 1  # one in flight at most

            ballast.append(fill(disk, leave_mib=0))
            assert free_mib(disk) < 1
            full_at, query = time.time(), sim.server.arrived.get("query", 0)
            await asyncio.sleep(FAULT_S)
            asked = sim.server.arrived.get("query", 0) - query
            assert asked <= FEW, f"records and balance asked {asked} times on a full disk"
            assert len(sim.platform.served) == served
            rss = poller.peak_rss_kb()

            for path in ballast:
                path.unlink()
            room_at = time.time()
            await wait_for(lambda: healthy(db, room_at), 40, "recovery once there is room")
            await drained(sim, db)
            assert await poller.stop() == 0

        assert served_reports(sim) <= cached_reports(db) and lost_replies(sim, db) == set()
        assert not damaged_reports(sim)
        stderr = poller.stderr()
        no_traceback(stderr, (disk / "c.log").read_text("utf-8", "replace"))
        assert stderr.count("pulls paused") == 1, stderr  # said once, not once a run
        assert rss < RSS_LIMIT_KB
        print(
            f"\ntmpfs of {DISK_MIB} MiB: paused at 24 MiB free; full for {FAULT_S:.0f}s, "
            f"records and balance asked {asked} times since {full_at - short_at:.0f}s"
        )


async def test_writes_fail_while_the_disk_looks_roomy(tmp_path):
    """RLIMIT_FSIZE (a quota, a full disk the check did not see in time): a chunk taken that
    cannot be stored is held and stored once writes work again; the failing jobs back off."""
    await _writes_fail_under_rlimit(tmp_path)


async def _writes_fail_under_rlimit(tmp_path: Path) -> None:
    db = tmp_path / "c.db"
    async with Simulator(scenario(), seed=24) as sim:
        poller = await Poller(environment(sim, tmp_path, db)).start()
        started = time.time()
        await wait_for(lambda: healthy(db, started), 30, "a first healthy run")
        _soft, hard = resource.prlimit(poller.pid, resource.RLIMIT_FSIZE)
        resource.prlimit(poller.pid, resource.RLIMIT_FSIZE, (1, hard))  # no write succeeds
        failing_at, before = time.time(), _arrived(sim)

        await asyncio.sleep(FAULT_S)
        # the fault is real: not one run could be recorded meanwhile
        assert all(last_run(db, job, failing_at) is None for job in PULLS)
        during = {e: n - before[e] for e, n in _arrived(sim).items()}
        resource.prlimit(poller.pid, resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, hard))
        lifted = time.time()
        assert during["recv"] <= FEW and during["reply"] <= FEW and during["query"] <= FEW, during
        await wait_for(lambda: healthy(db, lifted), 40, "recovery once writes work")
        await drained(sim, db)
        assert await poller.stop() == 0
    assert served_reports(sim) <= cached_reports(db) and lost_replies(sim, db) == set()
    no_traceback(poller.stderr(), (tmp_path / "c.log").read_text("utf-8", "replace"))
    print(f"\nRLIMIT_FSIZE for {FAULT_S:.0f}s: {during} requests, nothing lost")


def _start(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "fivec_tui", *args],
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


async def test_starting_on_a_full_disk_says_so_in_one_line(tmp_path):
    with small_disk(tmp_path / "disk") as disk:
        if disk is None:
            print("\nno tmpfs here: starting with writes refused by RLIMIT_FSIZE instead")
            await _start_with_writes_refused(tmp_path)
            return
        async with Simulator(scenario(), seed=25, traffic=False) as sim:
            env = environment(sim, tmp_path, disk / "c.db")
            a = sim.account
            (tmp_path / "all.toml").write_text(
                f"[profiles.one]\nusername = '{a.username}'\npassword_md5 = '{a.password_md5}'\n"
                f"apikey = '{a.apikey}'\nbase_url = '{sim.base_url}'\n"
            )
            everyone = {**env, "FIVEC_CONFIG": str(tmp_path / "all.toml")}
            everyone["XDG_DATA_HOME"] = str(disk)
            fill(disk, leave_mib=8)
            starts = {
                "poll": await asyncio.to_thread(_start, env, "poll", "--yes"),
                "poll --once": await asyncio.to_thread(_start, env, "poll", "--once", "--yes"),
                "poll --all": await asyncio.to_thread(_start, everyone, "poll", "--all", "--yes"),
                "the TUI": await asyncio.to_thread(_start, env),
                "demo": await asyncio.to_thread(_start, {**env, "TMPDIR": str(disk)}, "demo"),
            }
            asked = sum(sim.server.arrived.values())
        for name, done in starts.items():
            said = (done.stdout + done.stderr).strip()
            assert done.returncode == 1, f"{name}: {done.returncode} {said}"
            assert len(said.splitlines()) == 1, f"{name}: {said}"
            assert "disk full" in said and str(disk) in said and "MiB free" in said, said
            no_traceback(said)
        assert asked == 0  # nothing was asked of the platform


async def _start_with_writes_refused(tmp_path: Path) -> None:
    async with Simulator(scenario(), seed=25, traffic=False) as sim:
        env = environment(sim, tmp_path, tmp_path / "c.db")
        done = await asyncio.to_thread(
            subprocess.run,
            [sys.executable, "-m", "fivec_tui", "poll", "--once", "--yes"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            preexec_fn=lambda: resource.setrlimit(
                resource.RLIMIT_FSIZE, (1, resource.RLIM_INFINITY)
            ),
        )
    said = (done.stdout + done.stderr).strip()
    assert done.returncode == 1 and len(said.splitlines()) == 1, said
    assert "cannot write" in said and str(tmp_path) in said
    no_traceback(said)
