"""What every screen shares: periodic refresh from the store, off the UI thread."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.worker import Worker, WorkerState

from ..i18n import N_, _
from ..text import visible

if TYPE_CHECKING:
    from .app import FivecApp

#: What a screen's ``load`` returns: a small dataclass of plain data, defined by the screen.
Loaded = TypeVar("Loaded")


class FivecScreen(Screen[None]):
    """What every screen of the app has: its store reads off the UI thread, their errors
    told, and a way out of text fields.

    ``escape`` leaves a text field so that the single-letter navigation keys work again; the
    key bar shows it only while a field has the focus, when those keys are hidden.
    """

    BINDINGS = [Binding("escape", "leave_field", N_("Leave field"), id="screen.leave")]
    #: The screen's actions that change something on the platform: neither shown nor run
    #: while the console is read-only (their workers are refused by the audit trail too).
    ACTING: ClassVar[frozenset[str]] = frozenset()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action in self.ACTING and self.fivec.read_only:
            return False
        if action == "leave_field":  # a field takes typed letters: the nav keys are hidden
            field = self.focused
            return field is not None and field.check_consume_key("a", "a")
        return True

    def action_leave_field(self) -> None:
        """Out of the field, onto what scrolls the screen (a form taller than 24 lines): the
        navigation keys then work and pgdn, end reach what is below (a bulk preview)."""
        self.set_focus(next(iter(self.query(VerticalScroll)), None))

    @property
    def fivec(self) -> FivecApp:
        return self.app  # type: ignore[return-value]

    _failure = ""  # the last load error told, so a failing refresh tick says it once

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """A load or show that raised is told, once until it changes or a load succeeds:
        an empty table must not pass for an empty cache (the workers swallow errors)."""
        if event.state == WorkerState.ERROR:
            failure = visible(f"{type(event.worker.error).__name__}: {event.worker.error}")
            if failure != self._failure:
                self._failure = failure
                self.notify(failure, title=_("not refreshed"), severity="error", markup=False)
        elif event.state == WorkerState.SUCCESS and event.worker.group == "refresh":
            self._failure = ""

    def off_ui(self, query: Callable[[], Any], then: Callable[[Any], None], group: str) -> None:
        """Run ``query`` (store reads) in a thread; hand its result to ``then`` on the UI.

        Within a group only the newest call survives, so a fast typist or scroller never
        queues stale queries.
        """

        def job() -> None:
            result = query()
            self.app.call_from_thread(then, result)

        self.run_worker(job, thread=True, exclusive=True, exit_on_error=False, group=group)


class StoreScreen(FivecScreen, Generic[Loaded]):
    """A screen shown from the store: ``load`` in a worker thread, ``show`` on the UI, on
    entering the screen and at every refresh tick of the app."""

    #: Entered and its first load not shown yet: keys typed meanwhile wait for it (see
    #: :mod:`.typeahead`), as the person would have waited to see the rows.
    settling = True

    def on_screen_resume(self) -> None:
        self.settling = True
        # Once the screen is on the terminal as it was last drawn (its tables' lines kept,
        # see .table): a load finished before that frame would redraw it all first.
        self.fivec.after_frame(self, self.refresh_data)

    #: What the screen's fields said at the last refresh (see :meth:`fields`).
    field_values: dict[str, str] = {}

    def fields(self) -> dict[str, str]:
        """Runs on the UI before each load: the values of the screen's filter fields, read
        here because the worker thread must not touch widgets (nor find them unmounted)."""
        return {}

    def load(self) -> Loaded:
        """Runs in a worker thread: query the store (filters in ``field_values``), return
        plain data."""
        raise NotImplementedError

    def show(self, data: Loaded) -> None:
        """Runs on the UI: put ``data`` into widgets."""

    _loading = False  # a load is running: another refresh waits for it (see refresh_data)
    _again = False

    def refresh_data(self) -> None:
        """Load and show, once at a time: a refresh asked for meanwhile (new rows, a tick)
        runs after it, and a burst of them runs once."""
        if self._loading:
            self._again = True
            return
        self._loading = True
        self.field_values = self.fields()
        self.off_ui(self.load, self._show_current, group="refresh")

    def _show_current(self, data: Loaded) -> None:
        """Show ``data`` unless the screen was left (or covered) meanwhile: its widgets then
        stay as they were last drawn, so that coming back draws no line anew before the
        fresh load that the return starts (``on_screen_resume``) replaces them."""
        if self.is_current:
            self.show(data)

    def on_worker_state_changed(self, event: Worker.StateChanged) -> None:
        """(Textual calls this beside :class:`FivecScreen`'s handler, which tells errors.)"""
        if event.worker.group == "refresh" and event.worker.is_finished:
            self._loading = False
            if self.settling:
                self.settling = False
                self.fivec.hand_on()
            if self._again:
                self._again = False
                self.refresh_data()
