"""The cache's schema: named migrations, applied in order by sqlite-utils' ``Migrations``.

Each migration is one function taking a ``sqlite_utils.Database``, named ``mNNN_what`` (its
number first, so that the names sort as they apply), decorated with :func:`migration`.
sqlite-utils records each one applied in ``_sqlite_migrations`` (set ``fivec_tui``), so none
runs twice.  :meth:`.Store.migrate` applies what is pending in one ``BEGIN IMMEDIATE``
transaction: two processes opening one cache at once upgrade it once (the second waits, then
finds nothing pending), and a migration that raises leaves the cache as it was, said in
:class:`~.integrity.CacheBroken`'s one line.  sqlite-utils gives each migration a savepoint
of its own inside it.

Caches from before ``_sqlite_migrations`` counted their migrations in ``PRAGMA
user_version`` (1 to 14, this module's first fourteen, in order): on their first open the
first ``user_version`` migrations are recorded as applied, in the same transaction as the
rest.  ``user_version`` is still kept at the number applied, so that a fivec-tui from before
this module, given a newer cache, runs none of its own again.

To add a migration: append a function below the last one, numbered one past it::

    @migration
    def m015_carrier_rollup(db: Database) -> None:
        \"\"\"15: what it adds and why (the comment a reader of the schema needs).\"\"\"
        db["rollup_carrier"].create({...}, pk=(...))
        db["reports"].create_index(["carrier"], index_name="reports_carrier")

- Write the schema through sqlite-utils (``create``, ``add_column``, ``create_index``,
  ``transform``: it runs inside the transaction, with foreign keys deferred) where that reads
  as well as the SQL; table constraints sqlite-utils cannot say (``UNIQUE(a, b)``,
  ``WITHOUT ROWID``), partial or expression indexes, triggers and data backfills stay SQL,
  one ``db.execute`` per statement: a statement is never split on ``;``.
- Never edit or renumber a migration that was merged: caches out there ran it.  Fix forward.
- Table names are part of the interface: people query their cache with sqlite3.
- ``tests/unit/test_migrations.py`` checks that a new cache and caches left at every older
  version reach the same schema; ``tests/oldcache.py`` makes such a cache.

sqlite-utils is imported only when something is pending (:func:`pending`, plain sqlite3, says
whether anything is): its import costs 70-160 ms here (numpy, dateutil), which the TUI's
first frame, opening its cache, must not pay.  Hence the decorator here, which registers each
function with a ``Migrations`` built on first need, rather than sqlite-utils' own.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ..api.carriers import carrier_sql
from .rollup import KEEP_SECONDS_S, LATE_LAG, bucket_sql, nodes

if TYPE_CHECKING:
    from sqlite_utils import Database
    from sqlite_utils.migrations import Migrations

#: The migration set's name in ``_sqlite_migrations``.
SET = "fivec_tui"
#: Every migration, in the order they apply.
STEPS: list[Callable[[Database], None]] = []


def migration(step: Callable[[Database], None]) -> Callable[[Database], None]:
    """Register ``step`` as the next migration, under its function's name."""
    STEPS.append(step)
    return step


class MigrationFailed(Exception):
    """A migration raised: the cache is left as it was.  ``sqlite_errorname`` is SQLite's
    (when SQLite raised), which tells a damaged cache from a refused change."""

    def __init__(self, name: str, exc: Exception) -> None:
        super().__init__(f"migration {name} failed: {exc}")
        self.sqlite_errorname = getattr(exc, "sqlite_errorname", "")


def pending(conn: sqlite3.Connection) -> list[str]:
    """The names of the migrations not applied yet (plain sqlite3: nothing is imported)."""
    try:
        rows = conn.execute(
            "SELECT name FROM _sqlite_migrations WHERE migration_set = ?", (SET,)
        ).fetchall()
    except sqlite3.OperationalError:  # no such table: a new cache, or one from before it
        rows = ()
    done = {name for (name,) in rows}
    return [step.__name__ for step in STEPS if step.__name__ not in done]


