"""What the screens show of outside text and of numbers: controls and bidi made visible,
never markup; counts that fit a narrow box."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime

from hypothesis import given
from hypothesis import strategies as st
from rich.cells import cell_len
from rich.text import Text

from fivec_tui.app.format import count, duration, fitting, safe_text
from fivec_tui.text import visible


def test_visible_escapes_controls_and_bidi():
    assert visible("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert visible("\u202e\x9b\x00") == "\\u202e\\x9b\\x00"
    assert isinstance(safe_text("[/]"), Text) and safe_text("[/]").plain == "[/]"


@given(st.integers(min_value=0, max_value=10**14))
def test_counts_fit_a_narrow_box_and_stay_close(n):
    """Counts in the rate boxes: exact below 10,000, else at most five characters within
    0.5% of the truth."""
    shown = count(n)
    if n < 10_000:
        assert shown == str(n)
        return
    assert len(shown) <= 5
    scale = {"k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}[shown[-1]]
    assert abs(float(shown[:-1]) * scale - n) <= 0.005 * n


def test_a_negative_latency_keeps_its_sign():
    """A report dated before its send (a clock wrong somewhere) showed as a long latency."""
    assert duration(-63_931_000_000) == "-739942.1d" and duration(-30) == "-30s"
    assert duration(30) == "30s" and duration(-0.2) == "0s"


def test_the_feed_is_newest_arrival_first_whatever_the_platform_time_says():
    """Reports dated 2099 by a wrong clock sat at the top of the feed and pushed new ones out."""
    from fivec_tui.app.dashboard_rows import feed_of

    future = {"id": 1, "reported_at": 4_102_000_000.0, "mobile": "1", "status": "DELIVRD"}
    reports = [
        {
            "id": 3,
            "reported_at": 1_700_000_100.0,
            "mobile": "3",
            "status": "DELIVRD",
            "cached_at": 1_700_000_101,
        },
        {**future, "cached_at": 1_700_000_050},
    ]
    replies = [
        {
            "id": 2,
            "received_at": 1_700_000_090.0,
            "mobile": "2",
            "content": "hi",
            "cached_at": 1_700_000_095,
        }
    ]
    assert [item.key for item in feed_of(reports, replies)] == ["r3", "m2", "r1"]


@given(st.lists(st.integers(min_value=0, max_value=10**14), min_size=2, max_size=2))
def test_a_line_of_counts_is_abbreviated_until_it_fits(counts):
    """A rate box's line at 80 columns (17 cells), in Chinese too: never cut, each count
    within 5% of the truth (two significant digits at worst)."""
    sent, ok = counts
    for template, width in (("sent {} ok {}", 17), ("发送{} 成功{}", 17)):
        line = fitting(lambda form, t=template: t.format(form(sent), form(ok)), width)
        assert cell_len(line) <= width, line
        shown = [
            float(number) * {"": 1, "k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}[unit]
            for number, unit in re.findall(r"(\d+(?:\.\d+)?)([kMGT]?)", line)
        ]
        assert len(shown) == 2
        for n, near in zip(counts, shown, strict=True):
            assert abs(near - n) <= 0.05 * n, line


def test_counts_stay_exact_while_they_fit():
    assert fitting(lambda form: f"sent {form(9999)} ok {form(9876)}", 17) == "sent 9999 ok 9876"
    assert fitting(lambda form: f"发送{form(12_600)} 成功{form(12_345)}", 17) == "发送13k 成功12k"
    assert fitting(lambda form: f"sent {form(12_600)}", 0) == "sent 12.6k"  # not laid out


def test_the_feed_reads_the_newest_by_platform_time_not_the_last_stored(tmp_path):
    """The demo's past, written after the live traffic, filled the feed with days-old reports
    shown by their time alone, as if they were today's (a newcomer's finding)."""
    from fivec_tui.api import Reply, Report
    from fivec_tui.app.dashboard_rows import DATED_AFTER_S, feed_of
    from fivec_tui.store import Store, ingest_items, queries

    now = float(int(time.time()))  # rows are cached now: their platform times around it
    store = Store(tmp_path / "c.db")
    at = datetime.fromtimestamp
    ingest_items(
        store, "reports", [Report(str(10**13 + 1), "13800000001", "DELIVRD", at(now - 5, UTC))]
    )
    ingest_items(store, "replies", [Reply("13800000002", "TD", at(now - 9, UTC))])
    backfill = [
        Report(str(10**13 + i), f"1390000{i:04d}", "DELIVRD", at(now - 3 * 86400 + i, UTC))
        for i in range(30)
    ]
    ingest_items(store, "reports", backfill)  # stored last, three days old
    ingest_items(
        store,
        "reports",
        [Report(str(10**13 + 99), "13800000099", "DELIVRD", at(now + 86400 * 365 * 70, UTC))],
    )
    feed = feed_of(*queries.latest(store, now + 300))
    assert [f.mobile for f in feed[:2]] == ["13800000001", "13800000002"]
    assert "13800000099" not in [f.mobile for f in feed]  # a clock 70 years ahead: left out
    assert all(now - f.at > DATED_AFTER_S for f in feed[2:])  # shown with their day
