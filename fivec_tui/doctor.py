"""``fivec-tui doctor``: is this box set up safely and does it work?  Each problem says what to do.

Checks, in order: the modes of the files and directories the tool creates (``--fix`` makes
them 0600 and 0700), the config (it loads, the profile has an account, no unknown keys), the
platform (one balance query with a short timeout), the clock (the ``Date`` header of that
answer against this machine's), and the push receiver when the profile has ``push.listen``.
"""

from __future__ import annotations

import asyncio
import email.utils
import os
import stat
import time
from dataclasses import asdict, dataclass
from datetime import UTC
from pathlib import Path

import click
import httpx

from . import config as cfg
from .api import FivecError, TransportError
from .files import DIR_MODE, FILE_MODE, cache_files, default_log, mode_of

#: Seconds the platform may answer in, and the clock difference that is a problem.
TIMEOUT_S = 5.0
MAX_SKEW_S = 60.0


@dataclass
class Check:
    """One finding: ``status`` is ok, problem, fixed or skipped."""

    check: str
    status: str
    subject: str
    detail: str
    fix: str = ""

    @property
    def problem(self) -> bool:
        return self.status == "problem"


# -- file modes -----------------------------------------------------------------------------
def _state_file() -> Path:
    from .app.themes import state_path  # the TUI's remembered theme

    return state_path()


def owned_paths(config_path: Path, db_path: Path | None) -> list[tuple[Path, str]]:
    """The files and directories this tool creates, as (path, what), those that exist."""
    from .sync.lock import PollerLock

    state = _state_file()
    paths = [(cfg.config_dir(), "config dir"), (cfg.data_dir(), "data dir")]
    paths += [(state.parent, "state dir"), (config_path, "config"), (state, "theme state")]
    if db_path is not None:
        paths += [(p, "cache") for p in cache_files(db_path)]
        paths += [(default_log(db_path), "log"), (PollerLock(db_path).path, "lock")]
    seen: set[Path] = set()
    out = []
    for path, what in paths:
        if path not in seen and path.exists():
            seen.add(path)
            out.append((path, what))
    return out


def check_mode(path: Path, what: str, fix: bool) -> Check:
    mode = mode_of(path)
    want = DIR_MODE if path.is_dir() else FILE_MODE
    subject = str(path)
    if mode is None:
        return Check("mode", "problem", subject, f"{what}: cannot stat", "check who owns it")
    if not mode & (stat.S_IRWXG | stat.S_IRWXO):
        return Check("mode", "ok", subject, f"{what} {mode:04o}")
    found = f"{what} {mode:04o}: group or others can {'open' if want == DIR_MODE else 'read'} it"
    if fix:
        try:
            os.chmod(path, want)
        except OSError as exc:
            return Check(
                "mode",
                "problem",
                subject,
                f"{found}; chmod failed: {exc.strerror}",
                f"run as its owner (uid {path.stat().st_uid}): chmod {want:o} '{path}'",
            )
        return Check("mode", "fixed", subject, f"{what} {mode:04o} -> {want:04o}")
    return Check(
        "mode",
        "problem",
        subject,
        found,
        f"chmod {want:o} '{path}' (or run `fivec-tui doctor --fix`)",
    )


# -- config ---------------------------------------------------------------------------------
def check_config(config_path: Path, profile: cfg.Profile | None, error: str) -> Check:
    where = f"config {config_path}"
    if profile is None:
        return Check("config", "problem", where, error, f"edit {config_path}")
    try:
        profile.require_account()
    except cfg.ConfigError as exc:
        return Check("config", "problem", where, str(exc), "run `fivec-tui config init`")
    # The config's mode has a check of its own: its warning is not said twice.
    exposed = cfg.permission_warning(config_path, cfg.read_file(config_path))
    other = [w for w in profile.warnings if w != exposed]
    if other:
        return Check("config", "problem", where, "; ".join(other), f"edit {config_path}")
    return Check("config", "ok", where, f"profile {profile.name!r} ({profile.username})")


