"""The Bulk screen's progress line: no ETA before a pace is known, the ETA once it is."""

from __future__ import annotations

from scenes import bulk_app, settle
from textual.widgets import Static

from fivec_tui.store import Store
from fivec_tui.sync.bulk.run import Progress


async def test_the_progress_line_has_no_eta_before_a_pace(tmp_path):
    app = bulk_app(Store(tmp_path / "c.db"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        counts = app.screen.query_one("#bulk-counts", Static)
        app.screen.show_progress(Progress(3000, 0, 0, 0, 0, 3000, 0.0, None, 1))
        line = str(counts.render())
        assert line.startswith("0/3000 submitted") and "ETA" not in line
        app.screen.show_progress(Progress(3000, 400, 400, 0, 0, 2600, 200.0, 13.0, 0))
        assert str(counts.render()).endswith("200/s  ETA 13 s")
