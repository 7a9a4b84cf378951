"""The command line.  Every headless command works without a TTY and has ``--json``.

Exit codes: 0 success, 1 the platform refused (the message says which error and what it
means), 2 bad usage or bad input.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click
from rich.console import Console

from . import config as cfg
from . import i18n
from . import when as whens
from .api import ContentEncodingError, PlatformError, TransportError, md5_hex
from .api.sms import check_content, parse_recipients, parts
from .api.wire import BEIJING

if TYPE_CHECKING:
    from .api.client import FivecClient

T = TypeVar("T")
out = Console(highlight=False, soft_wrap=True)
err = Console(stderr=True, highlight=False, soft_wrap=True)


class UsageError(click.UsageError):
    exit_code = 2


def choose_language(flag: str | None, config_path: Path) -> None:
    """``--lang``, else ``[app] language``, else the environment (see :mod:`fivec_tui.i18n`)."""
    configured = None
    if flag in (None, "auto"):
        with contextlib.suppress(cfg.ConfigError):  # told by the command that reads it
            configured = (cfg.read_file(config_path).get("app") or {}).get("language")
    try:
        i18n.use(i18n.resolve(flag, configured))
    except ValueError as exc:
        raise UsageError(f"{config_path}: [app] language: {exc}") from None


def parse_when(value: str) -> datetime:
    try:
        return whens.parse_when(value)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def parse_window(value: str) -> float:
    try:
        return whens.parse_window(value)
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def iso(ts: float | datetime | None) -> str | None:
    if ts is None:
        return None
    when = ts if isinstance(ts, datetime) else datetime.fromtimestamp(ts, UTC)
    return when.astimezone(BEIJING).isoformat()


def emit(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2, default=str))


class Ctx:
    def __init__(
        self, config: str | None, profile: str | None, base_url: str | None, db: str | None
    ):
        self.config_path = Path(config) if config else cfg.default_config_path()
        self.profile_name, self.base_url, self.db_flag = profile, base_url, db
        self._profile: cfg.Profile | None = None

    def profile(self) -> cfg.Profile:
        if self._profile is None:
            try:
                self._profile = cfg.load_profile(
                    self.config_path, self.profile_name, overrides={"base_url": self.base_url}
                )
            except cfg.ConfigError as exc:
                raise UsageError(str(exc)) from None
            for warning in self._profile.warnings:
                err.print(warning, style="yellow", markup=False)
        return self._profile

    def account(self) -> cfg.Profile:
        profile = self.profile()
        try:
            profile.require_account()
        except cfg.ConfigError as exc:
            raise UsageError(str(exc)) from None
        return profile

    def client(self) -> FivecClient:
        from .api.client import FivecClient

        p = self.account()
        return FivecClient(
            p.credentials,
            p.base_url,
            encode=p.encode,
            timeout=p.timeout,
            send_timeout=p.send_timeout,
        )

    def db_path(self) -> Path:
        if self.db_flag:
            return Path(self.db_flag)
        if os.environ.get("FIVEC_DB"):
            return Path(os.environ["FIVEC_DB"])
        return cfg.data_dir() / f"{self.profile().name}.db"


pass_ctx = click.make_pass_decorator(Ctx)


def call(ctx: Ctx, fn: Callable[[FivecClient], Awaitable[T]]) -> T:
    """Run one client call; map platform and network errors to exit codes 1."""

    async def go() -> T:
        async with ctx.client() as client:
            return await fn(client)

    try:
        return asyncio.run(go())
    except PlatformError as exc:
        err.print(f"platform error: {exc}", markup=False)
        sys.exit(1)
    except TransportError as exc:
        err.print(f"cannot reach the platform: {exc}", markup=False)
        sys.exit(1)
    except ContentEncodingError as exc:
        raise UsageError(str(exc)) from None


def json_option(fn):
    return click.option("--json", "as_json", is_flag=True, help="Machine-readable output.")(fn)


@click.group(invoke_without_command=True, context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--config", envvar="FIVEC_CONFIG", help="Config file (default: platform config dir).")
@click.option("--profile", envvar="FIVEC_PROFILE", help="Profile (account) to use.")
@click.option("--base-url", help="Platform base URL, overriding the profile's node.")
@click.option("--db", help="Cache database (default: one per profile in the data dir).")
@click.option(
    "--lang",
    type=click.Choice(i18n.CHOICES),
    help="Interface language (default: [app] language in the config, else LC_ALL/LANG).",
)
@click.version_option(package_name="fivec-tui")
@click.pass_context
def main(ctx: click.Context, config, profile, base_url, db, lang) -> None:
    """On-call console for 美联软通 (5c.com.cn) SMS accounts.

    Without a command, opens the TUI on the configured profile.  Try `fivec-tui demo` first:
    it runs the TUI against the built-in simulator, no account needed.
    """
    ctx.obj = Ctx(config, profile, base_url, db)
    choose_language(lang, ctx.obj.config_path)
    if ctx.invoked_subcommand is None:
        from .app.run import run_tui

        sys.exit(run_tui(ctx.obj))


# -- sending ----------------------------------------------------------------------------------
@main.command()
@click.option("--to", "to", required=True, help="Recipients, comma separated.")
@click.option("--content", help="Message text (≤500 characters, signature 【…】 included).")
@click.option("--at", "at", help="Send later: ISO time (no offset: local time) or +10m.")
@click.option("--template", help="Template code (templet_code); use --var for its variables.")
@click.option(
    "--var", "variables", multiple=True, help="Template variable NAME=VALUE (repeatable)."
)
@click.option(
    "--encode", type=click.Choice(["utf-8", "gbk"], case_sensitive=False), help="Request encoding."
)
@click.option(
    "--via",
    type=click.Choice(["http", "soap"]),
    default="http",
    show_default=True,
    help="soap: the WebService send (plain text, UTF-8; needs the plain password).",
)
@click.option("--yes", is_flag=True, help="Send without asking.")
@json_option
@pass_ctx
def send(ctx: Ctx, to, content, at, template, variables, encode, via, yes, as_json) -> None:
    """Send one message to one or more numbers; prints the msgid."""
    recipients = parse_recipients(to)
    if recipients.invalid:
        raise UsageError(f"invalid mobile number(s): {', '.join(recipients.invalid)}")
    if not recipients.valid:
        raise UsageError("no recipients")
    variables_dict: dict[str, str] = {}
    for item in variables:
        name, sep, value = item.partition("=")
        if not sep:
            raise UsageError(f"--var {item!r}: use NAME=VALUE")
        variables_dict[name if name.startswith("{") else f"{{{name}}}"] = value
    if not template and not content:
        raise UsageError("give --content (or --template with --var)")
    profile = ctx.account()
    enc = (encode or profile.encode).upper()
    if via == "soap":
        from .api.soap import check_node

        if template or at or (encode and encode.upper() != "UTF-8"):
            raise UsageError("--via soap sends plain UTF-8 text now: no --template, --at or GBK")
        if not profile.password:
            raise UsageError(
                "--via soap needs the plain password (the WebService takes no password_md5): "
                "set FIVEC_PASSWORD or `password` in the profile"
            )
        try:
            check_node(profile.base_url)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
        enc = "UTF-8"
    if not template:
        try:
            check_content(content, enc)
        except ContentEncodingError as exc:
            raise UsageError(str(exc)) from None
    when = parse_when(at) if at else None
    per = parts(content) if content else 1
    total = per * len(recipients.valid)
    if recipients.duplicates and not as_json:
        err.print(f"duplicates removed: {', '.join(recipients.duplicates)}", markup=False)
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("not a terminal: add --yes to send without asking")
        err.print(
            f"To {len(recipients.valid)} recipient(s): {', '.join(recipients.valid[:10])}"
            f"{' …' if len(recipients.valid) > 10 else ''}",
            markup=False,
        )
        err.print(
            f"{per} part(s) each, {total} part(s) in all; encode {enc}"
            f"{'; at ' + when.isoformat() if when else ''}",
            markup=False,
        )
        if not click.confirm("Send?", err=True):
            sys.exit(2)
    result = call(
        ctx,
        lambda c: (
            c.send_soap(recipients.valid, content, profile.password)
            if via == "soap"
            else c.send(
                recipients.valid,
                content or "",
                encode=enc,
                start_time=when,
                templet_code=template or "",
                variables=variables_dict or None,
            )
        ),
    )
    if result.outcome == "unknown":
        err.print(
            f"outcome unknown: no answer came ({result.detail}). It may have been sent; it was "
            "NOT retried. Check `fivec-tui records --from -10m` before sending again.",
            markup=False,
        )
        sys.exit(1)
    if as_json:
        emit({"msgid": result.msgid, "recipients": len(recipients.valid), "parts": total})
    else:
        out.print(
            f"accepted: msgid {result.msgid} ({len(recipients.valid)} recipients, {total} parts)",
            markup=False,
        )


# -- queries ----------------------------------------------------------------------------------
@main.command()
@json_option
@pass_ctx
def balance(ctx: Ctx, as_json) -> None:
    """Remaining balance and total."""
    b = call(ctx, lambda c: c.balance())
    if as_json:
        emit({"balance": float(b.remaining), "total": float(b.total)})
    else:
        out.print(f"balance {b.remaining} of {b.total}", markup=False)


def _window(start: str, end: str) -> tuple[datetime, datetime]:
    a, b = parse_when(start), parse_when(end)
    if a > b:
        raise UsageError("--from is after --to")
    return a, b


@main.command()
@click.option("--from", "start", default="-1h", show_default=True, help="Window start (WHEN).")
@click.option("--to", "end", default="now", show_default=True, help="Window end (WHEN).")
@json_option
@pass_ctx
def records(ctx: Ctx, start, end, as_json) -> None:
    """Send records: every message the account sent, from any system."""
    a, b = _window(start, end)
    items = call(ctx, lambda c: c.records(a, b))
    rows = [
        {
            "msgid": r.msgid,
            "mobiles": list(r.mobiles),
            "content": r.content,
            "sent_at": iso(r.sent_at),
            "username": r.username,
        }
        if hasattr(r, "msgid")
        else {"unparsed": r.raw, "reason": r.reason}
        for r in items
    ]
    if as_json:
        emit(rows)
        return
    for row in rows:
        if "unparsed" in row:
            out.print(f"UNPARSED {row['unparsed']!r}: {row['reason']}", markup=False)
        else:
            out.print(
                f"{row['sent_at']}  {row['msgid']}  {','.join(row['mobiles'])}  {row['content']!r}",
                markup=False,
            )
    err.print(f"{len(rows)} record(s)", markup=False)


@main.command()
@click.option("--from", "start", default="-1d", show_default=True)
@click.option("--to", "end", default="now", show_default=True)
@click.option("--agent-username", default="", help="One sub-account (default: all).")
@json_option
@pass_ctx
def billing(ctx: Ctx, start, end, agent_username, as_json) -> None:
    """Sent counts and balances of the account and its sub-accounts."""
    a, b = _window(start, end)
    items = call(ctx, lambda c: c.billing(a, b, agent_username))
    rows = [
        {
            "username": e.username,
            "sent": e.sent,
            "balances": {
                k: {"total": float(q.total), "remaining": float(q.remaining)}
                for k, q in e.balances.items()
            },
        }
        if hasattr(e, "username")
        else {"unparsed": e.raw, "reason": e.reason}
        for e in items
    ]
    if as_json:
        emit(rows)
    else:
        for row in rows:
            out.print(json.dumps(row, ensure_ascii=False), markup=False)


@main.group()
def blacklist() -> None:
    """Look up and remove numbers on the platform's blacklist."""


