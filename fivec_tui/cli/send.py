"""``fivec-tui send``: one message to one or more numbers, over HTTP or the WebService.

Audited like every action (:mod:`fivec_tui.sync.acting`); refused as read-only; refused (exit
2) when a number got the same text within ``[app] duplicate_window_s``, whatever ``--yes``
says, unless ``--again``.
"""

from __future__ import annotations

import sys

import click

from ..api import ContentEncodingError
from ..api.sms import (
    check_content,
    has_signature,
    international,
    parse_recipients,
    parts,
    template_variables,
)
from ..api.traffic import TRAFFIC
from ..i18n import _
from ..when import parse_schedule, show_full
from .common import (
    Ctx,
    UsageError,
    call,
    emit,
    json_option,
    pass_ctx,
    refuse,
    say,
    tell,
    usage,
)


def _soap_checks(profile, template, at, encode) -> None:
    from ..api.soap import check_node

    if template or at or (encode and encode.upper() != "UTF-8"):
        raise UsageError(_("--via soap sends plain UTF-8 text now: no --template, --at or GBK"))
    if not profile.password:
        raise UsageError(
            _(
                "--via soap needs the plain password (the WebService takes no password_md5): "
                "set FIVEC_PASSWORD or `password` in the profile"
            )
        )
    try:
        check_node(profile.base_url)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _confirm(valid: list[str], per: int, total: int, enc: str, when) -> None:
    if not sys.stdin.isatty():
        raise UsageError(_("not a terminal: add --yes to send without asking"))
    more = " …" if len(valid) > 10 else ""
    tell(
        _("To {n} recipient(s): {numbers}").format(n=len(valid), numbers=", ".join(valid[:10]))
        + more
    )
    line = _("{per} part(s) each, {total} part(s) in all; encode {encode}").format(
        per=per, total=total, encode=enc
    )
    tell(line + (_("; at {time}").format(time=when.isoformat()) if when else ""))
    if not click.confirm(_("Send?"), err=True):
        sys.exit(2)


def _refuse_duplicates(store, profile, mobiles, content, template, variables) -> None:
    """Exit 2 when one of ``mobiles`` got this text within the window (see
    :mod:`fivec_tui.store.duplicates`), before the person is asked.  The send checks again
    as it writes its audit entry (:func:`_refuse_found` then says it)."""
    from ..store.duplicates import earlier_sends, text_key

    key = text_key(content or "", template or "", variables)
    window = profile.acting.duplicate_window_s
    if found := earlier_sends(store, [(m, key) for m in mobiles], window):
        _refuse_found(found)


def _refuse_found(found: dict) -> None:
    """Exit 2 naming the latest earlier send of ``found``: when, the msgid and who sent it."""
    last = max(found.values(), key=lambda e: e.at)
    refuse(
        _(
            "not sent: {mobile} got the same text at {time} ({msgid}, {source}){more}; "
            "add --again to send it anyway"
        ).format(
            mobile=last.mobile,
            time=show_full(last.at),
            msgid=_("msgid {msgid}").format(msgid=last.msgid) if last.msgid else _("no msgid"),
            source=last.told(),
            more=_(" and {n} more number(s) did").format(n=len(found) - 1)
            if len(found) > 1
            else "",
        )
    )


def _refuse_unsigned(content: str, mobiles: list[str]) -> None:
    """Exit 2 when a text to a mainland number has no 【signature】 at its start or end: the
    carriers drop such texts, and a bulk send rejects their rows.  ``--no-signature`` is for
    an account whose signature the platform adds itself (强制签名: §3.5, §6.1)."""
    mainland = [m for m in mobiles if not international(m)]
    if mainland and not has_signature(content):
        refuse(
            _(
                "not sent: the text has no 【signature】 at its start or end, which texts to "
                "mainland numbers need (e.g. 【公司】). Add one, or --no-signature if the "
                "platform adds your account's signature itself"
            )
        )


