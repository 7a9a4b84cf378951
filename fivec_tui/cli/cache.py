"""What the cache knows, without asking the platform: stats, alerts, exports."""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from typing import IO, TypeVar

import click

from ..i18n import _
from ..private_files import UnsafePath, open_private, protected_files, refuse_protected, replacing
from ..store.audit import FIELDS
from ..text import visible
from ..when import show_full
from .common import (
    ConfigProblem,
    Ctx,
    UsageError,
    emit,
    iso,
    json_option,
    parse_moment,
    parse_when,
    parse_window,
    pass_ctx,
    say,
    tell,
    terminal_safe,
)

T = TypeVar("T")

force_option = click.option(
    "--force", is_flag=True, help=_("Replace the --output file when it exists.")
)


def check_output(ctx: Ctx, path: str | None, force: bool) -> None:
    """An ``--output`` refused before any work: the cache, a file beside it or the config
    whatever ``force`` says (:func:`~fivec_tui.private_files.refuse_protected`); a file that
    exists unless ``force``."""
    if not path:
        return
    try:
        refuse_protected(path, protected_files(ctx.db_path(), ctx.config_path))
    except UnsafePath as exc:
        raise UsageError(str(exc)) from None
    refuse_existing(path, force)


def refuse_existing(path: str | None, force: bool) -> None:
    """An ``--output`` that exists, refused unless ``--force``."""
    if path and not force and os.path.lexists(path):
        raise UsageError(_("{path} exists: add --force to replace it").format(path=path))


def write_output(path: str, force: bool, write: Callable[[IO[str]], T], **kwargs) -> T:
    """``write(fh)`` into ``--output`` ``path`` (UTF-8, 0600): a new file, made with O_EXCL
    (removed again if ``write`` fails), or with ``force`` one that replaces what is there
    whole (a link is replaced itself, never written through).  Errors are usage errors."""
    try:
        if force:
            with replacing(path, "w", encoding="utf-8", **kwargs) as fh:
                return write(fh)
        with open_private(path, "w", new=True, encoding="utf-8", **kwargs) as fh:
            try:
                return write(fh)
            except BaseException:
                os.unlink(path)
                raise
    except FileExistsError:
        refuse_existing(path, force=False)
        raise
    except OSError as exc:
        error = _("cannot write {path}: {error}").format(path=path, error=exc.strerror)
        raise UsageError(error) from None


EXPORT_FIELDS = {
    "reports": ("msgid", "mobile", "status", "ext", "reported_at"),
    "replies": ("mobile", "content", "ext", "reply_id", "received_at"),
    "records": ("msgid", "mobile", "content", "sent_at", "username"),
    "balance": ("at", "remaining", "total"),
    "audit": ("id", *FIELDS, "prev", "hash"),
}


def _caches(ctx: Ctx):
    """``(profile name, its cache or None)`` for every profile, read-only (``--all``)."""
    for profile in ctx.all_profiles():
        path = ctx.cache_path(profile)
        yield profile.name, ctx.read_cache(path) if path.exists() else None


