"""WHEN forms: ISO, now, relative, and the day forms (local time)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from fivec_tui.when import parse_when, parse_window

NOW = datetime(2026, 11, 26, 12, 30, tzinfo=UTC)


def test_day_forms_are_local_time(monkeypatch):
    monkeypatch.setenv("TZ", "Asia/Shanghai")
    import time

    time.tzset()
    try:
        y = parse_when("yesterday 03:00", NOW)  # NOW is 20:30 in Beijing
        assert y.isoformat() == "2026-11-25T03:00:00+08:00"
        assert parse_when("today 03:00:15", NOW).isoformat() == "2026-11-26T03:00:15+08:00"
        late = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)  # already the 27th in Beijing
        assert parse_when("today 03:00", late).isoformat() == "2026-11-27T03:00:00+08:00"
        assert parse_when("Today 23:59", NOW).isoformat() == "2026-11-26T23:59:00+08:00"
    finally:
        monkeypatch.undo()
        time.tzset()


@pytest.mark.parametrize("bad", ["yesterday 25:00", "today 3", "tomorrow 03:00", "today 03:61"])
def test_bad_day_forms_are_refused(bad):
    with pytest.raises(ValueError, match="yesterday 03:00"):
        parse_when(bad, NOW)


def test_other_forms_unchanged():
    assert parse_when("now", NOW) == NOW
    assert parse_when("-2h", NOW) == datetime(2026, 11, 26, 10, 30, tzinfo=UTC)
    assert parse_when("2026-11-25T10:00+08:00", NOW).isoformat() == "2026-11-25T10:00:00+08:00"


@pytest.mark.parametrize("huge", ["-99999999999d", "+9999999d", "-1000000000w"])
def test_out_of_range_offsets_are_refused_not_crashed(huge):
    with pytest.raises(ValueError, match="bad time"):
        parse_when(huge, NOW)


@pytest.mark.parametrize("text", ["9" * 400 + "h", "0m", "400d", "1 fortnight"])
def test_a_window_too_long_empty_or_unknown_is_a_clear_error(text):
    with pytest.raises(ValueError, match="bad window"):
        parse_window(text)


def test_windows_people_type():
    assert parse_window("24h") == parse_window("1d") == 86400
    assert parse_window("5m") == 300
