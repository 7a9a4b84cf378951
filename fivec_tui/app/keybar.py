"""The key bar at the foot of every screen."""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, NamedTuple

from rich.text import Text
from textual import events
from textual.binding import Binding
from textual.widget import Widget

from ..i18n import _

if TYPE_CHECKING:
    from textual.screen import Screen


class Key(NamedTuple):
    key: str
    display: str
    description: str
    enabled: bool
    tooltip: str


@cache
def declared(cls: type) -> dict[str, int]:
    """The place of each key the class ``cls`` (and its bases, Textual's first) binds, in
    the order they declare them, and of each binding id, at its default key's place."""
    keys: dict[str, int] = {}
    ids: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        for b in vars(klass).get("BINDINGS", ()):
            if isinstance(b, Binding):
                first = b.key.split(",")[0].strip()
                keys.setdefault(first, len(keys))
                if b.id:
                    ids[b.id] = first
    return {**keys, **{bid: keys[k] for bid, k in ids.items()}}


class KeyBar(Widget):
    """The screen's keys as one line of text, looking and answering as Textual's ``Footer``.

    The stock footer is a dozen widgets, one per key, each styled on its own, and composes
    nothing until the bindings are first published: its keys came a frame after the screen
    and added ~10 ms to start-up. This draws the same keys (as remapped, disabled ones dim,
    ``^p palette`` on the right, the footer's compact style when the line is too short) in
    the first frame; a click runs the key under the pointer, as on the footer, and the line
    is redrawn only when the keys change. Binding groups are shown key by key (none here).
    """

    ALLOW_SELECT = False
    COMPONENT_CLASSES = {
        "keybar--key",
        "keybar--description",
        "keybar--disabled",
        "keybar--hover",
        "keybar--separator",
    }
    DEFAULT_CSS = """
    KeyBar {
        dock: bottom;
        height: 1;
        color: $footer-foreground;
        background: $footer-background;
        & > .keybar--key {
            color: $footer-key-foreground;
            background: $footer-key-background;
            text-style: bold;
        }
        & > .keybar--description {
            color: $footer-description-foreground;
            background: $footer-description-background;
        }
        & > .keybar--disabled { text-style: dim; }
        & > .keybar--hover { color: $footer-key-foreground; background: $block-hover-background; }
        & > .keybar--separator { color: $foreground 20%; }
    }
    """

    _shown: tuple[Key, ...] = ()
    _spans: list[tuple[int, int, Key]] = []  # x from, x to, key: what a click at x presses
    _hover: Key | None = None

    def on_mount(self) -> None:
        self.screen.bindings_updated_signal.subscribe(self, self.bindings_changed)

    def on_unmount(self) -> None:
        self.screen.bindings_updated_signal.unsubscribe(self)

    def keys(self) -> tuple[tuple[Key, ...], Key | None]:
        """The shown keys, and the command palette's key (drawn apart, on the right)."""
        app, active = self.app, self.screen.active_bindings

        def key(binding: Binding, enabled: bool, tooltip: str) -> Key:
            # ours are marked N_(), Textual's listed in .textual_strings: translated when drawn
            shown, tip = _(binding.description), _(tooltip) if tooltip else ""
            return Key(binding.key, app.get_key_display(binding), shown, enabled, tip)

        first = {}  # an action bound to several keys shows its first, as on the footer
        for _key, b, on, tip in active.values():
            if b.show:
                first.setdefault(b.action, (b, key(b, on, tip)))
        items = list(first.values())
        # The app's keys in the order it declares them, each in its place even when remapped
        # in [keys] (Textual lists a remapped key last, where 80 columns cut it).
        places = declared(type(app))
        slots = [i for i, (b, _k) in enumerate(items) if (b.id or b.key) in places]
        ranked = sorted(
            (items[i] for i in slots), key=lambda item: places[item[0].id or item[0].key]
        )
        for i, item in zip(slots, ranked, strict=True):
            items[i] = item
        shown = tuple(k for _b, k in items)
        palette = None
        if app.ENABLE_COMMAND_PALETTE and app.COMMAND_PALETTE_BINDING in active:
            _key, b, on, tip = active[app.COMMAND_PALETTE_BINDING]
            palette = key(b, on, tip or b.tooltip or b.description)
        return shown, palette

    def bindings_changed(self, screen: Screen) -> None:
        # As the footer: keep the keys while the terminal is unfocused (focus moves then).
        if screen.app.app_focus and self.keys()[0] != self._shown:
            self.refresh()

    def render(self) -> Text:
        shown, palette = self.keys()
        self._shown = shown
        style = self.get_component_rich_style
        key_style, text_style = style("keybar--key"), style("keybar--description")
        dim, hover = style("keybar--disabled"), style("keybar--hover")

        def draw(line: Text, k: Key, key_text: str, description: str) -> tuple[int, int, Key]:
            start = line.cell_len
            line.append(key_text, key_style)
            line.append(description, text_style)
            if not k.enabled:
                line.stylize(dim, start)
            if k == self._hover:
                line.stylize(hover, start)
            return start, line.cell_len, k

        right = Text(end="")  # the palette's key, docked right as on the footer
        if palette is not None:
            right.append("▏", style("keybar--separator"))
            at = draw(right, palette, palette.display, f" {palette.description} ")
        room = max(0, self.size.width - right.cell_len)

        def line(compact: bool) -> tuple[Text, list[tuple[int, int, Key]]]:
            text = Text(no_wrap=True, end="")
            spans = [
                draw(text, k, k.display, f" {k.description} ")
                if compact
                else draw(text, k, f" {k.display} ", f"{k.description} ")
                for k in shown
            ]
            return text, spans

        left, spans = line(compact=False)
        if left.cell_len > room:  # a narrow terminal: the footer's compact style shows more
            left, spans = line(compact=True)
        left.truncate(room, pad=True)  # what still does not fit is cut, ^p stays
        self._spans = [(a, min(b, room), k) for a, b, k in spans if a < room]
        if palette is not None:
            self._spans.append((at[0] + room, at[1] + room, palette))
        return Text.assemble(left, right, no_wrap=True, end="")

    def _key_at(self, x: int) -> Key | None:
        return next((k for a, b, k in self._spans if a <= x < b), None)

    def on_click(self, event: events.Click) -> None:
        k = self._key_at(event.x)
        if k is None:
            return
        if k.enabled:
            self.app.simulate_key(k.key)
        else:
            self.app.bell()

    def on_mouse_move(self, event: events.MouseMove) -> None:
        k = self._key_at(event.x)
        if k != self._hover:
            self._hover = k
            self.tooltip = k.tooltip if k and k.tooltip else None
            self.refresh()

    def on_leave(self) -> None:
        if self._hover is not None:
            self._hover = None
            self.refresh()
