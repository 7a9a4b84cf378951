"""The ``fivec-tui`` group: global options, the language, and every command group."""

from __future__ import annotations

import sys
import time

import click

from .. import i18n
from ..i18n import _
from . import accounts, blacklist, cache, campaign, config, doctor, query, report, run, send
from .common import Ctx, choose_language, parse_when


@click.group(
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
    help=_(
        "On-call console for 美联软通 (5c.com.cn) SMS accounts. Without a command, opens the "
        "TUI on the configured profile. Try `fivec-tui demo` first: it runs the TUI against "
        "the built-in simulator, no account needed."
    ),
)
@click.option(
    "--config", envvar="FIVEC_CONFIG", help=_("Config file (default: platform config dir).")
)
@click.option("--profile", envvar="FIVEC_PROFILE", help=_("Profile (account) to use."))
@click.option("--base-url", help=_("Platform base URL, overriding the profile's node."))
@click.option("--db", help=_("Cache database (default: one per profile in the data dir)."))
@click.option(
    "--lang",
    type=click.Choice(i18n.CHOICES),
    help=_("Interface language (default: [app] language in the config, else LC_ALL/LANG)."),
)
@click.option(
    "--at",
    "at",
    help=_("WHEN: open the TUI at that moment (time-travel; L in the TUI returns to live)."),
)
@click.version_option(package_name="fivec-tui")
@click.pass_context
def main(ctx: click.Context, config, profile, base_url, db, lang, at) -> None:
    ctx.obj = Ctx(config, profile, base_url, db)
    choose_language(lang, ctx.obj.config_path)
    if at is not None:
        moment = parse_when(at).timestamp()
        ctx.obj.at = moment if moment < time.time() else None  # now or later: live
    if ctx.invoked_subcommand is None:
        from ..app.run import run_tui

        sys.exit(run_tui(ctx.obj))


for command in (
    send.send,
    campaign.campaign_group,
    query.balance,
    query.records,
    query.billing,
    blacklist.blacklist,
    blacklist.bind_ip,
    accounts.accounts,
    config.config_group,
    doctor.doctor,
    run.sim,
    run.demo,
    run.poll,
    cache.stats,
    cache.alerts_cmd,
    cache.export,
    report.report,
    run.serve,
):
    main.add_command(command)