@blacklist.command("check")
@click.argument("mobile")
@json_option
@pass_ctx
def blacklist_check(ctx: Ctx, mobile, as_json) -> None:
    """Is MOBILE on the platform blacklist?"""
    number = _one_mobile(mobile)
    r = call(ctx, lambda c: c.blacklist_check(number))
    _record_lookup(ctx, r)
    if as_json:
        emit({"mobile": r.mobile, "black": r.black, "description": r.description, "added": r.added})
    elif r.black:
        out.print(f"{r.mobile}: BLACK — {r.description} (added {r.added})", markup=False)
    else:
        out.print(f"{r.mobile}: not blacklisted", markup=False)


def _record_lookup(ctx: Ctx, result, action: str = "check") -> None:
    """Keep the lookup in the cache when one exists (history for the TUI)."""
    path = ctx.db_path()
    if path.exists():
        from .store import Store
        from .store.ingest import add_blacklist_lookup

        store = Store(path)
        add_blacklist_lookup(store, result, action)
        store.close()


def _one_mobile(mobile: str) -> str:
    recipients = parse_recipients(mobile)
    if len(recipients.valid) != 1 or recipients.invalid:
        raise UsageError(f"not one valid mobile number: {mobile!r}")
    return recipients.valid[0]


@blacklist.command("remove")
@click.argument("mobile")
@click.option("--yes", is_flag=True, help="Do not ask.")
@json_option
@pass_ctx
def blacklist_remove(ctx: Ctx, mobile, yes, as_json) -> None:
    """Ask the platform to whitelist MOBILE.

    Only numbers blacklisted for an opt-out reply (TD, 退订) can be removed, and only on
    non-marketing accounts; complaint blacklists (10086, MIIT) cannot.
    """
    number = _one_mobile(mobile)
    if not yes and sys.stdin.isatty() and not click.confirm(f"Whitelist {number}?", err=True):
        sys.exit(2)
    r = call(ctx, lambda c: c.blacklist_remove(number))
    if as_json:
        emit({"mobile": number, "removed": True, "message": r.message})
    else:
        out.print(f"{number}: {r.message}", markup=False)


