"""Starting the app on the configured profile (or every profile) and its sync.

The app itself opens at once on the cache; after its first frame, ``startup`` makes the
client it sends with and connects the accounts to their poller (:func:`connect`): a ``poll``
daemon already holding an account's lock, or ``fivec-tui poll`` started as the app's child.
"""

from __future__ import annotations

import asyncio
import importlib
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path

from ..config import Profile
from ..i18n import _
from ..private_files import exposed_cache
from ..store import Store
from ..store.integrity import CacheBroken, ensure_sound
from ..store.poller import consented, destructive_streams, grant_consent
from ..sync.lock import LockHeld, PollerLock
from .app import FivecApp
from .events import SyncStateChanged
from .link import Hosted, Poller


async def imported(name: str):
    """Import a heavy module (httpx, tomlkit) off the UI, after the first frame."""
    return await asyncio.to_thread(importlib.import_module, name)


async def make_clients(app: FivecApp, profiles: list[Profile]) -> None:
    """The app's client of each account, for sends and lookups (the focused one's in use)."""
    clients = await imported("fivec_tui.sync.client")
    app.clients = {p.name: clients.client_for(p) for p in profiles}
    app.client = app.clients.get(app.profile.name)


def holder(db_path: Path) -> tuple[bool, int | None]:
    """Whether a poller holds the cache's lock, and its pid when known.  A free lock is let
    go at once: the poll this app starts takes it."""
    lock = PollerLock(db_path)
    try:
        lock.acquire()
    except LockHeld as exc:
        return True, int(exc.holder) if exc.holder.isdigit() else None
    lock.release()
    return False, None


async def connect(
    app: FivecApp,
    accounts: list[Hosted],
    poll: Callable[[], tuple[list[str], dict[str, str]]],
    *,
    consent: bool = False,
    note: str = "",
) -> None:
    """Give each account its poller, then watch their caches.

    An account whose lock a poll daemon holds is attached to it; one whose cache is damaged
    is said and left read-only (the check walks the file: in a thread).  For the others the app
    starts one ``poll`` (``poll()``: its command and environment), once consent to the
    destructive pulls is recorded or refused: asked here (``consent``: granted without
    asking, as for the demo's simulator, which nobody else reads).  A refusal is honoured by
    the child (``--no-ask``): that account's reports and replies jobs wait, nothing is taken.
    ``note``: what the banner says while the sync runs.
    """
    link, free = app.link, []
    for account in accounts:
        held, pid = await asyncio.to_thread(holder, account.store.path)
        if not held:
            try:  # nothing is pulled into a damaged cache: said before consent is asked
                await asyncio.to_thread(ensure_sound, account.store.path)
                await asyncio.to_thread(account.store.migrate)  # deferred by the app's start
            except CacheBroken as exc:
                app.post_message(SyncStateChanged(account.name, "read-only", str(exc)))
            else:
                free.append(account)
            continue
        link.pollers[account.name] = attached(pid)
    refused = set()
    for account in free:
        p = account.profile
        if not destructive_streams(p.streams) or consented(account.store, p.username):
            continue
        label = f"{p.name} ({p.username})" if app.accounts else p.username
        if consent or await app.ask_consent(label):
            await asyncio.to_thread(grant_consent, account.store, p.username)
        else:
            refused.add(account.name)
    if free:
        argv, env = poll()
        child = await link.start("poll", argv, env)
        for account in free:
            no = _("reports/replies not pulled (no consent)")
            link.pollers[account.name] = Poller(child, note=no if account.name in refused else note)
    app.follow_caches(accounts)
    app.set_interval(RECOVER_S, Recovery(app, accounts, poll, note).look)


def attached(pid: int | None) -> Poller:
    """The poller of an account whose lock the daemon ``pid`` holds."""
    return Poller(
        attached=pid, note=_("attached: poll daemon pid {pid} owns the sync").format(pid=pid or "?")
    )


#: Seconds between two looks for an account whose poller ended, doubled while it keeps ending
#: (up to :data:`RECOVER_MAX_S`), back to the first once one has been heard from.
RECOVER_S, RECOVER_MAX_S = 5.0, 300.0


class Recovery:
    """Takes the sync of an account back when its poller ends (the TUI that started it quit,
    the daemon was stopped or killed, the child crashed): the daemon that holds the account's
    lock by then is attached to; with none, ``poll`` is started again, and takes the accounts
    whose locks are free.  Without it the banner said "not syncing" for good, or named a
    daemon long gone while another ran, and the cache went stale."""

    def __init__(self, app: FivecApp, accounts: list[Hosted], poll, note: str) -> None:
        self.app, self.accounts, self.poll, self.note = app, accounts, poll, note
        self.next_try: dict[str, float] = {}
        self.delay: dict[str, float] = {}
        self.busy = False

    def look(self) -> None:
        """The app's interval: one recovery at a time."""
        if not self.busy:
            self.busy = True
            self.app.run_worker(self.recover(), group="recover", exit_on_error=False)

    async def recover(self) -> None:
        try:
            link = self.app.link
            free = []
            for account, poller in self.ended():
                held, pid = await asyncio.to_thread(holder, account.store.path)
                if held:
                    link.pollers[account.name] = attached(pid)
                else:  # a child's note stays (no consent); a daemon's was about it
                    free.append((account, poller.note if poller.child else self.note))
            if free and not link.stopping:
                argv, env = self.poll()
                child = await link.start("poll", argv, env)
                for account, note in free:
                    link.pollers[account.name] = Poller(child, note=note)
        finally:
            self.busy = False

    def ended(self) -> list[tuple[Hosted, Poller]]:
        """The accounts whose poller ended and whose next try is due."""
        now, out = time.monotonic(), []
        for account in self.accounts:
            poller = self.app.link.pollers.get(account.name)
            if poller is None:  # a damaged cache: never synced by this app
                continue
            if not poller.gone():
                if poller.heard:
                    self.delay.pop(account.name, None)
                continue
            if now < self.next_try.get(account.name, 0.0):
                continue
            delay = self.delay.get(account.name, RECOVER_S)
            self.next_try[account.name] = now + delay
            self.delay[account.name] = min(delay * 2, RECOVER_MAX_S)
            out.append((account, poller))
        return out


