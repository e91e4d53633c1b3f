-- Foundation: a key/value table for instance-wide facts (e.g. the schema owner's notes).
CREATE TABLE IF NOT EXISTS app_meta (
    key   TEXT PRIMARY KEY NOT NULL,
    value TEXT NOT NULL
);
