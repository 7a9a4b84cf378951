"""Timeline (``t``): delivery rate and volume over a span of up to 7 days, the same hours of
the previous days faint behind, alert firings and resolutions marked, failures stacked by
family; the cursor (left/right) time-travels every screen to its minute.

Drawn by textual-plotext (plotext in a Textual widget).  The span is summed in SQL into as
many buckets as the plot is wide (:func:`fivec_tui.store.asof.buckets_at`), so a week costs a
few hundred rows whatever the volume.  Live, and "as known now" (``K``), each bucket holds
every report known; at a past moment "as it was then", each bucket as it was at its end: the
cursor's bucket is then what the dashboard shows at the cursor's moment.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header, Static
from textual_plotext import PlotextPlot

from ..i18n import N_, _
from ..when import show_date, show_time
from .base import StoreScreen
from .dashboard import FAMILIES
from .format import count
from .keybar import KeyBar
from .timetravel import view_name
from .widgets import Banner

if TYPE_CHECKING:
    from ..store.queries import Summary

SPANS = (3600, 6 * 3600, 86400, 3 * 86400, 7 * 86400)
SPAN_NAMES = (N_("1 hour"), N_("6 hours"), N_("24 hours"), N_("3 days"), N_("7 days"))
#: Previous days drawn faint behind the span.
BASELINE_DAYS = 3
#: Buckets across the plot (one a column of the 80-column layout's plot area).
BUCKETS = 60
FAMILY_COLOURS = ("red", "orange", "magenta", "cyan", "yellow", "blue", "white")


@dataclass(frozen=True)
class Bucket:
    sent: int = 0
    delivered: int = 0
    failed: dict[str, int] = field(default_factory=dict)  # by family

    @property
    def rate(self) -> float | None:
        finals = self.delivered + sum(self.failed.values())
        return self.delivered / finals if finals else None


@dataclass(frozen=True)
class Timeline:
    start: float
    bucket_s: int
    buckets: list[Bucket]
    baseline: list[Bucket]  # the same buckets of the previous days, summed
    events: list[dict]  # alert events in the span


def _bucket(counts: dict[str, int]) -> Bucket:
    from ..store.codes import family

    failed: dict[str, int] = {}
    for status, n in counts.items():
        if status not in ("SENT", "DELIVRD") and n:
            failed[family(status)] = failed.get(family(status), 0) + n
    return Bucket(counts.get("SENT", 0), counts.get("DELIVRD", 0), failed)


def load_timeline(store, end: float, span: float, known_now: bool) -> Timeline:
    from ..store import asof

    bucket_s = max(60, math.ceil(span / BUCKETS / 60) * 60)
    n = math.ceil(span / bucket_s)
    start = (end // 60 + 1) * 60 - n * bucket_s  # the last bucket ends with end's minute

    def read(day: int) -> list[Bucket]:
        shift = day * 86400
        counts = asof.buckets_at(store, start - shift, end - shift, bucket_s, known_now)
        return [_bucket(counts.get(i, {})) for i in range(n)]

    pooled = [read(d) for d in range(1, BASELINE_DAYS + 1)]
    baseline = [
        Bucket(
            sum(p[i].sent for p in pooled) // BASELINE_DAYS,
            sum(p[i].delivered for p in pooled),
            {"all": sum(sum(p[i].failed.values()) for p in pooled)},
        )
        for i in range(n)
    ]
    return Timeline(start, bucket_s, read(0), baseline, asof.alert_events(store, start, end))


@dataclass(frozen=True)
class Shown:
    """One load: the span's buckets, and the cursor's reading: the window of one bucket
    ending at the moment (``at``, or now), counted as the dashboard counts its windows (the
    same function, moment and view), so that both agree."""

    timeline: Timeline
    moment: float
    reading: Summary


class TimelineScreen(StoreScreen[Shown]):
    DEFAULT_CSS = """
    TimelineScreen #timeline-rate { height: 1fr; }
    TimelineScreen #timeline-volume { height: 1fr; }
    TimelineScreen #timeline-cursor { height: 1; text-wrap: nowrap; text-overflow: ellipsis; }
    """
    BINDINGS = [
        Binding("left", "move(-1)", N_("Earlier"), id="timeline.left"),
        Binding("right", "move(1)", N_("Later"), id="timeline.right"),
        Binding("shift+left", "move(-10)", N_("Much earlier"), id="timeline.left10", show=False),
        Binding("shift+right", "move(10)", N_("Much later"), id="timeline.right10", show=False),
        Binding("minus", "zoom(1)", N_("Longer span"), id="timeline.out"),
        Binding("plus,equals_sign", "zoom(-1)", N_("Shorter span"), id="timeline.in"),
    ]
    span_index = 2  # 24 hours
    end: float | None = None  # the span's end; fixed while the cursor moves inside it
    cursor: int | None = None  # bucket index
    data: Timeline | None = None
    reading: tuple[float, Summary] | None = None  # the cursor's (see Shown)

    def compose(self) -> ComposeResult:
        yield Header()
        yield Banner(id="banner")
        yield Static(id="timeline-caption", classes="caption")
        yield PlotextPlot(id="timeline-rate")
        yield PlotextPlot(id="timeline-volume")
        yield Static(id="timeline-cursor")
        yield KeyBar()

    def fields(self) -> dict[str, str]:
        app = self.fivec
        now = app.clock()
        if app.at is None:
            self.end = now  # live: the span ends now and follows it
        elif self.end is None or not self._inside(app.at):
            # a past moment three quarters along the span, so what followed shows too
            self.end = min(now, app.at + SPANS[self.span_index] / 4)
        return {}

    def _inside(self, at: float) -> bool:
        span = SPANS[self.span_index]
        return self.end is not None and self.end - span < at <= self.end

    _last: tuple[tuple, Timeline] | None = None

    def load(self) -> Shown:
        """A past span is read once: the refresh ticks and the cursor reuse it (a week is
        a few million rollup rows on a busy account); a live one at every tick.  The
        cursor's reading, one window, at every load."""
        from ..store import asof

        assert self.end is not None
        app = self.fivec
        known_now = app.known_now or app.at is None  # live: all that is known
        key = (self.end, self.span_index, known_now)
        if self._last is None or self._last[0] != key:
            data = load_timeline(app.store, self.end, SPANS[self.span_index], known_now)
            self._last = (key, data)
        data = self._last[1]
        moment = app.clock() if app.at is None else app.at
        reading = asof.summary_at(app.store, data.bucket_s, moment, app.known_now)
        return Shown(data, moment, reading)

    def show(self, shown: Shown) -> None:
        self.data = data = shown.timeline
        self.reading = shown.moment, shown.reading
        at = self.fivec.at
        if at is not None and data.start <= at < data.start + len(data.buckets) * data.bucket_s:
            self.cursor = int((at - data.start) // data.bucket_s)
        else:  # live: the last bucket, now
            self.cursor = len(data.buckets) - 1
        self._draw()

    def _x_ticks(self, data: Timeline) -> tuple[list[int], list[str]]:
        """Every fifth of the span; within a day its time, with the date on the first tick
        and the first after midnight when the axis crosses midnight in the display zone (a
        24-hour axis runs from one day into the next)."""
        n = len(data.buckets)
        ticks = list(range(0, n, max(1, n // 5)))
        moments = [data.start + i * data.bucket_s for i in ticks]
        days = [show_time(at, "%m-%d") for at in moments]
        end = data.start + n * data.bucket_s - 1
        crossed = days[0] != show_time(end, "%m-%d")  # midnight is on the axis
        labels = [
            show_time(at, "%m-%d %H:%M")
            if SPANS[self.span_index] > 86400 or (crossed and (i == 0 or days[i - 1] != day))
            else show_time(at, "%H:%M")
            for i, (at, day) in enumerate(zip(moments, days, strict=True))
        ]
        return ticks, labels

    def _draw(self) -> None:
        data, cursor = self.data, self.cursor
        if data is None or cursor is None:
            return
        xs = list(range(len(data.buckets)))
        ticks, labels = self._x_ticks(data)
        span = _(SPAN_NAMES[self.span_index])
        caption = _("{span}, buckets of {minutes} min, previous {days} days faint").format(
            span=span, minutes=data.bucket_s // 60, days=BASELINE_DAYS
        )
        if self.fivec.at is not None:  # the view, as the dashboard's caption names it
            view = (
                view_name(True)
                if self.fivec.known_now
                else _("{view}: each bucket at its end").format(view=view_name(False))
            )
            caption = Text.assemble(caption + "  ", (view, "magenta"))
        self.query_one("#timeline-caption", Static).update(caption)
        rate_plot = self.query_one("#timeline-rate", PlotextPlot)
        plt = rate_plot.plt
        plt.clear_figure()
        base = [b.rate * 100 if b.rate is not None else None for b in data.baseline]
        rate = [b.rate * 100 if b.rate is not None else None for b in data.buckets]
        _line(plt, xs, base, "gray", "braille")
        _line(plt, xs, rate, "cyan", "braille")
        plt.hline(self.fivec.profile.alerts.rate_below * 100, "red")  # the alert floor
        for e in data.events:
            x = (e["at"] - data.start) / data.bucket_s
            if 0 <= x < len(xs):
                plt.vline(x, "green" if e["state"] == "resolved" else "red")
        plt.vline(cursor, "white")
        rate_ticks = RATE_TICKS[(_rows(rate_plot) - 1) % 4 == 0]
        plt.ylim(0, 100)
        plt.yticks(rate_ticks, [str(t) for t in rate_ticks])
        plt.xlim(0, max(len(xs) - 1, 1))
        plt.xticks(ticks, labels)
        plt.title(_("delivery rate %"))
        rate_plot.refresh()
        volume_plot = self.query_one("#timeline-volume", PlotextPlot)
        plt = volume_plot.plt
        plt.clear_figure()
        families = sorted(
            {f for b in data.buckets for f in b.failed},
            key=lambda f: -sum(b.failed.get(f, 0) for b in data.buckets),
        )
        stacks = [[b.delivered for b in data.buckets]]
        stacks += [[b.failed.get(f, 0) for b in data.buckets] for f in families]
        colours = ["green", *FAMILY_COLOURS[: len(families)]]
        if len(colours) == len(stacks):  # more families than colours: plotext picks
            plt.stacked_bar(xs, stacks, color=colours, width=0.9)
        else:
            plt.stacked_bar(xs, stacks, width=0.9)
        _line(plt, xs, [b.sent for b in data.baseline], "gray", "braille")
        plt.vline(cursor, "white")
        plt.xlim(-0.5, max(len(xs) - 0.5, 0.5))
        top = max([b.sent for b in data.buckets] + [b.sent for b in data.baseline] + [1])
        count_ticks = whole_ticks(top, _rows(volume_plot))
        plt.ylim(0, count_ticks[-1])
        plt.yticks(count_ticks, [str(t) for t in count_ticks])
        plt.xticks(ticks, labels)
        legend = ", ".join(_(FAMILIES.get(f, f)) for f in families[:3])
        plt.title(
            _("sent per bucket: delivered, failed by family") + (f" ({legend})" if legend else "")
        )
        volume_plot.refresh()
        self._say_cursor()

    def _say_cursor(self) -> None:
        """The cursor's reading (:class:`Shown`), its rate first: the line is cut at its end
        when narrow; until the load for a moment just moved to is in, its time alone."""
        at = self.fivec.at
        if self.reading is None or (at is not None and self.reading[0] != at):
            moment, line = at, "…"
        else:
            moment, s = self.reading
            rate = f"{s.delivery_rate:.1%}" if s.delivery_rate is not None else "—"
            line = _(
                "last {minutes} min: rate {rate}, sent {sent} ok {ok} fail {failed} pend {pending}"
            ).format(
                minutes=s.window_s // 60,
                sent=count(s.sent),
                ok=count(s.delivered),
                failed=count(s.failed),
                pending=count(s.pending),
                rate=rate,
            )
        self.query_one("#timeline-cursor", Static).update(
            Text.assemble(
                (f"▶ {show_date(moment)} ", "bold"),
                line,
                ("  ← → " + _("move, every screen follows"), "dim"),
            )
        )

    def action_move(self, step: int) -> None:
        data = self.data
        if data is None or self.cursor is None:
            return
        self.cursor = max(0, min(len(data.buckets) - 1, self.cursor + step))
        # the cursor's minute: the end of its bucket, so its whole bucket is in the windows
        at = data.start + (self.cursor + 1) * data.bucket_s - 1
        self.fivec.at = None if at >= self.fivec.clock() else at
        self._draw()

    def action_zoom(self, step: int) -> None:
        self.span_index = max(0, min(len(SPANS) - 1, self.span_index + step))
        self.cursor, self.end = None, None
        self.refresh_data()


def _line(plt, xs: list[int], ys: list, colour: str, marker: str) -> None:
    """A line with gaps where there is no value (plotext draws only what it is given)."""
    run: list[tuple[int, float]] = []
    for x, y in [*zip(xs, ys, strict=True), (None, None)]:
        if y is None:
            if run:
                plt.plot([p[0] for p in run], [p[1] for p in run], color=colour, marker=marker)
            run = []
        else:
            run.append((x, y))


#: Rows of a plot that are not its plot area: the title, the frame's two, the x labels.
PLOT_FRAME_ROWS = 4


def _rows(plot: PlotextPlot) -> int:
    """The rows of ``plot``'s area (5 before it is laid out)."""
    return plot.content_size.height - PLOT_FRAME_ROWS if plot.content_size.height else 5


def whole_ticks(top: float, rows: int) -> list[int]:
    """Y ticks from 0 to at least ``top``: whole, round values (1 to 10 times a power of
    ten) evenly spaced on rows of the plot at equal distances, the highest as low as can be
    (plotext's own were 725.9, 1088.9... a tick missing where two fell on one row)."""
    gaps = max(1, rows - 1)
    counts = [c for c in range(2, 8) if gaps % c == 0] or [min(4, gaps)]
    return min(
        ([i * _round_step(max(top, 1) / c) for i in range(c + 1)] for c in counts),
        key=lambda ticks: (ticks[-1], -len(ticks)),  # the lowest top, then more ticks
    )


def _round_step(wanted: float) -> int:
    """The least whole step at least ``wanted`` among 1, 2, 2.5, 3, 4, 5, 6, 8 times a power
    of ten."""
    power = 10 ** math.floor(math.log10(wanted))
    return max(
        1,
        next(
            int(m * power)
            for m in (1, 2, 2.5, 3, 4, 5, 6, 8, 10)
            if m * power >= wanted and m * power == int(m * power)
        ),
    )


#: The delivery rate's ticks, by rows of its plot: 0-100 in halves or quarters.
RATE_TICKS = ([0, 50, 100], [0, 25, 50, 75, 100])
