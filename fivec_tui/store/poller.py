"""What a poller (``fivec-tui poll``) leaves in the cache for whoever reads it: each job's
health after its last run (``job_health``), and the account's consent to destructive pulls.

The TUI, ``stats --all`` and the Accounts overview read the poller's state here rather than
asking the process: a daemon the TUI did not start, or one that has already exited, is read
the same way.  Each row carries the pid of the poller that wrote it, so that a reader can
tell the rows of the poller it watches from those a stopped one left behind.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, fields

from .db import Store

#: Settings key (per platform username) of the consent to pull reports and replies.
CONSENT_KEY = "consent.destructive"
#: The streams whose pull takes the data away from any other consumer of the account.
DESTRUCTIVE = ("reports", "replies")


def destructive_streams(streams: Mapping[str, str]) -> list[str]:
    """Of a profile's ``streams``, those pulled that take data from other consumers."""
    return [name for name in DESTRUCTIVE if streams.get(name, "pull") == "pull"]


def consented(store: Store, username: str) -> bool:
    return store.get_setting(f"{CONSENT_KEY}.{username}") == "yes"


def grant_consent(store: Store, username: str) -> None:
    """Remember that ``username``'s reports and replies may be taken by this tool (what
    ``poll --yes`` and a yes in the TUI record)."""
    store.set_setting(f"{CONSENT_KEY}.{username}", "yes")


def job_status(mode: str, note: str, failures: int, last_success: float | None) -> str:
    """``off``, ``waiting`` (a note says for what), ``failing`` (3 failures in a row or
    more), ``degraded``, ``ok``, or ``starting`` (never succeeded yet)."""
    if mode == "off":
        return "off"
    if note:
        return "waiting"
    if failures:
        return "failing" if failures >= 3 else "degraded"
    return "ok" if last_success else "starting"


@dataclass(frozen=True)
class JobHealth:
    """One job as its poller last wrote it (times in epoch seconds).

    ``next_run`` is None when the job is not scheduled (off, push); ``needs_person``: the last
    error was about credentials or the IP binding and will not heal by itself.
    """

    job: str
    mode: str
    status: str
    last_run: float | None = None
    last_success: float | None = None
    failures: int = 0
    failing_since: float | None = None
    next_run: float | None = None
    backoff_s: float = 0.0
    note: str = ""
    last_error: str = ""
    needs_person: bool = False
    pid: int | None = None

    @property
    def scheduled(self) -> bool:
        return self.mode not in ("off", "push")


COLUMNS = tuple(f.name for f in fields(JobHealth))


def upsert_health(store: Store, health: JobHealth) -> None:
    """Write one job's row, inside the caller's transaction (an upsert: a job keeps its
    place)."""
    store.db["job_health"].upsert(asdict(health), pk="job")


def start_health(store: Store, jobs: list[JobHealth]) -> None:
    """A poller starting: its jobs replace whatever the last one left, in its order."""
    with store.transaction():
        store.db["job_health"].delete_where()
        for health in jobs:
            upsert_health(store, health)


def job_health(store: Store) -> list[JobHealth]:
    """Every job's row, in the order its poller listed them."""
    return [
        JobHealth(**{**row, "needs_person": bool(row["needs_person"])})
        for row in store.query(f"SELECT {', '.join(COLUMNS)} FROM job_health ORDER BY rowid")
    ]
