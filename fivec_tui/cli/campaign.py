"""``fivec-tui campaign list|show|resume``: bulk sends in the journal, and finishing them.

``resume`` first calls every request left in flight by a dead run ``unknown``, settles the
unknown ones from the platform's send records (sent: accepted with the record's msgid; not
sent: planned again), then offers to send the rows never submitted.  An unknown request is
never sent again without that check.  A campaign the cache's repair could not read whole
(``damaged``) is never resumed: which of its rows went out is not known.  A campaign whose
sending process was killed shows ``interrupted``, with the command that resumes it.
"""

from __future__ import annotations

import sqlite3
import sys
from pathlib import Path

import click

from ..i18n import _
from ..store import Store
from ..store import campaigns as journal
from ..store.carryover import DAMAGED, refusal
from ..store.integrity import CacheBroken
from ..when import show_full
from .bulk import ask, drive, finish, json_line
from .checks import Check
from .common import Ctx, UsageError, call, emit, iso, json_option, pass_ctx, say, tell, yes_option


def _store(ctx: Ctx) -> Store:
    path = ctx.db_path()
    if not path.exists():
        raise UsageError(_("no cache at {path}: no campaign yet").format(path=path))
    return Store(path)


def _campaign(store: Store, cid: int) -> dict:
    meta = journal.campaign(store, cid)
    if meta is None:
        raise UsageError(_("no campaign {id}").format(id=cid))
    return meta


def check_interrupted(db_path: Path) -> Check:
    """``doctor``'s word on the campaigns: those interrupted, each with its resume command."""
    try:
        store = Store(db_path, readonly=True)
        try:
            rows = journal.campaigns(store, 1000)
        finally:
            store.close()
    except (sqlite3.Error, CacheBroken) as exc:
        said = _("the campaigns cannot be read: {error}").format(error=exc)
        return Check("campaigns", "skipped", str(db_path), said)
    stopped = [r["id"] for r in rows if journal.shown_state(r) == journal.INTERRUPTED]
    if not stopped:
        return Check("campaigns", "ok", str(db_path), _("none interrupted"))
    ids = ", ".join(map(str, stopped))
    said = _("campaign(s) {ids} interrupted: the process sending them is gone").format(ids=ids)
    return Check(
        "campaigns", "problem", str(db_path), said, " ".join(map(journal.resume_hint, stopped))
    )


@click.group("campaign", help=_("Bulk sends (send --csv): list, show, resume."))
def campaign_group() -> None:
    pass


@campaign_group.command("list", help=_("Campaigns, newest first."))
@click.option("--limit", default=50, show_default=True, help=_("At most this many."))
@json_option
@pass_ctx
def list_cmd(ctx: Ctx, limit: int, as_json: bool) -> None:
    rows = journal.campaigns(_store(ctx), limit)
    for r in rows:
        r["state"] = journal.shown_state(r)
    if as_json:
        keys = ("id", "created_at", "rows", "submitted", "unknown", "state")
        emit([{k: iso(r[k]) if k == "created_at" else r[k] for k in keys} for r in rows])
        return
    if not rows:
        say(_("no campaigns"))
    for r in rows:
        say(
            _(
                "{id}  {created}  {state}  {submitted}/{rows} submitted, {unknown} unknown  {source}"
            ).format(
                id=r["id"],
                created=show_full(r["created_at"]),
                state=_(r["state"]),
                submitted=r["submitted"],
                rows=r["rows"],
                unknown=r["unknown"],
                source=r["source"],
            )
        )
    for r in rows:
        if r["state"] == journal.INTERRUPTED:
            tell(journal.resume_hint(r["id"]))


@campaign_group.command("show", help=_("One campaign: rows, answers, unknown rows, delivery."))
@click.argument("cid", metavar="ID", type=int)
@json_option
@pass_ctx
def show_cmd(ctx: Ctx, cid: int, as_json: bool) -> None:
    store = _store(ctx)
    meta = _campaign(store, cid)
    state = journal.shown_state(meta)
    counts = journal.counts(store, cid)
    unknown = journal.unknown_rows(store, cid)
    delivery = journal.delivery(store, cid)
    if as_json:
        emit(
            {
                "id": cid,
                "state": state,
                "rows": counts["rows"],
                "submitted": counts["submitted"],
                "accepted": counts["accepted"],
                "failed": counts["failed"],
                "unknown": [{"row": r["row"], "mobile": r["mobile"]} for r in unknown],
                "delivery": delivery,
            }
        )
        return
    say(
        _("campaign {id} ({state}) from {source}").format(
            id=cid, state=_(state), source=meta["source"]
        )
    )
    say(
        _(
            "{rows} rows: {submitted} submitted, {accepted} accepted, {failed} failed, "
            "{unknown} unknown, {planned} not sent"
        ).format(**{**counts, "unknown": len(unknown)})
    )
    rate = delivery["rate"]
    say(
        _(
            "delivery: {sent} sent, {delivered} delivered, {failed} failed, {pending} pending; "
            "rate {rate}"
        ).format(**{**delivery, "rate": f"{rate:.1%}" if rate is not None else "–"})
    )
    if unknown:
        shown = ", ".join(f"{r['row']}:{r['mobile']}" for r in unknown[:10])
        say(
            _("unknown (row:mobile): {rows}").format(
                rows=shown + (" …" if len(unknown) > 10 else "")
            )
        )
    if meta["detail"]:
        say(_(meta["detail"]))  # the campaign's own notes translated (sync.bulk.run)
    if state == journal.INTERRUPTED:
        say(journal.resume_hint(cid))


@campaign_group.command(
    "resume",
    help=_(
        "Settle the rows whose outcome is unknown from the send records, then send the rows "
        "never submitted."
    ),
)
@click.argument("cid", metavar="ID", type=int)
@click.option("--rate", type=float, help=_("Messages a second, at most."))
@click.option(
    "--settle-after",
    type=float,
    default=60.0,
    show_default=True,
    help=_("Seconds a request must be old before the send records may call it unsent."),
)
@yes_option
@json_option
@pass_ctx
def resume_cmd(ctx: Ctx, cid: int, rate, settle_after: float, yes: bool, as_json: bool) -> None:
    from ..sync.bulk.settle import settle_unknown

    ctx.refuse_if_read_only("campaign resume")
    if rate is not None and rate <= 0:
        raise UsageError(_("--rate must be positive"))
    store = _store(ctx)
    meta = _campaign(store, cid)
    if meta["state"] == DAMAGED:
        raise UsageError(refusal(meta))
    other = journal.claim(store, cid)
    if other:
        raise UsageError(
            _("campaign {id} is being sent by process {pid}").format(id=cid, pid=other)
        )
    journal.abandon_in_flight(store, cid)
    settled = call(ctx, lambda c: settle_unknown(store, c, cid, settle_after_s=settle_after))
    if as_json:
        json_line({"event": "settled", **settled.as_json()})
    elif settled.sent or settled.unsent or settled.waiting:
        tell(
            _(
                "settled from the send records: {sent} sent, {unsent} not sent (planned again), "
                "{waiting} still unknown"
            ).format(**settled.as_json())
        )
    counts = journal.counts(store, cid)
    if not counts["planned"]:
        journal.set_state(store, cid, "done" if not counts["unknown"] else "paused")
        sys.exit(finish(store, cid, "done", as_json))
    if not yes:
        ask(
            _("Send the {n} row(s) never submitted ({settled} of them found unsent)?").format(
                n=counts["planned"], settled=journal.settled_unsent(store, cid)
            )
        )
    sys.exit(drive(ctx, store, cid, as_json=as_json, rate=rate))