@click.command(
    help=_("Delivery summary from the cache: sent, delivered, failed, pending, rate, latency.")
)
@click.option("--window", default="1h", show_default=True, help=_("5m, 1h, 24h ..."))
@click.option(
    "--all",
    "all_profiles",
    is_flag=True,
    help=_(
        'Every profile, from its own cache (--json: its summary under "profiles", by name). An '
        "account whose jobs are failing is listed all the same, its cached counts (zeros "
        'without a cache) with "error": why (auth error, unreachable, no balance, '
        "throttled, platform error, failing), the last error of its jobs as the poller "
        'recorded it in the cache (no request is made), and "error_detail": the job and '
        "its error; both null when every job's last run succeeded."
    ),
)
@click.option(
    "--at",
    "at",
    help=_(
        "WHEN: the window ending then, as it was known then (reports by their platform time); "
        "'now' is the live summary."
    ),
)
@click.option(
    "--known-now", is_flag=True, help=_("With --at: count every report cached since then too.")
)
@click.option(
    "--by",
    type=click.Choice(["carrier", "signature", "template", "campaign"]),
    help=_(
        "A breakdown instead: per carrier (a hint: numbers can be ported), per signature "
        "(the 【…】 of the text), per template or per campaign, most sent first."
    ),
)
@json_option
@pass_ctx
def stats(ctx: Ctx, window, all_profiles, at, known_now, by, as_json) -> None:

    from ..store import asof, breakdown, queries

    if known_now and at is None:
        raise UsageError(_("--known-now is for --at: without it the summary is as known now"))
    seconds = parse_window(window)
    when = parse_moment(at) if at is not None else None
    if by and all_profiles:
        raise UsageError(_("--by is for one profile, not with --all"))
    if by and by != "carrier" and when is not None:
        raise UsageError(_("--by {by} counts as known now: not with --at").format(by=by))
    now = time.time() if when is None else when  # the window's end, one moment for all
    known = None if when is None else asof.known_at(when, known_now)
    if by:
        store = ctx.cache()
        if by == "carrier":
            rows = breakdown.carriers(store, seconds, now, known, _objective(ctx))
        else:
            rows = breakdown.groups(store, by, seconds, now)
        if as_json:
            emit({by: rows, "at": iso(now)})
        else:
            _say_rows(by, rows)
        return

    def summary(store):
        if when is not None:
            return asof.summary_at(store, seconds, when, known_now)
        return queries.summary(store, seconds, now)

    def headline(store, objective: float) -> dict:
        """What --json gives beside the summary (carriers, cost, baseline)."""
        return _iso_times(breakdown.headline(store, seconds, now, known, objective))

    if all_profiles:
        _stats_all(ctx, summary, headline, seconds, window, now, as_json)
        return
    store = ctx.cache()
    s = summary(store)
    if as_json:
        emit(s.as_json() | headline(store, _objective(ctx)) | {"at": iso(now)})
        return
    if when is not None:
        view = _("as known now") if known_now else _("as it was then")
        say(_("at {time}, {view}").format(time=show_full(when), view=view))
    _say_summary(s, window, now)


def _iso_times(head: dict) -> dict:
    """JSON says a moment in ISO 8601 with its offset: the cost's ``spent_since`` too (it
    was the epoch's seconds, which a newcomer could not read against the docs)."""
    for part in (head, head.get("baseline") or {}):
        cost = part.get("cost") or {}
        if cost.get("spent_since") is not None:
            cost["spent_since"] = iso(cost["spent_since"])
    return head


def _objective(ctx: Ctx) -> float:
    """The profile's ``[slo] delivery`` (the default when no profile is configured)."""
    from ..config import Slo

    try:
        return ctx.profile().slo.delivery
    except (UsageError, ConfigProblem) as exc:  # no profile (a cache named by --db), or a bad one
        if isinstance(exc, ConfigProblem) or ctx.settings().data.get("profiles"):
            # a profile there that cannot be read: said, never silently the default
            said = _("burns against the default objective {slo:g}: {error}")
            tell(said.format(slo=Slo().delivery, error=exc.format_message()), "yellow")
        return Slo().delivery


def _say_rows(by: str, rows: dict[str, dict]) -> None:
    """A breakdown as a table under its headers, aligned by terminal cells (a Chinese
    character takes two), carriers by their translated names."""
    from rich.cells import cell_len, set_cell_size

    from ..store.breakdown import group_label

    def percent(value):
        return "—" if value is None else f"{value:.1%}"

    def seconds(value):
        return "—" if value is None else f"{value:.0f}s"

    head = (_("name"), _("sent"), _("delivered"), _("failed"), _("pending"), _("rate"))
    table = [(*head, "p95", _("opt-outs"))]
    for name, r in rows.items():
        label = group_label(by, visible(name))
        if cell_len(label) > 24:
            label = set_cell_size(label, 23) + "…"
        counts = map(str, (r["sent"], r["delivered"], r["failed"], r["pending"]))
        rate, p95 = percent(r["rate"]), seconds(r["latency_p95_s"])
        table.append((label, *counts, rate, p95, str(r["opt_outs"])))
    widths = [max(cell_len(row[i]) for row in table) for i in range(len(table[0]))]
    for row in table:
        cells = [set_cell_size(row[0], widths[0])]
        cells += [" " * (w - cell_len(c)) + c for c, w in zip(row[1:], widths[1:], strict=True)]
        say("  ".join(cells).rstrip())


