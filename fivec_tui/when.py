"""Times as people read and type them: one display zone for all of them, one parser.

Every time a person reads (screens, toasts, the CLI's text, reports, alert texts) is shown in
the display zone, ``[app] timezone``: by default ``Asia/Shanghai``, the platform's clock,
which every report, reply and record carries; ``local``, the host's; or any IANA name.  A
time typed without an offset (``2026-11-25T03:00``, ``today 03:00``) means that zone too,
whatever ``TZ`` the host has, so what is typed reads back unchanged.  The CLI sets the zone
from the config before it parses anything (:func:`use_zone`).
"""

from __future__ import annotations

import math
import re
import time
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .i18n import _

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_RELATIVE = re.compile(r"^([+-])(\d+(?:\.\d+)?)\s*([smhdw])$")
#: The longest window anything reads: a year (retention is counted in days).
MAX_WINDOW_S = 366 * 86400
_WINDOW = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_DAY = re.compile(r"^(today|yesterday)\s+(\d{1,2}):(\d{2})(?::(\d{2}))?$")

#: The platform's clock: the default display zone.
PLATFORM_ZONE = "Asia/Shanghai"
LOCAL = "local"
#: Zones with one offset for good, usable without the zone database (``tzdata``).
_FIXED = {PLATFORM_ZONE: timezone(timedelta(hours=8)), "UTC": UTC, "Etc/UTC": UTC}

TIME = "%H:%M:%S"
DATE_TIME = "%m-%d %H:%M:%S"
FULL = "%Y-%m-%d %H:%M:%S"


class _Local(tzinfo):
    """The host's zone (``TZ``, ``/etc/localtime``) at each instant, DST included, read from
    the C library whenever asked: the Python documentation's ``LocalTimezone``."""

    def fromutc(self, dt: datetime) -> datetime:
        ts = (dt.replace(tzinfo=None) - datetime(1970, 1, 1)).total_seconds()
        return dt + timedelta(seconds=time.localtime(ts).tm_gmtoff)

    def utcoffset(self, dt: datetime | None) -> timedelta:
        return timedelta(seconds=self._wall(dt).tm_gmtoff)

    def dst(self, dt: datetime | None) -> timedelta:
        return timedelta(hours=1) if self._wall(dt).tm_isdst > 0 else timedelta(0)

    def tzname(self, dt: datetime | None) -> str:
        return self._wall(dt).tm_zone

    @staticmethod
    def _wall(dt: datetime | None) -> time.struct_time:
        if dt is None:
            return time.localtime()
        fields = (dt.year, dt.month, dt.day, dt.hour, dt.minute, dt.second, 0, 0, -1)
        return time.localtime(time.mktime(fields))


