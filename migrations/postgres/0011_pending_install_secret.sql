-- Same as migrations/sqlite/0007_pending_install_secret.sql.
ALTER TABLE pending_installs ADD COLUMN secret UUID;
