//! Where to send the merchant after the RedirectUri: `app_url`, if we can trust it.
//!
//! Reference: `shoprenter-protocol.md` §1 "What `app_url` is" (`https://{shop-domain}/admin/app/{appId}`;
//! the app may append its own parameters, which reappear at the EntryPoint) and §(b) (the official
//! HMAC variants do not sign `app_url`). design.md "Protocol decisions" → app_url.
//! Never an open redirect: an untrusted value falls back to the admin URL rendered from the
//! validated shop name.

use url::Url;

use crate::template::{Placeholder, UrlTemplate};
use crate::ShopName;

/// The admin domains ShopRenter serves every shop on (§1: `{shop}.myshoprenter.hu`; the demo
/// apps use `{shop}.shoprenter.hu`).
const PLATFORM_ADMIN_DOMAINS: [&str; 2] = ["myshoprenter.hu", "shoprenter.hu"];

/// Decides the post-install redirect target.
///
/// `raw` is the `app_url` as received (already URL-decoded once). It is followed when:
/// - it is `https`, has no user info, its path is exactly `/admin/app/{app_id}` and its host is
///   `<shop>.myshoprenter.hu` or `<shop>.shoprenter.hu` for *this* shop; or
/// - its scheme, host, port and path equal `admin_template` rendered for this shop and app (how
///   demo mode and tests point at a local simulator); or
/// - `app_url_signed` is true (the all-parameters HMAC variant covered it) and it is an
///   http(s) URL without user info.
///
/// Otherwise the result is `admin_template` rendered for `shop` and `app_id`. A query the
/// platform put on `app_url` is kept; a fragment is dropped (ShopRenter never sends one).
pub fn resolve_app_url(
    raw: Option<&str>,
    shop: &ShopName,
    app_id: &str,
    admin_template: &UrlTemplate,
    app_url_signed: bool,
) -> Url {
    let fallback = admin_template.render_with(shop, &[(Placeholder::AppId, app_id)]);
    let Some(candidate) = raw
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .and_then(|s| Url::parse(s).ok())
    else {
        return fallback;
    };
    if is_trusted(&candidate, shop, app_id, &fallback, app_url_signed) {
        let mut url = candidate;
        url.set_fragment(None);
        url
    } else {
        fallback
    }
}

