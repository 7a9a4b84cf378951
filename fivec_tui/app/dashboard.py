"""Dashboard: is delivery healthy right now, what fails and why, balance, replies, jobs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.widgets import Header, Static

from ..i18n import N_, _
from ..when import show_date, show_time
from . import weekago
from .base import StoreScreen
from .dashboard_rows import CLOCK_SKEW_S, DATED_AFTER_S, FeedItem, feed_of, health_rows
from .format import count, duration, fitting, rate_class, rate_text, safe_text
from .keybar import KeyBar
from .timetravel import view_name
from .widgets import Banner, Rows, table_of

if TYPE_CHECKING:
    from textual.widgets import Sparkline

    from ..store import queries
    from ..store.poller import JobHealth

WINDOWS = ((N_("5 min"), 300), (N_("1 hour"), 3600), (N_("24 hours"), 86400))
CAPTION = N_("delivery rate = delivered / (delivered + failed), by send time; burn over 1 h")
#: The poller's job names and states, shown translated (listed so they are extracted).
JOB_WORDS = (
    *(N_("reports"), N_("replies"), N_("records"), N_("balance"), N_("prune")),
    *(N_("reconcile"), N_("reconcile_replies"), N_("forward"), N_("alerts"), N_("subaccounts")),
    *(N_("ok"), N_("degraded"), N_("failing"), N_("waiting"), N_("off"), N_("starting")),
)
#: Failure families (data/status_codes.toml) by a name short enough for the failures table.
FAMILIES = {
    "delivered": N_("delivered"),
    "handset": N_("handset"),
    "expired": N_("expired"),
    "smsc": N_("smsc"),
    "blacklist": N_("blacklist"),
    "content": N_("content"),
    "gateway": N_("gateway"),
    "rate": N_("rate limit"),
    "unknown": N_("unknown"),
}


@dataclass(frozen=True)
class Dashboard:
    """One load of the dashboard, read in a worker thread."""

    now: float
    summaries: list[queries.Summary]  # one per WINDOWS
    series: list[dict]  # per minute of the last hour
    failures: list[dict]  # of the 1-hour window
    balance: queries.BalanceView
    feed: list[FeedItem]
    prefixes: list[dict]
    jobs: list[JobHealth]  # as the poller last wrote them (none at a past moment)
    at: float | None = None  # time-travel: the moment shown (None: live)
    known_now: bool = False  # at a past moment: every report known now, not only by then
    firing: list[dict] | None = None  # at a past moment, the alerts firing then
    cost: list[dict] | None = None  # per WINDOWS: breakdown.cost
    week: list[tuple | None] | None = None  # per WINDOWS: breakdown.week_earlier


class Readout(Static):
    """A box of text that is redrawn only when its text changes, in place (its size is
    fixed by the stylesheet, so no layout is needed)."""

    def show(self, text: Text, health: str | None = None) -> None:
        if health is not None:
            for name in ("healthy", "degraded", "failing", "idle"):
                self.set_class(name == health, name)
        if text != self.content:
            self.update(text, layout=False)


def _rate_text(delivered: int, failed: int) -> Text:
    finals = delivered + failed
    return rate_text(delivered / finals if finals else None)


class RateBox(Readout):
    """Delivery for one window, coloured by health; its counts as short as its width needs."""

    summary: tuple[str, queries.Summary] | None = None

    def on_resize(self) -> None:
        if self.summary is not None:
            self.update_summary(*self.summary)

    def update_summary(self, label: str, s: queries.Summary) -> None:
        rate = "—" if s.delivery_rate is None else f"{s.delivery_rate:.1%}"
        lat = (
            ""
            if s.latency_p50_s is None
            else (f"\np50 {s.latency_p50_s:.0f}s p95 {s.latency_p95_s:.0f}s")
        )
        self.summary = label, s  # shown again at another width (see on_resize)
        width = self.content_size.width
        sent, fail = _("sent {sent} ok {ok}"), _("fail {failed} pend {pending}")
        head = Text(_(label), "bold")
        head.align("left", max(9, head.cell_len + 1))  # cells, not characters: 5 分钟 is 6 wide
        self.show(
            Text.assemble(
                head,
                (rate, "bold reverse" if rate_class(s.delivery_rate) == "failing" else "bold"),
                "\n" + fitting(lambda c: sent.format(sent=c(s.sent), ok=c(s.delivered)), width),
                "\n"
                + fitting(lambda c: fail.format(failed=c(s.failed), pending=c(s.pending)), width),
                lat,
            ),
            rate_class(s.delivery_rate),
        )


class DashboardScreen(StoreScreen):
    """The first screen.  Its top (banner, rate boxes, balance) makes the first frame; the
    chart and tables below are mounted once that frame is written (``FivecApp.on_ready``), so
    start-up paints without waiting for them.  They would be empty on that frame anyway:
    data arrives from a worker."""

    # Not on the key bar (no room at 80 columns): ``?`` lists it.
    BINDINGS = [
        Binding(
            "c", "app.switch_mode('breakdown')", N_("Breakdown"), id="nav.breakdown", show=False
        ),
    ]
    lower_mounted = False
    # Below 100 columns (fivec.tcss, .-narrow): the rate boxes drop their inner padding, as
    # 80 columns leave them 15 inside, and the failures and sync-jobs tables are stacked.
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (100, "-wide")]

    def compose(self) -> ComposeResult:
        # The breakpoint class, which Textual sets at the screen's first resize: set then, it
        # restyles every widget below a second time before the first frame.
        width = self.app.size.width
        self.update_classes(
            {
                name: at == max(a for a, _ in self.HORIZONTAL_BREAKPOINTS if a <= width)
                for at, name in self.HORIZONTAL_BREAKPOINTS
            },
            update=False,
        )
        yield Header()
        yield Banner(id="banner")  # above the scroll: LIVE, AUTH ERROR in sight when scrolled
        with VerticalScroll(id="dashboard"):
            yield Static(_(CAPTION), classes="caption", id="dashboard-caption")
            with Horizontal(id="rates"):
                for i in range(len(WINDOWS)):
                    yield RateBox(id=f"rate{i}", classes="ratebox")
                yield Readout(id="balance", classes="ratebox")
        yield KeyBar()

    def on_mount(self) -> None:
        self.week = weekago.WeekAgo(WINDOWS)
        if self.fivec.first_frame_shown:  # not the first screen after all
            self.call_later(self.mount_lower)

    def refresh_data(self) -> None:
        if self.lower_mounted:  # the first load starts once the tables are there
            super().refresh_data()

    async def mount_lower(self) -> None:
        from textual.widgets import Sparkline  # after the first frame, like the tables

        week = table_of(
            _("a week earlier"),
            _("rate"),
            _("sent"),
            _("delivered"),
            _("failed"),
            "p95",
            _("per delivered"),
            id="week",
        )
        failures, health, feed, prefixes = (
            table_of(
                _("code"), _("n"), _("family"), _("meaning"), id="failures", zebra_stripes=True
            ),
            table_of(
                _("job"), _("mode"), _("state"), _("last ok"), _("errors"), _("next"), id="health"
            ),
            table_of(_("time"), _("kind"), _("mobile"), _("what"), id="feed"),
            table_of(
                _("prefix"),
                _("sent"),
                _("delivered"),
                _("failed"),
                _("rate"),
                id="prefixes",
                zebra_stripes=True,
            ),
        )
        self.chart: Sparkline = Sparkline([], id="chart")
        self.tables = {
            "week": Rows(week),
            "failures": Rows(failures),
            "health": Rows(health),
            "feed": Rows(feed),
            "prefixes": Rows(prefixes),
        }
        await self.query_one("#dashboard").mount_all(
            [
                Static(_(weekago.CAPTION), classes="caption", id="week-caption"),
                week,
                Static(id="cost", classes="caption"),
                Static(
                    _("sent per minute, last hour (by send time)"),
                    classes="caption",
                    id="chart-caption",
                ),
                self.chart,
                Horizontal(
                    Vertical(Static(_("failures, last hour"), classes="caption"), failures),
                    Vertical(Static(_("sync jobs"), classes="caption"), health),
                    id="tables",
                ),
                Static(_("latest reports and replies"), classes="caption"),
                feed,
                Static(
                    _("by carrier prefix, last hour (a hint: numbers can be ported)"),
                    classes="caption",
                ),
                prefixes,
            ]
        )
        self.lower_mounted = True
        self.refresh_data()

    def load(self) -> Dashboard:
        from ..store import queries  # in the worker, after the first frame (see store/__init__)
        from ..store.poller import job_health

        store = self.fivec.store
        if self.fivec.at is not None:
            at = self.fivec.at
            known = None if self.fivec.known_now else at
            return load_at(store, at, self.fivec.known_now, self.week.read(store, at, known))
        now, memo = self.fivec.live_moment(), {}  # one read of the edges the windows share
        summaries = [queries.summary(store, w, now, memo) for _, w in WINDOWS]
        return Dashboard(
            now=now,
            summaries=summaries,
            series=queries.series(store, 3600, now, memo),
            failures=queries.failure_breakdown(summaries[1]),  # the 1-hour window
            balance=queries.balance(store, 3600, now),
            feed=feed_of(*queries.latest(store, now + CLOCK_SKEW_S)),
            prefixes=queries.prefixes(store, 3600, now, memo),
            jobs=job_health(store),
            **self.week.read(store, now, None),
        )

    def show(self, data: Dashboard) -> None:
        now = data.now
        self.query_one("#dashboard-caption", Static).update(caption(data))
        for i, (label, _seconds) in enumerate(WINDOWS):
            self.query_one(f"#rate{i}", RateBox).update_summary(label, data.summaries[i])
        b = data.balance
        runs_out = duration(b.runs_out_in_s) if b.runs_out_in_s else "—"
        burn = f"{b.burn_per_hour:,.0f}/h" if b.burn_per_hour else "—"
        remaining = "—"
        if b.remaining is not None:  # exact while it fits a narrow box (17 columns)
            exact = f"{b.remaining:,.0f}"
            remaining = exact if len(exact) <= 9 else count(int(b.remaining))
        self.query_one("#balance", Readout).show(
            Text.assemble(
                (_("balance") + " ", "bold"),
                (remaining, "bold"),
                "\n" + _("burn {burn}").format(burn=burn),
                "\n" + _("out in {time}").format(time=runs_out),
                "\n" + _("at {time}").format(time=show_time(b.at)),
            )
        )
        self.tables["week"].show(weekago.rows(data, self.fivec.unusual, WINDOWS))
        if data.cost:
            from .breakdown import cost_line  # (not needed for the first frame)

            line = cost_line(data.cost[1], data.now)
            self.query_one("#cost", Static).update(Text(line))
        self.chart.data = [m["sent"] for m in data.series] or [0]
        self.tables["failures"].show(
            [
                (
                    f["status"],
                    (
                        safe_text(f["status"]),
                        str(f["n"]),
                        _(FAMILIES.get(f["family"], f["family"])),
                        f["meaning"],
                    ),
                )
                for f in data.failures[:20]
            ]
        )
        self.tables["health"].show(health_rows(data.jobs, now))
        self.tables["feed"].show(
            [
                (
                    f.key,
                    (
                        show_time(f.at) if now - (f.at or now) < DATED_AFTER_S else show_date(f.at),
                        _(f.kind),
                        safe_text(f.mobile),
                        safe_text(
                            f.what, "red" if f.kind == "report" and f.what != "DELIVRD" else "", 60
                        ),
                    ),
                )
                for f in data.feed
            ]
        )
        self.tables["prefixes"].show(
            [
                (
                    p["prefix"],
                    (
                        p["prefix"],
                        str(p["sent"]),
                        str(p["delivered"]),
                        str(p["failed"]),
                        _rate_text(p["delivered"], p["failed"]),
                    ),
                )
                for p in data.prefixes
            ]
        )


def load_at(store, at: float, known_now: bool, baseline: dict | None = None) -> Dashboard:
    """The dashboard as it was at ``at`` (time-travel: see :mod:`fivec_tui.store.asof`)."""
    from ..store import asof, queries

    memo: dict = {}  # one read of the edges and late reports the windows share
    summaries = [asof.summary_at(store, w, at, known_now, memo) for _, w in WINDOWS]
    return Dashboard(
        now=at,
        summaries=summaries,
        series=asof.series_at(store, 3600, at, known_now, memo),
        failures=queries.failure_breakdown(summaries[1]),
        balance=asof.balance_at(store, 3600, at),
        feed=feed_of(asof.reports_at(store, at), asof.replies_at(store, at)),
        prefixes=asof.prefixes_at(store, 3600, at, known_now, memo),
        jobs=[],  # a job's health is the poller's now, not as it was then
        at=at,
        known_now=known_now,
        firing=asof.alerts_firing(store, at),
        **(baseline or {}),
    )


def caption(data: Dashboard) -> Text:
    """The line under the banner: what the numbers are, and at a past moment which alerts
    were firing then."""
    if data.at is None:
        return Text(_(CAPTION))
    from ..sync.alerts import rule_name

    firing = ", ".join(
        f"{rule_name(a['rule'])} ({show_time(a['since'] or a['at'])})" for a in data.firing or ()
    )
    return Text.assemble(
        (_("{view}, by the platform's times").format(view=view_name(data.known_now)), "magenta"),
        "  ",
        (_("alerts firing: {alerts}").format(alerts=firing), "bold red")
        if firing
        else _("no alert firing"),
    )
