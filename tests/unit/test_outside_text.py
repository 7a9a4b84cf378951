"""Outside text in the CLI's lines and in the config: a byte-order mark is accepted, control
and right-to-left characters are shown escaped, as the TUI shows them."""

from __future__ import annotations

import json
import re
import subprocess
import sys

from clirun import empty_config, run

from fivec_tui.config import read_config
from fivec_tui.config.write import write_profile
from fivec_tui.store import Store
from fivec_tui.text import visible

BOM = "\ufeff"
RLO = "\u202e"


def test_a_config_saved_with_a_byte_order_mark_reads(tmp_path):
    path = tmp_path / "config.toml"
    path.write_text(BOM + '[profiles.default]\nusername = "demo"\n', encoding="utf-8")
    assert read_config(path).profile("default").username == "demo"
    write_profile(path, "second", {"username": "other"})  # rewritten in place, read again
    assert read_config(path).profile("second").username == "other"


def test_a_profile_name_is_escaped_in_the_cli_error(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f'[profiles."ev{RLO}il"]\nusername = "x"\n', encoding="utf-8")
    code, _out, err = run({"FIVEC_CONFIG": str(config)}, "--profile", "nope", "stats")
    assert code == 2 and RLO not in err and "ev\\u202eil" in err


def test_outside_text_in_cli_lines_is_escaped_and_json_keeps_it(tmp_path):
    db = tmp_path / "c.db"
    store = Store(db)
    text = f"\x1b[2J\x1b]0;owned\x07 {RLO}gnp.exe"
    store.insert("alerts", {"at": 1.7e9, "rule": "r", "state": "fired", "message": text})
    store.close()
    env = {"FIVEC_CONFIG": empty_config(tmp_path / "none.toml"), "FIVEC_DB": str(db)}
    code, out, _err = run(env, "alerts")
    assert code == 0 and visible(text) in out
    assert "\x1b" not in out and RLO not in out
    code, out, _err = run(env, "alerts", "--json")
    assert json.loads(out)[0]["message"] == text


def test_visible_keeps_line_breaks_only_when_asked():
    assert visible("a\nb\tc") == "a\\x0ab c"
    assert visible("a\nb\x07", lines=True) == "a\nb\\x07"


def test_outside_text_in_the_markdown_report_is_escaped(tmp_path):
    """An alert's message (a server's words) in ``report``'s Markdown, on stdout or in a file
    read later with cat: no control sequence, no reordering."""
    db = tmp_path / "c.db"
    store = Store(db)
    text = f"\x1b[2J\x1b]0;owned\x07 {RLO}gnp.exe"
    store.insert("alerts", {"at": 1.7e9, "rule": "r", "state": "fired", "message": text})
    store.close()
    env = {"FIVEC_CONFIG": empty_config(tmp_path / "none.toml"), "FIVEC_DB": str(db)}
    span = ("--from", "2023-11-14T22:00:00+00:00", "--to", "2023-11-14T23:00:00+00:00")
    code, out, err = run(env, "report", *span)
    assert code == 0, err
    assert visible(text) in out and "\x1b" not in out and RLO not in out


def test_a_log_line_escapes_outside_text_and_cannot_forge_a_line(tmp_path):
    log = tmp_path / "poll.log"
    code = (
        "import sys; from pathlib import Path; from fivec_tui.config import Profile;"
        "from fivec_tui.sync.daemon import setup_logging, log;"
        "setup_logging(Profile('t').secrets(), Path(sys.argv[1]));"
        "log.warning('records failed: %s', sys.argv[2])"
    )
    text = f"\x1b]0;owned\x07 {RLO}gnp.exe\n2026-01-01 00:00:00 INFO fivec_tui: all good"
    done = subprocess.run([sys.executable, "-c", code, str(log), text], capture_output=True)
    assert done.returncode == 0, done.stderr
    for written in (log.read_text(encoding="utf-8"), done.stderr.decode()):
        (line,) = written.splitlines()
        assert line.endswith("records failed: " + visible(text)), line
        # its time in the display zone with the offset (Beijing by default), host in UTC
        assert re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{3}\+08:00 WARNING ", line), line


def _on_a_terminal(env: dict[str, str], *args: str) -> bytes:
    """What the command writes on standard output when that is a terminal."""
    import os
    import pty

    master, slave = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "fivec_tui", *args],
        stdout=slave,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **env},
    )
    os.close(slave)
    out = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    assert proc.wait(60) == 0
    os.close(master)
    return out


def test_an_export_read_on_a_terminal_cannot_drive_it_and_a_pipe_gets_it_exact(tmp_path):
    """A reply's ESC[2J and OSC 52 went to the operator's terminal byte for byte."""
    db = tmp_path / "c.db"
    store = Store(db)
    text = f"\x1b[2J\x1b]52;c;ZXZpbA==\x07 {RLO}"
    store.insert("replies", {"key": "k", "mobile": "13800138000", "content": text, "clean": 1})
    store.close()
    env = {"FIVEC_CONFIG": empty_config(tmp_path / "none.toml"), "FIVEC_DB": str(db)}
    for fmt in ("csv", "jsonl"):
        shown = _on_a_terminal(env, "export", "replies", "--format", fmt)
        assert b"\x1b" not in shown and b"\x07" not in shown and RLO.encode() not in shown
        assert b"[2J" in shown  # said, escaped
    code, out, _err = run(env, "export", "replies", "--format", "csv")
    assert code == 0 and text in out  # a file or a pipe: exact


def test_a_status_cannot_forge_a_line_or_turn_text_in_an_alert_or_stats(tmp_path):
    """A pushed status 'A\\nALERT firing fake' made a line of its own in FIVEC_ALERT_MESSAGE,
    the webhook, the TUI's alert and `stats`; U+202E reversed the robots' text."""
    import time

    from fivec_tui.sync import robots
    from fivec_tui.sync.condition import codes_text, top_codes

    forged, turned = "A\nALERT firing fake: all good", f"M{RLO}GNIRT:9999"
    top = top_codes({forged: 80, turned: 70, "MK:0001": 1})
    assert (
        codes_text(top)
        == "A\\x0aALERT firing fake: all good ×80, M\\u202eGNIRT:9999 ×70, MK:0001 ×1"
    )
    assert RLO not in robots._inert(turned) and "\n" not in robots._inert(forged)
    db = tmp_path / "c.db"
    store = Store(db)
    now = time.time()
    from datetime import UTC, datetime

    from fivec_tui.api import Record, Report
    from fivec_tui.store import ingest_items

    def at(ts: float) -> datetime:
        return datetime.fromtimestamp(ts, UTC)

    for i, status in enumerate((forged, turned)):
        msgid, mobile = f"1000000000000{i}", f"1380013800{i}"
        ingest_items(store, "records", [Record("u", msgid, (mobile,), "x", at(now - 60))])
        ingest_items(store, "reports", [Report(msgid, mobile, status, at(now - 30))])
    store.close()
    env = {"FIVEC_CONFIG": empty_config(tmp_path / "none.toml"), "FIVEC_DB": str(db)}
    code, out, _err = run(env, "stats", "--window", "1h")
    assert code == 0 and not [line for line in out.splitlines() if line.startswith("ALERT")]
    assert RLO not in out and "A\\x0aALERT" in out and "M\\u202eGNIRT" in out
