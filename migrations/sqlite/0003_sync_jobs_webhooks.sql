-- Job queue leases, sync progress/cursors and webhook inbox processing (issue 6).
-- Same shape as migrations/postgres/0003; SQLite spellings as in 0002 (UUID = BLOB, time = RFC 3339 text).

-- Who holds a running job's lease (a worker id per process) and when it finished.
ALTER TABLE jobs ADD COLUMN locked_by TEXT;
ALTER TABLE jobs ADD COLUMN finished_at TEXT;
CREATE INDEX idx_jobs_lease ON jobs(status, lease_until);

-- One row per (store, resource): where the current full pass is, how fast it goes, and the
-- incremental cursor. Written after every committed page, so a restart resumes from next_page.
CREATE TABLE sync_progress (
    store_id         BLOB NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    resource         TEXT NOT NULL,        -- products | categories | customers | orders | order_statuses
    mode             TEXT NOT NULL,        -- initial | reconcile | incremental
    status           TEXT NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'running', 'done', 'failed')),
    pass_started_at  TEXT,                 -- start of the current full pass (deletion sweep bound)
    next_page        INTEGER NOT NULL DEFAULT 0,
    pages_done       INTEGER NOT NULL DEFAULT 0,
    records_done     INTEGER NOT NULL DEFAULT 0,
    estimated_total  INTEGER,
    records_per_sec  REAL,
    eta_secs         REAL,
    deleted          INTEGER NOT NULL DEFAULT 0,
    last_full_sync_at TEXT,                -- last completed full pass
    incremental_cursor TEXT,               -- updatedAfter/updatedAtMin for the next incremental pass
    last_incremental_at TEXT,
    last_error       TEXT,
    updated_at       TEXT NOT NULL,
    finished_at      TEXT,
    PRIMARY KEY (store_id, resource)
);

-- Webhook inbox: what the worker needs to process, retry and dedupe deliveries.
ALTER TABLE webhook_inbox ADD COLUMN order_ref TEXT;        -- innerResourceId's id part (orders/<id>)
ALTER TABLE webhook_inbox ADD COLUMN order_inner_id TEXT;
ALTER TABLE webhook_inbox ADD COLUMN order_status TEXT;
ALTER TABLE webhook_inbox ADD COLUMN payload_hash TEXT;     -- hex SHA-256 of the JSON document
ALTER TABLE webhook_inbox ADD COLUMN next_attempt_at TEXT;
ALTER TABLE webhook_inbox ADD COLUMN lease_until TEXT;
ALTER TABLE webhook_inbox ADD COLUMN locked_by TEXT;
CREATE INDEX idx_webhook_inbox_work ON webhook_inbox(status, next_attempt_at);
