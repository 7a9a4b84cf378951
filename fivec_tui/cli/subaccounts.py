"""Sub-accounts (§11): create, lock, unlock, info, charge."""

from __future__ import annotations

import click

from ..api.subaccounts import name_problems, password_problems
from ..i18n import _
from .common import (
    Ctx,
    UsageError,
    acted,
    call,
    emit,
    json_option,
    pass_ctx,
    password_stdin_option,
    read_secrets,
    say,
)


def _success(ctx: Ctx, fn, as_json: bool, action: str = "", **what) -> None:
    """Call ``fn``: audited as ``action`` (with ``what``) when it changes something."""
    r = acted(ctx, action, fn, **what) if action else call(ctx, fn)
    emit({"message": r.message}) if as_json else say(r.message)


@click.group(help=_("Sub-accounts: create, lock, unlock, info, charge."))
def subaccounts() -> None:
    pass


@subaccounts.command(
    "create",
    short_help=_("Create sub-account CHILD (its password asked, hidden)."),
    help=_(
        "Create sub-account CHILD. Its password is asked with a hidden prompt, or read from "
        "standard input with --password-stdin: never from the command line."
    ),
)
@click.argument("child")
@click.option("--contact-mobile", required=True, help=_("The sub-account's contact mobile."))
@click.option("--company", default="", help=_("The sub-account's company name."))
@password_stdin_option(_("the sub-account's password"))
@json_option
@pass_ctx
def accounts_create(ctx: Ctx, child, contact_mobile, company, password_stdin, as_json) -> None:
    ctx.refuse_if_read_only("subaccounts create")
    if problems := name_problems(child, contact_mobile, company):  # before the password
        raise UsageError("; ".join(problems))
    (password,) = read_secrets((_("Password of the new sub-account"),), password_stdin)
    if problems := password_problems(password):
        raise UsageError("; ".join(problems))
    _success(
        ctx,
        lambda c: c.user_create(child, password, contact_mobile, company),
        as_json,
        "subaccount_create",
        args={"child": child, "contact_mobile": contact_mobile, "company": company},
        secrets=[password],
    )


@subaccounts.command("lock", help=_("Lock sub-account CHILD."))
@click.argument("child")
@json_option
@pass_ctx
def accounts_lock(ctx: Ctx, child, as_json) -> None:
    ctx.refuse_if_read_only("subaccounts lock")
    what = {"args": {"child": child}}
    _success(ctx, lambda c: c.user_lock(child, True), as_json, "subaccount_lock", **what)


@subaccounts.command("unlock", help=_("Unlock sub-account CHILD."))
@click.argument("child")
@json_option
@pass_ctx
def accounts_unlock(ctx: Ctx, child, as_json) -> None:
    ctx.refuse_if_read_only("subaccounts unlock")
    what = {"args": {"child": child}}
    _success(ctx, lambda c: c.user_lock(child, False), as_json, "subaccount_unlock", **what)


@subaccounts.command("info", help=_("Status (or apikey) of sub-account CHILD."))
@click.argument("child")
@click.option("--apikey", "show_apikey", is_flag=True, help=_("Ask for the sub-account's apikey."))
@json_option
@pass_ctx
def accounts_info(ctx: Ctx, child, show_apikey, as_json) -> None:
    _success(ctx, lambda c: c.user_info(child, status=not show_apikey, apikey=show_apikey), as_json)


@subaccounts.command("charge", help=_("Move AMOUNT to CHILD (negative: take it back)."))
@click.argument("child")
@click.argument("amount", type=int)
@json_option
@pass_ctx
def accounts_charge(ctx: Ctx, child, amount, as_json) -> None:
    ctx.refuse_if_read_only("subaccounts charge")
    what = {"args": {"child": child, "amount": amount}}
    _success(ctx, lambda c: c.user_charge(child, amount), as_json, "subaccount_charge", **what)
