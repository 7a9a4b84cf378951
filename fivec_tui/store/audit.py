"""The audit trail: every action this tool takes on the platform, who took it, how it ended.

Table ``audit`` is append-only and hash-chained: an entry's ``hash`` is the HMAC-SHA256,
under a key kept outside the cache (:mod:`.seal`), of its id, its fields and the previous
entry's hash (``prev``), so an entry edited, deleted or moved breaks the chain there, and one
chained again without the key does not verify (:mod:`.audit_verify`).  The last entry's id and
hash are kept in ``settings`` (``audit.head``), written in the same transaction, and anchored
beside the key after the commit, so that a cut tail or a deleted trail shows too.  Entries
written before the key existed (``audit.keyed_from`` says where the key starts) were chained
with plain SHA-256 and are checked so; which key sealed which entries is recorded too
(:mod:`.audit_keys`: a key lost and made again is said as such, not as tampering).  Triggers refuse UPDATE and DELETE (retention alone
deletes, under a flag): a guard against accidents; the chain is the proof.

An action is two entries: ``pending``, committed before its request leaves, then its outcome
(``accepted`` with the msgid, ``ok``, ``failed``: nothing went out, ``unknown``: the answer
never came) as a second entry whose ``ref`` is the first's id.  Nothing is ever updated, so
the chain covers the outcome too, and a crash between the two leaves the pending entry,
listed as such.  :class:`~.auditor.Auditor` writes them; this module keeps the chain.

Who (:class:`Actor`): the OS user (``getpass.getuser()``, which reads ``LOGNAME``/``USER``
first), the real uid's name when it differs, ``SUDO_USER`` (``sudo -u fivec`` keeps the person
there), the SSH client's address, the host, and the path (``tui``, ``serve``: the TUI in a
browser, ``cli``, ``bulk``).  What: the numbers as a count and the SHA-256 of the sorted
list; the numbers themselves for a direct send or a removal (a bulk request's are in the
campaign journal's ``campaign_rows``, by the request id in ``args``, and kept as long as it);
the text, or the template and its variables; the arguments.  The numbers are kept because the
send records say neither who sent nor why, and are pruned after ``retention_days``: "who sent
this to 138…" must be answerable from the trail alone.
"""

from __future__ import annotations

import contextlib
import getpass
import hashlib
import json
import logging
import os
import socket
import sqlite3
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from ..i18n import N_, _
from . import audit_keys
from .db import Store
from .seal import Anchor, Seal

log = logging.getLogger("fivec_tui.audit")

GENESIS = "0" * 64
HEAD_KEY = "audit.head"
#: The first entry sealed with the key (the anchor outside the cache says it too, and wins).
KEYED_KEY = "audit.keyed_from"
#: The longest any writer was configured to keep the trail (``[app] audit_retention_days``):
#: retention (run by the sync, which does not read ``[app]``) reads it here.
KEEP_KEY = "audit.keep_days"
PRUNING_KEY = "audit.pruning"
#: Every action audited (``prune``: retention removing old entries).
ACTIONS = (
    "send",
    "template",
    "bulk",
    "blacklist_remove",
    "bind_ip",
    "subaccount_create",
    "subaccount_lock",
    "subaccount_unlock",
    "subaccount_charge",
    "prune",
)
#: An action's outcomes (its first entry says ``pending``), listed so they are translated.
OUTCOMES = (N_("pending"), N_("accepted"), N_("ok"), N_("failed"), N_("unknown"))
#: The sends among them: the duplicate guard and the outcomes ``accepted``/``unknown``.
SENDS = ("send", "template", "bulk")
#: An entry's fields in the order its hash covers them (after its id), ``prev`` aside.
FIELDS = (
    "at",
    "action",
    "outcome",
    "ref",
    "user",
    "uid_user",
    "sudo_user",
    "ssh",
    "host",
    "path",
    "profile",
    "account",
    "numbers",
    "numbers_sha256",
    "mobiles",
    "text",
    "template",
    "variables",
    "args",
    "msgid",
    "detail",
)


