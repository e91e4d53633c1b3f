//! Configured URL templates: the only way outbound URLs are built.
//!
//! Reference: `shoprenter-protocol.md` §2 (token URL `https://oauth.app.shoprenter.net/{shopName}/app/token`),
//! §3 (API base `https://{shopName}.api2.myshoprenter.hu/api/`), §1 (admin app URL
//! `https://{shop}/admin/app/{appId}`) and §6 (`/admin/app/{clientId}/approveScopes`).
//! design.md: templates must be https except for loopback hosts, and every outbound URL is built
//! from a validated [`ShopName`] plus a template, never from `Referer` or `app_url`.

use std::fmt;
use std::net::IpAddr;

use url::{Host, Url};

use crate::ShopName;

/// Token endpoint of the OAuth2 client-credentials flow (§2).
pub const DEFAULT_TOKEN_URL_TEMPLATE: &str =
    "https://oauth.app.shoprenter.net/{shopname}/app/token";
/// API2 base URL; resources are appended as path segments (§3).
pub const DEFAULT_API_URL_TEMPLATE: &str = "https://{shopname}.api2.myshoprenter.hu/api";
/// The app's page inside the shop admin, which every shop has, custom domain or not (§1).
pub const DEFAULT_ADMIN_APP_URL_TEMPLATE: &str =
    "https://{shopname}.myshoprenter.hu/admin/app/{app_id}";

/// A placeholder other than `{shopname}` that a template may contain (path, query or fragment only).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Placeholder {
    /// `{app_id}`: the AppId Partner Support issues (admin app URL, §1).
    AppId,
    /// `{client_id}`: the ClientId (scope re-approval URL, §6).
    ClientId,
}

impl Placeholder {
    fn token(self) -> &'static str {
        match self {
            Placeholder::AppId => "{app_id}",
            Placeholder::ClientId => "{client_id}",
        }
    }
}

/// Why a template was refused. Names the rule, so a startup error can say what to fix.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TemplateError {
    /// Every template must contain `{shopname}` so URLs differ per shop.
    #[error("URL template must contain {{shopname}}")]
    MissingShopName,
    /// Only `{shopname}`, `{app_id}` and `{client_id}` are known.
    #[error("URL template contains an unknown placeholder {0}")]
    UnknownPlaceholder(String),
    /// `{app_id}`/`{client_id}` are pasted percent-encoded, which is only safe after the host.
    #[error("{{app_id}} and {{client_id}} may only appear after the host")]
    PlaceholderInAuthority,
    /// The template does not render to a valid absolute URL.
    #[error("URL template does not render to a valid URL: {0}")]
    InvalidUrl(String),
    /// Only http and https are allowed.
    #[error("URL template must use https (or http for a loopback host)")]
    UnsupportedScheme,
    /// Plain http leaks tokens; it is only allowed to loopback hosts (tests, demo mode).
    #[error("URL template must use https unless the host is loopback")]
    InsecureScheme,
    /// Credentials do not belong in a configured URL.
    #[error("URL template must not contain user info")]
    HasUserInfo,
}

/// A validated URL template containing `{shopname}` (also accepted as `{shopName}`).
///
/// Validation renders the template with sample values, so rendering with any [`ShopName`] is
/// infallible: a shop name is a single DNS label of URL-safe characters.
#[derive(Clone, PartialEq, Eq)]
pub struct UrlTemplate {
    raw: String,
}

impl UrlTemplate {
    /// Validates a template: `{shopname}` present, only known placeholders, http(s), https unless
    /// the host is loopback, no user info.
    pub fn new(raw: &str) -> Result<Self, TemplateError> {
        let raw = raw.trim().replace("{shopName}", "{shopname}");
        if !raw.contains("{shopname}") {
            return Err(TemplateError::MissingShopName);
        }
        check_placeholders(&raw)?;
        let template = Self { raw };
        for sample in ["a", &"a".repeat(63)] {
            let shop = ShopName::parse(sample).expect("sample shop names are valid");
            let rendered = template.substitute(
                &shop,
                &[(Placeholder::AppId, "0"), (Placeholder::ClientId, "0")],
            );
            let url =
                Url::parse(&rendered).map_err(|e| TemplateError::InvalidUrl(e.to_string()))?;
            check_url(&url)?;
            // A marker value proves {app_id}/{client_id} land after the host.
            let marked = template.substitute(
                &shop,
                &[(Placeholder::AppId, "zz9"), (Placeholder::ClientId, "zz9")],
            );
            let marked =
                Url::parse(&marked).map_err(|e| TemplateError::InvalidUrl(e.to_string()))?;
            if marked.host_str().is_some_and(|h| h.contains("zz9")) || marked.port() != url.port() {
                return Err(TemplateError::PlaceholderInAuthority);
            }
        }
        Ok(template)
    }

    /// The template text, as configured.
    pub fn as_str(&self) -> &str {
        &self.raw
    }

    /// Whether the template contains `placeholder`.
    pub fn has_placeholder(&self, placeholder: Placeholder) -> bool {
        self.raw.contains(placeholder.token())
    }

    /// Renders the URL for `shop`. Meant for shop-only templates (token, API); `{app_id}` and
    /// `{client_id}` are left in place (percent-encoded) — use [`render_with`](Self::render_with) for those.
    pub fn render(&self, shop: &ShopName) -> Url {
        self.render_with(shop, &[])
    }

    /// Renders the URL for `shop`, filling `{app_id}`/`{client_id}` with percent-encoded values.
    pub fn render_with(&self, shop: &ShopName, values: &[(Placeholder, &str)]) -> Url {
        let rendered = self.substitute(shop, values);
        // Validation in `new` rendered the same shape with sample values; a shop name and
        // percent-encoded values cannot change the URL's structure, so this cannot fail.
        Url::parse(&rendered).expect("validated template renders to a URL")
    }

