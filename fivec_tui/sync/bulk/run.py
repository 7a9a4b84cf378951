"""Sending a campaign's planned requests, one at a time, through the journal.

Each request is journaled ``sending`` (committed) before it goes out and given its answer
after; see :mod:`fivec_tui.store.campaigns`.  Never twice: a request whose answer never came is
``unknown`` and is not sent again here.  Sent again are only requests the platform refused
before sending anything (``Throughput Rate Exceeded``, which also halves the pace; balance or
account errors, which pause the campaign) and those that never connected.  Setting
:attr:`Runner.pause` (Ctrl+C) stops after the request in flight.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ...api import BatchItem, PlatformError, ThroughputExceeded, TransportError
from ...api.errors import AuthError, ContentEncodingError, InsufficientBalance, SubmitFailed
from ...i18n import N_
from ...store import Store
from ...store import campaigns as journal
from ...store.auditor import ReadOnly
from ..acting import NotAudited, act
from .outputs import write_results
from .pacer import Pacer

if TYPE_CHECKING:
    from ...api.client import FivecClient
    from ...store.auditor import Auditor

#: Answers missing in a row (timeouts) before the campaign pauses: the platform is not well.
MAX_UNKNOWN_IN_A_ROW = 3
#: Connections refused in a row before the campaign pauses (waiting 1, 2, 4 … s between).
MAX_UNREACHABLE = 5
#: The campaign's notes of its own, kept in English in the journal (and its JSON) and shown
#: translated (``_(detail)``); others are an error's text.
UNANSWERED = N_("requests went unanswered several times in a row: paused")
UNSETTLED = N_("outcome unknown for some rows: settle them on resume")


@dataclass
class Progress:
    rows: int
    submitted: int
    accepted: int
    failed: int
    unknown: int
    planned: int
    rate: float  # messages a second: the pace kept in this run (see Runner._started)
    eta_s: float | None
    throttled: int

    def as_json(self) -> dict:
        return dict(self.__dict__)


class Runner:
    def __init__(
        self,
        store: Store,
        client: FivecClient,
        cid: int,
        *,
        rate: float,
        audit: Auditor,
        on_progress: Callable[[Progress], None] | None = None,
    ) -> None:
        self.store, self.client, self.cid, self.audit = store, client, cid, audit
        self.meta = journal.campaign(store, cid) or {}
        self.pacer = Pacer(rate)
        self.on_progress = on_progress
        self.pause = asyncio.Event()
        self.detail = ""
        #: The pace so far: messages of the requests before the last one, and the time from
        #: the first request's start to the last one's (the measure the pacer keeps under rate).
        self._first_start: float | None = None
        self._paced = (0, 0.0)
        self._last_n = 0

    async def _db(self, fn, *args):
        return await asyncio.to_thread(fn, self.store, *args)

    async def run(self) -> str:
        """Send until done, paused or stopped; returns the campaign's state then."""
        await self._db(journal.set_state, self.cid, "sending")
        unknown_in_a_row = unreachable = 0
        state = "paused"
        while not self.pause.is_set():
            req = await self._db(journal.next_planned, self.cid)
            if req is None:
                state = "done"
                break
            await self.pacer.take(len(req.rows))
            if self.pause.is_set():
                break
            self._started(len(req.rows))
            await self._db(journal.mark_sending, req.id)
            outcome = await self._send(req)
            if outcome == "unreachable":
                unreachable += 1
                if unreachable >= MAX_UNREACHABLE:
                    break
                await asyncio.sleep(2 ** (unreachable - 1))
                continue
            unreachable = 0
            if outcome == "stop":
                break
            if outcome == "unknown":
                unknown_in_a_row += 1
                if unknown_in_a_row >= MAX_UNKNOWN_IN_A_ROW:
                    self.detail = UNANSWERED
                    break
            elif outcome != "throttled":
                unknown_in_a_row = 0
            self._report(await self._db(journal.counts, self.cid))
        counts = await self._db(journal.counts, self.cid)
        if state == "done" and (counts["unknown"] or counts["sending"]):
            state = "paused"
            self.detail = self.detail or UNSETTLED
        await self._db(journal.set_state, self.cid, state, self.detail)
        self._report(counts)
        return state

    def _started(self, n: int) -> None:
        now = time.monotonic()
        if self._first_start is None:
            self._first_start = now
        else:
            self._paced = (self._paced[0] + self._last_n, now - self._first_start)
        self._last_n = n

    async def _send(self, req: journal.Request) -> str:
        """One request and its answer in the journal: ``accepted``, ``failed``, ``unknown``,
        ``throttled``, ``unreachable`` or ``stop``."""
        try:
            result = await act(self.audit, "bulk", lambda: self._call(req), **self._what(req))
        except (ReadOnly, NotAudited) as exc:  # refused before it left: sent later, or never
            await self._db(journal.replan, req.id, str(exc))
            self.detail = str(exc)
            return "stop"
        except ThroughputExceeded as exc:
            await self._db(journal.replan, req.id, str(exc))
            self.pacer.slow_down()
            return "throttled"
        except TransportError as exc:  # never connected: nothing went out
            await self._db(journal.replan, req.id, str(exc))
            self.detail = str(exc)
            return "unreachable"
        except (AuthError, InsufficientBalance) as exc:  # refused whole: fix, then resume
            await self._db(journal.replan, req.id, str(exc))
            self.detail = str(exc)
            return "stop"
        except SubmitFailed as exc:
            await self._db(journal.record_answer, req.id, "failed", exc.msgid, exc.raw, str(exc))
            return "failed"
        except PlatformError as exc:
            await self._db(journal.record_answer, req.id, "failed", "", exc.raw, str(exc))
            return "failed"
        except ContentEncodingError as exc:  # validated before: only a changed journal
            await self._db(journal.record_answer, req.id, "failed", "", "", str(exc))
            return "failed"
        if result.outcome == "accepted":
            await self._db(journal.record_answer, req.id, "accepted", result.msgid, result.raw)
            self.pacer.accepted()
        else:
            await self._db(journal.record_answer, req.id, "unknown", "", result.raw, result.detail)
        return result.outcome

    def _what(self, req: journal.Request) -> dict:
        """The request as the audit trail keeps it (its numbers stay in the journal)."""
        meta = self.meta
        args = {"campaign": self.cid, "request": req.id, "kind": req.kind, "rows": len(req.rows)}
        args |= {"encode": meta["encode"], "source": meta["source"]}
        if meta["start_time"]:
            args["start_time"] = datetime.fromtimestamp(meta["start_time"], UTC).isoformat()
        what: dict = {"mobiles": [m for _row, m, _c in req.rows], "listed": False, "args": args}
        if req.kind == "template":
            return what | {"template": meta["text"], "variables": json.loads(req.rows[0][2])}
        return what | {"text": meta["text"] if req.kind == "batch" else req.rows[0][2]}

    async def _call(self, req: journal.Request):
        meta = self.meta
        enc = meta["encode"]
        when = datetime.fromtimestamp(meta["start_time"], UTC) if meta["start_time"] else None
        mobiles = [mobile for _row, mobile, _content in req.rows]
        if req.kind == "batch":
            items = [BatchItem((m,), content, when) for _row, m, content in req.rows]
            return await self.client.send_batch(items, encode=enc)
        if req.kind == "template":
            variables = json.loads(req.rows[0][2])
            return await self.client.send(
                mobiles,
                "",
                encode=enc,
                start_time=when,
                templet_code=meta["text"],
                variables=variables,
            )
        return await self.client.send(mobiles, req.rows[0][2], encode=enc, start_time=when)

    def _report(self, counts: dict) -> None:
        if self.on_progress is None:
            return
        sent, spent = self._paced
        rate = sent / spent if spent > 0 else 0.0
        pace = min(rate, self.pacer.rate)  # 0 until two requests started: no ETA before
        self.on_progress(
            Progress(
                rows=counts["rows"],
                submitted=counts["submitted"],
                accepted=counts["accepted"],
                failed=counts["failed"],
                unknown=counts["unknown"] + counts["sending"],
                planned=counts["planned"],
                rate=round(rate, 1),
                eta_s=round(counts["planned"] / pace, 1) if pace else None,
                throttled=self.pacer.throttled,
            )
        )

    def write_results(self) -> None:
        """``<input>.results.csv`` from the journal (raises OSError when it cannot be written)."""
        if self.meta.get("results"):
            write_results(self.meta["results"], journal.result_rows(self.store, self.cid))
