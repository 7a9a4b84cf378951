"""``fivec-tui report``: the demo scenario's outage, cached as the poller would, written up.

The demo's traffic (its China Mobile outage from minute 3 to 6) runs on a virtual clock, with
the same traffic without the outage the day before as the baseline.  The Markdown report's numbers equal
``stats --at`` over the same span; the HTML one opens in headless Chromium, whose screenshot
must not be blank, and its rate chart must dip in the outage.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import zlib
from datetime import UTC, datetime

import pytest
from click.testing import CliRunner
from clirun import empty_config

from fivec_tui.api.parse import parse_records
from fivec_tui.cli import main
from fivec_tui.sim import wire
from fivec_tui.sim.scenario import load
from fivec_tui.sim.server import SimServer
from fivec_tui.sim.state import Platform
from fivec_tui.sim.traffic import Traffic
from fivec_tui.store import Store, ingest_items, ingest_journal, journal

T0 = datetime(2026, 11, 20, 2, 0, tzinfo=UTC).timestamp()  # 10:00 in Beijing
MINUTES = 10
OUTAGE = (T0 + 180, T0 + 360)


def run_scenario(store: Store, start: float, seconds: int, *, outage: bool = True) -> None:
    """The demo's traffic from ``start`` (without its outage: a normal day), pulled every 5 s
    and records every 30 s."""
    clock = [start]
    scenario = load("demo")
    if not outage:
        scenario.phases = []
    platform = Platform(scenario, seed=int(start) % 997, clock=lambda: clock[0])  # own msgids
    traffic = Traffic(SimServer(platform, 1))
    user, chunk = platform.main.username, platform.scenario.chunk
    records_from = start
    for second in range(1, seconds + 120):  # two more minutes: the last reports come in
        if second < seconds:
            traffic.step(1.0)
        clock[0] += 1.0
        if second % 5 == 0:
            while body := platform.pull_reports(user, chunk):
                ingest_journal(
                    store, journal(store, "reports", "pull", wire.reports_body(body, False))
                )
            if taken := platform.pull_replies(1000, debug=False):
                body = wire.replies_body(taken, "utf-8")
                ingest_journal(store, journal(store, "replies", "pull", body, "UTF-8"))
        if second % 30 == 0:
            messages = platform.records_between(user, records_from, clock[0])
            ingest_items(store, "records", parse_records(wire.records_body(messages, "utf-8")))
            records_from = clock[0] + 1


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    path = tmp_path_factory.mktemp("report") / "c.db"
    store = Store(path)
    run_scenario(store, T0 - 86400, MINUTES * 60, outage=False)
    run_scenario(store, T0, MINUTES * 60)
    with store.transaction() as conn:
        conn.executemany(
            "INSERT INTO alerts(at, rule, state, message, payload) VALUES (?, ?, ?, ?, '{}')",
            [
                (T0 + 240, "delivery_rate", "firing", "delivery rate 41% < 90%"),
                (T0 + 420, "delivery_rate", "resolved", "delivery rate back to 96%"),
            ],
        )
        conn.executemany(
            "INSERT INTO balance(at, remaining, total) VALUES (?, ?, 250000)",
            [(T0 + 60 * m, 200000 - 40 * m) for m in range(MINUTES + 1)],
        )
    store.close()
    return path


def invoke(cache, tmp_path, *args) -> str:
    env = {"FIVEC_DB": str(cache), "FIVEC_CONFIG": empty_config(tmp_path / "none.toml")}
    result = CliRunner().invoke(main, list(args), env=env, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.stdout


SPAN = [
    "--from",
    datetime.fromtimestamp(T0, UTC).isoformat(),
    "--to",
    datetime.fromtimestamp(T0 + MINUTES * 60, UTC).isoformat(),
]


def _table(md: str, title: str) -> dict[str, str]:
    section = md.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]
    rows = [line.split(" | ") for line in section.splitlines() if line.startswith("| ")]
    return {r[0].removeprefix("| "): r[1].removesuffix(" |") for r in rows[1:]}


def test_markdown_numbers_equal_stats_at(cache, tmp_path):
    md = invoke(cache, tmp_path, "--lang", "en", "report", *SPAN, "--compare", "1")
    stats = json.loads(
        invoke(
            cache,
            tmp_path,
            "stats",
            "--at",
            SPAN[3],
            "--window",
            f"{MINUTES}m",
            "--json",
        )
    )
    summary = _table(md, "Summary")
    for key in ("sent", "delivered", "failed", "pending"):
        assert int(summary[key]) == stats[key], key
    assert summary["delivery rate"] == f"{stats['delivery_rate']:.1%}"
    assert stats["sent"] > 1000 and stats["failed"] > 50
    # the outage: minutes below the floor inside it, the baseline (no outage) well above
    first, last = summary["first minute below the floor"], summary["last minute below the floor"]
    assert "10:03" <= first.split()[1] <= "10:06" and "10:03" <= last.split()[1] <= "10:07"
    assert float(summary["baseline rate (same minutes, previous 1 days)"].rstrip("%")) > 90
    failures = md.split("## Failures by family and code\n", 1)[1].split("\n## ")[0]
    assert "MA:0054" in failures
    assert "delivery_rate" in md.split("## Alerts fired and resolved\n", 1)[1]
    # per-minute rows add up to the summary
    minutes = md.split("## Per minute\n", 1)[1].strip().splitlines()[2:]
    assert sum(int(row.split(" | ")[1]) for row in minutes) == stats["sent"]


def _points(svg: str, gid: str) -> list[tuple[float, float]]:
    group = re.search(rf'<g id="{gid}">(.*?)</g>', svg, re.S)
    assert group, gid
    d = re.search(r'<path d="([^"]+)"', group[1])[1]
    nums = [float(x) for x in re.findall(r"-?\d+(?:\.\d+)?", d)]
    return list(zip(nums[::2], nums[1::2], strict=True))


def test_html_is_self_contained_and_dips(cache, tmp_path):
    out = tmp_path / "incident.html"
    invoke(cache, tmp_path, "report", *SPAN, "--compare", "1", "--output", str(out))
    html = out.read_text("utf-8")
    assert html.startswith("<!DOCTYPE html>") and "@media print" in html
    assert not re.search(r"(src|href)=\"?(https?:)?//", html)  # nothing fetched at view time
    assert "<script" not in html
    rate = _points(html, "rate")
    assert len(rate) >= MINUTES  # a point per minute with reports
    # SVG y grows downwards: the lowest rate is the largest y, inside the outage's minutes
    xs = [x for x, _ in rate]
    lowest = max(rate, key=lambda p: p[1])
    share = (lowest[0] - xs[0]) / (xs[-1] - xs[0])
    assert 3 / MINUTES <= share <= 7 / MINUTES
    assert lowest[1] - min(y for _, y in rate) > 30  # a dip (about 15 points of rate), not noise
    assert _points(html, "baseline-rate")


def test_html_in_chinese(cache, tmp_path):
    out = tmp_path / "zh.html"
    invoke(cache, tmp_path, "--lang", "zh", "report", *SPAN, "--output", str(out))
    html = out.read_text("utf-8")
    assert 'lang="zh-CN"' in html and "事故报告" in html


def test_bad_spans_refused(cache, tmp_path):
    env = {"FIVEC_DB": str(cache), "FIVEC_CONFIG": empty_config(tmp_path / "none.toml")}
    for args in (
        ["--from", "-1h", "--to", "-2h"],
        ["--from", "-8d"],
        ["--from", "-1h", "--output", str(tmp_path / "x.pdf")],
    ):
        result = CliRunner().invoke(main, ["report", *args], env=env)
        assert result.exit_code == 2, args


def _png_not_blank(png: bytes) -> bool:
    """Distinct pixel rows in an 8-bit RGB(A) PNG: a blank page has one."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")
    depth, colour = png[24], png[25]
    data, pos = b"", 8
    while pos < len(png):
        length = int.from_bytes(png[pos : pos + 4], "big")
        if png[pos + 4 : pos + 8] == b"IDAT":
            data += png[pos + 8 : pos + 8 + length]
        pos += length + 12
    raw = zlib.decompress(data)
    channels = {2: 3, 6: 4}[colour]
    assert depth == 8 and width > 0
    stride = width * channels + 1
    rows = {raw[i * stride + 1 : (i + 1) * stride] for i in range(height)}
    return len(rows) > 20