@dataclass(frozen=True)
class Actor:
    """Who acts, from where: see the module's docstring."""

    path: str
    user: str = ""
    uid_user: str = ""
    sudo_user: str = ""
    ssh: str = ""
    host: str = ""

    @classmethod
    def here(cls, path: str, env: Mapping[str, str] | None = None) -> Actor:
        env = os.environ if env is None else env
        try:
            user = getpass.getuser()
        except Exception:  # no LOGNAME/USER and a uid without a name (containers)
            user = ""
        uid_user = _uid_name()
        ssh = (env.get("SSH_CLIENT") or env.get("SSH_CONNECTION") or "").split()
        return cls(
            path,
            user,
            uid_user if uid_user != user else "",
            env.get("SUDO_USER", ""),
            ssh[0] if ssh else "",
            socket.gethostname(),
        )


def _uid_name() -> str:
    try:
        import pwd

        return pwd.getpwuid(os.getuid()).pw_name
    except (ImportError, KeyError):
        return str(os.getuid()) if hasattr(os, "getuid") else ""


def who(entry: Mapping) -> str:
    """``alice``, ``fivec (uid root)``, ``fivec (sudo alice)``: the person as recorded."""
    extra = [f"uid {entry['uid_user']}"] if entry.get("uid_user") else []
    extra += [f"sudo {entry['sudo_user']}"] if entry.get("sudo_user") else []
    return (entry.get("user") or "?") + (f" ({', '.join(extra)})" if extra else "")


def numbers_hash(mobiles: Sequence[str]) -> str:
    """SHA-256 of the sorted numbers, one a line: the same list hashes the same in any order."""
    return hashlib.sha256("\n".join(sorted(mobiles)).encode()).hexdigest()


def entry_hash(entry_id: int, entry: Mapping, prev: str, key: bytes | None = None) -> str:
    """The entry's link in the chain: HMAC-SHA256 under ``key``, plain SHA-256 without one
    (entries from before the key)."""
    body = json.dumps([entry_id, *(entry[f] for f in FIELDS)], ensure_ascii=False)
    text = f"{prev}\n{body}"
    if key is not None:
        return Seal.mac(key, text)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def clean_text(value: object) -> str:
    """Text SQLite can store (a lone surrogate from a paste would refuse the insert)."""
    return str(value).encode("utf-8", "replace").decode("utf-8")


def make_entry(
    actor: Actor,
    profile: str,
    account: str,
    action: str,
    outcome: str,
    mask: Callable[[str], str] = clean_text,
    **what,
) -> dict:
    """An entry's fields (``what``: those after ``account``), each text passed through
    ``mask``, now as its time."""
    entry = {
        "at": time.time(),
        "action": action,
        "outcome": outcome,
        "ref": what.pop("ref", None),
        "user": actor.user,
        "uid_user": actor.uid_user,
        "sudo_user": actor.sudo_user,
        "ssh": actor.ssh,
        "host": actor.host,
        "path": actor.path,
        "profile": profile,
        "account": account,
        "numbers": what.pop("numbers", None),
    }
    for name in FIELDS[len(entry) :]:
        entry[name] = mask(what.pop(name, ""))
    if what:
        raise TypeError(f"not audit fields: {', '.join(what)}")
    return entry


def canonical_json(value: Mapping) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def _tip(conn) -> tuple[int, str]:
    """The id and hash the next entry follows: the recorded head, else the last row (the
    head setting lost), else the start of the chain."""
    head = conn.execute("SELECT value FROM settings WHERE key = ?", (HEAD_KEY,)).fetchone()
    if head:
        entry_id, _sep, digest = head[0].partition(":")
        return int(entry_id), digest
    last = conn.execute("SELECT id, hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
    return (last[0], last[1]) if last else (0, GENESIS)


def keyed_from(conn, anchor: Anchor | None) -> int | None:
    """The first entry sealed with the key: the ``anchor``'s, else the cache's own word (a
    cache not anchored on this machine), else None (no entry is yet)."""
    if anchor is not None:
        return anchor.keyed_from
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (KEYED_KEY,)).fetchone()
    return int(row[0]) if row and str(row[0]).isdigit() else None