@main.command("bind-ip")
@click.argument("ips", nargs=-1, required=True)
@click.option("--action", default="0", show_default=True, help="The platform's action value.")
@json_option
@pass_ctx
def bind_ip(ctx: Ctx, ips, action, as_json) -> None:
    """Bind the account to these IP addresses (requests from others are then refused)."""
    r = call(ctx, lambda c: c.bind_ip(list(ips), action))
    emit({"message": r.message}) if as_json else out.print(r.message, markup=False)


@main.group()
def accounts() -> None:
    """Sub-accounts: create, lock, unlock, info, charge."""


def _success(ctx: Ctx, fn, as_json: bool) -> None:
    r = call(ctx, fn)
    emit({"message": r.message}) if as_json else out.print(r.message, markup=False)


@accounts.command("create")
@click.argument("child")
@click.option("--password", prompt=True, hide_input=True, help="The sub-account's password.")
@click.option("--contact-mobile", required=True)
@click.option("--company", default="")
@json_option
@pass_ctx
def accounts_create(ctx: Ctx, child, password, contact_mobile, company, as_json) -> None:
    """Create sub-account CHILD."""
    _success(ctx, lambda c: c.user_create(child, password, contact_mobile, company), as_json)


@accounts.command("lock")
@click.argument("child")
@json_option
@pass_ctx
def accounts_lock(ctx: Ctx, child, as_json) -> None:
    """Lock sub-account CHILD."""
    _success(ctx, lambda c: c.user_lock(child, True), as_json)


