-- Order items lose their own foreign key to `stores`, as on PostgreSQL (migration 0015 there):
-- the item's order already references the store, and deleting a store still removes its items
-- through the orders' cascade. SQLite cannot drop a constraint, so the table is rebuilt; nothing
-- references it.
CREATE TABLE shoprenter_order_items_cache_new (
    id                          BLOB PRIMARY KEY NOT NULL,
    order_id                    BLOB NOT NULL REFERENCES shoprenter_orders_cache(id) ON DELETE CASCADE,
    store_id                    BLOB NOT NULL,
    shoprenter_order_product_id TEXT NOT NULL,
    name                        TEXT,
    sku                         TEXT,
    quantity                    REAL,
    price                       REAL,
    currency                    TEXT,
    raw_data                    TEXT,
    UNIQUE (order_id, shoprenter_order_product_id)
);
INSERT INTO shoprenter_order_items_cache_new
    (id, order_id, store_id, shoprenter_order_product_id, name, sku, quantity, price, currency, raw_data)
SELECT id, order_id, store_id, shoprenter_order_product_id, name, sku, quantity, price, currency, raw_data
FROM shoprenter_order_items_cache;
DROP TABLE shoprenter_order_items_cache;
ALTER TABLE shoprenter_order_items_cache_new RENAME TO shoprenter_order_items_cache;
CREATE INDEX idx_shoprenter_order_items_store ON shoprenter_order_items_cache(store_id);
