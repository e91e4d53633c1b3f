-- Cache documents are kept packed on PostgreSQL too (`integration/src/storage/documents.rs`):
-- a tag byte and a zstd frame compressed against a dictionary of typical documents, made by the
-- sync on its own threads. A full sync's backends had spent their time validating each
-- document as `json` and writing its whole text (inline and uncompressed since 0007) to the heap
-- and the WAL: `bench b` 16.8-17.8k -> 20.4-20.6k records/s, database 258 MB -> 97 MB. Rows
-- stored before keep their text as UTF-8 bytes, which readers take as plain JSON. Nothing
-- queries inside the documents.
--
-- STORAGE EXTERNAL: a packed value does not compress again, so TOAST should not try.
ALTER TABLE shoprenter_products_cache
    ALTER COLUMN raw_data TYPE bytea USING convert_to(raw_data::text, 'UTF8'),
    ALTER COLUMN raw_data SET STORAGE EXTERNAL;
ALTER TABLE shoprenter_categories_cache
    ALTER COLUMN raw_data TYPE bytea USING convert_to(raw_data::text, 'UTF8'),
    ALTER COLUMN raw_data SET STORAGE EXTERNAL;
ALTER TABLE shoprenter_customers_cache
    ALTER COLUMN raw_data TYPE bytea USING convert_to(raw_data::text, 'UTF8'),
    ALTER COLUMN raw_data SET STORAGE EXTERNAL;
ALTER TABLE shoprenter_order_statuses_cache
    ALTER COLUMN raw_data TYPE bytea USING convert_to(raw_data::text, 'UTF8'),
    ALTER COLUMN raw_data SET STORAGE EXTERNAL;
ALTER TABLE shoprenter_orders_cache
    ALTER COLUMN raw_data TYPE bytea USING convert_to(raw_data::text, 'UTF8'),
    ALTER COLUMN raw_data SET STORAGE EXTERNAL;
ALTER TABLE shoprenter_order_items_cache
    ALTER COLUMN raw_data TYPE bytea USING convert_to(raw_data::text, 'UTF8'),
    ALTER COLUMN raw_data SET STORAGE EXTERNAL;
