"""``fivec-tui doctor``: is this box set up safely, does it work?  Each problem says what to do.

Checks, in order: the cache (SQLite's quick_check; ``--fix`` sets a damaged one aside and
rebuilds it, :mod:`fivec_tui.sync.rebuild`), the audit trail's key and anchor
(:mod:`.doctor_audit`), the campaigns a killed process left interrupted, the modes of the
files and directories the tool creates (``--fix`` makes them 0600 and 0700), the config (it
loads, the profile has an account, no unknown keys), the platform (one balance query with a
short timeout), the clock (the ``Date`` header of that answer against this machine's), and
the push receiver when the profile has ``push.listen``.
"""

from __future__ import annotations

import asyncio
import email.utils
import os
import stat
import sys
import time
from dataclasses import asdict
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING

import click

from .. import config as cfg
from ..api import FivecError, ParseError, TransportError
from ..api.redact import mask_url, mask_urls
from ..i18n import N_, _
from ..private_files import DIR_MODE, FILE_MODE, cache_files, default_log, mode_of
from ..when import show_full
from .checks import Check
from .common import Ctx, emit, json_option, pass_ctx, say

if TYPE_CHECKING:
    import httpx

#: Seconds the platform may answer in, and the clock difference that is a problem.
TIMEOUT_S = 5.0
MAX_SKEW_S = 60.0


# -- file modes -----------------------------------------------------------------------------
def _state_file() -> Path:
    from ..app.themes import state_path  # the TUI's remembered theme

    return state_path()


def owned_paths(config_path: Path, db_path: Path | None) -> list[tuple[Path, str]]:
    """The files and directories this tool creates, as (path, what), those that exist."""
    from ..sync.lock import PollerLock

    state = _state_file()
    paths = [(cfg.config_dir(), N_("config dir")), (cfg.data_dir(), N_("data dir"))]
    paths += [(state.parent, N_("state dir")), (config_path, N_("config"))]
    paths.append((state, N_("theme state")))
    if db_path is not None:
        from ..store.seal import Seal

        seal = Seal(db_path)
        paths += [(p, N_("cache")) for p in cache_files(db_path)]
        paths += [(seal.dir, N_("audit dir")), (seal.key_path, N_("audit key"))]
        paths.append((seal.anchor_path, N_("audit anchor")))
        paths += [(default_log(db_path), N_("log")), (PollerLock(db_path).path, N_("lock"))]
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
    subject, what = str(path), _(what)
    if mode is None:
        return Check(
            "mode",
            "problem",
            subject,
            _("{what}: cannot stat").format(what=what),
            _("check who owns it"),
        )
    if not mode & (stat.S_IRWXG | stat.S_IRWXO):
        return Check("mode", "ok", subject, f"{what} {mode:04o}")
    found = (
        _("{what} {mode:04o}: group or others can open it")
        if want == DIR_MODE
        else _("{what} {mode:04o}: group or others can read it")
    ).format(what=what, mode=mode)
    if fix:
        try:
            os.chmod(path, want)
        except OSError as exc:
            return Check(
                "mode",
                "problem",
                subject,
                _("{found}; chmod failed: {error}").format(found=found, error=exc.strerror),
                _("run as its owner (uid {uid}): chmod {want:o} '{path}'").format(
                    uid=path.stat().st_uid, want=want, path=path
                ),
            )
        return Check("mode", "fixed", subject, f"{what} {mode:04o} -> {want:04o}")
    return Check(
        "mode",
        "problem",
        subject,
        found,
        _("chmod {want:o} '{path}' (or run `fivec-tui doctor --fix`)").format(want=want, path=path),
    )


# -- the cache ------------------------------------------------------------------------------
def check_cache(db_path: Path, profile: cfg.Profile | None, fix: bool) -> Check:
    from ..store.integrity import cache_problem

    subject = str(db_path)
    if not os.path.lexists(db_path):
        return Check("cache", "skipped", subject, _("no cache yet"))
    problem = cache_problem(db_path)
    if problem is None:
        return _writable_and_current(db_path, fix)
    if not problem.damaged:
        fix_it = _("move it away or make it a regular file of yours: a new cache is made there")
        return Check("cache", "problem", subject, problem.reason, fix_it)
    damaged = _("damaged: {reason}").format(reason=problem.reason)
    if not fix:
        return Check(
            "cache",
            "problem",
            subject,
            damaged,
            _(
                "run `fivec-tui doctor --fix`: it keeps the file as {name}.broken-<time>, makes "
                "a new cache and refills it from the platform's send records and the old journal"
            ).format(name=db_path.name),
        )
    return _rebuild(db_path, profile, damaged)


