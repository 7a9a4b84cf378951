"""What the screens show of outside text and of numbers: controls and bidi made visible,
never markup; counts that fit a narrow box."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st
from rich.text import Text

from fivec_tui.app.format import count, safe_text
from fivec_tui.text import visible


def test_visible_escapes_controls_and_bidi():
    assert visible("a\x1b[2Jb") == "a\\x1b[2Jb"
    assert visible("\u202e\x9b\x00") == "\\u202e\\x9b\\x00"
    assert isinstance(safe_text("[/]"), Text) and safe_text("[/]").plain == "[/]"


@given(st.integers(min_value=0, max_value=10**14))
def test_counts_fit_a_narrow_box_and_stay_close(n):
    """Counts in the rate boxes: exact below 10,000, else at most five characters within
    0.5% of the truth."""
    shown = count(n)
    if n < 10_000:
        assert shown == str(n)
        return
    assert len(shown) <= 5
    scale = {"k": 1e3, "M": 1e6, "G": 1e9, "T": 1e12}[shown[-1]]
    assert abs(float(shown[:-1]) * scale - n) <= 0.005 * n