def _check_anchor(conn, seal: Seal, anchor: Anchor) -> None:
    """The anchored entry must still be there as anchored; when it is not, the anchor keeps
    that it was lost (before a later entry is anchored over it)."""
    row = conn.execute("SELECT hash FROM audit WHERE id = ?", (anchor.id,)).fetchone()
    if row is None or row[0] != anchor.hash:
        seal.note_lost(anchor, row[0] if row else None)


def append(conn, entry: dict) -> int:
    """Chain ``entry`` after the tip, inside the caller's transaction; returns its id.

    Ids are given here, one past the tip (or past the last row, or the anchored entry, if
    higher), so that an id is never used twice, even after the last entries were deleted.
    Sealed with the key (made on first use: OSError when it cannot be) from the first entry
    written with one; the anchor is moved after the commit (:func:`writing`).
    """
    seal = Seal.of(conn)
    key = seal.key() if seal else None
    made = seal is not None and key is None and not seal.key_path.exists()
    if made:
        key = seal.key(create=True)
    anchor = seal.anchor() if seal else None
    if seal and anchor:
        _check_anchor(conn, seal, anchor)
    tip_id, prev = _tip(conn)
    last = conn.execute("SELECT coalesce(max(id), 0) FROM audit").fetchone()[0]
    entry_id = max(tip_id, last, anchor.id if anchor else 0) + 1
    start = keyed_from(conn, anchor)
    if key is not None and start is None:
        start = entry_id
        conn.execute(
            "INSERT OR REPLACE INTO settings(key, value) VALUES (?, ?)", (KEYED_KEY, str(start))
        )
    sealed = key is not None and start is not None and entry_id >= start
    if sealed:
        audit_keys.record(conn, key, entry_id, start, made)
    digest = entry_hash(entry_id, entry, prev, key if sealed else None)
    names = ("id", *FIELDS, "prev", "hash")
    conn.execute(
        f"INSERT INTO audit({', '.join(names)}) VALUES ({', '.join('?' * len(names))})",
        (entry_id, *(entry[f] for f in FIELDS), prev, digest),
    )
    conn.execute(
        "INSERT INTO settings(key, value) VALUES (?, ?) "
        "ON CONFLICT(key) DO UPDATE SET value = excluded.value",
        (HEAD_KEY, f"{entry_id}:{digest}"),
    )
    return entry_id


def prune(conn, days: float, now: float | None = None) -> int:
    """Inside retention's transaction: drop the entries older than ``4 × days`` (as long as
    the rollups, the longest-kept rows retention removes) or than ``audit.keep_days`` if
    longer.  A ``prune`` entry is chained first, saying which entries went and the hash the
    first one kept follows, so that :func:`verify` tells a pruned start from a cut one."""
    now = time.time() if now is None else now
    row = conn.execute("SELECT value FROM settings WHERE key = ?", (KEEP_KEY,)).fetchone()
    keep = max(4 * days, float(row[0]) if row and row[0].isdigit() else 0)
    cut = now - keep * 86400
    kept = conn.execute(
        "SELECT id, prev FROM audit WHERE at >= ? ORDER BY id LIMIT 1", (cut,)
    ).fetchone()
    removed = conn.execute(
        "SELECT count(*) FROM audit WHERE id < ?", (kept[0] if kept else 2**62,)
    ).fetchone()[0]
    if not removed:
        return 0
    tip_id, tip_hash = _tip(conn)
    args = {
        "removed": removed,
        "kept_from": kept[0] if kept else tip_id + 1,
        "follows": kept[1] if kept else tip_hash,
        "keep_days": keep,
    }
    append(
        conn, make_entry(Actor.here("retention"), "", "", "prune", "ok", args=canonical_json(args))
    )
    conn.execute("INSERT OR REPLACE INTO settings(key, value) VALUES (?, '1')", (PRUNING_KEY,))
    conn.execute("DELETE FROM audit WHERE id < ?", (args["kept_from"],))
    conn.execute("DELETE FROM settings WHERE key = ?", (PRUNING_KEY,))
    return removed


@contextlib.contextmanager
def writing(store: Store) -> Iterator[sqlite3.Connection]:
    """A write transaction that may :func:`append`; once committed, the head is anchored
    outside the cache (:meth:`.seal.Seal.advance`).  An anchor that cannot be written is
    logged, never raised: the entries are committed, and the next write anchors again."""
    with store.transaction() as conn:
        yield conn
    try:
        anchor_head(store)
    except OSError as exc:
        log.warning("the audit trail's anchor cannot be written: %s", exc)


