-- The latest API request starts per shop, shared by every server instance on this database, so
-- that together they keep each shop under the platform's per-app limit (3 requests/s). One row
-- per shop, rewritten on every request: room on each page keeps those updates HOT.
-- SQLite serves one process, which keeps its starts in memory.
CREATE TABLE api_rate_windows (
    shop TEXT PRIMARY KEY,
    starts TIMESTAMPTZ[] NOT NULL
) WITH (fillfactor = 50);
