//! The API scopes we request, and where a merchant approves new ones.
//!
//! Reference: `shoprenter-protocol.md` §6 "Scopes" (`<area>.<resource>:<read|write>`; granted scopes
//! are in the JWT `scopes` claim; re-approval at
//! `https://{shopName}.myshoprenter.hu/admin/app/{clientId}/approveScopes`, note ClientId, not AppId)
//! and design.md "Protocol decisions" → Scopes.

use url::Url;

use crate::template::{Placeholder, UrlTemplate};
use crate::ShopName;

/// Scopes the integration needs: catalogue, customers, orders and statuses (read), and webhook
/// management (read/write). Fixed at app registration; adding one needs re-approval.
pub const REQUIRED_SCOPES: &[&str] = &[
    "product.product:read",
    "product.category:read",
    "customer.customer:read",
    "order.order:read",
    "order.status:read",
    "store.webhook:read",
    "store.webhook:write",
];

/// The required scopes missing from `granted` (e.g. [`AccessToken::scopes`](crate::token::AccessToken::scopes)).
pub fn missing_scopes<S: AsRef<str>>(granted: &[S]) -> Vec<&'static str> {
    REQUIRED_SCOPES
        .iter()
        .copied()
        .filter(|needed| !granted.iter().any(|g| g.as_ref() == *needed))
        .collect()
}

/// The scope re-approval page for `shop`.
///
/// Built from the configured admin app URL template (`…/admin/app/{app_id}`, see
/// [`DEFAULT_ADMIN_APP_URL_TEMPLATE`](crate::template::DEFAULT_ADMIN_APP_URL_TEMPLATE)), with the
/// ClientId in the app slot and `/approveScopes` appended, so demo mode's simulator template
/// works the same way as the real admin.
pub fn approve_scopes_url(
    shop: &ShopName,
    client_id: &str,
    admin_app_template: &UrlTemplate,
) -> Url {
    let mut url = admin_app_template.render_with(
        shop,
        &[
            (Placeholder::AppId, client_id),
            (Placeholder::ClientId, client_id),
        ],
    );
    url.set_query(None);
    url.set_fragment(None);
    if let Ok(mut segments) = url.path_segments_mut() {
        segments.pop_if_empty().push("approveScopes");
    }
    url
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::DEFAULT_ADMIN_APP_URL_TEMPLATE;

    #[test]
    fn approve_scopes_url_uses_the_client_id() {
        let shop = ShopName::parse("pelda").unwrap();
        let t = UrlTemplate::new(DEFAULT_ADMIN_APP_URL_TEMPLATE).unwrap();
        assert_eq!(
            approve_scopes_url(&shop, "60ef06b358a23f1cd4d89d750694799a", &t).as_str(),
            "https://pelda.myshoprenter.hu/admin/app/60ef06b358a23f1cd4d89d750694799a/approveScopes"
        );
        let local =
            UrlTemplate::new("http://127.0.0.1:9000/{shopname}/admin/app/{app_id}/").unwrap();
        assert_eq!(
            approve_scopes_url(&shop, "c1", &local).as_str(),
            "http://127.0.0.1:9000/pelda/admin/app/c1/approveScopes"
        );
    }

    #[test]
    fn required_scopes_match_the_design_and_the_platform_format() {
        assert_eq!(REQUIRED_SCOPES.len(), 7);
        for scope in REQUIRED_SCOPES {
            let (resource, access) = scope.split_once(':').unwrap();
            assert!(
                resource.contains('.') && matches!(access, "read" | "write"),
                "{scope}"
            );
        }
    }

    #[test]
    fn missing_scopes_lists_what_the_token_lacks() {
        let granted: Vec<String> = REQUIRED_SCOPES
            .iter()
            .filter(|s| !s.starts_with("store."))
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            missing_scopes(&granted),
            vec!["store.webhook:read", "store.webhook:write"]
        );
        assert!(missing_scopes(REQUIRED_SCOPES).is_empty());
    }
}
