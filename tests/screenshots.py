"""The READMEs' screenshots: the dashboard's 160x48 snapshots, with wide text given its width.

Rich's SVG export sizes each run of text by its number of characters (``textLength``), so a
Chinese character, two cells on the terminal, is squeezed into one and overlaps the next
run; here each run is sized by its cells instead.  ``python tests/screenshots.py`` writes
``fivec_tui/docs/dashboard.svg`` and ``dashboard.zh-CN.svg``; ``tests/unit/test_docs.py``
fails when they differ from what the snapshots give now.
"""

from __future__ import annotations

import html
import re
from pathlib import Path

from rich.cells import cell_len

ROOT = Path(__file__).resolve().parents[1]
SNAPSHOTS = ROOT / "tests/tui/__snapshots__/test_snapshots"
#: Each screenshot and the snapshot it is made from.
SCREENSHOTS = {
    ROOT / "fivec_tui/docs/dashboard.svg": SNAPSHOTS / "test_screen_snapshot[dashboard-160x48].svg",
    ROOT / "fivec_tui/docs/dashboard.zh-CN.svg": SNAPSHOTS
    / "test_screen_snapshot_zh[dashboard-160x48].svg",
}
TEXT_RUN = re.compile(r'(<text [^>]*?textLength=")([\d.]+)("[^>]*>)([^<]*)(</text>)')


def widened(svg: str) -> str:
    """``svg`` with each run holding a wide character sized by its cells, not its
    characters."""

    def run(m: re.Match) -> str:
        text = html.unescape(m[4])
        cells = cell_len(text)
        if cells <= len(text):  # no wide character: as Rich sized it
            return m[0]
        length = round(float(m[2]) / len(text) * cells, 2)
        return f"{m[1]}{length:g}{m[3]}{m[4]}{m[5]}"

    return TEXT_RUN.sub(run, svg)


def screenshot(snapshot: Path) -> str:
    return widened(snapshot.read_text("utf-8"))


if __name__ == "__main__":
    for target, snapshot in SCREENSHOTS.items():
        target.write_text(screenshot(snapshot), "utf-8")
        print(target)
