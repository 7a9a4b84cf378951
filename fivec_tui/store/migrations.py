"""The cache's schema as versioned migrations, applied in order by :meth:`Store.migrate`.

Each entry is one version (``PRAGMA user_version``): statements separated by ``;``, run in
one transaction with the version bump.  Table names are part of the interface: people query
their cache with sqlite3.
"""

from ..api.carriers import carrier_sql
from .rollup import KEEP_SECONDS_S, LATE_LAG, bucket_sql

MIGRATIONS: list[str] = [
    # 1: the whole first schema
    """
    CREATE TABLE journal (
        id INTEGER PRIMARY KEY,
        stream TEXT NOT NULL,            -- reports | replies | records
        source TEXT NOT NULL,            -- pull | push | query
        received_at REAL NOT NULL,
        encode TEXT,
        body TEXT NOT NULL,
        parsed_at REAL,
        items INTEGER,
        unparsed INTEGER
    );
    CREATE INDEX journal_unparsed ON journal(parsed_at) WHERE parsed_at IS NULL;
    CREATE TABLE unparsed (
        id INTEGER PRIMARY KEY, journal_id INTEGER, stream TEXT, raw TEXT, reason TEXT,
        UNIQUE(journal_id, raw)
    );
    CREATE TABLE records (
        id INTEGER PRIMARY KEY,
        msgid TEXT NOT NULL, mobile TEXT NOT NULL, content TEXT, sent_at REAL,
        username TEXT, minute INTEGER, prefix TEXT,
        UNIQUE(msgid, mobile)
    );
    CREATE INDEX records_sent ON records(sent_at);
    CREATE INDEX records_mobile ON records(mobile, sent_at);
    CREATE TABLE reports (
        id INTEGER PRIMARY KEY,
        msgid TEXT NOT NULL, mobile TEXT NOT NULL, status TEXT NOT NULL, ext TEXT,
        reported_at REAL, journal_id INTEGER, counted INTEGER NOT NULL DEFAULT 0,
        UNIQUE(msgid, mobile)
    );
    CREATE INDEX reports_uncounted ON reports(msgid, mobile) WHERE counted = 0;
    CREATE INDEX reports_mobile ON reports(mobile);
    CREATE INDEX reports_status ON reports(status, id);
    CREATE TABLE replies (
        id INTEGER PRIMARY KEY, key TEXT NOT NULL UNIQUE,
        mobile TEXT, content TEXT, ext TEXT, reply_id TEXT, received_at REAL,
        raw TEXT, clean INTEGER, opt_out INTEGER, journal_id INTEGER
    );
    CREATE INDEX replies_mobile ON replies(mobile, received_at);
    CREATE INDEX replies_time ON replies(received_at);
    CREATE TABLE rollup (
        minute INTEGER NOT NULL, prefix TEXT NOT NULL, status TEXT NOT NULL, n INTEGER NOT NULL,
        PRIMARY KEY (minute, prefix, status)
    ) WITHOUT ROWID;
    CREATE TABLE latency (
        minute INTEGER NOT NULL, bucket INTEGER NOT NULL, n INTEGER NOT NULL,
        PRIMARY KEY (minute, bucket)
    ) WITHOUT ROWID;
    CREATE TABLE balance (id INTEGER PRIMARY KEY, at REAL, remaining REAL, total REAL, raw TEXT);
    CREATE TABLE outbox (
        id INTEGER PRIMARY KEY, created_at REAL, updated_at REAL, state TEXT NOT NULL,
        msgid TEXT, mobiles TEXT, content TEXT, encode TEXT, form TEXT, parts INTEGER,
        detail TEXT
    );
    CREATE TABLE blacklist_lookups (
        id INTEGER PRIMARY KEY, at REAL, mobile TEXT, black INTEGER, description TEXT,
        added TEXT, action TEXT, raw TEXT
    );
    CREATE INDEX blacklist_mobile ON blacklist_lookups(mobile, at);
    CREATE TABLE poll_runs (
        id INTEGER PRIMARY KEY, job TEXT, started_at REAL, duration REAL, outcome TEXT,
        error TEXT, items INTEGER
    );
    CREATE INDEX poll_runs_job ON poll_runs(job, id);
    CREATE TABLE alerts (
        id INTEGER PRIMARY KEY, at REAL, rule TEXT, state TEXT, message TEXT, payload TEXT,
        acked INTEGER DEFAULT 0
    );
    CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT);
    CREATE TABLE forward_queue (
        id INTEGER PRIMARY KEY, journal_id INTEGER, target TEXT, body TEXT,
        attempts INTEGER DEFAULT 0, next_at REAL, state TEXT DEFAULT 'queued', last_error TEXT
    );
    CREATE INDEX forward_due ON forward_queue(state, next_at);
    """,
    # 2: reports are written far more than they are searched: the screens reach reports
    # through records (indexed by mobile and time) and the unique (msgid, mobile) key, so
    # these two indexes only taxed every insert.
    """
    DROP INDEX reports_mobile;
    DROP INDEX reports_status
    """,
    # 3: the latency histogram keeps its sum too (Prometheus histograms need it)
    """
    ALTER TABLE latency ADD COLUMN total_s REAL NOT NULL DEFAULT 0
    """,
    # 4: a body the platform pushes again (it retries when our answer was lost) is queued for
    # each downstream once
    """
    ALTER TABLE forward_queue ADD COLUMN body_sha1 TEXT;
    CREATE UNIQUE INDEX forward_once ON forward_queue(target, body_sha1)
    """,
    # 5: a counted report keeps its record's rowid, so counting a chunk reaches each record
    # by rowid instead of a second key lookup.  0: waiting for its record (as counted = 0
    # was, same partial index); -1: counted before this migration, its record already pruned.
    # (Pruning may later remove a counted report's record too: the id is only read at count
    # time, in the transaction that stored it.)
    """
    ALTER TABLE reports RENAME COLUMN counted TO record_id;
    UPDATE reports SET record_id = coalesce(
        (SELECT r.id FROM records r WHERE r.msgid = reports.msgid AND r.mobile = reports.mobile),
        -1
    ) WHERE record_id != 0
    """,
    # 6: retention counts from when the cache got a row, not from the platform's time, which a
    # backlog (after an outage) or a platform clock that is off puts far in the past.  Whole
    # seconds, so 4 bytes a row; no index: rows arrive in rowid order, so the prune walks
    # rowids from the oldest (retention.prune).  Rows already cached get the receipt time of the
    # journal body they came in (reports, pulled replies); without one (records and watched
    # replies are not journaled, and old bodies are pruned) their own time, which for those
    # is close to their arrival; without either, now.
    """
    ALTER TABLE reports ADD COLUMN cached_at INTEGER;
    ALTER TABLE records ADD COLUMN cached_at INTEGER;
    ALTER TABLE replies ADD COLUMN cached_at INTEGER;
    UPDATE reports SET cached_at = CAST(coalesce(
        (SELECT j.received_at FROM journal j WHERE j.id = reports.journal_id),
        reported_at, unixepoch()
    ) AS INTEGER);
    UPDATE replies SET cached_at = CAST(coalesce(
        (SELECT j.received_at FROM journal j WHERE j.id = replies.journal_id),
        received_at, unixepoch()
    ) AS INTEGER);
    UPDATE records SET cached_at = CAST(coalesce(sent_at, unixepoch()) AS INTEGER)
    """,
    # 7: a smaller cache.  Bodies are journaled zlib-compressed (a BLOB; earlier ones stay
    # TEXT), with ``size``, the body's bytes as received (UTF-8), so that the sqlite3 shell
    # reads one back: ``SELECT CAST(sqlar_uncompress(body, size) AS TEXT) FROM journal``
    # (:func:`journaling.read_body` in Python).  reports_uncounted goes: the reports a new
    # record counts are found through the (msgid, mobile) key, as every other lookup of a
    # report is, and the copy of that key cost each waiting report about 40 bytes.
    """
    ALTER TABLE journal ADD COLUMN size INTEGER;
    DROP INDEX reports_uncounted
    """,
    # 8: the campaign journal of bulk sends (store/campaigns.py): a request is written before it
    # goes out and given its answer after, so a crash leaves every row planned, answered or
    # known to be unknown; an unknown one is settled from the send records, never resent blind.
    """
    CREATE TABLE campaigns (
        id INTEGER PRIMARY KEY, created_at REAL, updated_at REAL, state TEXT NOT NULL,
        source TEXT, source_sha1 TEXT, mode TEXT, text TEXT, encode TEXT, traffic TEXT,
        rate REAL, start_time REAL, rows INTEGER, rejected INTEGER, results TEXT, rejects TEXT,
        runner_pid INTEGER, detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX campaigns_source ON campaigns(source_sha1);
    CREATE TABLE campaign_requests (
        id INTEGER PRIMARY KEY, campaign_id INTEGER NOT NULL REFERENCES campaigns(id),
        kind TEXT NOT NULL, state TEXT NOT NULL, created_at REAL, sent_at REAL,
        answered_at REAL, settled_at REAL, attempts INTEGER NOT NULL DEFAULT 0, n INTEGER,
        msgid TEXT, raw TEXT, detail TEXT NOT NULL DEFAULT ''
    );
    CREATE INDEX campaign_requests_state ON campaign_requests(campaign_id, state);
    CREATE TABLE campaign_rows (
        campaign_id INTEGER NOT NULL, row INTEGER NOT NULL, mobile TEXT NOT NULL,
        content TEXT, parts INTEGER, request_id INTEGER, state TEXT NOT NULL, msgid TEXT,
        error TEXT, settled TEXT,
        PRIMARY KEY (campaign_id, row)
    ) WITHOUT ROWID;
    CREATE INDEX campaign_rows_request ON campaign_rows(request_id)
    """,
    # 9: an account's sub-accounts (§11) as the sub-accounts job last pulled them
    # (store/accounts.py): billing counts today and this month by kind, balances, locked or not.
    """
    CREATE TABLE subaccounts (
        username TEXT PRIMARY KEY, main INTEGER NOT NULL DEFAULT 0, locked INTEGER,
        status TEXT NOT NULL DEFAULT '', checked_at REAL,
        today_domestic INTEGER NOT NULL DEFAULT 0, month_domestic INTEGER NOT NULL DEFAULT 0,
        total_domestic REAL, remaining_domestic REAL,
        today_international INTEGER NOT NULL DEFAULT 0, month_international INTEGER NOT NULL DEFAULT 0,
        total_international REAL, remaining_international REAL,
        today_mms INTEGER NOT NULL DEFAULT 0, month_mms INTEGER NOT NULL DEFAULT 0,
        total_mms REAL, remaining_mms REAL,
        today_voice INTEGER NOT NULL DEFAULT 0, month_voice INTEGER NOT NULL DEFAULT 0,
        total_voice REAL, remaining_voice REAL
    )
    """,
    # 10: time-travel (store/asof.py): the reports reported in a later minute than they were
    # sent, counted again by that report minute, so the numbers at a past moment subtract those
    # reported after it.  Reports already counted are added from their rows (a report whose
    # record was pruned, record_id -1, cannot be placed and stays "known").
    """
    CREATE TABLE rollup_late (
        minute INTEGER NOT NULL, rminute INTEGER NOT NULL, prefix TEXT NOT NULL,
        status TEXT NOT NULL, n INTEGER NOT NULL,
        PRIMARY KEY (minute, rminute, prefix, status)
    ) WITHOUT ROWID;
    CREATE TABLE latency_late (
        minute INTEGER NOT NULL, rminute INTEGER NOT NULL, bucket INTEGER NOT NULL,
        n INTEGER NOT NULL, total_s REAL NOT NULL DEFAULT 0,
        PRIMARY KEY (minute, rminute, bucket)
    ) WITHOUT ROWID;
    INSERT INTO rollup_late(minute, rminute, prefix, status, n)
    SELECT r.minute, CAST(coalesce(p.reported_at, p.cached_at) / 60 AS INTEGER) AS rm, r.prefix,
           p.status, count(*)
    FROM reports p JOIN records r ON r.id = p.record_id
    WHERE p.record_id > 0 AND r.minute IS NOT NULL AND rm > r.minute
    GROUP BY 1, 2, 3, 4;
    INSERT INTO latency_late(minute, rminute, bucket, n, total_s)
    SELECT r.minute, CAST(coalesce(p.reported_at, p.cached_at) / 60 AS INTEGER) AS rm,
           {bucket}, count(*), sum(max(p.reported_at - r.sent_at, 0))
    FROM reports p JOIN records r ON r.id = p.record_id
    WHERE p.record_id > 0 AND r.minute IS NOT NULL AND rm > r.minute
    GROUP BY 1, 2, 3
    """.replace("{bucket}", bucket_sql("(p.reported_at - r.sent_at)")),
    # 11: a body is journaled as the bytes that came (a push: the request body, before any
    # form or percent decoding), ``envelope`` saying how to read them: JSON of what came around
    # them (a push's content_type and query).  NULL: the body is text, as every body before.
    # Stored as before: zlib when smaller, else as they are (``length(body) = size``, which is
    # how ``sqlar_uncompress(body, size)`` tells the two apart).
    """
    ALTER TABLE journal ADD COLUMN envelope TEXT
    """,
    # 12: the audit trail (store/audit.py): every action on the platform, who took it and how it
    # ended, append-only and hash-chained.  The triggers refuse an UPDATE, and a DELETE unless
    # retention set its flag in settings: a guard against accidents, the chain is the proof.
    # A campaign is known by its content (the normalised rows and the text), so that a re-saved
    # copy of a file is the same campaign and another text to the same list is not.
    """
    CREATE TABLE audit (
        id INTEGER PRIMARY KEY, at REAL NOT NULL, action TEXT NOT NULL, outcome TEXT NOT NULL,
        ref INTEGER, user TEXT NOT NULL DEFAULT '', uid_user TEXT NOT NULL DEFAULT '',
        sudo_user TEXT NOT NULL DEFAULT '', ssh TEXT NOT NULL DEFAULT '',
        host TEXT NOT NULL DEFAULT '', path TEXT NOT NULL DEFAULT '',
        profile TEXT NOT NULL DEFAULT '', account TEXT NOT NULL DEFAULT '', numbers INTEGER,
        numbers_sha256 TEXT NOT NULL DEFAULT '', mobiles TEXT NOT NULL DEFAULT '',
        text TEXT NOT NULL DEFAULT '', template TEXT NOT NULL DEFAULT '',
        variables TEXT NOT NULL DEFAULT '', args TEXT NOT NULL DEFAULT '',
        msgid TEXT NOT NULL DEFAULT '', detail TEXT NOT NULL DEFAULT '',
        prev TEXT NOT NULL, hash TEXT NOT NULL
    );
    CREATE INDEX audit_at ON audit(at);
    CREATE INDEX audit_ref ON audit(ref) WHERE ref IS NOT NULL;
    CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'audit entries are never changed'); END;
    CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    WHEN NOT EXISTS (SELECT 1 FROM settings WHERE key = 'audit.pruning')
    BEGIN SELECT RAISE(ABORT, 'audit entries are removed by retention only'); END;
    ALTER TABLE campaigns ADD COLUMN content_sha1 TEXT;
    CREATE INDEX campaigns_content ON campaigns(content_sha1)
    """,
    # 13: each sync job's health as its poller last wrote it (store/poller.py), one row per
    # job, upserted after every run: what the TUI, `stats --all` and the Accounts overview
    # read instead of asking the process.  ``pid``: the poller that wrote the row.
    """
    CREATE TABLE IF NOT EXISTS job_health (
        job TEXT PRIMARY KEY, mode TEXT NOT NULL, status TEXT NOT NULL, last_run REAL,
        last_success REAL, failures INTEGER NOT NULL DEFAULT 0, failing_since REAL,
        next_run REAL, backoff_s REAL NOT NULL DEFAULT 0, note TEXT NOT NULL DEFAULT '',
        last_error TEXT NOT NULL DEFAULT '', needs_person INTEGER NOT NULL DEFAULT 0,
        pid INTEGER
    )
    """,
    # 14: time-travel to the second (store/windows.py): the reports of a moment's own minute
    # that came after its second are found by their platform report time (the cache's
    # receipt when the platform gave none), the expression the queries use.
    """
    CREATE INDEX reports_time ON reports(coalesce(reported_at, cached_at))
    """,
    # 15: carriers, groups, and exact windows that stay cheap (store/rollup.py, store/windows.py).
    # reports_time goes: it cost a third of ingest and 19 bytes a report; the reports of a
    # moment's own minute that came after it are read from rollup_late's ``seconds`` instead
    # (rebuilt; the few
    # reports later than LATE_LAG minutes are indexed by report minute).  Records get their message group (groups:
    # signature, template, campaign) and billed parts; rollups by carrier and hour (and day), by group,
    # and by send second (the edges of recent windows) are added, latency is kept by carrier.
    # Each is filled from the rows still cached; what the rows no longer hold stays in the
    # coarser rollups (latency: carrier 'unknown'; groups: group 0).  records_fraction holds
    # only sends at a fraction of a second (none from the platform): the per-second rollups
    # count whole seconds, the rest is read from rows.
    """
    DROP INDEX reports_time;
    ALTER TABLE records ADD COLUMN grp INTEGER;
    ALTER TABLE records ADD COLUMN parts INTEGER;
    CREATE INDEX records_fraction ON records(sent_at) WHERE sent_at <> CAST(sent_at AS INTEGER);
    CREATE TABLE groups (
        id INTEGER PRIMARY KEY, signature TEXT NOT NULL, template TEXT NOT NULL,
        campaign INTEGER NOT NULL DEFAULT 0, UNIQUE (signature, template, campaign)
    );
    INSERT INTO groups(id, signature, template, campaign) VALUES (0, '', '', 0);
    CREATE INDEX campaign_requests_msgid ON campaign_requests(msgid) WHERE msgid != '';
    INSERT INTO rollup(minute, prefix, status, n)
    SELECT minute, prefix, 'PARTS', sum({parts}) FROM records
    WHERE minute IS NOT NULL AND length(content) > 0 GROUP BY 1, 2;
    CREATE TABLE latency_c (
        minute INTEGER NOT NULL, carrier TEXT NOT NULL, bucket INTEGER NOT NULL,
        n INTEGER NOT NULL, total_s REAL NOT NULL DEFAULT 0,
        PRIMARY KEY (minute, carrier, bucket)
    ) WITHOUT ROWID;
    INSERT INTO latency_c(minute, carrier, bucket, n, total_s)
    SELECT r.minute, {carrier}, {bucket}, count(*),
           coalesce(sum(max(p.reported_at - r.sent_at, 0)), 0)
    FROM reports p JOIN records r ON r.id = p.record_id
    WHERE p.record_id > 0 AND r.minute IS NOT NULL GROUP BY 1, 2, 3;
    INSERT INTO latency_c(minute, carrier, bucket, n, total_s)
    SELECT minute, 'unknown', bucket, n, total_s FROM latency
    WHERE minute NOT IN (SELECT minute FROM latency_c);
    DROP TABLE latency;
    ALTER TABLE latency_c RENAME TO latency;
    CREATE TABLE rollup_h (
        hour INTEGER NOT NULL, carrier TEXT NOT NULL, status TEXT NOT NULL, n INTEGER NOT NULL,
        PRIMARY KEY (hour, carrier, status)
    ) WITHOUT ROWID;
    INSERT INTO rollup_h(hour, carrier, status, n)
    SELECT minute / 60, {carrier}, status, sum(n) FROM rollup r GROUP BY 1, 2, 3;
    CREATE TABLE rollup_d (
        day INTEGER NOT NULL, carrier TEXT NOT NULL, status TEXT NOT NULL, n INTEGER NOT NULL,
        PRIMARY KEY (day, carrier, status)
    ) WITHOUT ROWID;
    INSERT INTO rollup_d(day, carrier, status, n)
    SELECT hour / 24, carrier, status, sum(n) FROM rollup_h GROUP BY 1, 2, 3;
    CREATE TABLE latency_h (
        hour INTEGER NOT NULL, carrier TEXT NOT NULL, bucket INTEGER NOT NULL,
        n INTEGER NOT NULL, total_s REAL NOT NULL DEFAULT 0,
        PRIMARY KEY (hour, carrier, bucket)
    ) WITHOUT ROWID;
    INSERT INTO latency_h(hour, carrier, bucket, n, total_s)
    SELECT minute / 60, carrier, bucket, sum(n), sum(total_s) FROM latency GROUP BY 1, 2, 3;
    CREATE TABLE rollup_g (
        minute INTEGER NOT NULL, grp INTEGER NOT NULL, status TEXT NOT NULL, n INTEGER NOT NULL,
        PRIMARY KEY (minute, grp, status)
    ) WITHOUT ROWID;
    INSERT INTO rollup_g(minute, grp, status, n)
    SELECT minute, 0, status, sum(n) FROM rollup GROUP BY 1, 3;
    CREATE TABLE latency_g (
        minute INTEGER NOT NULL, grp INTEGER NOT NULL, bucket INTEGER NOT NULL,
        n INTEGER NOT NULL, PRIMARY KEY (minute, grp, bucket)
    ) WITHOUT ROWID;
    INSERT INTO latency_g(minute, grp, bucket, n)
    SELECT minute, 0, bucket, sum(n) FROM latency GROUP BY 1, 3;
    CREATE TABLE rollup_s (
        second INTEGER NOT NULL, carrier TEXT NOT NULL, grp INTEGER NOT NULL,
        status TEXT NOT NULL, bucket INTEGER NOT NULL, n INTEGER NOT NULL,
        PRIMARY KEY (second, carrier, grp, status, bucket)
    ) WITHOUT ROWID;
    INSERT INTO rollup_s(second, carrier, grp, status, bucket, n)
    SELECT CAST(r.sent_at AS INTEGER), {carrier}, 0, 'SENT', 0, count(*) FROM records r
    WHERE r.sent_at = CAST(r.sent_at AS INTEGER) AND r.sent_at >= unixepoch() - {keep}
    GROUP BY 1, 2;
    INSERT INTO rollup_s(second, carrier, grp, status, bucket, n)
    SELECT CAST(r.sent_at AS INTEGER), {carrier}, 0, 'PARTS', 0, sum({parts}) FROM records r
    WHERE r.sent_at = CAST(r.sent_at AS INTEGER) AND r.sent_at >= unixepoch() - {keep}
    AND length(r.content) > 0 GROUP BY 1, 2;
    INSERT INTO rollup_s(second, carrier, grp, status, bucket, n)
    SELECT CAST(r.sent_at AS INTEGER), {carrier}, 0, p.status, {bucket}, count(*)
    FROM reports p JOIN records r ON r.id = p.record_id
    WHERE p.record_id > 0 AND r.sent_at = CAST(r.sent_at AS INTEGER)
    AND r.sent_at >= unixepoch() - {keep} GROUP BY 1, 2, 4, 5;
    DROP TABLE rollup_late;
    DROP TABLE latency_late;
    CREATE TABLE rollup_late (
        minute INTEGER NOT NULL, rminute INTEGER NOT NULL, prefix TEXT NOT NULL,
        status TEXT NOT NULL, bucket INTEGER NOT NULL, n INTEGER NOT NULL,
        seconds TEXT NOT NULL DEFAULT '',
        PRIMARY KEY (minute, rminute, prefix, status, bucket)
    ) WITHOUT ROWID;
    CREATE INDEX rollup_late_long ON rollup_late(rminute) WHERE rminute > minute + {lag};
    INSERT INTO rollup_late(minute, rminute, prefix, status, bucket, n, seconds)
    SELECT minute, rminute, prefix, status, bucket, sum(n),
           group_concat(printf('%.17g:%d', off, n))
    FROM (
        SELECT r.minute AS minute,
               CAST(coalesce(p.reported_at, p.cached_at) / 60 AS INTEGER) AS rminute,
               r.prefix AS prefix, p.status AS status, {bucket} AS bucket,
               coalesce(p.reported_at, p.cached_at)
               - 60 * CAST(coalesce(p.reported_at, p.cached_at) / 60 AS INTEGER) AS off,
               count(*) AS n
        FROM reports p JOIN records r ON r.id = p.record_id
        WHERE p.record_id > 0 AND r.minute IS NOT NULL
        AND CAST(coalesce(p.reported_at, p.cached_at) / 60 AS INTEGER) > r.minute
        GROUP BY 1, 2, 3, 4, 5, 6
    ) GROUP BY 1, 2, 3, 4, 5
    """.replace("{bucket}", bucket_sql("(p.reported_at - r.sent_at)"))
    .replace("{carrier}", carrier_sql("r.prefix"))
    .replace(
        "{parts}", "CASE WHEN length(content) <= 70 THEN 1 ELSE (length(content) + 66) / 67 END"
    )
    .replace("{keep}", str(KEEP_SECONDS_S + 3600))
    .replace("{lag}", str(LATE_LAG)),
]
