"""Acting on the platform: every request that changes something there passes through :func:`act`.

``act`` writes the audit trail's pending entry first (refused while the console is read-only,
:class:`~fivec_tui.store.auditor.ReadOnly`: then no request is made), awaits the request, and
writes its outcome: ``accepted`` (a send, with its msgid), ``ok``, ``failed`` (the platform
refused, or nothing can have gone out) or ``unknown`` (it may have gone out: a send whose answer
never came, or any other request cut short).  An outcome that cannot be written is logged, never
raised: the request's own result (a msgid) must still reach the person.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

from ..api import ContentEncodingError, PlatformError, SendResult, Success, TransportError
from ..api.errors import SubmitFailed
from ..store.audit import SENDS, Actor
from ..store.auditor import Auditor, Pending

if TYPE_CHECKING:
    from ..config import Profile
    from ..store import Store

T = TypeVar("T")
log = logging.getLogger("fivec_tui.audit")


class NotAudited(RuntimeError):
    """The pending entry could not be written (disk full, cache locked): nothing was sent."""


def auditor_for(profile: Profile, store: Store, path: str) -> Auditor:
    """The auditor of ``profile``'s actions in ``store``, by whoever runs this process, on
    ``path`` (``tui``, ``serve``, ``cli``, ``bulk``)."""
    return Auditor(
        store,
        Actor.here(path),
        profile.name,
        profile.username,
        secrets=profile.secrets(),
        read_only=profile.acting.read_only,
        keep_days=profile.acting.audit_retention_days,
    )


def outcome_of(result: Any) -> tuple[str, str, str]:
    """``(outcome, msgid, detail)`` of a request that answered."""
    if isinstance(result, SendResult):
        return result.outcome, result.msgid, result.detail
    if isinstance(result, Success):
        return "ok", "", result.message
    return "ok", "", ""


def outcome_of_error(action: str, exc: BaseException) -> tuple[str, str, str]:
    """``(outcome, msgid, detail)`` of a request that raised.  A send raises TransportError
    only when it never connected (:meth:`FivecClient._outcome`); any other request may have
    reached the platform before its answer was lost."""
    detail = f"{type(exc).__name__}: {exc}"
    if isinstance(exc, SubmitFailed):
        return "failed", exc.msgid, str(exc)
    if isinstance(exc, PlatformError | ContentEncodingError):
        return "failed", "", str(exc)
    if isinstance(exc, TransportError):
        return ("failed" if action in SENDS else "unknown"), "", str(exc)
    return "unknown", "", detail


def _finish(audit: Auditor, pending: Pending, outcome: tuple[str, str, str]) -> None:
    try:
        audit.finish(pending, *outcome)
    except Exception as exc:  # the pending entry stays, and says the outcome is not known
        log.warning("audit entry %s: outcome %s not written: %s", pending.id, outcome[0], exc)


async def act(audit: Auditor, action: str, call: Callable[[], Awaitable[T]], **what: Any) -> T:
    """``await call()`` between the two entries of ``action`` (``what``: the fields of
    :meth:`Auditor.begin`, its ``guard`` included).  Raises ReadOnly when actions are off,
    NotAudited when the trail cannot be written, and what the guard raises, all before any
    request."""
    try:
        pending = await asyncio.to_thread(audit.begin, action, **what)
    except (OSError, sqlite3.Error) as exc:
        raise NotAudited(f"the audit trail cannot be written ({exc}): nothing was sent") from exc
    try:
        result = await call()
    except BaseException as exc:
        # In this thread: a cancelled task still records how it ended before it unwinds.
        _finish(audit, pending, outcome_of_error(action, exc))
        raise
    await asyncio.to_thread(_finish, audit, pending, outcome_of(result))
    return result
