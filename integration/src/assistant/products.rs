//! Product search: SKU first, then full text (accent-insensitive) ranked by relevance.
//!
//! One interface, two indexes: SQLite's FTS5 table `assistant_product_search` (bm25) and
//! PostgreSQL's `search_vector` tsvector over unaccented text (ts_rank), both maintained by the
//! triggers of migration 0004. The top-N ids are chosen first and only those rows are read in
//! full, so a common word does not drag every matching product's raw JSON through the sorter.

use chrono::{DateTime, Utc};
use shoprenter::resources::Product;
use sqlx::FromRow;
use uuid::Uuid;

use super::format::{availability, availability_text, money};
use super::model::{ProductHit, ProductSearchQuery};
use super::AssistantError;
use crate::storage::documents::StoredDocument;
use crate::storage::{Db, SqliteDb};
use crate::with_pool;

pub const DEFAULT_LIMIT: u32 = 5;
pub const MAX_LIMIT: u32 = 20;
const MAX_QUERY_CHARS: usize = 200;
const MAX_TERMS: usize = 8;
/// Both engines rank at most this many text matches (see `by_text`).
const RANK_CANDIDATES: u32 = 100;

const PRODUCT_COLUMNS: &str = "p.shoprenter_product_id, p.name, p.sku, \
    CAST(p.price AS DOUBLE PRECISION) AS price, p.currency, CAST(p.stock AS BIGINT) AS stock, \
    p.active, p.raw_data, p.source_updated_at, p.last_synced_at";

#[derive(FromRow)]
pub(crate) struct ProductRow {
    shoprenter_product_id: String,
    name: Option<String>,
    sku: Option<String>,
    price: Option<f64>,
    currency: Option<String>,
    stock: Option<i64>,
    active: Option<bool>,
    raw_data: Option<StoredDocument>,
    source_updated_at: Option<DateTime<Utc>>,
    last_synced_at: DateTime<Utc>,
    /// [`SKU_TIER`] for an exact SKU, [`TEXT_TIER`] for a text match.
    tier: i32,
}

const SKU_TIER: i32 = 0;
const TEXT_TIER: i32 = 1;

/// A validated search: the trimmed text, its search terms and the limit.
#[derive(Debug)]
pub(crate) struct Search {
    text: String,
    terms: Vec<String>,
    limit: u32,
}

impl Search {
    pub(crate) fn parse(query: &ProductSearchQuery) -> Result<Self, AssistantError> {
        let text = query.q.trim();
        if text.is_empty() {
            return Err(AssistantError::BadInput("q must not be empty"));
        }
        if text.chars().count() > MAX_QUERY_CHARS {
            return Err(AssistantError::BadInput("q is too long"));
        }
        let limit = query.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(AssistantError::BadInput("limit must be between 1 and 20"));
        }
        // Letters and digits only: what both tokenizers index, and nothing either query
        // language could read as syntax.
        let terms: Vec<String> = text
            .split(|c: char| !c.is_alphanumeric())
            .filter(|t| !t.is_empty())
            .map(str::to_lowercase)
            .take(MAX_TERMS)
            .collect();
        Ok(Self {
            text: text.to_owned(),
            terms,
            limit,
        })
    }

    /// FTS5: `"kave" "szemes"` (whole words) or `"kave"* "szemes"*` (word beginnings); all
    /// terms required, or any (`OR`).
    fn fts5(&self, m: Match) -> String {
        let star = if m.prefixes { "*" } else { "" };
        let terms: Vec<String> = self
            .terms
            .iter()
            .map(|t| format!("\"{t}\"{star}"))
            .collect();
        terms.join(if m.all_terms { " " } else { " OR " })
    }

    /// tsquery: `kave & szemes` or `kave:* & szemes:*` (unaccented by the query itself).
    fn tsquery(&self, m: Match) -> String {
        let star = if m.prefixes { ":*" } else { "" };
        let terms: Vec<String> = self.terms.iter().map(|t| format!("{t}{star}")).collect();
        terms.join(if m.all_terms { " & " } else { " | " })
    }
}

/// How the search terms must match a product's text.
#[derive(Debug, Clone, Copy)]
struct Match {
    /// Terms match word beginnings ("kave" finds "kávéfőző"), not only whole words.
    prefixes: bool,
    all_terms: bool,
}