def upgrade(db: Database) -> None:
    """Apply the pending migrations, inside the caller's transaction."""
    migrations = _migrations()
    if not db[migrations.migrations_table].exists():
        _adopt(db, migrations)
    migrations.apply(db)
    db.execute(f"PRAGMA user_version = {len(migrations.applied(db))}")


def _migrations() -> Migrations:
    from sqlite_utils.migrations import Migrations

    migrations = Migrations(SET)
    for step in STEPS:
        migrations(name=step.__name__)(_said(step))
    return migrations


def _said(step: Callable[[Database], None]) -> Callable[[Database], None]:
    """``step``, whatever it raises said as :class:`MigrationFailed` with its name."""

    def run(db: Database) -> None:
        try:
            step(db)
        except Exception as exc:
            raise MigrationFailed(step.__name__, exc) from exc

    return run


def _adopt(db: Database, migrations: Migrations) -> None:
    """A cache from before ``_sqlite_migrations``: its first ``user_version`` migrations are
    recorded as applied (the same names, so none runs again)."""
    migrations.ensure_migrations_table(db)
    version = db.execute("PRAGMA user_version").fetchone()[0]
    now = str(datetime.now(UTC))  # as sqlite-utils writes applied_at
    db[migrations.migrations_table].insert_all(
        {"migration_set": SET, "name": step.__name__, "applied_at": now} for step in STEPS[:version]
    )


@migration
def m001_first_schema(db: Database) -> None:
    """1: the whole first schema, as every cache got it (table constraints and partial
    indexes sqlite-utils does not write)."""
    for sql in (
        """CREATE TABLE journal (
            id INTEGER PRIMARY KEY,
            stream TEXT NOT NULL,            -- reports | replies | records
            source TEXT NOT NULL,            -- pull | push | query
            received_at REAL NOT NULL,
            encode TEXT,
            body TEXT NOT NULL,
            parsed_at REAL,
            items INTEGER,
            unparsed INTEGER
        )""",
        "CREATE INDEX journal_unparsed ON journal(parsed_at) WHERE parsed_at IS NULL",
        """CREATE TABLE unparsed (
            id INTEGER PRIMARY KEY, journal_id INTEGER, stream TEXT, raw TEXT, reason TEXT,
            UNIQUE(journal_id, raw)
        )""",
        """CREATE TABLE records (
            id INTEGER PRIMARY KEY,
            msgid TEXT NOT NULL, mobile TEXT NOT NULL, content TEXT, sent_at REAL,
            username TEXT, minute INTEGER, prefix TEXT,
            UNIQUE(msgid, mobile)
        )""",
        "CREATE INDEX records_sent ON records(sent_at)",
        "CREATE INDEX records_mobile ON records(mobile, sent_at)",
        """CREATE TABLE reports (
            id INTEGER PRIMARY KEY,
            msgid TEXT NOT NULL, mobile TEXT NOT NULL, status TEXT NOT NULL, ext TEXT,
            reported_at REAL, journal_id INTEGER, counted INTEGER NOT NULL DEFAULT 0,
            UNIQUE(msgid, mobile)
        )""",
        "CREATE INDEX reports_uncounted ON reports(msgid, mobile) WHERE counted = 0",
        "CREATE INDEX reports_mobile ON reports(mobile)",
        "CREATE INDEX reports_status ON reports(status, id)",
        """CREATE TABLE replies (
            id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE,
            mobile TEXT, content TEXT, ext TEXT, reply_id TEXT, received_at REAL,
            raw TEXT, clean INTEGER, opt_out INTEGER, journal_id INTEGER
        )""",
        "CREATE INDEX replies_mobile ON replies(mobile, received_at)",
        "CREATE INDEX replies_time ON replies(received_at)",
        """CREATE TABLE rollup (
            minute INTEGER NOT NULL, prefix TEXT NOT NULL, status TEXT NOT NULL,
            n INTEGER NOT NULL,
            PRIMARY KEY (minute, prefix, status)
        ) WITHOUT ROWID""",
        """CREATE TABLE latency (
            minute INTEGER NOT NULL, bucket INTEGER NOT NULL, n INTEGER NOT NULL,
            PRIMARY KEY (minute, bucket)
        ) WITHOUT ROWID""",
        """CREATE TABLE balance (
            id INTEGER PRIMARY KEY, at REAL, remaining REAL, total REAL, raw TEXT
        )""",
        """CREATE TABLE outbox (
            id INTEGER PRIMARY KEY, created_at REAL, updated_at REAL, state TEXT NOT NULL,
            msgid TEXT, mobiles TEXT, content TEXT, encode TEXT, form TEXT, parts INTEGER,
            detail TEXT
        )""",
        """CREATE TABLE blacklist_lookups (
            id INTEGER PRIMARY KEY, at REAL, mobile TEXT, black INTEGER, description TEXT,
            added TEXT, action TEXT, raw TEXT
        )""",
        "CREATE INDEX blacklist_mobile ON blacklist_lookups(mobile, at)",
        """CREATE TABLE poll_runs (
            id INTEGER PRIMARY KEY, job TEXT, started_at REAL, duration REAL, outcome TEXT,
            error TEXT, items INTEGER
        )""",
        "CREATE INDEX poll_runs_job ON poll_runs(job, id)",
        """CREATE TABLE alerts (
            id INTEGER PRIMARY KEY, at REAL, rule TEXT, state TEXT, message TEXT, payload TEXT,
            acked INTEGER DEFAULT 0
        )""",
        "CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT)",
        """CREATE TABLE forward_queue (
            id INTEGER PRIMARY KEY, journal_id INTEGER, target TEXT, body TEXT,
            attempts INTEGER DEFAULT 0, next_at REAL, state TEXT DEFAULT 'queued',
            last_error TEXT
        )""",
        "CREATE INDEX forward_due ON forward_queue(state, next_at)",
    ):
        db.execute(sql)


