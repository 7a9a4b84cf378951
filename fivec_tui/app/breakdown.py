"""Breakdown (``c`` from anywhere): the last hour per carrier, signature, template or campaign,
side by side: sent, failed, pending, delivery rate, latency p50/p95/p99, opt-outs
(:mod:`fivec_tui.store.optouts`), and per carrier the error-budget burn (last hour and five
minutes, :mod:`fivec_tui.sync.burn`) and the budget left over the SLO window; each beside the same hour a week earlier, marked ``!`` when it
differs by more than ``[app] unusual_change`` / ``unusual_points``.  Below, what the hour
cost (billed parts, balance spent, per delivered message).  Below :data:`WIDE_FROM` columns
the least looked-at columns are left out (:data:`COLUMNS`).

``g`` goes to the next breakdown, ``o`` sorts by the next column.  At a past moment (time
travel) the carriers are as known then; message groups are counted as known now.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding
from textual.widgets import Header, Static

from ..i18n import N_, _
from ..when import parse_window, show_time
from .base import StoreScreen
from .format import count, duration, safe_text
from .keybar import KeyBar
from .widgets import Banner, Rows, table_of

WINDOW_S = 3600
#: The breakdowns, in the order ``g`` goes through them.
KINDS = {
    "carrier": N_("by carrier (a hint: numbers can be ported)"),
    "signature": N_("by signature"),
    "template": N_("by template"),
    "campaign": N_("by campaign"),
}
#: The orders ``o`` goes through: (row key, most first).
SORTS = (
    ("sent", True),
    ("failed", True),
    ("rate", False),
    ("latency_p95_s", True),
    ("opt_outs", True),
)


@dataclass(frozen=True)
class Breakdown:
    kind: str
    rows: dict[str, dict]
    week: dict[str, dict] | None  # the same rows a week earlier (None: not cached)
    cost: dict
    end: float  # where the window ends
    note: str = ""


def unusual(now: float | None, then: float | None, margin: float, points: bool) -> bool:
    """``now`` differs from ``then`` by more than ``margin`` (points of a rate, or a share of
    ``then``)."""
    if now is None or then is None:
        return False
    if points:
        return abs(now - then) > margin
    return abs(now - then) > margin * then if then else now > 0


#: The columns: (header, which breakdowns show it at a narrow width (below
#: :data:`WIDE_FROM` columns)).  Narrow, the burn and budget columns of the carriers stay and
#: what is least looked at goes (pending, p50, p99, and the week-ago rate, whose "!" then
#: marks the rate itself); the message groups keep their counts and lose the burn columns,
#: which are the carriers' only.
COLUMNS = {
    "name": (N_("name"), ("carrier", "group")),
    "sent": (N_("sent"), ("carrier", "group")),
    "failed": (N_("failed"), ("group",)),
    "pending": (N_("pending"), ()),
    "rate": (N_("rate"), ("carrier", "group")),
    "week": (N_("week ago"), ("group",)),
    "p50": ("p50", ()),
    "p95": ("p95", ("carrier", "group")),
    "p99": ("p99", ()),
    "opt_outs": (N_("opt-outs"), ("carrier", "group")),
    "burn_1h": (N_("burn 1h"), ("carrier",)),
    "burn_5m": (N_("burn 5m"), ("carrier",)),
    "budget": (N_("budget left"), ("carrier",)),
}
#: The width from which every column is shown.
WIDE_FROM = 130


def columns(kind: str, width: int) -> tuple[str, ...]:
    """The columns a breakdown shows at ``width``."""
    if width >= WIDE_FROM:
        return tuple(COLUMNS)
    family = "carrier" if kind == "carrier" else "group"
    return tuple(key for key, (_header, narrow) in COLUMNS.items() if family in narrow)


class BreakdownScreen(StoreScreen[Breakdown]):
    AUTO_FOCUS = "#breakdown"
    DEFAULT_CSS = """
    #breakdown { height: 1fr; }
    #breakdown-caption, #breakdown-cost { height: auto; padding: 0 1; }
    """
    BINDINGS = [
        Binding("g", "next_kind", N_("Next breakdown"), id="breakdown.kind"),
        Binding("o", "next_sort", N_("Sort"), id="breakdown.sort"),
    ]

    kind = "carrier"
    sort = 0
    shown_columns: tuple[str, ...] = ()
    data: Breakdown | None = None

    def compose(self) -> ComposeResult:
        yield Header()
        yield Banner(id="banner")
        yield Static(id="breakdown-caption")
        table = table_of(id="breakdown", zebra_stripes=True)
        self.rows = Rows(table)
        yield table
        yield Static(id="breakdown-cost")
        yield KeyBar()

    def on_resize(self) -> None:
        if self.data is not None:
            self.show(self.data)

    def _set_columns(self, wanted: tuple[str, ...]) -> None:
        """The table's columns made anew when the width or the breakdown changes them."""
        if wanted == self.shown_columns:
            return
        table = self.rows.table
        table.clear(columns=True)
        table.add_columns(*(_(COLUMNS[key][0]) for key in wanted))
        self.rows.shown = {}
        self.shown_columns = wanted

    def action_next_kind(self) -> None:
        kinds = list(KINDS)
        self.kind = kinds[(kinds.index(self.kind) + 1) % len(kinds)]
        self.refresh_data()

    def action_next_sort(self) -> None:
        self.sort = (self.sort + 1) % len(SORTS)
        self.refresh_data()

    def load(self) -> Breakdown:
        from ..store import breakdown, queries

        store, slo, at = self.fivec.store, self.fivec.profile.slo, self.fivec.at
        now = self.fivec.live_moment() if at is None else at
        known = None
        if at is not None and not self.fivec.known_now and at < self.fivec.clock():
            known = at
        if self.kind != "carrier":
            note = _("counted as known now") if at is not None else ""
            rows = breakdown.groups(store, self.kind, WINDOW_S, now)
            week = None
            if breakdown.holds(store, now - breakdown.WEEK_S - WINDOW_S, now - breakdown.WEEK_S):
                week = breakdown.groups(store, self.kind, WINDOW_S, now - breakdown.WEEK_S)
            cost = breakdown.cost(store, WINDOW_S, now)
            return Breakdown(self.kind, rows, week, cost, now, note)
        head = breakdown.headline(store, WINDOW_S, now, known, slo.delivery)
        long = queries.by_carrier(store, parse_window(slo.window), now, latency=False)
        rows = {
            carrier: r | {"budget": _budget(long.get(carrier), slo.delivery)}
            for carrier, r in head["carriers"].items()
        }
        week = head["baseline"]["carriers"] if head["baseline"] else None
        return Breakdown("carrier", rows, week, head["cost"], now)

    def show(self, data: Breakdown) -> None:
        self.data = data
        change, points = self.fivec.unusual
        caption = _("last hour to {end}, {kind}").format(
            end=show_time(data.end), kind=_(KINDS[data.kind])
        )
        if data.note:
            caption += f" ({data.note})"
        key, most = SORTS[self.sort]
        caption += "  " + _("sorted by {column}").format(column=_sort_name(key))
        self.query_one("#breakdown-caption", Static).update(Text(caption))
        wanted = columns(data.kind, self.size.width)
        self._set_columns(wanted)
        ordered = sorted(
            data.rows.items(),
            key=lambda kv: (kv[1][key] is None, -(kv[1][key] or 0) if most else kv[1][key] or 0),
        )
        shown = []
        for name, r in ordered:
            before = (data.week or {}).get(name)
            marks = before is not None and (
                unusual(r["rate"], before["rate"], points, True),
                unusual(r["sent"], before["sent"], change, False),
            )
            cells = self._cells(data.kind, name, r, before, marks or (False, False))
            shown.append((f"{data.kind}:{name}", tuple(cells[k] for k in wanted)))
        if len(data.rows) > 1:
            cells = self._cells(data.kind, "", total(data.rows), None, (False, False))
            cells["name"] = Text(_("total"), "bold")
            shown.append(("total", tuple(cells[k] for k in wanted)))
        self.rows.show(shown)
        line = cost_line(data.cost, data.end)
        self.query_one("#breakdown-cost", Static).update(Text(line))

    def _cells(self, kind: str, name: str, r: dict, before, marks: tuple[bool, bool]) -> dict:
        """Every column's cell of a row.  ``marks``: (the rate, the count sent) unusual
        against a week earlier, each marked on its own cell (a newcomer read a rate marked
        "97.7% !" beside a week-ago 97.7%: it was the volume)."""
        from ..store.breakdown import group_label

        page = self.fivec.profile.slo.page_burn
        label = group_label(kind, name)
        week = "—" if not before else _percent(before["rate"])
        rate_mark, sent_mark = marks
        mark = Text(" !", "bold yellow")
        return {
            "name": _name_cell(label),
            "sent": Text.assemble(count(r["sent"]), mark if sent_mark else ""),
            "failed": Text(count(r["failed"]), "red" if r["failed"] else ""),
            "pending": count(r["pending"]),
            "rate": Text.assemble(_percent(r["rate"]), mark if rate_mark else ""),
            "week": week,
            "p50": _seconds(r["latency_p50_s"]),
            "p95": _seconds(r["latency_p95_s"]),
            "p99": _seconds(r["latency_p99_s"]),
            "opt_outs": Text(count(r["opt_outs"]), "yellow" if r["opt_outs"] else ""),
            "burn_1h": _burn(r.get("burn_1h"), page),
            "burn_5m": _burn(r.get("burn_5m"), page),
            "budget": _percent(r.get("budget")),
        }


