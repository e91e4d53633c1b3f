-- An order's page lists the status changes its webhooks reported (by `store_id` and
-- `order_ref`). Without an index that read scanned the whole inbox: every shop's deliveries
-- ever received, payloads inline. The same index serves the other store-scoped reads (the
-- delivery counts by status, the cleanup when a shop changes owner). An order has a handful of
-- deliveries, so sorting them by arrival needs no third column.
CREATE INDEX idx_webhook_inbox_order ON webhook_inbox(store_id, order_ref);