/// The text tiers, most precise first: whole words, word beginnings, then any of several terms.
/// Whole words are both the better answer ("tea" means tea before teapots) and the cheapest
/// lookup: a prefix makes both indexes gather every matching word's postings (on 100k products,
/// 0.3 ms for one whole word against 0.55 ms for its prefix, and 0.2 ms against 1.1 ms for two
/// terms on PostgreSQL, measured).
const WORDS: Match = Match {
    prefixes: false,
    all_terms: true,
};
const PREFIXES: Match = Match {
    prefixes: true,
    all_terms: true,
};
const ANY_PREFIX: Match = Match {
    prefixes: true,
    all_terms: false,
};

/// Top products for a search in one store, best first. An exact SKU answers alone: a caller
/// reading a SKU wants that product, and its tokens would match the whole catalogue as text.
/// Text tiers are tried in order until `limit` products are found; a later tier only adds
/// products the earlier ones did not find, after them. Any-term matching is the last resort,
/// used only when no product has every term. The usual question costs one statement: the SKU
/// check and the whole-word tier run together.
pub(crate) async fn search(
    db: &Db,
    store_id: Uuid,
    search: &Search,
) -> Result<Vec<ProductRow>, AssistantError> {
    if search.terms.is_empty() {
        return by_sku(db, store_id, search).await;
    }
    let limit = search.limit as usize;
    let mut rows = by_text(db, store_id, search, WORDS, Some(&search.text)).await?;
    if rows.first().is_some_and(|r| r.tier == SKU_TIER) {
        return Ok(rows);
    }
    if rows.len() < limit {
        add_new(
            &mut rows,
            by_text(db, store_id, search, PREFIXES, None).await?,
            limit,
        );
    }
    if rows.is_empty() && search.terms.len() > 1 {
        rows = by_text(db, store_id, search, ANY_PREFIX, None).await?;
    }
    Ok(rows)
}

/// Appends the products of a later tier that are not already found, up to `limit`.
fn add_new(rows: &mut Vec<ProductRow>, more: Vec<ProductRow>, limit: usize) {
    for row in more {
        if rows.len() >= limit {
            break;
        }
        if !rows
            .iter()
            .any(|r| r.shoprenter_product_id == row.shoprenter_product_id)
        {
            rows.push(row);
        }
    }
}

async fn by_sku(
    db: &Db,
    store_id: Uuid,
    search: &Search,
) -> Result<Vec<ProductRow>, AssistantError> {
    let sql = format!(
        "SELECT {PRODUCT_COLUMNS}, {SKU_TIER} AS tier FROM shoprenter_products_cache p
         WHERE p.store_id = $1 AND upper(p.sku) = upper($2) LIMIT $3"
    );
    Ok(with_pool!(db, |pool| sqlx::query_as::<_, ProductRow>(
        &sql
    )
    .bind(store_id)
    .bind(&search.text)
    .bind(i64::from(search.limit))
    .fetch_all(pool)
    .await
    .map_err(crate::StorageError::from))?)
}

