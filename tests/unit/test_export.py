"""Exports read the cache in id order, in batches, from a moment on, with their own columns."""

from __future__ import annotations

from datetime import UTC, datetime

from fivec_tui.api import Report
from fivec_tui.store import Store, ingest_items
from fivec_tui.store.export import export_rows


def test_export_rows_pages_in_id_order_from_a_moment(tmp_path):
    store = Store(tmp_path / "c.db")
    reports = [
        Report(
            f"1000000000{i:04d}", f"1380013{i:04d}", "DELIVRD", datetime.fromtimestamp(1e9 + i, UTC)
        )
        for i in range(12)
    ]
    ingest_items(store, "reports", reports)
    rows = list(export_rows(store, "reports", since=1e9 + 3, batch=5))
    assert [r["msgid"] for r in rows] == [f"1000000000{i:04d}" for i in range(3, 12)]
    assert [r["id"] for r in rows] == sorted(r["id"] for r in rows)
    assert set(rows[0]) == {"id", "msgid", "mobile", "status", "ext", "reported_at"}
    assert list(export_rows(store, "replies", since=None)) == []
