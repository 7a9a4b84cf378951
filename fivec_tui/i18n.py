"""The interface in English or Chinese: gettext catalogs, chosen once at start.

Source strings are English and marked ``_("...")`` where they are shown, or ``N_("...")``
where they are defined before the language is known (class attributes such as key bindings)
and translated with ``_()`` when drawn.  ``fivec_tui/locale/zh_CN/LC_MESSAGES/fivec_tui.po``
holds the Chinese; its compiled ``.mo`` ships in the package (``tests/unit/test_i18n.py`` checks
that every marked string is translated and that the ``.mo`` matches the ``.po``).

The language comes from ``--lang``, then ``[app] language`` (``auto``, ``zh`` or ``en``), then
the environment.  ``auto`` reads ``LC_ALL``, ``LC_MESSAGES`` and ``LANG`` as plain variables,
the first one set deciding as in POSIX: a box may have no Chinese locale compiled, so
``setlocale`` is never asked to accept one.  JSON output, config keys, metric names and log
lines are not translated.
"""

from __future__ import annotations

import gettext
import os
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path

DOMAIN = "fivec_tui"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
LANGUAGES = ("en", "zh")
CHOICES = ("auto", *LANGUAGES)
_CATALOG = {"zh": "zh_CN"}  # our language code -> the catalog's directory

_current = "en"


def from_environment(environ: Mapping[str, str] | None = None) -> str:
    """``zh`` when the first of LC_ALL, LC_MESSAGES, LANG that is set starts with ``zh``."""
    env = os.environ if environ is None else environ
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "").strip()
        if value:
            return "zh" if value.lower().startswith("zh") else "en"
    return "en"


def resolve(
    flag: str | None, configured: str | None, environ: Mapping[str, str] | None = None
) -> str:
    """The language to use: the flag, else the config's value, else the environment.

    Raises ValueError naming the allowed values for anything else.
    """
    for value in (flag, configured):
        if value in (None, "", "auto"):
            continue
        if value not in LANGUAGES:
            raise ValueError(f"language {value!r}: use auto, zh or en")
        return value
    return from_environment(environ)


@cache
def translations(language: str) -> gettext.NullTranslations:
    """The catalog of ``language`` (English is the source: no catalog)."""
    if language not in _CATALOG:
        return gettext.NullTranslations()
    return gettext.translation(DOMAIN, LOCALE_DIR, languages=[_CATALOG[language]])


def use(language: str) -> None:
    """Make ``language`` the one every later ``_()`` speaks."""
    global _current
    if language not in LANGUAGES:
        raise ValueError(f"language {language!r}: use auto, zh or en")
    translations(language)  # a missing catalog fails here, at start, not mid-screen
    _current = language


def current() -> str:
    return _current


def _(message: str) -> str:
    """``message`` in the current language."""
    return translations(_current).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current).ngettext(singular, plural, n)


def N_(message: str) -> str:
    """Mark ``message`` for translation without translating it (translate it when shown)."""
    return message


def gettext_for(language: str) -> Callable[[str], str]:
    """A ``_`` bound to one language, for texts sent in a profile's own language (alerts)."""
    return translations(language).gettext
