-- The replay guard's key leads with the request's timestamp instead of the shop name: within a
-- shop the `code` is random, so every new signature landed on a random page of the key's index
-- and each commit of a batch of callbacks dirtied (and wrote to the WAL) a page per signature.
-- Timestamps grow, so new keys now append. Lookups use the whole key; column order is free.
-- SQLite cannot change a primary key in place: the table is rebuilt. PostgreSQL keeps the old
-- order: its four concurrent batch commits, all appending to one leaf page, measured 3–6 % slower.
CREATE TABLE used_signatures_new (
    shopname  TEXT NOT NULL,
    code      TEXT NOT NULL,
    timestamp INTEGER NOT NULL,
    purpose   TEXT NOT NULL,               -- 'install' | 'uninstall'
    used_at   TEXT NOT NULL,
    PRIMARY KEY (timestamp, shopname, code)
);
INSERT INTO used_signatures_new (shopname, code, timestamp, purpose, used_at)
    SELECT shopname, code, timestamp, purpose, used_at FROM used_signatures;
DROP TABLE used_signatures;
ALTER TABLE used_signatures_new RENAME TO used_signatures;
CREATE INDEX idx_used_signatures_used_at ON used_signatures(used_at);
