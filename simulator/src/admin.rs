//! The shop admin side of an app's life: install page, signed redirects to RedirectUri and
//! EntryPoint, and uninstall with a signed server-side call of UninstallUri (reference §1).

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use hmac::{Hmac, Mac};
use rand::Rng;
use sha2::Sha256;

use crate::config::{AppRegistration, HmacOrder};
use crate::state::{lock, InstallState, SimState, UninstallCall};
use crate::SimError;

/// The parameters ShopRenter signs; everything else in a query (app_url, app-added params) is not.
const SIGNED_KEYS: &[&str] = &[
    "shopname",
    "shopName",
    "code",
    "timestamp",
    "hmac",
    "app_url",
];

/// The HMAC message for the configured order: only `shopname`, `code` and `timestamp` are signed in
/// every ShopRenter source; docs and demo apps disagree on their order.
pub fn hmac_message(order: HmacOrder, shopname: &str, code: &str, timestamp: &str) -> String {
    match order {
        HmacOrder::Docs => format!("code={code}&shopname={shopname}&timestamp={timestamp}"),
        HmacOrder::DemoApp => format!("shopname={shopname}&code={code}&timestamp={timestamp}"),
    }
}

/// Lower-case hex HMAC-SHA256 keyed with the client secret.
pub fn sign(secret: &str, message: &str) -> String {
    let mut mac =
        Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(message.as_bytes());
    hex::encode(mac.finalize().into_bytes())
}

fn with_query(base: &str, pairs: &[(String, String)]) -> Result<String, SimError> {
    let mut url =
        url::Url::parse(base).map_err(|e| SimError::Invalid(format!("bad app URL {base}: {e}")))?;
    {
        let mut q = url.query_pairs_mut();
        for (k, v) in pairs {
            q.append_pair(k, v);
        }
    }
    Ok(url.into())
}

impl SimState {
    /// The app's admin URL in a shop; ShopRenter hands it to the app as `app_url`.
    pub fn app_url(&self, shop: &str, app_id: &str) -> String {
        format!("{}/{shop}/admin/app/{app_id}", self.base_url())
    }

    fn app_url_at(&self, base: &str, shop: &str, app_id: &str) -> String {
        format!("{base}/{shop}/admin/app/{app_id}")
    }

    /// Fresh `shopname, code, timestamp, hmac` signed for `app`.
    pub fn signed_params(&self, app: &AppRegistration, shop: &str) -> Vec<(String, String)> {
        let code = hex::encode(rand::thread_rng().gen::<[u8; 16]>());
        let timestamp = chrono::Utc::now().timestamp().to_string();
        let hmac = sign(
            &app.client_secret,
            &hmac_message(self.config.hmac_order, shop, &code, &timestamp),
        );
        vec![
            ("shopname".into(), shop.into()),
            ("code".into(), code),
            ("timestamp".into(), timestamp),
            ("hmac".into(), hmac),
        ]
    }

    /// Installs `app_id` in `shop` (as the merchant's click would) and returns the signed
    /// RedirectUri URL the browser is sent to.
    pub fn install(&self, shop: &str, app_id: &str) -> Result<String, SimError> {
        self.install_at(&self.base_url(), shop, app_id)
    }

    fn install_at(&self, base: &str, shop: &str, app_id: &str) -> Result<String, SimError> {
        self.check_shop(shop)?;
        let app = self.app(app_id)?;
        self.set_install_state(
            shop,
            app_id,
            InstallState {
                installed: true,
                pending_open: true,
            },
        );
        let mut params = self.signed_params(app, shop);
        params.push(("app_url".into(), self.app_url_at(base, shop, app_id)));
        with_query(&app.redirect_uri, &params)
    }

    /// The EntryPoint URL ShopRenter opens for an installed app: fresh signature plus the
    /// parameters the app appended to `app_url` (reference §1 "Custom parameters").
    pub fn entry_url(
        &self,
        shop: &str,
        app_id: &str,
        extra: &[(String, String)],
    ) -> Result<String, SimError> {
        self.check_shop(shop)?;
        let app = self.app(app_id)?;
        if !self.is_installed(shop, app_id) {
            return Err(SimError::NotInstalled {
                shop: shop.into(),
                app: app_id.into(),
            });
        }
        let mut params = self.signed_params(app, shop);
        params.extend(
            extra
                .iter()
                .filter(|(k, _)| !SIGNED_KEYS.contains(&k.as_str()))
                .cloned(),
        );
        with_query(&app.entry_point, &params)
    }