def poll_command(ctx, *, every: bool = False) -> tuple[list[str], dict[str, str]]:
    """``fivec-tui poll`` on what this TUI was started on: the same config file, profile and
    cache (``every``: ``poll --all``).  Secrets stay where they are, in the 0600 config or in
    the ``FIVEC_*`` variables the child inherits; ``--base-url`` travels as one of those."""
    argv = [sys.executable, "-m", "fivec_tui"]
    if ctx.config_given:  # else the default path, which the child finds (or misses) alike
        argv += ["--config", str(ctx.config_path)]
    if ctx.profile_name:
        argv += ["--profile", ctx.profile_name]
    if ctx.db_flag:
        argv += ["--db", ctx.db_flag]
    env = dict(os.environ)
    if ctx.base_url:
        env["FIVEC_BASE_URL"] = ctx.base_url
    return [*argv, "poll", *(["--all"] if every else []), "--stop-on-eof", "--no-ask"], env


def run_tui(ctx) -> int:
    """``fivec-tui``: the configured profile.  With several profiles and none chosen, all of
    them, on the Accounts overview."""
    app = profiles_app(ctx)
    app.run()
    return app.return_code or 0


def profiles_app(ctx) -> FivecApp:
    """The app on what ``ctx`` chose: one profile, or every profile with an account."""
    if profiles := several(ctx):
        return accounts_app(ctx, profiles) or profile_app(ctx)
    return profile_app(ctx)


def warn_exposed(app: FivecApp, paths: list[Path], left: tuple[str, ...] | list[str] = ()) -> None:
    """Said, not fixed (``fivec-tui doctor --fix``): caches others can read, profiles left out."""
    for warning in left:
        app.notify(warning, severity="warning", timeout=30, markup=False)
    for path in paths:
        for warning in exposed_cache(path):
            app.notify(
                warning, title=_("cache exposed"), severity="warning", timeout=30, markup=False
            )


def profile_app(ctx) -> FivecApp:
    """One profile, as ``--profile NAME`` chooses (or the only one)."""
    profile: Profile = ctx.account()
    settings = ctx.settings()  # the file read and checked once, with the profile
    store = Store(ctx.db_path(), defer_migration=True)  # migrated after the first frame

    async def startup(app: FivecApp) -> None:
        warn_exposed(app, [store.path])
        await make_clients(app, [profile])
        await connect(app, [Hosted(profile, store)], lambda: poll_command(ctx))

    app = FivecApp(
        profile,
        store,
        refresh_s=settings.app.refresh_s,
        keymap=settings.keys,
        startup=startup,
        at=ctx.at,
    )
    app.unusual = (settings.app.unusual_change, settings.app.unusual_points)
    return app


def several(ctx) -> list[Profile] | None:
    """Every profile of the config when it has more than one and none was chosen
    (``--profile``, ``FIVEC_PROFILE``; ``--db``, ``--base-url`` and ``FIVEC_DB`` are for
    one profile too), each read from the file alone, as ``poll --all`` reads them."""
    if ctx.profile_name or ctx.db_flag or ctx.base_url or os.environ.get("FIVEC_DB"):
        return None
    names = ctx.settings().data.get("profiles")
    if not isinstance(names, dict) or len(names) < 2:
        return None
    return ctx.all_profiles()


def accounts_app(ctx, profiles: list[Profile]) -> FivecApp | None:
    """Several profiles, each with its own cache, one ``poll --all`` for those no daemon
    polls (a profile without an account is left out, and said; None: none has one)."""
    from ..config import ConfigError

    settings = ctx.settings()
    accounts: list[Hosted] = []
    left: list[str] = []
    for profile in profiles:
        try:
            profile.require_account()
        except ConfigError as exc:
            left.append(_("{profile}: left out: {error}").format(profile=profile.name, error=exc))
            continue
        accounts.append(Hosted(profile, Store(ctx.cache_path(profile), defer_migration=True)))
    if not accounts:  # said as for one profile
        return None

    async def startup(app: FivecApp) -> None:
        warn_exposed(app, [a.store.path for a in accounts], left)
        await make_clients(app, [a.profile for a in accounts])
        await connect(app, accounts, lambda: poll_command(ctx, every=True))

    app = FivecApp(
        accounts[0].profile,
        accounts[0].store,
        refresh_s=settings.app.refresh_s,
        keymap=settings.keys,
        startup=startup,
        accounts=accounts,
    )
    app.unusual = (settings.app.unusual_change, settings.app.unusual_points)
    return app
