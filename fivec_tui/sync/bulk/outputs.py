"""The files a bulk send writes beside its input: ``<input>.rejected.csv`` (each rejected row
with its reason and its cells as read) and ``<input>.results.csv`` (each valid row's state,
msgid or error).  UTF-8 with a BOM, so that Excel shows the Chinese; 0600 like every file
this tool writes (they list customers' numbers); replaced whole, never half written, a link
at their path replaced itself and never written through.  A cell that a spreadsheet would run
as a formula is neutralised (:func:`~fivec_tui.text.csv_row`).
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Sequence
from pathlib import Path

from ...private_files import replacing
from ...text import csv_row
from .validate import Reject


def rejects_path(source: str | Path) -> Path:
    return Path(f"{source}.rejected.csv")


def results_path(source: str | Path) -> Path:
    return Path(f"{source}.results.csv")


def _write(path: str | Path, header: Sequence[str], rows: Iterable[Sequence]) -> None:
    with replacing(path, "w", encoding="utf-8-sig", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(csv_row(header))
        writer.writerows(csv_row(row) for row in rows)


def write_rejects(path: Path, header: Sequence[str], rejects: Sequence[Reject]) -> None:
    rows = ([r.row, r.reason, r.detail, *r.cells] for r in rejects)
    _write(path, ["row", "reason", "detail", *header], rows)


def write_results(path: str | Path, rows: Iterable[Sequence]) -> None:
    """``rows``: ``(row, mobile, state, msgid, error)`` as the journal gives them."""
    _write(path, ["row", "mobile", "state", "msgid", "error"], rows)