@accounts.command("unlock")
@click.argument("child")
@json_option
@pass_ctx
def accounts_unlock(ctx: Ctx, child, as_json) -> None:
    """Unlock sub-account CHILD."""
    _success(ctx, lambda c: c.user_lock(child, False), as_json)


@accounts.command("info")
@click.argument("child")
@click.option("--apikey", "show_apikey", is_flag=True, help="Ask for the sub-account's apikey.")
@json_option
@pass_ctx
def accounts_info(ctx: Ctx, child, show_apikey, as_json) -> None:
    """Status (or apikey) of sub-account CHILD."""
    _success(ctx, lambda c: c.user_info(child, status=not show_apikey, apikey=show_apikey), as_json)


@accounts.command("charge")
@click.argument("child")
@click.argument("amount", type=int)
@json_option
@pass_ctx
def accounts_charge(ctx: Ctx, child, amount, as_json) -> None:
    """Move AMOUNT to CHILD (negative: take it back)."""
    _success(ctx, lambda c: c.user_charge(child, amount), as_json)


# -- config -----------------------------------------------------------------------------------
@main.group("config")
def config_group() -> None:
    """Create and inspect the config file."""


@config_group.command("path")
@pass_ctx
def config_path(ctx: Ctx) -> None:
    """Where the config file is."""
    out.print(str(ctx.config_path), markup=False)


