"""At volume: 100,000 reports and 10,000 replies pulled by the engine land exactly once."""

from __future__ import annotations

import asyncio
from datetime import datetime

from fivec_tui.api.wire import BEIJING
from fivec_tui.config import Profile
from fivec_tui.sim.wire import beijing
from fivec_tui.store import Store
from fivec_tui.sync import Engine

REPLY_TEXTS = ["好的", "TD", "退订", "收到,谢谢", "100% ok & fine", "长" * 120, "a|||b", "N"]


async def test_100k_reports_and_10k_replies_land_exactly_once(sim, client, tmp_path):
    sc = sim.platform.scenario
    sc.delay_median, sc.never_report, sc.chunk, sc.ext_prefix = 0.01, 0.0, 2000, "mixed"
    sc.mix = {"DELIVRD": 0.9, "UNDELIV": 0.05, "MK:0001": 0.03, "TOO FAST": 0.02}
    main = sim.platform.main
    main.balance = main.total = 10**9
    for i in range(50_000):
        sim.platform.submit(main, [f"138{i:08d}", f"139{i:08d}"], f"msg {i}【x】", background=True)
    created = [
        sim.platform.add_reply(f"150{i:08d}", REPLY_TEXTS[i % len(REPLY_TEXTS)])
        for i in range(5_000)
    ]
    await asyncio.sleep(0.5)
    a = sim.account
    store = Store(tmp_path / "c.db")
    engine = Engine(
        Profile("t", a.username, a.password_md5, a.apikey, base_url=sim.base_url),
        store,
        client,
        consent=True,
    )
    await engine.run_job("reports")
    client.encode = "GBK"  # the first half of the replies comes percent-encoded in GBK
    await engine.run_job("replies")
    created += [
        sim.platform.add_reply(f"151{i:08d}", REPLY_TEXTS[i % len(REPLY_TEXTS)])
        for i in range(5_000)
    ]
    client.encode = "UTF-8"
    counts = await engine.run_once()
    assert not any(j.failures for j in engine.jobs.values())

    served = {(s.msgid, s.mobile): (s.status, int(s.at)) for s in sim.platform.served}
    assert len(served) == len(sim.platform.served) == 100_000
    cached = {
        (r["msgid"], r["mobile"]): (r["status"], int(r["reported_at"]))
        for r in store.query("SELECT msgid, mobile, status, reported_at FROM reports")
    }
    assert cached == served  # same reports, statuses and instants (to the second), none twice
    assert store.scalar("SELECT count(*) FROM unparsed") == 0
    some = sim.platform.served[12345]
    row = store.query(
        "SELECT reported_at FROM reports WHERE msgid = ? AND mobile = ?", (some.msgid, some.mobile)
    )[0]
    shown = datetime.fromtimestamp(row["reported_at"], BEIJING).strftime("%Y-%m-%d %H:%M:%S")
    assert shown == beijing(some.at)  # the wire's Beijing wall-clock, back as the same instant

    replies = store.query("SELECT mobile, content, reply_id FROM replies")
    assert len(replies) == 10_000
    assert {(r["mobile"], r["content"], r["reply_id"]) for r in replies} == {
        (c.mobile, c.content, c.reply_id) for c in created
    }
    assert all(r.consumed for r in sim.platform.replies)
    assert counts["records"] == 100_000  # every recipient of every record, for the delivery rate
