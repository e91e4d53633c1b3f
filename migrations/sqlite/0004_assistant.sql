-- The assistant data API (issue 8): API keys per store, product search, order status bookkeeping.
--
-- Same shape as migrations/postgres/0004_assistant.sql. The search index is an FTS5 table with the
-- `unicode61 remove_diacritics 2` tokenizer ("kave" finds "kávé", "ovo" finds "őrölt"-style
-- accents), kept in sync with shoprenter_products_cache by triggers, so whichever code path writes
-- the cache (initial sync, incremental sync, tests) never has to know the index exists.
--
-- Contract with the writers of the cache: `phone_normalized` on customers and orders holds the
-- E.164 form produced by `integration::assistant::phone::normalize_phone` (e.g. +36201234567).

CREATE TABLE assistant_api_keys (
    id           BLOB PRIMARY KEY NOT NULL,
    store_id     BLOB NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    label        TEXT NOT NULL,
    key_prefix   TEXT NOT NULL,             -- the first characters, to recognise a key in the UI
    key_hash     TEXT NOT NULL UNIQUE,      -- hex SHA-256 of the whole key; the key is never stored
    created_by   BLOB REFERENCES users(id) ON DELETE SET NULL,
    created_at   TEXT NOT NULL,
    last_used_at TEXT,
    revoked_at   TEXT
);
CREATE INDEX idx_assistant_api_keys_store ON assistant_api_keys(store_id, created_at);

-- Product search: names and SKUs weigh more than descriptions (bm25 weights in the query).
CREATE VIRTUAL TABLE assistant_product_search USING fts5(
    name, sku, description,
    tokenize = 'unicode61 remove_diacritics 2',
    prefix = '2 3'
);

CREATE TRIGGER assistant_product_search_insert AFTER INSERT ON shoprenter_products_cache BEGIN
    DELETE FROM assistant_product_search WHERE rowid = new.rowid;
    INSERT INTO assistant_product_search (rowid, name, sku, description)
    VALUES (new.rowid, coalesce(new.name, ''), coalesce(new.sku, ''), coalesce(new.description, ''));
END;

CREATE TRIGGER assistant_product_search_update
AFTER UPDATE OF name, sku, description ON shoprenter_products_cache BEGIN
    DELETE FROM assistant_product_search WHERE rowid = old.rowid;
    INSERT INTO assistant_product_search (rowid, name, sku, description)
    VALUES (new.rowid, coalesce(new.name, ''), coalesce(new.sku, ''), coalesce(new.description, ''));
END;

CREATE TRIGGER assistant_product_search_delete AFTER DELETE ON shoprenter_products_cache BEGIN
    DELETE FROM assistant_product_search WHERE rowid = old.rowid;
END;

INSERT INTO assistant_product_search (rowid, name, sku, description)
SELECT rowid, coalesce(name, ''), coalesce(sku, ''), coalesce(description, '')
FROM shoprenter_products_cache;

-- SKU lookups are case-insensitive ("abc-12" finds "ABC-12").
CREATE INDEX idx_assistant_products_sku ON shoprenter_products_cache(store_id, upper(sku));

-- When the order last changed status: set on first sight (the platform's dateUpdated, else the
-- sync time) and whenever status_id changes, so no writer has to remember it.
ALTER TABLE shoprenter_orders_cache ADD COLUMN status_changed_at TEXT;

CREATE TRIGGER assistant_order_status_insert AFTER INSERT ON shoprenter_orders_cache
WHEN new.status_changed_at IS NULL BEGIN
    UPDATE shoprenter_orders_cache
    SET status_changed_at = coalesce(new.source_updated_at, new.last_synced_at)
    WHERE rowid = new.rowid;
END;

CREATE TRIGGER assistant_order_status_update AFTER UPDATE OF status_id ON shoprenter_orders_cache
WHEN old.status_id IS NOT new.status_id BEGIN
    UPDATE shoprenter_orders_cache
    SET status_changed_at = CASE
        WHEN new.source_updated_at IS NOT NULL AND new.source_updated_at IS NOT old.source_updated_at
            THEN new.source_updated_at
        ELSE strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now') END
    WHERE rowid = new.rowid;
END;

UPDATE shoprenter_orders_cache SET status_changed_at = coalesce(source_updated_at, last_synced_at);
