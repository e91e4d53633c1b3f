-- Order items lose their store_id index. Nothing reads items by store: they are read by order,
-- and a store's items go when its orders do (ON DELETE CASCADE), through the (order_id, ...)
-- unique index. It was one more B-tree insert per item in every sync: `bench b`, 4 pairs, orders
-- pass 1.53-1.61 s with it, 1.48-1.57 s without.
DROP INDEX IF EXISTS idx_shoprenter_order_items_store;
