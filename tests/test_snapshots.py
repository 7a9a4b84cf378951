"""SVG snapshots of every screen at 80x24 and 160x48, on fixed data and a fixed clock.

Update after an intended change with: pytest tests/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest

from fivec_tui import i18n
from fivec_tui.api import Balance, BlacklistResult, Record, Reply, Report
from fivec_tui.app.app import FivecApp
from fivec_tui.config import Profile
from fivec_tui.store import Store, ingest_items
from fivec_tui.store.alerts import add_alert
from fivec_tui.store.balance import add_balance
from fivec_tui.store.blacklist import add_blacklist_lookup
from fivec_tui.store.poll_runs import add_poll_run

NOW = 1795600000.0  # 2026-11-25 15:46:40 Beijing
STATUSES = ["DELIVRD"] * 30 + ["UNDELIV", "MK:0001", "DB:0144", "EXPIRED", "MA:0054", "ID:0076"]
REPLIES = [
    "好的",
    "TD",
    "[/] [@click=app.quit]x[/]",
    "\x1b[2Jcleared",
    "\u202etxt.exe",
    "退订",
    "收到，谢谢",
]


@pytest.fixture(autouse=True)
def _beijing(beijing_local_time):
    """Every test here sees times as a Beijing operator does."""


def at(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


@pytest.fixture
def fixed_app(tmp_path):
    rng = random.Random(42)
    store = Store(tmp_path / "snap.db")
    records, reports = [], []
    for i in range(240):
        sent = NOW - 3600 + i * 15
        msgid = str(10623347355876 + i * 7919)
        mobile = f"13{rng.randrange(5, 9)}{rng.randrange(10**8):08d}"
        records.append(
            Record(
                "demo",
                msgid,
                (mobile,),
                f"您的验证码是{100000 + i}，5分钟内有效。【美联软通】",
                at(sent),
            )
        )
        if sent < NOW - 20:
            reports.append(
                Report(msgid, mobile, rng.choice(STATUSES), at(sent + rng.uniform(1, 12)))
            )
    ingest_items(store, "records", records)
    ingest_items(store, "reports", reports)
    ingest_items(
        store,
        "replies",
        [
            Reply(records[-1 - 9 * i].mobiles[0], text, at(NOW - 400 + 50 * i), "0", str(1000 + i))
            for i, text in enumerate(REPLIES)
        ],
    )
    for i in range(13):
        add_balance(store, Balance(200000 - 90 * i, 250000))
    store.conn.execute("UPDATE balance SET at = ? - (13 - id) * 300", (NOW,))
    add_blacklist_lookup(
        store, BlacklistResult("13800000001", True, "用户投诉", "2026-11-24 10:00:00")
    )
    add_blacklist_lookup(store, BlacklistResult("13800138000", False))
    store.conn.execute("UPDATE blacklist_lookups SET at = ? - id * 60", (NOW,))
    for job in ("reports", "replies", "records", "balance"):
        add_poll_run(store, job, NOW - 5, "ok", "", 10)
    store.conn.execute("UPDATE poll_runs SET started_at = ?, duration = 0.1", (NOW - 5,))
    add_alert(
        store,
        "delivery_rate",
        "firing",
        "delivery rate 57.1% over the last 15 min (21 finished)",
        {},
    )
    add_alert(store, "balance", "resolved", "balance 198,920", {})
    store.conn.execute("UPDATE alerts SET at = ? - (3 - id) * 120", (NOW,))
    profile = Profile("snap", "demo", "0" * 32, "k" * 32, base_url="https://m.5c.com.cn")
    return FivecApp(profile, store, refresh_s=3600, clock=lambda: NOW, note="snapshot: fixed data")


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


SCREENS = ["d", "r", "m", "s", "b", "a"]


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
@pytest.mark.parametrize(
    "key", SCREENS, ids=["dashboard", "replies", "messages", "send", "blacklist", "alerts"]
)
def test_screen_snapshot(snap_compare, fixed_app, key, size):
    async def go_to(pilot):
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)

    assert snap_compare(fixed_app, terminal_size=size, run_before=go_to)


@pytest.fixture
def chinese():
    i18n.use("zh")
    yield
    i18n.use("en")


@pytest.mark.parametrize("size", [(80, 24), (160, 48)], ids=["80x24", "160x48"])
@pytest.mark.parametrize(
    "key", SCREENS, ids=["dashboard", "replies", "messages", "send", "blacklist", "alerts"]
)
def test_screen_snapshot_zh(snap_compare, chinese, fixed_app, key, size):
    """The same screens in Chinese: wide characters never cut in half, boxes never wrapped."""

    async def go_to(pilot):
        await settle(pilot)
        await pilot.press(key)
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)

    assert snap_compare(fixed_app, terminal_size=size, run_before=go_to)