def _writable_and_current(db_path: Path, fix: bool) -> Check:
    """A sound cache that poll and the TUI can write (not on a read-only file system, its
    directory theirs to write the journal's files in), its schema this version's; --fix
    brings the schema up to date."""
    from ..store import Store
    from ..store.integrity import CacheBroken, schema_behind

    subject = str(db_path)
    if not all(os.access(p, os.W_OK) for p in (db_path, db_path.parent)):
        reason = _("quick_check ok, but it cannot be written: poll and the TUI would fail")
        fix_it = _("make the file and its directory writable by you (a read-only mount?)")
        return Check("cache", "problem", subject, reason, fix_it)
    try:
        store = Store(db_path, readonly=True)
        try:
            behind = schema_behind(db_path, store.conn)
        finally:
            store.close()
        if behind is not None and fix:
            Store(db_path).close()  # a writer's open brings the schema up to date
            fixed = _("quick_check ok; {reason}: brought up to date").format(reason=behind.reason)
            return Check("cache", "fixed", subject, fixed)
    except CacheBroken as exc:
        return Check("cache", "problem", subject, exc.problem.reason)
    if behind is not None:
        fix_it = _("run `fivec-tui doctor --fix` (or `fivec-tui poll --once`) to bring it up")
        return Check("cache", "problem", subject, behind.reason, fix_it)
    return Check("cache", "ok", subject, _("quick_check ok"))


def _rebuild(db_path: Path, profile: cfg.Profile | None, damaged: str) -> Check:
    from ..sync.lock import LockHeld
    from ..sync.rebuild import rebuild

    subject = str(db_path)
    try:
        done = rebuild(db_path, profile)
    except LockHeld as exc:
        fix = _("stop the poller or TUI holding it (pid {pid}), then run this again")
        return Check("cache", "problem", subject, damaged, fix.format(pid=exc.holder or "?"))
    except OSError as exc:
        error = _("{damaged}; not set aside: {error}").format(damaged=damaged, error=exc)
        return Check("cache", "problem", subject, error, _("check the directory's owner and mode"))
    if done is None:  # a writer's moment mistaken for damage: checked again, it is fine
        return Check("cache", "ok", subject, _("quick_check ok"))
    got = done.salvage
    said = [
        _("kept as {kept}").format(kept=done.kept),
        _(
            "journal: {bodies} bodies read back, {rows} rows made, {unreadable} ids unreadable, "
            "{undecodable} bodies undecodable"
        ).format(
            bodies=got.bodies, rows=got.rows, unreadable=got.unreadable, undecodable=got.undecodable
        ),
    ]
    if got.error:
        said.append(_("journal not read further: {error}").format(error=got.error))
    said += _carried(got)
    if done.records_error:
        said.append(
            _("send records not backfilled ({error}): the next poll reads them").format(
                error=done.records_error
            )
        )
    else:
        said.append(_("{n} send records backfilled").format(n=done.records))
    return Check("cache", "fixed", subject, "; ".join(said), facts=done.as_json())


def _carried(got) -> list[str]:
    """What the rebuild carried of what the tool did, and what it could not."""
    c, lost = got.carried, got.carried_lost
    said = [
        _(
            "carried over: {audit} audit entries, {campaigns} campaigns with {rows} rows, "
            "{outbox} outbox rows, {alerts} alerts, {settings} settings"
        ).format(
            audit=c.get("audit", 0),
            campaigns=c.get("campaigns", 0),
            rows=c.get("campaign_rows", 0),
            outbox=c.get("outbox", 0),
            alerts=c.get("alerts", 0),
            settings=c.get("settings", 0),
        )
    ]
    if lost.get("audit") or "audit" in got.carried_errors:
        said.append(_("audit entries lost with the damage: `fivec-tui audit --verify` names them"))
    if got.damaged_campaigns:
        said.append(
            _(
                "campaign(s) {ids} could not be read whole and are marked damaged: "
                "`fivec-tui campaign show ID` says what to check before sending any row again"
            ).format(ids=", ".join(map(str, got.damaged_campaigns)))
        )
    return said