def _stats_all(
    ctx: Ctx, summary, headline, seconds: float, window: str, now: float, as_json: bool
) -> None:
    """``summary(store)`` and ``headline(store, objective)``: what ``stats`` gives (the
    window ending ``now``: now, or ``--at``), per profile."""
    from ..store import queries
    from ..sync.diagnosis import cached_problem

    objectives = {p.name: p.slo.delivery for p in ctx.all_profiles()}
    cost = {"parts": 0, "spent": None, "per_delivered": None, "runs_out_in_s": None}
    nothing = {"carriers": {}, "cost": cost}
    out = {}
    for name, store in _caches(ctx):
        s = summary(store) if store else queries.Summary(int(seconds))
        trouble = cached_problem(store) if store else None
        extra = nothing | {"baseline": None}
        if as_json and store:
            extra = headline(store, objectives[name])
        out[name] = (s.as_json() | extra) | {
            "error": trouble[0] if trouble else None,
            "error_detail": trouble[1] if trouble else None,
        }
        if not as_json:
            say(f"[{name}]" + (f" {_(trouble[0])}: {trouble[1]}" if trouble else ""))
            _say_summary(s, window, now)
    if as_json:
        emit({"profiles": out, "at": iso(now)})


def _say_summary(s, window: str, end: float) -> None:
    rate = f"{s.delivery_rate:.1%}" if s.delivery_rate is not None else "—"
    say(
        _(
            "last {window} to {end}: sent {sent}, delivered {delivered}, failed {failed}, "
            "pending {pending}, delivery rate {rate}"
        ).format(
            window=window,
            end=show_full(end),
            sent=s.sent,
            delivered=s.delivered,
            failed=s.failed,
            pending=s.pending,
            rate=rate,
        )
    )
    if s.latency_p50_s is not None:
        say(
            _("latency to report: p50 {p50:.1f}s, p95 {p95:.1f}s").format(
                p50=s.latency_p50_s, p95=s.latency_p95_s
            )
        )
    for code, n in s.failures.items():
        say(f"  {visible(code):<10} {n}")


@click.command(
    "alerts", help=_("Alert events from the cache (fired, repeated, resolved), newest first.")
)
@click.option("--limit", default=50, show_default=True, help=_("At most this many events."))
@click.option(
    "--all",
    "all_profiles",
    is_flag=True,
    help=_('Every profile\'s events in one list, newest first, each with its "profile".'),
)
@json_option
@pass_ctx
def alerts_cmd(ctx: Ctx, limit, all_profiles, as_json) -> None:
    from ..store import queries

    if all_profiles:
        rows = [
            {"profile": name, **r}
            for name, store in _caches(ctx)
            if store
            for r in queries.alerts(store, limit)
        ]
        rows = sorted(rows, key=lambda r: r["at"] or 0, reverse=True)[:limit]
    else:
        rows = queries.alerts(ctx.cache(), limit)
    if as_json:
        events = [
            {**r, "at": iso(r["at"]), "payload": json.loads(r["payload"] or "{}")} for r in rows
        ]
        emit([{**e, "carrier": e["payload"].get("carrier")} for e in events])
        return
    if not rows:
        say(_("no alert recorded"))
    for r in rows:
        who = f"{r['profile']:<10} " if all_profiles else ""
        say(f"{show_full(r['at'])}  {who}{_(r['state']):<8} {r['rule']:<14} {r['message']}")


@click.command(
    help=_("Export cached reports, replies, records, balance snapshots or the audit trail.")
)
@click.argument("kind", type=click.Choice(list(EXPORT_FIELDS)))
@click.option("--since", help=_("WHEN: only rows from then on."))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json", "jsonl"]),
    default="jsonl",
    show_default=True,
    help=_("Output format."),
)
@click.option("--output", type=click.Path(dir_okay=False), help=_("File (default: stdout)."))
@force_option
@pass_ctx
def export(ctx: Ctx, kind, since, fmt, output, force) -> None:
    from ..store.export import count, write_export

    check_output(ctx, output, force)
    store = ctx.cache()
    since_ts = parse_when(since).timestamp() if since else None
    total = count(store, kind, since_ts)

    def write(fh) -> int:
        return write_export(
            store,
            kind,
            since_ts,
            fmt,
            fh,
            EXPORT_FIELDS[kind],
            iso,
            progress=total if output and sys.stderr.isatty() else None,
        )

    n = (
        write_output(output, force, write, newline="")
        if output
        else write(terminal_safe(sys.stdout))
    )
    tell(_("exported {n} {kind}").format(n=n, kind=kind))
