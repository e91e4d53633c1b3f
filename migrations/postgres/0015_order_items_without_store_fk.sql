-- Order items lose their own foreign key to `stores`. It checked, for every item row a sync wrote,
-- what the item's order already guarantees: `order_id` references an order, and the order
-- references its store. Deleting a store still removes its items (stores → orders → items, both
-- ON DELETE CASCADE), and `store_id` stays, indexed, for the owner-change cleanup. Foreign-key
-- checks were 15 % of PostgreSQL's CPU in a full sync of 20k products, customers and orders
-- (perf); its 44k item rows paid two checks each, this one of them redundant.
ALTER TABLE shoprenter_order_items_cache DROP CONSTRAINT shoprenter_order_items_cache_store_id_fkey;

-- The search-vector trigger calls unaccent() with the pinned dictionary directly. Through the
-- `assistant_unaccent` SQL wrapper each of its three calls per product ran the SQL-function
-- executor (the wrapper cannot be inlined: it is declared IMMUTABLE over a STABLE function).
-- Same dictionary, same text: the vectors equal the wrapper's, which the query side still uses.
CREATE OR REPLACE FUNCTION assistant_product_search_vector() RETURNS TRIGGER AS $$
BEGIN
    NEW.search_vector :=
        setweight(to_tsvector('simple', unaccent('unaccent'::regdictionary, coalesce(NEW.name, ''))), 'A') ||
        setweight(to_tsvector('simple', unaccent('unaccent'::regdictionary, coalesce(NEW.sku, ''))), 'A') ||
        setweight(to_tsvector('simple', unaccent('unaccent'::regdictionary, coalesce(NEW.description, ''))), 'C');
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
