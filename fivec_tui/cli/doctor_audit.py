"""``doctor``'s check of the audit trail's seal (:mod:`fivec_tui.store.seal`): the key kept
outside the cache, and this cache's anchor there, each said with what to do.

A key lost is made again by the next action, silently: the entries sealed with the old one
can no longer be checked.  So it is found here before that (key missing while entries were
sealed with it), and after (entries sealed with another key than the one at hand).  The
chain itself is walked by ``fivec-tui audit --verify``, which doctor names when needed.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ..i18n import _
from .checks import Check


def check_audit(db_path: Path) -> list[Check]:
    """The key's check and the anchor's (none when the cache cannot be read)."""
    from ..store import Store, audit_keys
    from ..store.audit import keyed_from
    from ..store.integrity import CacheBroken
    from ..store.seal import Seal

    seal = Seal(db_path)
    try:
        key, key_error = seal.key(), ""
    except OSError as exc:
        key, key_error = None, str(exc)
    anchor = seal.anchor()
    try:
        store = Store(db_path, readonly=True)
        try:
            with store.read() as conn:
                start = keyed_from(conn, anchor)
                first, last = conn.execute("SELECT min(id), max(id) FROM audit").fetchone()
                spans = audit_keys.spans(conn)
                sql = "SELECT hash FROM audit WHERE id = ?"
                kept = conn.execute(sql, (anchor.id,)).fetchone() if anchor else None
        finally:
            store.close()
    except (sqlite3.Error, CacheBroken) as exc:
        said = _("the trail cannot be read: {error}").format(error=exc)
        return [Check("audit", "skipped", str(db_path), said)]
    sealed = (max(first, start), last) if start is not None and last and last >= start else None
    found = _key(seal.key_path, key, key_error, sealed, spans)
    if sealed is None:
        return [found, Check("audit", "skipped", str(seal.anchor_path), _("nothing to anchor"))]
    intact = anchor is not None and not anchor.lost and kept is not None and kept[0] == anchor.hash
    return [found, _anchor(seal, anchor, intact)]


def _key(path: Path, key: bytes | None, error: str, sealed: tuple[int, int] | None, spans) -> Check:
    from ..store import audit_keys

    where = str(path)
    if error:
        fix = _("remove it (the next action makes a new key) or put the key file itself there")
        return Check("audit", "problem", where, error, fix)
    if key is None and path.exists():
        return Check(
            "audit",
            "problem",
            where,
            _("the audit key is unreadable, or not a key"),
            _(
                "put the key file back from a backup; or move it aside: the next action makes "
                "a new key, and the entries sealed with this one can no longer be checked"
            ),
        )
    if key is None and sealed is None:
        return Check("audit", "skipped", where, _("no audit key yet: the first action makes it"))
    if key is None:
        return Check(
            "audit",
            "problem",
            where,
            _(
                "the audit key is missing: entries {a} to {b} were sealed with it and cannot "
                "be checked; the next action makes a new key"
            ).format(a=sealed[0], b=sealed[1]),
            _(
                "put the key file back at {path} (mode 0600), from a backup or from the "
                "machine this cache came from; if it is lost for good, `fivec-tui audit "
                "--verify` names the entries that cannot be checked"
            ).format(path=where),
        )
    kid = audit_keys.key_id(key)
    if sealed is None:
        return Check("audit", "ok", where, _("audit key {id}").format(id=kid))
    other = audit_keys.foreign(spans, kid, *sealed)
    if not other:
        said = _("audit key {id}, sealing entries {a} to {b}")
        return Check("audit", "ok", where, said.format(id=kid, a=sealed[0], b=sealed[1]))
    a, b = other[0][0], other[-1][1]
    if b == sealed[1]:  # the newest entries too: the key at hand is not the trail's
        return Check(
            "audit",
            "problem",
            where,
            _(
                "this is not the audit key that sealed entries {a} to {b}: the cache comes "
                "from another machine, or the key was replaced"
            ).format(a=a, b=b),
            _(
                "put the key that sealed them back at {path} (move this one aside); if it is "
                "lost, the next action goes on with this key, and `fivec-tui audit --verify` "
                "names the entries it cannot check"
            ).format(path=where),
        )
    said = _(
        "audit key {id}; entries {a} to {b} were sealed with an earlier key (lost, or from "
        "another machine) and cannot be checked here"
    )
    return Check("audit", "ok", where, said.format(id=kid, a=a, b=b))


def _anchor(seal, anchor, intact: bool) -> Check:
    where = str(seal.anchor_path)
    if anchor is None:
        unreadable = seal.anchor_path.exists()
        return Check(
            "audit",
            "problem",
            where,
            _("this cache's audit anchor is unreadable")
            if unreadable
            else _("no audit anchor for this cache: a cut tail or a deleted trail cannot be told"),
            _("move it aside: the next action writes it again; run `fivec-tui audit --verify`")
            if unreadable
            else _(
                "the next action written here anchors the trail again; unless the cache was "
                "just moved or copied here, the anchor was removed: run `fivec-tui audit "
                "--verify`"
            ),
        )
    if not intact:
        return Check(
            "audit",
            "problem",
            where,
            _(
                "the trail no longer holds entry {id} as it was anchored: entries were cut, "
                "replaced or rebuilt without it"
            ).format(id=anchor.id),
            _(
                "run `fivec-tui audit --verify` to see what is missing; keep the cache and "
                "{dir} as they are to find out who did it"
            ).format(dir=seal.dir),
        )
    return Check("audit", "ok", where, _("audit trail anchored at entry {id}").format(id=anchor.id))
