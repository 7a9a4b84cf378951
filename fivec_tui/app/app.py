"""The Textual app: screens as modes, a calm refresh loop, the caches read as a poller fills
them (:mod:`.link`), its parts talking through messages (:mod:`.events`)."""

from __future__ import annotations

import asyncio
import gc
import importlib
import signal
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from rich.text import Text
from textual import events, work
from textual.app import App, ScreenStackError, UnknownModeError
from textual.binding import Binding
from textual.reactive import reactive

from ..api.redact import mask_url
from ..config import Profile
from ..i18n import N_, _
from ..store import Store
from ..sync.diagnosis import REASONS
from ..when import zone_label
from .account_focus import AccountFocus
from .base import StoreScreen
from .changed_cells import Frame
from .dashboard import DashboardScreen
from .format import safe_text
from .keymap import checked as checked_keymap
from .keymap import unknown_ids
from .link import Hosted, SyncEvents, SyncLink
from .palette import PaletteActions
from .terminal import driver_for
from .textual_hooks import set_scroll_bars
from .themes import load_theme, remember_theme, remembered_theme, theme_files
from .timetravel import BINDINGS as TIME_BINDINGS
from .timetravel import TimeTravelActions, banner_state
from .typeahead import KeysInOrder

if TYPE_CHECKING:
    from textual.driver import Driver
    from textual.screen import Screen

    from ..api.client import FivecClient
    from ..store.auditor import Auditor
    from .demo import SimControl

Startup = Callable[["FivecApp"], Awaitable[None]]
#: The collector's thresholds while the app runs: Python's for the young generations (each
#: collection ~0.1 and ~1 ms), full collections a hundred times rarer. A full one walks every
#: object of the process, 50-95 ms under a flood, each one a frame that late; with the
#: defaults it came every ~3 s. (Larger young generations were tried: a middle collection
#: then took ~100 ms.)
GC_THRESHOLDS = (700, 10, 1000)
#: Longest a screen just shown waits for its first frame before loading (see after_frame).
AFTER_FRAME_S = 0.2
#: How each stream is read (``[profiles.NAME.streams]``), as the banner names it.
STREAM_MODES = {"pull": N_("pull"), "push": N_("push"), "watch": N_("watch"), "off": N_("off")}


def _later(module: str, name: str) -> Callable[[], Screen]:
    """A screen whose module is imported the first time its mode is entered.

    Only the dashboard is needed for the first frame; the other screens' modules (and the
    form widgets they pull in) would add about 10 ms to start-up.
    """

    def make() -> Screen:
        return getattr(importlib.import_module(make.module), name)()

    make.__qualname__, make.module = name, f"{__package__}.{module}"
    return make