/// One text tier, best first. With `sku`, the same statement first looks for that exact SKU
/// and, when it exists, answers with it alone (rows of [`SKU_TIER`]) without touching the text
/// index.
async fn by_text(
    db: &Db,
    store_id: Uuid,
    search: &Search,
    m: Match,
    sku: Option<&str>,
) -> Result<Vec<ProductRow>, AssistantError> {
    let rows = match db {
        Db::Sqlite(SqliteDb { pool, .. }) => {
            // Names and SKUs weigh more than descriptions (columns: name, sku, description).
            // bm25 costs ~1 µs per match, so like PostgreSQL below only the first
            // RANK_CANDIDATES matches of this store are ranked (all of them for a specific
            // question). A store token inside the index was tried and was 3x slower: bm25 counts
            // every phrase's documents, and the store's phrase matches the whole catalogue.
            // The store check runs against the narrow (store_id) index, whose (store_id, rowid)
            // keys answer it without reading the wide product row. `NOT EXISTS (… sku)` does not
            // depend on the scan, so SQLite tests it once, before the text index is opened.
            let sql = format!(
                "WITH sku AS (
                    SELECT rowid AS rid FROM shoprenter_products_cache
                    WHERE store_id = $2 AND upper(sku) = upper($4) LIMIT $3),
                 candidates AS (
                    SELECT assistant_product_search.rowid AS rid,
                           bm25(assistant_product_search, 10.0, 8.0, 1.0) AS score
                    FROM assistant_product_search
                    WHERE NOT EXISTS (SELECT 1 FROM sku)
                      AND assistant_product_search MATCH $1 AND EXISTS (
                        SELECT 1 FROM shoprenter_products_cache s
                            INDEXED BY idx_shoprenter_products_store
                        WHERE s.store_id = $2 AND s.rowid = assistant_product_search.rowid)
                    LIMIT {RANK_CANDIDATES}),
                 hits AS (
                    SELECT rid, {SKU_TIER} AS tier, 0.0 AS score FROM sku
                    UNION ALL
                    SELECT * FROM (SELECT rid, {TEXT_TIER}, score FROM candidates
                                   ORDER BY score LIMIT $3))
                 SELECT {PRODUCT_COLUMNS}, hits.tier FROM hits
                 JOIN shoprenter_products_cache p ON p.rowid = hits.rid
                 ORDER BY hits.tier, hits.score"
            );
            sqlx::query_as::<_, ProductRow>(&sql)
                .bind(search.fts5(m))
                .bind(store_id)
                .bind(i64::from(search.limit))
                .bind(sku)
                .fetch_all(pool)
                .await
        }
        Db::Postgres(pool) => {
            // ts_rank reads each candidate's tsvector from the heap, so a word shared by
            // thousands of products would cost thousands of fetches: rank at most
            // RANK_CANDIDATES matches (every match when there are fewer, the usual case for a
            // specific question). `NOT EXISTS (… sku)` is a one-time filter: with a SKU hit
            // the text scan never starts. The limit is part of the text (it is a validated
            // 1..=20): with `LIMIT $3` the generic plan's estimates differed from every custom
            // plan's, so PostgreSQL re-planned this statement on each call (0.23 ms of planning
            // for 0.1–0.7 ms of execution, measured); with a literal it settles on the generic
            // plan, which is the same plan (the tsquery is computed inside, never known to
            // the planner).
            let limit = search.limit;
            let sql = format!(
                "WITH sku AS (
                    SELECT p.id FROM shoprenter_products_cache p
                    WHERE p.store_id = $2 AND upper(p.sku) = upper($3) LIMIT {limit}),
                 q AS (SELECT to_tsquery('simple', assistant_unaccent($1)) AS q),
                 candidates AS (
                    SELECT p.id, p.search_vector FROM shoprenter_products_cache p, q
                    WHERE NOT EXISTS (SELECT 1 FROM sku)
                      AND p.store_id = $2 AND p.search_vector @@ q.q
                    LIMIT {RANK_CANDIDATES}),
                 hits AS (
                    SELECT id, {SKU_TIER} AS tier, 0::real AS score FROM sku
                    UNION ALL
                    (SELECT c.id, {TEXT_TIER}, ts_rank(c.search_vector, q.q) AS score
                     FROM candidates c, q ORDER BY score DESC LIMIT {limit}))
                 SELECT {PRODUCT_COLUMNS}, hits.tier FROM hits
                 JOIN shoprenter_products_cache p ON p.id = hits.id
                 ORDER BY hits.tier, hits.score DESC"
            );
            sqlx::query_as::<_, ProductRow>(&sql)
                .bind(search.tsquery(m))
                .bind(store_id)
                .bind(sku)
                .fetch_all(pool)
                .await
        }
    };
    Ok(rows.map_err(crate::StorageError::from)?)
}

impl ProductRow {
    pub(crate) fn updated_at(&self) -> DateTime<Utc> {
        self.source_updated_at.unwrap_or(self.last_synced_at)
    }