fn is_trusted(
    url: &Url,
    shop: &ShopName,
    app_id: &str,
    rendered_admin: &Url,
    signed: bool,
) -> bool {
    if !url.username().is_empty() || url.password().is_some() || url.cannot_be_a_base() {
        return false;
    }
    if signed && matches!(url.scheme(), "https" | "http") && url.host().is_some() {
        return true;
    }
    if url.scheme() == rendered_admin.scheme()
        && url.host() == rendered_admin.host()
        && url.port_or_known_default() == rendered_admin.port_or_known_default()
        && url.path() == rendered_admin.path()
    {
        return true;
    }
    // Compare the parsed path: the URL parser has already resolved `..` and `.` segments.
    let expected_path = format!("/admin/app/{app_id}");
    url.scheme() == "https"
        && url.port().is_none()
        && url.path() == expected_path
        && url.host_str().is_some_and(|host| {
            PLATFORM_ADMIN_DOMAINS.iter().any(|domain| {
                host.strip_suffix(domain).and_then(|h| h.strip_suffix('.')) == Some(shop.as_str())
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::template::DEFAULT_ADMIN_APP_URL_TEMPLATE;

    const FALLBACK: &str = "https://pelda.myshoprenter.hu/admin/app/55";

    fn resolve(raw: &str) -> String {
        resolve_signed(raw, false)
    }

    fn resolve_signed(raw: &str, signed: bool) -> String {
        let shop = ShopName::parse("pelda").unwrap();
        let template = UrlTemplate::new(DEFAULT_ADMIN_APP_URL_TEMPLATE).unwrap();
        resolve_app_url(Some(raw), &shop, "55", &template, signed).to_string()
    }

    #[test]
    fn genuine_app_urls_are_followed_with_their_query() {
        assert_eq!(
            resolve("https://pelda.myshoprenter.hu/admin/app/55"),
            FALLBACK
        );
        assert_eq!(
            resolve("https://pelda.shoprenter.hu/admin/app/55?x=1&y=2"),
            "https://pelda.shoprenter.hu/admin/app/55?x=1&y=2"
        );
        assert_eq!(
            resolve("https://PELDA.myshoprenter.hu/admin/app/55"),
            FALLBACK
        );
    }

    #[test]
    fn missing_or_garbage_app_url_falls_back() {
        let shop = ShopName::parse("pelda").unwrap();
        let template = UrlTemplate::new(DEFAULT_ADMIN_APP_URL_TEMPLATE).unwrap();
        assert_eq!(
            resolve_app_url(None, &shop, "55", &template, false).as_str(),
            FALLBACK
        );
        assert_eq!(resolve(""), FALLBACK);
        assert_eq!(resolve("not a url"), FALLBACK);
        assert_eq!(resolve("/admin/app/55"), FALLBACK);
    }

    #[test]
    fn hostile_app_urls_fall_back_to_the_shop_admin() {
        for hostile in [
            "https://other.myshoprenter.hu/admin/app/55",
            "https://evil.example/admin/app/55",
            "https://pelda.myshoprenter.hu.evil.example/admin/app/55",
            "https://evilpelda.myshoprenter.hu/admin/app/55",
            "https://x.pelda.myshoprenter.hu/admin/app/55",
            "https://pelda.myshoprenter.hu@evil.example/admin/app/55",
            "https://evil.example@pelda.myshoprenter.hu/admin/app/55",
            "https://user:pw@pelda.myshoprenter.hu/admin/app/55",
            "//evil.example/admin/app/55",
            "https:evil.example/admin/app/55",
            "javascript:alert(1)//pelda.myshoprenter.hu/admin/app/55",
            "data:text/html,<script>alert(1)</script>",
            "http://pelda.myshoprenter.hu/admin/app/55",
            "https://pelda.myshoprenter.hu:8443/admin/app/55",
            "https://pelda.myshoprenter.hu/admin/app/56",
            "https://pelda.myshoprenter.hu/admin/app/55/../../../logout",
            "https://pelda.myshoprenter.hu/admin/app/55/extra",
            "https://pelda.myshoprenter.hu/admin/app/550",
            "https://pelda.myshoprenter.hu/admin/app/55%2F..%2F..%2Fx",
            "https://pelda.myshoprenter.hu/x/../admin/app/56",
            "https://pelda.myshoprenter.hu\\@evil.example/admin/app/55",
        ] {
            assert_eq!(
                resolve(hostile),
                FALLBACK,
                "followed hostile app_url {hostile}"
            );
        }
    }

    #[test]
    fn dot_segments_resolving_to_the_app_path_are_harmless() {
        // The parser normalises this to the genuine path on the genuine host.
        assert_eq!(
            resolve("https://pelda.myshoprenter.hu/x/../admin/app/55"),
            FALLBACK
        );
    }

    #[test]
    fn fragments_are_dropped() {
        assert_eq!(
            resolve("https://pelda.myshoprenter.hu/admin/app/55#frag"),
            FALLBACK
        );
    }

    #[test]
    fn local_simulator_admin_url_is_trusted_via_the_template() {
        let shop = ShopName::parse("demo").unwrap();
        let template =
            UrlTemplate::new("http://127.0.0.1:4010/{shopname}/admin/app/{app_id}").unwrap();
        let follow =
            |raw: &str| resolve_app_url(Some(raw), &shop, "7", &template, false).to_string();
        assert_eq!(
            follow("http://127.0.0.1:4010/demo/admin/app/7?sr=1"),
            "http://127.0.0.1:4010/demo/admin/app/7?sr=1"
        );
        assert_eq!(
            follow("http://127.0.0.1:4011/demo/admin/app/7"),
            "http://127.0.0.1:4010/demo/admin/app/7"
        );
        assert_eq!(
            follow("http://127.0.0.1:4010/other/admin/app/7"),
            "http://127.0.0.1:4010/demo/admin/app/7"
        );
    }

    #[test]
    fn signed_app_url_is_followed_but_never_with_userinfo_or_script() {
        assert_eq!(
            resolve_signed("https://custom-domain.example/admin/app/55", true),
            "https://custom-domain.example/admin/app/55"
        );
        assert_eq!(
            resolve_signed("https://u@custom-domain.example/admin/app/55", true),
            FALLBACK
        );
        assert_eq!(resolve_signed("javascript:alert(1)", true), FALLBACK);
        assert_eq!(
            resolve_signed("https://custom-domain.example/admin/app/55", false),
            FALLBACK
        );
    }
}
