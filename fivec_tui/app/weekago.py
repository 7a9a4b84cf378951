"""The dashboard's week-ago table: each window's headline numbers (rate, sent, delivered,
failed, p95, cost per delivered) the same window a week earlier, each marked ``!`` when now
differs from it by more than ``[app] unusual_change`` (a share of it) or, for the rate,
``unusual_points``; "—" while the cache does not go back that far."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.text import Text

from ..i18n import N_, _

if TYPE_CHECKING:
    from ..store.db import Store
    from .dashboard import Dashboard  # (for the type only)

CAPTION = N_("the same windows a week earlier (!: unusually far from now)")


class WeekAgo:
    """Reads each window's cost, and the window a week earlier, for a dashboard load; the
    week-ago numbers once a minute (the past changes only by its rare late reports), or
    again while some are missing (the demo's past coming in)."""

    def __init__(self, windows: tuple[tuple[str, int], ...]) -> None:
        self.windows = windows
        self.minute, self.week = -1, []

    def read(self, store: Store, now: float, known_at: float | None) -> dict:
        from ..store import breakdown

        windows = self.windows
        minute = int(now // 60) if known_at is None else -int(now)
        if self.minute != minute or None in self.week:
            self.week = [breakdown.week_earlier(store, w, now, known_at) for _, w in windows]
            self.minute = minute
        return {
            "cost": [breakdown.cost(store, w, now, known_at) for _, w in windows],
            "week": self.week,
        }


def rows(data: Dashboard, margins: tuple[float, float], windows: tuple) -> list:
    """The table's rows, one a window of ``windows`` (label, seconds): its numbers a week
    earlier, marked."""
    change, points = margins
    out = []
    for i, (label, _seconds) in enumerate(windows):
        then = (data.week or [None] * len(windows))[i]
        if then is None:
            out.append((label, (_(label), *("—",) * 6)))
            continue
        s, (was, cost) = data.summaries[i], then
        now_cost = (data.cost or [{}] * len(windows))[i].get("per_delivered")
        cells = [
            (s.delivery_rate, was.delivery_rate, points, True, lambda v: f"{v:.1%}"),
            *(
                (getattr(s, k), getattr(was, k), change, False, str)
                for k in ("sent", "delivered", "failed")
            ),
            (s.latency_p95_s, was.latency_p95_s, change, False, lambda v: f"{v:.0f}s"),
            (now_cost, cost["per_delivered"], change, False, lambda v: f"{v:.4f}"),
        ]
        out.append((label, (_(label), *(marked(*c) for c in cells))))
    return out


def marked(now, then, margin: float, points: bool, shown) -> Text:
    """A week-ago value, with ``!`` in bold when ``now`` differs from it by more than
    ``margin``."""
    from .breakdown import unusual

    if then is None:
        return Text("—")
    if unusual(now, then, margin, points):
        return Text(shown(then) + " !", "bold yellow")
    return Text(shown(then))
