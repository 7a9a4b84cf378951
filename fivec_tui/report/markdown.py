"""The report as Markdown: the same sections and numbers as the HTML one, as tables."""

from __future__ import annotations

from ..i18n import _
from ..text import visible
from . import tables
from .data import Incident


def _cell(text: str) -> str:
    """A table cell: outside text (an alert's message, a status code) shown escaped, as the
    TUI and the CLI's lines show it, for a report read on a terminal."""
    return visible(text.replace("\n", " ")).replace("|", "\\|")


def render(incident: Incident) -> str:
    out = [f"# {tables.title(incident)}", "", tables.note(incident)]
    for table in tables.sections(incident):
        out += ["", f"## {table.title}", ""]
        if not table.rows:
            out.append(_("(none)"))
            continue
        out.append("| " + " | ".join(_cell(h) for h in table.headers) + " |")
        out.append("|" + "---|" * len(table.headers))
        out += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in table.rows]
    return "\n".join(out) + "\n"
