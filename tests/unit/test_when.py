"""WHEN forms: ISO, now, relative, and the day forms (in the display zone); the display zone
itself (``[app] timezone``): every time shown and typed, whatever the host's ``TZ``."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import pytest
from click.testing import CliRunner

from fivec_tui import when
from fivec_tui.cli import main
from fivec_tui.when import parse_when, parse_window

NOW = datetime(2026, 11, 26, 12, 30, tzinfo=UTC)


@pytest.fixture
def host(monkeypatch):
    """Set the host's TZ for the test (the display zone must not follow it)."""

    def use(name: str) -> None:
        monkeypatch.setenv("TZ", name)
        time.tzset()

    yield use
    monkeypatch.undo()
    time.tzset()


@pytest.fixture
def zone():
    """Set the display zone for the test; the platform's again after it."""
    yield when.use_zone
    when.use_zone(when.PLATFORM_ZONE)


@pytest.mark.parametrize("host_tz", ["UTC", "Asia/Shanghai", "America/New_York"])
def test_day_forms_and_naive_times_are_the_display_zone_whatever_the_host(host, host_tz):
    host(host_tz)
    y = parse_when("yesterday 03:00", NOW)  # NOW is 20:30 in Beijing
    assert y.isoformat() == "2026-11-25T03:00:00+08:00"
    assert parse_when("today 03:00:15", NOW).isoformat() == "2026-11-26T03:00:15+08:00"
    late = datetime(2026, 11, 26, 17, 0, tzinfo=UTC)  # already the 27th in Beijing
    assert parse_when("today 03:00", late).isoformat() == "2026-11-27T03:00:00+08:00"
    assert parse_when("Today 23:59", NOW).isoformat() == "2026-11-26T23:59:00+08:00"
    assert parse_when("2026-11-25T10:00").isoformat() == "2026-11-25T10:00:00+08:00"
    assert when.show_full(NOW.timestamp()) == "2026-11-26 20:30:00 +08:00"


def test_another_display_zone_is_shown_and_read_with_its_offset(host, zone):
    host("Asia/Shanghai")
    zone("America/New_York")  # -05:00 in November, -04:00 in July
    assert parse_when("2026-11-25T10:00").isoformat() == "2026-11-25T10:00:00-05:00"
    assert parse_when("2026-07-01T10:00").isoformat() == "2026-07-01T10:00:00-04:00"
    assert parse_when("today 03:00", NOW).isoformat() == "2026-11-26T03:00:00-05:00"
    assert when.show_full(NOW.timestamp()) == "2026-11-26 07:30:00 -05:00"
    assert when.iso(NOW.timestamp()) == "2026-11-26T07:30:00-05:00"
    zone("UTC")
    assert when.show_full(NOW.timestamp()) == "2026-11-26 12:30:00 UTC"
    assert when.zone_label(NOW.timestamp()) == "UTC"


def test_local_is_the_hosts_zone_at_each_moment(host, zone):
    zone("local")
    host("America/New_York")
    assert when.show_full(NOW.timestamp()) == "2026-11-26 07:30:00 -05:00"
    assert when.zone_label(datetime(2026, 7, 1, tzinfo=UTC).timestamp()) == "-04:00"
    assert parse_when("2026-07-01T10:00").isoformat() == "2026-07-01T10:00:00-04:00"
    host("UTC")
    assert when.show_full(NOW.timestamp()) == "2026-11-26 12:30:00 UTC"


@pytest.mark.parametrize("bad", ["Mars/Olympus", "Asia", "../../etc/passwd", "", "a\x00b"])
def test_a_zone_that_is_none_is_refused(bad):
    with pytest.raises(ValueError):
        when.zone_named(bad)


def test_a_platform_time_field_is_shown_in_the_display_zone(zone):
    assert when.platform_time("2026-11-24 10:00:00") == "11-24 10:00:00"
    zone("UTC")
    assert when.platform_time("2026-11-24 10:00:00") == "11-24 02:00:00"
    assert when.platform_time("2026-11-24 10:00:00", full=True) == "2026-11-24 02:00:00 UTC"
    assert when.platform_time("yesterday-ish") == "yesterday-ish"  # not a time: as it came


