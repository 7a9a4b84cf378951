"""Opt-outs, and what they answer: the breakdowns' ``opt_outs`` column.

A number (``+86`` or ``86`` in front or not: one number) opts out by a reply the cache marks as one (:func:`~.codes.is_opt_out`: ``T``,
``TD``, ``退订``, ``unsubscribe``…) or by being found on the platform's blacklist (a lookup
that answered black; its time is the platform's ``Addtime`` when it parses, else the
lookup's).  A number counts once per window, at its first opt-out in it, so that a ``TD``
and the blacklisting the platform makes of it are one opt-out.

Each opt-out is put down to the last message sent to that number at or before it: its
group (signature, template, campaign) and its carrier.  A number the cache never sent to
before is put down to the empty group and to the carrier of its number block.
"""

from __future__ import annotations

from ..api.carriers import carrier_of_prefix, mainland, prefix_of
from ..api.errors import ParseError
from ..api.wire import parse_beijing
from .db import Store
from .groups import names


def _added_at(added: str | None, looked_up: float) -> float:
    """When the platform says it blacklisted the number, or when the lookup was made."""
    try:
        return parse_beijing(added or "").timestamp()
    except ParseError:
        return looked_up


def events(store: Store, start: float, end: float) -> dict[str, float]:
    """Number → the moment of its first opt-out in ``(start, end]``."""
    first: dict[str, float] = {}
    replies = store.conn.execute(
        "SELECT mobile, min(received_at) FROM replies WHERE opt_out = 1 AND received_at > ? "
        "AND received_at <= ? GROUP BY mobile",
        (start, end),
    )
    lookups = store.conn.execute(
        "SELECT mobile, added, at FROM blacklist_lookups WHERE black = 1 AND at > ?", (start,)
    )
    found = [(m, at) for m, at in replies] + [(m, _added_at(a, at)) for m, a, at in lookups]
    for mobile, at in found:
        mobile = mainland(mobile or "") or mobile  # +8615… and 15… are one person
        if mobile and at is not None and start < at <= end and at < first.get(mobile, end + 1):
            first[mobile] = at
    return first


def attributed(store: Store, by: str, start: float, end: float) -> dict[str, int]:
    """Opt-outs in ``(start, end]`` per carrier id, signature, template or campaign id
    (``by``), each put down to the last message sent to the number before it.  They add up
    to ``len(events(...))``."""
    last = (
        "SELECT coalesce(grp, 0), prefix FROM records WHERE mobile = ? AND sent_at <= ? "
        "ORDER BY sent_at DESC LIMIT 1"
    )
    found = []
    for mobile, at in events(store, start, end).items():
        grp, prefix = store.conn.execute(last, (mobile, at)).fetchone() or (0, None)
        found.append((grp, carrier_of_prefix(prefix or prefix_of(mobile))))
    named = names(store, {grp for grp, _ in found}) if by != "carrier" else {}
    out: dict[str, int] = {}
    for grp, carrier in found:
        key = carrier if by == "carrier" else str(named.get(grp, {}).get(by, ""))
        out[key] = out.get(key, 0) + 1
    return out
