"""``fivec-tui report``: the post-incident report of a span, from the cache."""

from __future__ import annotations

import sys

import click

from ..i18n import _
from .cache import check_output, force_option, write_output
from .common import Ctx, UsageError, pass_ctx, tell, terminal_safe, window

#: The longest span a report covers (its per-minute charts and table).
MAX_SPAN_S = 7 * 86400


@click.command(
    help=_(
        "Post-incident report of a span: summary against the baseline, charts of rate, volume, "
        "failures and latency per minute, affected prefixes, alerts, replies, balance. HTML "
        "(one self-contained file) or Markdown, by the output's suffix; Markdown on stdout."
    )
)
@click.option("--from", "start", required=True, help=_("WHEN the span starts."))
@click.option("--to", "end", default="now", show_default=True, help=_("WHEN the span ends."))
@click.option(
    "--output",
    type=click.Path(dir_okay=False),
    help=_("FILE.html or FILE.md (default: Markdown on stdout)."),
)
@click.option(
    "--compare",
    "compare_days",
    default=7,
    show_default=True,
    type=click.IntRange(0, 28),
    help=_("Baseline: the same minutes of this many previous days."),
)
@click.option("--known-now", is_flag=True, help=_("Count every report cached since the end too."))
@force_option
@pass_ctx
def report(ctx: Ctx, start, end, output, compare_days, known_now, force) -> None:
    from ..report import markdown
    from ..report.data import incident

    a, b = window(start, end)
    if (b - a).total_seconds() > MAX_SPAN_S:
        raise UsageError(_("a report covers at most 7 days"))
    fmt = "html" if output and output.lower().endswith((".html", ".htm")) else "md"
    if output and fmt == "md" and not output.lower().endswith((".md", ".markdown")):
        raise UsageError(_("--output: FILE.html or FILE.md"))
    check_output(ctx, output, force)
    profile = ctx.profile()
    data = incident(
        ctx.cache(),
        a.timestamp(),
        b.timestamp(),
        compare_days=compare_days,
        floor=profile.alerts.rate_below,
        known_now=known_now,
    )
    text = _html(data) if fmt == "html" else markdown.render(data)
    if not output:
        terminal_safe(sys.stdout).write(text)
        return
    write_output(output, force, lambda fh: fh.write(text))
    tell(_("report written to {path}").format(path=output))


def _html(data) -> str:
    try:
        from ..report import charts
    except ImportError:
        raise UsageError(
            _("the HTML report draws its charts with matplotlib: pip install 'fivec-tui[report]'")
        ) from None
    from ..report import html

    return html.render(data, charts.all_charts(data))
