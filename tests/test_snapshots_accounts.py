"""SVG snapshots of the Accounts overview (#15) at 80x24 and 160x48, English and Chinese:
three accounts (one with an alert firing, one whose apikey is wrong, one healthy), the same
with the failing account highlighted (its error in full below), and the dashboard after
Enter switched to it.  Fixed data and clock: :func:`test_accounts_tui.three_accounts`.

Update after an intended change with:
pytest tests/test_snapshots_accounts.py --snapshot-update
"""

from __future__ import annotations

import pytest

from tests.test_accounts_tui import accounts_app, settle
from tests.test_snapshots import chinese  # noqa: F401 (a fixture)

KEYS = {"overview": (), "wrong-apikey": ("down",), "focused": ("down", "enter")}
SIZES = [(80, 24), (160, 48)]


def take(snap_compare, tmp_path, view: str, size: tuple[int, int]) -> bool:
    async def go_to(pilot):
        await settle(pilot)
        await pilot.press(*KEYS[view])
        await settle(pilot)
        await pilot.pause(0.2)
        await settle(pilot)

    return snap_compare(accounts_app(tmp_path), terminal_size=size, run_before=go_to)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
@pytest.mark.parametrize("view", list(KEYS))
def test_accounts_snapshot(snap_compare, tmp_path, beijing_local_time, view, size):
    assert take(snap_compare, tmp_path, view, size)


@pytest.mark.parametrize("size", SIZES, ids=["80x24", "160x48"])
@pytest.mark.parametrize("view", list(KEYS))
def test_accounts_snapshot_zh(snap_compare, tmp_path, beijing_local_time, chinese, view, size):  # noqa: F811
    """In Chinese: wide characters never cut in half, the reason still in sight at 80."""
    assert take(snap_compare, tmp_path, view, size)
