"""Several accounts in one process (``poll --all``).

Each account keeps everything a single ``poll`` has: its own cache and lock
(:class:`~.lock.PollerLock`), its own client, its own engine with its own scheduler and
backoff.  So an account whose platform hangs or whose credentials are wrong only fails its
own jobs: the others run on the same event loop untouched.  Its health says why, in the
words of :func:`.diagnosis.why`, from the job errors the engine records in the cache
(``poll_runs``): the CLI (``stats --all``) and the TUI read them there, without asking the
platform.

One push receiver serves every account at ``/push/<token>/<profile>/reports|replies``; its
listen address, token, allowlist and limits are the ``[profiles.NAME.push]`` table of the
profile ``poll`` would use without ``--all`` (``--profile`` or ``default_profile``); each
account's pushes go to its own cache and its own ``push.forward`` targets.  One metrics
endpoint serves every account, each sample labelled ``profile``.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import logging
import sqlite3
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path

from ..api.redact import mask_url
from ..config import Profile
from ..private_files import default_log, exposed_cache
from ..store import Store
from ..store.integrity import CacheBroken, cache_problem
from ..store.space import room
from . import alerts
from .backoff import said
from .client import client_for
from .daemon import (
    confirm_destructive,
    forward_targets,
    ignore_wake_signals,
    once_trouble,
    receiver_config,
    secrets_of,
    setup_logging,
    wake_on_signals,
)
from .diagnosis import jobs_problem
from .engine import Engine
from .forward import Forwarder
from .lifetime import hold_stop_signals, stop_event
from .lock import LockHeld, PollerLock
from .push import PushReceiver, Route

log = logging.getLogger("fivec_tui.poll")

#: The profile whose work is running, for the log lines of every module.
current = contextvars.ContextVar("fivec_account", default="")


class ProfileTag(logging.Filter):
    """Prefix each line logged while an account's work runs with ``[profile]``."""

    def filter(self, record: logging.LogRecord) -> bool:
        name = current.get()
        if name and not getattr(record, "fivec_tagged", False):
            record.msg, record.args = f"[{name}] {record.getMessage()}", ()
            record.fivec_tagged = True
        return True


@dataclass
class Account:
    profile: Profile
    db_path: Path
    lock: PollerLock
    store: Store | None = None
    engine: Engine | None = None
    forwarder: Forwarder | None = None
    counts: dict[str, int] = field(default_factory=dict)


def run_all(
    accounts: list[tuple[Profile, Path]],
    receiver: Profile,
    *,
    once: bool,
    yes: bool,
    listen: str | None,
    log_file: str | None,
    metrics: str | None = None,
    stop_on_eof: bool = False,
    ask: bool = True,
) -> int:
    """Every account's sync until stopped (or drained once); ``receiver``: the profile whose
    ``push`` table configures the shared push receiver.  An account whose lock is held by
    another poller is skipped with the holder's pid, one whose cache is damaged with what to
    do; the others run.  ``stop_on_eof`` and ``ask``: as for one account
    (:func:`.daemon.run_poll`)."""
    held = []
    for profile, db_path in accounts:
        lock = PollerLock(db_path)
        try:
            lock.acquire()
        except LockHeld as exc:
            print(f"error: {profile.name}: {exc}", file=sys.stderr)
            continue
        if problem := cache_problem(db_path):  # never pulled into: the others run
            lock.release()
            print(f"error: {profile.name}: {problem.line()}", file=sys.stderr)
            continue
        try:
            store = Store(db_path)
        except (OSError, sqlite3.Error, CacheBroken) as exc:  # a full disk: the others run
            print(f"error: {profile.name}: cannot write {db_path}: {said(exc)}", file=sys.stderr)
            lock.release()
            continue
        held.append(Account(profile, db_path, lock, store))
    if not held:
        return 1
    try:
        log_path = Path(log_file) if log_file else default_log(held[0].db_path.parent / "all.db")
        secrets = tuple(s for a in held for s in secrets_of(a.profile))
        setup_logging(secrets, log_path)
        for handler in logging.getLogger("fivec_tui").handlers:
            handler.addFilter(ProfileTag())
        for a in held:
            for warning in exposed_cache(a.db_path, log_path):
                log.warning("%s: %s", a.profile.name, warning)
        ignore_wake_signals()
        requested = None if once else hold_stop_signals()
        if metrics:
            from .metrics import serve

            host, _, port = metrics.rpartition(":")
            serve({a.profile.name: a.db_path for a in held}, host or "127.0.0.1", int(port))
            log.info("metrics of %d accounts on http://%s/metrics", len(held), metrics)
        code = asyncio.run(
            _serve(
                held,
                receiver,
                once=once,
                yes=yes,
                listen=listen,
                requested=requested,
                stop_on_eof=stop_on_eof,
                ask=ask,
            )
        )
        return max(code, 1 if len(held) < len(accounts) else 0)
    finally:
        for a in held:
            a.lock.release()
            if a.store is not None:
                a.store.close()


