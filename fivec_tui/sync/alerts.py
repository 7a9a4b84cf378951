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
``N_()``-marked templates with a language-bound ``gettext`` (:func:`_texts`).

Configure per profile under ``[profiles.NAME.alerts]``; see :data:`DEFAULTS` for every key.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ..config import Alerts, table_from
from ..i18n import N_, _, gettext_for
from ..i18n import current as interface_language
from ..store import Store, codes, queries
from ..store import alerts as store_alerts

ACTIVE_KEY = "alerts.active"
SINCE_KEY = "alerts.since"  # when each active alert first fired
TOP_CODES = 3  # failure codes named in a robot's message

#: Every setting and its default: :class:`fivec_tui.config.Alerts` is the reference.
DEFAULTS: dict[str, Any] = asdict(Alerts())


@dataclass
class Condition:
    """A rule's verdict for one key at one moment.

    ``message`` is in the profile's language, ``english`` the same for the log; ``value`` and
    ``threshold`` (profile's language) and ``codes`` (top failure codes with counts) are what
    the robots show beside it.
    """

    rule: str
    key: str
    holds: bool
    message: str
    fields: dict[str, Any] = field(default_factory=dict)
    english: str = ""
    value: str = ""
    threshold: str = ""
    codes: list[tuple[str, int]] = field(default_factory=list)

    @property
    def id(self) -> str:
        return f"{self.rule}:{self.key}"


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
}


def rule_name(rule: str) -> str:
    """``rule``'s name in the interface's language (an id it does not know, as it is)."""
    return _(RULE_NAMES[rule]) if rule in RULE_NAMES else rule


def config(alerts: Mapping[str, Any]) -> dict[str, Any]:
    """The settings the rules read: the profile's checked :class:`~fivec_tui.config.Alerts`, or
    a table of some keys (as code and tests write one) checked by the same schema, over the
    defaults.  A bad or unknown key is a ConfigError (a ValueError) that names it."""
    return asdict(alerts if isinstance(alerts, Alerts) else table_from(Alerts, alerts, "alerts"))


def language(settings: dict[str, Any]) -> str:
    """The alert texts' language: the setting, or the interface's for ``auto``."""
    value = settings.get("language", "auto")
    return interface_language() if value in ("", "auto") else value


def _texts(c: dict, render: Callable[[Callable[[str], str]], str]) -> tuple[str, str]:
    """``render(_x)`` with ``_x`` in the profile's language, and in English for the log line."""
    return render(gettext_for(language(c))), render(gettext_for("en"))


def _top(failures: dict[str, int], keep: Callable[[str], bool] = lambda code: True) -> list:
    ranked = sorted(((code, n) for code, n in failures.items() if keep(code)), key=lambda x: -x[1])
    return ranked[:TOP_CODES]


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
    minutes = c["rate_window_s"] / 60

    def render(_x: Callable[[str], str]) -> str:
        if rate is None:
            return _x(N_("no finished messages in the last {minutes:.0f} min")).format(
                minutes=minutes
            )
        text = _x(
            N_("delivery rate {rate:.1%} over the last {minutes:.0f} min ({finished} finished)")
        ).format(rate=rate, minutes=minutes, finished=finals)
        if low:
            text += _x(N_(", below {limit:.0%}")).format(limit=c["rate_below"])
        elif dropped:
            text += _x(N_(", {drop:.0%} below the usual {baseline:.1%}")).format(
                drop=baseline - rate, baseline=baseline
            )
        return text

    def threshold(_x: Callable[[str], str]) -> str:
        text = f"< {c['rate_below']:.0%}"
        if baseline is not None:
            text += _x(N_(", or {drop:.0%} below the usual {baseline:.1%}")).format(
                drop=c["baseline_drop"], baseline=baseline
            )
        return text

    message, english = _texts(c, render)
    yield Condition(
        "delivery_rate",
        "all",
        holds,
        message,
        {"rate": rate, "finished": finals, "baseline": baseline, "window_s": c["rate_window_s"]},
        english,
        "—" if rate is None else f"{rate:.1%}",
        threshold(gettext_for(language(c))),
        _top(current.failures),
    )


def failure_spike(store: Store, c: dict, now: float) -> Iterable[Condition]:
    s = queries.summary(store, c["rate_window_s"], now)
    finals = s.delivered + s.failed
    by_family = codes.by_family(s.failures)
    for fam in c["spike_families"]:
        n = by_family.get(fam, 0)
        share = n / finals if finals else 0.0
        holds = n >= c["spike_min"] and share >= c["spike_share"]
        message, english = _texts(
            c,
            lambda _x, n=n, fam=fam, share=share: _x(
                N_("{count} '{family}' failures ({share:.1%} of {finished}) in {minutes:.0f} min")
            ).format(
                count=n,
                family=_x(fam),  # the family's short name, as the dashboard shows it
                share=share,
                finished=finals,
                minutes=c["rate_window_s"] / 60,
            ),
        )
        yield Condition(
            "failure_spike",
            fam,
            holds,
            message,
            {"family": fam, "count": n, "share": share},
            english,
            f"{n} ({share:.1%})",
            f"≥ {c['spike_min']} & ≥ {c['spike_share']:.1%}",
            _top(s.failures, lambda code, fam=fam: codes.family(code) == fam),
        )


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
    n = store.scalar(
        "SELECT count(*) FROM replies WHERE opt_out = 1 AND received_at >= ?",
        (now - c["opt_out_window_s"],),
    )
    message, english = _texts(
        c,
        lambda _x: _x(N_("{count} opt-out replies in the last {minutes:.0f} min")).format(
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
            ).format(job=name, failures=job.failures, error=job.last_error),
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

    def evaluate(self, job_states: dict | None = None) -> list[Event]:
        """Run every rule once; returns the events it emitted, stored (:mod:`.sinks` delivers
        them)."""
        now = self.clock()
        conditions = [cond for rule in RULES for cond in rule(self.store, self.settings, now)]
        conditions += list(jobs(job_states or {}, self.settings, now))
        events = []
        for cond in conditions:
            last, since = self.active.get(cond.id), self.since.get(cond.id)
            if cond.holds and last is None:
                events.append(Event("firing", cond, now, now, self.account))
            elif cond.holds and now - last >= self.settings["repeat_s"]:
                events.append(Event("repeat", cond, now, since, self.account))
            elif not cond.holds and last is not None:
                events.append(Event("resolved", cond, now, since, self.account))
        for event in events:
            cond = event.condition
            if event.state == "resolved":
                self.active.pop(cond.id, None)
                self.since.pop(cond.id, None)
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
    """The alerter a profile's ``alerts`` table asks for."""
    return Alerter(profile.name, store, config(profile.alerts), account=profile.username)
