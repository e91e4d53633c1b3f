-- Cache rows keep their raw_data inline and uncompressed, as the webhook inbox does (0006). A
-- product, customer or order document is 2-4 KB, over the default 2 KB TOAST threshold, so every
-- synced row paid for pglz compression: the largest single item in PostgreSQL's CPU profile of a
-- full sync (measured with perf). Documents over 8 KB (big orders) are still TOASTed as usual.
ALTER TABLE shoprenter_products_cache SET (toast_tuple_target = 8160);
ALTER TABLE shoprenter_customers_cache SET (toast_tuple_target = 8160);
ALTER TABLE shoprenter_orders_cache SET (toast_tuple_target = 8160);
