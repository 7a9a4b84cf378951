"""Questions to the platform: balance, send records, billing."""

from __future__ import annotations

import json

import click

from ..i18n import _
from .common import Ctx, call, emit, iso, json_option, pass_ctx, say, tell, window


@click.command(help=_("Remaining balance and total."))
@json_option
@pass_ctx
def balance(ctx: Ctx, as_json) -> None:
    b = call(ctx, lambda c: c.balance())
    if as_json:
        emit({"balance": float(b.remaining), "total": float(b.total)})
    else:
        say(_("balance {remaining} of {total}").format(remaining=b.remaining, total=b.total))


@click.command(help=_("Send records: every message the account sent, from any system."))
@click.option("--from", "start", default="-1h", show_default=True, help=_("Window start (WHEN)."))
@click.option("--to", "end", default="now", show_default=True, help=_("Window end (WHEN)."))
@json_option
@pass_ctx
def records(ctx: Ctx, start, end, as_json) -> None:
    a, b = window(start, end)
    items = call(ctx, lambda c: c.records(a, b))
    rows = [
        {
            "msgid": r.msgid,
            "mobiles": list(r.mobiles),
            "content": r.content,
            "sent_at": iso(r.sent_at),
            "username": r.username,
        }
        if hasattr(r, "msgid")
        else {"unparsed": r.raw, "reason": r.reason}
        for r in items
    ]
    if as_json:
        emit(rows)
        return
    for row in rows:
        if "unparsed" in row:
            say(_("UNPARSED {raw!r}: {reason}").format(raw=row["unparsed"], reason=row["reason"]))
        else:
            say(f"{row['sent_at']}  {row['msgid']}  {','.join(row['mobiles'])}  {row['content']!r}")
    tell(_("{n} record(s)").format(n=len(rows)))


@click.command(help=_("Sent counts and balances of the account and its sub-accounts."))
@click.option("--from", "start", default="-1d", show_default=True, help=_("Window start (WHEN)."))
@click.option("--to", "end", default="now", show_default=True, help=_("Window end (WHEN)."))
@click.option("--agent-username", default="", help=_("One sub-account (default: all)."))
@json_option
@pass_ctx
def billing(ctx: Ctx, start, end, agent_username, as_json) -> None:
    a, b = window(start, end)
    items = call(ctx, lambda c: c.billing(a, b, agent_username))
    rows = [
        {
            "username": e.username,
            "sent": e.sent,
            "balances": {
                k: {"total": float(q.total), "remaining": float(q.remaining)}
                for k, q in e.balances.items()
            },
        }
        if hasattr(e, "username")
        else {"unparsed": e.raw, "reason": e.reason}
        for e in items
    ]
    if as_json:
        emit(rows)
    else:
        for row in rows:
            say(json.dumps(row, ensure_ascii=False))
