"""Carriers by number prefix: the one table of which operator issued a mainland number block.

A number's carrier is a *hint*: since 2019 a number can be ported to another operator and keep
its prefix.  Ids (in JSON, config and metric labels) are ``mobile``, ``unicom``, ``telecom``
and ``intl`` (any number that is not a mainland mobile number); ``unknown`` is a mainland
11-digit number of a block no operator was given.  Names are translated where shown
(:data:`NAMES`).

Blocks are three digits, or four where one three-digit block is split between operators:
``134`` (1349 is China Telecom's satellite block) and ``170`` (the virtual operators' block,
split three ways).  :func:`prefix_of` returns the block a number falls in, which is what the
cache's rollups are keyed by, so the carrier of every count is a function of its key.
"""

from __future__ import annotations

from functools import cache

from ..i18n import N_

#: Every carrier id, in the order they are shown.
CARRIERS = ("mobile", "unicom", "telecom", "intl", "unknown")
NAMES = {
    "mobile": N_("China Mobile"),
    "unicom": N_("China Unicom"),
    "telecom": N_("China Telecom"),
    "intl": N_("international"),
    "unknown": N_("unknown block"),
}
#: Short names for narrow tables.
SHORT = {
    "mobile": N_("Mobile"),
    "unicom": N_("Unicom"),
    "telecom": N_("Telecom"),
    "intl": N_("intl"),
    "unknown": N_("unknown"),
}

#: Mainland blocks by operator (MIIT allocations, virtual operators included).  China
#: Broadnet's 192 rides China Mobile's network and is counted with it.
BLOCKS: dict[str, tuple[str, ...]] = {
    "mobile": (
        *("1340", "1341", "1342", "1343", "1344", "1345", "1346", "1347", "1348"),
        *("135", "136", "137", "138", "139", "147", "148", "150", "151", "152", "157"),
        *("158", "159", "172", "178", "182", "183", "184", "187", "188", "192", "195"),
        *("197", "198"),
        *("1703", "1705", "1706", "165"),  # virtual operators on China Mobile
    ),
    "unicom": (
        *("130", "131", "132", "145", "146", "155", "156", "166", "175", "176", "185"),
        *("186", "196"),
        *("1704", "1707", "1708", "1709", "171", "167"),  # virtual operators on China Unicom
    ),
    "telecom": (
        *("133", "1349", "149", "153", "173", "174", "177", "180", "181", "189", "190"),
        *("191", "193", "199"),
        *("1700", "1701", "1702", "162"),  # virtual operators on China Telecom
    ),
}
_CARRIER_OF = {block: carrier for carrier, blocks in BLOCKS.items() for block in blocks}
#: Three-digit blocks split between operators: a number's block is its first four digits.
SPLIT = ("134", "170")
#: What a block of a cache written before blocks were split says (a hint among hints).
_OLD = {"134": "mobile", "170": "mobile"}


def mainland(mobile: str) -> str | None:
    """The 11 digits of a mainland mobile number (``+86`` or ``86`` in front allowed), or None."""
    m = mobile.removeprefix("+86") if mobile.startswith("+86") else mobile
    if len(m) == 13 and m.startswith("86"):
        m = m[2:]
    return m if len(m) == 11 and m.startswith("1") and m.isdigit() else None


def prefix_of(mobile: str) -> str:
    """The number's block (three digits, four in a split block), or ``intl``."""
    m = mobile if len(mobile) == 11 and mobile[0] == "1" and mobile.isdigit() else mainland(mobile)
    if m is None:
        return "intl"
    return m[:4] if m[:3] in SPLIT else m[:3]


@cache
def carrier_of_prefix(prefix: str) -> str:
    """The carrier id of a block as :func:`prefix_of` gives it."""
    if prefix == "intl":
        return "intl"
    return _CARRIER_OF.get(prefix) or _OLD.get(prefix) or "unknown"


def carrier_of(mobile: str) -> str:
    """The carrier id of a number (a hint: see the module's docstring)."""
    return carrier_of_prefix(prefix_of(mobile))


def carrier_sql(prefix: str) -> str:
    """A CASE expression giving the carrier id of the block in column ``prefix``."""
    known = {**_OLD, **_CARRIER_OF}
    whens = " ".join(
        f"WHEN {prefix} IN ({', '.join(repr(b) for b, c in known.items() if c == carrier)}) "
        f"THEN '{carrier}'"
        for carrier in BLOCKS
    )
    return f"CASE WHEN {prefix} = 'intl' THEN 'intl' {whens} ELSE 'unknown' END"