@pytest.mark.skipif(
    shutil.which("chromium") is None, reason="chromium is not installed (.ci/run installs it)"
)
def test_html_renders_in_headless_chromium(cache, tmp_path):
    out = tmp_path / "incident.html"
    invoke(cache, tmp_path, "--lang", "zh", "report", *SPAN, "--compare", "1", "--output", str(out))
    shot = tmp_path / "shot.png"
    subprocess.run(
        [
            "chromium",
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-background-networking",
            "--disable-component-update",
            "--no-first-run",
            f"--user-data-dir={tmp_path / 'profile'}",
            f"--screenshot={shot}",
            "--window-size=1000,1400",
            out.as_uri(),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert _png_not_blank(shot.read_bytes())


def test_matplotlib_is_loaded_by_the_html_report_only():
    code = (
        "import sys\nsys.argv = ['fivec-tui', 'report', '--help']\n"
        "from fivec_tui.__main__ import run\ntry:\n    run()\nexcept SystemExit:\n    pass\n"
        "import fivec_tui.report.markdown, fivec_tui.cli.main\n"
        "print(any(m.split('.')[0] == 'matplotlib' for m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.splitlines()[-1] == "False"


def test_html_without_matplotlib_says_what_to_install(cache, tmp_path, monkeypatch):
    import fivec_tui.report

    monkeypatch.setitem(sys.modules, "fivec_tui.report.charts", None)  # import fails
    monkeypatch.delattr(fivec_tui.report, "charts", raising=False)
    env = {"FIVEC_DB": str(cache), "FIVEC_CONFIG": empty_config(tmp_path / "none.toml")}
    out = tmp_path / "x.html"
    result = CliRunner().invoke(main, ["report", *SPAN, "--output", str(out)], env=env)
    assert result.exit_code == 2 and "fivec-tui[report]" in result.output
    assert not out.exists()
