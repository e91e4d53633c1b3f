-- Order items lose their store_id index, as on PostgreSQL (migration 0017 there): nothing reads
-- items by store, and a store's items go with its orders (ON DELETE CASCADE).
DROP INDEX IF EXISTS idx_shoprenter_order_items_store;