def _budget(s, objective: float) -> float | None:
    from ..store.breakdown import burn

    b = burn(s, objective)
    return None if b is None else 1 - b


def _sort_name(key: str) -> str:
    names = {"sent": _("sent"), "failed": _("failed"), "rate": _("rate"), "opt_outs": _("opt-outs")}
    return names.get(key, "p95")


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value:.1%}"


def _seconds(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}s"


def _burn(value: float | None, page: float) -> Text:
    if value is None:
        return Text("—")
    return Text(f"{value:.1f}x", "bold red" if value > page else "yellow" if value > 1 else "")


#: The widest a name is shown, in terminal cells (a template of Chinese text takes two a
#: character: cut at 20 characters, it pushed the last columns off 80).
NAME_CELLS = 20


def _name_cell(label: str) -> Text:
    from rich.cells import cell_len, set_cell_size

    text = safe_text(label)
    if cell_len(text.plain) > NAME_CELLS:
        text = Text(set_cell_size(text.plain, NAME_CELLS - 1) + "…", no_wrap=True)
    return text


def total(rows: dict[str, dict]) -> dict:
    """The rows added up (the dashboard's hour, for the same moment): counts and rate; no
    latency, burn or budget, which do not add."""
    out = {k: sum(r[k] for r in rows.values()) for k in ("sent", "delivered", "failed")}
    out |= {k: sum(r[k] for r in rows.values()) for k in ("pending", "opt_outs")}
    finals = out["delivered"] + out["failed"]
    out["rate"] = out["delivered"] / finals if finals else None
    return out | dict.fromkeys(("latency_p50_s", "latency_p95_s", "latency_p99_s"))


def cost_line(cost: dict, end: float) -> str:
    """What the last hour to ``end`` cost (``breakdown.cost``), and when the balance runs
    out at the recent burn."""
    spent = "—" if cost["spent"] is None else f"{cost['spent']:,.2f}"
    if cost.get("spent_since") is not None and cost["spent"] is not None:
        spent = _("{spent} (since {time})").format(spent=spent, time=show_time(cost["spent_since"]))
    per = "—" if cost["per_delivered"] is None else f"{cost['per_delivered']:.4f}"
    line = _(
        "last hour to {end}: {parts} parts billed, {spent} spent, {per} a delivered message"
    ).format(end=show_time(end), parts=cost["parts"], spent=spent, per=per)
    if cost.get("runs_out_in_s"):
        time = duration(cost["runs_out_in_s"])
        line = _("{cost}; runs out in {time}").format(cost=line, time=time)
    return line