async def _serve(
    accounts: list[Account],
    receiver: Profile,
    *,
    once: bool,
    yes: bool,
    listen: str | None,
    requested: threading.Event | None = None,
    stop_on_eof: bool = False,
    ask: bool = True,
) -> int:
    push_config = None if once else receiver_config(receiver, listen)
    refused = 0
    async with contextlib.AsyncExitStack() as stack:
        for a in accounts:
            if push_config and forward_targets(a.profile):
                a.forwarder = Forwarder(a.store)
                stack.push_async_callback(a.forwarder.aclose)
            client = await stack.enter_async_context(client_for(a.profile))
            a.engine = Engine(
                a.profile,
                a.store,
                client,
                forwarder=a.forwarder,
                alerter=alerts.for_profile(a.profile, a.store),
            )
        ready = []
        for a in accounts:
            if confirm_destructive(a.engine, yes, ask):
                ready.append(a)
            else:
                print(f"{a.profile.name}: not pulled (no consent)", file=sys.stderr)
                refused += 1
        if once:
            return max(await _once(ready), 2 if refused else 0)
        routes = {
            a.profile.name: Route(a.store, forward_targets(a.profile))
            for a in accounts
            if push_config
        }
        server = (
            PushReceiver(
                None,
                push_config,
                routes,
                can_write=lambda: all(room(a.db_path).ok for a in accounts),
            )
            if push_config
            else None
        )
        if server:
            log.info("push receiver on %s", await server.start())
        stop = stop_event(requested, stop_on_eof)
        wake_on_signals([a.engine for a in ready])
        await asyncio.gather(*(_tagged(a.profile.name, _run(a, stop)) for a in ready))
        if server:
            await server.stop()
    return 2 if refused else 0


async def _tagged(name: str, coro):
    """Run ``coro`` with its log lines (and its scheduler's jobs) tagged with ``name``."""
    current.set(name)
    return await coro


async def _run(account: Account, stop: asyncio.Event) -> None:
    """One account until ``stop``; its engine failing to start stops only that account."""
    engine = account.engine
    try:
        await engine.start()
    except Exception:
        log.exception("cannot start: this account is not polled; the others are")
        return
    log.info(
        "polling %s at %s into %s",
        account.profile.username,
        mask_url(account.profile.base_url),
        account.db_path,
    )
    await stop.wait()
    log.info("stopping: finishing the job in flight")
    await engine.stop()


async def _once(accounts: list[Account]) -> int:
    """Drain every account once, side by side; print each one's counts and trouble."""

    async def drain(a: Account) -> bool:
        try:
            a.counts = await a.engine.run_once()
        except Exception:  # jobs never raise: this is the start (replay), said and isolated
            log.exception("cannot drain: this account is left; the others are not")
            return False
        return True

    done = await asyncio.gather(*(_tagged(a.profile.name, drain(a)) for a in accounts))
    code = 0 if all(done) else 1
    for a in accounts:
        for name, n in a.counts.items():
            extra = once_trouble(a.engine, name)
            print(f"{a.profile.name}: {name}: {n} new{extra}")
            code = max(code, 1 if extra else 0)
        if trouble := jobs_problem(a.engine.jobs):
            print(f"{a.profile.name}: {trouble[0]}")
            code = 1
    return code
