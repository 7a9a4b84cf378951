"""``fivec-tui audit``: the audit trail of actions on the platform, and whether it holds.

Text: one line per action (its outcome folded in), newest first, times in the display zone
as the other commands show them.  ``--json``: every field of both entries.  ``--verify``: the
chain walked from its start and checked against its anchor outside the cache
(:mod:`fivec_tui.store.audit_verify`); exit 1 naming what breaks it, exit 3 (:data:`UNCHECKED`)
when the chain holds but entries were sealed with a key not at hand (a key lost and made
again, a cache from another machine): said as such, never as tampering.
"""

from __future__ import annotations

import json
import sys

import click

from ..i18n import _
from ..store.audit import ACTIONS
from ..when import show_full
from .common import (
    Ctx,
    UsageError,
    emit,
    iso,
    json_option,
    parse_when,
    pass_ctx,
    say,
    tell,
    window,
)

#: ``--verify``'s exit code when the links hold but some entries cannot be checked here.
UNCHECKED = 3


def _as_json(row: dict) -> dict:
    """An action with every field, times as ISO, arguments and variables as objects."""
    out = {k: iso(v) if k in ("at", "done_at") else v for k, v in row.items()}
    for key in ("args", "variables"):
        out[key] = json.loads(row[key]) if row[key] else None
    out["mobiles"] = row["mobiles"].split(",") if row["mobiles"] else []
    return out


def unchecked_text(verdict, key_path: str) -> str:
    """What to tell of entries sealed with a key not at hand, and what to do."""
    fields = {
        "a": verdict.unchecked_from,
        "b": verdict.unchecked_to,
        "path": key_path,
        "n": verdict.entries - verdict.unchecked,
    }
    if not verdict.key_at_hand:
        return _(
            "audit trail NOT CHECKED: entries {a} to {b} are sealed with an audit key this "
            "machine does not have ({path}): the cache comes from another machine, or the key "
            "was deleted. Their links hold. To check them, copy the key file from the machine "
            "that wrote them to {path} (mode 0600), or run this there."
        ).format(**fields)
    return _(
        "audit trail PARTLY CHECKED: the links hold and {n} entries verify, but entries {a} to "
        "{b} were sealed with an earlier audit key, not the one at {path}: it went missing "
        "(deleted, or the cache comes from another machine) and a new one was made. Those "
        "entries cannot be checked here, which does not mean they were changed. To check them, "
        "put the earlier key file back at {path} (move the current one aside) and run this again."
    ).format(**fields)


def _line(row: dict) -> str:
    from ..store.audit import subject, who

    outcome = _(row["outcome"]) + (f" {row['msgid']}" if row["msgid"] else "")
    line = (
        f"{show_full(row['at'])}  {who(row)}  {row['path']}  {row['action']}  "
        f"{outcome}  {subject(row)}"
    )
    if row["outcome"] in ("failed", "unknown") and row["detail"]:
        line += f"  ({row['detail']})"
    return line


@click.command(
    help=_(
        "The audit trail of actions on the platform (sends, bulk requests, blacklist "
        "removals, IP binding, sub-account changes): who, from where, what, and how it ended. "
        "--verify checks its hash chain."
    )
)
@click.option("--from", "start", help=_("WHEN: actions from then on."))
@click.option("--to", "end", help=_("WHEN: actions until then."))
@click.option("--user", help=_("Only this user (the OS user, the uid's name or the sudo user)."))
@click.option(
    "--action",
    type=click.Choice([*ACTIONS, "subaccount"]),
    help=_("Only this action (subaccount: every sub-account action)."),
)
@click.option("--profile", "profile_name", help=_("This profile's cache and actions."))
@click.option(
    "--verify",
    is_flag=True,
    help=_(
        "Check the hash chain; exit 1 naming the first broken entry, 3 when entries were "
        "sealed with an audit key not at hand (lost, or from another machine)."
    ),
)
@json_option
@pass_ctx
def audit(ctx: Ctx, start, end, user, action, profile_name, verify, as_json) -> None:
    from ..store import audit as trail
    from ..store.seal import Seal

    if profile_name:
        ctx.profile_name = profile_name
    path = ctx.db_path()
    if not path.exists():
        raise UsageError(_("no cache at {path}: nothing was done yet").format(path=path))
    store = ctx.journal()
    if verify:
        from ..store.audit_verify import verify as check

        verdict = check(store)
        if as_json:
            emit(verdict.as_json())
        elif verdict.ok:
            say(_("audit trail verified: {n} entries").format(n=verdict.entries))
            if verdict.entries and not verdict.anchored:
                tell(
                    _(
                        "not anchored on this machine (no action written here since the "
                        "audit key came): a cut tail or a deleted trail cannot be told"
                    )
                )
        elif verdict.broken is None:
            say(unchecked_text(verdict, str(Seal.of(store.conn).key_path)))
        else:
            say(
                _("audit trail BROKEN at entry {id}: {problem}").format(
                    id=verdict.broken, problem=verdict.problem
                )
            )
        sys.exit(0 if verdict.ok else 1 if verdict.broken is not None else UNCHECKED)
    if start and end:
        since, until = (w.timestamp() for w in window(start, end))
    else:
        since = parse_when(start).timestamp() if start else None
        until = parse_when(end).timestamp() if end else None
    rows = trail.actions(
        store, since=since, until=until, user=user, action=action, profile=profile_name
    )
    if as_json:
        emit([_as_json(r) for r in rows])
        return
    if not rows:
        say(_("no actions recorded"))
    for row in rows:
        say(_line(row))
