"""Keys typed ahead land where they would have landed had the person waited.

Textual hands each key from the terminal to the widget focused when the app reads it, by
posting it to that widget's queue, and acts on most bindings (Tab's focus move, a screen's
key) only when the key has bubbled back up to the app through the queues above. A burst of
keys (typed fast, pasted by ``tmux send-keys``, queued behind a slow load) is read at once:
every key of it goes to the widget focused before the first is acted on. ``13800138000``
Tab ``hello`` filled the recipients with ``13800138000hello``; keys typed right after ``s``
went to the dashboard (Textualize/textual#1009 names the race).

:class:`KeysInOrder` gives the app one key at a time: the next is handed on only once the
one before has been through every queue it could reach (the focused widget's, each of its
parents', the app's, which ran its binding). A key that gets no further after
:data:`STUCK_S` (a handler that hangs) lets the others go on rather than hold them forever.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from textual import events

if TYPE_CHECKING:
    from textual.message_pump import MessagePump

#: Longest the keys typed after one wait for it to be acted on.
STUCK_S = 1.0


class KeysInOrder:
    """Mixed into the App (before it): each key from the terminal acted on before the next
    is handed to whatever then has the focus."""

    key_in_hand: events.Key | None = None

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self.keys_waiting: deque[events.Key] = deque()

    async def on_event(self, event: events.Event) -> None:
        if not isinstance(event, events.Key) or event.is_forwarded:
            await super().on_event(event)  # type: ignore[misc]
            return
        if self.key_in_hand is not None and event is not self.key_in_hand:
            self.keys_waiting.append(event)
            return
        self.key_in_hand = event
        target: MessagePump = self.focused or self.screen  # type: ignore[attr-defined]
        self.set_timer(STUCK_S, lambda: self.key_done(event))  # type: ignore[attr-defined]
        await super().on_event(event)  # type: ignore[misc]
        if event.is_forwarded:
            self.follow(event, target)
        else:  # a priority binding acted on it already
            self.key_done(event)

    def follow(self, key: events.Key, node: MessagePump) -> None:
        """Once ``node`` has handled ``key`` (its queue reached past it), follow it to the
        parent it bubbled to; once the app's turn has come, it is done."""
        if self.key_in_hand is not key:
            return
        if node is self:  # (run in the screen's queue) the app's queue has it now
            self.call_later(self.key_done, key)  # type: ignore[attr-defined]
            return
        parent = node.parent or self
        if not node.call_later(self.follow, key, parent):  # closed: no further to go
            self.key_done(key)

    def key_done(self, key: events.Key) -> None:
        """``key`` is acted on: hand on the next one typed, through the app's queue."""
        if self.key_in_hand is not key:
            return
        self.key_in_hand = None
        if self.keys_waiting:
            self.key_in_hand = self.keys_waiting.popleft()
            self.post_message(self.key_in_hand)  # type: ignore[attr-defined]
