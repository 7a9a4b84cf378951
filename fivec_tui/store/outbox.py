"""The outbox: every send recorded before it goes out, then its outcome.

A send whose answer never comes stays ``sending`` or becomes ``unknown``: nothing retries it
(the platform may have sent it), and the person is told to check the send records first.
"""

from __future__ import annotations

import time
from collections.abc import Sequence

from .db import Store


def outbox_add(
    store: Store, mobiles: Sequence[str], content: str, encode: str, form: str, parts: int
) -> int:
    """Record a send *before* it goes out, state ``sending``.  Returns its outbox id."""
    now = time.time()
    row = {
        "created_at": now,
        "updated_at": now,
        "state": "sending",
        "mobiles": ",".join(mobiles),
        "content": content,
        "encode": encode,
        "form": form,
        "parts": parts,
    }
    return store.insert("outbox", row)


def outbox_update(
    store: Store, outbox_id: int, state: str, msgid: str = "", detail: str = ""
) -> None:
    changes = {"state": state, "msgid": msgid, "detail": detail, "updated_at": time.time()}
    store.update("outbox", outbox_id, changes)