def anchor_head(store: Store) -> None:
    """Anchor the cache's committed head, when it is sealed with the key."""
    seal = Seal.of(store.conn)
    if seal is None or seal.key() is None:
        return
    with store.read() as conn:
        head = conn.execute("SELECT value FROM settings WHERE key = ?", (HEAD_KEY,)).fetchone()
        start = keyed_from(conn, seal.anchor())
    if head and start is not None:
        entry_id, _sep, digest = head[0].partition(":")
        seal.advance(int(entry_id), digest, start)


# -- reading ---------------------------------------------------------------------------------
def actions(
    store: Store,
    *,
    since: float | None = None,
    until: float | None = None,
    user: str | None = None,
    action: str | None = None,
    profile: str | None = None,
    limit: int | None = None,
) -> list[dict]:
    """One row per action, newest first: its first entry's fields, with ``outcome``,
    ``msgid``, ``detail``, ``done_at``, ``done_id`` and ``done_hash`` from its outcome entry
    (a pending action keeps ``pending`` and has no ``done_*``).  ``user`` matches the OS
    user, the uid's name or the sudo user; ``action`` a whole name or its first word
    (``subaccount``)."""
    where, params = ["b.ref IS NULL"], []
    if since is not None:
        where.append("b.at >= ?")
        params.append(since)
    if until is not None:
        where.append("b.at <= ?")
        params.append(until)
    if user:
        where.append("? IN (b.user, b.uid_user, b.sudo_user)")
        params.append(user)
    if action:
        where.append("(b.action = ? OR b.action LIKE ? || '\\_%' ESCAPE '\\')")
        params += [action, action]
    if profile:
        where.append("b.profile = ?")
        params.append(profile)
    done = ("outcome", "msgid", "detail")  # the outcome entry's, when there is one
    first = ", ".join(f"b.{f}" for f in ("id", *FIELDS, "prev", "hash") if f not in done)
    sql = (
        f"SELECT {first}, coalesce(c.outcome, b.outcome) AS outcome, "
        "coalesce(c.msgid, b.msgid) AS msgid, coalesce(c.detail, b.detail) AS detail, "
        "c.at AS done_at, c.id AS done_id, c.hash AS done_hash "
        "FROM audit b LEFT JOIN audit c ON c.ref = b.id "
        f"WHERE {' AND '.join(where)} ORDER BY b.id DESC"
    )
    if limit:
        sql += f" LIMIT {int(limit)}"
    return store.query(sql, tuple(params))


def subject(entry: Mapping) -> str:
    """What an action was about, in a line: the numbers (a few, else how many) and the text,
    the template, the campaign request, the number removed, the sub-account, the IPs."""
    args = json.loads(entry["args"] or "{}")
    action, n = entry["action"], entry["numbers"] or 0
    numbers = entry["mobiles"] if entry["mobiles"] and n <= 3 else _("{n} numbers").format(n=n)
    if action == "send":
        return f"{numbers}: {entry['text']}"
    if action == "template":
        code, values = entry["template"], entry["variables"]
        return f"{numbers}: " + _("template {code} {variables}").format(code=code, variables=values)
    if action == "bulk":
        what = entry["text"] or f"{entry['template']} {entry['variables']}"
        return _("campaign {campaign} request {request}, {numbers}: {what}").format(
            campaign=args.get("campaign"), request=args.get("request"), numbers=numbers, what=what
        )
    if action == "bind_ip":
        return ", ".join(map(str, args.get("ips", [])))
    if action == "subaccount_charge":
        return f"{args.get('child', '')} {args.get('amount', 0):+}"
    if action.startswith("subaccount_"):
        return str(args.get("child", ""))
    if action == "prune":
        return _("{n} older entries removed").format(n=args.get("removed", 0))
    return entry["mobiles"]


def head(store: Store) -> str | None:
    """The last entry's ``id:hash`` (what changes when the trail does)."""
    return store.get_setting(HEAD_KEY)
