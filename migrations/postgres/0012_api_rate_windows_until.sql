-- Each entry of a shop's window is now the moment its request stops counting, not its start:
-- the start plus the window at first, one second after its answer once the answer is in (the
-- platform has counted the request by then). Entries are checked and dropped by that moment, so
-- their order no longer matters. Existing starts become start + 1.03 s (the window they were
-- recorded under).
ALTER TABLE api_rate_windows RENAME COLUMN starts TO counted_until;
UPDATE api_rate_windows
   SET counted_until = ARRAY(SELECT s + interval '1030 milliseconds' FROM unnest(counted_until) AS s);

-- Unlogged: an entry is worthless a second after it is written, so losing the table in a crash
-- costs nothing, and its updates then commit without waiting for a WAL flush. That wait fell
-- between an entry's timestamp and its request leaving, where a slow disk could stretch it past
-- the margin.
ALTER TABLE api_rate_windows SET UNLOGGED;
