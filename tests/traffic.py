"""Traffic the tests cache: messages sent with their reports at a moment (alert rules), a
whole day of known traffic with an outage (time-travel), and random traffic at any second
(the property tests), with the numbers expected of them computed from the rows alone, by the
definition, independently of the rollups."""

from __future__ import annotations

import bisect
import random
from datetime import UTC, datetime
from unittest import mock

from fivec_tui.api import Record, Reply, Report
from fivec_tui.store import Store, ingest_items
from fivec_tui.store.rollup import LATENCY_BOUNDS, percentile

NOW = 1795600000.0
_seq = iter(range(10**6))


def utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, UTC)


def traffic(
    store: Store, when: float, delivered: int, failed: int, status: str = "UNDELIV"
) -> None:
    """``delivered + failed`` messages sent at ``when`` with their reports."""
    records, reports = [], []
    for i in range(delivered + failed):
        n = next(_seq)
        msgid, mobile = str(10**13 + n), f"138{n:08d}"
        records.append(Record("demo", msgid, (mobile,), "x", utc(when)))
        reports.append(Report(msgid, mobile, "DELIVRD" if i < delivered else status, utc(when + 3)))
    ingest_items(store, "records", records)
    ingest_items(store, "reports", reports)


T0 = datetime(2026, 11, 20, 0, 0, tzinfo=UTC).timestamp()  # a minute boundary
#: Alert settings that leave the burn-rate rules out (no carrier is ever judged), for the
#: tests of the other rules; test_burn_alerts.py tests them.
NO_BURN = {"slo": {"min_finished": 10**9}}
OUTAGE = range(600, 660)  # minutes of the day: 10:00-11:00 UTC


def day_rows() -> list[tuple[str, str, float, str, float | None]]:
    """(msgid, mobile, sent_at, status, reported_at) for every message of the day."""
    out = []
    for m in range(1440):
        for i in range(5):
            sent = T0 + m * 60 + 10 + i
            msgid, mobile = f"{m:04d}{i}", f"1{38 + i % 3}{m:04d}{i:04d}"
            if m in OUTAGE:
                status, rep = ("MI:0013", sent + 5) if i < 2 else ("DELIVRD", sent + 1800)
            elif i == 3:
                status, rep = "DELIVRD", sent + 75  # reported in the next minute
            elif i == 4 and m % 10 == 0:
                status, rep = "UNDELIV", sent + 30
            else:
                status, rep = "DELIVRD", sent + 20
            out.append((msgid, mobile, sent, status, rep))
    return out


Row = tuple[str, str, float, str | None, float | None]  # msgid, mobile, sent, status, time


def expected(
    rows: list[Row],
    window_s: float,
    at: float,
    known_now: bool = False,
    cached_at: float | None = None,
) -> dict:
    """The numbers at ``at`` by the definition, from the traffic rows alone: the messages sent
    in ``(at - window_s, at]``; a report counts when its platform time (``cached_at``, when
    it has none) is ``at`` or before (any report with ``known_now``), pending otherwise; the
    latency percentiles from the known reports' own latencies (none: the first bucket)."""
    sent = [r for r in rows if at - window_s < r[2] <= at]
    known = [
        r
        for r in sent
        if r[3] is not None and (known_now or (r[4] if r[4] is not None else cached_at) <= at)
    ]
    delivered = sum(1 for r in known if r[3] == "DELIVRD")
    failed = len(known) - delivered
    hist: dict[int, int] = {}
    for r in known:
        bucket = 0 if r[4] is None else bisect.bisect_left(LATENCY_BOUNDS, r[4] - r[2])
        hist[bucket] = hist.get(bucket, 0) + 1
    return {
        "sent": len(sent),
        "delivered": delivered,
        "failed": failed,
        "pending": len(sent) - delivered - failed,
        "delivery_rate": delivered / (delivered + failed) if delivered + failed else None,
        "latency_p50_s": percentile(hist, 0.5),
        "latency_p95_s": percentile(hist, 0.95),
        "latency_p99_s": percentile(hist, 0.99),
    }


