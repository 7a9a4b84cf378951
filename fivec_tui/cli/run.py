"""What runs until stopped: the simulator, the demo, the poll daemon, the browser view."""

from __future__ import annotations

import asyncio
import logging
import shlex
import sys
import tempfile
from pathlib import Path

import click

from ..i18n import _
from ..sim.scenario import SPEEDS
from .common import Bounded, Ctx, UsageError, parse_moment, pass_ctx, say, tell

#: ``--speed`` of ``sim`` and ``demo``: the scenario's time multiplier, within its bounds.
speed_option = click.option(
    "--speed",
    type=Bounded(*SPEEDS),
    default=1.0,
    show_default=True,
    help=_("Scenario time multiplier."),
)


@click.command(
    help=_(
        "Run the platform simulator until interrupted; prints its URL, demo credentials and "
        "the token its /_sim/state and /_sim/control endpoints require."
    )
)
@click.option("--host", default="127.0.0.1", show_default=True, help=_("Address to listen on."))
@click.option("--port", default=0, show_default=True, help=_("0 picks a free port."))
@click.option(
    "--scenario",
    default="demo",
    show_default=True,
    help=_("Name (demo, quiet, flood, hostile) or TOML file."),
)
@click.option("--seed", default=0, show_default=True, help=_("Random seed of the traffic."))
@speed_option
@click.option(
    "--accounts",
    type=click.IntRange(1, 20),
    default=1,
    show_default=True,
    help=_(
        "Several accounts (healthy, in an outage, running out of balance, in turn), each on "
        "a free port of its own."
    ),
)
@click.option(
    "--fault",
    "faults",
    multiple=True,
    metavar="ENDPOINT:KEY=VALUE",
    help=_(
        "Inject a fault, repeatable: ENDPOINT is send, query, recv, reply, black, bind, user, "
        "batch, webservice or all. E.g. recv:answer_with=waf (answer HTTP 200 with html, waf, "
        "empty, garbage, truncated, echo, or any other text as the body; answer_with_p=0.5 "
        "for half the requests), query:http_5xx=0.2, reply:latency_ms=500."
    ),
)
# For the demo, which starts sim as its child: one JSON line to read, and the pipe's end.
@click.option("--json", "as_json", is_flag=True, hidden=True)
@click.option("--stop-on-eof", is_flag=True, hidden=True)
def sim(host, port, scenario, seed, speed, accounts, faults, as_json, stop_on_eof) -> None:
    import json
    import secrets

    from ..sim import ScenarioError, Simulator
    from ..sim.scenario import parse_faults
    from ..sync.gate import Gate
    from ..sync.httpd import Limits
    from ..sync.lifetime import stop_event

    token = secrets.token_urlsafe(24)

    async def go() -> None:
        try:
            if accounts > 1:
                from ..sim.fleet import Fleet

                running = Fleet(accounts, scenario=scenario, host=host, seed=seed, speed=speed)
                simulators = running.simulators
            else:
                running = Simulator(scenario, host=host, port=port, seed=seed, speed=speed)
                simulators = [running]
            injected = parse_faults(faults)
        except ScenarioError as exc:
            raise UsageError(str(exc)) from None
        for simulator in simulators:
            # on a shared box, any local user can reach the port: caps and a header timeout
            simulator.gate = Gate("simulator", Limits(), logging.getLogger("fivec_tui.sim"))
            simulator.server.control_token = token
            if as_json:  # the demo's: credentials of its own, which it reads from the line
                simulator.new_credentials()
            for endpoint, table in injected.items():
                simulator.server.faults.setdefault(endpoint, {}).update(table)
        await running.start()
        try:
            if as_json:
                click.echo(json.dumps({"token": token, "accounts": simulated_accounts(simulators)}))
            else:
                _say_simulators(simulators, token)
            sys.stdout.flush()
            await stop_event(None, stop_on_eof).wait()
        finally:
            await running.stop()

    asyncio.run(go())


def simulated_accounts(simulators) -> list[dict]:
    """What a client needs of each simulated account (the demo writes them to its config)."""
    return [
        {
            "username": s.account.username,
            "password_md5": s.account.password_md5,
            "apikey": s.account.apikey,
            "base_url": s.base_url,
        }
        for s in simulators
    ]


def _say_simulators(simulators, token: str) -> None:
    for s in simulators:
        a = s.account
        say(_("simulator ({scenario}) at {url}").format(scenario=s.scenario.name, url=s.base_url))
        say(
            f"  FIVEC_BASE_URL={s.base_url} FIVEC_USERNAME={a.username} "
            f"FIVEC_PASSWORD={a.password} FIVEC_APIKEY={a.apikey}"
        )
        for endpoint, table in sorted(s.server.faults.items()):
            shown = " ".join(f"{k}={v!r}" for k, v in table.items())
            say(_("  fault on {endpoint}: {faults}").format(endpoint=endpoint, faults=shown))
    say(
        _("control: Authorization: Bearer {token} (/_sim/state, /_sim/control)").format(token=token)
    )