def _stats(tmp_path, config: str, *args):
    (tmp_path / "c.toml").write_text(config)
    from fivec_tui.store import Store

    Store(tmp_path / "c.db").close()
    env = {"FIVEC_CONFIG": str(tmp_path / "c.toml"), "FIVEC_DB": str(tmp_path / "c.db")}
    return CliRunner().invoke(main, ["stats", *args], env=env)


def test_the_config_sets_the_zone_of_what_the_cli_reads_and_says(tmp_path, zone):
    at = "2026-11-25T10:00:00"
    result = _stats(tmp_path, '[app]\ntimezone = "UTC"\n', "--at", at)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[0] == "at 2026-11-25 10:00:00 UTC, as it was then"
    result = _stats(tmp_path, "", "--at", at)
    assert result.stdout.splitlines()[0] == "at 2026-11-25 10:00:00 +08:00, as it was then"
    result = _stats(tmp_path, "", "--at", at, "--known-now", "--json")
    assert json.loads(result.stdout)["sent"] == 0


def test_a_bad_zone_is_a_config_error_naming_file_table_and_key(tmp_path):
    result = _stats(tmp_path, '[app]\ntimezone = "Mars/Olympus"\n')
    assert result.exit_code == 2
    assert f"{tmp_path / 'c.toml'}: [app] timezone: expected local or an IANA" in result.output
    assert 'got "Mars/Olympus"' in result.output
    assert when.zone_name() == when.PLATFORM_ZONE  # the zone before it stays


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
    with pytest.raises(ValueError, match="out of range: a time from 2000 to 2099"):
        parse_when(huge, NOW)


@pytest.mark.parametrize(
    "edge",
    [
        "0001-01-01T00:00",
        "0001-01-01T00:00+14:00",
        "9999-12-31T23:59",
        "1999-12-31T23:59:59Z",
        "2100-01-01T00:00Z",
        "-26000w",
    ],
)
@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Etc/GMT+12", "UTC"])
def test_the_ends_of_the_calendar_are_refused_in_every_zone(edge, zone):
    """An OverflowError from the calendar's ends crashed stats, report, send and the TUI."""
    when.use_zone(zone)
    try:
        with pytest.raises(ValueError, match="out of range"):
            parse_when(edge, NOW)
        assert parse_when("2000-01-01T00:00Z", NOW).timestamp() == when.EARLIEST
    finally:
        when.use_zone(when.PLATFORM_ZONE)


@pytest.mark.parametrize("text", ["9" * 400 + "h", "0m", "400d", "1 fortnight"])
def test_a_window_too_long_empty_or_unknown_is_a_clear_error(text):
    with pytest.raises(ValueError, match="bad window"):
        parse_window(text)


def test_windows_people_type():
    assert parse_window("24h") == parse_window("1d") == 86400
    assert parse_window("5m") == 300


@pytest.mark.parametrize("past", ["-1h", "yesterday 03:00", "2026-11-26T12:28:59Z"])
def test_a_send_scheduled_in_the_past_is_refused(past):
    """The platform sends a past startTime at once: what was meant for later went now."""
    with pytest.raises(ValueError, match="is in the past: leave the time out to send now"):
        when.parse_schedule(past, NOW)
    assert when.parse_schedule("-30s", NOW) == NOW - timedelta(seconds=30)  # a clock behind
    assert when.parse_schedule("+10m", NOW) == NOW + timedelta(minutes=10)


def test_send_at_in_the_past_exits_2_before_any_request(tmp_path):
    from clirun import empty_config

    env = {"FIVEC_CONFIG": empty_config(tmp_path / "c.toml"), "FIVEC_DB": str(tmp_path / "c.db")}
    env |= {"FIVEC_USERNAME": "u", "FIVEC_PASSWORD_MD5": "0" * 32, "FIVEC_APIKEY": "k"}
    env["FIVEC_BASE_URL"] = "http://127.0.0.1:9"  # nothing listens: a request would say so
    args = ["send", "--to", "13800138000", "--content", "x【y】", "--at", "-1h", "--yes"]
    result = CliRunner().invoke(main, args, env=env)
    assert result.exit_code == 2 and "is in the past" in result.output


def test_now_is_the_live_view_not_a_moment_past():
    """``demo --at now`` opened the past view: "now" was read a moment before it was used."""
    from fivec_tui.when import past

    now = parse_when("now").timestamp()
    assert past(now) is None and past(now + 3600) is None
    assert past(now - 60) == now - 60
