"""Status codes: family and meaning, from ``data/status_codes.toml``."""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from ..i18n import N_, current, gettext_for
from ..resources import data_dir

OPT_OUTS = frozenset({"T", "TD", "N", "R", "退订", "STOP", "UNSUBSCRIBE"})
UNLISTED = N_("Not in the code table: shown as the carrier sent it")


@dataclass(frozen=True)
class CodeInfo:
    code: str
    family: str
    family_label: str
    meaning: str


@cache
def _table() -> dict:
    return tomllib.loads((data_dir() / "status_codes.toml").read_text("utf-8"))


def describe(code: str, language: str | None = None) -> CodeInfo:
    """Family and meaning of a status code in ``language`` (default: the interface's);
    unknown codes keep their text."""
    zh = (language or current()) == "zh"
    table = _table()
    families = table["families_zh" if zh else "families"]
    entry = table["codes"].get(code)
    if entry:
        family, meaning = entry[0], entry[2 if zh else 1]
    else:
        family = (
            table["prefixes"].get(code.split(":", 1)[0], "unknown") if ":" in code else "unknown"
        )
        meaning = gettext_for("zh" if zh else "en")(UNLISTED)
    return CodeInfo(code, family, families.get(family, family), meaning)


def family(code: str) -> str:
    return describe(code).family


def by_family(failures: Mapping[str, int]) -> dict[str, int]:
    """Failure counts by status code summed per family: ``{"MK:0001": 3}`` -> ``{"handset": 3}``
    (what the failure-spike alert and the metrics compare)."""
    sums: dict[str, int] = {}
    for code, n in failures.items():
        name = family(code)
        sums[name] = sums.get(name, 0) + n
    return sums


def is_opt_out(content: str) -> bool:
    """Replies like ``T``, ``TD``, ``退订`` that ask to stop messages.  Read as a person reads
    them: full-width letters as their ASCII (NFKC: ``ＴＤ``), and without the characters a
    phone or a sender puts in that show nothing (zero-width spaces, bidi controls)."""
    text = unicodedata.normalize("NFKC", content)
    text = "".join(c for c in text if unicodedata.category(c) != "Cf")
    text = text.strip().strip("。.!！ ").upper()
    return text in OPT_OUTS or "退订" in text
