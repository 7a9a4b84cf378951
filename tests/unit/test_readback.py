"""store/readback.py on a table with one leaf page overwritten: every row around it is read
back, the rows on it are counted lost, and stepping past damage costs one query a key."""

from __future__ import annotations

import random
import sqlite3
from pathlib import Path

import pytest

from fivec_tui.store import readback
from fivec_tui.store.readback import Lost, readable_rows

ROWS = 3000


def _table(path: Path) -> list[tuple[int, int, int]]:
    """A rowid table ``t`` of ROWS rows (rowids 1..ROWS); its leaf pages in key order, each
    as ``(offset, size, first rowid)``."""
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (v TEXT)")
        conn.executemany("INSERT INTO t (v) VALUES (?)", [(f"{i:060d}",) for i in range(ROWS)])
        leaves = conn.execute(
            "SELECT pgoffset, pgsize, ncell FROM dbstat WHERE name = 't' AND pagetype = 'leaf' "
            "ORDER BY path"
        ).fetchall()
    conn.close()
    out, first = [], 1
    for offset, size, cells in leaves:
        out.append((offset, size, first))
        first += cells
    assert first == ROWS + 1 and len(out) > 10
    return out


def _overwrite(path: Path, offset: int, size: int) -> None:
    with open(path, "r+b") as fh:
        fh.seek(offset)
        fh.write(b"\xff" + random.Random(offset).randbytes(size - 1))


def _read(path: Path, lost: Lost) -> tuple[list[int], int]:
    """The rowids read back, and the queries it took."""
    conn = sqlite3.connect(path)
    queries = []
    conn.set_trace_callback(queries.append)
    try:
        keys = [int(v) + 1 for (v,) in readable_rows(conn, "t", "v", lost)]
    finally:
        conn.close()
    return keys, len(queries)


def test_a_damaged_page_in_the_middle_costs_only_its_rows(tmp_path):
    db = tmp_path / "t.db"
    leaves = _table(db)
    middle = len(leaves) // 2
    offset, size, first = leaves[middle]
    end = leaves[middle + 1][2]
    _overwrite(db, offset, size)

    lost = Lost()
    keys, _ = _read(db, lost)

    on_it = set(range(first, end))
    assert keys == [k for k in range(1, ROWS + 1) if k not in on_it]  # all else, in order
    assert lost == Lost(keys=len(on_it))


def test_past_damage_at_the_end_each_key_costs_one_query(tmp_path, monkeypatch):
    """The last leaf overwritten: the table's last key cannot be read, so keys are tried one
    by one until GIVE_UP_AFTER in a row gave nothing; each try is one query (three before:
    a page read again, and two seeks)."""
    monkeypatch.setattr(readback, "GIVE_UP_AFTER", 2000)
    db = tmp_path / "t.db"
    leaves = _table(db)
    offset, size, first = leaves[-1]
    _overwrite(db, offset, size)

    lost = Lost()
    keys, queries = _read(db, lost)

    assert keys == list(range(1, first))
    assert lost == Lost(keys=0, error=f"t could not be read after key {first - 1}")
    pages = first // readback.PAGE + 1
    assert queries <= readback.GIVE_UP_AFTER + 2 * pages, queries  # 3x as many before


@pytest.mark.parametrize("damaged", [0, 1, -2])
def test_damage_at_either_edge_of_the_table_costs_only_its_rows(tmp_path, damaged):
    db = tmp_path / "t.db"
    leaves = _table(db)
    offset, size, first = leaves[damaged]
    end = leaves[damaged + 1][2]
    _overwrite(db, offset, size)

    lost = Lost()
    keys, _ = _read(db, lost)

    assert keys == [k for k in range(1, ROWS + 1) if not first <= k < end]
    assert lost == Lost(keys=end - first)
