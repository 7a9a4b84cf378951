"""Alert rules, evaluated by the sync engine so the headless daemon alerts with no TUI open.

Each rule looks at the cache (and the engine's job health) and says, per key, whether its
condition holds.  :class:`Alerter` turns that into events: ``firing`` once, ``repeat`` every
``repeat_s`` while it holds, ``resolved`` when it clears.  Events are stored and handed to
the sinks (log, shell command, webhook, and the TUI through a callback).  The set of active
alerts is kept in the cache, so a restarted daemon does not fire again what already fired.

Configure per profile under ``[profiles.NAME.alerts]``; see :data:`DEFAULTS` for every key.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import httpx

from ..api.redact import mask_url, mask_urls
from ..store import Store, queries
from ..store import ingest as store_ingest
from ..store.codes import describe

log = logging.getLogger("fivec_tui.alerts")
ACTIVE_KEY = "alerts.active"

DEFAULTS: dict[str, Any] = {
    "interval_s": 30.0,  # how often rules are evaluated
    "repeat_s": 1800.0,  # a holding alert is sent again this often
    "rate_window_s": 900.0,  # delivery rate: window,
    "rate_below": 0.90,  # absolute floor,
    "rate_min_volume": 50,  # finished messages needed before judging,
    "baseline_days": 7,  # and the same hour of the previous days,
    "baseline_drop": 0.10,  # fire when this far below that baseline
    "spike_families": ["blacklist", "content", "gateway"],  # failure families watched,
    "spike_share": 0.05,  # share of finished messages in the window,
    "spike_min": 20,  # and a minimum count
    "pending_after_s": 900.0,  # reports older than this still missing,
    "pending_above": 50,  # more than this many
    "balance_below": 1000.0,
    "runs_out_within_h": 24.0,
    "job_failing_s": 600.0,  # a job failing for this long (auth/IP errors: at once)
    "opt_out_window_s": 3600.0,
    "opt_out_above": 20,
    "command": "",  # shell command run with FIVEC_ALERT_* in its environment
    "webhook": "",  # URL that receives a JSON POST
    "webhook_retries": 3,
}


@dataclass
class Condition:
    """A rule's verdict for one key at one moment."""

    rule: str
    key: str
    holds: bool
    message: str
    fields: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return f"{self.rule}:{self.key}"


@dataclass
class Event:
    state: str  # firing | repeat | resolved
    condition: Condition
    at: float

    def payload(self, profile: str) -> dict[str, Any]:
        return {
            "profile": profile,
            "rule": self.condition.rule,
            "key": self.condition.key,
            "state": self.state,
            "message": self.condition.message,
            "at": self.at,
            **{f"value_{k}": v for k, v in self.condition.fields.items()},
        }


def config(alerts: dict[str, Any]) -> dict[str, Any]:
    """The profile's alert settings over the defaults; unknown keys are an error."""
    unknown = set(alerts) - set(DEFAULTS)
    if unknown:
        raise ValueError(f"alerts: unknown settings {sorted(unknown)}")
    return {**DEFAULTS, **alerts}


def delivery_rate(store: Store, c: dict, now: float) -> Iterable[Condition]:
    current = queries.summary(store, c["rate_window_s"], now)
    rate, finals = current.delivery_rate, current.delivered + current.failed
    delivered = finals_total = 0
    for day in range(1, int(c["baseline_days"]) + 1):
        past = queries.summary(store, c["rate_window_s"], now - day * 86400)
        delivered, finals_total = (
            delivered + past.delivered,
            finals_total + past.delivered + past.failed,
        )
    baseline = delivered / finals_total if finals_total >= c["rate_min_volume"] else None
    low = rate is not None and rate < c["rate_below"]
    dropped = rate is not None and baseline is not None and rate < baseline - c["baseline_drop"]
    holds = finals >= c["rate_min_volume"] and (low or dropped)
    window = f"{c['rate_window_s'] / 60:.0f} min"
    why = (
        f"below {c['rate_below']:.0%}"
        if low
        else (f"{baseline - rate:.0%} below the usual {baseline:.1%}" if dropped else "")
    )
    message = (
        f"delivery rate {rate:.1%} over the last {window} ({finals} finished){', ' + why if why else ''}"
        if rate is not None
        else f"no finished messages in the last {window}"
    )
    yield Condition(
        "delivery_rate",
        "all",
        holds,
        message,
        {"rate": rate, "finished": finals, "baseline": baseline, "window_s": c["rate_window_s"]},
    )


def failure_spike(store: Store, c: dict, now: float) -> Iterable[Condition]:
    s = queries.summary(store, c["rate_window_s"], now)
    finals = s.delivered + s.failed
    by_family: dict[str, int] = {}
    for code, n in s.failures.items():
        fam = describe(code).family
        by_family[fam] = by_family.get(fam, 0) + n
    for fam in c["spike_families"]:
        n = by_family.get(fam, 0)
        share = n / finals if finals else 0.0
        holds = n >= c["spike_min"] and share >= c["spike_share"]
        yield Condition(
            "failure_spike",
            fam,
            holds,
            f"{n} '{fam}' failures ({share:.1%} of {finals}) in {c['rate_window_s'] / 60:.0f} min",
            {"family": fam, "count": n, "share": share},
        )


def pending(store: Store, c: dict, now: float) -> Iterable[Condition]:
    n = queries.pending_older_than(store, c["pending_after_s"], 86400, now)
    yield Condition(
        "pending",
        "reports",
        n > c["pending_above"],
        f"{n} recipients still without a report {c['pending_after_s'] / 60:.0f}+ min after sending",
        {"count": n},
    )