# -- network --------------------------------------------------------------------------------
async def _platform(
    profile: cfg.Profile, transport: httpx.AsyncBaseTransport | None
) -> list[Check]:
    from .api.client import FivecClient

    url = profile.base_url
    dates: list[tuple[float, str]] = []

    async def keep_date(response: httpx.Response) -> None:
        if date := response.headers.get("date"):
            dates.append((time.time(), date))

    started = time.monotonic()
    try:
        async with FivecClient(
            profile.credentials, url, encode=profile.encode, timeout=TIMEOUT_S, transport=transport
        ) as client:
            # The client has no hook of its own; its httpx client's keeps proxies from the
            # environment working, as a wrapping transport would not.
            client._http.event_hooks = {"response": [keep_date]}
            balance = await client.balance()
    except FivecError as exc:
        fix = (
            "check the node (base URL), DNS, the firewall and any proxy"
            if isinstance(exc, TransportError)
            else "check username, password and apikey (`fivec-tui config init`) and the "
            "account's IP binding"
        )
        reach = Check("platform", "problem", url, f"{type(exc).__name__}: {exc}", fix)
    else:
        took = time.monotonic() - started
        reach = Check("platform", "ok", url, f"balance {balance.remaining} answered in {took:.2f}s")
    return [reach, _clock(url, dates)]


def _clock(url: str, dates: list[tuple[float, str]]) -> Check:
    if not dates:
        return Check("clock", "skipped", url, "no answer with a Date header to compare with")
    local, header = dates[-1]
    try:
        remote = email.utils.parsedate_to_datetime(header)
        remote = (remote if remote.tzinfo else remote.replace(tzinfo=UTC)).timestamp()
    except (TypeError, ValueError):
        return Check("clock", "skipped", url, f"unreadable Date header {header[:40]!r}")
    skew = remote - local  # the header is whole seconds: about one second of slack
    if abs(skew) <= MAX_SKEW_S:
        return Check("clock", "ok", url, f"within {abs(skew):.0f}s of the platform's")
    side = "ahead of" if skew > 0 else "behind"
    return Check(
        "clock",
        "problem",
        url,
        f"the platform's clock is {abs(skew):.0f}s {side} this machine's",
        "set up time sync (systemd-timesyncd or chrony): report times, latency and "
        "retention depend on it",
    )


async def _receiver(profile: cfg.Profile) -> Check:
    listen = str(profile.push.get("listen", ""))
    if not listen:
        return Check("receiver", "skipped", "push receiver", "no push.listen in the profile")
    host, _, port = listen.rpartition(":")
    host = host.strip("[]")
    target = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    try:
        _, writer = await asyncio.wait_for(asyncio.open_connection(target, int(port)), TIMEOUT_S)
    except (OSError, ValueError, TimeoutError) as exc:
        return Check(
            "receiver",
            "problem",
            listen,
            f"nothing answers: {exc}",
            "start the daemon (`fivec-tui poll`, or `systemctl start fivec-tui`)",
        )
    writer.close()
    return Check("receiver", "ok", listen, "listening")


# -- all of it ------------------------------------------------------------------------------
def diagnose(
    ctx, *, fix: bool = False, transport: httpx.AsyncBaseTransport | None = None
) -> list[Check]:
    """Every check, for the CLI's context (config path, profile, cache path)."""
    profile, error = None, ""
    try:
        profile = ctx.profile()
    except click.UsageError as exc:  # the config does not load: said below
        error = exc.format_message()
    try:
        db_path = ctx.db_path()  # --db and FIVEC_DB need no profile
    except click.UsageError:
        db_path = None
    checks = [check_mode(path, what, fix) for path, what in owned_paths(ctx.config_path, db_path)]
    config = check_config(ctx.config_path, profile, error)
    checks.append(config)
    try:
        if profile is None:
            raise cfg.ConfigError(error)
        profile.require_account()
    except cfg.ConfigError:
        return [*checks, Check("platform", "skipped", "platform", "no account to ask with")]

    async def network() -> list[Check]:
        platform, receiver = await asyncio.gather(_platform(profile, transport), _receiver(profile))
        return [*platform, receiver]

    return checks + asyncio.run(network())


def render(checks: list[Check]) -> str:
    lines = []
    for c in checks:
        lines.append(
            f"{c.status.upper() if c.problem else c.status:<8} {c.check:<9} {c.subject}: {c.detail}"
        )
        if c.problem and c.fix:
            lines.append(f"{'':<18} fix: {c.fix}")
    problems = sum(c.problem for c in checks)
    lines.append(f"{problems} problem(s)" if problems else "all well")
    return "\n".join(lines)


def as_json(checks: list[Check]) -> dict:
    return {"ok": not any(c.problem for c in checks), "checks": [asdict(c) for c in checks]}