def zone_named(name: str) -> tzinfo:
    """The zone ``name`` names: ``local`` or an IANA name; ValueError when there is none."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(name)
    name = name.strip()
    if name.lower() == LOCAL:
        return _Local()
    if name.lower() == "utc":
        name = "UTC"
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):  # OSError: a directory (``Asia``)
        if name in _FIXED:  # no zone database here (no tzdata): the fixed offset is exact
            return _FIXED[name]
        raise ValueError(name) from None


_zone: tzinfo = zone_named(PLATFORM_ZONE)
_zone_name = PLATFORM_ZONE


def use_zone(name: str) -> None:
    """Show and read times in ``name`` (see :func:`zone_named`) from now on."""
    global _zone, _zone_name
    _zone, _zone_name = zone_named(name), name.strip()


def zone_name() -> str:
    """The display zone as configured (``local`` or an IANA name): what a child process of
    the app is told to use."""
    return _zone_name


def display_zone() -> tzinfo:
    return _zone


def moment(ts: float) -> datetime:
    """Unix seconds as an aware datetime in the display zone."""
    return datetime.fromtimestamp(ts, _zone)


def show_time(ts: float | None, fmt: str = TIME) -> str:
    """``ts`` in the display zone: ``HH:MM:SS``, or ``fmt`` (:data:`DATE_TIME`, :data:`FULL`);
    ``—`` for no time."""
    return "—" if ts is None else moment(ts).strftime(fmt)


def show_date(ts: float | None) -> str:
    """``MM-DD HH:MM:SS`` in the display zone (tables, where the day may differ)."""
    return show_time(ts, DATE_TIME)


def zone_label(ts: float | None = None) -> str:
    """The display zone's offset at ``ts`` (default: now) as people write it: ``+08:00``,
    ``-05:00``, or ``UTC``."""
    offset = moment(time.time() if ts is None else ts).utcoffset() or timedelta(0)
    if not offset:
        return "UTC"
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


def show_full(ts: float) -> str:
    """``YYYY-MM-DD HH:MM:SS +08:00``: a moment that says its zone (banners, CLI headers)."""
    return f"{show_time(ts, FULL)} {zone_label(ts)}"


def platform_time(text: str | None, full: bool = False) -> str:
    """A time the platform gives as text (a blacklist entry's ``added``: Beijing wall-clock)
    in the display zone: ``MM-DD HH:MM:SS``, or ``full`` (:func:`show_full`); text that is
    not a time, as it came."""
    from .api.errors import ParseError  # the protocol's parser, loaded with the first field
    from .api.wire import parse_epoch

    if not text:
        return ""
    try:
        ts = parse_epoch(text)
        return show_full(ts) if full else show_date(ts)
    except (ParseError, ValueError, OverflowError, OSError):
        return text


def iso(ts: float | datetime | None) -> str | None:
    """ISO 8601 with the display zone's offset (JSON output, CSV exports)."""
    if ts is None:
        return None
    value = ts.timestamp() if isinstance(ts, datetime) else ts
    return moment(value).isoformat()


def parse_when(value: str, now: datetime | None = None) -> datetime:
    """``now``, ``-1h``/``+10m``/``-2d``, ``today 03:00``/``yesterday 03:00`` or an ISO
    date/time; without an offset (and the day forms) in the display zone.

    >>> parse_when("-1h", datetime(2026, 1, 1, 12, tzinfo=UTC)).hour
    11
    """
    try:
        when = _parse(value, now or datetime.fromtimestamp(time.time(), UTC))
    except OverflowError:  # year 1 at +08:00, 9999-12-31 at -12:00, -99999999999d
        when = None
    if when is None or not EARLIEST <= when.timestamp() < LATEST:
        raise ValueError(
            _("{value!r} is out of range: a time from 2000 to 2099").format(value=value)
        )
    return when


#: A moment this close to now is now: ``--at now`` was read a moment before it is used.
NOW_SLACK_S = 2.0


def past(ts: float | None) -> float | None:
    """``ts`` when it is before now, else None: a moment to come, or now, is the live view
    (the TUI's ``--at`` and ``@``, ``demo --at``, ``stats --at``)."""
    return ts if ts is not None and ts < time.time() - NOW_SLACK_S else None


def later_than_now(ts: float, now: float | None = None) -> str | None:
    """What to say when ``ts``, asked for as a moment, is still to come (the live view is
    shown: it was, in silence); None when it is not."""
    if ts <= (time.time() if now is None else now) + NOW_SLACK_S:
        return None
    return _("{time} is later than now: the live numbers").format(time=show_full(ts))


#: How far behind now a send's scheduled time may be: a clock a little behind, a minute typed
#: as it turns.  Further back, the platform would send at once what was meant for later.
SCHEDULE_SLACK_S = 60


def parse_schedule(value: str, now: datetime | None = None) -> datetime:
    """A send's scheduled time (``--at``, the Send form's schedule) as :func:`parse_when`
    reads it; ValueError when it is in the past."""
    when = parse_when(value, now)
    now = now or datetime.fromtimestamp(time.time(), UTC)
    if when.timestamp() < now.timestamp() - SCHEDULE_SLACK_S:
        raise ValueError(
            _("{time} is in the past: leave the time out to send now").format(
                time=when.astimezone(_zone).strftime(FULL)
            )
        )
    return when


#: The moments a WHEN may name (Unix seconds): from 2000 to the end of 2099.  The platform
#: keeps nothing older, and beyond these a moment's arithmetic (a window before it, its
#: offset) leaves the years Python can hold.
EARLIEST, LATEST = 946_684_800, 4_102_444_800


def _parse(value: str, now: datetime) -> datetime:
    text = value.strip().lower()
    if text == "now":
        return now
    if m := _RELATIVE.match(text):
        delta = timedelta(seconds=float(m[2]) * _UNITS[m[3]])
        return now + delta if m[1] == "+" else now - delta
    m = _DAY.match(text)
    if m and int(m[2]) < 24 and int(m[3]) < 60 and int(m[4] or 0) < 60:
        day = now.astimezone(_zone).date() - timedelta(days=1 if m[1] == "yesterday" else 0)
        hms = int(m[2]), int(m[3]), int(m[4] or 0)
        return _aware(datetime(day.year, day.month, day.day, *hms))
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _bad_time(value) from None
    return when if when.tzinfo else _aware(when)


def _aware(wall: datetime) -> datetime:
    """A wall-clock time of the display zone, as the instant it names (normalised, so that
    its offset is the one in force then)."""
    return wall.replace(tzinfo=_zone).astimezone(UTC).astimezone(_zone)


def _bad_time(value: str) -> ValueError:
    return ValueError(
        _(
            "bad time {value!r}: use ISO (2026-11-25T10:00), 'now', '-1h', '+10m' or "
            "'yesterday 03:00'"
        ).format(value=value)
    )


def parse_window(value: str) -> float:
    """``5m``, ``1h``, ``24h`` ... as seconds."""
    m = _WINDOW.match(value.strip().lower())
    seconds = float(m[1]) * _UNITS[m[2]] if m else math.inf
    if not 0 < seconds <= MAX_WINDOW_S:  # also 1e400h, which is infinite
        raise ValueError(_("bad window {value!r}: use e.g. 5m, 1h, 24h").format(value=value))
    return seconds
