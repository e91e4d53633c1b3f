-- Accounts, stores, the install lifecycle, the token vault, the sync cache and the job queue.
--
-- Mirrors the seed's Postgres schema (stores + ShopRenter columns, shoprenter_tokens,
-- shoprenter_products_cache, shoprenter_webhooks, with their unique keys and indexes) and adds what
-- the real flow needs. Deviations from the seed, and why:
--   * shoprenter_tokens.access_token holds AEAD ciphertext (base64 nonce||ciphertext) and is NULL
--     once wiped on uninstall/disconnect; refresh_token stays for the mirror but is never filled
--     (the platform issues no refresh tokens, reference §2).
--   * scopes are JSONB arrays (portable with SQLite's JSON text) instead of TEXT[].
--   * stores has one row per shop (UNIQUE(platform_name, shopname)): a shop belongs to at most one
--     ShopCall.ai account at a time.
-- Timestamps are always written by the application (UTC), never compared with NOW() in queries, so
-- the same SQL behaves the same on SQLite.

CREATE OR REPLACE FUNCTION update_updated_at_column() RETURNS TRIGGER AS $$
BEGIN
    NEW.updated_at = NOW();
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TABLE users (
    id            UUID PRIMARY KEY,
    email         VARCHAR(320) NOT NULL UNIQUE,   -- stored lower-cased
    password_hash TEXT NOT NULL,                  -- argon2id PHC string
    created_at    TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT NOW()
);

-- tower-sessions-sqlx-store's PostgresStore layout (configured with schema "public").
CREATE TABLE tower_sessions (
    id          TEXT PRIMARY KEY NOT NULL,
    data        BYTEA NOT NULL,
    expiry_date TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_tower_sessions_expiry ON tower_sessions(expiry_date);

CREATE TABLE stores (
    id                   UUID PRIMARY KEY,
    user_id              UUID NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    platform_name        VARCHAR(50) NOT NULL DEFAULT 'shoprenter',
    store_name           VARCHAR(255) NOT NULL,
    store_url            TEXT NOT NULL,
    shopname             VARCHAR(63) NOT NULL,
    shoprenter_app_id    VARCHAR(50),
    shoprenter_client_id VARCHAR(255),
    is_active            BOOLEAN NOT NULL DEFAULT TRUE,
    connected_at         TIMESTAMPTZ,
    disconnected_at      TIMESTAMPTZ,
    disconnect_reason    VARCHAR(50),             -- 'uninstalled' | 'disconnected'
    needs_attention      TEXT,                    -- why the merchant must act (NULL = fine)
    needs_attention_at   TIMESTAMPTZ,
    scopes               JSONB,
    last_sync_at         TIMESTAMPTZ,
    webhook_secret       VARCHAR(64) NOT NULL,    -- unguessable path segment for unsigned webhooks
    created_at           TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at           TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (user_id, platform_name, store_url),
    UNIQUE (platform_name, shopname),
    UNIQUE (webhook_secret)
);
CREATE INDEX idx_stores_user ON stores(user_id);
CREATE INDEX idx_stores_active ON stores(is_active);
CREATE TRIGGER set_stores_updated_at BEFORE UPDATE ON stores
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

CREATE TABLE shoprenter_tokens (
    id            UUID PRIMARY KEY,
    store_id      UUID NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    access_token  TEXT,                           -- AEAD ciphertext, base64; NULL when wiped
    refresh_token TEXT,
    token_type    VARCHAR(20) DEFAULT 'Bearer',
    expires_at    TIMESTAMPTZ,
    scopes        JSONB,
    shopname      VARCHAR(255) NOT NULL,
    shop_domain   VARCHAR(255) NOT NULL,
    is_active     BOOLEAN NOT NULL DEFAULT TRUE,
    last_sync_at  TIMESTAMPTZ,
    created_at    TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at    TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (store_id)
);
CREATE INDEX idx_shoprenter_tokens_shopname ON shoprenter_tokens(shopname);
CREATE INDEX idx_shoprenter_tokens_active ON shoprenter_tokens(is_active);
CREATE TRIGGER set_shoprenter_tokens_updated_at BEFORE UPDATE ON shoprenter_tokens
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

-- A validated RedirectUri call waiting for the EntryPoint to bind it to a merchant.
CREATE TABLE pending_installs (
    id          UUID PRIMARY KEY,
    shopname    VARCHAR(63) NOT NULL,
    code        VARCHAR(255) NOT NULL,
    timestamp   BIGINT NOT NULL,
    app_url     TEXT NOT NULL,                    -- the validated redirect target
    created_at  TIMESTAMPTZ NOT NULL,
    expires_at  TIMESTAMPTZ NOT NULL,
    consumed_at TIMESTAMPTZ,
    user_id     UUID REFERENCES users(id) ON DELETE SET NULL,
    store_id    UUID REFERENCES stores(id) ON DELETE SET NULL
);
CREATE INDEX idx_pending_installs_shopname ON pending_installs(shopname);
CREATE INDEX idx_pending_installs_expires ON pending_installs(expires_at);

-- Replay guard: a signed RedirectUri/UninstallUri request is accepted once.
CREATE TABLE used_signatures (
    shopname  VARCHAR(63) NOT NULL,
    code      VARCHAR(255) NOT NULL,
    timestamp BIGINT NOT NULL,
    purpose   VARCHAR(20) NOT NULL,               -- 'install' | 'uninstall'
    used_at   TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (shopname, code, timestamp)
);
CREATE INDEX idx_used_signatures_used_at ON used_signatures(used_at);

CREATE TABLE shoprenter_webhooks (
    id                    UUID PRIMARY KEY,
    store_id              UUID NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    shoprenter_webhook_id VARCHAR(255),
    event                 VARCHAR(100) NOT NULL,  -- 'order_confirm', 'order_status_change', ...
    callback_url          TEXT NOT NULL,
    is_active             BOOLEAN NOT NULL DEFAULT TRUE,
    last_received_at      TIMESTAMPTZ,
    total_received        INTEGER NOT NULL DEFAULT 0,
    created_at            TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (store_id, event)
);
CREATE TRIGGER set_shoprenter_webhooks_updated_at BEFORE UPDATE ON shoprenter_webhooks
    FOR EACH ROW EXECUTE FUNCTION update_updated_at_column();

-- Deliveries are persisted first and processed by a worker (design: webhooks).
CREATE TABLE webhook_inbox (
    id           UUID PRIMARY KEY,
    store_id     UUID REFERENCES stores(id) ON DELETE CASCADE,
    event        VARCHAR(100),
    content_type VARCHAR(255),
    payload      TEXT NOT NULL,                   -- raw JSON as received
    dedupe_key   VARCHAR(255),
    status       VARCHAR(20) NOT NULL DEFAULT 'pending'
                 CHECK (status IN ('pending', 'processed', 'failed', 'ignored')),
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT,
    received_at  TIMESTAMPTZ NOT NULL,
    processed_at TIMESTAMPTZ
);
CREATE UNIQUE INDEX idx_webhook_inbox_dedupe ON webhook_inbox(store_id, dedupe_key) WHERE dedupe_key IS NOT NULL;
CREATE INDEX idx_webhook_inbox_status ON webhook_inbox(status, received_at);

-- The job queue (workers claim with FOR UPDATE SKIP LOCKED on Postgres).
CREATE TABLE jobs (
    id          UUID PRIMARY KEY,
    kind        VARCHAR(50) NOT NULL,             -- 'register_webhooks', 'initial_sync', ...
    store_id    UUID REFERENCES stores(id) ON DELETE CASCADE,
    payload     JSONB NOT NULL DEFAULT '{}',
    status      VARCHAR(20) NOT NULL DEFAULT 'queued'
                CHECK (status IN ('queued', 'running', 'done', 'dead', 'cancelled')),
    attempts    INTEGER NOT NULL DEFAULT 0,
    run_at      TIMESTAMPTZ NOT NULL,
    lease_until TIMESTAMPTZ,
    last_error  TEXT,
    dedupe_key  VARCHAR(255),                     -- at most one queued/running job per key
    created_at  TIMESTAMPTZ NOT NULL,
    updated_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX idx_jobs_claim ON jobs(status, run_at);
CREATE INDEX idx_jobs_store ON jobs(store_id);
CREATE UNIQUE INDEX idx_jobs_dedupe_live ON jobs(dedupe_key)
    WHERE dedupe_key IS NOT NULL AND status IN ('queued', 'running');

-- Sync cache. Every row keeps the API's raw JSON; typed columns are what queries filter on.
CREATE TABLE shoprenter_products_cache (
    id                    UUID PRIMARY KEY,
    store_id              UUID NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    shoprenter_product_id VARCHAR(255) NOT NULL,
    name                  VARCHAR(500),
    sku                   VARCHAR(255),
    price                 DECIMAL(12,2),
    currency              VARCHAR(3) DEFAULT 'HUF',
    description           TEXT,
    stock                 INTEGER,
    active                BOOLEAN,
    raw_data              JSONB,
    source_updated_at     TIMESTAMPTZ,
    last_synced_at        TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    created_at            TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    updated_at            TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (store_id, shoprenter_product_id)
);
CREATE INDEX idx_shoprenter_products_store ON shoprenter_products_cache(store_id);
CREATE INDEX idx_shoprenter_products_sku ON shoprenter_products_cache(sku);
CREATE INDEX idx_shoprenter_products_active ON shoprenter_products_cache(active);

CREATE TABLE shoprenter_categories_cache (
    id                     UUID PRIMARY KEY,
    store_id               UUID NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    shoprenter_category_id VARCHAR(255) NOT NULL,
    parent_id              VARCHAR(255),
    name                   VARCHAR(500),
    active                 BOOLEAN,
    raw_data               JSONB,
    last_synced_at         TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (store_id, shoprenter_category_id)
);

CREATE TABLE shoprenter_customers_cache (
    id                     UUID PRIMARY KEY,
    store_id               UUID NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    shoprenter_customer_id VARCHAR(255) NOT NULL,
    firstname              VARCHAR(255),
    lastname               VARCHAR(255),
    email                  VARCHAR(320),
    phone                  VARCHAR(64),
    phone_normalized       VARCHAR(32),           -- digits only, for the assistant's phone lookup
    raw_data               JSONB,
    source_updated_at      TIMESTAMPTZ,
    last_synced_at         TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (store_id, shoprenter_customer_id)
);
CREATE INDEX idx_shoprenter_customers_phone ON shoprenter_customers_cache(store_id, phone_normalized);
CREATE INDEX idx_shoprenter_customers_email ON shoprenter_customers_cache(store_id, email);

CREATE TABLE shoprenter_order_statuses_cache (
    id                         UUID PRIMARY KEY,
    store_id                   UUID NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    shoprenter_order_status_id VARCHAR(255) NOT NULL,
    name                       VARCHAR(255),
    raw_data                   JSONB,
    last_synced_at             TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (store_id, shoprenter_order_status_id)
);

CREATE TABLE shoprenter_orders_cache (
    id                  UUID PRIMARY KEY,
    store_id            UUID NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    shoprenter_order_id VARCHAR(255) NOT NULL,
    inner_id            VARCHAR(64),              -- the merchant-visible order number
    customer_name       VARCHAR(500),
    customer_email      VARCHAR(320),
    customer_phone      VARCHAR(64),
    phone_normalized    VARCHAR(32),
    status_id           VARCHAR(255),
    status_name         VARCHAR(255),
    total_gross         DECIMAL(14,2),
    currency            VARCHAR(3),
    ordered_at          TIMESTAMPTZ,
    raw_data            JSONB,
    source_updated_at   TIMESTAMPTZ,
    last_synced_at      TIMESTAMPTZ NOT NULL DEFAULT NOW(),
    UNIQUE (store_id, shoprenter_order_id)
);
CREATE INDEX idx_shoprenter_orders_inner ON shoprenter_orders_cache(store_id, inner_id);
CREATE INDEX idx_shoprenter_orders_phone ON shoprenter_orders_cache(store_id, phone_normalized);
CREATE INDEX idx_shoprenter_orders_email ON shoprenter_orders_cache(store_id, customer_email);

CREATE TABLE shoprenter_order_items_cache (
    id                          UUID PRIMARY KEY,
    order_id                    UUID NOT NULL REFERENCES shoprenter_orders_cache(id) ON DELETE CASCADE,
    store_id                    UUID NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    shoprenter_order_product_id VARCHAR(255) NOT NULL,
    name                        VARCHAR(500),
    sku                         VARCHAR(255),
    quantity                    DECIMAL(12,3),
    price                       DECIMAL(12,2),
    currency                    VARCHAR(3),
    raw_data                    JSONB,
    UNIQUE (order_id, shoprenter_order_product_id)
);
CREATE INDEX idx_shoprenter_order_items_store ON shoprenter_order_items_cache(store_id);
