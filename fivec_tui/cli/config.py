"""``fivec-tui config``: where the file is, what is in effect, and adding a profile."""

from __future__ import annotations

import sys

import click

from .. import config as cfg
from ..api import md5_hex
from ..i18n import _
from .common import (
    Ctx,
    UsageError,
    emit,
    json_option,
    out,
    pass_ctx,
    password_stdin_option,
    read_secrets,
    say,
)


@click.group("config", help=_("Create and inspect the config file."))
def config_group() -> None:
    pass


@config_group.command("path", help=_("Where the config file is."))
@pass_ctx
def config_path(ctx: Ctx) -> None:
    say(str(ctx.config_path))


@config_group.command(
    "show", help=_("Effective settings and where each came from (secrets masked).")
)
@json_option
@pass_ctx
def config_show(ctx: Ctx, as_json) -> None:
    p = ctx.profile()
    rows = p.shown() | ctx.settings().shown()
    if as_json:
        emit(
            {
                "profile": p.name,
                "config": str(ctx.config_path),
                "settings": {k: {"value": v, "source": s} for k, (v, s) in rows.items()},
            }
        )
        return
    path = ctx.config_path
    say(_("profile {name}").format(name=p.name))
    say(_("file {path}").format(path=path))
    if not path.exists():
        say("  " + _("(not there yet: each value is a default or from the environment)"))
    for line in _table(rows, out.width):
        say(line)


def _source(source: str) -> str:
    """Where a value came from, short: ``file`` (named once above), ``env FIVEC_…``, ``flag
    --…`` or ``default``."""
    if source.startswith("file "):
        return _("file")
    return _("default") if source == "default" else source


def _table(rows: dict[str, tuple[str, str]], width: int) -> list[str]:
    """The rows as aligned lines at most ``width`` columns (80 at least): names and sources
    whole, values cut with … to the room left."""
    from rich.cells import cell_len, set_cell_size

    shown = [(key, value, _source(source)) for key, (value, source) in rows.items()]
    name_w = max(cell_len(k) for k, _v, _s in shown)
    source_w = max(cell_len(s) for _k, _v, s in shown)
    value_w = max(12, max(width, 80) - 2 - name_w - 1 - 1 - source_w)
    lines = []
    for key, value, source in shown:
        if cell_len(value) > value_w:
            value = set_cell_size(value, value_w - 1) + "…"
        line = f"  {set_cell_size(key, name_w)} {set_cell_size(value, value_w)} {source}"
        lines.append(line.rstrip())
    return lines


@config_group.command(
    "init",
    short_help=_("Add or update a profile in the config file (0600)."),
    help=_(
        "Add or update a profile in the config file (mode 0600), keeping everything else in "
        "it. The password and apikey are asked with a hidden prompt, or read from standard "
        "input with --password-stdin: never from arguments, which `ps` and shell history "
        "would show. On a terminal, --password-stdin asks too: lines typed there would be "
        "echoed."
    ),
)
@click.option(
    "--name",
    "profile_name",
    default=None,
    help=_("Profile name (default: --profile or 'default')."),
)
@click.option("--username", help=_("The account's username."))
@password_stdin_option(_("the password, then the apikey"))
@click.option("--node", default=None, help=_("main, bj, hk, us, euro, or a full URL."))
@click.option(
    "--encode",
    type=click.Choice(["UTF-8", "GBK"], case_sensitive=False),
    help=_("Request encoding."),
)
@pass_ctx
def config_init(ctx: Ctx, profile_name, username, password_stdin, node, encode) -> None:
    interactive = sys.stdin.isatty()

    def ask(value, option: str, prompt: str, default=None):
        if value:
            return value
        if not interactive:
            if default is not None:
                return default
            raise UsageError(_("missing --{option} (no terminal to ask on)").format(option=option))
        return click.prompt(prompt, default=default, err=True)

    name = profile_name or ctx.profile_name or "default"
    username = ask(username, "username", _("Username"))
    password, apikey = read_secrets((_("Password"), _("Apikey")), password_stdin)
    values = {
        "username": username,
        "password_md5": md5_hex(password),
        "apikey": apikey,
        "node": ask(node, "node", _("Node"), default="main"),
        "encode": (encode or "UTF-8").upper(),
    }
    try:
        cfg.validate_profile(name, values)
        cfg.write_profile(ctx.config_path, name, values)
    except cfg.ConfigError as exc:
        raise UsageError(str(exc)) from None
    say(_("wrote profile {name!r} to {path} (mode 0600)").format(name=name, path=ctx.config_path))