    /// Uninstalls: marks the app removed, revokes its tokens, drops its webhooks and calls the
    /// UninstallUri with a signed GET, recording the answer.
    pub async fn uninstall(&self, shop: &str, app_id: &str) -> Result<UninstallCall, SimError> {
        self.check_shop(shop)?;
        let app = self.app(app_id)?.clone();
        self.set_install_state(shop, app_id, InstallState::default());
        self.revoke_tokens(shop, &app.client_id);
        // Undocumented (reference (d) 8); we assume the platform forgets an app's webhooks.
        self.shop(shop)?
            .webhooks
            .retain(|_, h| h.created_by.as_deref() != Some(app.client_id.as_str()));
        let url = with_query(&app.uninstall_uri, &self.signed_params(&app, shop))?;
        let (status, error) = match self
            .http
            .get(&url)
            .header("User-Agent", "ShopRenter")
            .send()
            .await
        {
            Ok(r) => (Some(r.status().as_u16()), None),
            Err(e) => (None, Some(e.to_string())),
        };
        let call = UninstallCall {
            shop: shop.into(),
            app_id: app_id.into(),
            url,
            status,
            error,
        };
        lock(&self.uninstall_calls).push(call.clone());
        lock(&self.stats).uninstall_calls += 1;
        Ok(call)
    }
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

fn page(title: &str, body: &str) -> Html<String> {
    Html(format!(
        "<!doctype html><html lang=\"hu\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{t} – ShopRenter szimulátor</title>\
         <style>body{{font-family:system-ui,sans-serif;max-width:40rem;margin:3rem auto;padding:0 1rem;color:#1f2937}}\
         button,a.btn{{font-size:1rem;padding:.6rem 1.2rem;margin:.3rem .3rem .3rem 0;border-radius:.4rem;border:1px solid #1d4ed8;background:#2563eb;color:#fff;cursor:pointer;text-decoration:none;display:inline-block}}\
         button.danger{{background:#b91c1c;border-color:#991b1b}}form{{display:inline}}\
         .note{{color:#4b5563;font-size:.9rem}}</style></head>\
         <body><header><p class=\"note\">ShopRenter szimulátor (simulator)</p></header><main>{body}</main></body></html>",
        t = esc(title)
    ))
}

fn error_page(status: StatusCode, message: &str) -> Response {
    (
        status,
        page(
            "Hiba",
            &format!(
                "<h1>Hiba (error)</h1><p role=\"alert\">{}</p>",
                esc(message)
            ),
        ),
    )
        .into_response()
}

fn sim_error_page(e: SimError) -> Response {
    let status = match e {
        SimError::UnknownShop(_) | SimError::UnknownApp(_) | SimError::NotFound => {
            StatusCode::NOT_FOUND
        }
        SimError::NotInstalled { .. } | SimError::Invalid(_) => StatusCode::BAD_REQUEST,
        SimError::Io(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    error_page(status, &e.to_string())
}

/// 302 like a PHP admin answers (ShopRenter documents only that the browser arrives with a GET).
fn found(url: String) -> Response {
    (StatusCode::FOUND, [(axum::http::header::LOCATION, url)]).into_response()
}

fn parse_query(raw: Option<String>) -> Vec<(String, String)> {
    raw.map(|q| {
        url::form_urlencoded::parse(q.as_bytes())
            .into_owned()
            .collect()
    })
    .unwrap_or_default()
}

fn install_page(shop: &str, app: &AppRegistration) -> Html<String> {
    let scopes: String = app
        .scopes
        .iter()
        .map(|s| format!("<li><code>{}</code></li>", esc(s)))
        .collect();
    page(
        "Alkalmazás telepítése",
        &format!(
            "<h1>Alkalmazás telepítése (install app)</h1>\
             <p>Bolt (shop): <strong>{shop}</strong> · alkalmazás (app): <strong>{app_id}</strong></p>\
             <p>Az alkalmazás ezekhez kér hozzáférést (requested scopes):</p><ul>{scopes}</ul>\
             <form method=\"post\" action=\"/{shop_path}/admin/app/{app_path}/install\" data-base>\
             <button id=\"sim-install\" type=\"submit\">Telepítés (Install)</button></form>",
            shop = esc(shop),
            app_id = esc(&app.app_id),
            shop_path = esc(shop),
            app_path = esc(&app.app_id),
        ),
    )
}

fn manage_page(base: &str, shop: &str, app: &AppRegistration) -> Html<String> {
    let admin = format!("{base}/{shop}/admin/app/{}", app.app_id);
    page(
        "Telepített alkalmazás",
        &format!(
            "<h1>Telepített alkalmazás (installed app)</h1>\
             <p>Bolt (shop): <strong>{shop}</strong> · alkalmazás (app): <strong>{app_id}</strong></p>\
             <p><a class=\"btn\" id=\"sim-open\" href=\"{open}\">Alkalmazás megnyitása (Open app)</a></p>\
             <form method=\"post\" action=\"{uninstall}\">\
             <button id=\"sim-uninstall\" class=\"danger\" type=\"submit\">Eltávolítás (Uninstall)</button></form>",
            shop = esc(shop),
            app_id = esc(&app.app_id),
            open = esc(&format!("{admin}/open")),
            uninstall = esc(&format!("{admin}/uninstall")),
        ),
    )
}

/// Replaces the relative install form action with an absolute one (the router may be mounted
/// under a prefix, and then only the base URL knows the way back).
fn absolutize(html: Html<String>, base: &str) -> Html<String> {
    Html(
        html.0
            .replace("action=\"/", &format!("action=\"{base}/"))
            .replace(" data-base", ""),
    )
}

/// `GET /{shop}/admin/app/{app_id}`: install page, or (installed) the EntryPoint redirect when the
/// browser arrives from the app with params or right after install, else the manage page.
pub(crate) async fn admin_app(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path((shop, app_id)): Path<(String, String)>,
    RawQuery(query): RawQuery,
) -> Response {
    let base = state.base_for(crate::host_of(&headers));
    if let Err(e) = state.check_shop(&shop) {
        return sim_error_page(e);
    }
    let app = match state.app(&app_id) {
        Ok(a) => a.clone(),
        Err(e) => return sim_error_page(e),
    };
    let install = state.install_state(&shop, &app_id);
    if !install.installed {
        return absolutize(install_page(&shop, &app), &base).into_response();
    }
    let extra = parse_query(query);
    if !extra.is_empty() || install.pending_open {
        state.set_install_state(
            &shop,
            &app_id,
            InstallState {
                installed: true,
                pending_open: false,
            },
        );
        return match state.entry_url(&shop, &app_id, &extra) {
            Ok(url) => found(url),
            Err(e) => sim_error_page(e),
        };
    }
    manage_page(&base, &shop, &app).into_response()
}

/// `GET /{shop}/admin/app/{app_id}/open`: the "Open app" button.
pub(crate) async fn open_app(
    State(state): State<Arc<SimState>>,
    Path((shop, app_id)): Path<(String, String)>,
) -> Response {
    match state.entry_url(&shop, &app_id, &[]) {
        Ok(url) => found(url),
        Err(e) => sim_error_page(e),
    }
}

/// `POST /{shop}/admin/app/{app_id}/install`: the merchant consents; 302 to the signed RedirectUri.
pub(crate) async fn install_app(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path((shop, app_id)): Path<(String, String)>,
) -> Response {
    let base = state.base_for(crate::host_of(&headers));
    match state.install_at(&base, &shop, &app_id) {
        Ok(url) => found(url),
        Err(e) => sim_error_page(e),
    }
}

/// `POST /{shop}/admin/app/{app_id}/uninstall`.
pub(crate) async fn uninstall_app(
    State(state): State<Arc<SimState>>,
    headers: HeaderMap,
    Path((shop, app_id)): Path<(String, String)>,
) -> Response {
    let base = state.base_for(crate::host_of(&headers));
    match state.uninstall(&shop, &app_id).await {
        Ok(call) => {
            let outcome = match (call.status, &call.error) {
                (Some(s), _) => format!("UninstallUri válasza (answered): HTTP {s}"),
                (None, Some(e)) => format!("UninstallUri hívása sikertelen (call failed): {e}"),
                (None, None) => String::new(),
            };
            page(
                "Alkalmazás eltávolítva",
                &format!(
                    "<h1>Alkalmazás eltávolítva (app uninstalled)</h1><p role=\"status\" id=\"sim-uninstall-result\">{}</p>\
                     <p><a class=\"btn\" href=\"{}\">Vissza (back)</a></p>",
                    esc(&outcome),
                    esc(&format!("{base}/{shop}/admin/app/{app_id}"))
                ),
            )
            .into_response()
        }
        Err(e) => sim_error_page(e),
    }
}

/// `GET /`: where a human starts when running the binary.
pub(crate) async fn index(State(state): State<Arc<SimState>>, headers: HeaderMap) -> Html<String> {
    let base = state.base_for(crate::host_of(&headers));
    let mut items = String::new();
    for shop in state.shop_names() {
        for app in &state.config.apps {
            let url = format!("{base}/{shop}/admin/app/{}", app.app_id);
            let installed = if state.is_installed(&shop, &app.app_id) {
                "telepítve (installed)"
            } else {
                "nincs telepítve (not installed)"
            };
            items.push_str(&format!(
                "<li><a href=\"{}\">{}</a> – {}</li>",
                esc(&url),
                esc(&url),
                installed
            ));
        }
    }
    page(
        "Boltok",
        &format!("<h1>Boltok és alkalmazások (shops and apps)</h1><ul>{items}</ul>"),
    )
}