@config_group.command("show")
@json_option
@pass_ctx
def config_show(ctx: Ctx, as_json) -> None:
    """Effective settings and where each came from (secrets masked)."""
    p = ctx.profile()
    rows = p.shown()
    if as_json:
        emit(
            {
                "profile": p.name,
                "config": str(ctx.config_path),
                "settings": {k: {"value": v, "source": s} for k, (v, s) in rows.items()},
            }
        )
        return
    out.print(f"profile {p.name}  (config {ctx.config_path})", markup=False)
    for key, (value, source) in rows.items():
        out.print(f"  {key:<20} {value:<36} {source}", markup=False)


@config_group.command("init")
@click.option(
    "--name", "profile_name", default=None, help="Profile name (default: --profile or 'default')."
)
@click.option("--username")
@click.option(
    "--password-stdin",
    is_flag=True,
    help="Read the password, then the apikey, one per line from standard input.",
)
@click.option("--node", default=None, help="main, bj, hk, us, euro, or a full URL.")
@click.option("--encode", type=click.Choice(["UTF-8", "GBK"], case_sensitive=False))
@pass_ctx
def config_init(ctx: Ctx, profile_name, username, password_stdin, node, encode) -> None:
    """Add or update a profile in the config file (mode 0600), keeping everything else in it.

    The password and apikey are asked with a hidden prompt, or read from standard input with
    --password-stdin: never from arguments, which `ps` and shell history would show.
    On a terminal, --password-stdin asks too: lines typed there would be echoed.
    """
    interactive = sys.stdin.isatty()

    def ask(value, prompt, default=None):
        if value:
            return value
        if not interactive:
            if default is not None:
                return default
            raise UsageError(f"missing --{prompt.lower()} (no terminal to ask on)")
        return click.prompt(prompt, default=default, err=True)

    def secrets() -> tuple[str, str]:
        if password_stdin and not interactive:
            lines = [sys.stdin.readline().rstrip("\r\n") for _ in range(2)]
        elif interactive:
            lines = [click.prompt(p, hide_input=True, err=True) for p in ("Password", "Apikey")]
        else:
            raise UsageError("no terminal to ask for the password: use --password-stdin")
        if not all(lines):
            raise UsageError("--password-stdin: give the password, then the apikey, one per line")
        return lines[0], lines[1]

    name = profile_name or ctx.profile_name or "default"
    username = ask(username, "Username")
    password, apikey = secrets()
    values = {
        "username": username,
        "password_md5": md5_hex(password),
        "apikey": apikey,
        "node": ask(node, "Node", default="main"),
        "encode": (encode or "UTF-8").upper(),
    }
    try:
        cfg.validate_profile(name, values)
        cfg.write_profile(ctx.config_path, name, values)
    except cfg.ConfigError as exc:
        raise UsageError(str(exc)) from None
    out.print(f"wrote profile {name!r} to {ctx.config_path} (mode 0600)", markup=False)


