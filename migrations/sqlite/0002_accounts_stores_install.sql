-- Accounts, stores, the install lifecycle, the token vault, the sync cache and the job queue.
--
-- Same tables, columns, keys and indexes as migrations/postgres/0002 (read its header for the
-- deviations from the seed). SQLite spellings: UUIDs are 16-byte BLOBs (sqlx's encoding), times
-- are RFC 3339 UTC text written by the application, JSON is text, booleans are 0/1.

CREATE TABLE users (
    id            BLOB PRIMARY KEY NOT NULL,
    email         TEXT NOT NULL UNIQUE,   -- stored lower-cased
    password_hash TEXT NOT NULL,                  -- argon2id PHC string
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    updated_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now'))
);

-- tower-sessions-sqlx-store's SqliteStore layout (expiry_date is a Unix timestamp).
CREATE TABLE tower_sessions (
    id          TEXT PRIMARY KEY NOT NULL,
    data        BLOB NOT NULL,
    expiry_date INTEGER NOT NULL
);
CREATE INDEX idx_tower_sessions_expiry ON tower_sessions(expiry_date);

CREATE TABLE stores (
    id                   BLOB PRIMARY KEY NOT NULL,
    user_id              BLOB NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    platform_name        TEXT NOT NULL DEFAULT 'shoprenter',
    store_name           TEXT NOT NULL,
    store_url            TEXT NOT NULL,
    shopname             TEXT NOT NULL,
    shoprenter_app_id    TEXT,
    shoprenter_client_id TEXT,
    is_active            INTEGER NOT NULL DEFAULT 1,
    connected_at         TEXT,
    disconnected_at      TEXT,
    disconnect_reason    TEXT,             -- 'uninstalled' | 'disconnected'
    needs_attention      TEXT,                    -- why the merchant must act (NULL = fine)
    needs_attention_at   TEXT,
    scopes               TEXT,
    last_sync_at         TEXT,
    webhook_secret       TEXT NOT NULL,    -- unguessable path segment for unsigned webhooks
    created_at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    updated_at           TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    UNIQUE (user_id, platform_name, store_url),
    UNIQUE (platform_name, shopname),
    UNIQUE (webhook_secret)
);
CREATE INDEX idx_stores_user ON stores(user_id);
CREATE INDEX idx_stores_active ON stores(is_active);

CREATE TABLE shoprenter_tokens (
    id            BLOB PRIMARY KEY NOT NULL,
    store_id      BLOB NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    access_token  TEXT,                           -- AEAD ciphertext, base64; NULL when wiped
    refresh_token TEXT,
    token_type    TEXT DEFAULT 'Bearer',
    expires_at    TEXT,
    scopes        TEXT,
    shopname      TEXT NOT NULL,
    shop_domain   TEXT NOT NULL,
    is_active     INTEGER NOT NULL DEFAULT 1,
    last_sync_at  TEXT,
    created_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    updated_at    TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    UNIQUE (store_id)
);
CREATE INDEX idx_shoprenter_tokens_shopname ON shoprenter_tokens(shopname);
CREATE INDEX idx_shoprenter_tokens_active ON shoprenter_tokens(is_active);

-- A validated RedirectUri call waiting for the EntryPoint to bind it to a merchant.
CREATE TABLE pending_installs (
    id          BLOB PRIMARY KEY NOT NULL,
    shopname    TEXT NOT NULL,
    code        TEXT NOT NULL,
    timestamp   INTEGER NOT NULL,
    app_url     TEXT NOT NULL,                    -- the validated redirect target
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    consumed_at TEXT,
    user_id     BLOB REFERENCES users(id) ON DELETE SET NULL,
    store_id    BLOB REFERENCES stores(id) ON DELETE SET NULL
);
CREATE INDEX idx_pending_installs_shopname ON pending_installs(shopname);
CREATE INDEX idx_pending_installs_expires ON pending_installs(expires_at);

-- Replay guard: a signed RedirectUri/UninstallUri request is accepted once.
CREATE TABLE used_signatures (
    shopname  TEXT NOT NULL,
    code      TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    purpose   TEXT NOT NULL,               -- 'install' | 'uninstall'
    used_at   TEXT NOT NULL,
    PRIMARY KEY (shopname, code, timestamp)
);
CREATE INDEX idx_used_signatures_used_at ON used_signatures(used_at);

CREATE TABLE shoprenter_webhooks (
    id                    BLOB PRIMARY KEY NOT NULL,
    store_id              BLOB NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    shoprenter_webhook_id TEXT,
    event                 TEXT NOT NULL,  -- 'order_confirm', 'order_status_change', ...
    callback_url          TEXT NOT NULL,
    is_active             INTEGER NOT NULL DEFAULT 1,
    last_received_at      TEXT,
    total_received        INTEGER NOT NULL DEFAULT 0,
    created_at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    updated_at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    UNIQUE (store_id, event)
);

-- Deliveries are persisted first and processed by a worker (design: webhooks).
CREATE TABLE webhook_inbox (
    id           BLOB PRIMARY KEY NOT NULL,
    store_id     BLOB REFERENCES stores(id) ON DELETE CASCADE,
    event        TEXT,
    content_type TEXT,
    payload      TEXT NOT NULL,                   -- raw JSON as received
    dedupe_key   TEXT,
    status       TEXT NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'processed', 'failed', 'ignored')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    received_at  TEXT NOT NULL,
    processed_at TEXT
);
CREATE UNIQUE INDEX idx_webhook_inbox_dedupe ON webhook_inbox(store_id, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX idx_webhook_inbox_status ON webhook_inbox(status, received_at);

-- The job queue (workers claim with FOR UPDATE SKIP LOCKED on Postgres).
CREATE TABLE jobs (
    id          BLOB PRIMARY KEY NOT NULL,
    kind        TEXT NOT NULL,             -- 'register_webhooks', 'initial_sync', ...
    store_id    BLOB REFERENCES stores(id) ON DELETE CASCADE,
    payload     TEXT NOT NULL DEFAULT '{}',
    status      TEXT NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'running', 'done', 'dead', 'cancelled')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    run_at      TEXT NOT NULL,
    lease_until TEXT,
    last_error  TEXT,
    dedupe_key  TEXT,                     -- at most one queued/running job per key
    created_at  TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);
