"""Checking the audit trail (:mod:`.audit`): does it hold, and if not, where does it break?

The chain is walked from its first entry: each entry must follow the one before it (else
entries between them are missing, were inserted or moved), and its hash must be what its
fields give, sealed with the key from ``keyed_from`` on and plain SHA-256 before (else it
was changed, or chained again without the key).  The first entry must start the chain or be
one a ``prune`` entry kept; the last must be the head the cache recorded.  Then the anchor
outside the cache (:mod:`.seal`) must agree: the anchored entry is in the trail as anchored,
and no anchored entry was found lost since.

The same walk answers after ``doctor --fix`` set a damaged cache aside: entries lost with a
damaged page show as a break that names the first missing entry, never as a clean trail.

Entries sealed with a key that is not at hand (:mod:`.audit_keys`: the key was lost and made
again, or the cache comes from another machine) cannot be checked: their links are, and the
verdict names them (``unchecked``) instead of calling them changed or the trail verified.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass

from . import audit_keys
from .audit import GENESIS, HEAD_KEY, entry_hash, keyed_from
from .db import Store
from .seal import Anchor, Seal


def _entries(store: Store, batch: int = 2000) -> Iterator[dict]:
    last = 0
    while True:
        rows = store.query("SELECT * FROM audit WHERE id > ? ORDER BY id LIMIT ?", (last, batch))
        if not rows:
            return
        yield from rows
        last = rows[-1]["id"]


@dataclass(frozen=True)
class Verdict:
    """What :func:`verify` found: ``broken`` is the id of the first entry that fails (None:
    the chain holds) and ``problem`` says how, in English (JSON, logs).  ``sealed``: the
    first entry sealed with the key (None: none is); ``anchored``: the anchor outside the
    cache was found and checked (False: a cut tail or a deleted trail cannot be told).
    ``unchecked``: how many sealed entries, ``unchecked_from`` to ``unchecked_to``, were
    sealed with a key not at hand (``key_at_hand``: whether there is one at all) and could
    not be checked; their links were."""

    entries: int
    first: int | None = None
    last: int | None = None
    broken: int | None = None
    problem: str = ""
    sealed: int | None = None
    anchored: bool = False
    unchecked: int = 0
    unchecked_from: int | None = None
    unchecked_to: int | None = None
    key_at_hand: bool = True

    @property
    def ok(self) -> bool:
        """Every entry checked and the chain holds."""
        return self.broken is None and not self.unchecked

    def as_json(self) -> dict:
        return {"ok": self.ok, **self.__dict__}


def _gap(entry: dict, previous: dict) -> str:
    missing = (
        f"entry {previous['id'] + 1} is missing"
        if entry["id"] == previous["id"] + 2
        else f"entries {previous['id'] + 1} to {entry['id'] - 1} are missing"
        if entry["id"] > previous["id"] + 2
        else "an entry between them was deleted, or entries were inserted or reordered"
    )
    return f"entry {entry['id']} does not follow entry {previous['id']}: {missing}"


def _problem(
    entry: dict, previous: dict | None, sealed: bool, key: bytes | None, checkable: bool
) -> str | None:
    """What is wrong with ``entry`` after ``previous`` in the chain, or None; its hash is
    checked when ``checkable`` (its key is at hand)."""
    if previous is not None and entry["prev"] != previous["hash"]:
        return _gap(entry, previous)
    if not checkable:
        return None
    if entry_hash(entry["id"], entry, entry["prev"], key if sealed else None) != entry["hash"]:
        how = "or chained again without the key" if sealed else "(its hash does not match)"
        return f"entry {entry['id']} was changed after it was written {how}"
    return None


def verify(store: Store) -> Verdict:
    """Walk the chain (see the module's docstring); the first problem found is the verdict."""
    seal = Seal.of(store.conn)
    anchor = seal.anchor() if seal else None
    key = seal.key() if seal else None
    with store.read() as conn:
        start = keyed_from(conn, anchor)
        spans = audit_keys.spans(conn)
    current = audit_keys.key_id(key) if key is not None else None
    seen = {"sealed": start, "anchored": anchor is not None, "key_at_hand": key is not None}
    n, first, previous, anchored_ok = 0, None, None, anchor is None
    kept_from: set[tuple[int, str]] = set()
    unchecked, unchecked_ids = 0, (0, 0)  # how many, the first and the last
    for entry in _entries(store):
        n += 1
        first = first or entry
        sealed = start is not None and entry["id"] >= start
        checkable = not sealed or audit_keys.checkable(spans, entry["id"], current)
        if not checkable:
            unchecked += 1
            unchecked_ids = (unchecked_ids[0] or entry["id"], entry["id"])
        problem = _problem(entry, previous, sealed, key, checkable)
        if problem is None and anchor is not None and entry["id"] == anchor.id:
            if entry["hash"] != anchor.hash:
                problem = f"entry {entry['id']} is not the entry anchored outside the cache"
            anchored_ok = True
        if problem is not None:
            return Verdict(n, first["id"], entry["id"], entry["id"], problem, **seen)
        if entry["action"] == "prune":
            args = json.loads(entry["args"] or "{}")
            kept_from.add((args.get("kept_from"), args.get("follows")))
        previous = entry
    head = store.get_setting(HEAD_KEY)
    if first is None or previous is None:
        if anchor is not None:
            return Verdict(0, broken=anchor.id, problem=_lost(anchor, "the trail is empty"), **seen)
        if head:
            written = head.partition(":")[0]
            problem = f"the trail is empty but entry {written} was written"
            return Verdict(0, broken=0, problem=problem, **seen)
        return Verdict(0, **seen)

    def broken_at(at: int, problem: str) -> Verdict:
        return Verdict(n, first["id"], previous["id"], at, problem, **seen)

    if first["prev"] != GENESIS and (first["id"], first["prev"]) not in kept_from:
        return broken_at(
            first["id"],
            f"the entries before entry {first['id']} are missing and no prune removed them",
        )
    if head is not None and head != f"{previous['id']}:{previous['hash']}":
        return broken_at(
            previous["id"],
            f"the trail ends at entry {previous['id']} but entry {head.partition(':')[0]} "
            "was the last written: the last entries were cut or added by hand",
        )
    if anchor is not None and not anchored_ok:
        return broken_at(previous["id"], _lost(anchor, f"the trail ends at entry {previous['id']}"))
    if anchor is not None and anchor.lost:
        lost = anchor.lost[0]
        return broken_at(
            lost["id"],
            f"entry {lost['id']} (anchored outside the cache) was missing or changed when a "
            "later entry was written: the trail was cut, replaced or rebuilt without it",
        )
    if unchecked:
        a, b = unchecked_ids
        where = seal.key_path if seal else "?"
        problem = (
            f"entries {a} to {b} were sealed with another audit key than the one at {where}"
            if key is not None
            else f"entries {a} to {b} are sealed with a key this machine does not have ({where})"
        ) + ": they cannot be checked here (their links hold)"
        return Verdict(
            n, first["id"], previous["id"], None, problem, **seen,
            unchecked=unchecked, unchecked_from=a, unchecked_to=b,
        )  # fmt: skip
    return Verdict(n, first["id"], previous["id"], **seen)


def _lost(anchor: Anchor, found: str) -> str:
    return (
        f"{found} but entry {anchor.id} was written (anchored outside the cache): "
        "entries were cut or deleted"
    )
