"""The per-second rollups' Fenwick tree (store/rollup.py: ``nodes``, ``span``).

Any run of a minute's seconds is a few tree rows adding up to exactly the run; each tree row
written at ingest holds the rows' sends of the seconds the tree puts under it; an older
cache's per-second rows become the tree (migration 16); and a window ending at any second of
a minute (each edge a different set of tree rows) is the rows' own numbers, its breakdowns
by carrier, block and minute adding up to it.
"""

from __future__ import annotations

import sqlite3
from unittest import mock

import pytest
from traffic import T0, expected, fill_rows, random_rows

from fivec_tui.api.carriers import carrier_of, prefix_of
from fivec_tui.store import Store, queries, rollup
from fivec_tui.store import migrations as migrations_module
from fivec_tui.store.migrations import STEPS

MINUTE = int(T0) + 3600  # a minute's first second
SPAN = 900
CACHED_AT = T0 + 3600 + SPAN + 600
STATUSES = ("SENT", "DELIVRD")


def test_every_run_of_a_minutes_seconds_is_a_few_tree_rows_adding_up_to_it():
    weight = {MINUTE + i: 1 << i for i in range(60)}  # each second's own bit
    tree: dict[int, int] = {}
    for second, w in weight.items():
        for node in rollup.nodes(second):
            assert MINUTE <= node < MINUTE + 60  # inside its minute
            tree[node] = tree.get(node, 0) + w
    for first in range(MINUTE, MINUTE + 60):
        for last in range(first - 1, MINUTE + 60):
            rows = rollup.span(first, last)
            assert len(rows) <= 10 and set(rows) <= set(tree)
            got = sum(sign * tree[node] for node, sign in rows.items())
            assert got == sum(weight[s] for s in range(first, last + 1)), (first, last)


@pytest.fixture(scope="module")
def cache(tmp_path_factory):
    """Fifteen minutes of traffic, five messages a second, all recent enough for the tree."""
    store = Store(tmp_path_factory.mktemp("tree") / "c.db")
    rows = random_rows(31, 5 * SPAN, MINUTE - 60, SPAN)
    fill_rows(store, rows, CACHED_AT, seed=31)
    return store, rows


def _tree(store: Store, table: str, column: str) -> dict[tuple, int]:
    """``{(second, key, status): n}`` of a per-second rollup, SENT and DELIVRD only."""
    return {
        (second, key, status): n
        for second, key, status, n in store.conn.execute(
            f"SELECT second, {column}, status, sum(n) FROM {table} "
            "WHERE status IN ('SENT', 'DELIVRD') GROUP BY 1, 2, 3"
        )
    }


def _under(rows, key, second: int) -> dict[tuple, int]:
    """What the tree row at ``second`` must hold, from the rows sent on a whole second."""
    width = (second % 60 + 1) & -(second % 60 + 1)
    out: dict[tuple, int] = {}
    for r in rows:
        if r[2] == int(r[2]) and second - width < r[2] <= second:
            for status in STATUSES:
                if status == "SENT" or r[3] == status:
                    out[second, key(r), status] = out.get((second, key(r), status), 0) + 1
    return out


def test_each_tree_row_holds_the_sends_of_the_seconds_under_it(cache):
    store, rows = cache
    for table, column, key in (
        ("rollup_s", "carrier", lambda r: carrier_of(r[1])),
        ("rollup_sp", "prefix", lambda r: prefix_of(r[1])),
    ):
        tree = _tree(store, table, column)
        seconds = {second for second, _key, _status in tree}
        assert len(seconds) > 600  # most seconds of the span
        want: dict[tuple, int] = {}
        for second in seconds:
            want |= _under(rows, key, second)
        assert tree == want, table


def test_windows_ending_at_every_second_of_a_minute_are_the_rows_numbers(cache):
    """Live, at each second of a minute (and a fraction past it): every edge shape the tree
    has, its rows on either side; by carrier, block and minute, the same totals."""
    store, rows = cache
    end_minute = MINUTE + 600
    moments = [end_minute + i for i in range(60)] + [end_minute + 29.5, end_minute + 59.75]
    with mock.patch("time.time", lambda: CACHED_AT):
        for at in moments:
            for window_s in (61, 300):
                memo: dict = {}
                whole = queries.summary(store, window_s, at, memo).as_json()
                assert whole | expected(rows, window_s, at, True, CACHED_AT) == whole, at
                carriers = queries.by_carrier(store, window_s, at, memo).values()
                blocks = queries.prefixes(store, window_s, at, memo)
                minutes = queries.series(store, window_s, at, memo)
                for part in (carriers, blocks, minutes):
                    for what in ("sent", "delivered", "failed"):
                        got = sum(
                            p[what] if isinstance(p, dict) else getattr(p, what) for p in part
                        )
                        assert got == whole[what], (at, window_s, what)


def test_an_older_caches_per_second_rows_become_the_tree(tmp_path, cache, monkeypatch):
    """A cache that migration 15 left with a row per second (ingest then wrote no tree) is the
    tree once migration 16 ran: the same rows as today's ingest writes."""
    _store, rows = cache
    path = tmp_path / "c.db"
    monkeypatch.setattr(migrations_module, "STEPS", STEPS[:15])
    monkeypatch.setattr(rollup, "nodes", lambda second: [second])  # a row per second
    fill_rows(Store(path), rows, CACHED_AT, seed=31)
    per_second = sqlite3.connect(path).execute("SELECT count(*) FROM rollup_s").fetchone()[0]
    monkeypatch.undo()
    migrated = Store(path)
    assert "m016_per_second_tree" in {
        name for (name,) in migrated.conn.execute("SELECT name FROM _sqlite_migrations")
    }
    today = cache[0]
    for table, column in (("rollup_s", "carrier"), ("rollup_sp", "prefix")):
        assert _tree(migrated, table, column) == _tree(today, table, column)
    whole = migrated.conn.execute("SELECT * FROM rollup_s ORDER BY 1, 2, 3, 4, 5").fetchall()
    assert whole == today.conn.execute("SELECT * FROM rollup_s ORDER BY 1, 2, 3, 4, 5").fetchall()
    assert per_second and len(whole) != per_second