class FivecApp(KeysInOrder, SyncEvents, AccountFocus, TimeTravelActions, PaletteActions, App):
    CSS_PATH = "fivec.tcss"
    TITLE = "fivec-tui"
    #: Every screen but the first, the dashboard, which is the default screen (see
    #: get_default_screen); :meth:`screens` lists them all.
    MODES = {
        "replies": _later("replies", "RepliesScreen"),
        "messages": _later("messages", "MessagesScreen"),
        "send": _later("send", "SendScreen"),
        "bulk": _later("bulk", "BulkScreen"),
        "blacklist": _later("blacklist", "BlacklistScreen"),
        "alerts": _later("alerts", "AlertsScreen"),
        "timeline": _later("timeline", "TimelineScreen"),
        "accounts": _later("accounts", "AccountsScreen"),
        "subaccounts": _later("subaccounts", "SubaccountsScreen"),
        "audit": _later("audit", "AuditScreen"),
        "breakdown": _later("breakdown", "BreakdownScreen"),
    }
    DEFAULT_MODE = "dashboard"
    BINDINGS = [
        Binding("d", "switch_mode('dashboard')", N_("Dashboard"), id="nav.dashboard"),
        Binding("r", "switch_mode('replies')", N_("Replies"), id="nav.replies"),
        Binding("m", "switch_mode('messages')", N_("Messages"), id="nav.messages"),
        Binding("s", "switch_mode('send')", N_("Send"), id="nav.send"),
        # Not on the key bar, which has no room left at 80 columns: f, the palette, the keys.
        Binding("f", "switch_mode('bulk')", N_("Bulk"), id="nav.bulk", show=False),
        Binding("b", "switch_mode('blacklist')", N_("Blacklist"), id="nav.blacklist"),
        Binding("a", "switch_mode('alerts')", N_("Alerts"), id="nav.alerts"),
        Binding(
            "u", "switch_mode('subaccounts')", N_("Sub-accounts"), id="nav.subaccounts", show=False
        ),
        Binding("A", "accounts", N_("Accounts"), id="nav.accounts", show=False),
        Binding("w", "switch_mode('audit')", N_("Audit"), id="nav.audit", show=False),
        Binding("p", "pause", N_("Pause"), id="app.pause"),
        Binding("question_mark", "keys", N_("Keys"), id="app.help"),
        Binding("ctrl+q", "quit", N_("Quit"), id="app.quit", priority=True),
        *TIME_BINDINGS,
    ]

    #: ``[app] unusual_change`` and ``unusual_points``: when a number differs from the same
    #: window a week earlier enough to be marked (the Breakdown screen, the dashboard).
    unusual: tuple[float, float] = (0.5, 0.03)
    #: ``p`` stops the refresh of the screens (the sync goes on).
    paused = reactive(False)
    #: The focused account's sync (:class:`~.events.SyncStateChanged`): ``starting`` until
    #: its poller has run each job once, then ``live``, ``read-only`` (no poller, or it
    #: exited) or why its jobs fail (``auth error``: :data:`~fivec_tui.sync.diagnosis.REASONS`).
    sync_state = reactive("starting")
    #: A line for the banner: the demo, a daemon owning the sync, why the sync stopped.
    note = reactive("")
    #: What is still coming into the cache that the numbers shown lack (the demo's past:
    #: "loading history…"), in the banner until it is in; "" when nothing is.
    loading = reactive("")
    #: Time-travel (see :mod:`.timetravel`): the moment every screen shows, None when live.
    at: reactive[float | None] = reactive(None, init=False)
    #: At a past moment, count every report cached since, not only those reported by then.
    known_now = reactive(False, init=False)

    def __init__(
        self,
        profile: Profile,
        store: Store,
        *,
        client: FivecClient | None = None,
        startup: Startup | None = None,
        refresh_s: float = 2.0,
        keymap: dict[str, str] | None = None,
        note: str = "",
        clock: Callable[[], float] = time.time,
        at: float | None = None,
        accounts: list[Hosted] | None = None,
    ) -> None:
        #: With several profiles, every account by name; the app opens on their overview.
        self.accounts = {a.name: a for a in accounts or ()}
        if len(self.accounts) > 1:
            self.DEFAULT_MODE = "accounts"
        super().__init__()
        if self.DEFAULT_MODE != "dashboard":
            self.add_mode("dashboard", DashboardScreen)
        gc.set_threshold(*GC_THRESHOLDS)
        self.profile, self.store, self.client = profile, store, client
        #: Every account's client by name, the focused one's is ``client`` (made at startup).
        self.clients: dict[str, FivecClient] = {}
        self.simulator: SimControl | None = None  # the demo's, once started
        #: The pollers the accounts read from, and the children this app started.
        self.link = SyncLink()
        self.startup, self.refresh_s = startup, refresh_s
        self.set_reactive(FivecApp.note, note)
        self.set_reactive(FivecApp.sync_state, "starting" if startup else "read-only")
        #: What "now" is for every window on screen (fixed in snapshot tests).
        self.clock = clock
        self.set_reactive(FivecApp.at, at)
        self.first_frame_shown = False
        #: what the terminal shows: the driver writes only the cells that change it
        self.frame = Frame()
        self.theme_errors: list[str] = []
        self.config_keys = keymap or {}  # ([keys] of the config; Textual keeps its own _keymap)
        for path in theme_files():
            try:
                self.register_theme(load_theme(path))
            except ValueError as exc:
                self.theme_errors.append(str(exc))
        set_scroll_bars()
        saved = remembered_theme()
        #: The theme as it is remembered: the first one is not written again (watch_theme).
        self.saved_theme = saved if saved in self.available_themes else "fivec-dark"
        self.theme = self.saved_theme

    def get_default_screen(self) -> Screen:
        """The dashboard, made as Textual makes its default screen, then named as a mode.

        A mode's first screen made from MODES has Textual refresh the whole CSS (its
        variables set again, every stylesheet parsed twice more) before the screen is styled
        at all: ~10 ms of the first frame (``tests/bench/bench_ui.py``), for nothing, as the
        default screen shows (this is how a bare Textual app starts)."""
        self.add_mode("dashboard", DashboardScreen)
        return DashboardScreen()

    @classmethod
    def screens(cls) -> dict[str, Callable[[], Screen]]:
        """Every mode's screen, the dashboard's too."""
        return {"dashboard": DashboardScreen, **cls.MODES}

    def on_mount(self) -> None:
        if self.config_keys:
            keys, problems = checked_keymap(self.config_keys)
            self.set_keymap(keys)
            for problem in problems:
                self.notify(problem, severity="warning", timeout=30, markup=False)
            self.run_worker(self.check_key_ids, thread=True, exit_on_error=False)
        for error in self.theme_errors:
            self.notify(error, title=_("theme not loaded"), severity="warning", markup=False)
        self.set_interval(self.refresh_s, self.refresh_screen)
        # In the loop, not a bare signal handler, which could run in the middle of a write.
        # SIGTERM too (kill, a session manager): the terminal is given back and what the app
        # started is stopped, as for a quit; by default it ended the process on the spot,
        # the terminal left on the alternate screen and the demo's directory behind.
        for sig in (signal.SIGHUP, signal.SIGTERM):
            asyncio.get_running_loop().add_signal_handler(sig, self.exit)

    def check_key_ids(self) -> None:
        """Say the ``[keys]`` ids no binding has (in a thread: it imports every screen)."""
        modules = [getattr(make, "module", make.__module__) for make in self.screens().values()]
        for binding in unknown_ids(self.config_keys, type(self), modules):
            said = _("[keys] {binding}: no key has this id (? lists them)").format(binding=binding)
            self.call_from_thread(self.notify, said, severity="warning", timeout=30, markup=False)

    @property
    def starting(self) -> bool:
        return self.sync_state == "starting"

    #: Actions on the platform off for every account, and why (the demo's ``--read-only``:
    #: its profiles are made in code); each profile says it too (``acting.read_only``).
    actions_off = ""

    @property
    def read_only(self) -> str:
        """Why this account may not be acted on from here ("" when it may): no send, bulk
        send, blacklist removal, IP binding or sub-account action, by key, palette or form."""
        return self.actions_off or self.profile.acting.read_only

    def auditor(self) -> Auditor:
        """The audit trail of the account shown, written as this user on ``tui`` (``serve``
        in a browser); it refuses every action while :attr:`read_only`."""
        from ..sync.acting import auditor_for

        audit = auditor_for(self.profile, self.store, "serve" if self.is_web else "tui")
        audit.read_only = self.read_only
        return audit

    def get_driver_class(self) -> type[Driver]:
        """Textual's driver, writing only the cells that changed (see :mod:`.terminal`)."""
        return driver_for(super().get_driver_class())

    def after_frame(self, screen: Screen, callback: Callable[[], object]) -> None:
        """Call ``callback`` once a frame of ``screen`` is on the terminal, as the driver's
        frame tells, or after ``AFTER_FRAME_S`` if none is by then (nothing on it changed).

        With no driver of ours (headless, or stock Textual's), after the screen's next
        refresh: that may come before its frame is written (its load then delays it).
        """
        if not self.frame.attached:
            screen.call_after_refresh(callback)
            return
        done = False

        def once() -> None:
            nonlocal done
            if not done:
                done = True
                if written in self.frame.waiting:
                    self.frame.waiting.remove(written)
                callback()

        def written() -> None:
            if self.screen is screen:
                self.call_next(once)
            elif not done:  # another screen's frame: wait for the next
                self.frame.when_written(written)

        self.frame.when_written(written)
        self.set_timer(AFTER_FRAME_S, once)

    def on_resize(self, event: events.Resize) -> None:
        """The terminal may have moved or dropped what it showed: the next frame is written
        whole (this runs before Textual's own handler draws it)."""
        self.frame.reset(event.size.height)

    def on_ready(self) -> None:
        """The first frame is written (whole, as the dashboard is the default screen: see
        get_default_screen): start what it does not need (the dashboard's tables, the
        network) after it."""
        self.first_frame_shown = True
        if not gc.isenabled():  # off while the process started (fivec_tui.__main__.run):
            # what it made is put out of its sight first, or the first collection, at the
            # next allocation, would walk it all, the GIL held while the frame is written.
            gc.freeze()
            gc.enable()
        if isinstance(self.screen, DashboardScreen):
            self.call_after_refresh(self.screen.mount_lower)
        if self.startup:
            self.call_after_refresh(self._start)

    @work(exit_on_error=False, group="startup")
    async def _start(self) -> None:
        try:
            await self.startup(self)
        except Exception as exc:  # shown, not fatal: the cache can still be read
            self.notify(
                str(exc), title=_("sync not started"), severity="error", timeout=30, markup=False
            )
            self.note = _("sync not started: {error}").format(error=exc)
        finally:
            if not self.link.pollers:  # none to read from: what the cache holds, as it is
                self.sync_state = "read-only"
            # What start-up made lives as long as the app: out of the collector's sight (see
            # GC_THRESHOLDS), a full collection walks only what came since.
            gc.freeze()

    def watch_theme(self, theme: str) -> None:
        if theme != self.saved_theme:
            remember_theme(theme)
            self.saved_theme = theme

    def banner(self, screen: Screen | None = None) -> Text:
        """The banner of every screen: the state (LIVE, paused, or the past moment and its
        view), the display zone, the account.  ``screen`` showing the present whatever the
        moment (``SHOWS_NOW``: a send) says so at a past moment."""
        if self.at is not None:
            state = banner_state(self.at, self.known_now, getattr(screen, "SHOWS_NOW", False))
        else:
            if self.paused:
                state = Text(" " + _("PAUSED (p)") + " ", "reverse yellow")
            elif self.sync_state == "live":
                state = Text(" " + _("LIVE") + " ", "reverse green")
            elif self.sync_state in REASONS:  # the poller runs and its jobs fail: why
                state = Text(" " + _(self.sync_state).upper() + " ", "reverse bold red")
            else:  # "read-only": no poller writes this cache (the note says why)
                label = _("starting") if self.starting else _("not syncing")
                state = Text(" " + label + " ", "reverse")
            state.append(" " + _("times {zone}").format(zone=zone_label(self.clock())), "bold")
        modes = {k: _(STREAM_MODES.get(v, v)) for k, v in self.profile.streams.items()}
        if len(set(modes.values())) == 1:  # the usual case, in a third of the width
            streams = _("all streams {mode}").format(mode=next(iter(modes.values())))
        else:
            streams = "  ".join(f"{_(k)}:{v}" for k, v in modes.items())
        watch = Text.assemble((f" {_('READ-ONLY')} ", "reverse bold magenta"), " ")
        loading = Text.assemble((f" {self.loading} ", "reverse bold yellow"), " ")
        return Text.assemble(
            state,
            " ",
            loading if self.loading else "",
            watch if self.read_only else "",
            safe_text(f"[{self.profile.name}] " if self.accounts else ""),
            safe_text(self.profile.username or _("(no account)")),
            " @ ",
            safe_text(mask_url(self.profile.base_url)),
            f"   {streams}   ",
            safe_text(self.note, "yellow"),
        )

    def refresh_screen(self) -> None:
        """Reload the current screen from the cache (the refresh interval, new rows)."""
        try:
            screen = self.screen
        except (ScreenStackError, UnknownModeError):  # the app is closing its screens
            return
        if not self.paused and isinstance(screen, StoreScreen):
            self.moment = self.clock()
            screen.refresh_data()

    #: The moment of the last refresh (None before the first): see :meth:`live_moment`.
    moment: float | None = None

    def live_moment(self) -> float:
        """Where the live screens' windows end: the last refresh's moment, so that screens
        loaded between two refreshes (the dashboard, then ``c``) count the same windows and
        agree to the message; each says it ("last hour to 21:03:15")."""
        if self.moment is None:
            self.moment = self.clock()
        return self.moment

    def action_pause(self) -> None:
        self.paused = not self.paused
        self.notify(_("updates paused (p resumes)") if self.paused else _("updates resumed"))
        self.refresh_screen()

    async def ask_consent(self, username: str | None = None) -> bool:
        """The first destructive pull on an account asks; the answer is remembered."""
        body = Text(
            _(
                "Pulling status reports and replies for {username} TAKES them: any other "
                "system reading them (your backend, another tool) will no longer get them. Set "
                "streams.reports / streams.replies to 'push', 'watch' or 'off' to avoid this."
            ).format(username=username or self.profile.username)
        )
        from .widgets import Confirm

        return bool(await self.push_screen_wait(Confirm(_("Pull reports and replies?"), body)))
