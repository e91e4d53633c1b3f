-- Two product-cache indexes no query uses, each updated on every synced product: SKU lookups are
-- per store and case-insensitive, so they use idx_assistant_products_sku (store_id, upper(sku)),
-- and a yes/no `active` column is no use as an index on its own. (idx_shoprenter_products_store
-- stays: SQLite's product search checks the store against it by name.)
DROP INDEX IF EXISTS idx_shoprenter_products_sku;
DROP INDEX IF EXISTS idx_shoprenter_products_active;
