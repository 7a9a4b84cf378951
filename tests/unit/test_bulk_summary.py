"""The bulk preview a person reads before sending: the platform's pace said in words (not a
section number of a document they have not read), every word in the interface's language,
the campaign's own notes translated when shown."""

from __future__ import annotations

import re

import pytest

from fivec_tui import i18n
from fivec_tui.sync.bulk.prepare import prepare
from fivec_tui.sync.bulk.run import UNANSWERED
from fivec_tui.sync.bulk.summary import summary_lines


@pytest.fixture
def prepared(tmp_path):
    path = tmp_path / "in.csv"
    rows = ["mobile,name", *(f"1380013{i:04d},客户{i}" for i in range(250)), "12345,坏"]
    path.write_text("\n".join(rows), encoding="utf-8")
    return prepare(path, encode="UTF-8", content="{name}您好【公司】")


def test_the_limit_is_said_in_words(prepared):
    lines = summary_lines(prepared.price, len(prepared.rejects), reasons_inline=True)
    text = "\n".join(lines)
    assert "§" not in text
    assert lines[0] == "251 rows read: 250 valid, 1 rejected (1 invalid number)"
    assert lines[-2].startswith("2 × batch request(s) at 200 messages a second")
    assert lines[-1] == "personalised texts: the platform allows at most 200 messages a second"


def test_no_english_word_in_the_chinese_preview(prepared):
    try:
        i18n.use("zh")
        text = "\n".join(summary_lines(prepared.price, len(prepared.rejects)))
        assert i18n._(UNANSWERED) != UNANSWERED
    finally:
        i18n.use("en")
    assert re.findall(r"[A-Za-z]{2,}", text) == []
    assert "批量提交" in text and "个性短信：平台每秒最多允许 200 条" in text
