-- A pending install's id is time-ordered (UUIDv7), so new rows append to its key instead of
-- landing on a random page of it; the browser's `sr_install` ticket carries the id and this
-- random secret, which has no index. Rows from before (random v4 ids) have none.
ALTER TABLE pending_installs ADD COLUMN secret BLOB;