@migration
def m002_reports_fewer_indexes(db: Database) -> None:
    """2: reports are written far more than they are searched: the screens reach reports
    through records (indexed by mobile and time) and the unique (msgid, mobile) key, so
    these two indexes only taxed every insert."""
    db["reports"].drop_index("reports_mobile")
    db["reports"].drop_index("reports_status")


@migration
def m003_latency_total(db: Database) -> None:
    """3: the latency histogram keeps its sum too (Prometheus histograms need it)."""
    db["latency"].add_column("total_s", "REAL", not_null_default=0)


@migration
def m004_forward_once(db: Database) -> None:
    """4: a body the platform pushes again (it retries when our answer was lost) is queued
    for each downstream once."""
    db["forward_queue"].add_column("body_sha1", str)
    db["forward_queue"].create_index(["target", "body_sha1"], "forward_once", unique=True)


@migration
def m005_reports_record_id(db: Database) -> None:
    """5: a counted report keeps its record's rowid, so counting a chunk reaches each record
    by rowid instead of a second key lookup.  0: waiting for its record (as counted = 0 was,
    same partial index); -1: counted before this migration, its record already pruned.
    (Pruning may later remove a counted report's record too: the id is only read at count
    time, in the transaction that stored it.)  A rename in place: ``transform`` would copy
    the whole table."""
    db.execute("ALTER TABLE reports RENAME COLUMN counted TO record_id")
    db.execute(
        """UPDATE reports SET record_id = coalesce(
            (SELECT r.id FROM records r WHERE r.msgid = reports.msgid
             AND r.mobile = reports.mobile),
            -1
        ) WHERE record_id != 0"""
    )


@migration
def m006_cached_at(db: Database) -> None:
    """6: retention counts from when the cache got a row, not from the platform's time, which
    a backlog (after an outage) or a platform clock that is off puts far in the past.  Whole
    seconds, so 4 bytes a row; no index: rows arrive in rowid order, so the prune walks
    rowids from the oldest (retention.prune).  Rows already cached get the receipt time of
    the journal body they came in (reports, pulled replies); without one (records and watched
    replies are not journaled, and old bodies are pruned) their own time, which for those is
    close to their arrival; without either, now."""
    for table in ("reports", "records", "replies"):
        db[table].add_column("cached_at", int)
    for table, event in (("reports", "reported_at"), ("replies", "received_at")):
        db.execute(
            f"""UPDATE {table} SET cached_at = CAST(coalesce(
                (SELECT j.received_at FROM journal j WHERE j.id = {table}.journal_id),
                {event}, unixepoch()
            ) AS INTEGER)"""
        )
    db.execute("UPDATE records SET cached_at = CAST(coalesce(sent_at, unixepoch()) AS INTEGER)")


