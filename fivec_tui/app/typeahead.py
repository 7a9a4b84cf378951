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
parents', the app's, which ran its binding), and once a screen just entered has shown its
first load (its ``settling`` is over, see :class:`~.base.StoreScreen`): Enter typed right
after ``m`` selects a message, not a row of an empty table. Keys held longer than
:data:`STUCK_S` (a handler that hangs, a load that does not end) go on regardless rather
than wait forever.
"""

from __future__ import annotations

from collections import deque
from typing import TYPE_CHECKING

from textual import events

if TYPE_CHECKING:
    from textual.message_pump import MessagePump
    from textual.timer import Timer

#: Longest a key typed waits for the ones before it and for a screen's first load.
STUCK_S = 1.5


class KeysInOrder:
    """Mixed into the App (before it): each key from the terminal acted on before the next
    is handed to whatever then has the focus."""

    key_in_hand: events.Key | None = None
    hold_timer: Timer | None = None

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[call-arg]
        self.keys_waiting: deque[events.Key] = deque()

    async def on_event(self, event: events.Event) -> None:
        if not isinstance(event, events.Key) or event.is_forwarded:
            await super().on_event(event)  # type: ignore[misc]
            return
        if event is not self.key_in_hand:
            if self.key_in_hand is not None or self.keys_waiting or self.settling():
                self.hold(event)
                return
            self.key_in_hand = event
        target: MessagePump = self.focused or self.screen  # type: ignore[attr-defined]
        await super().on_event(event)  # type: ignore[misc]
        if event.is_forwarded:
            self.follow(event, target)
        else:  # a priority binding acted on it already
            self.key_done(event)

    def settling(self) -> bool:
        return getattr(self.screen, "settling", False)  # type: ignore[attr-defined]

    def hold(self, key: events.Key) -> None:
        self.keys_waiting.append(key)
        if self.hold_timer is None:
            self.hold_timer = self.set_timer(STUCK_S, self.unstick)  # type: ignore[attr-defined]

    def unstick(self) -> None:
        """Keys held too long: the one in hand counts as done, the screen as settled."""
        self.hold_timer, self.key_in_hand = None, None
        self.hand_on(regardless=True)

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
        if self.key_in_hand is key:
            self.key_in_hand = None
            self.hand_on()

    def hand_on(self, regardless: bool = False) -> None:
        """Hand the next key typed to the app (through its queue), unless one is in hand
        or the screen is settling."""
        if self.key_in_hand is not None or not self.keys_waiting:
            return
        if self.settling() and not regardless:
            return
        self.key_in_hand = self.keys_waiting.popleft()
        self.post_message(self.key_in_hand)  # type: ignore[attr-defined]
        if self.hold_timer is not None:
            self.hold_timer.stop()
            self.hold_timer = None
        if self.keys_waiting:  # the next ones wait afresh
            self.hold_timer = self.set_timer(STUCK_S, self.unstick)  # type: ignore[attr-defined]
