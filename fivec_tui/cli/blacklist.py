"""The platform's blacklist (check, remove) and the account's IP binding."""

from __future__ import annotations

import sys

import click

from ..api.sms import one_mobile
from ..i18n import _
from ..when import platform_time
from .common import (
    Ctx,
    UsageError,
    acted,
    call,
    emit,
    json_option,
    pass_ctx,
    say,
    usage,
    yes_option,
)


def _record_lookup(ctx: Ctx, result, action: str = "check") -> None:
    """Keep the lookup in the cache when one exists (history for the TUI)."""
    path = ctx.db_path()
    if path.exists():
        from ..store import Store
        from ..store.blacklist import add_blacklist_lookup

        store = Store(path)
        add_blacklist_lookup(store, result, action)
        store.close()


@click.group(help=_("Look up and remove numbers on the platform's blacklist."))
def blacklist() -> None:
    pass


@blacklist.command("check", help=_("Is MOBILE on the platform blacklist?"))
@click.argument("mobile")
@json_option
@pass_ctx
def blacklist_check(ctx: Ctx, mobile, as_json) -> None:
    number = usage(one_mobile, mobile)
    r = call(ctx, lambda c: c.blacklist_check(number))
    _record_lookup(ctx, r)
    if as_json:
        emit({"mobile": r.mobile, "black": r.black, "description": r.description, "added": r.added})
    elif r.black:
        say(
            _("{mobile}: BLACK — {description} (added {added})").format(
                mobile=r.mobile, description=r.description, added=platform_time(r.added, full=True)
            )
        )
    else:
        say(_("{mobile}: not blacklisted").format(mobile=r.mobile))


@blacklist.command(
    "remove",
    short_help=_("Ask the platform to whitelist MOBILE (opt-outs only)."),
    help=_(
        "Ask the platform to whitelist MOBILE. Only numbers blacklisted for an opt-out reply "
        "(TD, 退订) can be removed, and only on non-marketing accounts; complaint blacklists "
        "(10086, MIIT) cannot."
    ),
)
@click.argument("mobile")
@yes_option
@json_option
@pass_ctx
def blacklist_remove(ctx: Ctx, mobile, yes, as_json) -> None:
    ctx.refuse_if_read_only("blacklist remove")
    number = usage(one_mobile, mobile)
    if not yes:  # a request to the platform, asked for as send asks
        if not sys.stdin.isatty():
            raise UsageError(_("not a terminal: add --yes to do it without asking"))
        if not click.confirm(_("Whitelist {mobile}?").format(mobile=number), err=True):
            sys.exit(2)
    r = acted(ctx, "blacklist_remove", lambda c: c.blacklist_remove(number), mobiles=[number])
    if as_json:
        emit({"mobile": number, "removed": True, "message": r.message})
    else:
        say(f"{number}: {r.message}")


@click.command(
    "bind-ip",
    help=_("Bind the account to these IP addresses (requests from others are then refused)."),
)
@click.argument("ips", nargs=-1, required=True)
@click.option("--action", default="0", show_default=True, help=_("The platform's action value."))
@json_option
@pass_ctx
def bind_ip(ctx: Ctx, ips, action, as_json) -> None:
    ctx.refuse_if_read_only("bind-ip")
    args = {"ips": list(ips), "action": action}
    r = acted(ctx, "bind_ip", lambda c: c.bind_ip(list(ips), action), args=args)
    emit({"message": r.message}) if as_json else say(r.message)