@click.command(
    help=_("The TUI on the built-in simulator with a temporary cache: no account needed.")
)
@click.option(
    "--scenario", default="demo", show_default=True, help=_("demo, quiet, flood or hostile.")
)
@click.option("--seed", default=0, show_default=True, help=_("Random seed of the traffic."))
@speed_option
@click.option(
    "--accounts",
    type=click.IntRange(1, 20),
    default=1,
    show_default=True,
    help=_(
        "Several simulated accounts (healthy, in an outage, running out of balance, in turn) "
        "on the Accounts overview; --scenario is then the demo's."
    ),
)
@click.option(
    "--at",
    "at",
    help=_(
        "WHEN: open at that past moment (time travel), in the week of past traffic the demo "
        "fills in at start, e.g. 'yesterday 15:00'."
    ),
)
@pass_ctx
def demo(ctx: Ctx, scenario, seed, speed, accounts, at) -> None:
    exit_if_no_room(Path(tempfile.gettempdir()))  # where the demo's cache goes
    from ..app.app import FivecApp
    from ..app.demo import run_demo
    from ..sim import ScenarioError

    # The demo's profiles are made in code, not read with --read-only: this process runs
    # one app, whose accounts all follow the flag (``serve --demo`` passes it).
    FivecApp.actions_off = ctx.read_only
    try:
        when = parse_moment(at) if at is not None else ctx.at  # or fivec-tui --at
        code = run_demo(scenario, seed, speed, accounts, when)
    except ScenarioError as exc:  # a scenario file that cannot be read: said, as by sim
        raise UsageError(str(exc)) from None
    sys.exit(code)


@click.command(
    help=_(
        "Headless daemon: keeps the cache current, raises alerts, serves metrics. Stops "
        "cleanly on SIGTERM/SIGINT, finishing the pull in flight."
    )
)
@click.option(
    "--once", is_flag=True, help=_("Pull everything once until drained, print counts, exit.")
)
@click.option("--yes", is_flag=True, help=_("Consent to destructive pulls without asking."))
@click.option(
    "--all",
    "all_profiles",
    is_flag=True,
    help=_(
        "Every profile of the config in this one process, each with its own cache, lock and "
        "jobs; each profile is read from the file alone (FIVEC_* variables and FIVEC_DB are "
        "for one profile). Pushes arrive at /push/<token>/<profile>/reports|replies, with "
        "the push settings of the profile chosen by --profile or default_profile."
    ),
)
@click.option(
    "--listen", help=_("HOST:PORT for the push receiver (token from the profile's push.token).")
)
@click.option("--metrics", help=_("HOST:PORT to serve Prometheus metrics on (/metrics)."))
@click.option(
    "--log-file",
    type=click.Path(dir_okay=False),
    help=_("Log file (default: next to the cache)."),
)
# For the TUI, which starts poll as its child: it holds the other end of the stdin pipe, and
# has asked for consent itself (a yes recorded in the cache) before starting it.
@click.option("--stop-on-eof", is_flag=True, hidden=True)
@click.option("--no-ask", is_flag=True, hidden=True)
@pass_ctx
def poll(ctx: Ctx, once, yes, all_profiles, listen, metrics, log_file, stop_on_eof, no_ask) -> None:
    options = {
        "once": once,
        "yes": yes,
        "listen": listen,
        "metrics": metrics,
        "log_file": log_file,
        "stop_on_eof": stop_on_eof,
        "ask": not no_ask,
    }
    if all_profiles:
        sys.exit(_poll_all(ctx, options))
    exit_if_no_room(ctx.db_path())
    from ..sync.daemon import run_poll

    try:
        code = run_poll(ctx.account(), ctx.db_path(), **options)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    sys.exit(code)


def _poll_all(ctx: Ctx, options: dict) -> int:
    """``poll --all``: the profiles with an account; one without is said and left out."""
    from ..config import ConfigError
    from ..sync.accounts import run_all

    profiles = ctx.all_profiles()
    accounts, short = [], 0
    for profile in profiles:
        try:
            profile.require_account()
        except ConfigError as exc:
            tell(_("{profile}: left out: {error}").format(profile=profile.name, error=exc))
            continue
        if problem := no_room(ctx.cache_path(profile)):
            tell(f"{profile.name}: {problem}")
            short += 1
            continue
        accounts.append((profile, ctx.cache_path(profile)))
    if short and not accounts:
        return 1
    if not accounts:
        raise UsageError(_("--all: no profile has an account"))
    chosen = ctx.profile().name
    receiver = next((p for p in profiles if p.name == chosen), profiles[0])
    try:
        code = run_all(accounts, receiver, **options)
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    return max(code, 1 if short else 0)


