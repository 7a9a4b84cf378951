"""The post-incident report's numbers, from the cache (``store.asof``), as known at its end.

A span ``[start, end]`` is the window of ``end`` that ``stats --at END --window END-START``
sums (send minutes, reports by their platform time up to ``end``), so the report and
``stats --at`` give the same numbers.  The baseline is the same minutes of each of the
``compare_days`` days before, each as known at its own end.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from ..store import Store, asof
from ..store.codes import describe
from ..store.queries import BalanceView, Summary, summarise

#: Top affected prefixes shown.
TOP_PREFIXES = 10


@dataclass
class Minute:
    """One send minute: counts, rate, latency, failures by code, and the baseline's."""

    minute: int
    sent: int = 0
    delivered: int = 0
    failed: int = 0
    rate: float | None = None
    p50_s: float | None = None
    p95_s: float | None = None
    failures: dict[str, int] = field(default_factory=dict)
    baseline_sent: float | None = None
    baseline_rate: float | None = None


@dataclass
class Incident:
    start: float
    end: float
    compare_days: int
    floor: float
    summary: Summary
    baseline: Summary | None
    minutes: list[Minute]
    failures: list[dict]  # code, n, family, family_label, meaning
    families: list[str]  # failure families, most failures first
    prefixes: list[dict]  # prefix, sent, delivered, failed, rate: most failures first
    alerts: list[dict]  # events in the span, and those already firing at its start
    replies: dict[str, int]
    balance: BalanceView
    balance_start: float | None

    @property
    def below_floor(self) -> list[Minute]:
        """Minutes whose rate (of the reports known at the end) was under the alert floor."""
        return [m for m in self.minutes if m.rate is not None and m.rate < self.floor]

    @property
    def worst(self) -> Minute | None:
        rated = [m for m in self.minutes if m.rate is not None]
        return min(rated, key=lambda m: (m.rate, -m.failed)) if rated else None


def _minute(minute: int, part: dict | None) -> Minute:
    if not part:
        return Minute(minute)
    s = summarise(60, part["counts"], part["hist"])
    return Minute(
        minute,
        s.sent,
        s.delivered,
        s.failed,
        s.delivery_rate,
        s.latency_p50_s,
        s.latency_p95_s,
        s.failures,
    )


def incident(
    store: Store,
    start: float,
    end: float,
    *,
    compare_days: int = 7,
    floor: float = 0.9,
    known_now: bool = False,
) -> Incident:
    span = end - start
    summary = asof.summary_at(store, span, end, known_now)
    parts = asof.minutes_at(store, span, end, known_now)
    lo, hi = int(start // 60), int(end // 60)
    minutes = [_minute(m, parts.get(m)) for m in range(lo, hi + 1)]
    baseline = _baseline(store, span, end, compare_days, known_now, minutes)
    failures = [
        {
            "status": code,
            "n": n,
            "family": (info := describe(code)).family,
            "family_label": info.family_label,
            "meaning": info.meaning,
        }
        for code, n in summary.failures.items()
    ]
    by_family: dict[str, int] = {}
    for f in failures:
        by_family[f["family"]] = by_family.get(f["family"], 0) + f["n"]
    prefixes = []
    for p in asof.prefixes_at(store, span, end, known_now):
        finals = p["delivered"] + p["failed"]
        prefixes.append(p | {"rate": p["delivered"] / finals if finals else None})
    prefixes.sort(key=lambda p: (-p["failed"], p["prefix"]))
    firing = asof.alerts_firing(store, start)
    events = asof.alert_events(store, start, end)
    balance = asof.balance_at(store, span, end)
    return Incident(
        start=start,
        end=end,
        compare_days=compare_days,
        floor=floor,
        summary=summary,
        baseline=baseline,
        minutes=minutes,
        failures=failures,
        families=sorted(by_family, key=lambda f: -by_family[f]),
        prefixes=prefixes[:TOP_PREFIXES],
        alerts=[*firing, *(e for e in events if e["id"] not in {f["id"] for f in firing})],
        replies=asof.replies_between(store, start, end),
        balance=balance,
        balance_start=balance.history[0]["remaining"] if balance.history else None,
    )


def _baseline(
    store: Store, span: float, end: float, days: int, known_now: bool, minutes: list[Minute]
) -> Summary | None:
    """The same minutes of the ``days`` days before: their summed summary, and per minute
    the mean volume and the pooled rate (set on ``minutes``)."""
    if days <= 0:
        return None
    counts: dict[str, int] = {}
    hist: dict[int, int] = {}
    pooled: dict[int, list[int]] = {}  # offset -> [sent, delivered, finals]
    for day in range(1, days + 1):
        at = end - day * 86400
        shift = day * 1440
        for minute, part in asof.minutes_at(store, span, at, known_now).items():
            for status, n in part["counts"].items():
                counts[status] = counts.get(status, 0) + n
            for bucket, n in part["hist"].items():
                hist[bucket] = hist.get(bucket, 0) + n
            m = _minute(minute + shift, part)
            slot = pooled.setdefault(minute + shift, [0, 0, 0])
            slot[0] += m.sent
            slot[1] += m.delivered
            slot[2] += m.delivered + m.failed
    for m in minutes:
        sent, delivered, finals = pooled.get(m.minute, [0, 0, 0])
        m.baseline_sent = sent / days
        m.baseline_rate = delivered / finals if finals else None
    return summarise(span, counts, hist)
