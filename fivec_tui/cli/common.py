"""What every command shares: the context (config, profile, cache, client), output, errors.

Exit codes: 0 success, 1 the platform refused (the message says which error and what it
means) or could not be reached, 2 bad usage or bad input, or an action refused here (the
console is read-only, the same text went to the number within the duplicate window).

Every line for the person (:func:`say`, :func:`tell`, the errors) shows outside text as the
TUI does (:func:`~fivec_tui.text.visible`): a reply's or a profile name's control and
right-to-left characters escaped, never acted on by the terminal.  JSON keeps it exact.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn, TextIO, TypeVar

import click
from rich.console import Console

from .. import config as cfg
from .. import language
from .. import when as whens
from ..api import ContentEncodingError, ParseError, PlatformError, TransportError
from ..i18n import _
from ..text import visible

if TYPE_CHECKING:
    from ..api.client import FivecClient
    from ..store import Store
    from ..store.auditor import Auditor

T = TypeVar("T")


#: The exit code of a command whose reader went away: a shell's for a process ended by
#: SIGPIPE.  Never 0: the command did not finish, and ``audit --verify | head -1`` of a
#: tampered trail must not read as verified under ``set -o pipefail``.
READER_GONE = 128 + 13


def reader_gone() -> None:
    """Exit :data:`READER_GONE` without a word once the reader of stdout has gone (``stats
    | head -1``: a broken pipe), whichever command wrote: no traceback, and what is left for
    stdout goes nowhere rather than failing again at exit."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    sys.exit(READER_GONE)


class _Out(Console):
    def on_broken_pipe(self) -> None:  # Rich's own exits 1
        self.quiet = True
        reader_gone()


