"""Numbers as typed, pasted or read from a file: a mainland mobile, or a number abroad written
with ``+`` or ``00``; anything else refused with a reason that says how to write one."""

from __future__ import annotations

import pytest

from fivec_tui.api.sms import international, one_mobile, parse_recipients, read_mobile
from fivec_tui.sync.bulk.source import read_table
from fivec_tui.sync.bulk.validate import validate


@pytest.mark.parametrize(
    ("typed", "wire"),
    [
        ("13800138000", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("8613800138000", "13800138000"),
        ("+8613800138000", "13800138000"),
        ("008613800138000", "13800138000"),
        ("+447874321404", "447874321404"),  # §13.4: the country code, no +
        ("00447874321404", "447874321404"),
        ("+44 (7874) 321404", "447874321404"),
        ("+12025550123", "12025550123"),
        # A Chinese input method's full-width digits and plus sign are the ASCII ones.
        ("１３８００１３８０００", "13800138000"),
        ("＋４４７８７４３２１４０４", "447874321404"),
    ],
)
def test_numbers_as_the_platform_takes_them(typed, wire):
    assert read_mobile(typed) == wire


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        # A mistyped mainland number is never read as another country's (+1 234 567 8901).
        ("12345678901", "not a mainland mobile"),
        ("447874321404", "with + or 00 and its country code, e.g. +447874321404"),
        ("1380013800", "not a mainland mobile"),
        ("+8610123456789", "+86 but not a mainland mobile"),
        ("+999123", "not a valid international number"),
        ("+1 312 555 0123", "goes out as 13125550123, which the platform reads as a mainland"),
        ("abc", "not a phone number"),
        # Digits of other scripts are digits to Python's \d and isdigit(), never to the platform.
        ("١٣٨٠٠١٣٨٠٠٠", "not a phone number"),
        ("+٤٤٧٨٧٤٣٢١٤٠٤", "not a phone number"),
        ("1380013800\u0663", "not a phone number"),
        ("", "no number"),
    ],
)
def test_what_is_refused_says_why(typed, why):
    with pytest.raises(ValueError) as caught:
        read_mobile(typed)
    assert why in str(caught.value)


def test_international_is_what_is_not_a_mainland_mobile():
    assert not international("13800138000")
    assert international("447874321404") and international("12025550123")


def test_recipients_keep_each_reason():
    r = parse_recipients("13800138000, 12345678901；+447874321404 13800138000")
    assert r.valid == ["13800138000", "447874321404"] and r.duplicates == ["13800138000"]
    assert r.invalid == ["12345678901"]
    assert r.problems().startswith("12345678901: not a mainland mobile")
    with pytest.raises(ValueError, match="12345678901: not a mainland mobile"):
        one_mobile("12345678901")


def test_a_bulk_row_is_rejected_with_the_same_reason(tmp_path):
    path = tmp_path / "in.csv"
    path.write_text("mobile\n12345678901\n+447874321404\n13800138000\n", encoding="utf-8")
    v = validate(read_table(path), encode="UTF-8", content="您好【甲】")
    (reject,) = v.rejects
    assert (reject.row, reject.reason) == (2, "invalid_number")
    assert "e.g. +447874321404" in reject.detail
    assert [(r.mobile, r.international) for r in v.valid] == [
        ("447874321404", True),
        ("13800138000", False),
    ]
