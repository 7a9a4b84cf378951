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
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from ..api.carriers import CARRIERS, NAMES
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
    carrier: str | None = None  # a carrier id (api/carriers.py), None: account-wide

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


def _baselines(store: Store, c: dict, now: float) -> dict[str, float]:
    """The usual rate, overall (``all``) and per carrier: the same window on each of the
    previous ``baseline_days``, where it held enough finished messages."""
    delivered: Counter[str] = Counter()
    finished: Counter[str] = Counter()
    for day in range(1, int(c["baseline_days"]) + 1):
        past = queries.by_carrier(store, c["rate_window_s"], now - day * 86400, latency=False)
        for carrier, s in past.items():
            for key in (carrier, "all"):
                delivered[key] += s.delivered
                finished[key] += s.delivered + s.failed
    return {k: delivered[k] / n for k, n in finished.items() if n >= c["rate_min_volume"]}


def _rest(overall: queries.Summary, one: queries.Summary) -> queries.Summary:
    """The window's messages but ``one`` carrier's."""
    failures = Counter(overall.failures)
    failures.subtract(one.failures)
    return queries.summarise(
        overall.window_s,
        {"DELIVRD": overall.delivered - one.delivered, **+failures},
        {},
    )


def _low(s: queries.Summary, baseline: float | None, c: dict) -> tuple[bool, bool]:
    """(below the floor, too far below the usual rate) of a window with enough finished."""
    rate = s.delivery_rate
    if rate is None or s.delivered + s.failed < c["rate_min_volume"]:
        return False, False
    dropped = baseline is not None and rate < baseline - c["baseline_drop"]
    return rate < c["rate_below"], dropped


def _codes_text(codes: list[tuple[str, int]]) -> str:
    return ", ".join(f"{code} ×{n}" for code, n in codes)


def delivery_rate(store: Store, c: dict, now: float) -> Iterable[Condition]:
    """The account's rate, and each carrier's where the rest of the traffic is fine (an
    outage of one carrier that the others average away; when every carrier is down, the
    account's alert alone says so)."""
    memo: dict = {}
    overall = queries.summary(store, c["rate_window_s"], now, memo)
    carriers = queries.by_carrier(store, c["rate_window_s"], now, memo)
    baselines = _baselines(store, c, now) if c["baseline_days"] else {}
    yield _rate_condition(c, overall, baselines.get("all"), None, None)
    for carrier in CARRIERS:
        one = carriers.get(carrier) or queries.Summary(int(c["rate_window_s"]))
        rest = _rest(overall, one)
        fine = rest.delivered + rest.failed >= c["rate_min_volume"] and not any(_low(rest, None, c))
        yield _rate_condition(c, one, baselines.get(carrier), (carrier, overall), fine)


def _rate_condition(
    c: dict,
    current: queries.Summary,
    baseline: float | None,
    of: tuple[str, queries.Summary] | None,
    rest_fine: bool | None,
) -> Condition:
    """The delivery-rate verdict of the account (``of`` None) or of one carrier (``of``:
    its id and the account's summary)."""
    rate, finals = current.delivery_rate, current.delivered + current.failed
    low, dropped = _low(current, baseline, c)
    holds = (low or dropped) and rest_fine is not False
    minutes = c["rate_window_s"] / 60
    top = _top(current.failures)

    def render(_x: Callable[[str], str]) -> str:
        if rate is None:
            text = _x(N_("no finished messages in the last {minutes:.0f} min")).format(
                minutes=minutes
            )
        else:
            text = _x(
                N_("delivery rate {rate:.1%} over the last {minutes:.0f} min ({finished} finished)")
            ).format(rate=rate, minutes=minutes, finished=finals)
        if low:
            text += _x(N_(", below {limit:.0%}")).format(limit=c["rate_below"])
        elif dropped:
            text += _x(N_(", {drop:.0%} below the usual {baseline:.1%}")).format(
                drop=baseline - rate, baseline=baseline
            )
        if of is None:
            return text
        carrier, overall = of
        if overall.delivery_rate is not None:
            text += _x(N_("; overall {rate:.1%}")).format(rate=overall.delivery_rate)
        if top:
            text += _x(N_("; top codes {codes}")).format(codes=_codes_text(top))
        return _x(N_("{carrier}: {details}")).format(carrier=_x(NAMES[carrier]), details=text)

    def threshold(_x: Callable[[str], str]) -> str:
        text = f"< {c['rate_below']:.0%}"
        if baseline is not None:
            text += _x(N_(", or {drop:.0%} below the usual {baseline:.1%}")).format(
                drop=c["baseline_drop"], baseline=baseline
            )
        return text

    message, english = _texts(c, render)
    fields = {
        "rate": rate,
        "finished": finals,
        "baseline": baseline,
        "window_s": c["rate_window_s"],
    }
    if of is not None:
        fields |= {"overall_rate": of[1].delivery_rate, "top_codes": _codes_text(top)}
    return Condition(
        "delivery_rate",
        "all" if of is None else of[0],
        holds,
        message,
        fields,
        english,
        "—" if rate is None else f"{rate:.1%}",
        threshold(gettext_for(language(c))),
        top,
        None if of is None else of[0],
    )


def failure_spike(store: Store, c: dict, now: float) -> Iterable[Condition]:
    """Each watched family's spike in the account, and in each carrier where the rest of the
    traffic (with enough finished messages to judge) has none."""
    memo: dict = {}
    overall = queries.summary(store, c["rate_window_s"], now, memo)
    carriers = queries.by_carrier(store, c["rate_window_s"], now, memo, latency=False)
    for fam in c["spike_families"]:
        yield _spike(c, fam, overall, None, None)
        for carrier in CARRIERS:
            one = carriers.get(carrier) or queries.Summary(int(c["rate_window_s"]))
            rest = _rest(overall, one)
            quiet = rest.delivered + rest.failed >= c["rate_min_volume"] and not (
                _spike(c, fam, rest, None, None).holds
            )
            yield _spike(c, fam, one, carrier, quiet)


def _spike(
    c: dict, fam: str, s: queries.Summary, carrier: str | None, rest_quiet: bool | None
) -> Condition:
    finals = s.delivered + s.failed
    n = codes.by_family(s.failures).get(fam, 0)
    share = n / finals if finals else 0.0
    holds = n >= c["spike_min"] and share >= c["spike_share"] and rest_quiet is not False
    top = _top(s.failures, lambda code: codes.family(code) == fam)

    def render(_x: Callable[[str], str]) -> str:
        text = _x(
            N_("{count} '{family}' failures ({share:.1%} of {finished}) in {minutes:.0f} min")
        ).format(
            count=n,
            family=_x(fam),  # the family's short name, as the dashboard shows it
            share=share,
            finished=finals,
            minutes=c["rate_window_s"] / 60,
        )
        if carrier is None:
            return text
        if top:
            text += _x(N_("; top codes {codes}")).format(codes=_codes_text(top))
        return _x(N_("{carrier}: {details}")).format(carrier=_x(NAMES[carrier]), details=text)

    message, english = _texts(c, render)
    fields = {"family": fam, "count": n, "share": share}
    if carrier is not None:
        fields["top_codes"] = _codes_text(top)
    return Condition(
        "failure_spike",
        fam if carrier is None else f"{fam}:{carrier}",
        holds,
        message,
        fields,
        english,
        f"{n} ({share:.1%})",
        f"≥ {c['spike_min']} & ≥ {c['spike_share']:.1%}",
        top,
        carrier,
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