CREATE INDEX idx_jobs_claim ON jobs(status, run_at);
CREATE INDEX idx_jobs_store ON jobs(store_id);
CREATE UNIQUE INDEX idx_jobs_dedupe_live ON jobs(dedupe_key)
    WHERE dedupe_key IS NOT NULL AND status IN ('queued', 'running');

-- Sync cache. Every row keeps the API's raw JSON; typed columns are what queries filter on.
CREATE TABLE shoprenter_products_cache (
    id                    BLOB PRIMARY KEY NOT NULL,
    store_id              BLOB NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    shoprenter_product_id TEXT NOT NULL,
    name                  TEXT,
    sku                   TEXT,
    price                 REAL,
    currency              TEXT DEFAULT 'HUF',
    description           TEXT,
    stock                 INTEGER,
    active                INTEGER,
    raw_data              TEXT,
    source_updated_at     TEXT,
    last_synced_at        TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    created_at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    updated_at            TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    UNIQUE (store_id, shoprenter_product_id)
);
CREATE INDEX idx_shoprenter_products_store ON shoprenter_products_cache(store_id);
CREATE INDEX idx_shoprenter_products_sku ON shoprenter_products_cache(sku);
CREATE INDEX idx_shoprenter_products_active ON shoprenter_products_cache(active);

CREATE TABLE shoprenter_categories_cache (
    id                     BLOB PRIMARY KEY NOT NULL,
    store_id               BLOB NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    shoprenter_category_id TEXT NOT NULL,
    parent_id              TEXT,
    name                   TEXT,
    active                 INTEGER,
    raw_data               TEXT,
    last_synced_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    UNIQUE (store_id, shoprenter_category_id)
);

CREATE TABLE shoprenter_customers_cache (
    id                     BLOB PRIMARY KEY NOT NULL,
    store_id               BLOB NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    shoprenter_customer_id TEXT NOT NULL,
    firstname              TEXT,
    lastname               TEXT,
    email                  TEXT,
    phone                  TEXT,
    phone_normalized       TEXT,           -- digits only, for the assistant's phone lookup
    raw_data               TEXT,
    source_updated_at      TEXT,
    last_synced_at         TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    UNIQUE (store_id, shoprenter_customer_id)
);
CREATE INDEX idx_shoprenter_customers_phone ON shoprenter_customers_cache(store_id, phone_normalized);
CREATE INDEX idx_shoprenter_customers_email ON shoprenter_customers_cache(store_id, email);

CREATE TABLE shoprenter_order_statuses_cache (
    id                         BLOB PRIMARY KEY NOT NULL,
    store_id                   BLOB NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    shoprenter_order_status_id TEXT NOT NULL,
    name                       TEXT,
    raw_data                   TEXT,
    last_synced_at             TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    UNIQUE (store_id, shoprenter_order_status_id)
);

CREATE TABLE shoprenter_orders_cache (
    id                  BLOB PRIMARY KEY NOT NULL,
    store_id            BLOB NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    shoprenter_order_id TEXT NOT NULL,
    inner_id            TEXT,              -- the merchant-visible order number
    customer_name       TEXT,
    customer_email      TEXT,
    customer_phone      TEXT,
    phone_normalized    TEXT,
    status_id           TEXT,
    status_name         TEXT,
    total_gross         REAL,
    currency            TEXT,
    ordered_at          TEXT,
    raw_data            TEXT,
    source_updated_at   TEXT,
    last_synced_at      TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')),
    UNIQUE (store_id, shoprenter_order_id)
);
CREATE INDEX idx_shoprenter_orders_inner ON shoprenter_orders_cache(store_id, inner_id);
CREATE INDEX idx_shoprenter_orders_phone ON shoprenter_orders_cache(store_id, phone_normalized);
CREATE INDEX idx_shoprenter_orders_email ON shoprenter_orders_cache(store_id, customer_email);

CREATE TABLE shoprenter_order_items_cache (
    id                          BLOB PRIMARY KEY NOT NULL,
    order_id                    BLOB NOT NULL REFERENCES shoprenter_orders_cache(id) ON DELETE CASCADE,
    store_id                    BLOB NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    shoprenter_order_product_id TEXT NOT NULL,
    name                        TEXT,
    sku                         TEXT,
    quantity                    REAL,
    price                       REAL,
    currency                    TEXT,
    raw_data                    TEXT,
    UNIQUE (order_id, shoprenter_order_product_id)
);
CREATE INDEX idx_shoprenter_order_items_store ON shoprenter_order_items_cache(store_id);
