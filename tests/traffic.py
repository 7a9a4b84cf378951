"""Traffic the tests cache: messages sent with their reports at a moment (alert rules), and a
whole day of known traffic with an outage (time-travel), with the numbers expected of it
computed from the rows alone, independently of the rollups."""

from __future__ import annotations

from datetime import UTC, datetime

from fivec_tui.api import Record, Reply, Report
from fivec_tui.store import Store, ingest_items

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


def expected(rows, window_s: float, at: float, known_now: bool = False) -> dict:
    """The numbers at ``at``, to the minute, computed from the traffic rows alone."""
    lo, hi = int((at - window_s) // 60), int(at // 60)
    sent = [r for r in rows if lo <= int(r[2] // 60) <= hi]
    known = [r for r in sent if known_now or int(r[4] // 60) <= hi]
    delivered = sum(1 for r in known if r[3] == "DELIVRD")
    failed = len(known) - delivered
    return {
        "sent": len(sent),
        "delivered": delivered,
        "failed": failed,
        "pending": len(sent) - delivered - failed,
        "delivery_rate": delivered / (delivered + failed) if delivered + failed else None,
    }


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
