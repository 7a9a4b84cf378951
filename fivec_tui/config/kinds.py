"""What a setting's value may be: each kind checks a value read from TOML and says what it expected.

A kind returns the value the program keeps (an ``int`` in a seconds setting becomes a
``float``, ``utf8`` becomes ``UTF-8``) or raises :class:`Invalid`, whose text completes
"expected ...".  :mod:`.schema` gives every setting its kind; :mod:`.load` adds the file, the
table and the key to the message.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from ..api import mask, resolve_base_url
from ..api.redact import mask_urls
from ..api.wire import normalize_encode
from ..i18n import N_, _
from ..when import parse_window, zone_named


class Invalid(ValueError):
    """A value a kind does not accept; the message completes "expected ..."."""


class Kind:
    """``check`` returns the value to keep, or raises (any ValueError or TypeError: the value
    is not what ``expected`` says).  ``show`` is for ``config show``; a ``secret`` value is
    never shown, nor repeated in an error.  ``text`` is ``expected`` marked for translation,
    its ``{fields}`` filled from ``values`` as they are, but for ``noun``, itself a marked
    phrase: :meth:`describe` gives it in a language.  (Plain
    classes here and in :mod:`.load`: every command imports them, and a dataclass costs about
    a millisecond to create.)"""

    __slots__ = ("check", "secret", "show", "text", "values")

    def __init__(
        self,
        text: str,
        check: Callable[[Any], Any],
        show: Callable[[Any], str] = str,
        secret: bool = False,
        values: dict[str, str] | None = None,
    ) -> None:
        self.text, self.check, self.show, self.secret = text, check, show, secret
        self.values = values or {}

    @property
    def expected(self) -> str:
        """What a value must be, in English."""
        return self.text.format(**self.values)

    def describe(self, gettext: Callable[[str], str] = _) -> str:
        """What a value must be, in ``gettext``'s language (by default the interface's)."""
        values = dict(self.values)
        if "noun" in values:
            values["noun"] = gettext(values["noun"])
        return gettext(self.text).format(**values)

    def __call__(self, value: Any) -> Any:
        try:
            return self.check(value)
        except (TypeError, ValueError):
            raise Invalid(self.expected) from None

    def got(self, value: Any) -> str:
        """``value`` as an error may repeat it: secrets withheld, URLs masked, long text cut."""
        if isinstance(value, dict):
            return _("a table")
        if self.secret:
            if isinstance(value, str):
                return _("a value of {n} characters").format(n=len(value))
            return _("a value")
        if isinstance(value, bool):
            return "true" if value else "false"
        if isinstance(value, float) and not math.isfinite(value):
            return str(value)  # inf, -inf, nan: as TOML writes them
        import json  # errors only: a start that reads a good file does without it

        text = mask_urls(json.dumps(value, ensure_ascii=False, default=str))
        return text if len(text) <= 60 else text[:57] + "..."


def _ensure(ok: bool) -> None:
    if not ok:
        raise ValueError


#: A number's noun by ``(whole, unit)``, and its bounds by the bounds given: each a whole
#: phrase to translate (Chinese puts the bounds before the noun).
_NOUNS = {
    (False, ""): N_("a number"),
    (True, ""): N_("a whole number"),
    (False, "seconds"): N_("a number of seconds"),
    (True, "seconds"): N_("a whole number of seconds"),
    (False, "hours"): N_("a number of hours"),
    (True, "hours"): N_("a whole number of hours"),
}
_BOUNDS = {
    (): "{noun}",
    ("least", "most"): N_("{noun} between {least} and {most}"),
    ("above",): N_("{noun} above {above}"),
    ("least",): N_("{noun} of {least} or more"),
    ("most",): N_("{noun} at most {most}"),
    ("above", "most"): N_("{noun} above {above} and at most {most}"),
}


def number(
    *,
    above: float | None = None,
    least: float | None = None,
    most: float | None = None,
    unit: str = "",
    whole: bool = False,
) -> Kind:
    """A finite number (``whole``: an integer) within the bounds given (``above`` or
    ``least``, not both), of ``unit`` (a unit without a marked noun above is said in English
    until it gets one)."""
    bounds = {"above": above, "least": least, "most": most}
    given = {name: f"{value:g}" for name, value in bounds.items() if value is not None}
    shape = ("least", "most") if given.keys() >= {"least", "most"} else tuple(given)
    if shape not in _BOUNDS:
        raise ValueError("number(): give above or least, not both")
    noun = _NOUNS.get((whole, unit)) or f"{_NOUNS[whole, '']} of {unit}"

    def check(value: Any) -> float | int:
        _ensure(isinstance(value, int if whole else int | float) and not isinstance(value, bool))
        _ensure(math.isfinite(value))
        _ensure(above is None or value > above)
        _ensure((least is None or value >= least) and (most is None or value <= most))
        return value if whole else float(value)

    suffix = "s" if unit == "seconds" else ""
    return Kind(
        _BOUNDS[shape],
        check,
        show=lambda v: f"{v}{suffix}" if whole else f"{v:g}{suffix}",
        values={"noun": noun, **given},
    )


def seconds(most: float | None = None) -> Kind:
    return number(above=0, most=most, unit="seconds")


def count(least: int = 0, most: int | None = None) -> Kind:
    return number(least=least, most=most, whole=True)


RATIO = number(least=0, most=1)


def _flag(value: Any) -> bool:
    _ensure(isinstance(value, bool))
    return value


def _text(value: Any) -> str:
    _ensure(isinstance(value, str))
    return value


FLAG = Kind(N_("true or false"), _flag, show=lambda v: "true" if v else "false")
TEXT = Kind(N_("text"), _text, show=mask_urls)
SECRET = Kind(N_("text"), _text, show=mask, secret=True)


def choice(*values: str) -> Kind:
    def check(value: Any) -> str:
        _ensure(value in values)
        return value

    return Kind(N_("one of {values}"), check, values={"values": ", ".join(values)})


def _url(value: Any) -> str:
    _ensure(_text(value).startswith(("http://", "https://")))
    return value


def _url_or_empty(value: Any) -> str:
    return _url(value) if _text(value) else value


#: An optional URL; robots' URLs carry their token, so every URL is shown masked.
URL = Kind(N_("an http:// or https:// URL"), _url_or_empty, show=mask_urls)


def _list(item: Callable[[Any], Any]) -> Callable[[Any], list]:
    def check(value: Any) -> list:
        _ensure(isinstance(value, list))
        return [item(v) for v in value]

    return check


def _shown_list(values: list) -> str:
    return ", ".join(mask_urls(str(v)) for v in values) or "(none)"  # config show, as "(unset)"


TEXTS = Kind(N_("a list of text"), _list(_text), show=_shown_list)
URLS = Kind(N_("a list of http:// or https:// URLs"), _list(_url), show=_shown_list)


def _network(value: Any) -> str:
    import ipaddress  # only a profile with an allowlist pays for it

    ipaddress.ip_network(_text(value), strict=False)
    return value


NETWORKS = Kind(N_("a list of IP addresses or networks (CIDR)"), _list(_network), show=_shown_list)


def _listen(value: Any) -> str:
    _host, colon, port = _text(value).rpartition(":")
    _ensure(not value or (bool(colon) and port.isdigit() and int(port) <= 65535))
    return value


#: Empty: no receiver (unless ``poll --listen`` asks for one).
LISTEN = Kind(N_("host:port (port 0 to 65535)"), _listen)


def _token(value: Any) -> str:
    _ensure(not _text(value) or len(value) >= 16)
    return value


TOKEN = Kind(N_("16 or more random characters"), _token, show=mask, secret=True)


def _md5(value: Any) -> str:
    value = _text(value).strip()
    _ensure(len(value) == 32 and all(c in "0123456789abcdefABCDEF" for c in value))
    return value.lower()


MD5 = Kind(N_("32 hex characters (the password's md5)"), _md5, show=mask, secret=True)
#: The platform takes only these spellings; others are normalized (``utf8`` -> ``UTF-8``).
ENCODE = Kind(N_("UTF-8 or GBK"), lambda v: normalize_encode(_text(v)))


def _node(value: Any) -> str:
    resolve_base_url(_text(value))  # resolved with ``https`` once both are known
    return value


NODE = Kind(N_("a node (main, bj, hk, us, euro) or an http(s) URL"), _node, show=mask_urls)


def _duration(value: Any) -> str:
    parse_window(_text(value))
    return value.strip().lower()


#: A length of time as text (``5m``, ``1h``, ``30d``): read with :func:`fivec_tui.when.parse_window`.
DURATION = Kind(N_("a duration such as 5m, 1h, 6h or 30d"), _duration)


def _zone(value: Any) -> str:
    zone_named(_text(value))
    return value.strip()


ZONE = Kind(N_("local or an IANA time zone name (Asia/Shanghai, UTC, America/New_York...)"), _zone)


class ConfigError(ValueError):
    """A config file or value that cannot be used; the message says where and why."""


class Where:
    """Where a value was read, for messages: ``config.toml: [profiles.prod.alerts] rate_below``.

    ``origin`` is the file (empty for the environment and flags, whose key says it all),
    ``table`` the dotted table.
    """

    __slots__ = ("origin", "table")

    def __init__(self, origin: str = "", table: str = "") -> None:
        self.origin, self.table = origin, table

    def __truediv__(self, key: str) -> Where:
        return Where(self.origin, f"{self.table}.{key}" if self.table else key)

    def error(self, key: str, problem: str) -> ConfigError:
        origin = f"{self.origin}: " if self.origin else ""
        table = f"[{self.table}] " if self.table else ""
        return ConfigError(f"{origin}{table}{key}: {problem}")

    def warning(self, problem: str) -> str:
        origin = f"{self.origin}: " if self.origin else ""
        return f"{origin}[{self.table}] {problem}" if self.table else f"{origin}{problem}"

    def check(self, kind: Kind, key: str, value: Any) -> Any:
        """``kind(value)``, or ConfigError naming where, what was expected and what came."""
        try:
            return kind(value)
        except Invalid:
            problem = _("expected {expected}, got {got}")
            raise self.error(
                key, problem.format(expected=kind.describe(), got=kind.got(value))
            ) from None


def _text_table(value: Any) -> dict[str, str]:
    _ensure(isinstance(value, dict) and all(isinstance(v, str) for v in value.values()))
    return value


TEXT_TABLE = Kind(N_("a table of text values"), _text_table)