    fn substitute(&self, shop: &ShopName, values: &[(Placeholder, &str)]) -> String {
        let mut out = self.raw.replace("{shopname}", shop.as_str());
        for (placeholder, value) in values {
            out = out.replace(placeholder.token(), &encode_component(value));
        }
        out
    }
}

impl fmt::Debug for UrlTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "UrlTemplate({:?})", self.raw)
    }
}

impl fmt::Display for UrlTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.raw)
    }
}

impl std::str::FromStr for UrlTemplate {
    type Err = TemplateError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::new(s)
    }
}

fn check_placeholders(raw: &str) -> Result<(), TemplateError> {
    let mut rest = raw;
    while let Some(start) = rest.find(['{', '}']) {
        let tail = &rest[start..];
        let end = match (tail.starts_with('{'), tail.find('}')) {
            (true, Some(end)) => end,
            _ => {
                return Err(TemplateError::UnknownPlaceholder(
                    tail.chars().take(20).collect(),
                ))
            }
        };
        let token = &tail[..=end];
        if !matches!(token, "{shopname}" | "{app_id}" | "{client_id}") {
            return Err(TemplateError::UnknownPlaceholder(token.to_owned()));
        }
        rest = &tail[end + 1..];
    }
    Ok(())
}

fn check_url(url: &Url) -> Result<(), TemplateError> {
    if !url.username().is_empty() || url.password().is_some() {
        return Err(TemplateError::HasUserInfo);
    }
    match url.scheme() {
        "https" => Ok(()),
        "http" if is_loopback(url) => Ok(()),
        "http" => Err(TemplateError::InsecureScheme),
        _ => Err(TemplateError::UnsupportedScheme),
    }
}

/// Loopback hosts (127.0.0.0/8, ::1, `localhost` and `*.localhost` per RFC 6761).
pub(crate) fn is_loopback(url: &Url) -> bool {
    match url.host() {
        Some(Host::Ipv4(ip)) => IpAddr::V4(ip).is_loopback(),
        Some(Host::Ipv6(ip)) => IpAddr::V6(ip).is_loopback(),
        Some(Host::Domain(d)) => d == "localhost" || d.ends_with(".localhost"),
        None => false,
    }
}

/// Percent-encodes everything but RFC 3986 unreserved characters, so a value stays one segment.
fn encode_component(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn shop(s: &str) -> ShopName {
        ShopName::parse(s).unwrap()
    }

    #[test]
    fn default_templates_render_the_reference_urls() {
        let s = shop("pelda");
        assert_eq!(
            UrlTemplate::new(DEFAULT_TOKEN_URL_TEMPLATE)
                .unwrap()
                .render(&s)
                .as_str(),
            "https://oauth.app.shoprenter.net/pelda/app/token"
        );
        assert_eq!(
            UrlTemplate::new(DEFAULT_API_URL_TEMPLATE)
                .unwrap()
                .render(&s)
                .as_str(),
            "https://pelda.api2.myshoprenter.hu/api"
        );
        let admin = UrlTemplate::new(DEFAULT_ADMIN_APP_URL_TEMPLATE).unwrap();
        assert!(admin.has_placeholder(Placeholder::AppId));
        assert_eq!(
            admin
                .render_with(&s, &[(Placeholder::AppId, "55")])
                .as_str(),
            "https://pelda.myshoprenter.hu/admin/app/55"
        );
    }

    #[test]
    fn template_values_cannot_escape_their_segment() {
        let admin = UrlTemplate::new(DEFAULT_ADMIN_APP_URL_TEMPLATE).unwrap();
        let url = admin.render_with(&shop("pelda"), &[(Placeholder::AppId, "../../x?y#z")]);
        assert_eq!(url.host_str(), Some("pelda.myshoprenter.hu"));
        assert_eq!(url.path(), "/admin/app/..%2F..%2Fx%3Fy%23z");
        assert_eq!(url.query(), None);
    }

    #[test]
    fn loopback_http_templates_are_allowed_for_tests_and_demo_mode() {
        let t = UrlTemplate::new("http://127.0.0.1:8080/{shopname}/api").unwrap();
        assert_eq!(
            t.render(&shop("demo")).as_str(),
            "http://127.0.0.1:8080/demo/api"
        );
        assert!(UrlTemplate::new("http://{shopName}.localhost:3000/api").is_ok());
        assert!(UrlTemplate::new("http://[::1]:9/{shopname}").is_ok());
    }

    #[test]
    fn bad_templates_are_refused_with_the_rule_they_break() {
        assert_eq!(
            UrlTemplate::new("https://example.com/api"),
            Err(TemplateError::MissingShopName)
        );
        assert_eq!(
            UrlTemplate::new("http://{shopname}.example.com/api"),
            Err(TemplateError::InsecureScheme)
        );
        assert_eq!(
            UrlTemplate::new("ftp://{shopname}.example.com"),
            Err(TemplateError::UnsupportedScheme)
        );
        assert_eq!(
            UrlTemplate::new("https://u:p@{shopname}.example.com"),
            Err(TemplateError::HasUserInfo)
        );
        assert!(matches!(
            UrlTemplate::new("https://{shopname}.example.com/{shop}"),
            Err(TemplateError::UnknownPlaceholder(_))
        ));
        assert_eq!(
            UrlTemplate::new("https://{app_id}.{shopname}.example.com"),
            Err(TemplateError::PlaceholderInAuthority)
        );
        assert!(matches!(
            UrlTemplate::new("{shopname}"),
            Err(TemplateError::InvalidUrl(_))
        ));
    }
}
