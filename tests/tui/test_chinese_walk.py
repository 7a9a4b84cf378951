"""Every screen at 80x24 in Chinese, as a newcomer walks them: no English word on screen but
what is the same in both languages (codes such as ``DELIVRD`` or ``MK:0001``, key names, the
product's name, URLs, the input syntax of a time) or the account's own data (replies, alert
texts, usernames, what the platform answered); and no full-width closing mark (。，）) at a
line's start."""

from __future__ import annotations

import re
import sqlite3

import pytest
from scenes import (
    accounts_app,
    audit_app,
    bulk_snapshot_app,
    day_app,
    fill_bulk_form,
    screens_app,
    settle,
)

from fivec_tui.app.format import visible
from fivec_tui.sync.alerts import Condition, Event

WORD = re.compile(r"[A-Za-z][A-Za-z0-9_.:/@'\-]*[A-Za-z0-9]|[A-Za-z]")
#: Words that are the same in both languages.
SAME = {
    *("fivec-tui", "msgid", "apikey", "p50", "p95"),
    *("esc", "enter", "ctrl", "shift", "tab", "pgup", "pgdn", "home", "end", "space"),
    *("now", "today", "yesterday", "column"),  # what is typed: WHEN forms, {column}
    *("sudo", "ssh", "tui", "cli", "serve"),  # how an action came (the audit trail)
}
CLOSING = "。，、；：）」』！？"
#: The cache's columns that hold what came from outside (the platform, people, the alert
#: texts as written in the profile's language); the others are the program's own words.
OUTSIDE = {
    "records": "content, username",
    "replies": "content, raw",
    "blacklist_lookups": "description",
    "poll_runs": "error",
    "job_health": "last_error",
    "alerts": "message, payload",
    "subaccounts": "username, status",
    "audit": "user, uid_user, sudo_user, host, text, detail, args",
}


def same_in_both(word: str, data: set[str]) -> bool:
    return (
        word in SAME
        or len(word) == 1  # a key
        or re.fullmatch(r"[A-Z0-9:_\-]+|T\d\d:\d\d|\^\w|[0-9a-f]{8,}", word) is not None  # codes
        or word.startswith(("http://", "https://"))
        or any(word in d for d in data)  # the account's data (a word cut at the edge too)
    )


def data_words(app) -> set[str]:
    """Every word of the account's own data, as stored and as shown (control characters made
    visible): the caches' text, the profiles, the notes."""
    text = [app.note, app.profile.username, app.profile.name]
    stores = [app.store.path, *(a.store.path for a in app.accounts.values())]
    for path in stores:
        conn = sqlite3.connect(path)
        for table, columns in OUTSIDE.items():
            for row in conn.execute(f"SELECT {columns} FROM {table}"):
                text += [v for v in row if isinstance(v, str)]
        conn.close()
    for name, hosted in app.accounts.items():
        text += [name, hosted.note, hosted.profile.username]
    text += [visible(t) for t in text if t]
    return {w for t in text for w in WORD.findall(t or "")}


def screen_lines(app) -> list[str]:
    return [strip.text for strip in app.screen._compositor.render_strips()]


def problems(app, view: str, data: set[str]) -> list[str]:
    found = []
    for line in screen_lines(app):
        english = [w for w in WORD.findall(line) if not same_in_both(w, data)]
        if english:
            found.append(f"{view}: {english} in {line.strip()!r}")
        start = line.strip(" │┃▊▎▌█▏║▔▁")
        if start[:1] and start[0] in CLOSING:
            found.append(f"{view}: a line starts with {start[0]}: {line.strip()!r}")
    return found


async def walk(app, views: list[tuple[str, tuple[str, ...]]]) -> list[str]:
    found = []
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(pilot)
        data = data_words(app)
        for view, keys in views:
            for key in keys:
                await pilot.press(key)
                await settle(pilot)
            await pilot.pause(0.2)
            await settle(pilot)
            found += problems(app, view, data)
        if app.accounts:
            return found
        app.alert(Event("firing", Condition("delivery_rate", "all", True, "到达率 57.1%"), 0))
        await pilot.pause(0.2)
        found += problems(app, "alert toast", data)
    return found


EVERY_SCREEN = [
    ("dashboard", ()),
    ("replies", ("r",)),
    ("messages", ("m",)),
    ("send", ("s", "escape")),
    ("bulk", ("f", "escape")),
    ("blacklist", ("b", "escape")),
    ("alerts", ("a",)),
    ("sub-accounts", ("u",)),
    ("new sub-account", ("n",)),
    ("timeline", ("escape", "t")),
    ("audit", ("w",)),
    ("keys", ("question_mark",)),
    ("keys, their end", ("end",)),
    ("a moment", ("escape", "@")),
    ("accounts (one)", ("escape", "A")),
]
PAST = [(f"{view} at a past moment", keys) for view, keys in EVERY_SCREEN[:8]]
PAST += [("known now", ("K",))]


@pytest.mark.parametrize(
    "scene",
    ["every screen", "several accounts", "a past moment", "a bulk preview", "an audit trail"],
)
async def test_no_english_left_in_the_chinese_interface(chinese, tmp_path, customers, scene):
    if scene == "every screen":
        found = await walk(screens_app(tmp_path), EVERY_SCREEN)
    elif scene == "several accounts":
        views = [("overview", ()), ("its failing one", ("down", "down")), ("alerts", ("a",))]
        found = await walk(accounts_app(tmp_path), views)
    elif scene == "an audit trail":
        found = await walk(audit_app(tmp_path), [("audit", ("w",))])
    elif scene == "a past moment":
        from scenes import day_cache

        found = await walk(day_app(day_cache(tmp_path / "day.db")), PAST)
    else:
        app = bulk_snapshot_app(tmp_path, customers)
        async with app.run_test(size=(80, 24)) as pilot:
            await fill_bulk_form(pilot)
            header = set(WORD.findall(customers.read_text("gbk").splitlines()[0]))
            found = problems(app, "bulk preview", data_words(app) | header | {"customers.csv"})
    assert found == []
