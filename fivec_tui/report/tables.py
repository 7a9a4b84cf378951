"""The report's sections as titled tables of text, which html.py and markdown.py both render,
so the two formats always carry the same numbers."""

from __future__ import annotations

from dataclasses import dataclass

from ..i18n import _
from ..when import FULL, show_time, zone_label
from .data import Incident, Minute


@dataclass
class Table:
    key: str  # the section's id (HTML anchors, the chart placed above it)
    title: str
    headers: list[str]
    rows: list[list[str]]


def when(ts: float | None) -> str:
    """A time of the report, in the display zone its title names."""
    return show_time(ts, FULL)


def minute_label(m: Minute | None) -> str:
    return show_time(m.minute * 60, "%m-%d %H:%M") if m else "—"


def pct(rate: float | None) -> str:
    return f"{rate:.1%}" if rate is not None else "—"


def seconds(value: float | None) -> str:
    return f"{value:.1f}" if value is not None else "—"


def title(incident: Incident) -> str:
    return _("Incident report: {start} to {end} ({zone})").format(
        start=when(incident.start), end=when(incident.end), zone=zone_label(incident.start)
    )


def note(incident: Incident) -> str:
    """The line under the title: what the numbers are."""
    return _(
        "Numbers as known at the end of the span; the baseline is the same minutes of the "
        "previous {n} days."
    ).format(n=incident.compare_days)


def summary(incident: Incident) -> Table:
    s, below, worst = incident.summary, incident.below_floor, incident.worst
    base = incident.baseline
    rows = [
        [_("sent"), str(s.sent)],
        [_("delivered"), str(s.delivered)],
        [_("failed"), str(s.failed)],
        [_("pending"), str(s.pending)],
        [_("delivery rate"), pct(s.delivery_rate)],
        [
            _("baseline rate (same minutes, previous {n} days)").format(n=incident.compare_days),
            pct(base.delivery_rate) if base else "—",
        ],
        [_("latency p50 / p95 (s)"), f"{seconds(s.latency_p50_s)} / {seconds(s.latency_p95_s)}"],
        [_("alert floor"), pct(incident.floor)],
        [_("first minute below the floor"), minute_label(below[0] if below else None)],
        [_("last minute below the floor"), minute_label(below[-1] if below else None)],
        [_("minutes below the floor"), str(len(below))],
        [
            _("worst minute"),
            f"{minute_label(worst)} ({pct(worst.rate)}, {worst.failed}/{worst.delivered + worst.failed})"
            if worst
            else "—",
        ],
    ]
    return Table("summary", _("Summary"), [_("measure"), _("value")], rows)


def per_minute(incident: Incident) -> Table:
    headers = [
        _("minute"),
        _("sent"),
        _("delivered"),
        _("failed"),
        _("rate"),
        _("baseline rate"),
        _("baseline sent"),
        "p50 (s)",
        "p95 (s)",
    ]
    rows = [
        [
            minute_label(m),
            str(m.sent),
            str(m.delivered),
            str(m.failed),
            pct(m.rate),
            pct(m.baseline_rate),
            f"{m.baseline_sent:.1f}" if m.baseline_sent is not None else "—",
            seconds(m.p50_s),
            seconds(m.p95_s),
        ]
        for m in incident.minutes
    ]
    return Table("minutes", _("Per minute"), headers, rows)


def failures(incident: Incident) -> Table:
    rows = []
    for f in incident.failures:
        peak = max(incident.minutes, key=lambda m: m.failures.get(f["status"], 0), default=None)
        rows.append([f["family_label"], f["status"], str(f["n"]), minute_label(peak), f["meaning"]])
    headers = [_("family"), _("code"), _("failed"), _("peak minute"), _("meaning")]
    return Table("failures", _("Failures by family and code"), headers, rows)


def prefixes(incident: Incident) -> Table:
    rows = [
        [p["prefix"], str(p["sent"]), str(p["delivered"]), str(p["failed"]), pct(p["rate"])]
        for p in incident.prefixes
    ]
    headers = [_("prefix"), _("sent"), _("delivered"), _("failed"), _("rate")]
    return Table("prefixes", _("Most affected number prefixes"), headers, rows)


def alerts(incident: Incident) -> Table:
    rows = [[when(a["at"]), _(a["state"]), a["rule"], a["message"] or ""] for a in incident.alerts]
    headers = [_("time"), _("state"), _("rule"), _("message")]
    return Table("alerts", _("Alerts fired and resolved"), headers, rows)


def replies_and_balance(incident: Incident) -> Table:
    b = incident.balance
    spent = (
        f"{incident.balance_start - b.remaining:.2f}"
        if incident.balance_start is not None and b.remaining is not None
        else "—"
    )
    rows = [
        [_("replies"), str(incident.replies["replies"])],
        [_("opt-outs"), str(incident.replies["opt_outs"])],
        [_("balance at the start"), _num(incident.balance_start)],
        [_("balance at the end"), _num(b.remaining)],
        [_("balance used"), spent],
        [_("burn per hour"), _num(b.burn_per_hour)],
    ]
    return Table("replies", _("Replies, opt-outs and balance"), [_("measure"), _("value")], rows)


def _num(value: float | None) -> str:
    return f"{value:.2f}" if value is not None else "—"


def sections(incident: Incident) -> list[Table]:
    return [
        summary(incident),
        failures(incident),
        prefixes(incident),
        alerts(incident),
        replies_and_balance(incident),
        per_minute(incident),
    ]
