"""Prometheus metrics, read from the caches at scrape time.

A custom collector computes every number from the store when Prometheus asks, with the same
query functions as ``fivec-tui stats``, so a scrape and ``stats --json`` taken at the same
moment agree.  Job health comes from ``poll_runs``, which the engine writes on every run.
Every sample carries a ``profile`` label: one endpoint serves one account (``poll``) or all
of them (``poll --all``), and dashboards and alerts select or route by it.

The port is served by the push receiver's hardened server (:mod:`.httpd`: caps per address
and in all, header timeout, no body, calm when file descriptors run out), in a thread and
event loop of its own: a flood on this port never holds up the daemon's loop (pulls, push
receiver), and a scrape is collected in a worker thread while the port keeps accepting.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
)
from prometheus_client.exposition import choose_encoder
from prometheus_client.registry import Collector, CollectorRegistry

from ..store import Store, queries
from ..store.codes import by_family
from ..store.rollup import LATENCY_BOUNDS
from .httpd import Answer, HttpServer, Limits, Request, default_total

WINDOWS = {"5m": 300, "1h": 3600, "24h": 86400}
PER_WINDOW = (
    ("sent", "Recipients sent in the window (send records, by send time)"),
    ("delivered", "Of those, reported DELIVRD"),
    ("failed", "Of those, reported with any other status"),
    ("pending", "Of those, with no report yet"),
    ("delivery_rate", "delivered / (delivered + failed) in the window"),
)
BALANCE = (  # (attribute of queries.balance(), metric, help)
    ("remaining", "fivec_balance_remaining", "Remaining balance"),
    ("total", "fivec_balance_total", "Total recharged"),
    ("at", "fivec_balance_snapshot_timestamp_seconds", "When the balance was read"),
    ("burn_per_hour", "fivec_balance_burn_per_hour", "Spend over the last hour"),
)


class CacheCollector(Collector):
    """``accounts``: profile name -> cache path, or one cache path (profile ``default``)."""

    def __init__(self, accounts: Mapping[str, str | Path] | str | Path, clock=time.time) -> None:
        if not isinstance(accounts, Mapping):
            accounts = {"default": accounts}
        self.stores = {name: Store(path, readonly=True) for name, path in accounts.items()}
        self.clock = clock

    def collect(self) -> Iterator:
        now = self.clock()
        families = {
            name: GaugeMetricFamily(f"fivec_{name}", help_, labels=["profile", "window"])
            for name, help_ in PER_WINDOW
        }
        families["failures"] = GaugeMetricFamily(
            "fivec_failures",
            "Failed reports in the window by status family",
            labels=["profile", "window", "family"],
        )
        families["replies"] = CounterMetricFamily(
            "fivec_replies", "Replies in the cache", labels=["profile", "kind"]
        )
        for key, metric, help_ in BALANCE:
            families[key] = GaugeMetricFamily(metric, help_, labels=["profile"])
        families["runs"] = CounterMetricFamily(
            "fivec_job_runs",
            "Sync job runs kept in the cache",
            labels=["profile", "job", "outcome"],
        )
        families["duration"] = GaugeMetricFamily(
            "fivec_job_last_duration_seconds", "Last run's duration", labels=["profile", "job"]
        )
        families["last_ok"] = GaugeMetricFamily(
            "fivec_job_last_success_timestamp_seconds",
            "When the job last succeeded",
            labels=["profile", "job"],
        )
        families["latency"] = HistogramMetricFamily(
            "fivec_report_latency_seconds",
            "Send-to-report latency over the last 24 h by carrier (bucketed as the cache "
            "keeps it; the carrier is a hint: numbers can be ported)",
            labels=["profile", "carrier"],
        )
        for profile, store in self.stores.items():
            self._delivery(profile, store, now, families)
            self._latency(profile, store, now, families["latency"])
            self._replies_and_balance(profile, store, now, families)
            self._jobs(profile, store, families)
        yield from families.values()

    def _delivery(self, profile: str, store: Store, now: float, families: dict) -> None:
        for label, seconds in WINDOWS.items():
            s = queries.summary(store, seconds, now)
            for name in ("sent", "delivered", "failed", "pending"):
                families[name].add_metric([profile, label], getattr(s, name))
            if s.delivery_rate is not None:
                families["delivery_rate"].add_metric([profile, label], s.delivery_rate)
            for family, n in sorted(by_family(s.failures).items()):
                families["failures"].add_metric([profile, label, family], n)

    def _latency(
        self, profile: str, store: Store, now: float, family: HistogramMetricFamily
    ) -> None:
        """One histogram per carrier (ids of :mod:`fivec_tui.api.carriers`; ``unknown`` also
        holds what was cached before latency was kept by carrier)."""
        lo = int((now - 86400) // 60)
        rows = store.query(
            "SELECT carrier, bucket, sum(n) AS n, sum(total_s) AS s FROM latency "
            "WHERE minute >= ? GROUP BY carrier, bucket",
            (lo,),
        )
        by_carrier: dict[str, dict[int, tuple[int, float]]] = {}
        for r in rows:
            by_carrier.setdefault(r["carrier"], {})[r["bucket"]] = (r["n"], r["s"])
        for carrier, counts in sorted(by_carrier.items()):
            buckets, total = [], 0
            for i, bound in enumerate(LATENCY_BOUNDS):
                total += counts.get(i, (0, 0))[0]
                buckets.append((str(float(bound)), total))
            total += counts.get(len(LATENCY_BOUNDS), (0, 0))[0]
            buckets.append(("+Inf", total))
            sum_value = sum(s for _n, s in counts.values())
            family.add_metric([profile, carrier], buckets, sum_value=sum_value)

    def _replies_and_balance(self, profile: str, store: Store, now: float, families: dict) -> None:
        row = store.query("SELECT count(*) AS n, coalesce(sum(opt_out), 0) AS opt FROM replies")[0]
        families["replies"].add_metric([profile, "all"], row["n"])
        families["replies"].add_metric([profile, "opt_out"], row["opt"])
        b = queries.balance(store, 3600, now)
        if b.remaining is not None:
            for key in ("remaining", "total", "at"):
                families[key].add_metric([profile], getattr(b, key))
        if b.burn_per_hour is not None:
            families["burn_per_hour"].add_metric([profile], b.burn_per_hour)

    def _jobs(self, profile: str, store: Store, families: dict) -> None:
        for r in store.query(
            "SELECT job, outcome, count(*) AS n FROM poll_runs GROUP BY job, outcome"
        ):
            families["runs"].add_metric([profile, r["job"], r["outcome"]], r["n"])
        for r in store.query(
            "SELECT job, duration, (SELECT max(started_at) FROM poll_runs q WHERE q.job = p.job "
            "AND outcome = 'ok') AS ok FROM poll_runs p WHERE id IN "
            "(SELECT max(id) FROM poll_runs GROUP BY job)"
        ):
            families["duration"].add_metric([profile, r["job"]], r["duration"] or 0)
            if r["ok"] is not None:
                families["last_ok"].add_metric([profile, r["job"]], r["ok"])


class Scrapes:
    """The metrics port's one page: ``GET /metrics``, in the format the scraper accepts."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.registry = registry

    def check(self, request: Request) -> Answer | None:
        if request.path != "/metrics":
            return Answer(404, "not found: the metrics are at /metrics\n")
        if request.method != "GET":
            return Answer(405, "GET only\n", close=True)
        return None

    async def handle(self, request: Request, body: bytes) -> Answer:
        encode, content_type = choose_encoder(request.headers.get("accept", ""))
        # Collecting reads the caches: in a worker thread, so that this server's loop keeps
        # accepting, timing out and evicting connections meanwhile.
        text = await asyncio.to_thread(encode, self.registry)
        return Answer(200, text, content_type=content_type)


def limits() -> Limits:
    """A scraper sends one small GET at a time: a few connections per address, and no body."""
    total = min(32, default_total())
    return Limits(header_timeout=10.0, max_body=0, max_buffered=0, per_peer=8, total=total)


def serve(accounts: Mapping[str, str | Path], host: str, port: int) -> HttpServer:
    """Expose the accounts' metrics (profile name -> cache) on ``http://host:port/metrics``
    from a thread of its own; the server (``port``: the bound one).  A port that cannot be
    listened on is a ValueError saying why."""
    registry = CollectorRegistry()
    registry.register(CacheCollector(accounts))
    server = HttpServer(Scrapes(registry), limits(), "metrics", logging.getLogger(__name__))
    loop = asyncio.new_event_loop()
    threading.Thread(target=loop.run_forever, name="metrics", daemon=True).start()
    try:
        asyncio.run_coroutine_threadsafe(server.start(host, port), loop).result()
    except OSError as exc:
        loop.call_soon_threadsafe(loop.stop)
        raise ValueError(f"cannot serve metrics on {host}:{port}: {exc.strerror or exc}") from None
    return server
