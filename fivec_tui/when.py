"""Times as people type them, for the CLI and the forms: one parser for both."""

from __future__ import annotations

import math
import re
import time
from datetime import UTC, datetime, timedelta

from .i18n import _

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
_RELATIVE = re.compile(r"^([+-])(\d+(?:\.\d+)?)\s*([smhdw])$")
#: The longest window anything reads: a year (retention is counted in days).
MAX_WINDOW_S = 366 * 86400
_WINDOW = re.compile(r"^(\d+(?:\.\d+)?)\s*([smhdw])$")
_DAY = re.compile(r"^(today|yesterday)\s+(\d{1,2}):(\d{2})(?::(\d{2}))?$")


def parse_when(value: str, now: datetime | None = None) -> datetime:
    """``now``, ``-1h``/``+10m``/``-2d``, ``today 03:00``/``yesterday 03:00`` or an ISO
    date/time (naive, and the day forms, mean local time).

    >>> parse_when("-1h", datetime(2026, 1, 1, 12, tzinfo=UTC)).hour
    11
    """
    now = now or datetime.fromtimestamp(time.time(), UTC)  # time.time: one clock to freeze
    text = value.strip().lower()
    if text == "now":
        return now
    if m := _RELATIVE.match(text):
        try:
            delta = timedelta(seconds=float(m[2]) * _UNITS[m[3]])
            return now + delta if m[1] == "+" else now - delta
        except OverflowError:  # e.g. -99999999999d: past year 1 or 9999
            raise _bad_time(value) from None
    m = _DAY.match(text)
    if m and int(m[2]) < 24 and int(m[3]) < 60 and int(m[4] or 0) < 60:
        day = now.astimezone().date() - timedelta(days=1 if m[1] == "yesterday" else 0)
        hms = int(m[2]), int(m[3]), int(m[4] or 0)
        return datetime(day.year, day.month, day.day, *hms).astimezone()
    try:
        when = datetime.fromisoformat(value.strip())
    except ValueError:
        raise _bad_time(value) from None
    return when if when.tzinfo else when.astimezone()


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