@main.command()
@click.option("--fix", is_flag=True, help="Make the tool's files 0600 and its directories 0700.")
@json_option
@pass_ctx
def doctor(ctx: Ctx, fix, as_json) -> None:
    """Check file modes, the config, the platform, the clock and the push receiver.

    Says what to do about each problem; exits 1 when there is one, 0 when all is well.
    """
    from . import doctor as doc

    checks = doc.diagnose(ctx, fix=fix)
    emit(doc.as_json(checks)) if as_json else out.print(doc.render(checks), markup=False)
    sys.exit(1 if any(c.problem for c in checks) else 0)


# -- simulator, demo, poll, stats, export, serve ----------------------------------------------
@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=0, show_default=True, help="0 picks a free port.")
@click.option(
    "--scenario",
    default="demo",
    show_default=True,
    help="Name (demo, quiet, flood, hostile) or TOML file.",
)
@click.option("--seed", default=0, show_default=True)
@click.option("--speed", default=1.0, show_default=True, help="Scenario time multiplier.")
def sim(host, port, scenario, seed, speed) -> None:
    """Run the platform simulator until interrupted; prints its URL and demo credentials."""
    from .sim import ScenarioError, Simulator

    async def go() -> None:
        try:
            simulator = Simulator(scenario, host=host, port=port, seed=seed, speed=speed)
        except ScenarioError as exc:
            raise UsageError(str(exc)) from None
        async with simulator:
            a = simulator.account
            out.print(
                f"simulator ({simulator.scenario.name}) at {simulator.base_url}", markup=False
            )
            out.print(
                f"  FIVEC_BASE_URL={simulator.base_url} FIVEC_USERNAME={a.username} "
                f"FIVEC_PASSWORD={a.password} FIVEC_APIKEY={a.apikey}",
                markup=False,
            )
            sys.stdout.flush()
            await asyncio.Event().wait()

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(go())


@main.command()
@click.option("--scenario", default="demo", show_default=True)
@click.option("--seed", default=0, show_default=True)
@click.option("--speed", default=1.0, show_default=True)
def demo(scenario, seed, speed) -> None:
    """The TUI on the built-in simulator with a temporary cache: no account needed."""
    from .app.run import run_demo

    sys.exit(run_demo(scenario, seed, speed))


@main.command()
@click.option(
    "--once", is_flag=True, help="Pull everything once until drained, print counts, exit."
)
@click.option("--yes", is_flag=True, help="Consent to destructive pulls without asking.")
@click.option(
    "--listen", help="HOST:PORT for the push receiver (token from the profile's push.token)."
)
@click.option("--metrics", help="HOST:PORT to serve Prometheus metrics on (/metrics).")
@click.option(
    "--log-file", type=click.Path(dir_okay=False), help="Log file (default: next to the cache)."
)
@pass_ctx
def poll(ctx: Ctx, once, yes, listen, metrics, log_file) -> None:
    """Headless daemon: keeps the cache current, raises alerts, serves metrics.

    Stops cleanly on SIGTERM/SIGINT, finishing the pull in flight.
    """
    from .sync.daemon import run_poll

    try:
        code = run_poll(
            ctx.account(),
            ctx.db_path(),
            once=once,
            yes=yes,
            listen=listen,
            metrics=metrics,
            log_file=log_file,
        )
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    sys.exit(code)


@main.command()
@click.option("--window", default="1h", show_default=True, help="5m, 1h, 24h ...")
@json_option
@pass_ctx
def stats(ctx: Ctx, window, as_json) -> None:
    """Delivery summary from the cache: sent, delivered, failed, pending, rate, latency."""
    from .store import Store, queries

    seconds = parse_window(window)
    path = ctx.db_path()
    if not path.exists():
        raise UsageError(f"no cache at {path}: run `fivec-tui poll` first")
    s = queries.summary(Store(path, readonly=True), seconds)
    if as_json:
        emit(s.as_json())
        return
    rate = f"{s.delivery_rate:.1%}" if s.delivery_rate is not None else "—"
    out.print(
        f"last {window}: sent {s.sent}, delivered {s.delivered}, failed {s.failed}, "
        f"pending {s.pending}, delivery rate {rate}",
        markup=False,
    )
    if s.latency_p50_s is not None:
        out.print(
            f"latency to report: p50 {s.latency_p50_s:.1f}s, p95 {s.latency_p95_s:.1f}s",
            markup=False,
        )
    for code, n in s.failures.items():
        out.print(f"  {code:<10} {n}", markup=False)