@click.command(help=_("Send one message to one or more numbers; prints the msgid."))
@click.option("--to", "to", help=_("Recipients, comma separated."))
@click.option(
    "--csv",
    "csv_path",
    type=click.Path(dir_okay=False),
    help=_(
        "Bulk send from a CSV (UTF-8 or GBK) or XLSX file: the numbers in a column named "
        "mobile, phone or 手机号, each {column} of --content filled from its row; every row is "
        "checked first, the rejected ones written to FILE.rejected.csv with their reasons."
    ),
)
@click.option("--strict", is_flag=True, help=_("--csv: send nothing if any row is rejected."))
@click.option(
    "--again",
    is_flag=True,
    help=_(
        "Send even when the same text went to a number within the duplicate window "
        "([app] duplicate_window_s); --csv: even when the same rows and text were sent before."
    ),
)
@click.option("--rate", type=float, help=_("--csv: messages a second, at most."))
@click.option(
    "--traffic",
    type=click.Choice(["notice", "personal", "marketing"]),
    help=_(
        "--csv: the traffic type, which sets the most messages a second the platform allows "
        "({rates}); guessed from the text when not given."
    ).format(rates=", ".join(f"{name} {kind.rate}/s" for name, kind in TRAFFIC.items())),
)
@click.option("--content", help=_("Message text (≤500 characters, signature 【…】 included)."))
@click.option(
    "--at", "at", help=_("Send later: an ISO time (without an offset: in [app] timezone) or +10m.")
)
@click.option("--template", help=_("Template code (templet_code); use --var for its variables."))
@click.option(
    "--var", "variables", multiple=True, help=_("Template variable NAME=VALUE (repeatable).")
)
@click.option(
    "--encode",
    type=click.Choice(["utf-8", "gbk"], case_sensitive=False),
    help=_("Request encoding."),
)
@click.option(
    "--via",
    type=click.Choice(["http", "soap"]),
    default="http",
    show_default=True,
    help=_("soap: the WebService send (plain text, UTF-8; needs the plain password)."),
)
@click.option(
    "--no-signature",
    "unsigned",
    is_flag=True,
    help=_(
        "Send a text without a 【signature】 to mainland numbers: for an account whose "
        "signature the platform adds itself."
    ),
)
@click.option("--yes", is_flag=True, help=_("Send without asking."))
@json_option
@pass_ctx
def send(
    ctx: Ctx,
    to,
    csv_path,
    strict,
    again,
    rate,
    traffic,
    content,
    at,
    template,
    variables,
    encode,
    via,
    unsigned,
    yes,
    as_json,
) -> None:
    ctx.refuse_if_read_only("send")
    if csv_path:
        from .bulk import send_csv

        opts = dict(
            to=to,
            strict=strict,
            again=again,
            rate=rate,
            traffic=traffic,
            content=content,
            template=template,
            variables=variables,
            encode=encode,
            via=via,
            unsigned=unsigned,
            yes=yes,
            as_json=as_json,
            when=usage(parse_schedule, at) if at else None,
        )
        send_csv(ctx, csv_path, opts)
        return
    if not to:
        raise UsageError(_("give --to (or --csv FILE)"))
    recipients = parse_recipients(to)
    if recipients.invalid:
        raise UsageError(_("invalid mobile number(s):") + "\n" + recipients.problems())
    if not recipients.valid:
        raise UsageError(_("no recipients"))
    try:
        variables_dict = template_variables(variables)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if not template and not content:
        raise UsageError(_("give --content (or --template with --var)"))
    profile = ctx.account()
    enc = (encode or profile.encode).upper()
    if via == "soap":
        _soap_checks(profile, template, at, encode)
        enc = "UTF-8"
    if not template:
        try:
            check_content(content, enc)
        except ContentEncodingError as exc:
            raise UsageError(str(exc)) from None
        if not unsigned:
            _refuse_unsigned(content, recipients.valid)
    when = usage(parse_schedule, at) if at else None
    per = parts(content) if content else 1
    total = per * len(recipients.valid)
    if recipients.duplicates and not as_json:
        tell(_("duplicates removed: {numbers}").format(numbers=", ".join(recipients.duplicates)))
    from ..sync import outbox

    store = ctx.journal()
    if not again:
        _refuse_duplicates(store, profile, recipients.valid, content, template, variables_dict)
    if not yes:
        _confirm(recipients.valid, per, total, enc, when)
    from ..store.duplicates import Duplicate

    audit = ctx.auditor(store)
    try:
        result = call(
            ctx,
            lambda c: outbox.send(
                store,
                c,
                recipients.valid,
                content or "",
                audit=audit,
                encode=enc,
                start_time=when,
                templet_code=template or "",
                variables=variables_dict or None,
                soap_password=profile.password if via == "soap" else None,
                duplicate_window_s=0.0 if again else profile.acting.duplicate_window_s,
                again=again,
            ),
        )
    except Duplicate as exc:  # sent meanwhile by another process, or while the person read
        _refuse_found(exc.found)
    if result.outcome == "unknown":
        tell(
            _(
                "outcome unknown ({detail}). It may have been sent; it was NOT retried. "
                "Check `fivec-tui records --from -10m` before sending again."
            ).format(detail=result.detail)
        )
        sys.exit(1)
    if as_json:
        emit({"msgid": result.msgid, "recipients": len(recipients.valid), "parts": total})
    else:
        say(
            _("accepted: msgid {msgid} (recipients: {n}, parts: {total})").format(
                msgid=result.msgid, n=len(recipients.valid), total=total
            )
        )
