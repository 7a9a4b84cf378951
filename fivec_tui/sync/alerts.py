"""Alert rules, evaluated by the sync engine so the headless daemon alerts with no TUI open.

Each rule looks at the cache (and the engine's job health) and says, per key, whether its
condition holds.  :class:`Alerter` turns that into events: ``firing`` once, ``repeat`` every
``repeat_s`` while it holds, ``resolved`` when it clears.  Events are stored here and delivered
by :mod:`.sinks` (log, shell command, webhook, the DingTalk, WeCom and Feishu robots of
:mod:`.robots`, and the TUI through a callback).  The set of active alerts is kept in the
cache, so a restarted daemon does not fire again what already fired.

Alert texts are in the profile's ``language`` (``auto``: the interface's when the alerter is
built): the stored row, the toast, the command's ``FIVEC_ALERT_MESSAGE``, the webhook's
``message`` and the robots all get the same text.  The log line stays English.  Rules format
``N_()``-marked templates with a language-bound ``gettext`` (:func:`.condition.texts`).
The delivery-rate and failure-spike rules, for the account and per carrier, are in
:mod:`.rates`; the error-budget burn rates per carrier in :mod:`.burn`.

Configure per profile under ``[profiles.NAME.alerts]`` (see :data:`DEFAULTS` for every key)
and ``[profiles.NAME.slo]``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from ..config import Alerts, table_from
from ..i18n import N_, _, gettext_for
from ..store import Store, optouts, queries
from ..store import alerts as store_alerts
from ..text import visible
from .burn import burn_rate
from .condition import Condition, language
from .condition import texts as _texts
from .rates import delivery_rate, failure_spike

ACTIVE_KEY = "alerts.active"
SINCE_KEY = "alerts.since"  # when each active alert first fired

#: Every setting and its default: :class:`fivec_tui.config.Alerts` is the reference.
DEFAULTS: dict[str, Any] = asdict(Alerts())


@dataclass
class Event:
    state: str  # firing | repeat | resolved
    condition: Condition
    at: float
    since: float | None = None  # when it first fired (None: not known)
    account: str = ""  # the platform username

    def payload(self, profile: str) -> dict[str, Any]:
        return {
            "profile": profile,
            "rule": self.condition.rule,
            "key": self.condition.key,
            "carrier": self.condition.carrier,
            "state": self.state,
            "message": self.condition.message,
            "at": self.at,
            "since": self.since,
            "value": self.condition.value,  # as the robots show them (and the Alerts screen)
            "threshold": self.condition.threshold,
            **{f"value_{k}": v for k, v in self.condition.fields.items()},
        }


#: Each rule's name as a person reads it: the id stays in the cache, JSON and log lines.
RULE_NAMES = {
    "delivery_rate": N_("delivery rate"),
    "failure_spike": N_("failure spike"),
    "pending": N_("reports overdue"),
    "balance": N_("balance"),
    "opt_outs": N_("opt-outs"),
    "job": N_("sync job"),
    "burn_rate": N_("error budget burn"),
}


def rule_name(rule: str) -> str:
    """``rule``'s name in the interface's language (an id it does not know, as it is)."""
    return _(RULE_NAMES[rule]) if rule in RULE_NAMES else rule


def config(alerts: Mapping[str, Any]) -> dict[str, Any]:
    """The settings the rules read: the profile's checked :class:`~fivec_tui.config.Alerts`, or
    a table of some keys (as code and tests write one) checked by the same schema, over the
    defaults.  A bad or unknown key is a ConfigError (a ValueError) that names it."""
    return asdict(alerts if isinstance(alerts, Alerts) else table_from(Alerts, alerts, "alerts"))


def pending(store: Store, c: dict, now: float) -> Iterable[Condition]:
    n = queries.pending_older_than(store, c["pending_after_s"], 86400, now)
    message, english = _texts(
        c,
        lambda _x: _x(
            N_("{count} recipients still without a report {minutes:.0f}+ min after sending")
        ).format(count=n, minutes=c["pending_after_s"] / 60),
    )
    yield Condition(
        "pending",
        "reports",
        n > c["pending_above"],
        message,
        {"count": n},
        english,
        str(n),
        f"> {c['pending_above']}",
    )


def balance(store: Store, c: dict, now: float) -> Iterable[Condition]:
    b = queries.balance(store, 3600, now)
    if b.remaining is None:
        return
    low = b.remaining < c["balance_below"]
    soon = b.runs_out_in_s is not None and b.runs_out_in_s < c["runs_out_within_h"] * 3600

    def render(_x: Callable[[str], str]) -> str:
        text = _x(N_("balance {remaining:,.0f}")).format(remaining=b.remaining)
        if b.runs_out_in_s:
            text += _x(N_(", runs out in {hours:.1f} h at {burn:,.0f}/h")).format(
                hours=b.runs_out_in_s / 3600, burn=b.burn_per_hour
            )
        return text

    message, english = _texts(c, render)
    yield Condition(
        "balance",
        "account",
        low or soon,
        message,
        {"remaining": b.remaining, "runs_out_in_s": b.runs_out_in_s},
        english,
        f"{b.remaining:,.0f}",
        gettext_for(language(c))(N_("< {limit:,.0f}, or runs out within {hours:g} h")).format(
            limit=c["balance_below"], hours=c["runs_out_within_h"]
        ),
    )


def opt_outs(store: Store, c: dict, now: float) -> Iterable[Condition]:
    """Numbers that opted out in the window, each once, as the Breakdown counts them
    (:func:`.optouts.events`): one number sending TD three thousand times is one opt-out,
    not an alarm."""
    n = len(optouts.events(store, now - c["opt_out_window_s"], now))
    message, english = _texts(
        c,
        lambda _x: _x(N_("{count} numbers opted out in the last {minutes:.0f} min")).format(
            count=n, minutes=c["opt_out_window_s"] / 60
        ),
    )
    yield Condition(
        "opt_outs",
        "replies",
        n > c["opt_out_above"],
        message,
        {"count": n},
        english,
        str(n),
        f"> {c['opt_out_above']}",
    )


def jobs(job_states: dict, c: dict, now: float) -> Iterable[Condition]:
    for name, job in job_states.items():
        never_heals = job.failures and job.needs_person
        long_failing = (
            job.failing_since is not None and now - job.failing_since >= c["job_failing_s"]
        )
        message, english = _texts(
            c,
            lambda _x, name=name, job=job: _x(
                N_("sync job {job} failing {failures}x: {error}")
            ).format(job=name, failures=job.failures, error=visible(job.last_error)),
        )
        _x = gettext_for(language(c))
        yield Condition(
            "job",
            name,
            bool(never_heals or long_failing),
            message,
            {"job": name, "failures": job.failures, "error": job.last_error},
            english,
            _x(N_("{count} failures")).format(count=job.failures),
            _x(N_("failing {minutes:.0f} min (credential or IP errors: at once)")).format(
                minutes=c["job_failing_s"] / 60
            ),
        )


RULES: list[Callable[[Store, dict, float], Iterable[Condition]]] = [
    delivery_rate,
    failure_spike,
    pending,
    balance,
    opt_outs,
    burn_rate,
]


@dataclass
class Alerter:
    """Evaluates the rules and emits events to the sinks."""

    profile: str
    store: Store
    settings: dict[str, Any]
    clock: Callable[[], float] = time.time
    account: str = ""  # the platform username, named in the robots' messages

    def __post_init__(self) -> None:
        # ``auto`` is settled now: the language the interface speaks as the alerter is built.
        self.settings = {**self.settings, "language": language(self.settings)}
        self.active: dict[str, float] = json.loads(self.store.get_setting(ACTIVE_KEY, "{}") or "{}")
        self.since: dict[str, float] = json.loads(self.store.get_setting(SINCE_KEY, "{}") or "{}")
        #: When each firing alert's condition was first seen clear (it resolves once that is
        #: ``resolve_after_s`` ago); forgotten when it holds again.
        self.clear: dict[str, float] = {}

    def evaluate(self, job_states: dict | None = None) -> list[Event]:
        """Run every rule once; returns the events it emitted, stored (:mod:`.sinks` delivers
        them)."""
        now = self.clock()
        conditions = [cond for rule in RULES for cond in rule(self.store, self.settings, now)]
        conditions += list(jobs(job_states or {}, self.settings, now))
        events = []
        for cond in conditions:
            last, since = self.active.get(cond.id), self.since.get(cond.id)
            if last is None:
                if cond.holds:
                    events.append(Event("firing", cond, now, now, self.account))
            elif cond.still:
                self.clear.pop(cond.id, None)
                if now - last >= self.settings["repeat_s"]:
                    events.append(Event("repeat", cond, now, since, self.account))
            elif now - self.clear.setdefault(cond.id, now) >= self.settings["resolve_after_s"]:
                events.append(Event("resolved", cond, now, since, self.account))
        for event in events:
            cond = event.condition
            if event.state == "resolved":
                self.active.pop(cond.id, None)
                self.since.pop(cond.id, None)
                self.clear.pop(cond.id, None)
            else:
                self.active[cond.id] = now
                self.since.setdefault(cond.id, now)
            store_alerts.add_alert(
                self.store, cond.rule, event.state, cond.message, event.payload(self.profile)
            )
        if events:
            self.store.set_setting(ACTIVE_KEY, json.dumps(self.active))
            self.store.set_setting(SINCE_KEY, json.dumps(self.since))
        return events


def for_profile(profile: Any, store: Store) -> Alerter:
    """The alerter a profile's ``alerts`` and ``slo`` tables ask for."""
    settings = config(profile.alerts) | {"slo": asdict(profile.slo)}
    return Alerter(profile.name, store, settings, account=profile.username)