@migration
def m007_journal_size(db: Database) -> None:
    """7: a smaller cache.  Bodies are journaled zlib-compressed (a BLOB; earlier ones stay
    TEXT), with ``size``, the body's bytes as received (UTF-8), so that the sqlite3 shell
    reads one back: ``SELECT CAST(sqlar_uncompress(body, size) AS TEXT) FROM journal``
    (:func:`journaling.read_body` in Python).  reports_uncounted goes: the reports a new
    record counts are found through the (msgid, mobile) key, as every other lookup of a
    report is, and the copy of that key cost each waiting report about 40 bytes."""
    db["journal"].add_column("size", int)
    db["reports"].drop_index("reports_uncounted")


@migration
def m008_campaigns(db: Database) -> None:
    """8: the campaign journal of bulk sends (store/campaigns.py): a request is written
    before it goes out and given its answer after, so a crash leaves every row planned,
    answered or known to be unknown; an unknown one is settled from the send records, never
    resent blind."""
    db["campaigns"].create(
        {
            "id": int,
            "created_at": float,
            "updated_at": float,
            "state": str,
            "source": str,
            "source_sha1": str,
            "mode": str,
            "text": str,
            "encode": str,
            "traffic": str,
            "rate": float,
            "start_time": float,
            "rows": int,
            "rejected": int,
            "results": str,
            "rejects": str,
            "runner_pid": int,
            "detail": str,
        },
        pk="id",
        not_null={"state", "detail"},
        defaults={"detail": ""},
    )
    db["campaigns"].create_index(["source_sha1"], "campaigns_source")
    db["campaign_requests"].create(
        {
            "id": int,
            "campaign_id": int,
            "kind": str,
            "state": str,
            "created_at": float,
            "sent_at": float,
            "answered_at": float,
            "settled_at": float,
            "attempts": int,
            "n": int,
            "msgid": str,
            "raw": str,
            "detail": str,
        },
        pk="id",
        foreign_keys=[("campaign_id", "campaigns", "id")],
        not_null={"campaign_id", "kind", "state", "attempts", "detail"},
        defaults={"attempts": 0, "detail": ""},
    )
    db["campaign_requests"].create_index(["campaign_id", "state"], "campaign_requests_state")
    db.execute(
        """CREATE TABLE campaign_rows (
            campaign_id INTEGER NOT NULL, row INTEGER NOT NULL, mobile TEXT NOT NULL,
            content TEXT, parts INTEGER, request_id INTEGER, state TEXT NOT NULL, msgid TEXT,
            error TEXT, settled TEXT,
            PRIMARY KEY (campaign_id, row)
        ) WITHOUT ROWID"""
    )
    db["campaign_rows"].create_index(["request_id"], "campaign_rows_request")


@migration
def m009_subaccounts(db: Database) -> None:
    """9: an account's sub-accounts (§11) as the sub-accounts job last pulled them
    (store/accounts.py): billing counts today and this month by kind, balances, locked or
    not."""
    columns: dict[str, type] = {
        "username": str,
        "main": int,
        "locked": int,
        "status": str,
        "checked_at": float,
    }
    for kind in ("domestic", "international", "mms", "voice"):
        columns |= {
            f"today_{kind}": int,
            f"month_{kind}": int,
            f"total_{kind}": float,
            f"remaining_{kind}": float,
        }
    zero = {c: 0 for c in columns if c.startswith(("today_", "month_"))} | {"main": 0}
    db["subaccounts"].create(
        columns, pk="username", not_null={"status", *zero}, defaults={"status": "", **zero}
    )


