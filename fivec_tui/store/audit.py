"""The audit trail: every action this tool takes on the platform, who took it, how it ended.

Table ``audit`` is append-only and hash-chained: an entry's ``hash`` is the SHA-256 of its id,
its fields and the previous entry's hash (``prev``), so an entry edited, deleted or moved
breaks the chain there (:func:`verify`); the last entry's id and hash are also kept in
``settings`` (``audit.head``), written in the same transaction, so that a cut tail shows too.
Triggers refuse UPDATE and DELETE (retention alone deletes, under a flag): a guard against
accidents; the chain is the proof.

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

import getpass
import hashlib
import json
import os
import socket
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from ..i18n import N_, _
from .db import Store

GENESIS = "0" * 64
HEAD_KEY = "audit.head"
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


def entry_hash(entry_id: int, entry: Mapping, prev: str) -> str:
    body = json.dumps([entry_id, *(entry[f] for f in FIELDS)], ensure_ascii=False)
    return hashlib.sha256(f"{prev}\n{body}".encode("utf-8", "surrogatepass")).hexdigest()


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


def append(conn, entry: dict) -> int:
    """Chain ``entry`` after the tip, inside the caller's transaction; returns its id.

    Ids are given here, one past the tip (or past the last row if higher), so that an id is
    never used twice, even after the last entries were deleted by hand.
    """
    tip_id, prev = _tip(conn)
    last = conn.execute("SELECT coalesce(max(id), 0) FROM audit").fetchone()[0]
    entry_id = max(tip_id, last) + 1
    digest = entry_hash(entry_id, entry, prev)
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


# -- reading ---------------------------------------------------------------------------------
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
    the chain holds) and ``problem`` says how, in English (JSON, logs)."""

    entries: int
    first: int | None = None
    last: int | None = None
    broken: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken is None

    def as_json(self) -> dict:
        return {"ok": self.ok, **self.__dict__}


def verify(store: Store) -> Verdict:
    """Walk the chain from its first entry: each must follow the one before it (else one
    was deleted, inserted or moved there) and hash to what it says (else it was changed).
    A first entry that does not start the chain must be one a ``prune`` entry kept; the last
    must be the head recorded with it (else the last entries were cut)."""
    n, first, previous = 0, None, None
    kept_from: set[tuple[int, str]] = set()
    for entry in _entries(store):
        n += 1
        if first is None:
            first = entry
        elif entry["prev"] != previous["hash"]:
            problem = (
                f"entry {entry['id']} does not follow entry {previous['id']}: an entry "
                "between them was deleted, or entries were inserted or reordered"
            )
            return Verdict(n, first["id"], entry["id"], entry["id"], problem)
        if entry_hash(entry["id"], entry, entry["prev"]) != entry["hash"]:
            problem = f"entry {entry['id']} was changed after it was written"
            return Verdict(n, first["id"], entry["id"], entry["id"], problem)
        if entry["action"] == "prune":
            args = json.loads(entry["args"] or "{}")
            kept_from.add((args.get("kept_from"), args.get("follows")))
        previous = entry
    if first is None or previous is None:
        head = store.get_setting(HEAD_KEY)
        if head:
            return Verdict(0, broken=0, problem=f"the trail is empty but entry {head} was written")
        return Verdict(0)
    if first["prev"] != GENESIS and (first["id"], first["prev"]) not in kept_from:
        problem = f"the entries before entry {first['id']} are missing and no prune removed them"
        return Verdict(n, first["id"], previous["id"], first["id"], problem)
    head = store.get_setting(HEAD_KEY)
    if head is not None and head != f"{previous['id']}:{previous['hash']}":
        problem = (
            f"the trail ends at entry {previous['id']} but entry {head.partition(':')[0]} "
            "was the last written: the last entries were cut or added by hand"
        )
        return Verdict(n, first["id"], previous["id"], previous["id"], problem)
    return Verdict(n, first["id"], previous["id"])


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
