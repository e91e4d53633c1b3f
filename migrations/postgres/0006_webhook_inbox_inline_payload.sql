-- Webhook deliveries stay inline and uncompressed. A ≈2.4 KB order delivery crosses the default
-- 2 KB TOAST threshold, so every insert paid for pglz compression on the ingest hot path (a
-- seventh of PostgreSQL's CPU under load, measured with perf), for rows that are read once by
-- the worker and pruned later. Rows over 8 KB (rare, big orders) are still TOASTed as usual.
ALTER TABLE webhook_inbox SET (toast_tuple_target = 8160);
