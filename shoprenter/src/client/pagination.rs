//! Collection listing as a stream of pages (`shoprenter-protocol.md` §3 "Collections /
//! pagination": `page` from 0, `limit` ≤ 200, `full=1` for full records, follow `next` until it
//! is null; `pageCount` may be absent).

use futures::Stream;
use secrecy::SecretString;
use serde::de::DeserializeOwned;

use super::{ApiClient, ApiError};
use crate::resources::Collection;
use crate::ShopName;

/// The platform's largest page size.
pub const MAX_PAGE_LIMIT: u32 = 200;

/// What to list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListParams {
    /// Page to start from (0-based); set it to resume an interrupted listing.
    pub page_start: u64,
    /// Page size, clamped to `1..=200`.
    pub limit: u32,
    /// Resource filters, e.g. `("updatedAfter", "2025-01-01T00:00:00")`.
    pub filters: Vec<(String, String)>,
}

impl Default for ListParams {
    fn default() -> Self {
        Self {
            page_start: 0,
            limit: MAX_PAGE_LIMIT,
            filters: Vec::new(),
        }
    }
}

impl ListParams {
    /// Adds a filter.
    pub fn filter(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.filters.push((key.into(), value.into()));
        self
    }
}

/// One page of a listing.
#[derive(Debug, Clone, PartialEq)]
pub struct Page<T> {
    /// This page's number.
    pub page: u64,
    /// `pageCount` when the resource reports it.
    pub page_count: Option<u64>,
    /// The last page's number, from `pageCount` or the `last` link, when either is given.
    pub last_page: Option<u64>,
    /// The page size requested.
    pub limit: u32,
    /// The records.
    pub items: Vec<T>,
    /// The page that follows, `None` on the last one. Store it to resume later.
    pub next_page: Option<u64>,
}

struct ListState {
    client: ApiClient,
    shop: ShopName,
    token: SecretString,
    resource: String,
    /// `page_start` is the next page to fetch.
    params: ListParams,
    done: bool,
}

impl ApiClient {
    /// Lists `resource` (e.g. `productExtend`) with `full=1`, one page per stream item, so a
    /// 100k-record resource never sits in memory at once and callers can store each page (and
    /// the page number to resume from) as it arrives.
    ///
    /// The stream ends after the page whose `next` is null, after an empty page, or after the
    /// first error (the error is yielded; resume with `page_start` set to the failed page, e.g.
    /// after re-acquiring the token on [`ApiError::Unauthorized`]). Only the page number is taken
    /// from `next.href`; requests are always built from the configured template.
    pub fn list<T>(
        &self,
        shop: &ShopName,
        token: &SecretString,
        resource: &str,
        params: ListParams,
    ) -> impl Stream<Item = Result<Page<T>, ApiError>> + Send + 'static
    where
        T: DeserializeOwned + Send + 'static,
    {
        let state = ListState {
            client: self.clone(),
            shop: shop.clone(),
            token: token.clone(),
            resource: resource.to_owned(),
            params,
            done: false,
        };
        futures::stream::unfold(state, |mut state| async move {
            if state.done {
                return None;
            }
            let result = state
                .client
                .list_page::<T>(&state.shop, &state.token, &state.resource, &state.params)
                .await;
            match result.as_ref().map(|page| page.next_page) {
                Ok(Some(next)) => state.params.page_start = next,
                Ok(None) | Err(_) => state.done = true,
            }
            Some((result, state))
        })
    }

    /// Fetches the single page `params.page_start` of a listing. [`ApiClient::list`] follows the
    /// pages one after another; a caller that knows the page count (from the first page) can
    /// request several pages at once with this (each still passes the per-shop limiter).
    pub async fn list_page<T: DeserializeOwned>(
        &self,
        shop: &ShopName,
        token: &SecretString,
        resource: &str,
        params: &ListParams,
    ) -> Result<Page<T>, ApiError> {
        self.fetch_page(shop, token, resource, params)
            .await?
            .decode()
    }

    /// [`ApiClient::list_page`] without the decoding: a full page is hundreds of KB of JSON,
    /// milliseconds of CPU to decode, which a caller may want off its async workers (e.g. in
    /// `tokio::task::spawn_blocking`), where it holds up nothing else.
    pub async fn fetch_page(
        &self,
        shop: &ShopName,
        token: &SecretString,
        resource: &str,
        params: &ListParams,
    ) -> Result<RawPage, ApiError> {
        let resource = resource.trim_matches('/');
        if resource.contains(['?', '#']) {
            return Err(ApiError::InvalidPath(resource.to_owned()));
        }
        let page = params.page_start;
        let limit = params.limit.clamp(1, MAX_PAGE_LIMIT);
        let path = list_path(resource, page, limit, &params.filters);
        let body = self.get_bytes(shop, token, &path).await?;
        Ok(RawPage {
            page,
            limit,
            path,
            body,
        })
    }
}