@migration
def m010_late_rollups(db: Database) -> None:
    """10: time-travel (store/asof.py): the reports reported in a later minute than they were
    sent, counted again by that report minute, so the numbers at a past moment subtract
    those reported after it.  Reports already counted are added from their rows (a report
    whose record was pruned, record_id -1, cannot be placed and stays "known")."""
    db.execute(
        """CREATE TABLE rollup_late (
            minute INTEGER NOT NULL, rminute INTEGER NOT NULL, prefix TEXT NOT NULL,
            status TEXT NOT NULL, n INTEGER NOT NULL,
            PRIMARY KEY (minute, rminute, prefix, status)
        ) WITHOUT ROWID"""
    )
    db.execute(
        """CREATE TABLE latency_late (
            minute INTEGER NOT NULL, rminute INTEGER NOT NULL, bucket INTEGER NOT NULL,
            n INTEGER NOT NULL, total_s REAL NOT NULL DEFAULT 0,
            PRIMARY KEY (minute, rminute, bucket)
        ) WITHOUT ROWID"""
    )
    late = """FROM reports p JOIN records r ON r.id = p.record_id
        WHERE p.record_id > 0 AND r.minute IS NOT NULL AND rm > r.minute"""
    rminute = "CAST(coalesce(p.reported_at, p.cached_at) / 60 AS INTEGER) AS rm"
    db.execute(
        "INSERT INTO rollup_late(minute, rminute, prefix, status, n) "
        f"SELECT r.minute, {rminute}, r.prefix, p.status, count(*) {late} GROUP BY 1, 2, 3, 4"
    )
    db.execute(
        "INSERT INTO latency_late(minute, rminute, bucket, n, total_s) "
        f"SELECT r.minute, {rminute}, {bucket_sql('(p.reported_at - r.sent_at)')}, count(*), "
        f"sum(max(p.reported_at - r.sent_at, 0)) {late} GROUP BY 1, 2, 3"
    )


@migration
def m011_journal_envelope(db: Database) -> None:
    """11: a body is journaled as the bytes that came (a push: the request body, before any
    form or percent decoding), ``envelope`` saying how to read them: JSON of what came around
    them (a push's content_type and query).  NULL: the body is text, as every body before.
    Stored as before: zlib when smaller, else as they are (``length(body) = size``, which is
    how ``sqlar_uncompress(body, size)`` tells the two apart)."""
    db["journal"].add_column("envelope", str)


@migration
def m012_audit(db: Database) -> None:
    """12: the audit trail (store/audit.py): every action on the platform, who took it and
    how it ended, append-only and hash-chained.  The triggers refuse an UPDATE, and a DELETE
    unless retention set its flag in settings: a guard against accidents, the chain is the
    proof.  A campaign is known by its content (the normalised rows and the text), so that a
    re-saved copy of a file is the same campaign and another text to the same list is not."""
    said = ["user", "uid_user", "sudo_user", "ssh", "host", "path", "profile", "account"]
    asked = ["numbers_sha256", "mobiles", "text", "template", "variables", "args", "msgid"]
    columns = {"id": int, "at": float, "action": str, "outcome": str, "ref": int}
    columns |= dict.fromkeys(said, str) | {"numbers": int} | dict.fromkeys(asked, str)
    columns |= {"detail": str, "prev": str, "hash": str}
    empty = [*said, *asked, "detail"]
    db["audit"].create(
        columns,
        pk="id",
        not_null={"at", "action", "outcome", "prev", "hash", *empty},
        defaults=dict.fromkeys(empty, ""),
    )
    db["audit"].create_index(["at"], "audit_at")
    db.execute("CREATE INDEX audit_ref ON audit(ref) WHERE ref IS NOT NULL")
    db.execute(
        """CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
        BEGIN SELECT RAISE(ABORT, 'audit entries are never changed'); END"""
    )
    db.execute(
        """CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
        WHEN NOT EXISTS (SELECT 1 FROM settings WHERE key = 'audit.pruning')
        BEGIN SELECT RAISE(ABORT, 'audit entries are removed by retention only'); END"""
    )
    db["campaigns"].add_column("content_sha1", str)
    db["campaigns"].create_index(["content_sha1"], "campaigns_content")