FAILURES = ("UNDELIV", "MK:0001", "MI:0013", "DB:0144")
#: Number blocks of every carrier (split blocks and an international number among them).
BLOCKS = ("139", "1349", "1703", "1704", "1700", "130", "186", "133", "199", "+8526", "120")
#: Texts of the random traffic: two signatures, one at the end, codes that vary, none.
TEXTS = (
    "【美联软通】您的验证码是{n}，5分钟内有效。",
    "您的订单{n}已发货。【快递通】",
    "【美联软通】账单已出，查询码{n}",
    "no signature {n}",
    "【美联软通】尊敬的用户，您本月的账单已经出来了，账单查询码{n}，如有疑问请致电客服热线，"
    "我们将竭诚为您服务；如需停止接收此类通知，请回复TD退订，感谢您一直以来的支持与信任。",
)


def text_of(row: Row) -> str:
    """The text cached for a row of :func:`random_rows`."""
    n = int(row[0])
    return TEXTS[n % len(TEXTS)].format(n=100000 + n % 900000)


def random_rows(seed: int, n: int, start: float, span: float) -> list[Row]:
    """``n`` messages sent at any second of ``span`` from ``start`` (a tenth at a fraction of
    one), with reports after any delay (a few before the send: clocks differ, a few without
    a platform time, some never), mostly delivered."""
    rng = random.Random(seed)
    rows: list[Row] = []
    for i in range(n):
        sent = start + rng.randrange(int(span))
        if rng.random() < 0.1:
            sent += rng.random()
        kind = rng.random()
        if kind < 0.1:
            status, reported = None, None  # never reported
        else:
            status = "DELIVRD" if rng.random() < 0.85 else rng.choice(FAILURES)
            delay = rng.choice((rng.uniform(-5, 0), rng.randrange(0, 40), rng.randrange(40, 900)))
            if kind > 0.95:
                delay = rng.randrange(1800, 7200)
            reported = None if kind < 0.13 else sent + delay
        block = rng.choice(BLOCKS)
        rows.append(
            (f"{seed:02d}{i:08d}", f"{block}{i:0{11 - len(block)}d}", sent, status, reported)
        )
    return rows


def fill_rows(store: Store, rows: list[Row], cached_at: float, seed: int = 0) -> None:
    """Cache ``rows`` in shuffled chunks, reports before or after their records, at the
    frozen receipt time ``cached_at`` (the time of the reports the platform gave none)."""
    rng = random.Random(seed)
    records = [Record("acme", r[0], (r[1],), text_of(r), utc(r[2])) for r in rows]
    reports = [Report(r[0], r[1], r[3], None if r[4] is None else utc(r[4])) for r in rows if r[3]]
    chunks = [("records", records[i : i + 500]) for i in range(0, len(records), 500)]
    chunks += [("reports", reports[i : i + 500]) for i in range(0, len(reports), 500)]
    rng.shuffle(chunks)
    with mock.patch("time.time", lambda: cached_at):
        for stream, chunk in chunks:
            ingest_items(store, stream, chunk)


def fill_day(store: Store, rows) -> None:
    records = [Record("acme", r[0], (r[1],), "验证码【公司】", utc(r[2])) for r in rows]
    reports = [Report(r[0], r[1], r[3], utc(r[4])) for r in rows]
    half = len(rows) // 2
    ingest_items(store, "records", records[:half])  # records first, then their reports
    ingest_items(store, "reports", reports[:half])
    ingest_items(store, "reports", reports[half:])  # reports waiting for their records
    ingest_items(store, "records", records[half:])
    ingest_items(
        store,
        "replies",
        [
            Reply("13800000001", f"好的{h}", utc(T0 + h * 3600 + 30), reply_id=str(h))
            for h in range(24)
        ]
        + [Reply("13800000002", "TD", utc(T0 + 10 * 3600 + 1200), reply_id="td")],
    )


def carrier_minute(
    store: Store, at: float, mix: dict[str, int], failing: dict[str, float] | None = None
) -> None:
    """One minute of sends from ``at``: ``mix[block]`` messages to numbers of each block,
    spread over the minute, each reported 5 s later; ``failing``: the share of a block's
    messages that fail (MK:0001)."""
    records, reports = [], []
    for block, per_minute in mix.items():
        for i in range(per_minute):
            n = next(_seq)
            msgid, mobile = str(10**13 + n), f"{block}{n:08d}"
            sent = at + i * 60 / per_minute
            status = "MK:0001" if i < (failing or {}).get(block, 0) * per_minute else "DELIVRD"
            records.append(Record("demo", msgid, (mobile,), "x", utc(sent)))
            reports.append(Report(msgid, mobile, status, utc(sent + 5)))
    ingest_items(store, "records", records)
    ingest_items(store, "reports", reports)
