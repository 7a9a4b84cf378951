"""The rows of the dashboard's live feed and sync-jobs tables, from what the cache holds."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text

from ..i18n import N_, _
from .format import ago, duration

if TYPE_CHECKING:
    from ..store.poller import JobHealth


@dataclass(frozen=True)
class FeedItem:
    """A report or a reply in the live feed."""

    kind: str  # N_("report") or N_("reply")
    at: float | None
    mobile: str
    what: str  # the report's status, the reply's text
    key: str  # the row key: r<id> or m<id>


#: How each job state is shown in the jobs' table.
JOB_STYLE = {"ok": "green", "degraded": "yellow", "failing": "bold red", "waiting": "yellow"}


def health_rows(jobs: list[JobHealth], now: float) -> list:
    """The jobs' table: each job as its poller last wrote it (started here or not)."""
    return [
        (
            j.job,
            (
                _(j.job),
                _(j.mode) if j.mode else "",
                Text(_(j.status), JOB_STYLE.get(j.status, "")),
                ago(j.last_success, now),
                str(j.failures),
                "—" if j.next_run is None else duration(max(j.next_run - now, 0)),
            ),
        )
        for j in jobs
    ]


def feed_of(reports: list[dict], replies: list[dict]) -> list[FeedItem]:
    """The live feed: the newest reports and replies together, newest first, by platform time;
    a row whose platform time is after it reached the cache (a clock far ahead: 2099) by when
    it came instead, so that it cannot pin itself to the top and push the new ones out."""
    items = [
        (r, FeedItem(N_("report"), r["reported_at"], r["mobile"], r["status"], f"r{r['id']}"))
        for r in reports
    ] + [
        (r, FeedItem(N_("reply"), r["received_at"], r["mobile"], r["content"], f"m{r['id']}"))
        for r in replies
    ]

    def newest(pair: tuple[dict, FeedItem]) -> float:
        came, at = pair[0].get("cached_at"), pair[1].at or 0
        return came if came is not None and at > came + CLOCK_SKEW_S else at

    items.sort(key=newest, reverse=True)
    return [item for _row, item in items[:16]]


#: How far ahead of this machine the platform's clock may be before a time is taken as wrong.
CLOCK_SKEW_S = 300
#: A feed row older than this says its day too.
DATED_AFTER_S = 12 * 3600