# -- config ---------------------------------------------------------------------------------
def check_config(config_path: Path, profile: cfg.Profile | None, error: str) -> Check:
    where = _("config {path}").format(path=config_path)
    edit = _("edit {path}").format(path=config_path)
    if profile is None:
        if not config_path.exists():  # a path named that is not there: which one was meant?
            edit = _("name the right file, or create it with `fivec-tui config init`")
        return Check("config", "problem", where, error, edit)
    try:
        profile.require_account()
    except cfg.ConfigError as exc:
        return Check("config", "problem", where, str(exc), _("run `fivec-tui config init`"))
    # The config's mode has a check of its own: its warning is not said twice.
    exposed = cfg.permission_warning(config_path, cfg.read_file(config_path))
    other = [w for w in profile.warnings if w != exposed]
    if other:
        return Check("config", "problem", where, "; ".join(other), edit)
    ok = _("profile {name!r} ({username})").format(name=profile.name, username=profile.username)
    return Check("config", "ok", where, ok)


# -- network --------------------------------------------------------------------------------
async def _platform(
    profile: cfg.Profile, transport: httpx.AsyncBaseTransport | None
) -> list[Check]:
    from ..sync.client import client_for

    url = mask_url(profile.base_url)  # shown as config show shows it
    started = time.monotonic()
    client = client_for(profile, timeout=TIMEOUT_S, transport=transport)
    try:
        async with client:
            balance = await client.balance()
    except FivecError as exc:
        if isinstance(exc, TransportError):
            fix = _("check the node (base URL), DNS, the firewall and any proxy")
        elif isinstance(exc, ParseError):  # a page, not the platform's answer: who sent it?
            fix = _(
                "the answer is not the platform's (a web page: a proxy, a WAF, a wrong "
                "address?): check the node (base URL) and any proxy on the way"
            )
        else:
            fix = _(
                "check username, password and apikey (`fivec-tui config init`) and the "
                "account's IP binding"
            )
        reach = Check("platform", "problem", url, mask_urls(f"{type(exc).__name__}: {exc}"), fix)
    else:
        took = time.monotonic() - started
        detail = _("balance {remaining} answered in {seconds:.2f}s").format(
            remaining=balance.remaining, seconds=took
        )
        reach = Check("platform", "ok", url, detail)
    return [reach, _clock(url, client.last_date)]


def _clock(url: str, last: tuple[float, str] | None) -> Check:
    if last is None:
        return Check("clock", "skipped", url, _("no answer with a Date header to compare with"))
    local, header = last
    try:
        remote = email.utils.parsedate_to_datetime(header)
        remote = (remote if remote.tzinfo else remote.replace(tzinfo=UTC)).timestamp()
    except (TypeError, ValueError):
        unreadable = _("unreadable Date header {header!r}").format(header=header[:40])
        return Check("clock", "skipped", url, unreadable)
    skew = remote - local  # the header is whole seconds: about one second of slack
    said = _("the platform said {time}").format(time=show_full(remote))
    if abs(skew) <= MAX_SKEW_S:
        within = _("within {seconds:.0f}s of the platform's").format(seconds=abs(skew))
        return Check("clock", "ok", url, f"{within} ({said})")
    off = (
        _("the platform's clock is {seconds:.0f}s ahead of this machine's")
        if skew > 0
        else _("the platform's clock is {seconds:.0f}s behind this machine's")
    )
    return Check(
        "clock",
        "problem",
        url,
        f"{off.format(seconds=abs(skew))} ({said})",
        _(
            "set up time sync (systemd-timesyncd or chrony): report times, latency and "
            "retention depend on it"
        ),
    )


