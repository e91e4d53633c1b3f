-- Job queue leases, sync progress/cursors and webhook inbox processing (issue 6).

-- Who holds a running job's lease (a worker id per process) and when it finished.
ALTER TABLE jobs ADD COLUMN locked_by VARCHAR(100);
ALTER TABLE jobs ADD COLUMN finished_at TIMESTAMPTZ;
CREATE INDEX idx_jobs_lease ON jobs(status, lease_until);

-- One row per (store, resource): where the current full pass is, how fast it goes, and the
-- incremental cursor. Written after every committed page, so a restart resumes from next_page.
CREATE TABLE sync_progress (
    store_id         UUID NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    resource         VARCHAR(32) NOT NULL,  -- products | categories | customers | orders | order_statuses
    mode             VARCHAR(16) NOT NULL,  -- initial | reconcile | incremental
    status           VARCHAR(16) NOT NULL DEFAULT 'pending'
                     CHECK (status IN ('pending', 'running', 'done', 'failed')),
    pass_started_at  TIMESTAMPTZ,           -- start of the current full pass (deletion sweep bound)
    next_page        INTEGER NOT NULL DEFAULT 0,
    pages_done       INTEGER NOT NULL DEFAULT 0,
    records_done     BIGINT NOT NULL DEFAULT 0,
    estimated_total  BIGINT,
    records_per_sec  DOUBLE PRECISION,
    eta_secs         DOUBLE PRECISION,
    deleted          BIGINT NOT NULL DEFAULT 0,
    last_full_sync_at TIMESTAMPTZ,          -- last completed full pass
    incremental_cursor TIMESTAMPTZ,         -- updatedAfter/updatedAtMin for the next incremental pass
    last_incremental_at TIMESTAMPTZ,
    last_error       TEXT,
    updated_at       TIMESTAMPTZ NOT NULL,
    finished_at      TIMESTAMPTZ,
    PRIMARY KEY (store_id, resource)
);

-- Webhook inbox: what the worker needs to process, retry and dedupe deliveries.
ALTER TABLE webhook_inbox ADD COLUMN order_ref VARCHAR(255);
ALTER TABLE webhook_inbox ADD COLUMN order_inner_id VARCHAR(64);
ALTER TABLE webhook_inbox ADD COLUMN order_status VARCHAR(255);
ALTER TABLE webhook_inbox ADD COLUMN payload_hash VARCHAR(64);
ALTER TABLE webhook_inbox ADD COLUMN next_attempt_at TIMESTAMPTZ;
ALTER TABLE webhook_inbox ADD COLUMN lease_until TIMESTAMPTZ;
ALTER TABLE webhook_inbox ADD COLUMN locked_by VARCHAR(100);
CREATE INDEX idx_webhook_inbox_work ON webhook_inbox(status, next_attempt_at);
