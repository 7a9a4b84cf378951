"""The Bulk screen: a file previewed, confirmed and sent against the simulator; snapshots of
the preview and of the progress, in English and Chinese.

Update the snapshots after an intended change with:
pytest tests/test_bulk_tui.py --snapshot-update
"""

from __future__ import annotations

import pytest

from fivec_tui import i18n
from fivec_tui.app.app import FivecApp
from fivec_tui.config import Profile
from fivec_tui.store import Store
from fivec_tui.store import campaigns as journal
from fivec_tui.sync.bulk.prepare import create, prepare
from fivec_tui.sync.bulk.run import Progress

NOW = 1795600000.0  # 2026-11-25 15:46:40 Beijing
LINES = [
    "mobile,name,city",
    *(f"1380013{i:04d},客户{i},上海" for i in range(1990)),
    "12345,坏号码,北京",
    "13800130001,重复,北京",
    "13900139000,,广州",
]
CONTENT = "{name}您好，{city}门店本周六开业【美联软通】"


@pytest.fixture(autouse=True)
def _beijing(beijing_local_time):
    """Every test here sees times as a Beijing operator does."""


@pytest.fixture
def customers(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the file is typed as a relative path: the same in every run
    (tmp_path / "customers.csv").write_text("\n".join(LINES), encoding="gbk")
    return tmp_path / "customers.csv"


def make_app(store: Store, client=None) -> FivecApp:
    profile = Profile("snap", "demo", "0" * 32, "k" * 32, base_url="https://m.5c.com.cn")
    return FivecApp(profile, store, client=client, refresh_s=3600, clock=lambda: NOW)


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


async def fill_form(pilot, rate: str = "") -> None:
    await settle(pilot)
    await pilot.press("f")
    await settle(pilot)
    pilot.app.screen.query_one("#bulk-path").value = "customers.csv"
    await pilot.click("#bulk-path")
    await pilot.press("enter")  # the columns: mobile is picked
    await settle(pilot)
    pilot.app.screen.query_one("#bulk-content").value = CONTENT
    pilot.app.screen.query_one("#bulk-rate").value = rate
    await pilot.press("ctrl+r")
    await settle(pilot)
    await pilot.press("escape")  # out of the field: no blinking cursor in the snapshots
    await pilot.pause(0.2)


@pytest.fixture
def snap_app(tmp_path, customers):
    store = Store(tmp_path / "snap.db")
    cid = create(store, prepare(customers, encode="UTF-8", content=CONTENT))
    for answer in ("accepted", "accepted", "accepted", "failed"):  # 200 rows a request
        request = journal.next_planned(store, cid)
        journal.mark_sending(store, request.id)
        journal.record_answer(store, request.id, answer, "10623347355876")
    store.conn.execute("UPDATE campaigns SET created_at = ?, state = 'sending'", (NOW - 60,))
    return make_app(store)


def progress(pilot) -> None:
    screen = pilot.app.screen
    screen.query_one("#bulk-progress").display = True
    screen.show_progress(Progress(1990, 760, 699, 61, 0, 1230, 200.0, 6.2, 0))


@pytest.mark.parametrize("lang", ["en", "zh"])
@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
@pytest.mark.parametrize("view", ["preview", "progress"])
def test_bulk_snapshot(snap_compare, snap_app, lang, size, view):
    i18n.use(lang)

    async def go(pilot):
        await fill_form(pilot)
        if view == "progress":
            progress(pilot)
            await pilot.pause()

    try:
        assert snap_compare(snap_app, terminal_size=size, run_before=go)
    finally:
        i18n.use("en")


async def test_a_file_is_previewed_confirmed_and_sent(tmp_path, customers, client, sim):
    store = Store(tmp_path / "c.db")
    app = make_app(store, client)
    async with app.run_test(size=(120, 40)) as pilot:
        await fill_form(pilot, rate="100000")
        screen = app.screen
        assert "1990 valid, 3 rejected" in screen.summary
        assert (tmp_path / "customers.csv.rejected.csv").exists()
        await pilot.press("ctrl+s")
        await settle(pilot)
        await pilot.press("y")
        await settle(pilot)
        await pilot.press("ctrl+r")  # the same file again: the confirmation says so
        await settle(pilot)
        await pilot.press("ctrl+s")
        await settle(pilot)
        assert "campaign 1 sent this file on" in str(app.screen.body)
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
    app = make_app(Store(tmp_path / "c.db"))
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
