"""The Bulk screen: a file previewed, confirmed and sent against the simulator."""

from __future__ import annotations

from scenes import bulk_app, fill_bulk_form, settle

from fivec_tui.store import Store
from fivec_tui.store import campaigns as journal


async def test_a_file_is_previewed_confirmed_and_sent(tmp_path, customers, client, sim):
    store = Store(tmp_path / "c.db")
    app = bulk_app(store, client)
    # the scene's clock is days before the sends' real time, which the duplicate guard counts
    # as within its window (a clock stepped back): off, so the same file's rows stay valid
    app.profile.acting.duplicate_window_s = 0
    async with app.run_test(size=(120, 40)) as pilot:
        await fill_bulk_form(pilot, rate="100000")
        screen = app.screen
        assert "1990 valid, 3 rejected" in screen.summary
        assert (tmp_path / "customers.csv.rejected.csv").exists()
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        assert "1990/1990 submitted" in str(screen.query_one("#bulk-counts").render())
        await pilot.press("ctrl+s")  # a preview sends once: the same one again asks for another
        await settle(pilot)
        assert app.screen is screen and screen.prepared is None
        await pilot.press("ctrl+r")  # the same file again: the confirmation says so
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "campaign 1 sent the same text to the same numbers on" in str(app.screen.body)
        assert not str(screen.query_one("#bulk-counts").render())  # the last send's progress
        await pilot.press("n")
        await settle(pilot)
    (c,) = journal.campaigns(store)
    assert (c["state"], c["rows"], c["submitted"]) == ("done", 1990, 1990)
    assert len(sim.platform.submissions) == 1990 and set(sim.platform.submissions.values()) == {1}
    assert (tmp_path / "customers.csv.results.csv").exists()


async def test_column_names_are_offered_literally(tmp_path, monkeypatch):
    """A file's header is outside input: a column named like markup is only a name."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "odd.csv").write_text("mobile,[/]name,[b]city\n13800138000,a,b\n", encoding="utf-8")
    app = bulk_app(Store(tmp_path / "c.db"))
    async with app.run_test(size=(120, 40)) as pilot:
        await settle(pilot)
        await pilot.press("f")
        await settle(pilot)
        app.screen.query_one("#bulk-path").value = "odd.csv"
        await pilot.click("#bulk-path")
        await pilot.press("enter")
        await settle(pilot)
        select = app.screen.query_one("#bulk-mobile")
        assert select.value == "mobile"
        select.value = "[/]name"
        await pilot.pause()
        assert select.value == "[/]name"
        assert "[/]name" in str(select.query_one("#label").render())
