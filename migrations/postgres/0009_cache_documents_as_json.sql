-- Cache documents become `json` (the API's text, checked to be valid JSON) instead of `jsonb`.
-- Nothing queries inside them: every read casts the whole document to text. Yet each synced row
-- paid for jsonb's conversion (parsing into a binary tree, sorting keys), the largest item left
-- in PostgreSQL's CPU profile of a full sync. `json` also keeps the document as the API sent it,
-- like SQLite's TEXT column.
ALTER TABLE shoprenter_products_cache ALTER COLUMN raw_data TYPE json USING raw_data::json;
ALTER TABLE shoprenter_categories_cache ALTER COLUMN raw_data TYPE json USING raw_data::json;
ALTER TABLE shoprenter_customers_cache ALTER COLUMN raw_data TYPE json USING raw_data::json;
ALTER TABLE shoprenter_order_statuses_cache ALTER COLUMN raw_data TYPE json USING raw_data::json;
ALTER TABLE shoprenter_orders_cache ALTER COLUMN raw_data TYPE json USING raw_data::json;
ALTER TABLE shoprenter_order_items_cache ALTER COLUMN raw_data TYPE json USING raw_data::json;
