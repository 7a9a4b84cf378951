"""Bulk sends against the simulator: the journal, pacing, throttling, unknown outcomes settled
from the send records, and never a number sent twice."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from fivec_tui.api import Credentials, FivecClient
from fivec_tui.api.parse import parse_reports
from fivec_tui.store import Store, ingest_items
from fivec_tui.store import campaigns as journal
from fivec_tui.store.audit import Actor
from fivec_tui.store.auditor import Auditor
from fivec_tui.sync.bulk import pacer as pacing
from fivec_tui.sync.bulk.pacer import Pacer
from fivec_tui.sync.bulk.prepare import create, prepare
from fivec_tui.sync.bulk.run import Runner
from fivec_tui.sync.bulk.settle import settle_unknown

SIGNED = "【公司】"


def campaign(tmp_path, n, content="通知" + SIGNED, rate=100_000.0, columns=None):
    lines = ["mobile,name"] + [f"139{i:08d},客户{i}" for i in range(n)]
    path = tmp_path / "in.csv"
    path.write_text("\n".join(lines), encoding="utf-8")
    store = Store(tmp_path / "c.db")
    return store, create(store, prepare(path, encode="UTF-8", content=content, rate=rate))


def audited(store):
    """The trail the runner writes its requests into."""
    return Auditor(store, Actor("bulk"), "t", "u")


def client_for(sim, **kw):
    a = sim.account
    return FivecClient(Credentials(a.username, a.password_md5, a.apikey), sim.base_url, **kw)


def submissions(sim):
    return sim.platform.submissions


async def test_identical_text_is_sent_once_per_number_in_few_requests(sim, tmp_path):
    store, cid = campaign(tmp_path, 1200)
    async with client_for(sim) as client:
        runner = Runner(store, client, cid, rate=100_000, audit=audited(store))
        assert await runner.run() == "done"
        runner.write_results()
    assert sim.server.requests["send"] == 1  # 1200 numbers: one request up to 10000
    assert len(submissions(sim)) == 1200 and set(submissions(sim).values()) == {1}
    counts = journal.counts(store, cid)
    assert (counts["accepted"], counts["planned"], counts["unknown"]) == (1200, 0, 0)
    assert (tmp_path / "in.csv.results.csv").read_text("utf-8-sig").count("accepted") == 1200
    assert journal.campaign(store, cid)["state"] == "done"


async def test_personalised_rows_go_through_sms_batch(sim, tmp_path):
    store, cid = campaign(tmp_path, 450, content="{name}您好" + SIGNED, rate=200)
    async with client_for(sim) as client:
        assert await Runner(store, client, cid, rate=10_000, audit=audited(store)).run() == "done"
    assert sim.server.requests["batch"] == 3  # 200 items a request at 200/s
    texts = {m.mobiles[0]: m.content for m in sim.platform.messages.values()}
    assert texts["13900000007"] == "客户7您好" + SIGNED
    assert set(submissions(sim).values()) == {1}


async def test_personalised_rows_go_out_under_the_demos_throughput_limit(sim, tmp_path):
    """The demo's simulator allows 50 requests a second: 450 personalised rows, 200 to a batch
    request, went out never (every batch refused, its first 50 items kept all the same)."""
    sim.platform.scenario.throughput = 50
    store, cid = campaign(tmp_path, 450, content="{name}您好" + SIGNED, rate=200)
    async with client_for(sim) as client:
        runner = Runner(store, client, cid, rate=200, audit=audited(store))
        assert await asyncio.wait_for(runner.run(), 60) == "done"  # before: refused for ever
    assert len(submissions(sim)) == 450 and set(submissions(sim).values()) == {1}


async def test_throughput_exceeded_slows_down_and_resends_only_what_was_refused(
    sim, tmp_path, monkeypatch
):
    monkeypatch.setattr(pacing, "THROTTLED_WAIT_S", 0.1)  # a second per refusal in the product
    store, cid = campaign(tmp_path, 1000, rate=100)  # 100 numbers a request: ten requests
    sim.server.faults = {"send": {"throttle": 0.5}}
    async with client_for(sim) as client:
        runner = Runner(store, client, cid, rate=100_000, audit=audited(store))
        assert await runner.run() == "done"
    assert runner.pacer.throttled > 0 and runner.pacer.rate < 100_000
    assert len(submissions(sim)) == 1000 and set(submissions(sim).values()) == {1}
    state = sim.server.snapshot()
    assert state["submissions"] == {"numbers": 1000, "total": 1000, "repeated": 0}
    assert state["requests"]["send"] == 10  # a refused request reaches no handler


async def test_an_unanswered_request_is_unknown_never_resent_and_settled_as_sent(sim, tmp_path):
    store, cid = campaign(tmp_path, 300)
    sim.server.faults = {"send": {"timeout": 1.0, "hang_s": 3}}
    async with client_for(sim, send_timeout=0.3) as client:
        assert (
            await Runner(store, client, cid, rate=100_000, audit=audited(store)).run() == "paused"
        )
        assert journal.counts(store, cid)["unknown"] == 300
        sim.server.faults = {}
        # Too young to be called unsent: nothing is decided yet.
        waiting = await settle_unknown(store, client, cid, settle_after_s=3600)
        assert (waiting.sent, waiting.unsent, waiting.waiting) == (0, 0, 300)
        settled = await settle_unknown(store, client, cid, settle_after_s=0)
        assert (settled.sent, settled.unsent) == (300, 0)
        assert await Runner(store, client, cid, rate=100_000, audit=audited(store)).run() == "done"
    assert set(submissions(sim).values()) == {1} and len(submissions(sim)) == 300
    assert journal.counts(store, cid)["accepted"] == 300
    msgids = {r[3] for r in journal.result_rows(store, cid)}
    assert msgids == set(sim.platform.messages)  # the records' msgid, not a guess


async def test_a_request_journaled_but_never_sent_is_settled_unsent_then_sent(sim, tmp_path):
    store, cid = campaign(tmp_path, 250, rate=100)  # 100 a request
    req = journal.next_planned(store, cid)
    journal.mark_sending(store, req.id)  # ... and the process died before sending it
    assert journal.abandon_in_flight(store, cid) == 100
    async with client_for(sim) as client:
        settled = await settle_unknown(store, client, cid, settle_after_s=0)
        assert (settled.sent, settled.unsent) == (0, 100)
        counts = journal.counts(store, cid)
        assert (counts["planned"], counts["unknown"]) == (250, 0)
        assert journal.settled_unsent(store, cid) == 100
        assert await Runner(store, client, cid, rate=100_000, audit=audited(store)).run() == "done"
    assert len(submissions(sim)) == 250 and set(submissions(sim).values()) == {1}


async def test_unreadable_records_settle_nothing_as_unsent(sim, tmp_path):
    store, cid = campaign(tmp_path, 100)
    journal.mark_sending(store, journal.next_planned(store, cid).id)
    journal.abandon_in_flight(store, cid)
    sim.server.faults = {"query": {"garbage": 1.0}}
    async with client_for(sim) as client:
        settled = await settle_unknown(store, client, cid, settle_after_s=0)
    assert (settled.unsent, settled.waiting) == (0, 100)
    assert journal.counts(store, cid)["unknown"] == 100


async def test_refused_rows_fail_and_a_short_balance_pauses_with_rows_unsent(sim, tmp_path):
    sim.platform.scenario.keywords = ("违禁",)
    store, cid = campaign(tmp_path, 150, content="违禁通知" + SIGNED)
    async with client_for(sim) as client:
        assert await Runner(store, client, cid, rate=100_000, audit=audited(store)).run() == "done"
    counts = journal.counts(store, cid)
    assert (counts["failed"], counts["accepted"]) == (150, 0)
    assert "Black keywords" in journal.result_rows(store, cid)[0][4]

    sim.platform.main.balance = 0
    (tmp_path / "b").mkdir()
    store2, cid2 = campaign(tmp_path / "b", 150)
    async with client_for(sim) as client:
        runner = Runner(store2, client, cid2, rate=100_000, audit=audited(store2))
        assert await runner.run() == "paused"
    assert "balance" in runner.detail
    assert journal.counts(store2, cid2)["planned"] == 150  # refused whole: to send again later


async def test_pause_stops_after_the_request_in_flight(sim, tmp_path):
    store, cid = campaign(tmp_path, 500, rate=100)
    async with client_for(sim) as client:
        runner = Runner(store, client, cid, rate=100, audit=audited(store))
        runner.on_progress = lambda p: runner.pause.set()
        assert await runner.run() == "paused"
    counts = journal.counts(store, cid)
    assert (counts["accepted"], counts["planned"], counts["unknown"]) == (100, 400, 0)


@pytest.mark.parametrize("sizes", [[100] * 20, [600, 100, 1000, 100, 10_000, 50]])
async def test_the_pacer_never_goes_over_its_rate(sizes):
    now = [0.0]

    async def sleep(s):
        now[0] += s

    pacer = Pacer(600, clock=lambda: now[0], sleep=sleep)
    starts = []
    for n in sizes:
        await pacer.take(n)
        starts.append(now[0])
        now[0] += 0.001  # the request itself
    for i in range(len(sizes)):
        for j in range(i + 1, len(sizes)):
            assert sum(sizes[i:j]) <= 600 * (starts[j] - starts[i]) + 1e-6
    pacer.slow_down()
    assert pacer.rate == 300
    for _ in range(20):
        pacer.accepted()
    assert pacer.rate == pytest.approx(330)


async def test_template_rows_and_a_scheduled_time_reach_the_platform(sim, tmp_path):
    path = tmp_path / "codes.csv"
    path.write_text("mobile,yzm\n13800138000,1234\n13900139000,5678\n", encoding="utf-8")
    store = Store(tmp_path / "c.db")
    at = datetime.now(UTC) + timedelta(hours=1)
    cid = create(store, prepare(path, encode="UTF-8", template="10001", start_time=at))
    async with client_for(sim) as client:
        assert await Runner(store, client, cid, rate=100, audit=audited(store)).run() == "done"
    sent = {m.mobiles: m for m in sim.platform.messages.values()}
    assert sent[("13800138000",)].content.startswith("模板10001:{yzm}=1234;")
    assert sent[("13900139000",)].start_time == int(at.timestamp())


async def test_delivery_joins_reports_by_msgid_or_through_the_records(sim, tmp_path):
    sim.platform.scenario.delay_median, sim.platform.scenario.never_report = 0.001, 0.0
    store, cid = campaign(tmp_path, 300, content="{name}您好" + SIGNED, rate=200)
    async with client_for(sim) as client:
        assert await Runner(store, client, cid, rate=10_000, audit=audited(store)).run() == "done"
        await asyncio.sleep(0.1)
        now = datetime.now(UTC)
        ingest_items(store, "records", await client.records(now - timedelta(minutes=5), now))
        served = []
        while chunk := parse_reports(await client.pull_reports_body()):
            served += chunk
        ingest_items(store, "reports", served)
    d = journal.delivery(store, cid)
    delivered = sum(r.status == "DELIVRD" for r in served)
    # a batch answers one msgid for its items: most rows are matched through their record
    assert (d["sent"], d["delivered"], d["failed"], d["pending"]) == (
        300,
        delivered,
        300 - delivered,
        0,
    )
    assert 0 < d["rate"] <= 1