async def _receiver(profile: cfg.Profile) -> Check:
    listen = profile.push.listen
    if not listen:
        return Check("receiver", "skipped", _("push receiver"), _("no push.listen in the profile"))
    host, _sep, port = listen.rpartition(":")
    host = host.strip("[]")
    target = {"": "127.0.0.1", "0.0.0.0": "127.0.0.1", "::": "::1"}.get(host, host)
    try:
        _reader, writer = await asyncio.wait_for(
            asyncio.open_connection(target, int(port)), TIMEOUT_S
        )
    except (OSError, ValueError, TimeoutError) as exc:
        return Check(
            "receiver",
            "problem",
            listen,
            _("nothing answers: {error}").format(error=exc),
            _("start the daemon (`fivec-tui poll`, or `systemctl start fivec-tui`)"),
        )
    writer.close()
    return Check("receiver", "ok", listen, _("listening"))


# -- all of it ------------------------------------------------------------------------------
def diagnose(
    ctx: Ctx, *, fix: bool = False, transport: httpx.AsyncBaseTransport | None = None
) -> list[Check]:
    """Every check, for the CLI's context (config path, profile, cache path)."""
    profile, error = None, ""
    try:
        profile = ctx.profile()
    except click.ClickException as exc:  # the config does not load: said below
        error = exc.format_message()
    try:
        db_path = ctx.db_path()  # --db and FIVEC_DB need no profile
    except click.ClickException:
        db_path = None
    checks = [check_cache(db_path, profile, fix)] if db_path is not None else []
    if checks and checks[0].status in ("ok", "fixed"):
        from .campaign import check_interrupted
        from .doctor_audit import check_audit

        checks += [*check_audit(db_path), check_interrupted(db_path)]
    checks += [check_mode(path, what, fix) for path, what in owned_paths(ctx.config_path, db_path)]
    config = check_config(ctx.config_path, profile, error)
    checks.append(config)
    try:
        if profile is None:
            raise cfg.ConfigError(error)
        profile.require_account()
    except cfg.ConfigError:
        skipped = Check("platform", "skipped", _("platform"), _("no account to ask with"))
        return [*checks, skipped]

    async def network() -> list[Check]:
        platform, receiver = await asyncio.gather(_platform(profile, transport), _receiver(profile))
        return [*platform, receiver]

    return checks + asyncio.run(network())


#: Statuses and check names, translated when rendered (``--json`` keeps them English).
WORDS = (
    *(N_("ok"), N_("problem"), N_("fixed"), N_("skipped")),
    *(N_("cache"), N_("mode"), N_("audit"), N_("campaigns"), N_("config"), N_("platform")),
    *(N_("clock"), N_("receiver")),
)


def _cell(text: str, width: int) -> str:
    """``text`` padded to ``width`` terminal cells (a Chinese character takes two)."""
    from rich.cells import cell_len

    return text + " " * max(0, width - cell_len(text))


def render(checks: list[Check]) -> str:
    lines = []
    for c in checks:
        status = _(c.status).upper() if c.problem else _(c.status)
        lines.append(f"{_cell(status, 8)} {_cell(_(c.check), 9)} {c.subject}: {c.detail}")
        if c.problem and c.fix:
            lines.append(f"{'':<18} " + _("fix: {fix}").format(fix=c.fix))
    problems = sum(c.problem for c in checks)
    lines.append(_("{n} problem(s)").format(n=problems) if problems else _("all well"))
    return "\n".join(lines)


def as_json_doc(checks: list[Check]) -> dict:
    return {"ok": not any(c.problem for c in checks), "checks": [asdict(c) for c in checks]}


@click.command(
    help=_(
        "Check the cache, file modes, the audit key and anchor, the config, the platform, the "
        "clock and the push receiver. Says what to do about each problem; exits 1 when there is one, 0 when all "
        "is well."
    )
)
@click.option(
    "--fix",
    is_flag=True,
    help=_(
        "Make the tool's files 0600 and its directories 0700; set a damaged cache aside and "
        "rebuild it."
    ),
)
@json_option
@pass_ctx
def doctor(ctx: Ctx, fix, as_json) -> None:
    if as_json:  # JSON is read by programs: its texts stay English
        from ..i18n import use

        use("en")
    checks = diagnose(ctx, fix=fix)
    emit(as_json_doc(checks)) if as_json else say(render(checks))
    sys.exit(1 if any(c.problem for c in checks) else 0)