/// One page of a listing as it arrived; [`RawPage::decode`] turns it into a [`Page`].
#[derive(Debug, Clone)]
pub struct RawPage {
    page: u64,
    limit: u32,
    /// The request's path and query, for a decode error's message (only its path is kept).
    path: String,
    body: bytes::Bytes,
}

impl RawPage {
    /// Decodes the page.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<Page<T>, ApiError> {
        let collection: Collection<T> = super::decode(&self.path, &self.body)?;
        let next_page = following_page(&collection, self.page);
        Ok(Page {
            page: self.page,
            page_count: collection.page_count,
            last_page: collection.last_page(),
            limit: self.limit,
            items: collection.items,
            next_page,
        })
    }
}

/// The next page to fetch, guarding against a server that never ends the listing.
fn following_page<T>(collection: &Collection<T>, page: u64) -> Option<u64> {
    if collection.items.is_empty() {
        return None;
    }
    // A `next` that does not move forward would loop forever; step by one instead.
    let next = collection
        .next_page()
        .map(|n| if n <= page { page + 1 } else { n })?;
    match collection.page_count {
        Some(count) if next >= count => None,
        _ => Some(next),
    }
}

fn list_path(resource: &str, page: u64, limit: u32, filters: &[(String, String)]) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query.append_pair("page", &page.to_string());
    query.append_pair("limit", &limit.to_string());
    query.append_pair("full", "1");
    for (k, v) in filters {
        query.append_pair(k, v);
    }
    format!("{resource}?{}", query.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn collection(json: &str) -> Collection<serde_json::Value> {
        serde_json::from_str(json).unwrap()
    }

    fn raw(body: &str) -> RawPage {
        RawPage {
            page: 4,
            limit: 2,
            path: "productExtend?page=4&limit=2&full=1&email=vevo%40example.hu".into(),
            body: bytes::Bytes::from(body.to_owned()),
        }
    }

    #[test]
    fn a_raw_page_decodes_into_the_page_it_was_fetched_as() {
        let page = raw(r#"{"page":"4","pageCount":"9","next":{"href":"https://x/api/p?page=5"},"items":[{"a":1},{"a":2}]}"#)
            .decode::<serde_json::Value>()
            .unwrap();
        assert_eq!(page.page, 4);
        assert_eq!(page.limit, 2);
        assert_eq!(page.page_count, Some(9));
        assert_eq!(page.next_page, Some(5));
        assert_eq!(page.items.len(), 2);
    }

    #[test]
    fn a_broken_raw_page_names_its_resource_but_not_its_query() {
        let e = raw(r#"{"page":"4","items":[{"email":"vevo@exa"#)
            .decode::<serde_json::Value>()
            .unwrap_err();
        match e {
            ApiError::Decode { resource, message } => {
                assert_eq!(resource, "productExtend");
                assert!(!message.contains("vevo"), "{message}");
            }
            other => panic!("expected a decode error, got {other:?}"),
        }
    }

    #[test]
    fn list_path_has_page_limit_full_and_encoded_filters() {
        let path = list_path(
            "productExtend",
            3,
            200,
            &[
                ("updatedAfter".into(), "2025-01-01T00:00:00".into()),
                ("email".into(), "a+b@x.hu".into()),
            ],
        );
        assert_eq!(path, "productExtend?page=3&limit=200&full=1&updatedAfter=2025-01-01T00%3A00%3A00&email=a%2Bb%40x.hu");
    }

    #[test]
    fn listing_stops_on_null_next_empty_page_or_page_count() {
        let last = collection(r#"{"page":"2","next":null,"items":[{}]}"#);
        assert_eq!(following_page(&last, 2), None);
        let empty =
            collection(r#"{"page":"2","next":{"href":"https://x/api/p?page=3"},"items":[]}"#);
        assert_eq!(following_page(&empty, 2), None);
        let bounded = collection(
            r#"{"page":"2","pageCount":"3","next":{"href":"https://x/api/p?page=3"},"items":[{}]}"#,
        );
        assert_eq!(following_page(&bounded, 2), None);
        let stuck =
            collection(r#"{"page":"2","next":{"href":"https://x/api/p?page=2"},"items":[{}]}"#);
        assert_eq!(following_page(&stuck, 2), Some(3));
        let skip = collection(
            r#"{"page":"2","next":{"href":"https://legacy.example/p?limit=5&page=4"},"items":[{}]}"#,
        );
        assert_eq!(following_page(&skip, 2), Some(4));
    }
}
