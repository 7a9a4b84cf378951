"""Alerts that page once: a firing alert resolves only once its condition has been clear for
``resolve_after_s``, a carrier's alert stays firing while that carrier fails whatever the rest
does, and an objective whose burn threshold can never be reached is refused.  Each case is
one an outsider made flap: the store's answers are stubbed to the counts of each evaluation."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from fivec_tui.config import ConfigError, Profile
from fivec_tui.config.load import validate_profile
from fivec_tui.store import Store, queries
from fivec_tui.sync import burn, rates
from fivec_tui.sync.alerts import Alerter, config

NOW = 1_800_000_000.0
EVERY = 30.0  # the alert rules' interval


def summary(window_s: float, delivered: int, failed: int) -> queries.Summary:
    return queries.summarise(window_s, {"DELIVRD": delivered, "MK:0001": failed}, {})


def evaluate(tmp_path, monkeypatch, rules, answers: Iterator[dict], n: int, **settings) -> list:
    """``n`` evaluations ``EVERY`` s apart of ``rules``, each reading the next of ``answers``
    (window length -> carrier -> (delivered, failed)); the events as (evaluation, state, id)."""
    monkeypatch.setattr("fivec_tui.sync.alerts.RULES", rules)
    state: dict = {}

    def by_carrier(store, window_s=3600, now=None, memo=None, latency=True):
        return {k: summary(window_s, *v) for k, v in state["now"][window_s].items()}

    def overall(store, window_s=3600, now=None, memo=None):
        counts = state["now"][window_s].values()
        return summary(window_s, sum(d for d, _ in counts), sum(f for _, f in counts))

    for module in (burn, rates):
        monkeypatch.setattr(module.queries, "by_carrier", by_carrier)
    monkeypatch.setattr(rates.queries, "summary", overall)
    clock = [NOW]
    alerter = Alerter(
        "ops", Store(tmp_path / "c.db"), config({"baseline_days": 0, **settings}), lambda: clock[0]
    )
    seen = []
    for i in range(n):
        state["now"] = next(answers)
        seen += [(i, e.state, e.condition.id) for e in alerter.evaluate()]
        clock[0] += EVERY
    return seen


def test_a_carrier_down_at_a_volume_either_side_of_the_minimum_pages_once(tmp_path, monkeypatch):
    """China Mobile failing every message, its five minutes holding 17 to 25 finished (the
    minimum to be judged is 20): one page, kept while it fails."""
    volumes = [21, 19, 22, 18, 20, 19, 25, 17, 21, 19] * 2

    def answers():
        for n in volumes:
            yield {
                3600.0: {"mobile": (0, 240), "unicom": (600, 0)},
                300.0: {"mobile": (0, n), "unicom": (50, 0)},
                21600.0: {"mobile": (0, 240), "unicom": (3600, 0)},
                1800.0: {"mobile": (0, 120), "unicom": (300, 0)},
            }

    seen = evaluate(tmp_path, monkeypatch, [burn.burn_rate], answers(), len(volumes))
    pages = [s for _, s, key in seen if key == "burn_rate:page:mobile"]
    assert pages == ["firing"], seen


def test_a_carrier_alert_stays_firing_while_the_rest_gets_worse(tmp_path, monkeypatch):
    """China Mobile at 0% while Unicom goes 98% -> 88% -> 98%: its alert fires once and is
    never resolved at 0% (the account's own alert says the rest)."""
    rest = [98] * 4 + [88] * 8 + [98] * 4

    def answers():
        for pct in rest:
            yield {900.0: {"mobile": (0, 200), "unicom": (pct * 10, (100 - pct) * 10)}}

    seen = evaluate(
        tmp_path, monkeypatch, [rates.delivery_rate], answers(), len(rest), rate_window_s=900
    )
    mobile = [s for _, s, key in seen if key == "delivery_rate:mobile"]
    assert mobile == ["firing"], seen


def test_a_rate_either_side_of_the_floor_pages_once_not_at_every_evaluation(tmp_path, monkeypatch):
    """89.9% / 90.1% in turn for ten minutes: one firing, no resolved, where each evaluation
    made a firing/resolved pair before; resolved once clear for two minutes."""
    rates_seen = [899, 901] * 10 + [990] * 5

    def answers():
        for delivered in rates_seen:
            yield {900.0: {"unicom": (delivered, 1000 - delivered)}}

    seen = evaluate(
        tmp_path,
        monkeypatch,
        [rates.delivery_rate],
        answers(),
        len(rates_seen),
        rate_window_s=900,
    )
    account = [(i, s) for i, s, key in seen if key == "delivery_rate:all"]
    # clear from the last 90.1% (index 19) on: resolved at the first evaluation 120 s later
    assert account == [(0, "firing"), (19 + int(120 / EVERY), "resolved")], seen


@pytest.mark.parametrize(
    "slo, key",
    [
        ({"delivery": 0.9}, "page_burn"),
        ({"delivery": 0.8}, "page_burn"),
        ({"delivery": 0.99, "ticket_burn": 100}, "ticket_burn"),
    ],
)
def test_a_burn_threshold_no_outage_can_reach_is_refused(slo, key):
    with pytest.raises(ConfigError) as caught:
        validate_profile("p", {"slo": slo})
    assert f"[profiles.p.slo] {key}:" in str(caught.value) and "never" in str(caught.value)
    assert validate_profile("p", {"slo": {"delivery": 0.95}}).slo.page_burn == 14.4  # 20x max
    assert isinstance(Profile("q").slo.delivery, float)


def test_a_rate_just_below_the_floor_never_reads_as_the_floor(tmp_path, monkeypatch):
    """89.96% was written "90.0% … below 90%"."""

    def answers():
        yield {900.0: {"unicom": (8996, 1004)}}

    seen = evaluate(tmp_path, monkeypatch, [rates.delivery_rate], answers(), 1, rate_window_s=900)
    assert [s for _, s, key in seen if key == "delivery_rate:all"] == ["firing"]
    store = Store(tmp_path / "c.db")
    (message,) = [r["message"] for r in store.query("SELECT message FROM alerts")][:1]
    assert "89.9%" in message and "90.0%" not in message, message


def test_one_number_sending_td_a_thousand_times_is_one_opt_out(tmp_path):
    """The alert counted replies, the Breakdown numbers: one number flooding TD fired it
    (an outsider's finding).  A reply dated ahead of now is not in the window either."""
    from datetime import UTC, datetime

    from fivec_tui.api import Reply
    from fivec_tui.store import ingest_items
    from fivec_tui.sync.alerts import opt_outs

    store = Store(tmp_path / "c.db")
    at = datetime.fromtimestamp(NOW - 60, UTC)
    flood = [Reply("15029130630", "TD", at, reply_id=str(i)) for i in range(1000)]
    others = [Reply(f"1380000000{i}", "退订", at, reply_id=f"o{i}") for i in range(3)]
    later = [Reply("13900000009", "TD", datetime.fromtimestamp(NOW + 3600, UTC), reply_id="f")]
    ingest_items(store, "replies", flood + others + later)
    (condition,) = opt_outs(store, config({"opt_out_above": 4}), NOW)
    assert condition.fields["count"] == 4 and not condition.holds
    assert condition.english == "4 numbers opted out in the last 60 min"


def test_a_week_earlier_with_a_gap_is_no_baseline_rather_than_nothing(tmp_path):
    """One message eight days back and none a week back: the week-ago column said 0 and
    marked every number unusual against it, where it is unknown."""
    from datetime import UTC, datetime

    from fivec_tui.api import Record
    from fivec_tui.store import breakdown, ingest_items

    store = Store(tmp_path / "c.db")
    old = datetime.fromtimestamp(NOW - 8 * 86400, UTC)
    ingest_items(store, "records", [Record("u", str(10**13), ("13800000000",), "hi", old)])
    assert breakdown.headline(store, 3600, NOW)["baseline"] is None
    assert breakdown.week_earlier(store, 3600, NOW) is None
    week = datetime.fromtimestamp(NOW - 7 * 86400 - 60, UTC)
    ingest_items(store, "records", [Record("u", str(10**13 + 1), ("13800000001",), "hi", week)])
    assert breakdown.headline(store, 3600, NOW)["baseline"]["sent"] == 1