    /// The answer for one product. Prices come from the platform's own record when the cache
    /// kept it (`price` is net there, gross is per customer group, reference §3), else from the
    /// typed column, which the sync fills with the gross price (net when the shop sent no gross).
    pub(crate) fn into_hit(self) -> ProductHit {
        let raw: Option<Product> = self
            .raw_data
            .as_ref()
            .and_then(StoredDocument::text)
            .and_then(|r| serde_json::from_str(&r).ok());
        let net = raw.as_ref().and_then(Product::net_price);
        let gross = match &raw {
            Some(p) => p.gross_price(),
            None => self.price,
        };
        let currency = raw
            .as_ref()
            .and_then(|p| p.currency_code().map(str::to_owned))
            .or_else(|| self.currency.clone());
        let orderable = raw.as_ref().and_then(Product::is_orderable);
        let stock = self
            .stock
            .or_else(|| raw.as_ref().and_then(Product::total_stock));
        let availability = availability(self.active, orderable, stock);
        let updated_at = Some(self.updated_at());
        ProductHit {
            id: self.shoprenter_product_id,
            name: self.name,
            sku: self.sku,
            price_gross: gross.map(|g| money(g, currency.as_deref())),
            price_net: net.map(|n| money(n, currency.as_deref())),
            stock,
            availability,
            availability_text: availability_text(availability),
            updated_at,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(q: &str) -> Result<Search, AssistantError> {
        Search::parse(&ProductSearchQuery {
            q: q.into(),
            limit: None,
        })
    }

    #[test]
    fn query_syntax_never_reaches_the_index() {
        let s = parse("kávé\" OR * NEAR( -x:y 'DROP").unwrap();
        assert_eq!(s.terms, ["kávé", "or", "near", "x", "y", "drop"]);
        assert_eq!(
            s.fts5(PREFIXES),
            "\"kávé\"* \"or\"* \"near\"* \"x\"* \"y\"* \"drop\"*"
        );
        assert_eq!(
            s.tsquery(PREFIXES),
            "kávé:* & or:* & near:* & x:* & y:* & drop:*"
        );
        assert_eq!(
            s.fts5(WORDS),
            "\"kávé\" \"or\" \"near\" \"x\" \"y\" \"drop\""
        );
        assert_eq!(
            s.tsquery(ANY_PREFIX),
            "kávé:* | or:* | near:* | x:* | y:* | drop:*"
        );
    }

    /// PostgreSQL's trigger calls `unaccent` with the pinned dictionary itself (migration 0015),
    /// while searches go through `assistant_unaccent`: the stored vector must be exactly what the
    /// query side would compute, or an accented word could stop matching.
    #[tokio::test]
    async fn the_stored_search_vector_is_what_the_query_side_computes() {
        use crate::assistant::testing::{product_json, seed_products, seed_store};
        use crate::storage::testing::{engines, TestDb};
        for kind in engines() {
            if kind != crate::storage::DbKind::Postgres {
                continue;
            }
            let (test_db, db) = TestDb::migrated(kind).await.unwrap();
            let store = seed_store(&db, "elore", None).await.unwrap();
            let product = product_json(
                "cHJvZHVjdC1wcm9kdWN0X2lkPTE=",
                "Árvíztűrő TÜKÖRFÚRÓGÉP",
                "ÉKSZ-01",
                12_990.0,
                3,
                "Őszi kávé, fekete teáskanna",
            );
            seed_products(&db, store, &[product]).await.unwrap();
            let Db::Postgres(pool) = &db else {
                unreachable!()
            };
            let (stored, expected): (String, String) = sqlx::query_as(
                "SELECT search_vector::text,
                        (setweight(to_tsvector('simple', assistant_unaccent(coalesce(name, ''))), 'A') ||
                         setweight(to_tsvector('simple', assistant_unaccent(coalesce(sku, ''))), 'A') ||
                         setweight(to_tsvector('simple', assistant_unaccent(coalesce(description, ''))), 'C'))::text
                 FROM shoprenter_products_cache",
            )
            .fetch_one(pool)
            .await
            .unwrap();
            assert_eq!(stored, expected);
            assert!(stored.contains("'arvizturo':1A"), "{stored}");
            assert!(stored.contains("'kave'"), "{stored}");
            db.close().await;
            test_db.cleanup().await;
        }
    }

    #[test]
    fn empty_long_and_out_of_range_searches_are_bad_input() {
        assert!(parse("   ").is_err());
        assert!(parse(&"a".repeat(201)).is_err());
        let zero = Search::parse(&ProductSearchQuery {
            q: "x".into(),
            limit: Some(0),
        });
        assert!(zero.is_err());
    }
}