@migration
def m013_job_health(db: Database) -> None:
    """13: each sync job's health as its poller last wrote it (store/poller.py), one row per
    job, upserted after every run: what the TUI, `stats --all` and the Accounts overview read
    instead of asking the process.  ``pid``: the poller that wrote the row."""
    db["job_health"].create(
        {
            "job": str,
            "mode": str,
            "status": str,
            "last_run": float,
            "last_success": float,
            "failures": int,
            "failing_since": float,
            "next_run": float,
            "backoff_s": float,
            "note": str,
            "last_error": str,
            "needs_person": int,
            "pid": int,
        },
        pk="job",
        not_null={"mode", "status", "failures", "backoff_s", "note", "last_error", "needs_person"},
        defaults={"failures": 0, "backoff_s": 0, "note": "", "last_error": "", "needs_person": 0},
        if_not_exists=True,
    )


@migration
def m014_reports_time(db: Database) -> None:
    """14: time-travel to the second (store/windows.py): the reports of a moment's own minute
    that came after its second are found by their platform report time (the cache's receipt
    when the platform gave none), the expression the queries use."""
    db.execute("CREATE INDEX reports_time ON reports(coalesce(reported_at, cached_at))")


#: Billed parts of a record's text (api/sms.py:parts), in SQL.
_PARTS = "CASE WHEN length(content) <= 70 THEN 1 ELSE (length(content) + 66) / 67 END"


