"""``fivec-tui poll``: the headless daemon around :class:`Engine`."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import sqlite3
import sys
import threading
from dataclasses import asdict
from pathlib import Path

from ..api.redact import mask_url
from ..config import Profile, Push, checked
from ..private_files import default_log, exposed_cache, open_private, private_dir
from ..store import Store
from ..store.integrity import CacheBroken, ensure_sound
from ..store.space import room
from ..text import visible
from ..when import moment
from . import alerts
from .backoff import said
from .client import client_for
from .engine import Engine
from .forward import Forwarder
from .httpd import Limits
from .lifetime import hold_stop_signals, stop_event
from .lock import LockHeld, PollerLock
from .push import PushConfig, PushReceiver

log = logging.getLogger("fivec_tui.poll")


class Redact(logging.Filter):
    """Last line of defence: no secret reaches a log line, whatever code logged it."""

    def __init__(self, secrets: tuple[str, ...]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if len(s) >= 6]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(s in message for s in self.secrets):
            for s in self.secrets:
                message = message.replace(s, "***")
            record.msg, record.args = message, ()
        return True


class Escaped(logging.Formatter):
    """A log line's outside text (a server's error, a peer's payload) escaped as the TUI and
    the CLI's lines show it: no control sequence reaches a terminal tailing the log, and no
    line break lets a message forge a line of its own.  A traceback, added after, keeps its
    lines."""

    def formatMessage(self, record: logging.LogRecord) -> str:
        return visible(super().formatMessage(record))

    def formatTime(self, record: logging.LogRecord, datefmt: str | None = None) -> str:
        """In the display zone with its offset, as every time the tool prints (the host's
        clock often runs in UTC, its local time unlabelled)."""
        return moment(record.created).isoformat(sep=" ", timespec="milliseconds")


class LogFile(logging.StreamHandler):
    """The log file (opened by :func:`setup_logging`), which a full disk may refuse: said once
    on stderr (where every line goes too), without the traceback ``logging`` prints for each
    line it could not write."""

    failing = False  # the last line could not be written
    _refused = False  # the line being written could not be

    def __init__(self, stream, path: Path) -> None:
        super().__init__(stream)
        self.baseFilename = str(path)

    def emit(self, record: logging.LogRecord) -> None:
        self._refused = False
        super().emit(record)  # calls handleError when the write fails
        if self.failing and not self._refused:
            self._say("the log is written again")
        self.failing = self._refused

    def handleError(self, record: logging.LogRecord) -> None:
        if not self.failing:
            self._say(f"cannot write the log ({sys.exc_info()[1]}); its lines go to stderr only")
        self._refused = True

    def _say(self, text: str) -> None:
        with contextlib.suppress(OSError):  # stderr may be a file on the same full disk
            print(f"{self.baseFilename}: {text}", file=sys.stderr, flush=True)


def secrets_of(profile: Profile) -> tuple[str, ...]:
    """What the log filter hides for ``profile``: its credentials and its push token."""
    return (*profile.secrets(), profile.push.token)


def setup_logging(secrets: tuple[str, ...], log_file: Path) -> None:
    """Log to ``log_file`` (0600) and stderr, ``secrets`` (every account's) redacted."""
    private_dir(log_file.parent)
    # Opened here, not by FileHandler (which follows a link planted at the path): a new log
    # is made 0600, an existing one appended to only when it is a regular file of ours.
    stream = open_private(log_file, "a", encoding="utf-8")
    redact = Redact(secrets)
    fmt = Escaped("%(asctime)s %(levelname)s %(name)s: %(message)s")
    root = logging.getLogger("fivec_tui")
    root.setLevel(logging.INFO)
    for handler in (LogFile(stream, log_file), logging.StreamHandler(sys.stderr)):
        handler.setFormatter(fmt)
        handler.addFilter(redact)
        root.addHandler(handler)


#: What a signal asks of a running daemon: these jobs of every account now, not at their next
#: interval.  The TUI sends them after a send (records, reports) and after acting on a
#: sub-account, to the daemon it started or the one it found running (the lock's holder).
WAKE = {signal.SIGUSR1: ("records", "reports"), signal.SIGUSR2: ("subaccounts",)}


def ignore_wake_signals() -> None:
    """A wake-up signal (:data:`WAKE`) before :func:`wake_on_signals`, or to ``poll --once``,
    is dropped: by default it would end the process."""
    for sig in WAKE:
        signal.signal(sig, signal.SIG_IGN)


def wake_on_signals(engines: list[Engine]) -> None:
    """From now on each signal of :data:`WAKE` runs its jobs on every engine at once."""
    loop = asyncio.get_running_loop()
    for sig, jobs in WAKE.items():

        def wake(jobs: tuple[str, ...] = jobs) -> None:
            log.info("woken up: running %s now", " and ".join(jobs))
            for engine in engines:
                for name in jobs:
                    engine.trigger(name)

        loop.add_signal_handler(sig, wake)


def once_trouble(engine: Engine, name: str) -> str:
    """What went wrong with a job in ``poll --once``, shown after its count ("" if nothing):
    its error, or why it is paused (a full disk)."""
    state = engine.jobs[name]
    if state.last_error:
        return f" (error: {state.last_error})"
    return f" ({state.note})" if state.note else ""


def confirm_destructive(engine: Engine, yes: bool, ask: bool = True) -> bool:
    """Ask once per account before taking reports and replies away from other consumers.

    Without ``ask`` (``poll --no-ask``: the TUI asked before starting it, and recorded a yes
    in the cache), an account without consent runs all the same: its reports and replies
    jobs wait, saying so in their health, and nothing is taken."""
    if engine.consent or not engine.destructive_streams:
        return True
    if yes:
        engine.grant_consent()
        return True
    if not ask:
        log.info("no consent to pull %s: not pulled", " and ".join(engine.destructive_streams))
        return True
    if not sys.stdin.isatty():
        print(
            "refusing to pull: reports and replies are destructive reads that take them away "
            "from any other consumer of this account. Re-run with --yes to consent (remembered), "
            "or set streams.reports/replies to 'push', 'watch' or 'off'.",
            file=sys.stderr,
        )
        return False
    print(
        f"Pulling {' and '.join(engine.destructive_streams)} for {engine.profile.username} takes "
        "them away from any other system reading them (e.g. your backend).",
        file=sys.stderr,
    )
    if input("Pull anyway? [y/N] ").strip().lower() in ("y", "yes"):
        engine.grant_consent()
        return True
    return False


def forward_targets(profile: Profile) -> dict[str, list[str]]:
    """The profile's ``push.forward`` URLs by stream, the streams without any left out."""
    return {stream: urls for stream, urls in asdict(profile.push.forward).items() if urls}


def receiver_config(profile: Profile, listen: str | None) -> PushConfig | None:
    """The receiver's settings: the profile's checked ``push`` table, ``--listen`` over it."""
    push = profile.push
    listen = checked(Push, "listen", listen, "--listen") if listen else push.listen
    if not listen:
        return None
    if not push.token:
        raise ValueError("push receiver needs push.token (16+ random characters) in the profile")
    host, _, port = listen.rpartition(":")
    limits = {
        "header_timeout": push.header_timeout,
        "body_timeout": push.body_timeout,
        "per_peer": push.max_per_peer,
        "total": push.max_connections,
    }
    config = PushConfig(
        push.token,
        host or "127.0.0.1",
        int(port),
        list(push.allow),
        forward=forward_targets(profile),
        limits=Limits(**{k: v for k, v in limits.items() if v is not None}),
    )
    if push.max_body is not None:
        config.max_body = push.max_body
    return config


def cannot_start(path: Path, exc: Exception) -> int:
    """A start that cannot write the cache (a full or read-only disk): one line, exit 1."""
    print(f"error: cannot write the cache {path}: {said(exc)}", file=sys.stderr)
    return 1


def run_poll(
    profile: Profile,
    db_path: Path,
    *,
    once: bool,
    yes: bool,
    listen: str | None,
    log_file: str | None,
    metrics: str | None = None,
    stop_on_eof: bool = False,
    ask: bool = True,
) -> int:
    lock = PollerLock(db_path)
    try:
        lock.acquire()
    except LockHeld as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except OSError as exc:
        return cannot_start(db_path, exc)
    try:
        ensure_sound(db_path)  # before anything is pulled into it, whatever the form of poll
    except CacheBroken as exc:
        lock.release()
        print(f"error: {exc}", file=sys.stderr)
        return 1
    try:
        log_path = Path(log_file) if log_file else default_log(db_path)
        try:
            setup_logging(secrets_of(profile), log_path)
            store = Store(db_path)
        except (OSError, sqlite3.Error) as exc:
            return cannot_start(db_path, exc)
        for warning in exposed_cache(db_path, log_path):
            log.warning("%s", warning)
        ignore_wake_signals()
        requested = None if once else hold_stop_signals()
        if metrics:
            from .metrics import serve

            host, _, port = metrics.rpartition(":")
            serve({profile.name: db_path}, host or "127.0.0.1", int(port))
            log.info("metrics on http://%s/metrics", metrics)
        return asyncio.run(
            _serve(
                profile,
                store,
                once=once,
                yes=yes,
                listen=listen,
                requested=requested,
                stop_on_eof=stop_on_eof,
                ask=ask,
            )
        )
    finally:
        lock.release()


async def _serve(
    profile: Profile,
    store: Store,
    *,
    once: bool,
    yes: bool,
    listen: str | None,
    requested: threading.Event | None = None,
    stop_on_eof: bool = False,
    ask: bool = True,
) -> int:
    db_path = store.path
    push_config = receiver_config(profile, listen)
    async with client_for(profile) as client:
        forwarder = Forwarder(store) if push_config and push_config.forward else None
        engine = Engine(
            profile, store, client, forwarder=forwarder, alerter=alerts.for_profile(profile, store)
        )
        if not confirm_destructive(engine, yes, ask):
            return 2
        if once:
            counts = await engine.run_once()
            for name, n in counts.items():
                print(f"{name}: {n} new" + once_trouble(engine, name))
            return 1 if any(once_trouble(engine, n) for n in counts) else 0
        receiver = (
            PushReceiver(store, push_config, can_write=lambda: room(store.path).ok)
            if push_config
            else None
        )
        if receiver:
            log.info("push receiver on %s", await receiver.start())
            for stream, urls in push_config.forward.items():
                log.info("forwarding %s to %s", stream, ", ".join(map(mask_url, urls)))
        stop = stop_event(requested, stop_on_eof)
        wake_on_signals([engine])
        await engine.start()
        log.info("polling %s at %s into %s", profile.username, mask_url(profile.base_url), db_path)
        await stop.wait()
        log.info("stopping: finishing the job in flight")
        await engine.stop()
        if receiver:
            await receiver.stop()
        if forwarder:
            await forwarder.aclose()
    store.close()
    return 0
