-- The assistant data API (issue 8): API keys per store, product search, order status bookkeeping.
--
-- Same shape as migrations/sqlite/0004_assistant.sql. Search uses a tsvector over unaccented text
-- ('simple' configuration: shop texts are Hungarian and English, and stemming either would hurt
-- SKUs and brand names), kept current by a trigger and served by a GIN index. `unaccent` ships
-- with PostgreSQL's contrib and is available on Supabase.
--
-- Contract with the writers of the cache: `phone_normalized` on customers and orders holds the
-- E.164 form produced by `integration::assistant::phone::normalize_phone` (e.g. +36201234567).

CREATE EXTENSION IF NOT EXISTS unaccent;

-- unaccent() is only STABLE (its dictionary could change); pinning the dictionary makes the
-- result a pure function of the text, which the trigger and the query side both rely on.
CREATE OR REPLACE FUNCTION assistant_unaccent(text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT unaccent('unaccent'::regdictionary, $1) $$;

CREATE TABLE assistant_api_keys (
    id           UUID PRIMARY KEY,
    store_id     UUID NOT NULL REFERENCES stores(id) ON DELETE CASCADE,
    label        VARCHAR(100) NOT NULL,
    key_prefix   VARCHAR(32) NOT NULL,      -- the first characters, to recognise a key in the UI
    key_hash     CHAR(64) NOT NULL UNIQUE,  -- hex SHA-256 of the whole key; the key is never stored
    created_by   UUID REFERENCES users(id) ON DELETE SET NULL,
    created_at   TIMESTAMPTZ NOT NULL,
    last_used_at TIMESTAMPTZ,
    revoked_at   TIMESTAMPTZ
);
CREATE INDEX idx_assistant_api_keys_store ON assistant_api_keys(store_id, created_at);

ALTER TABLE shoprenter_products_cache ADD COLUMN search_vector tsvector;

CREATE OR REPLACE FUNCTION assistant_product_search_vector() RETURNS TRIGGER AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('simple', assistant_unaccent(coalesce(NEW.name, ''))), 'A') ||
        setweight(to_tsvector('simple', assistant_unaccent(coalesce(NEW.sku, ''))), 'A') ||
        setweight(to_tsvector('simple', assistant_unaccent(coalesce(NEW.description, ''))), 'C');
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER assistant_product_search_vector
    BEFORE INSERT OR UPDATE OF name, sku, description ON shoprenter_products_cache
    FOR EACH ROW EXECUTE FUNCTION assistant_product_search_vector();

UPDATE shoprenter_products_cache SET name = name;

CREATE INDEX idx_assistant_products_search ON shoprenter_products_cache USING GIN (search_vector);
-- SKU lookups are case-insensitive ("abc-12" finds "ABC-12").
CREATE INDEX idx_assistant_products_sku ON shoprenter_products_cache(store_id, upper(sku));

-- When the order last changed status: set on first sight (the platform's dateUpdated, else the
-- sync time) and whenever status_id changes, so no writer has to remember it.
ALTER TABLE shoprenter_orders_cache ADD COLUMN status_changed_at TIMESTAMPTZ;

CREATE OR REPLACE FUNCTION assistant_order_status_changed() RETURNS TRIGGER AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.status_changed_at := coalesce(NEW.status_changed_at, NEW.source_updated_at, NEW.last_synced_at);
    ELSIF NEW.status_id IS DISTINCT FROM OLD.status_id THEN
        NEW.status_changed_at := CASE
            WHEN NEW.source_updated_at IS DISTINCT FROM OLD.source_updated_at
                THEN coalesce(NEW.source_updated_at, NOW())
            ELSE NOW() END;
    END IF;
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER assistant_order_status_changed
    BEFORE INSERT OR UPDATE ON shoprenter_orders_cache
    FOR EACH ROW EXECUTE FUNCTION assistant_order_status_changed();

UPDATE shoprenter_orders_cache SET status_changed_at = coalesce(source_updated_at, last_synced_at);