def balance(store: Store, c: dict, now: float) -> Iterable[Condition]:
    b = queries.balance(store, 3600, now)
    if b.remaining is None:
        return
    low = b.remaining < c["balance_below"]
    soon = b.runs_out_in_s is not None and b.runs_out_in_s < c["runs_out_within_h"] * 3600
    left = (
        f", runs out in {b.runs_out_in_s / 3600:.1f} h at {b.burn_per_hour:,.0f}/h"
        if b.runs_out_in_s
        else ""
    )
    yield Condition(
        "balance",
        "account",
        low or soon,
        f"balance {b.remaining:,.0f}{left}",
        {"remaining": b.remaining, "runs_out_in_s": b.runs_out_in_s},
    )


def opt_outs(store: Store, c: dict, now: float) -> Iterable[Condition]:
    n = store.scalar(
        "SELECT count(*) FROM replies WHERE opt_out = 1 AND received_at >= ?",
        (now - c["opt_out_window_s"],),
    )
    yield Condition(
        "opt_outs",
        "replies",
        n > c["opt_out_above"],
        f"{n} opt-out replies in the last {c['opt_out_window_s'] / 60:.0f} min",
        {"count": n},
    )


def jobs(job_states: dict, c: dict, now: float) -> Iterable[Condition]:
    for name, job in job_states.items():
        never_heals = job.failures and job.needs_person
        long_failing = (
            job.failing_since is not None and now - job.failing_since >= c["job_failing_s"]
        )
        yield Condition(
            "job",
            name,
            bool(never_heals or long_failing),
            f"sync job {name} failing {job.failures}x: {job.last_error}",
            {"job": name, "failures": job.failures, "error": job.last_error},
        )


RULES: list[Callable[[Store, dict, float], Iterable[Condition]]] = [
    delivery_rate,
    failure_spike,
    pending,
    balance,
    opt_outs,
]


@dataclass
class Alerter:
    """Evaluates the rules and emits events to the sinks."""

    profile: str
    store: Store
    settings: dict[str, Any]
    clock: Callable[[], float] = time.time

    def __post_init__(self) -> None:
        self.active: dict[str, float] = json.loads(self.store.get_setting(ACTIVE_KEY, "{}") or "{}")

    def evaluate(self, job_states: dict | None = None) -> list[Event]:
        """Run every rule once; returns the events it emitted (already stored and sent)."""
        now = self.clock()
        conditions = [cond for rule in RULES for cond in rule(self.store, self.settings, now)]
        conditions += list(jobs(job_states or {}, self.settings, now))
        events = []
        for cond in conditions:
            last = self.active.get(cond.id)
            if cond.holds and last is None:
                events.append(Event("firing", cond, now))
            elif cond.holds and now - last >= self.settings["repeat_s"]:
                events.append(Event("repeat", cond, now))
            elif not cond.holds and last is not None:
                events.append(Event("resolved", cond, now))
        for event in events:
            if event.state == "resolved":
                self.active.pop(event.condition.id, None)
            else:
                self.active[event.condition.id] = now
            store_ingest.add_alert(
                self.store,
                event.condition.rule,
                event.state,
                event.condition.message,
                event.payload(self.profile),
            )
            log.warning("ALERT %s %s: %s", event.state, event.condition.id, event.condition.message)
        if events:
            self.store.set_setting(ACTIVE_KEY, json.dumps(self.active))
        return events


def for_profile(profile: Any, store: Store) -> Alerter:
    """The alerter a profile's ``alerts`` table asks for (ValueError on unknown settings)."""
    return Alerter(profile.name, store, config(profile.alerts))


#: What the alert command inherits from the daemon: a shell that finds its tools and writes
#: Chinese text in the user's locale.  Nothing else (FIVEC_PASSWORD, FIVEC_APIKEY, a proxy
#: token...) reaches a command that may be a third-party script.
COMMAND_ENV = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "LC_MESSAGES", "TZ")


def command_env(payload: dict[str, Any]) -> dict[str, str]:
    """The alert command's whole environment: :data:`COMMAND_ENV` plus ``FIVEC_ALERT_*``."""
    env = {k: os.environ[k] for k in COMMAND_ENV if k in os.environ}
    env.setdefault("PATH", os.defpath)
    env |= {f"FIVEC_ALERT_{k.upper()}": "" if v is None else str(v) for k, v in payload.items()}
    return env


async def deliver(
    event: Event, profile: str, settings: dict[str, Any], http: httpx.AsyncClient
) -> None:
    """Run the command and POST the webhook for one event.  Failures are logged, never raised."""
    payload = event.payload(profile)
    if settings["command"]:
        env = command_env(payload)
        proc = await asyncio.create_subprocess_shell(
            settings["command"],
            env=env,
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=asyncio.subprocess.PIPE,
        )
        _, stderr = await proc.communicate()
        if proc.returncode:
            log.error(
                "alert command exited %s: %s",
                proc.returncode,
                mask_urls(stderr.decode(errors="replace")[:300]),
            )
    if settings["webhook"]:
        for attempt in range(int(settings["webhook_retries"]) + 1):
            try:
                r = await http.post(settings["webhook"], json=payload, timeout=10)
                if r.status_code < 300:
                    return
                error = f"HTTP {r.status_code}"
            except (httpx.HTTPError, httpx.InvalidURL) as exc:  # InvalidURL: not an HTTPError
                error = f"{type(exc).__name__}: {exc}"
            log.warning(
                "alert webhook %s attempt %d failed: %s",
                mask_url(settings["webhook"]),
                attempt + 1,
                mask_urls(error),
            )
            await asyncio.sleep(min(2**attempt, 30))