def no_room(path: Path) -> str:
    """Why the cache at ``path`` cannot be written safely, in one line; "" when it can."""
    from ..store.space import mib, room  # standard library only: cheap for the TUI's start

    space = room(path)
    if space.ok:
        return ""
    if not space.writable:
        return _("error: cannot write the cache {path}: check its permissions").format(path=path)
    return _(
        "error: disk full: {path} has {free} free, and {need} must stay free to keep what "
        "is pulled; free some space, or put the cache elsewhere, and start again"
    ).format(path=path, free=mib(space.free), need=mib(space.need))


def exit_if_no_room(path: Path) -> None:
    """Starting where the cache cannot be written: one line saying why, exit 1."""
    if problem := no_room(path):
        tell(problem)
        sys.exit(1)


@click.command(
    help=_(
        "Serve the TUI in a browser (textual-serve), behind a token and an Origin check. "
        "Prints the URL to open once; requests without its token, or from a page of another "
        "origin, are refused."
    )
)
@click.option("--host", default="127.0.0.1", show_default=True, help=_("Address to listen on."))
@click.option("--port", default=8000, show_default=True, help=_("Port to listen on."))
@click.option("--demo", "demo_mode", is_flag=True, help=_("Serve the demo instead of the profile."))
@click.option(
    "--token-file",
    type=click.Path(dir_okay=False),
    help=_("Read the token from this 0600 file instead of making a new one per start."),
)
@click.option(
    "--public-url",
    help=_(
        "The URL browsers use, when a reverse proxy (TLS) sits in front: its origin is the "
        "only one allowed."
    ),
)
@click.option(
    "--i-know-this-is-public",
    "public",
    is_flag=True,
    help=_("Allow a --host other than loopback (prefer loopback behind a TLS reverse proxy)."),
)
@click.option(
    "--read-only/--allow-actions",
    "read_only",
    default=None,
    help=_(
        "Serve a watch-only TUI: no send, bulk send, blacklist removal, IP binding or sub-account "
        "action. "
        "The default when --host is not loopback; --allow-actions says otherwise (with a "
        "warning). A read-only config or --read-only before serve wins."
    ),
)
@click.pass_context
def serve(click_ctx, host, port, demo_mode, token_file, public_url, public, read_only) -> None:
    from ..app.serve import GuardedServer, is_loopback, new_token, read_token_file

    if not is_loopback(host) and not public:
        raise UsageError(
            _(
                "--host {host} is not loopback: anyone who reaches it and has the token "
                "controls this account, over plain HTTP. Keep serve on 127.0.0.1 behind a TLS "
                "reverse proxy that passes WebSocket upgrades, with --public-url; or pass "
                "--i-know-this-is-public."
            ).format(host=host)
        )
    try:
        token = read_token_file(token_file) if token_file else new_token()
    except ValueError as exc:
        raise UsageError(str(exc)) from None
    if read_only is None:
        read_only = not is_loopback(host)
    elif not read_only and not is_loopback(host):
        tell(
            _(
                "WARNING: --allow-actions on {host}, not loopback: whoever opens the URL with "
                "its token can send and change sub-accounts from this account"
            ).format(host=host),
            "yellow",
        )
    read_only = read_only or bool(click_ctx.find_object(Ctx).read_only)
    if read_only:
        tell(_("read-only: the served TUI sends nothing and changes nothing on the platform"))
    params = click_ctx.parent.params if click_ctx.parent else {}
    command = served_command(params, demo_mode, read_only)
    GuardedServer(
        command, token, host=host, port=port, public_url=public_url, show_token=not token_file
    ).serve()


#: The group's options the served TUI takes over (``--at`` opens one moment: not for a server).
SERVED_OPTIONS = ("config", "profile", "base_url", "db", "lang")


def served_command(options: dict, demo_mode: bool, read_only: bool = False) -> str:
    """The shell command textual-serve runs per browser: this Python, the group's options
    (``fivec-tui --profile staging serve`` serves staging), ``--read-only`` when the served
    TUI may not act, quoted for the shell."""
    args = [sys.executable, "-m", "fivec_tui"]
    for name in SERVED_OPTIONS:
        if options.get(name):
            args += [f"--{name.replace('_', '-')}", str(options[name])]
    if read_only:
        args.append("--read-only")
    return shlex.join([*args, "demo"] if demo_mode else args)
