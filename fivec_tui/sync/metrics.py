"""Prometheus metrics, read from the cache at scrape time.

A custom collector computes every number from the store when Prometheus asks, with the same
query functions as ``fivec-tui stats``, so a scrape and ``stats --json`` taken at the same
moment agree.  Job health comes from ``poll_runs``, which the engine writes on every run.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

from prometheus_client import start_http_server
from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.registry import Collector, CollectorRegistry

from ..store import Store, queries
from ..store.codes import by_family
from ..store.rollup import LATENCY_BOUNDS

WINDOWS = {"5m": 300, "1h": 3600, "24h": 86400}


class CacheCollector(Collector):
    def __init__(self, db_path: str | Path, clock=time.time) -> None:
        self.store = Store(db_path, readonly=True)
        self.clock = clock

    def collect(self) -> Iterator:
        now = self.clock()
        per_window = {
            name: GaugeMetricFamily(f"fivec_{name}", help_, labels=["window"])
            for name, help_ in (
                ("sent", "Recipients sent in the window (send records, by send time)"),
                ("delivered", "Of those, reported DELIVRD"),
                ("failed", "Of those, reported with any other status"),
                ("pending", "Of those, with no report yet"),
                ("delivery_rate", "delivered / (delivered + failed) in the window"),
            )
        }
        failures = GaugeMetricFamily(
            "fivec_failures",
            "Failed reports in the window by status family",
            labels=["window", "family"],
        )
        for label, seconds in WINDOWS.items():
            s = queries.summary(self.store, seconds, now)
            for name in ("sent", "delivered", "failed", "pending"):
                per_window[name].add_metric([label], getattr(s, name))
            if s.delivery_rate is not None:
                per_window["delivery_rate"].add_metric([label], s.delivery_rate)
            for family, n in sorted(by_family(s.failures).items()):
                failures.add_metric([label, family], n)
        yield from per_window.values()
        yield failures
        yield self._latency(now)
        yield from self._replies_and_balance(now)
        yield from self._jobs()

    def _latency(self, now: float) -> HistogramMetricFamily:
        lo = int((now - 86400) // 60)
        rows = self.store.query(
            "SELECT bucket, sum(n) AS n, sum(total_s) AS s FROM latency WHERE minute >= ? "
            "GROUP BY bucket",
            (lo,),
        )
        counts = {r["bucket"]: r["n"] for r in rows}
        buckets, total = [], 0
        for i, bound in enumerate(LATENCY_BOUNDS):
            total += counts.get(i, 0)
            buckets.append((str(float(bound)), total))
        total += counts.get(len(LATENCY_BOUNDS), 0)
        buckets.append(("+Inf", total))
        return HistogramMetricFamily(
            "fivec_report_latency_seconds",
            "Send-to-report latency over the last 24 h (bucketed as the cache keeps it)",
            buckets=buckets,
            sum_value=sum(r["s"] for r in rows),
        )

    def _replies_and_balance(self, now: float) -> Iterator:
        replies = CounterMetricFamily("fivec_replies", "Replies in the cache", labels=["kind"])
        row = self.store.query(
            "SELECT count(*) AS n, coalesce(sum(opt_out), 0) AS opt FROM replies"
        )[0]
        replies.add_metric(["all"], row["n"])
        replies.add_metric(["opt_out"], row["opt"])
        yield replies
        b = queries.balance(self.store, 3600, now)
        if b.remaining is not None:
            yield GaugeMetricFamily(
                "fivec_balance_remaining", "Remaining balance", value=b.remaining
            )
            yield GaugeMetricFamily("fivec_balance_total", "Total recharged", value=b.total)
            yield GaugeMetricFamily(
                "fivec_balance_snapshot_timestamp_seconds", "When the balance was read", value=b.at
            )
        if b.burn_per_hour is not None:
            yield GaugeMetricFamily(
                "fivec_balance_burn_per_hour", "Spend over the last hour", value=b.burn_per_hour
            )

    def _jobs(self) -> Iterator:
        runs = CounterMetricFamily(
            "fivec_job_runs", "Sync job runs kept in the cache", labels=["job", "outcome"]
        )
        duration = GaugeMetricFamily(
            "fivec_job_last_duration_seconds", "Last run's duration", labels=["job"]
        )
        last_ok = GaugeMetricFamily(
            "fivec_job_last_success_timestamp_seconds",
            "When the job last succeeded",
            labels=["job"],
        )
        for r in self.store.query(
            "SELECT job, outcome, count(*) AS n FROM poll_runs GROUP BY job, outcome"
        ):
            runs.add_metric([r["job"], r["outcome"]], r["n"])
        for r in self.store.query(
            "SELECT job, duration, (SELECT max(started_at) FROM poll_runs q WHERE q.job = p.job "
            "AND outcome = 'ok') AS ok FROM poll_runs p WHERE id IN "
            "(SELECT max(id) FROM poll_runs GROUP BY job)"
        ):
            duration.add_metric([r["job"]], r["duration"] or 0)
            if r["ok"] is not None:
                last_ok.add_metric([r["job"]], r["ok"])
        yield from (runs, duration, last_ok)


def serve(db_path: str | Path, host: str, port: int) -> CollectorRegistry:
    """Expose the metrics on ``http://host:port/metrics`` from a background thread."""
    registry = CollectorRegistry()
    registry.register(CacheCollector(db_path))
    start_http_server(port, addr=host, registry=registry)
    return registry
