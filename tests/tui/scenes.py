"""The scenes the TUI tests show: caches of fixed data on a fixed clock, the apps on them, and
the keys that bring a screen to a state.  Snapshots (:mod:`test_snapshots`) and the
behaviour tests of each screen build on the same scenes."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime
from pathlib import Path
from unittest.mock import patch

from traffic import T0, day_rows, fill_day

from fivec_tui.api import Balance, BlacklistResult, Record, Reply, Report
from fivec_tui.app.app import FivecApp
from fivec_tui.app.link import Hosted
from fivec_tui.config import Profile
from fivec_tui.store import Store, ingest_items
from fivec_tui.store import audit as trail
from fivec_tui.store import campaigns as journal
from fivec_tui.store.alerts import add_alert
from fivec_tui.store.auditor import Auditor
from fivec_tui.store.balance import add_balance
from fivec_tui.store.blacklist import add_blacklist_lookup
from fivec_tui.store.poll_runs import add_poll_run
from fivec_tui.store.poller import JobHealth
from fivec_tui.store.subaccounts import SubAccount, replace_subaccounts
from fivec_tui.sync.alerts import ACTIVE_KEY
from fivec_tui.sync.bulk.prepare import create, prepare
from fivec_tui.sync.bulk.run import Progress

NOW = 1795600000.0  # 2026-11-25 15:46:40 Beijing


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


async def settle(pilot) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()


def healthy_jobs(store: Store) -> None:
    """Four jobs whose last run, 5 s ago, went well, as a poller records them."""
    for job in ("reports", "replies", "records", "balance"):
        health = JobHealth(job, "pull", "ok", NOW - 5, NOW - 5, next_run=NOW + 25)
        add_poll_run(store, job, NOW - 5, "ok", "", 10, health)


# -- every screen of one account ---------------------------------------------------------
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


def screens_app(tmp_path) -> FivecApp:
    """An hour of sends with every kind of report, hostile replies, balance, blacklist
    lookups, healthy jobs and two alerts, on a fixed clock."""
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
                utc(sent),
            )
        )
        if sent < NOW - 20:
            reports.append(
                Report(msgid, mobile, rng.choice(STATUSES), utc(sent + rng.uniform(1, 12)))
            )
    ingest_items(store, "records", records)
    ingest_items(store, "reports", reports)
    ingest_items(
        store,
        "replies",
        [
            Reply(records[-1 - 9 * i].mobiles[0], text, utc(NOW - 400 + 50 * i), "0", str(1000 + i))
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
    healthy_jobs(store)
    store.conn.execute("UPDATE poll_runs SET started_at = ?, duration = 0.1", (NOW - 5,))
    add_alert(
        store,
        "delivery_rate",
        "firing",
        "delivery rate 57.1% over the last 15 min (21 finished), below 90%",
        {"key": "all", "since": NOW - 240, "value": "57.1%", "threshold": "< 90%"},
    )
    add_alert(store, "balance", "resolved", "balance 198,920", {})
    store.conn.execute("UPDATE alerts SET at = ? - (3 - id) * 120", (NOW,))
    profile = Profile("snap", "demo", "0" * 32, "k" * 32, base_url="https://m.5c.com.cn")
    return FivecApp(profile, store, refresh_s=3600, clock=lambda: NOW, note="snapshot: fixed data")


# -- several accounts --------------------------------------------------------------------
AUTH = "error:APIKEY or password error — Error:APIKEY or password error"


def fill_account(store: Store, name: str, statuses: list[str], balance: float) -> None:
    """An hour of sends, one every 30 s, with the reports of ``statuses`` in turn."""
    records, reports = [], []
    for i in range(120):
        sent, msgid = NOW - 3600 + i * 30, f"{name}{i:06d}"
        records.append(
            Record(name, msgid, (f"1380013{i:04d}",), "验证码 1234【美联软通】", utc(sent))
        )
        if sent < NOW - 60:
            reports.append(
                Report(msgid, f"1380013{i:04d}", statuses[i % len(statuses)], utc(sent + 5))
            )
    ingest_items(store, "records", records)
    ingest_items(store, "reports", reports)
    for i in range(7):
        add_balance(store, Balance(balance + (6 - i) * 40, 250000))
    store.conn.execute("UPDATE balance SET at = ? - (7 - id) * 600", (NOW,))
    replace_subaccounts(
        store,
        [
            SubAccount(name, main=True, today={"domestic": 40}, month={"domestic": 900}),
            SubAccount(
                f"{name}sub1",
                locked=False,
                today={"domestic": 12},
                month={"domestic": 300},
                balances={"domestic": {"total": 5000, "remaining": 4700}},
            ),
            SubAccount(
                f"{name}sub2",
                locked=True,
                balances={"domestic": {"total": 10000, "remaining": 10000}},
            ),
        ],
        now=NOW - 30,
    )
    healthy_jobs(store)


def three_accounts(tmp_path) -> list[Hosted]:
    """``verify`` healthy; ``notify`` in an outage with an alert firing; ``market`` whose
    apikey is wrong: its jobs fail since, its numbers of before stay."""
    out = []
    for name, statuses, balance in (
        ("verify", ["DELIVRD"] * 19 + ["UNDELIV"], 200000),
        ("notify", ["DELIVRD", "MA:0054", "MB:1041", "MA:0054"], 150000),
        ("market", ["DELIVRD"] * 9 + ["MK:0001"], 2400),
    ):
        store = Store(tmp_path / f"{name}.db")
        fill_account(store, name, statuses, balance)
        profile = Profile(name, name, "0" * 32, "k" * 32, base_url="https://m.5c.com.cn")
        out.append(Hosted(profile, store, state="read-only"))
    notify, market = out[1].store, out[2].store
    add_alert(notify, "delivery_rate", "firing", "delivery rate 25.0% over 15 min", {})
    notify.conn.execute("UPDATE alerts SET at = ?", (NOW - 100,))
    notify.set_setting(ACTIVE_KEY, json.dumps({"delivery_rate:all": NOW - 100}))
    for job in ("reports", "balance"):
        health = JobHealth(job, "pull", "failing", NOW - 2, NOW - 900, 3, NOW - 60, last_error=AUTH)
        add_poll_run(market, job, NOW - 2, "error", AUTH, 0, health)
    return out


def accounts_app(tmp_path, accounts=None, at: float | None = None) -> FivecApp:
    accounts = accounts or three_accounts(tmp_path)
    return FivecApp(
        accounts[0].profile,
        accounts[0].store,
        refresh_s=3600,
        clock=lambda: NOW,
        accounts=accounts,
        note="snapshot: fixed data",
        at=at,
    )


# -- a bulk send -------------------------------------------------------------------------
LINES = [
    "mobile,name,city",
    *(f"1380013{i:04d},客户{i},上海" for i in range(1990)),
    "12345,坏号码,北京",
    "13800130001,重复,北京",
    "13900139000,,广州",
]
CONTENT = "{name}您好，{city}门店本周六开业【美联软通】"


def write_customers(tmp_path) -> Path:
    """The customers file, GBK, with a bad, a duplicate and an empty row."""
    (tmp_path / "customers.csv").write_text("\n".join(LINES), encoding="gbk")
    return tmp_path / "customers.csv"


def bulk_app(store: Store, client=None) -> FivecApp:
    profile = Profile("snap", "demo", "0" * 32, "k" * 32, base_url="https://m.5c.com.cn")
    return FivecApp(profile, store, client=client, refresh_s=3600, clock=lambda: NOW)


async def fill_bulk_form(pilot, rate: str = "") -> None:
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


def bulk_snapshot_app(tmp_path, customers) -> FivecApp:
    """The customers file sent in part: three requests accepted, one failed."""
    store = Store(tmp_path / "snap.db")
    cid = create(store, prepare(customers, encode="UTF-8", content=CONTENT))
    for answer in ("accepted", "accepted", "accepted", "failed"):  # 200 rows a request
        request = journal.next_planned(store, cid)
        journal.mark_sending(store, request.id)
        journal.record_answer(store, request.id, answer, "10623347355876")
    store.conn.execute("UPDATE campaigns SET created_at = ?, state = 'sending'", (NOW - 60,))
    store.conn.execute(
        "UPDATE campaign_requests SET sent_at = ? WHERE sent_at IS NOT NULL", (NOW - 55,)
    )
    return bulk_app(store)


def show_bulk_progress(pilot) -> None:
    screen = pilot.app.screen
    screen.query_one("#bulk-progress").display = True
    screen.show_progress(Progress(1990, 760, 699, 61, 0, 1230, 200.0, 6.2, 0))


# -- the audit trail ---------------------------------------------------------------------
def fixed_audit_key() -> None:
    """The trail's key in this test's state directory, fixed: the entries' hashes shown never
    vary from one run to the next (a key made on first use is random)."""
    from fivec_tui.private_files import open_private, private_dir
    from fivec_tui.store.seal import KEY_BYTES, seal_dir

    private_dir(seal_dir())
    with open_private(seal_dir() / "key", "w", encoding="ascii") as fh:
        fh.write("5c" * KEY_BYTES + "\n")


def audit_app(tmp_path) -> FivecApp:
    """A night's actions on a fixed clock: sends by two people (one over sudo, from SSH), a
    template, a bulk request, a failed removal, a sub-account charge, one left pending."""
    fixed_audit_key()
    store = Store(tmp_path / "audit.db")
    alice = trail.Actor("cli", "fivec", "", "alice", "10.0.0.5", "jump1")
    bob = trail.Actor("tui", "bob", "", "", "", "jump1")
    done = [
        (alice, NOW - 3000, "send", {"mobiles": ["13800138000"], "text": "验证码1234，5分钟内有效【美联软通】"}, ("accepted", "10623347355876", "")),
        (bob, NOW - 2400, "template", {"mobiles": ["13900139000", "13700137000"], "template": "10001", "variables": {"{code}": "4321"}}, ("accepted", "10623347363795", "")),
        (alice, NOW - 1800, "bulk", {"mobiles": [f"1380013{i:04d}" for i in range(200)], "listed": False, "text": "{name}您好，门店本周六开业【美联软通】", "args": {"campaign": 3, "request": 7, "kind": "batch"}}, ("unknown", "", "ReadTimeout: no answer")),
        (bob, NOW - 1200, "blacklist_remove", {"mobiles": ["13800000001"]}, ("failed", "", "error:Non black number or no allow operation")),
        (alice, NOW - 600, "subaccount_charge", {"args": {"child": "notify01", "amount": 500}}, ("ok", "", "Operation subaccount recharge success")),
        (bob, NOW - 60, "send", {"mobiles": ["13800138000"], "text": "[/] 测试【美联软通】"}, None),
    ]  # fmt: skip
    for actor, at, action, what, outcome in done:
        audit = Auditor(store, actor, "snap", "demo")
        with patch.object(trail.time, "time", lambda at=at: at):
            pending = audit.begin(action, **what)
        if outcome:
            with patch.object(trail.time, "time", lambda at=at: at + 1.5):
                audit.finish(pending, *outcome)
    profile = Profile("snap", "demo", "0" * 32, "k" * 32, base_url="https://m.5c.com.cn")
    return FivecApp(profile, store, refresh_s=3600, clock=lambda: NOW, note="snapshot: fixed data")


# -- a day in the past -------------------------------------------------------------------
DAY_NOW = T0 + 1439 * 60 + 50  # the end of the day
AT = T0 + 630 * 60 + 45  # inside the outage: 2026-11-20 18:30:45 Beijing


def day_cache(path: Path) -> Path:
    """A cache at ``path`` holding :func:`traffic.day_rows` (an outage 18:00-19:00 Beijing),
    its alert firing and resolved, a minute-by-minute balance, two blacklist lookups (one
    before :data:`AT`, one after) and the sub-accounts as last pulled."""
    store = Store(path)
    fill_day(store, day_rows())
    add_blacklist_lookup(
        store, BlacklistResult("13800000001", True, "用户回复退订", "2026-11-20 17:55:00")
    )
    add_blacklist_lookup(store, BlacklistResult("13800138000", False))
    store.conn.execute(
        "UPDATE blacklist_lookups SET at = CASE id WHEN 1 THEN ? ELSE ? END", (AT - 900, AT + 600)
    )
    replace_subaccounts(
        store,
        [
            SubAccount("demo", main=True, today={"domestic": 7200}, month={"domestic": 90000}),
            SubAccount("demosub1", locked=False, today={"domestic": 12}),
        ],
        now=DAY_NOW - 30,
    )
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO alerts(at, rule, state, message, payload) VALUES (?, ?, ?, ?, '{}')",
            [
                (T0 + 605 * 60, "delivery_rate", "firing", "rate low"),
                (T0 + 700 * 60, "delivery_rate", "resolved", "rate back"),
            ],
        )
        conn.executemany(
            "INSERT INTO balance(at, remaining, total) VALUES (?, ?, 1000)",
            [(T0 + m * 60, 1000 - m * 0.25) for m in range(1440)],
        )
    store.close()
    return path


def day_app(path, at=AT) -> FivecApp:
    profile = Profile("snap", "demo", "0" * 32, "k" * 32, base_url="https://m.5c.com.cn")
    return FivecApp(
        profile, Store(path), refresh_s=3600, clock=lambda: DAY_NOW, note="fixed data", at=at
    )


SCENES = ["dashboard-at", "timeline", "back-to-live"]
#: Every screen at :data:`AT`, by the key that shows it.
PAST = {
    "replies": "r",
    "messages": "m",
    "alerts": "a",
    "send": "s",
    "blacklist": "b",
    "bulk": "f",
    "subaccounts": "u",
    "known-now": "K",
}


async def day_scene(pilot, scene: str) -> None:
    await settle(pilot)
    await pilot.pause(0.2)
    await settle(pilot)
    if scene == "timeline":
        await pilot.press("t")
        await settle(pilot)
        await pilot.press("left", "left", "left")
    elif scene == "back-to-live":
        await pilot.press("L")
    elif scene in PAST:
        await pilot.press(PAST[scene])
    await settle(pilot)
    await pilot.pause(0.2)
    await settle(pilot)


# -- the breakdown by carrier and by signature -------------------------------------------
#: Messages a minute per block: China Mobile, Unicom, Telecom and one abroad.
BREAKDOWN_MIX = {"138": 6, "130": 4, "133": 3, "+85261": 1}
BREAKDOWN_TEXTS = ("【美联软通】您的验证码是{n}。", "您的订单{n}已发货。【快递通】")


def breakdown_app(tmp_path) -> FivecApp:
    """The last hour and the same hour a week earlier: China Mobile failing a third of its
    messages in the last hour (fine a week ago), two signatures, a balance falling."""
    store = Store(tmp_path / "breakdown.db")
    n = 0
    for back, start in ((0, NOW - 3600), (7 * 86400, NOW - 7 * 86400 - 3600)):
        records, reports = [], []
        for minute in range(60):
            for block, per_minute in BREAKDOWN_MIX.items():
                for i in range(per_minute):
                    n += 1
                    sent = start + minute * 60 + i * 60 / per_minute
                    mobile = f"{block}{n:0{11 - len(block)}d}"
                    text = BREAKDOWN_TEXTS[n % 2].format(n=100000 + n)
                    records.append(Record("demo", str(10**13 + n), (mobile,), text, utc(sent)))
                    failing = not back and block == "138" and i % 3 == 0
                    status = "MK:0001" if failing else "DELIVRD"
                    if sent < NOW - 30:
                        delay = 3 + n % 40
                        reports.append(Report(str(10**13 + n), mobile, status, utc(sent + delay)))
        ingest_items(store, "records", records)
        ingest_items(store, "reports", reports)
    for i in range(13):
        add_balance(store, Balance(200000 - 90 * i, 250000))
    store.conn.execute("UPDATE balance SET at = ? - (13 - id) * 300", (NOW,))
    healthy_jobs(store)
    profile = Profile("snap", "demo", "0" * 32, "k" * 32, base_url="https://m.5c.com.cn")
    return FivecApp(profile, store, refresh_s=3600, clock=lambda: NOW, note="snapshot: fixed data")
