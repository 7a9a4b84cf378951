"""The Bulk screen shows a campaign whose sending process was killed as ``interrupted``, with
the command that resumes it, and one sent by a live process as ``sending``."""

from __future__ import annotations

import os
import subprocess
import sys

from scenes import CONTENT, bulk_app, settle
from textual.widgets import Static

from fivec_tui.store import Store
from fivec_tui.store import campaigns as journal
from fivec_tui.sync.bulk.prepare import create, prepare


def gone_pid() -> int:
    """The pid of a process that has exited (as a killed bulk send's)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


async def test_the_bulk_screen_says_a_killed_campaign_is_interrupted(tmp_path, customers):
    store = Store(tmp_path / "c.db")
    for pid in (gone_pid(), os.getpid()):  # campaign 1 killed, campaign 2 sending here
        cid = create(store, prepare(customers, encode="UTF-8", content=CONTENT))
        journal.mark_sending(store, journal.next_planned(store, cid).id)
        sql = "UPDATE campaigns SET state = 'sending', runner_pid = ? WHERE id = ?"
        store.conn.execute(sql, (pid, cid))
    app = bulk_app(store)
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        table = app.screen.query_one("#bulk-campaigns")
        states = {str(table.get_row_at(i)[0]): str(table.get_row_at(i)[2]) for i in range(2)}
        assert states == {"1": "interrupted", "2": "sending"}
        note = app.screen.query_one("#bulk-interrupted", Static)
        assert note.display and "`fivec-tui campaign resume 1`" in str(note.render())
        assert "resume 2" not in str(note.render())
