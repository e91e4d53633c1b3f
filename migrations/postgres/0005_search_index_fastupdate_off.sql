-- The product search index without GIN's pending list. With fastupdate (the default) new entries
-- wait in an unsorted list until autovacuum merges them, and every search scans that list: up to
-- 4 MB of it between vacuums, which tripled the index scan of a one-word search on 100k products
-- (0.6 ms -> 1.9 ms, measured). Products are written in batched sync pages, where the direct
-- insert costs little; searches run during phone calls.
ALTER INDEX idx_assistant_products_search SET (fastupdate = off);
SELECT gin_clean_pending_list('idx_assistant_products_search'::regclass);
