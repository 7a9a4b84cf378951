"""``fivec-tui send --csv FILE``: a bulk send from a file, and the run every campaign shares.

Validation first, nothing sent until the whole file reads; one confirmation; then the journal
sends (:mod:`fivec_tui.sync.bulk`).  Progress goes to stderr: a progress bar on a terminal,
a plain line every few seconds otherwise, JSON lines on stdout with ``--json``.  Exit 0 when
every valid row was accepted (whatever was rejected), 1 when some were not (failed, unknown,
paused), 2 for bad input (``--strict`` with any rejected row).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import time

import click

from ..i18n import _
from ..store import Store
from ..store import campaigns as journal
from .common import Ctx, UsageError, call, iso, say, tell

#: Seconds between plain progress lines when stderr is not a terminal.
PLAIN_EVERY_S = 5.0


def json_line(data: dict) -> None:
    """One JSON object on one line (``--json`` progress is a stream of them)."""
    click.echo(json.dumps(data, ensure_ascii=False, separators=(",", ":"), default=str))


def send_csv(ctx: Ctx, path: str, opts: dict) -> None:
    """The whole ``send --csv`` command; ``opts`` are the ``send`` options."""
    from ..store import queries
    from ..store.duplicates import earlier_sends
    from ..sync.bulk.prepare import create, prepare, write_rejects
    from ..sync.bulk.source import SourceError
    from ..sync.bulk.summary import summary_lines

    as_json = opts["as_json"]
    if opts["to"] or opts["variables"] or opts["via"] != "http":
        raise UsageError(_("--csv takes the numbers from the file: no --to, --var or --via"))
    if not opts["content"] and not opts["template"]:
        raise UsageError(_("give --content (placeholders {column} allowed) or --template"))
    if opts["rate"] is not None and opts["rate"] <= 0:
        raise UsageError(_("--rate must be positive"))
    profile = ctx.account()
    enc = (opts["encode"] or profile.encode).upper()
    when = opts["when"]
    store = ctx.journal()
    window = profile.acting.duplicate_window_s
    try:
        prepared = prepare(
            path,
            encode=enc,
            content=opts["content"],
            template=opts["template"],
            traffic=opts["traffic"],
            rate=opts["rate"],
            start_time=when,
            blacklisted=lambda mobiles: queries.cached_black(store, mobiles),
            recent=None if opts["again"] else lambda pairs: earlier_sends(store, pairs, window),
            unsigned=opts["unsigned"],
        )
    except (SourceError, ValueError) as exc:
        raise UsageError(str(exc)) from None
    earlier = journal.made_from(store, prepared.content_sha1, prepared.table.sha1)
    if earlier and earlier["state"] != "done":
        raise UsageError(
            _(
                "campaign {id} (the same numbers and text) is not finished: resume it with "
                "`fivec-tui campaign resume {id}` (sending the file again could send twice)"
            ).format(id=earlier["id"])
        )
    if earlier and not opts["again"]:
        raise UsageError(
            _(
                "campaign {id} sent the same text to the same numbers on {date}: add --again "
                "to send it once more"
            ).format(id=earlier["id"], date=iso(earlier["created_at"]))
        )
    try:
        rejects_path = write_rejects(prepared)
    except OSError as exc:
        raise UsageError(_("cannot write the rejects file: {error}").format(error=exc)) from None
    price = prepared.price
    rejected = len(prepared.rejects)
    balance = queries.balance(store).remaining
    if as_json:
        json_line(
            {"event": "summary", **price.as_json(), "rejects": rejects_path and str(rejects_path)}
        )
    else:
        for line in summary_lines(price, rejected, rejects_path, balance):
            tell(line)
    if opts["strict"] and rejected:
        tell(_("--strict: {n} row(s) rejected, nothing sent").format(n=rejected))
        sys.exit(2)
    if not price.valid:
        tell(_("no valid rows: nothing to send"))
        sys.exit(2)
    if not opts["yes"]:
        ask(_("Send {n} message(s) now?").format(n=price.valid))
    cid = create(store, prepared)
    if not as_json:
        tell(_("campaign {id} created").format(id=cid))
    sys.exit(drive(ctx, store, cid, as_json=as_json))


def ask(question: str) -> None:
    if not sys.stdin.isatty():
        raise UsageError(_("not a terminal: add --yes to send without asking"))
    if not click.confirm(question, err=True):
        sys.exit(2)


class Display:
    """Progress as a bar (terminal), plain lines (no terminal) or JSON lines (``--json``)."""

    def __init__(self, as_json: bool, total: int) -> None:
        self.as_json, self.total = as_json, total
        self.bar = None
        self._last = 0.0
        if not as_json and sys.stderr.isatty():
            from rich.progress import (
                BarColumn,
                MofNCompleteColumn,
                Progress,
                TextColumn,
                TimeRemainingColumn,
            )

            from .common import err

            self.bar = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[counts]}"),
                TimeRemainingColumn(),
                console=err,
                transient=False,
            )
            self.task = self.bar.add_task(_("sending"), total=total, counts="")
            self.bar.start()

    def __call__(self, p) -> None:
        counts = _("accepted {a} · failed {f} · unknown {u} · {rate:g}/s").format(
            a=p.accepted, f=p.failed, u=p.unknown, rate=p.rate
        )
        if self.as_json:
            json_line({"event": "progress", **p.as_json()})
        elif self.bar is not None:
            self.bar.update(self.task, completed=p.submitted, counts=counts)
        elif time.monotonic() - self._last >= PLAIN_EVERY_S or not p.planned:
            self._last = time.monotonic()
            tell(
                _("{done}/{total} submitted: {counts}").format(
                    done=p.submitted, total=p.rows, counts=counts
                )
            )

    def close(self) -> None:
        if self.bar is not None:
            self.bar.stop()


def drive(ctx: Ctx, store: Store, cid: int, *, as_json: bool, rate: float | None = None) -> int:
    """Send the campaign's planned requests; Ctrl+C pauses after the request in flight.
    Writes the results file and says how it went; returns the exit code."""
    from ..sync.bulk.run import Runner

    meta = journal.campaign(store, cid)
    assert meta is not None
    other = journal.claim(store, cid)
    if other:
        raise UsageError(
            _("campaign {id} is being sent by process {pid}").format(id=cid, pid=other)
        )
    pace = min(rate, meta["rate"]) if rate else meta["rate"]
    display = Display(as_json, meta["rows"])
    audit = ctx.auditor(store, "bulk")

    async def go(client) -> str:
        runner = Runner(store, client, cid, rate=pace, audit=audit, on_progress=display)
        loop = asyncio.get_running_loop()
        task = asyncio.current_task()

        def interrupt() -> None:
            if runner.pause.is_set() and task is not None:
                task.cancel()  # a second Ctrl+C: stop now (the request in flight turns unknown)
                return
            runner.pause.set()
            if not as_json:
                tell(_("pausing after the request in flight (Ctrl+C again to stop at once)"))

        # No loop signal handlers outside the main thread (RuntimeError) or on Windows
        # (NotImplementedError): Ctrl+C then stops at once, as before a campaign existed.
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signal.SIGINT, interrupt)
        try:
            state = await runner.run()
        except asyncio.CancelledError:  # stopped at once: resume calls the request unknown
            state = "paused"
            journal.set_state(store, cid, state, "stopped with the request in flight")
        finally:
            display.close()
        try:
            runner.write_results()
        except OSError as exc:
            tell(_("cannot write the results file: {error}").format(error=exc))
        return state

    state = call(ctx, go)
    return finish(store, cid, state, as_json)


def finish(store: Store, cid: int, state: str, as_json: bool) -> int:
    meta = journal.campaign(store, cid) or {}
    counts = journal.counts(store, cid)
    unknown = counts["unknown"] + counts["sending"]
    if as_json:
        json_line(
            {
                "event": "done",
                "campaign": cid,
                "state": meta.get("state", state),
                "rows": counts["rows"],
                "accepted": counts["accepted"],
                "failed": counts["failed"],
                "unknown": unknown,
                "planned": counts["planned"],
                "results": meta.get("results"),
                "detail": meta.get("detail", ""),
            }
        )
    else:
        say(
            _(
                "campaign {id}: {accepted} accepted, {failed} failed, {unknown} unknown, "
                "{planned} not sent; results in {path}"
            ).format(
                id=cid,
                accepted=counts["accepted"],
                failed=counts["failed"],
                unknown=unknown,
                planned=counts["planned"],
                path=meta.get("results"),
            )
        )
        if meta.get("detail"):
            tell(_(meta["detail"]))  # the campaign's own notes translated (sync.bulk.run)
        if counts["planned"] or unknown:
            tell(_("resume with `fivec-tui campaign resume {id}`").format(id=cid))
    return 0 if counts["accepted"] == counts["rows"] else 1
