"""What an alert rule says about one key at one moment, and the language it says it in
(shared by the rules of :mod:`.alerts`, :mod:`.rates` and :mod:`.burn`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..i18n import current as interface_language
from ..i18n import gettext_for
from ..text import visible

TOP_CODES = 3  # failure codes named in a robot's message


@dataclass
class Condition:
    """A rule's verdict for one key at one moment.

    ``message`` is in the profile's language, ``english`` the same for the log; ``value`` and
    ``threshold`` (profile's language) and ``codes`` (top failure codes with counts) are what
    the robots show beside it.
    """

    rule: str
    key: str
    holds: bool
    message: str
    fields: dict[str, Any] = field(default_factory=dict)
    english: str = ""
    value: str = ""
    threshold: str = ""
    codes: list[tuple[str, int]] = field(default_factory=list)
    carrier: str | None = None  # a carrier id (api/carriers.py), None: account-wide
    #: Whether a firing alert still holds, when that asks less than firing does (a carrier
    #: fires only while the rest of the traffic is fine, and stays firing while it is itself
    #: failing, whatever the rest does); None: ``holds``.
    stays: bool | None = None

    @property
    def id(self) -> str:
        return f"{self.rule}:{self.key}"

    @property
    def still(self) -> bool:
        """Whether an alert that fired on it holds now."""
        return self.holds if self.stays is None else self.stays


def language(settings: dict[str, Any]) -> str:
    """The alert texts' language: the setting, or the interface's for ``auto``."""
    value = settings.get("language", "auto")
    return interface_language() if value in ("", "auto") else value


def texts(c: dict, render: Callable[[Callable[[str], str]], str]) -> tuple[str, str]:
    """``render(_x)`` with ``_x`` in the profile's language, and in English for the log line."""
    return render(gettext_for(language(c))), render(gettext_for("en"))


def top_codes(failures: dict[str, int], keep: Callable[[str], bool] = lambda code: True) -> list:
    """The most frequent failure codes, as every alert text carries them: a status is whatever
    the platform (or anyone who can push) wrote, so its controls, line breaks and bidi
    characters are made visible here, once for the log, the command's environment, the
    webhook, the robots and the screens."""
    ranked = sorted(((code, n) for code, n in failures.items() if keep(code)), key=lambda x: -x[1])
    return [(visible(code), n) for code, n in ranked[:TOP_CODES]]


def codes_text(codes: list[tuple[str, int]]) -> str:
    """Top codes as the messages name them: ``MK:0001 ×80, DB:0141 ×3``."""
    return ", ".join(f"{code} ×{n}" for code, n in codes)