out = _Out(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class UsageError(click.UsageError):
    exit_code = 2

    def format_message(self) -> str:
        return visible(self.message, lines=True)


class Bounded(click.FloatRange):
    """A number within bounds, nan refused too (it compares false with each bound, so a
    plain :class:`click.FloatRange` lets it through)."""

    name = "number"

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if number != number:
            self.fail(_("{value!r} is not a number").format(value=value), param, ctx)
        return number


class Failed(click.ClickException):
    """A command that cannot go on: its one line (exit 1), outside text in it escaped."""

    def format_message(self) -> str:
        return visible(self.message, lines=True)


class ConfigProblem(Failed):
    """A config file that cannot be read: its one line naming the file (exit 2), without the
    usage text, the command being right."""

    exit_code = 2


def choose_language(flag: str | None, config_path: Path) -> None:
    """``--lang``, else ``[app] language``, else the environment (:mod:`fivec_tui.language`)."""
    usage(language.choose, flag, config_path)


def choose_zone(config_path: Path) -> None:
    """Show and read times in ``[app] timezone`` (:mod:`fivec_tui.when`) from now on, before
    any WHEN is parsed.  A bad zone is a usage error naming file, table and key; a file that
    cannot be read is left to the command that reads it to report."""
    from ..config.kinds import ZONE, Where

    try:
        app = cfg.read_file(config_path).get("app")
    except cfg.ConfigError:
        app = None
    value = app.get("timezone") if isinstance(app, dict) else None
    try:
        zone = (
            whens.PLATFORM_ZONE
            if value is None
            else Where(str(config_path), "app").check(ZONE, "timezone", value)
        )
    except cfg.ConfigError as exc:
        raise UsageError(str(exc)) from None
    whens.use_zone(zone)


def usage(fn: Callable[..., T], *args: Any) -> T:
    """``fn(*args)``, a ValueError from it (bad input) turned into a usage error (exit 2)."""
    try:
        return fn(*args)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def parse_when(value: str) -> datetime:
    return usage(whens.parse_when, value)


def parse_moment(value: str) -> float | None:
    """A WHEN of ``--at``: the moment, or None for the live view: ``now``, or a moment to
    come, which is said (it was taken for live in silence)."""
    moment = parse_when(value).timestamp()
    if said := whens.later_than_now(moment):
        tell(said, "yellow")
    return whens.past(moment)


def parse_window(value: str) -> float:
    return usage(whens.parse_window, value)


def window(start: str, end: str) -> tuple[datetime, datetime]:
    a, b = parse_when(start), parse_when(end)
    if a > b:
        raise UsageError(_("--from is after --to"))
    return a, b


#: ISO 8601 in the display zone, with its offset (JSON output, CSV exports, CLI text).
iso = whens.iso


def emit(data: Any) -> None:
    """``--json`` output: keys and values stay English whatever the interface language."""
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


def say(text: str) -> None:
    """One line of human output, shown literally (no Rich markup, outside text escaped)."""
    out.print(visible(text, lines=True), markup=False)


def tell(text: str, style: str | None = None) -> None:
    """One line for the person on stderr (progress, warnings, errors), as :func:`say`."""
    err.print(visible(text, lines=True), style=style, markup=False)


def terminal_safe(fh: TextIO) -> TextIO:
    """``fh`` (stdout) for an export or a report: when it is a terminal, control and bidi
    characters of outside text are written escaped (a reply's ``ESC[2J`` or OSC 52 would
    otherwise drive it); a file or a pipe gets the text exact."""
    return _Escaping(fh) if fh.isatty() else fh


class _Escaping:
    """A text stream that writes what it is given as :func:`say` shows it."""

    def __init__(self, fh: TextIO) -> None:
        self.fh = fh

    def write(self, text: str) -> int:
        return self.fh.write(visible(text, lines=True).replace("\\x0d\n", "\n"))

    def __getattr__(self, name: str):
        return getattr(self.fh, name)


def refuse(text: str) -> NoReturn:
    """An action refused here, before any request: one line, exit 2."""
    tell(text)
    sys.exit(2)


class Ctx:
    """The global options, and everything built from them on first use."""

    def __init__(
        self,
        config: str | None,
        profile: str | None,
        base_url: str | None,
        db: str | None,
        read_only: str = "",
        config_given: str | None = None,
    ):
        self.config_path = Path(config) if config else cfg.default_config_path()
        #: How the config file was named (``--config``, ``FIVEC_CONFIG``), "" for the default
        #: path: a file named must exist (:func:`fivec_tui.config.read_file`).
        self.config_given = ("--config" if config else "") if config_given is None else config_given
        self.profile_name, self.base_url, self.db_flag = profile, base_url, db
        #: ``--read-only`` (or ``FIVEC_READ_ONLY``) as given: what it was given as, or "".
        self.read_only = read_only
        self._settings: cfg.ConfigFile | None = None
        self._profile: cfg.Profile | None = None
        #: ``fivec-tui --at WHEN``: the TUI opens at that moment (time-travel).
        self.at: float | None = None

    def settings(self) -> cfg.ConfigFile:
        """The config file, read and checked once (``[app]``, ``[keys]``, the profiles)."""
        if self._settings is None:
            try:
                self._settings = cfg.read_config(self.config_path, given=self.config_given)
            except cfg.ConfigError as exc:
                raise ConfigProblem(str(exc)) from None
        return self._settings

    def profile(self) -> cfg.Profile:
        if self._profile is None:
            try:
                self._profile = self.settings().profile(
                    self.profile_name, overrides={"base_url": self.base_url}
                )
            except cfg.ConfigError as exc:
                raise UsageError(str(exc)) from None
            self._refuse_unknown(self._profile)
            for warning in self._profile.warnings:
                tell(warning, "yellow")
            self._acting(self._profile)
        return self._profile

    def _refuse_unknown(self, profile: cfg.Profile) -> None:
        """A profile named (``--profile``, ``FIVEC_PROFILE``) that nothing defines: not in the
        file, no account in the ``FIVEC_*`` variables (a profile may live there alone), and
        no cache of it (one polled before from such variables is still read).  Without this,
        a typo read as an empty profile and the error said "no cache"."""
        name = self.profile_name
        profiles = self.settings().data.get("profiles")
        if not name or (isinstance(profiles, dict) and name in profiles):
            return
        if any(os.environ.get(var) for key, var in cfg.ENV.items() if key != "base_url"):
            return
        if self.cache_path(profile).exists():
            return
        where = self.config_path
        raise UsageError(
            (
                _(
                    "no such profile {name!r}: {path} does not exist, no FIVEC_USERNAME, "
                    "FIVEC_PASSWORD or FIVEC_APIKEY is set, and no cache of it was made; "
                    "`fivec-tui config init --profile {name}` adds it"
                )
                if not where.exists()
                else _(
                    "no such profile {name!r}: not in {path}, no FIVEC_USERNAME, "
                    "FIVEC_PASSWORD or FIVEC_APIKEY is set, and no cache of it was made; "
                    "`fivec-tui config init --profile {name}` adds it"
                )
            ).format(name=name, path=where)
        )

    def _acting(self, profile: cfg.Profile) -> None:
        """What ``[app]`` and ``--read-only`` say about acting, put on ``profile``."""
        app = self.settings().app
        reason = self.read_only or ("[app] read_only" if app.read_only else "")
        if not reason and profile.read_only:
            reason = f"[profiles.{profile.name}] read_only"
        profile.acting = cfg.Acting(reason, app.duplicate_window_s, app.audit_retention_days)

    def refuse_if_read_only(self, command: str) -> None:
        """Exit 2, before anything reaches the platform, when this profile is watch-only."""
        reason = self.profile().acting.read_only
        if reason:
            refuse(
                _(
                    "read-only ({reason}): `{command}` changes something on the platform; "
                    "nothing was sent"
                ).format(reason=reason, command=command)
            )

    def auditor(self, store: Store, path: str = "cli") -> Auditor:
        """Who acts from this command, on the chosen profile, into ``store``'s trail."""
        from ..sync.acting import auditor_for

        return auditor_for(self.profile(), store, path)

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
            profiles = [settings.profile(name, env={}) for name in names]
        except cfg.ConfigError as exc:
            raise UsageError(str(exc)) from None
        for profile in profiles:
            self._acting(profile)
        return profiles

    @staticmethod
    def cache_path(profile: cfg.Profile) -> Path:
        """A profile's own cache in the data dir (what ``db_path`` is without overrides)."""
        return cfg.data_dir() / f"{profile.name}.db"

    def cache(self) -> Store:
        """The cache, read-only; a usage error when there is none yet."""

        path = self.db_path()
        if not path.exists():
            raise UsageError(_("no cache at {path}: run `fivec-tui poll` first").format(path=path))
        return self.read_cache(path)

    @staticmethod
    def read_cache(path: Path) -> Store:
        """The cache at ``path``, read-only, its schema this version's (else Failed)."""
        from ..store import Store
        from ..store.integrity import schema_behind

        store = Store(path, readonly=True)
        if problem := schema_behind(path, store.conn):
            store.close()
            raise Failed(problem.line())
        return store

    def journal(self) -> Store:
        """The cache, writable and brought up to date (the audit trail and the campaign
        journal live there); made when there is none yet."""
        from ..store import Store

        return Store(self.db_path())


pass_ctx = click.make_pass_decorator(Ctx)


def call(ctx: Ctx, fn: Callable[[FivecClient], Awaitable[T]]) -> T:
    """Run one client call; map platform and network errors, answers that are none, and an
    audit trail that cannot be written to exit code 1, an action refused as read-only to 2."""
    import asyncio  # here: the commands that read only the cache start without it (~30 ms)

    from ..store.auditor import ReadOnly
    from ..sync.acting import NotAudited

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
    except ReadOnly as exc:
        refuse(str(exc))
    except NotAudited as exc:
        tell(str(exc))
        sys.exit(1)


def acted(ctx: Ctx, action: str, fn: Callable[[FivecClient], Awaitable[T]], **what: Any) -> T:
    """:func:`call` as an audited ``action`` (``what``: its entry's fields), written in the
    cache's trail by this command's user."""
    from ..sync.acting import act

    store = ctx.journal()
    audit = ctx.auditor(store)
    return call(ctx, lambda c: act(audit, action, lambda: fn(c), **what))


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
