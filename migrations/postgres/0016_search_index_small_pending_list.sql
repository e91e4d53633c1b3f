-- The product search index takes new entries into GIN's pending list again, but a small one.
-- Migration 0005 turned the list off because searches scan it and it grew to 4 MB between
-- vacuums. Without it, every synced product inserted each of its words into the index one by one,
-- which was a fifth of a full sync's products pass; with a 64 kB list (PostgreSQL's smallest) a
-- sync merges its entries in sorted batches of about a hundred products, and a search scans at
-- most 64 kB of unmerged entries. Measured (`bench b`, 4 alternating pairs): products pass
-- 1.33-1.42 s -> 0.99-1.15 s; the assistant's free-text search p99 in docs/benchmarks.md.
ALTER INDEX idx_assistant_products_search SET (fastupdate = on, gin_pending_list_limit = 64);