@main.command("alerts")
@click.option("--limit", default=50, show_default=True)
@json_option
@pass_ctx
def alerts_cmd(ctx: Ctx, limit, as_json) -> None:
    """Alert events from the cache (fired, repeated, resolved), newest first."""
    from .store import Store, queries

    path = ctx.db_path()
    if not path.exists():
        raise UsageError(f"no cache at {path}: run `fivec-tui poll` first")
    rows = queries.alerts(Store(path, readonly=True), limit)
    if as_json:
        emit([{**r, "at": iso(r["at"]), "payload": json.loads(r["payload"] or "{}")} for r in rows])
        return
    for r in rows:
        out.print(f"{iso(r['at'])}  {r['state']:<8} {r['rule']:<14} {r['message']}", markup=False)


EXPORT_FIELDS = {
    "reports": ("msgid", "mobile", "status", "ext", "reported_at"),
    "replies": ("mobile", "content", "ext", "reply_id", "received_at"),
    "records": ("msgid", "mobile", "content", "sent_at", "username"),
    "balance": ("at", "remaining", "total"),
}


@main.command()
@click.argument("kind", type=click.Choice(list(EXPORT_FIELDS)))
@click.option("--since", help="WHEN: only rows from then on.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json", "jsonl"]),
    default="jsonl",
    show_default=True,
)
@click.option("--output", type=click.Path(dir_okay=False), help="File (default: stdout).")
@pass_ctx
def export(ctx: Ctx, kind, since, fmt, output) -> None:
    """Export cached reports, replies, records or balance snapshots."""
    from .files import open_private
    from .store import Store, queries
    from .store.export import write_export

    path = ctx.db_path()
    if not path.exists():
        raise UsageError(f"no cache at {path}: run `fivec-tui poll` first")
    store = Store(path, readonly=True)
    since_ts = parse_when(since).timestamp() if since else None
    total = queries.count(store, kind, since_ts)
    fh = open_private(output, "w", encoding="utf-8", newline="") if output else sys.stdout
    try:
        n = write_export(
            store,
            kind,
            since_ts,
            fmt,
            fh,
            EXPORT_FIELDS[kind],
            iso,
            progress=total if output and sys.stderr.isatty() else None,
        )
    finally:
        if output:
            fh.close()
    err.print(f"exported {n} {kind}", markup=False)


@main.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True)
@click.option("--demo", "demo_mode", is_flag=True, help="Serve the demo instead of the profile.")
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False),
    help="Read the token from this 0600 file instead of making a new one per start.",
)
@click.option(
    "--public-url",
    help="The URL browsers use, when a reverse proxy (TLS) sits in front: its origin is the "
    "only one allowed.",
)
@click.option(
    "--i-know-this-is-public",
    "public",
    is_flag=True,
    help="Allow a --host other than loopback (prefer loopback behind a TLS reverse proxy).",
)
def serve(host, port, demo_mode, token_file, public_url, public) -> None:
    """Serve the TUI in a browser (textual-serve), behind a token and an Origin check.

    Prints the URL to open once; requests without its token, or from a page of another
    origin, are refused.
    """
    from .app.serve import GuardedServer, is_loopback, new_token, read_token_file

    if not is_loopback(host) and not public:
        raise UsageError(
            f"--host {host} is not loopback: anyone who reaches it and has the token controls "
            "this account, over plain HTTP. Put a TLS reverse proxy in front of 127.0.0.1 "
            "(see the README), or pass --i-know-this-is-public."
        )
    try:
        token = read_token_file(token_file) if token_file else new_token()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    command = f"{sys.executable} -m fivec_tui {'demo' if demo_mode else ''}".strip()
    GuardedServer(
        command, token, host=host, port=port, public_url=public_url, show_token=not token_file
    ).serve()
