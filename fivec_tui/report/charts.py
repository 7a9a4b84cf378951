"""The report's charts, drawn by matplotlib as SVG text (the ``report`` extra).

matplotlib is imported here only, and this module only by ``fivec-tui report``: nothing else
pays its import.  Figures are made without pyplot (no global state, no GUI backend); text stays
text in the SVG (``svg.fonttype = none``) so the browser draws it with its own fonts, Chinese
included, and it can be searched and printed sharply.  The series carry ids (``gid``):
``rate``, ``baseline-rate``, ``sent``, ``baseline-sent``, ``family-<name>``, ``p50``, ``p95``.
"""

from __future__ import annotations

import io
from datetime import datetime

from matplotlib import rcParams
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter
from matplotlib.figure import Figure

from ..i18n import _
from ..when import display_zone, moment
from .data import Incident

rcParams["svg.fonttype"] = "none"
rcParams["svg.hashsalt"] = "fivec"  # stable ids: the same data gives the same file
rcParams["font.family"] = ["sans-serif"]
rcParams["font.sans-serif"] = ["Noto Sans CJK SC", "Noto Sans", "DejaVu Sans", "sans-serif"]

RATE, BASE, SENT, FLOOR = "#1f6feb", "#9aa4ae", "#57606a", "#cf222e"
FAMILY_COLOURS = ("#cf222e", "#bc4c00", "#8250df", "#0969da", "#1a7f37", "#9a6700", "#57606a")


def _times(incident: Incident) -> list[datetime]:
    return [moment(m.minute * 60) for m in incident.minutes]


def _svg(fig: Figure) -> str:
    buf = io.StringIO()
    fig.savefig(buf, format="svg", bbox_inches="tight", metadata={"Date": None})
    text = buf.getvalue()
    return text[text.index("<svg") :]  # inline in HTML: no XML declaration or DOCTYPE


def _axis(ax, times) -> None:
    zone = display_zone()
    locator = AutoDateLocator(tz=zone, maxticks=10)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(ConciseDateFormatter(locator, tz=zone))
    ax.grid(True, color="#d0d7de", linewidth=0.5)
    ax.spines[["top", "right"]].set_visible(False)
    if times:
        ax.set_xlim(times[0], times[-1])
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="lower left", bbox_to_anchor=(0, 1), ncols=4, fontsize=8, frameon=False)


def rate_and_volume(incident: Incident) -> str:
    """Delivery rate per minute against the baseline and the alert floor; volume below."""
    times = _times(incident)
    fig = Figure(figsize=(9, 5.4), layout="constrained")
    top, bottom = fig.subplots(2, 1, sharex=True, height_ratios=(3, 2))
    rates = [m.rate * 100 if m.rate is not None else float("nan") for m in incident.minutes]
    base = [
        m.baseline_rate * 100 if m.baseline_rate is not None else float("nan")
        for m in incident.minutes
    ]
    if incident.compare_days:
        top.plot(
            times,
            base,
            color=BASE,
            linewidth=1,
            gid="baseline-rate",
            label=_("previous {n} days").format(n=incident.compare_days),
        )
    top.plot(times, rates, color=RATE, linewidth=1.6, gid="rate", label=_("delivery rate"))
    top.axhline(
        incident.floor * 100, color=FLOOR, linestyle="--", linewidth=1, label=_("alert floor")
    )
    top.set_ylabel(_("delivery rate (%)"))
    top.set_ylim(0, 101)
    width = 1 / 1440 * 0.9
    bottom.bar(
        times,
        [m.sent for m in incident.minutes],
        width=width,
        color=SENT,
        gid="sent",
        label=_("sent"),
    )
    if incident.compare_days:
        bottom.plot(
            times,
            [m.baseline_sent for m in incident.minutes],
            color=BASE,
            linewidth=1,
            gid="baseline-sent",
            label=_("previous days (mean)"),
        )
    bottom.set_ylabel(_("sent per minute"))
    for ax in (top, bottom):
        _axis(ax, times)
    return _svg(fig)


def failures_by_family(incident: Incident) -> str:
    """Failures per minute, stacked by family."""
    times = _times(incident)
    fig = Figure(figsize=(9, 3))
    ax = fig.subplots()
    labels = {f["family"]: f["family_label"] for f in incident.failures}
    stacks = []
    for family in incident.families:
        codes = {f["status"] for f in incident.failures if f["family"] == family}
        stacks.append([sum(m.failures.get(c, 0) for c in codes) for m in incident.minutes])
    if stacks:
        polys = ax.stackplot(
            times,
            *stacks,
            labels=[labels[f] for f in incident.families],
            colors=FAMILY_COLOURS[: len(stacks)] if len(stacks) <= len(FAMILY_COLOURS) else None,
        )
        for family, poly in zip(incident.families, polys, strict=True):
            poly.set_gid(f"family-{family}")
    ax.set_ylabel(_("failed per minute"))
    _axis(ax, times)
    return _svg(fig)


def latency(incident: Incident) -> str:
    """Send-to-report latency per minute: p50 and p95."""
    times = _times(incident)
    fig = Figure(figsize=(9, 2.6))
    ax = fig.subplots()
    nan = float("nan")
    ax.plot(
        times,
        [m.p50_s if m.p50_s is not None else nan for m in incident.minutes],
        color=RATE,
        linewidth=1.2,
        gid="p50",
        label="p50",
    )
    ax.plot(
        times,
        [m.p95_s if m.p95_s is not None else nan for m in incident.minutes],
        color=FLOOR,
        linewidth=1.2,
        gid="p95",
        label="p95",
    )
    ax.set_ylabel(_("latency (s)"))
    _axis(ax, times)
    return _svg(fig)


def all_charts(incident: Incident) -> dict[str, str]:
    return {
        "rate": rate_and_volume(incident),
        "failures": failures_by_family(incident),
        "latency": latency(incident),
    }
