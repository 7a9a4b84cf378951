"""The delivery-rate and failure-spike rules: for the account, and for each carrier whose
trouble the rest of the traffic would average away."""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Callable, Iterable

from ..api.carriers import CARRIERS, NAMES
from ..i18n import N_, gettext_for
from ..store import Store, codes, queries
from .condition import Condition, codes_text, language, texts, top_codes


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


def below(rate: float) -> float:
    """``rate`` cut, not rounded, to the tenth of a percent the messages show: 89.96% reads
    89.9%, never "90.0%, below 90%"."""
    return math.floor(rate * 1000) / 1000


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
    top = top_codes(current.failures)

    def render(_x: Callable[[str], str]) -> str:
        if rate is None:
            text = _x(N_("no finished messages in the last {minutes:.0f} min")).format(
                minutes=minutes
            )
        else:
            text = _x(
                N_("delivery rate {rate:.1%} over the last {minutes:.0f} min ({finished} finished)")
            ).format(rate=below(rate), minutes=minutes, finished=finals)
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
            text += _x(N_("; top codes {codes}")).format(codes=codes_text(top))
        return _x(N_("{carrier}: {details}")).format(carrier=_x(NAMES[carrier]), details=text)

    def threshold(_x: Callable[[str], str]) -> str:
        text = f"< {c['rate_below']:.0%}"
        if baseline is not None:
            text += _x(N_(", or {drop:.0%} below the usual {baseline:.1%}")).format(
                drop=c["baseline_drop"], baseline=baseline
            )
        return text

    message, english = texts(c, render)
    fields = {
        "rate": rate,
        "finished": finals,
        "baseline": baseline,
        "window_s": c["rate_window_s"],
    }
    if of is not None:
        fields |= {"overall_rate": of[1].delivery_rate, "top_codes": codes_text(top)}
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
        stays=low or dropped,
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
    spiking = n >= c["spike_min"] and share >= c["spike_share"]
    holds = spiking and rest_quiet is not False
    top = top_codes(s.failures, lambda code: codes.family(code) == fam)

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
            text += _x(N_("; top codes {codes}")).format(codes=codes_text(top))
        return _x(N_("{carrier}: {details}")).format(carrier=_x(NAMES[carrier]), details=text)

    message, english = texts(c, render)
    fields = {"family": fam, "count": n, "share": share}
    if carrier is not None:
        fields["top_codes"] = codes_text(top)
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
        stays=spiking,
    )
