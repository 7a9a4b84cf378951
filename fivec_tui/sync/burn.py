"""Error-budget burn-rate alerts per carrier: multi-window, multi-burn-rate, as in the Google
SRE workbook ("Alerting on SLOs").

The objective is ``[profiles.X.slo] delivery`` (0.97: 3% of finished messages may fail over
the SLO window).  A window's burn rate is the share of its finished messages that failed
over the share the objective allows (:func:`fivec_tui.store.breakdown.burn`): at 1 the
budget lasts exactly the SLO window, at 14.4 two percent of thirty days' budget goes in an
hour.  Each severity has a long and a short window and fires when *both* burn above its
threshold: the long one keeps a blip from paging, the short one resolves the alert soon
after the carrier recovers.  Defaults: ``page`` 14.4x over 1 h and 5 min, ``ticket`` 6x over
6 h and 30 min.  A carrier is judged once its short window holds ``min_finished`` finished
messages.  Windows are by the platform's send times, exact to the second.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict

from ..api.carriers import CARRIERS, NAMES
from ..config import Slo
from ..i18n import N_
from ..store import Store, queries
from ..store.breakdown import burn
from ..when import parse_window
from .condition import Condition, texts

#: The two severities, as people read them.
SEVERITIES = {"page": N_("page"), "ticket": N_("ticket")}


def slo_of(c: dict) -> dict:
    """The ``slo`` table the alerter was given (:func:`.alerts.for_profile`), or the defaults."""
    return {**asdict(Slo()), **(c.get("slo") or {})}


def burn_rate(store: Store, c: dict, now: float) -> Iterable[Condition]:
    slo = slo_of(c)
    objective, memo = slo["delivery"], {}
    for severity in SEVERITIES:
        limit = slo[f"{severity}_burn"]
        spans = [slo[f"{severity}_long"], slo[f"{severity}_short"]]
        windows = [
            queries.by_carrier(store, parse_window(span), now, memo, latency=False)
            for span in spans
        ]
        for carrier in CARRIERS:
            summaries = [w.get(carrier) for w in windows]
            short = summaries[1]
            finished = short.delivered + short.failed if short else 0
            burns = [burn(s, objective) for s in summaries]
            holds = finished >= slo["min_finished"] and all(
                b is not None and b > limit for b in burns
            )
            yield _condition(c, severity, carrier, spans, burns, limit, holds)


def _condition(
    c: dict,
    severity: str,
    carrier: str,
    spans: list[str],
    burns: list[float | None],
    limit: float,
    holds: bool,
) -> Condition:
    shown = ["—" if b is None else f"{b:.1f}x" for b in burns]

    def render(_x) -> str:
        return _x(
            N_(
                "{carrier}: error budget burning {long_burn} over {long}, {short_burn} over "
                "{short} ({severity} above {limit:g}x)"
            )
        ).format(
            carrier=_x(NAMES[carrier]),
            long_burn=shown[0],
            long=spans[0],
            short_burn=shown[1],
            short=spans[1],
            severity=_x(SEVERITIES[severity]),
            limit=limit,
        )

    message, english = texts(c, render)
    return Condition(
        "burn_rate",
        f"{severity}:{carrier}",
        holds,
        message,
        {
            "severity": severity,
            "carrier": carrier,
            "burn_long": burns[0],
            "burn_short": burns[1],
            "long": spans[0],
            "short": spans[1],
        },
        english,
        f"{shown[0]} / {shown[1]}",
        f"> {limit:g}x & > {limit:g}x",
        carrier=carrier,
    )
