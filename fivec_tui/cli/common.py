"""What every command shares: the context (config, profile, cache, client), output, errors.

Exit codes: 0 success, 1 the platform refused (the message says which error and what it
means) or could not be reached, 2 bad usage or bad input.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console

from .. import config as cfg
from .. import language
from .. import when as whens
from ..api import ContentEncodingError, ParseError, PlatformError, TransportError
from ..api.wire import BEIJING
from ..i18n import _

if TYPE_CHECKING:
    from ..api.client import FivecClient
    from ..store import Store

T = TypeVar("T")
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class UsageError(click.UsageError):
    exit_code = 2


def choose_language(flag: str | None, config_path: Path) -> None:
    """``--lang``, else ``[app] language``, else the environment (:mod:`fivec_tui.language`)."""
    usage(language.choose, flag, config_path)


def usage(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)``, a ValueError from it (bad input) turned into a usage error (exit 2)."""
    try:
        return fn(*args)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def parse_when(value: str) -> datetime:
    return usage(whens.parse_when, value)


def parse_window(value: str) -> float:
    return usage(whens.parse_window, value)


def window(start: str, end: str) -> tuple[datetime, datetime]:
    a, b = parse_when(start), parse_when(end)
    if a > b:
        raise UsageError(_("--from is after --to"))
    return a, b


def iso(ts: float | datetime | None) -> str | None:
    if ts is None:
        return None
    when = ts if isinstance(ts, datetime) else datetime.fromtimestamp(ts, UTC)
    return when.astimezone(BEIJING).isoformat()


def emit(data: Any) -> None:
    """``--json`` output: keys and values stay English whatever the interface language."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def say(text: str) -> None:
    """One line of human output, shown literally (no Rich markup)."""
    out.print(text, markup=False)


def tell(text: str, style: str | None = None) -> None:
    """One line for the person on stderr (progress, warnings, errors)."""
    err.print(text, style=style, markup=False)


class Ctx:
    """The global options, and everything built from them on first use."""

    def __init__(
        self, config: str | None, profile: str | None, base_url: str | None, db: str | None
    ):
        self.config_path = Path(config) if config else cfg.default_config_path()
        self.profile_name, self.base_url, self.db_flag = profile, base_url, db
        self._settings: cfg.ConfigFile | None = None
        self._profile: cfg.Profile | None = None
        #: ``fivec-tui --at WHEN``: the TUI opens at that moment (time-travel).
        self.at: float | None = None

    def settings(self) -> cfg.ConfigFile:
        """The config file, read and checked once (``[app]``, ``[keys]``, the profiles)."""
        if self._settings is None:
            try:
                self._settings = cfg.read_config(self.config_path)
            except cfg.ConfigError as exc:
                raise UsageError(str(exc)) from None
        return self._settings

    def profile(self) -> cfg.Profile:
        if self._profile is None:
            try:
                self._profile = self.settings().profile(
                    self.profile_name, overrides={"base_url": self.base_url}
                )
            except cfg.ConfigError as exc:
                raise UsageError(str(exc)) from None
            for warning in self._profile.warnings:
                tell(warning, "yellow")
        return self._profile

    def account(self) -> cfg.Profile:
        profile = self.profile()
        try:
            profile.require_account()
        except cfg.ConfigError as exc:
            raise UsageError(str(exc)) from None
        return profile

    def client(self) -> FivecClient:
        from ..sync.client import client_for

        return client_for(self.account())

    def db_path(self) -> Path:
        if self.db_flag:
            return Path(self.db_flag)
        if os.environ.get("FIVEC_DB"):
            return Path(os.environ["FIVEC_DB"])
        return self.cache_path(self.profile())

    def all_profiles(self) -> list[cfg.Profile]:
        """Every profile of the file, each read from the file alone (``--all``): the
        ``FIVEC_*`` variables, ``FIVEC_DB``, ``--base-url`` and ``--db`` are for the one profile
        chosen, never for all of them."""
        if self.db_flag or self.base_url:
            raise UsageError(_("--db and --base-url are for one profile, not with --all"))
        settings = self.settings()
        names = settings.data.get("profiles")
        if not isinstance(names, dict) or not names:
            raise UsageError(_("--all: no profiles in {path}").format(path=settings.path))
        try:
            return [settings.profile(name, env={}) for name in names]
        except cfg.ConfigError as exc:
            raise UsageError(str(exc)) from None

    @staticmethod
    def cache_path(profile: cfg.Profile) -> Path:
        """A profile's own cache in the data dir (what ``db_path`` is without overrides)."""
        return cfg.data_dir() / f"{profile.name}.db"

    def cache(self) -> Store:
        """The cache, read-only; a usage error when there is none yet."""
        from ..store import Store

        path = self.db_path()
        if not path.exists():
            raise UsageError(_("no cache at {path}: run `fivec-tui poll` first").format(path=path))
        return Store(path, readonly=True)


pass_ctx = click.make_pass_decorator(Ctx)


def call(ctx: Ctx, fn: Callable[[FivecClient], Awaitable[T]]) -> T:
    """Run one client call; map platform and network errors, and answers that are none, to
    exit code 1."""
    import asyncio  # here: the commands that read only the cache start without it (~30 ms)

    async def go() -> T:
        async with ctx.client() as client:
            return await fn(client)

    try:
        return asyncio.run(go())
    except PlatformError as exc:
        tell(_("platform error: {error}").format(error=exc))
        sys.exit(1)
    except TransportError as exc:
        tell(_("cannot reach the platform: {error}").format(error=exc))
        sys.exit(1)
    except ParseError as exc:  # a maintenance page, a WAF, an echo: said, no traceback
        tell(_("the answer cannot be read: {error}").format(error=exc))
        sys.exit(1)
    except ContentEncodingError as exc:
        raise UsageError(str(exc)) from None


def json_option(fn):
    return click.option("--json", "as_json", is_flag=True, help=_("Machine-readable output."))(fn)


def yes_option(fn):
    return click.option("--yes", is_flag=True, help=_("Do not ask."))(fn)


def read_secrets(prompts: tuple[str, ...], from_stdin: bool) -> list[str]:
    """Secrets from a hidden prompt, or one per line from standard input: never from the
    command line, where `ps` and the shell's history would show them.

    On a terminal the prompt is used even with ``from_stdin``: typed lines would be echoed.
    """
    if sys.stdin.isatty():
        values = [click.prompt(p, hide_input=True, err=True) for p in prompts]
    elif from_stdin:
        values = [sys.stdin.readline().rstrip("\r\n") for _p in prompts]
    else:
        raise UsageError(_("no terminal to ask for secrets on: use --password-stdin"))
    if not all(values):
        raise UsageError(
            _("--password-stdin: give {what}, one per line").format(what=", ".join(prompts))
        )
    return values


def password_stdin_option(what: str):
    return click.option(
        "--password-stdin",
        is_flag=True,
        help=_("Read {what} from standard input, one per line.").format(what=what),
    )
