"""The ``fivec-tui`` group: global options, the language, and every command group."""

from __future__ import annotations

import gc
import importlib
import sys

import click

from .. import i18n
from ..i18n import N_, _
from ..private_files import UnsafePath
from .common import Ctx, Failed, choose_language, choose_zone, parse_moment, reader_gone

#: Every command: its name, then the module and attribute that define it, and its line in
#: the command list: one line at 80 columns in either language (Chinese has no spaces to
#: wrap at, and rich-click cuts a list line that overflows); its own --help says the rest.
COMMANDS = {
    "send": ("send", "send", N_("Send one message to one or more numbers.")),
    "campaign": ("campaign", "campaign_group", N_("Bulk sends (send --csv): list, show, resume.")),
    "balance": ("query", "balance", N_("Balance left and total.")),
    "records": ("query", "records", N_("Send records: every message the account sent.")),
    "billing": ("query", "billing", N_("Sent and balance of the account and sub-accounts.")),
    "blacklist": ("blacklist", "blacklist", N_("Look up or remove numbers on the blacklist.")),
    "bind-ip": ("blacklist", "bind_ip", N_("Bind the account to these IP addresses.")),
    "subaccounts": (
        "subaccounts",
        "subaccounts",
        N_("Sub-accounts: create, lock, unlock, info, charge."),
    ),
    "config": ("config", "config_group", N_("Create and inspect the config file.")),
    "doctor": ("doctor", "doctor", N_("Check files, config, platform, clock: what to fix.")),
    "sim": ("run", "sim", N_("Run the platform simulator until interrupted.")),
    "demo": ("run", "demo", N_("The TUI on the built-in simulator: no account needed.")),
    "poll": ("run", "poll", N_("The daemon: keeps the cache current, raises alerts.")),
    "stats": ("cache", "stats", N_("Delivery summary from the cache.")),
    "alerts": ("cache", "alerts_cmd", N_("Alert events from the cache, newest first.")),
    "export": ("cache", "export", N_("Export reports, replies, records, balance, audit.")),
    "audit": ("audit", "audit", N_("Who did what on the platform: the audit trail.")),
    "report": ("report", "report", N_("Post-incident report of a span: HTML or Markdown.")),
    "serve": ("run", "serve", N_("Serve the TUI in a browser, behind a token.")),
}
#: The commands (None: no command) that run the TUI in this process, the collector left off
#: until its first frame (see ``fivec_tui.__main__.run``); any other turns it back on.
OPENS_THE_TUI = {None, "demo"}
#: Older names still accepted, not listed: ``accounts`` was the sub-accounts group.
ALIASES = {"accounts": "subaccounts"}


class LazyGroup(click.Group):
    """Imports a command's module when the command is used (click's documented pattern for
    lazy subcommands): ``fivec-tui demo`` starts without the bulk-send, report and doctor
    modules, which the TUI's first frame would otherwise wait for."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        name = ALIASES.get(name, name)
        if name not in COMMANDS:
            return None
        module, attribute, short = COMMANDS[name]
        command = getattr(importlib.import_module(f"{__package__}.{module}"), attribute)
        command.short_help = _(short)
        return command

    def invoke(self, ctx: click.Context):
        """A cache that cannot be used, or a path refused for writing (a link, not a regular
        file, someone else's), is said in one line (exit 1), whichever command (or the TUI)
        met it.  So is an SQLite error met later, reading a damaged page in the middle of a
        command (:func:`~fivec_tui.store.integrity.from_error` says which, and what to do).
        The cache's error class is looked up only when its module was loaded: the commands
        that never open the cache do not import the store for this.

        Output whose reader stopped reading (``stats | head -1``) ends the command quietly,
        with success: every command, here."""
        try:
            result = super().invoke(ctx)
            sys.stdout.flush()  # a reader gone shows here, not at the interpreter's exit
            return result
        except BrokenPipeError:
            reader_gone()
        except UnsafePath as exc:
            raise Failed(str(exc)) from None
        except Exception as exc:
            integrity = sys.modules.get("fivec_tui.store.integrity")
            if integrity is not None and isinstance(exc, integrity.CacheBroken):
                raise Failed(str(exc)) from None
            if integrity is not None and _cache_error(exc):
                problem = integrity.from_error(_cache_path(ctx), exc)
                raise Failed(problem.line()) from None
            raise


def _cache_error(exc: Exception) -> bool:
    """An SQLite error the file or the moment caused (a damaged page, locked, a full or
    failing disk), not a bug of this tool's SQL (its traceback is wanted then)."""
    sqlite3 = sys.modules.get("sqlite3")
    if sqlite3 is None or not isinstance(exc, sqlite3.DatabaseError):
        return False
    return not isinstance(exc, sqlite3.IntegrityError | sqlite3.ProgrammingError)


def _cache_path(ctx: click.Context) -> str:
    """The cache the command was on, as best known (its name in the error)."""
    try:
        return str(ctx.obj.db_path())
    except Exception:  # no profile to name it by: the error says the rest
        return "?"


@click.group(
    cls=LazyGroup,
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
@click.option(
    "--read-only",
    "read_only",
    is_flag=True,
    envvar="FIVEC_READ_ONLY",
    help=_(
        "Watch only: no send, bulk send, blacklist removal, IP binding or sub-account action, "
        "in the TUI or from a command (also [app] read_only, [profiles.NAME] read_only)."
    ),
)
@click.version_option(package_name="fivec-tui")
@click.pass_context
def main(ctx: click.Context, config, profile, base_url, db, lang, at, read_only) -> None:
    given = ctx.get_parameter_source("read_only") == click.core.ParameterSource.ENVIRONMENT
    reason = ("FIVEC_READ_ONLY" if given else "--read-only") if read_only else ""
    from_env = ctx.get_parameter_source("config") == click.core.ParameterSource.ENVIRONMENT
    named = ("FIVEC_CONFIG" if from_env else "--config") if config else ""
    if ctx.invoked_subcommand not in OPENS_THE_TUI:
        gc.enable()
    ctx.obj = Ctx(config, profile, base_url, db, reason, named)
    choose_language(lang, ctx.obj.config_path)
    choose_zone(ctx.obj.config_path)
    if at is not None:
        ctx.obj.at = parse_moment(at)
    if ctx.invoked_subcommand is None:
        from .run import exit_if_no_room

        exit_if_no_room(ctx.obj.db_path())
        from ..app.run import run_tui

        sys.exit(run_tui(ctx.obj))