@migration
def m015_carrier_rollups(db: Database) -> None:
    """15: carriers, message groups, and exact windows that stay cheap (store/rollup.py,
    store/windows.py).  reports_time goes: it cost a third of ingest and 19 bytes a report;
    the reports of a moment's own minute that came after it are read from rollup_late's
    ``seconds`` instead (rebuilt; the few reports later than LATE_LAG minutes are indexed by
    report minute).  Records get their message group (groups: signature, template, campaign)
    and billed parts (status PARTS in the rollups); rollups by carrier and hour and day, by
    group, and by send second (the edges of recent windows: rollup_s by carrier and group,
    rollup_sp by block) are added, latency is kept by carrier.  Each is filled from the rows still cached; what the rows no longer hold stays
    in the coarser rollups (latency: carrier 'unknown'; groups: group 0).  records_fraction
    holds only sends at a fraction of a second (none from the platform): the per-second
    rollups count whole seconds, the rest is read from rows."""
    bucket = bucket_sql("(p.reported_at - r.sent_at)")
    carrier = carrier_sql("r.prefix")
    recent = (
        "r.sent_at = CAST(r.sent_at AS INTEGER) "
        f"AND r.sent_at >= unixepoch() - {KEEP_SECONDS_S + 3600}"
    )
    report_minute = "CAST(coalesce(p.reported_at, p.cached_at) / 60 AS INTEGER)"
    db.execute("DROP INDEX reports_time")
    db["records"].add_column("grp", int)
    db["records"].add_column("parts", int)
    db.execute(
        "CREATE INDEX records_fraction ON records(sent_at) WHERE sent_at <> CAST(sent_at AS INTEGER)"
    )
    db.execute(
        """CREATE TABLE groups (
            id INTEGER PRIMARY KEY, signature TEXT NOT NULL, template TEXT NOT NULL,
            campaign INTEGER NOT NULL DEFAULT 0, UNIQUE (signature, template, campaign)
        )"""
    )
    db.execute("INSERT INTO groups(id, signature, template, campaign) VALUES (0, '', '', 0)")
    db.execute("CREATE INDEX campaign_requests_msgid ON campaign_requests(msgid) WHERE msgid != ''")
    db.execute(
        f"""INSERT INTO rollup(minute, prefix, status, n)
        SELECT minute, prefix, 'PARTS', sum({_PARTS}) FROM records
        WHERE minute IS NOT NULL AND length(content) > 0 GROUP BY 1, 2"""
    )
    db.execute(
        """CREATE TABLE latency_c (
            minute INTEGER NOT NULL, carrier TEXT NOT NULL, bucket INTEGER NOT NULL,
            n INTEGER NOT NULL, total_s REAL NOT NULL DEFAULT 0,
            PRIMARY KEY (minute, carrier, bucket)
        ) WITHOUT ROWID"""
    )
    db.execute(
        f"""INSERT INTO latency_c(minute, carrier, bucket, n, total_s)
        SELECT r.minute, {carrier}, {bucket}, count(*),
               coalesce(sum(max(p.reported_at - r.sent_at, 0)), 0)
        FROM reports p JOIN records r ON r.id = p.record_id
        WHERE p.record_id > 0 AND r.minute IS NOT NULL GROUP BY 1, 2, 3"""
    )
    db.execute(
        """INSERT INTO latency_c(minute, carrier, bucket, n, total_s)
        SELECT minute, 'unknown', bucket, n, total_s FROM latency
        WHERE minute NOT IN (SELECT minute FROM latency_c)"""
    )
    db.execute("DROP TABLE latency")
    db.execute("ALTER TABLE latency_c RENAME TO latency")
    for table, grain, key, source in (
        (
            "rollup_h",
            "hour",
            "carrier TEXT",
            f"SELECT minute / 60, {carrier}, status, sum(n) FROM rollup r",
        ),
        (
            "rollup_d",
            "day",
            "carrier TEXT",
            "SELECT hour / 24, carrier, status, sum(n) FROM rollup_h",
        ),
        ("rollup_g", "minute", "grp INTEGER", "SELECT minute, 0, status, sum(n) FROM rollup"),
    ):
        column = key.split()[0]
        db.execute(
            f"""CREATE TABLE {table} (
                {grain} INTEGER NOT NULL, {key} NOT NULL, status TEXT NOT NULL,
                n INTEGER NOT NULL, PRIMARY KEY ({grain}, {column}, status)
            ) WITHOUT ROWID"""
        )
        db.execute(f"INSERT INTO {table} {source} GROUP BY 1, 2, 3")
    db.execute(
        """CREATE TABLE latency_h (
            hour INTEGER NOT NULL, carrier TEXT NOT NULL, bucket INTEGER NOT NULL,
            n INTEGER NOT NULL, total_s REAL NOT NULL DEFAULT 0,
            PRIMARY KEY (hour, carrier, bucket)
        ) WITHOUT ROWID"""
    )
    db.execute(
        """INSERT INTO latency_h(hour, carrier, bucket, n, total_s)
        SELECT minute / 60, carrier, bucket, sum(n), sum(total_s) FROM latency GROUP BY 1, 2, 3"""
    )
    db.execute(
        """CREATE TABLE latency_g (
            minute INTEGER NOT NULL, grp INTEGER NOT NULL, bucket INTEGER NOT NULL,
            n INTEGER NOT NULL, PRIMARY KEY (minute, grp, bucket)
        ) WITHOUT ROWID"""
    )
    db.execute(
        """INSERT INTO latency_g(minute, grp, bucket, n)
        SELECT minute, 0, bucket, sum(n) FROM latency GROUP BY 1, 3"""
    )
    db.execute(
        """CREATE TABLE rollup_s (
            second INTEGER NOT NULL, carrier TEXT NOT NULL, grp INTEGER NOT NULL,
            status TEXT NOT NULL, bucket INTEGER NOT NULL, n INTEGER NOT NULL,
            PRIMARY KEY (second, carrier, grp, status, bucket)
        ) WITHOUT ROWID"""
    )
    db.execute(
        f"""INSERT INTO rollup_s(second, carrier, grp, status, bucket, n)
        SELECT CAST(r.sent_at AS INTEGER), {carrier}, 0, 'SENT', 0, count(*) FROM records r
        WHERE {recent} GROUP BY 1, 2"""
    )
    db.execute(
        f"""INSERT INTO rollup_s(second, carrier, grp, status, bucket, n)
        SELECT CAST(r.sent_at AS INTEGER), {carrier}, 0, 'PARTS', 0, sum({_PARTS}) FROM records r
        WHERE {recent} AND length(r.content) > 0 GROUP BY 1, 2"""
    )
    db.execute(
        f"""INSERT INTO rollup_s(second, carrier, grp, status, bucket, n)
        SELECT CAST(r.sent_at AS INTEGER), {carrier}, 0, p.status, {bucket}, count(*)
        FROM reports p JOIN records r ON r.id = p.record_id
        WHERE p.record_id > 0 AND {recent} GROUP BY 1, 2, 4, 5"""
    )
    db.execute(
        """CREATE TABLE rollup_sp (
            second INTEGER NOT NULL, prefix TEXT NOT NULL, status TEXT NOT NULL,
            n INTEGER NOT NULL, PRIMARY KEY (second, prefix, status)
        ) WITHOUT ROWID"""
    )
    db.execute(
        f"""INSERT INTO rollup_sp(second, prefix, status, n)
        SELECT second, prefix, status, sum(n) FROM (
            SELECT CAST(r.sent_at AS INTEGER) AS second, r.prefix AS prefix, 'SENT' AS status,
                   count(*) AS n FROM records r WHERE {recent} GROUP BY 1, 2
            UNION ALL SELECT CAST(r.sent_at AS INTEGER), r.prefix, 'PARTS', sum({_PARTS})
            FROM records r WHERE {recent} AND length(r.content) > 0 GROUP BY 1, 2
            UNION ALL SELECT CAST(r.sent_at AS INTEGER), r.prefix, p.status, count(*)
            FROM reports p JOIN records r ON r.id = p.record_id
            WHERE p.record_id > 0 AND {recent} GROUP BY 1, 2, 3
        ) GROUP BY 1, 2, 3"""
    )
    db.execute("DROP TABLE rollup_late")
    db.execute("DROP TABLE latency_late")
    db.execute(
        """CREATE TABLE rollup_late (
            minute INTEGER NOT NULL, rminute INTEGER NOT NULL, prefix TEXT NOT NULL,
            status TEXT NOT NULL, bucket INTEGER NOT NULL, n INTEGER NOT NULL,
            seconds TEXT NOT NULL DEFAULT '',
            PRIMARY KEY (minute, rminute, prefix, status, bucket)
        ) WITHOUT ROWID"""
    )
    db.execute(
        f"CREATE INDEX rollup_late_long ON rollup_late(rminute) WHERE rminute > minute + {LATE_LAG}"
    )
    db.execute(
        f"""INSERT INTO rollup_late(minute, rminute, prefix, status, bucket, n, seconds)
        SELECT minute, rminute, prefix, status, bucket, sum(n),
               group_concat(printf('%.17g:%d', off, n))
        FROM (
            SELECT r.minute AS minute, {report_minute} AS rminute, r.prefix AS prefix,
                   p.status AS status, {bucket} AS bucket,
                   coalesce(p.reported_at, p.cached_at) - 60 * {report_minute} AS off,
                   count(*) AS n
            FROM reports p JOIN records r ON r.id = p.record_id
            WHERE p.record_id > 0 AND r.minute IS NOT NULL AND {report_minute} > r.minute
            GROUP BY 1, 2, 3, 4, 5, 6
        ) GROUP BY 1, 2, 3, 4, 5"""
    )


@migration
def m016_per_second_tree(db: Database) -> None:
    """16: the per-second rollups (rollup_s, rollup_sp) hold each minute's seconds as a
    Fenwick tree (store/rollup.py:nodes), so that a window's edge is a few rows whatever its
    length and the traffic: each second's counts are added to the tree's rows over it.  (The
    minute cut by the oldest second kept is partial, as it was: windows never read it.)"""
    pairs = ", ".join(f"({s}, {node - s})" for s in range(60) for node in nodes(s))
    for table, keys in (
        ("rollup_s", "carrier, grp, status, bucket"),
        ("rollup_sp", "prefix, status"),
    ):
        db.execute(f"CREATE TEMP TABLE old_seconds AS SELECT * FROM {table}")
        db.execute(f"DELETE FROM {table}")
        db.execute(
            f"""INSERT INTO {table}(second, {keys}, n)
            WITH tree(off, step) AS (VALUES {pairs})
            SELECT o.second + t.step, {keys}, sum(o.n) FROM old_seconds o
            JOIN tree t ON t.off = o.second % 60
            GROUP BY 1, {keys}"""
        )
        db.execute("DROP TABLE old_seconds")
