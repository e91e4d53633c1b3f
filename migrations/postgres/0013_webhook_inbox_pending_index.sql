-- The inbox had two indexes on `status` (with received_at, and with next_attempt_at), each
-- updated by every delivery. Only the worker's claim reads by status, and only pending rows
-- ordered by arrival: one partial index serves it, holds only the backlog (a row leaves it once
-- processed), and makes an accepted delivery one index insert cheaper.
DROP INDEX IF EXISTS idx_webhook_inbox_status;
DROP INDEX IF EXISTS idx_webhook_inbox_work;
CREATE INDEX idx_webhook_inbox_pending ON webhook_inbox(received_at) WHERE status = 'pending';
