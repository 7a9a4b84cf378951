"""The report as one self-contained HTML file: inline CSS and SVG charts, no script, nothing
fetched at view time, and a print stylesheet so that "print to PDF" gives a clean document."""

from __future__ import annotations

from html import escape

from ..i18n import N_, _, current
from . import tables
from .data import Incident

CSS = """
body { font-family: "Noto Sans CJK SC", "Noto Sans", "Helvetica Neue", Arial, sans-serif;
  color: #1f2328; margin: 2em auto; max-width: 960px; padding: 0 1em; line-height: 1.45; }
h1 { font-size: 1.5em; border-bottom: 2px solid #d0d7de; padding-bottom: .3em; }
h2 { font-size: 1.15em; margin-top: 1.8em; }
table { border-collapse: collapse; width: 100%; font-size: .9em; margin: .5em 0; }
th, td { border: 1px solid #d0d7de; padding: .25em .5em; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
td.n { text-align: right; font-variant-numeric: tabular-nums; }
figure { margin: 1em 0; } figure svg { width: 100%; height: auto; }
figcaption { font-size: .85em; color: #57606a; }
.note { color: #57606a; font-size: .9em; }
@media print {
  body { margin: 0; max-width: none; font-size: 10pt; }
  h2 { break-after: avoid; } figure, tr { break-inside: avoid; }
  section.minutes { break-before: page; }
  @page { size: A4; margin: 14mm; }
}
"""

#: Which chart goes above which section.
CHARTS = {"summary": ("rate",), "failures": ("failures", "latency")}
CAPTIONS = {
    "rate": N_(
        "Delivery rate and volume per minute, against the same minutes of the previous days"
    ),
    "failures": N_("Failures per minute by family"),
    "latency": N_("Send-to-report latency per minute (p50, p95)"),
}


def _numeric(text: str) -> bool:
    return text.replace(".", "").replace("%", "").replace("/", "").strip().isdigit()


def _table(table: tables.Table) -> str:
    if not table.rows:
        return f"<p class=note>{escape(_('(none)'))}</p>"
    head = "".join(f"<th>{escape(h)}</th>" for h in table.headers)
    body = "".join(
        "<tr>"
        + "".join(
            f"<td class=n>{escape(c)}</td>" if _numeric(c) else f"<td>{escape(c)}</td>" for c in row
        )
        + "</tr>"
        for row in table.rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render(incident: Incident, charts: dict[str, str]) -> str:
    title = escape(tables.title(incident))
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{"zh-CN" if current() == "zh" else "en"}"><head><meta charset="utf-8">',
        f"<title>{title}</title><style>{CSS}</style></head><body>",
        f"<h1>{title}</h1>",
        f"<p class=note>{escape(tables.note(incident))}</p>",
    ]
    for table in tables.sections(incident):
        parts.append(
            f'<section class="{table.key}" id="{table.key}"><h2>{escape(table.title)}</h2>'
        )
        for name in CHARTS.get(table.key, ()):
            caption = escape(_(CAPTIONS[name]))
            parts.append(
                f'<figure id="chart-{name}">{charts[name]}<figcaption>{caption}</figcaption></figure>'
            )
        parts.append(_table(table) + "</section>")
    parts.append("</body></html>")
    return "\n".join(parts)
