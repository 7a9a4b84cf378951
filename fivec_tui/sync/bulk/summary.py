"""What a bulk send's preview says, in the interface's language: the rows, the cost, the
requests and the pace, with the platform's limit for its traffic type said in words (nobody
has read the document's §3.7).  ``send --csv`` prints it; the TUI's Bulk screen shows it and
repeats it in its confirmation."""

from __future__ import annotations

from pathlib import Path

from ...api.traffic import TRAFFIC
from ...i18n import N_, _
from .plan import Price
from .validate import LABELS

#: The kinds of request (:func:`.plan.plan`), as a person reads them.
REQUESTS = {
    "send": N_("group send"),  # one text, many numbers
    "batch": N_("batch"),  # a text per number, sms_batch.php
    "template": N_("template send"),
}
#: The traffic types (:data:`fivec_tui.api.traffic.TRAFFIC`), as a person reads them.
TRAFFIC_NAMES = {
    "notice": N_("notices and codes"),
    "personal": N_("personalised texts"),
    "marketing": N_("marketing texts"),
}


def duration(seconds: float) -> str:
    seconds = round(seconds)
    if seconds < 120:
        return _("{n} s").format(n=seconds)
    if seconds < 7200:
        return _("{n} min").format(n=round(seconds / 60))
    return _("{n} h").format(n=round(seconds / 3600, 1))


def limit_said(traffic: str) -> str:
    """The platform's pace for ``traffic``, in words."""
    return _("{traffic}: the platform allows at most {limit} messages a second").format(
        traffic=_(TRAFFIC_NAMES[traffic]), limit=TRAFFIC[traffic].rate
    )


def summary_lines(
    price: Price,
    rejected: int,
    rejects_path: Path | None = None,
    balance: float | None = None,
    *,
    reasons_inline: bool = False,
) -> list[str]:
    """The preview, a line each: rows (the reasons of the rejected inline, or a line each
    with the rejects file's path), parts and cost, requests and time, the platform's limit."""
    counts = _("{rows} rows read: {valid} valid, {rejected} rejected").format(
        rows=price.rows, valid=price.valid, rejected=rejected
    )
    reasons = [(n, _(LABELS[reason])) for reason, n in sorted(price.rejected.items())]
    if reasons_inline:
        lines = [counts + (f" ({', '.join(f'{n} {r}' for n, r in reasons)})" if reasons else "")]
    else:
        lines = [counts, *("  " + _("{n} × {reason}").format(n=n, reason=r) for n, r in reasons)]
    if rejects_path:
        lines.append("  " + _("rejected rows and reasons: {path}").format(path=rejects_path))
    parts = (
        str(price.parts_min)
        if price.parts_min == price.parts_max
        else f"{price.parts_min}–{price.parts_max}"
    )
    lines.append(
        _("{parts} part(s) a message, {total} parts in all (the cost, in balance units)").format(
            parts=parts, total=price.parts_total
        )
        + (_("; balance {balance:g} in the cache").format(balance=balance) if balance else "")
    )
    requests = ", ".join(f"{n} × {_(REQUESTS[k])}" for k, n in sorted(price.requests.items()))
    lines.append(
        _("{requests} request(s) at {rate:g} messages a second: about {time}").format(
            requests=requests or "0", rate=price.rate, time=duration(price.seconds)
        )
    )
    lines.append(limit_said(price.traffic))
    return lines
