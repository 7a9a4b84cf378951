"""An account's sync state, as the TUI's banner and the Accounts overview say it, from the job
health its poller wrote: destructive pulls paused for room on the disk are said in words, never
as LIVE."""

from __future__ import annotations

import os
import sys

import pytest

from fivec_tui.app.link import Poller, SyncLink
from fivec_tui.i18n import use
from fivec_tui.store.poller import JobHealth
from fivec_tui.sync.diagnosis import sync_state

PAUSED = "disk full: pulls paused (/var/lib/fivec has 12.0 MiB free, needs 64.0 MiB)"


def jobs(note: str = "", failures: int = 0, error: str = "") -> list[JobHealth]:
    rows = [JobHealth(j, "pull", "ok", 1.0, 1.0, pid=os.getpid()) for j in ("records", "balance")]
    status = "waiting" if note else "ok"
    reports = JobHealth(
        "reports", "pull", status, 2.0, 1.0, failures, note=note, last_error=error, pid=os.getpid()
    )
    return [*rows, reports]


def test_pulls_paused_for_room_are_the_state_not_live():
    assert sync_state(jobs()) == ("live", "")
    assert sync_state(jobs(PAUSED)) == (
        "disk full",
        "reports: pulls paused (/var/lib/fivec has 12.0 MiB free, needs 64.0 MiB)",
    )
    unwritable = "cache not writable: pulls paused (/x has 9.0 GiB free, needs 64.0 MiB)"
    assert sync_state(jobs(unwritable))[0] == "cache not writable"
    # consent not given is a wait too, but the person chose it: the account is still live
    assert sync_state(jobs("waiting for consent to pull"))[0] == "live"


def test_a_failing_job_still_comes_first():
    state, _ = sync_state(jobs(PAUSED, failures=2, error="error:APIKEY or password error"))
    assert state == "auth error"


def test_the_banner_note_names_the_disk_in_the_interfaces_language():
    link = SyncLink()
    link.pollers["prod"] = Poller(attached=os.getpid())  # a daemon that runs
    state, note = link.state_of("prod", jobs(PAUSED))
    assert state == "disk full" and note.startswith("disk full: reports: pulls paused (")
    use("zh")
    try:
        state, note = link.state_of("prod", jobs(PAUSED))
        assert note.startswith("磁盘已满：") or note.startswith("磁盘已满:"), note
    finally:
        use("en")


async def test_a_child_asked_for_once_the_app_is_ending_is_never_left_running():
    """A hang-up during the demo's start-up: the app stopped its children, then its start-up
    started the history child, which outlived it, and the app's exit waited for it (one
    hang-up test in twelve timed out)."""
    link = SyncLink()
    await link.stop()
    with pytest.raises(RuntimeError, match="the app is ending"):
        await link.start(
            "history", [sys.executable, "-c", "import time; time.sleep(60)"], dict(os.environ)
        )
    assert link.children == []
