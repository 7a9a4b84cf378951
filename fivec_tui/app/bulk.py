"""Bulk: send one file to many numbers.  Pick the file, map the mobile column, preview (every
row checked, priced), confirm, watch the progress; the campaigns below show their delivery.

The same journal as ``fivec-tui send --csv`` (:mod:`fivec_tui.sync.bulk`): a campaign paused
here (ctrl+t, after the request in flight) or cut short is finished with
``fivec-tui campaign resume ID``, which settles unknown outcomes from the send records first.
Rows whose number got the same text within ``[app] duplicate_window_s`` are rejected
(``recent``); each request is audited.  A read-only console shows the campaigns only.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Button, Header, Input, ProgressBar, Select, Static

from ..i18n import N_, _
from ..store import campaigns as journal
from ..store import queries
from ..store.campaigns import INTERRUPTED
from ..store.carryover import DAMAGED, damaged_earlier, refusal
from ..store.duplicates import earlier_sends
from ..when import show_date
from .base import StoreScreen
from .events import SendDone
from .format import safe_text
from .keybar import KeyBar
from .widgets import Banner, Confirm, ReadOnlyNotice, Rows, table_of

#: Rows of the file shown in the preview.
PREVIEW_ROWS = 8


@dataclass(frozen=True)
class Campaigns:
    """One load: the latest campaigns with their counts and delivery."""

    rows: list[tuple[dict, dict, dict]]  # (campaign, counts, delivery)


class BulkScreen(StoreScreen[Campaigns]):
    SHOWS_NOW = True  # acts on and shows the platform now, whatever moment the others show
    AUTO_FOCUS = "#bulk-path"  # as Send's: a typed path is never taken for navigation keys
    DEFAULT_CSS = """
    #bulk-file, #bulk-options, #bulk-row { height: auto; }
    #bulk-path, #bulk-content, #bulk-template, #bulk-rate { width: 1fr; }
    #bulk-mobile { width: 28; }
    #bulk-encode { width: 14; }
    #bulk-summary, #bulk-counts { height: auto; padding: 0 1; }
    #bulk-preview { height: auto; max-height: 10; }
    #bulk-campaigns { height: auto; max-height: 12; }
    """
    BINDINGS = [
        Binding("ctrl+r", "check", N_("Preview"), id="bulk.check"),
        Binding("ctrl+s", "send", N_("Send"), id="bulk.send"),
        Binding("ctrl+t", "pause", N_("Pause sending"), id="bulk.pause"),
    ]
    #: All three belong to the form, which a read-only console does not show.
    ACTING = frozenset({"check", "send", "pause"})

    prepared = None  # the last preview (sync.bulk.prepare.Prepared)
    summary = ""  # what the preview said, repeated in the confirmation
    earlier = None  # the last campaign made from the same file content
    runner = None  # the campaign being sent

    def compose(self) -> ComposeResult:
        yield Header()
        yield Banner(id="banner")
        with VerticalScroll():
            if self.fivec.read_only:
                yield ReadOnlyNotice(self.fivec.read_only)
            else:
                yield from self._form_widgets()
            yield Static(_("campaigns: delivery from the cache's reports"), classes="caption")
            table = table_of(
                _("id"),
                _("created"),
                _("state"),
                _("rows"),
                _("accepted"),
                _("failed"),
                _("unknown"),
                _("delivered"),
                _("pending"),
                _("rate"),
                id="bulk-campaigns",
            )
            self.campaigns = Rows(table)
            yield table
            yield Static(id="bulk-interrupted")
        yield KeyBar()

    def _form_widgets(self) -> ComposeResult:
        with Horizontal(id="bulk-file"):
            yield Input(placeholder=_("file: CSV (UTF-8 or GBK) or XLSX"), id="bulk-path")
            yield Select([], prompt=_("mobile column"), id="bulk-mobile")
        yield Input(
            placeholder=_("content, {column} filled per row; or a template code"),
            id="bulk-content",
        )
        with Horizontal(id="bulk-options"):
            yield Select(
                [("UTF-8", "UTF-8"), ("GBK", "GBK")],
                value="UTF-8",
                allow_blank=False,
                id="bulk-encode",
            )
            yield Input(placeholder=_("template code (optional)"), id="bulk-template")
            yield Input(placeholder=_("rate/s (blank: max)"), id="bulk-rate")
        with Horizontal(id="bulk-row"):
            yield Button(_("Preview (ctrl+r)"), variant="primary", id="bulk-check")
            yield Button(_("Send (ctrl+s)"), variant="warning", id="bulk-send")
            yield Button(_("Pause (ctrl+t)"), id="bulk-pause")
        yield Static(id="bulk-summary")
        yield ProgressBar(id="bulk-progress", show_eta=False)
        yield Static(id="bulk-counts")
        preview = table_of(_("row"), _("mobile"), _("text or reason"), id="bulk-preview")
        self.preview = Rows(preview)
        yield preview

    def on_mount(self) -> None:
        self.query_one("#bulk-interrupted", Static).display = False
        if not self.fivec.read_only:
            self.query_one("#bulk-encode", Select).value = self.fivec.profile.encode
            self.query_one("#bulk-progress", ProgressBar).display = False

    # -- campaigns and their delivery (refreshed) -------------------------------------------
    def load(self) -> Campaigns:
        store = self.fivec.store
        return Campaigns(
            [
                (c, journal.counts(store, c["id"]), journal.delivery(store, c["id"]))
                for c in journal.campaigns(store, 20)
            ]
        )

    def show(self, data: Campaigns) -> None:
        self.campaigns.show(
            [
                (
                    str(c["id"]),
                    (
                        str(c["id"]),
                        show_date(c["created_at"]),
                        _(journal.shown_state(c)),
                        str(c["rows"]),
                        str(n["accepted"]),
                        str(n["failed"]),
                        str(n["unknown"] + n["sending"]),
                        str(d["delivered"]),
                        str(d["pending"]),
                        "–" if d["rate"] is None else f"{d['rate']:.1%}",
                    ),
                )
                for c, n, d in data.rows
            ]
        )
        stopped = [c["id"] for c, _n, _d in data.rows if journal.shown_state(c) == INTERRUPTED]
        note = self.query_one("#bulk-interrupted", Static)
        note.display = bool(stopped)
        note.update(Text("\n".join(map(journal.resume_hint, stopped)), "bold yellow"))

    # -- the file: columns, preview ---------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id == "bulk-path":
            self.off_ui(lambda: self._header(event.value), self._set_columns, "bulk-header")
        else:
            self.action_check()

    def _header(self, path: str):
        from ..sync.bulk.source import SourceError, read_table

        try:
            return read_table(path.strip())
        except SourceError as exc:
            return exc

    def _set_columns(self, table) -> None:
        if isinstance(table, Exception):
            self.notify(str(table), severity="error", markup=False)
            return
        select = self.query_one("#bulk-mobile", Select)
        select.set_options([(safe_text(h), h) for h in table.header if h])  # str: markup
        if (i := table.column()) is not None:
            select.value = table.header[i]

    def _form(self) -> dict:
        mobile = self.query_one("#bulk-mobile", Select).value
        template = self.query_one("#bulk-template", Input).value.strip()
        content = self.query_one("#bulk-content", Input).value
        rate = self.query_one("#bulk-rate", Input).value.strip()
        return {
            "path": self.query_one("#bulk-path", Input).value.strip(),
            "mobile_column": mobile if isinstance(mobile, str) else None,
            "encode": str(self.query_one("#bulk-encode", Select).value),
            "template": template or None,
            "content": None if template else content,
            "rate": rate,
        }

    def action_check(self) -> None:
        form = self._form()
        store, window = self.fivec.store, self.fivec.profile.acting.duplicate_window_s
        now = self.fivec.clock()

        def check():
            from ..sync.bulk.prepare import prepare, write_rejects

            try:
                rate = float(form["rate"]) if form["rate"] else None
                if rate is not None and rate <= 0:
                    raise ValueError(_("--rate must be positive"))
                prepared = prepare(
                    form["path"],
                    encode=form["encode"],
                    content=form["content"],
                    template=form["template"],
                    rate=rate,
                    mobile_column=form["mobile_column"],
                    blacklisted=lambda mobiles: queries.cached_black(store, mobiles),
                    recent=lambda pairs: earlier_sends(store, pairs, window, now),
                )
                write_rejects(prepared)
            except (ValueError, OSError) as exc:
                return exc
            earlier = journal.made_from(store, prepared.content_sha1, prepared.table.sha1)
            return prepared, damaged_earlier(store, prepared.validation.valid, earlier) or earlier

        self.off_ui(check, self.show_preview, "bulk-check")

    def show_preview(self, checked) -> None:
        if isinstance(checked, Exception):
            self.prepared = None
            self.query_one("#bulk-summary", Static).update(safe_text(str(checked), "bold red"))
            return
        prepared, self.earlier = checked
        from ..sync.bulk.summary import summary_lines

        if self.runner is None:  # the last campaign's progress is not this file's
            self.query_one("#bulk-counts", Static).update("")
            self.query_one("#bulk-progress", ProgressBar).display = False

        self.prepared = prepared
        lines = summary_lines(prepared.price, len(prepared.rejects), reasons_inline=True)
        self.summary = "\n".join(lines)
        self.query_one("#bulk-summary", Static).update(Text(self.summary))
        at = prepared.validation.mobile_index
        rejects = [
            (
                r.row,
                safe_text(r.cells[at] if at < len(r.cells) else "", limit=20),
                safe_text(r.detail, "red"),  # may name a column of the file
            )
            for r in prepared.rejects[: PREVIEW_ROWS // 2]
        ]
        valid = [
            (r.row, r.mobile, safe_text(r.content, limit=60))
            for r in prepared.validation.valid[: PREVIEW_ROWS - len(rejects)]
        ]
        self.preview.show([(str(r[0]), (str(r[0]), r[1], r[2])) for r in rejects + valid])

    # -- sending -----------------------------------------------------------------------------
    def on_button_pressed(self, event: Button.Pressed) -> None:
        action = {"bulk-check": self.action_check, "bulk-send": self.action_send}
        action.get(event.button.id or "", self.action_pause)()

    def action_send(self) -> None:
        prepared = self.prepared
        if prepared is None or not prepared.price.valid:
            self.notify(_("preview a file with valid rows first (ctrl+r)"), severity="error")
            return
        if self.runner is not None:
            self.notify(_("a campaign is being sent"), severity="warning")
            return
        if self.fivec.client is None:
            self.notify(_("no account configured: cannot send"), severity="error")
            return
        earlier = self.earlier
        if earlier and earlier["state"] == DAMAGED:
            self.notify(refusal(earlier), severity="error", markup=False)
            return
        if earlier and earlier["state"] != "done":
            self.notify(
                _(
                    "campaign {id} (the same numbers and text) is not finished: resume it with "
                    "`fivec-tui campaign resume {id}` (sending the file again could send twice)"
                ).format(id=earlier["id"]),
                severity="error",
                markup=False,
            )
            return
        again = (
            _(
                "campaign {id} sent the same text to the same numbers on {date}: this sends it "
                "once more"
            ).format(id=earlier["id"], date=show_date(earlier["created_at"]))
            if earlier
            else ""
        )
        body = Text.assemble(
            safe_text(str(prepared.table.path), limit=120),
            "\n\n",
            (again + "\n\n" if again else "", "bold yellow"),
            self.summary,
            "\n\n" + _("account {account}").format(account=self.fivec.profile.username),
        )
        self.app.push_screen(
            Confirm(_("Send {n} message(s) now?").format(n=prepared.price.valid), body),
            lambda ok: self._go(prepared) if ok else None,
        )

    def action_pause(self) -> None:
        if self.runner is not None:
            self.runner.pause.set()
            self.notify(_("pausing after the request in flight"))

    @work(exclusive=True, exit_on_error=False, group="bulk-send")
    async def _go(self, prepared) -> None:
        import asyncio

        from ..sync.bulk.prepare import create
        from ..sync.bulk.run import Runner

        store = self.fivec.store
        self.prepared = None  # a preview sends once: the same file again is previewed again
        cid = await asyncio.to_thread(create, store, prepared)
        self.runner = Runner(
            store,
            self.fivec.client,
            cid,
            rate=prepared.plan.rate,
            audit=self.fivec.auditor(),
            on_progress=self.show_progress,
        )
        bar = self.query_one("#bulk-progress", ProgressBar)
        bar.display = True
        bar.update(total=prepared.price.valid, progress=0)
        try:
            state = await self.runner.run()
            await asyncio.to_thread(self.runner.write_results)
        finally:
            self.runner = None
        self.notify(_("campaign {id}: {state}").format(id=cid, state=_(state)), markup=False)
        self.post_message(SendDone())
        self.refresh_data()

    def show_progress(self, p) -> None:
        """The bar and the counts; the ETA once a pace was measured (``eta_s`` None before:
        "0/3000 … ETA" said a time nothing supported)."""
        self.query_one("#bulk-progress", ProgressBar).update(total=p.rows, progress=p.submitted)
        line = _("{done}/{total} submitted: {counts}").format(
            done=p.submitted,
            total=p.rows,
            counts=_("accepted {a} · failed {f} · unknown {u} · {rate:g}/s").format(
                a=p.accepted, f=p.failed, u=p.unknown, rate=p.rate
            ),
        )
        if p.eta_s is not None:
            line += "  " + _("ETA {eta}").format(eta=_("{n} s").format(n=round(p.eta_s)))
        self.query_one("#bulk-counts", Static).update(Text(line))


#: Campaign states, shown translated (listed so they are extracted).
STATES = (N_("ready"), N_("sending"), N_("paused"), N_("done"), N_("damaged"))
