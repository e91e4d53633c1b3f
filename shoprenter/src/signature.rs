//! Verification of the signed GET requests ShopRenter sends to the RedirectUri, the EntryPoint
//! and the UninstallUri.
//!
//! Reference: `shoprenter-protocol.md` §1 "HMAC — what the sources actually say" and
//! "Timestamp / replay", test vectors (c) 1, 2, 10, 11; design.md "Protocol decisions".
//! The message order is not settled by ShopRenter's own material, so a request is accepted when
//! any configured [`HmacVariant`] matches; the caller logs which one did.

use std::time::Duration;

use hmac::{Hmac, Mac};
use secrecy::{ExposeSecret, SecretString};
use sha2::Sha256;

use crate::{ShopName, ShopNameError};

type HmacSha256 = Hmac<Sha256>;

/// Parameters that carry security meaning; each may appear at most once.
const SECURITY_PARAMS: [&str; 5] = ["shopname", "code", "timestamp", "hmac", "app_url"];

/// Which canonical message a request's `hmac` was computed over (§1 HMAC).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum HmacVariant {
    /// `code=..&shopname=..&timestamp=..` — the order in ShopRenter's documentation (D-GS).
    DocsOrder,
    /// `shopname=..&code=..&timestamp=..` — the order all three official demo apps use (DEMO-*).
    DemoAppOrder,
    /// Every parameter except `hmac`, sorted by key bytes (the seed design). This one also signs
    /// `app_url` and custom parameters.
    AllParamsSorted,
}

impl HmacVariant {
    /// All variants, in the order they are tried.
    pub const ALL: [HmacVariant; 3] = [
        HmacVariant::DocsOrder,
        HmacVariant::DemoAppOrder,
        HmacVariant::AllParamsSorted,
    ];
}

/// Why a signed request was rejected. Never contains the expected signature or a secret.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// A required parameter (`shopname`, `code`, `timestamp` or `hmac`) is absent or empty.
    #[error("missing parameter `{0}`")]
    MissingParameter(&'static str),
    /// A security parameter appeared more than once (including `shopname` plus `shopName`).
    #[error("parameter `{0}` appears more than once")]
    RepeatedParameter(&'static str),
    /// The query string itself is not valid (e.g. a value that is not UTF-8 after decoding).
    #[error("malformed query string")]
    MalformedQuery,
    /// `timestamp` is not an integer number of Unix seconds.
    #[error("timestamp is not a Unix time in seconds")]
    MalformedTimestamp,
    /// `hmac` is not 64 hex digits.
    #[error("hmac is not a 64-digit hex string")]
    MalformedHmac,
    /// The signature matched none of the accepted variants with any configured secret.
    #[error("signature does not match")]
    BadSignature,
    /// Older than the configured maximum age.
    #[error("timestamp is {age_secs} s old, more than the {max_age_secs} s allowed")]
    StaleTimestamp { age_secs: i64, max_age_secs: i64 },
    /// Further in the future than the configured clock-skew allowance.
    #[error(
        "timestamp is {ahead_secs} s in the future, more than the {max_future_secs} s allowed"
    )]
    FutureTimestamp {
        ahead_secs: i64,
        max_future_secs: i64,
    },
    /// Correctly signed, but the shop name is not one we can build URLs from.
    #[error("invalid shop name: {0}")]
    InvalidShopName(#[from] ShopNameError),
}

/// A request whose signature and timestamp were verified.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedRequest {
    /// The shop, normalised.
    pub shop: ShopName,
    /// The platform's one-time `code` (part of the replay key `(shop, code, timestamp)`).
    pub code: String,
    /// Unix seconds, as signed.
    pub timestamp: i64,
    /// The received signature, lower-cased hex (not secret: it travelled in the URL).
    pub hmac: String,
    /// `app_url` as received (RedirectUri only). Untrusted unless the variant is
    /// [`HmacVariant::AllParamsSorted`]; see [`crate::app_url::resolve_app_url`].
    pub app_url: Option<String>,
    /// Every other parameter, in received order (e.g. our own `sr_install`, §1 "Custom parameters").
    pub extra: Vec<(String, String)>,
    /// Which canonical message matched.
    pub variant: HmacVariant,
    /// True when the previous (rotated-out) secret matched rather than the current one.
    pub matched_previous_secret: bool,
}

impl SignedRequest {
    /// Whether `app_url` was covered by the signature (only the all-parameters variant signs it).
    pub fn app_url_is_signed(&self) -> bool {
        self.variant == HmacVariant::AllParamsSorted && self.app_url.is_some()
    }

    /// The first value of a custom parameter, e.g. `extra_param("sr_install")`.
    pub fn extra_param(&self, key: &str) -> Option<&str> {
        self.extra
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// Verifies RedirectUri / EntryPoint / UninstallUri queries (§1).
///
/// Secrets are held in [`SecretString`], so `Debug` output is redacted.
#[derive(Debug, Clone)]
pub struct Verifier {
    /// The app's ClientSecret.
    pub current_secret: SecretString,
    /// The previous ClientSecret during a rotation, tried after the current one.
    pub previous_secret: Option<SecretString>,
    /// How old a timestamp may be (design.md default 300 s).
    pub max_age: Duration,
    /// How far in the future a timestamp may be, for clock skew (design.md default 60 s).
    pub max_future: Duration,
    /// Variants accepted; narrow this once a live install has shown the real order (§(d) 1).
    pub accepted_variants: Vec<HmacVariant>,
}

impl Verifier {
    /// A verifier with the design defaults: 300 s past, 60 s future, all variants.
    pub fn new(client_secret: SecretString) -> Self {
        Self {
            current_secret: client_secret,
            previous_secret: None,
            max_age: Duration::from_secs(300),
            max_future: Duration::from_secs(60),
            accepted_variants: HmacVariant::ALL.to_vec(),
        }
    }

    /// Also accept signatures made with a rotated-out secret.
    pub fn with_previous_secret(mut self, previous: SecretString) -> Self {
        self.previous_secret = Some(previous);
        self
    }

    /// Sets the accepted timestamp window.
    pub fn with_window(mut self, max_age: Duration, max_future: Duration) -> Self {
        self.max_age = max_age;
        self.max_future = max_future;
        self
    }

    /// Restricts the accepted message variants.
    pub fn with_variants(mut self, variants: &[HmacVariant]) -> Self {
        self.accepted_variants = variants.to_vec();
        self
    }

    /// Verifies a raw query string (with or without the leading `?`) at time `now_unix`.
    ///
    /// Checks, in order: structure (each security parameter at most once, `shopName` accepted as
    /// `shopname`, values URL-decoded once), presence, formats, the signature in constant time
    /// against every accepted variant and secret, the timestamp window, and finally the shop name.
    pub fn verify(&self, raw_query: &str, now_unix: i64) -> Result<SignedRequest, VerifyError> {
        let query = ParsedQuery::parse(raw_query)?;
        let shop_raw = query.required("shopname")?;
        let code = query.required("code")?;
        let timestamp_raw = query.required("timestamp")?;
        let hmac_raw = query.required("hmac")?;
        let timestamp = parse_timestamp(timestamp_raw)?;
        let expected = decode_hmac(hmac_raw)?;

        let secrets = std::iter::once((&self.current_secret, false))
            .chain(self.previous_secret.as_ref().map(|s| (s, true)));
        let mut matched = None;
        'outer: for (secret, is_previous) in secrets {
            for &variant in &self.accepted_variants {
                for message in query.candidate_messages(variant) {
                    let mut mac = new_mac(secret.expose_secret().as_bytes());
                    mac.update(message.as_bytes());
                    // `verify_slice` compares in constant time.
                    if mac.verify_slice(&expected).is_ok() {
                        matched = Some((variant, is_previous));
                        break 'outer;
                    }
                }
            }
        }
        let (variant, matched_previous_secret) = matched.ok_or(VerifyError::BadSignature)?;

        let age = now_unix.saturating_sub(timestamp);
        let max_age = duration_secs(self.max_age);
        let max_future = duration_secs(self.max_future);
        if age > max_age {
            return Err(VerifyError::StaleTimestamp {
                age_secs: age,
                max_age_secs: max_age,
            });
        }
        if -age > max_future {
            return Err(VerifyError::FutureTimestamp {
                ahead_secs: -age,
                max_future_secs: max_future,
            });
        }

        let shop = ShopName::parse(shop_raw)?;
        Ok(SignedRequest {
            shop,
            code: code.to_owned(),
            timestamp,
            hmac: hmac_raw.to_ascii_lowercase(),
            app_url: query.get("app_url").map(str::to_owned),
            extra: query.extra(),
            variant,
            matched_previous_secret,
        })
    }
}

/// Computes the hex signature a platform would send for `params` under `variant`.
///
/// For tests and the simulator. `params` are decoded values; for the fixed-order variants only
/// `shopname` (or `shopName`), `code` and `timestamp` are used (missing ones count as empty);
/// for [`HmacVariant::AllParamsSorted`] every parameter but `hmac` is signed.
pub fn sign(secret: &[u8], variant: HmacVariant, params: &[(&str, &str)]) -> String {
    let owned: Vec<(String, String)> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let message = match variant {
        HmacVariant::AllParamsSorted => sorted_message(&owned),
        fixed => {
            let find = |key: &str| {
                owned
                    .iter()
                    .find(|(k, _)| canonical_key(k) == key)
                    .map_or("", |(_, v)| v.as_str())
            };
            fixed_message(
                fixed,
                find("shopname"),
                find("code"),
                find("timestamp"),
                "shopname",
            )
        }
    };
    hmac_sha256_hex(secret, message.as_bytes())
}

/// Lower-case hex HMAC-SHA256 of `message` under `key` (§1; also the Payment-API notification
/// signature over the raw body, §5, test vector (c) 1).
pub fn hmac_sha256_hex(key: &[u8], message: &[u8]) -> String {
    let mut mac = new_mac(key);
    mac.update(message);
    hex::encode(mac.finalize().into_bytes())
}

/// Constant-time check of a hex HMAC-SHA256 (either case) over `message`.
pub fn verify_hex_hmac(key: &[u8], message: &[u8], hex_signature: &str) -> bool {
    let Ok(expected) = decode_hmac(hex_signature) else {
        return false;
    };
    let mut mac = new_mac(key);
    mac.update(message);
    mac.verify_slice(&expected).is_ok()
}

fn new_mac(key: &[u8]) -> HmacSha256 {
    HmacSha256::new_from_slice(key).expect("HMAC accepts keys of any length")
}

fn duration_secs(d: Duration) -> i64 {
    i64::try_from(d.as_secs()).unwrap_or(i64::MAX)
}

fn parse_timestamp(raw: &str) -> Result<i64, VerifyError> {
    if raw.is_empty() || raw.len() > 12 || !raw.bytes().all(|b| b.is_ascii_digit()) {
        return Err(VerifyError::MalformedTimestamp);
    }
    raw.parse().map_err(|_| VerifyError::MalformedTimestamp)
}

fn decode_hmac(raw: &str) -> Result<Vec<u8>, VerifyError> {
    if raw.len() != 64 {
        return Err(VerifyError::MalformedHmac);
    }
    // `hex` accepts both cases; demos send lower case, we tolerate either (§1).
    hex::decode(raw).map_err(|_| VerifyError::MalformedHmac)
}

/// `shopName` (Payment-API uninstall page) is the same parameter as `shopname`.
fn canonical_key(key: &str) -> &str {
    if key == "shopName" {
        "shopname"
    } else {
        key
    }
}

fn fixed_message(
    variant: HmacVariant,
    shop: &str,
    code: &str,
    timestamp: &str,
    shop_key: &str,
) -> String {
    match variant {
        HmacVariant::DocsOrder => format!("code={code}&{shop_key}={shop}&timestamp={timestamp}"),
        _ => format!("{shop_key}={shop}&code={code}&timestamp={timestamp}"),
    }
}

fn sorted_message(params: &[(String, String)]) -> String {
    let mut pairs: Vec<&(String, String)> = params.iter().filter(|(k, _)| k != "hmac").collect();
    pairs.sort_by(|a, b| {
        a.0.as_bytes()
            .cmp(b.0.as_bytes())
            .then_with(|| a.1.as_bytes().cmp(b.1.as_bytes()))
    });
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join("&")
}

/// A query parsed once: decoded pairs in received order, security parameters unique.
struct ParsedQuery {
    pairs: Vec<(String, String)>,
    /// How the shop parameter was spelled (`shopname` or `shopName`).
    shop_key: String,
}

impl ParsedQuery {
    fn parse(raw: &str) -> Result<Self, VerifyError> {
        let raw = raw.strip_prefix('?').unwrap_or(raw);
        let mut pairs = Vec::new();
        let mut seen = [false; SECURITY_PARAMS.len()];
        let mut shop_key = String::from("shopname");
        for piece in raw.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = piece.split_once('=').unwrap_or((piece, ""));
            let key = decode_once(k)?;
            let value = decode_once(v)?;
            if let Some(idx) = SECURITY_PARAMS
                .iter()
                .position(|p| *p == canonical_key(&key))
            {
                if std::mem::replace(&mut seen[idx], true) {
                    return Err(VerifyError::RepeatedParameter(SECURITY_PARAMS[idx]));
                }
                if idx == 0 {
                    shop_key.clone_from(&key);
                }
            }
            pairs.push((key, value));
        }
        Ok(Self { pairs, shop_key })
    }

    fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| canonical_key(k) == key)
            .map(|(_, v)| v.as_str())
    }

    fn required(&self, key: &'static str) -> Result<&str, VerifyError> {
        self.get(key)
            .filter(|v| !v.is_empty())
            .ok_or(VerifyError::MissingParameter(key))
    }

    fn extra(&self) -> Vec<(String, String)> {
        self.pairs
            .iter()
            .filter(|(k, _)| !SECURITY_PARAMS.contains(&canonical_key(k)))
            .cloned()
            .collect()
    }

    /// The message(s) a variant may have signed. With `shopName`, the fixed orders are tried
    /// with the key as received and as the demos hard-code it (`shopname`).
    fn candidate_messages(&self, variant: HmacVariant) -> Vec<String> {
        if variant == HmacVariant::AllParamsSorted {
            return vec![sorted_message(&self.pairs)];
        }
        let (shop, code, ts) = (
            self.get("shopname").unwrap_or(""),
            self.get("code").unwrap_or(""),
            self.get("timestamp").unwrap_or(""),
        );
        let mut out = vec![fixed_message(variant, shop, code, ts, &self.shop_key)];
        if self.shop_key != "shopname" {
            out.push(fixed_message(variant, shop, code, ts, "shopname"));
        }
        out
    }
}

/// URL-decodes one query component exactly once: `+` is a space and `%XX` a byte, as in PHP's
/// `$_GET`, which the demo apps sign; a `%` without two hex digits stays literal, like PHP.
/// Invalid UTF-8 after decoding is malformed rather than lossily replaced, so two different
/// byte strings can never verify as the same message.
fn decode_once(component: &str) -> Result<String, VerifyError> {
    let input = component.as_bytes();
    let mut out = Vec::with_capacity(input.len());
    let mut i = 0;
    while i < input.len() {
        let byte = match input[i] {
            b'+' => b' ',
            b'%' => match input.get(i + 1..i + 3).and_then(hex_pair) {
                Some(decoded) => {
                    i += 2;
                    decoded
                }
                None => b'%',
            },
            other => other,
        };
        out.push(byte);
        i += 1;
    }
    String::from_utf8(out).map_err(|_| VerifyError::MalformedQuery)
}

fn hex_pair(pair: &[u8]) -> Option<u8> {
    let digit = |b: u8| (b as char).to_digit(16);
    Some((digit(pair[0])? * 16 + digit(pair[1])?) as u8)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Placeholder ClientSecret from DEMO-PHP, used by the reference's synthetic vectors (c) 10–11.
    const DEMO_SECRET: &str = "13afd849ec2781ca3fb2dd1a";
    const VECTOR_10: &str = "5840f33c953971e1bdcae2769afd608eae1f0348373b96b4c3716d9784caca8b";
    const VECTOR_11: &str = "c0bdcec3ae6cfceec642449c9902654b19322cc98efc7b1915073f43917d4f50";
    const CODE: &str = "0907a61c0c8d55e99db179b68161bc00";
    const TS: i64 = 1337178173;

    fn verifier() -> Verifier {
        Verifier::new(SecretString::from(DEMO_SECRET))
    }

    fn query_with(hmac: &str) -> String {
        format!(
            "shopname=example&code={CODE}&timestamp={TS}&app_url=https%3A%2F%2Fexample.myshoprenter.hu%2Fadmin%2Fapp%2F55&hmac={hmac}"
        )
    }

    #[test]
    fn vector_1_payment_api_notification_hmac() {
        let body = br#"{"id":69,"status":"pending","time":1606740386}"#;
        let expected = "317a52549acd37817dfdf2d8989c9386b3d448faa6bc2ff597c71eaa37c76ee3";
        assert_eq!(hmac_sha256_hex(b"ppmunf3z66qx6c9cpo0klmyq", body), expected);
        assert!(verify_hex_hmac(
            b"ppmunf3z66qx6c9cpo0klmyq",
            body,
            &expected.to_uppercase()
        ));
        assert!(!verify_hex_hmac(
            b"ppmunf3z66qx6c9cpo0klmyq",
            b"{}",
            expected
        ));
    }

    #[test]
    fn vector_10_docs_order_message() {
        let msg = format!("code={CODE}&shopname=example&timestamp={TS}");
        assert_eq!(
            hmac_sha256_hex(DEMO_SECRET.as_bytes(), msg.as_bytes()),
            VECTOR_10
        );
        let params = [
            ("shopname", "example"),
            ("code", CODE),
            ("timestamp", "1337178173"),
        ];
        assert_eq!(
            sign(DEMO_SECRET.as_bytes(), HmacVariant::DocsOrder, &params),
            VECTOR_10
        );
    }

    #[test]
    fn vector_11_demo_app_order_message() {
        let msg = format!("shopname=example&code={CODE}&timestamp={TS}");
        assert_eq!(
            hmac_sha256_hex(DEMO_SECRET.as_bytes(), msg.as_bytes()),
            VECTOR_11
        );
        let params = [
            ("shopname", "example"),
            ("code", CODE),
            ("timestamp", "1337178173"),
        ];
        assert_eq!(
            sign(DEMO_SECRET.as_bytes(), HmacVariant::DemoAppOrder, &params),
            VECTOR_11
        );
    }

    #[test]
    fn verifier_accepts_both_official_orders_and_reports_which() {
        let ok = verifier().verify(&query_with(VECTOR_10), TS + 10).unwrap();
        assert_eq!(ok.variant, HmacVariant::DocsOrder);
        assert_eq!(ok.shop.as_str(), "example");
        assert_eq!(ok.code, CODE);
        assert_eq!(ok.timestamp, TS);
        assert_eq!(
            ok.app_url.as_deref(),
            Some("https://example.myshoprenter.hu/admin/app/55")
        );
        assert!(!ok.app_url_is_signed());
        let ok = verifier()
            .verify(&query_with(&VECTOR_11.to_uppercase()), TS)
            .unwrap();
        assert_eq!(ok.variant, HmacVariant::DemoAppOrder);
        assert_eq!(ok.hmac, VECTOR_11);
    }

    #[test]
    fn verifier_rejects_any_other_hmac() {
        let mut wrong = VECTOR_10.to_owned();
        wrong.replace_range(0..1, "6");
        assert_eq!(
            verifier().verify(&query_with(&wrong), TS),
            Err(VerifyError::BadSignature)
        );
        let other_secret = Verifier::new(SecretString::from("another-secret"));
        assert_eq!(
            other_secret.verify(&query_with(VECTOR_10), TS),
            Err(VerifyError::BadSignature)
        );
    }

    #[test]
    fn narrowed_variants_reject_the_other_order() {
        let v = verifier().with_variants(&[HmacVariant::DemoAppOrder]);
        assert_eq!(
            v.verify(&query_with(VECTOR_10), TS),
            Err(VerifyError::BadSignature)
        );
        assert!(v.verify(&query_with(VECTOR_11), TS).is_ok());
    }

    #[test]
    fn previous_secret_is_accepted_during_rotation() {
        let v = Verifier::new(SecretString::from("new-secret"))
            .with_previous_secret(SecretString::from(DEMO_SECRET));
        let ok = v.verify(&query_with(VECTOR_11), TS).unwrap();
        assert!(ok.matched_previous_secret);
    }

    #[test]
    fn install_with_stale_or_future_timestamp_is_rejected() {
        let v = verifier();
        assert_eq!(
            v.verify(&query_with(VECTOR_10), TS + 301),
            Err(VerifyError::StaleTimestamp {
                age_secs: 301,
                max_age_secs: 300
            })
        );
        assert!(v.verify(&query_with(VECTOR_10), TS + 300).is_ok());
        assert_eq!(
            v.verify(&query_with(VECTOR_10), TS - 61),
            Err(VerifyError::FutureTimestamp {
                ahead_secs: 61,
                max_future_secs: 60
            })
        );
        let strict = verifier().with_window(Duration::from_secs(5), Duration::ZERO);
        assert!(matches!(
            strict.verify(&query_with(VECTOR_10), TS + 6),
            Err(VerifyError::StaleTimestamp { .. })
        ));
    }

    #[test]
    fn missing_and_malformed_parameters_are_named() {
        let v = verifier();
        assert_eq!(
            v.verify("code=a&timestamp=1&hmac=x", TS),
            Err(VerifyError::MissingParameter("shopname"))
        );
        assert_eq!(
            v.verify("shopname=a&timestamp=1&hmac=x", TS),
            Err(VerifyError::MissingParameter("code"))
        );
        assert_eq!(
            v.verify("shopname=a&code=b&hmac=x", TS),
            Err(VerifyError::MissingParameter("timestamp"))
        );
        assert_eq!(
            v.verify("shopname=a&code=b&timestamp=1", TS),
            Err(VerifyError::MissingParameter("hmac"))
        );
        assert_eq!(
            v.verify("shopname=&code=b&timestamp=1&hmac=x", TS),
            Err(VerifyError::MissingParameter("shopname"))
        );
        assert_eq!(
            v.verify(
                &format!("shopname=a&code=b&timestamp=-1&hmac={VECTOR_10}"),
                TS
            ),
            Err(VerifyError::MalformedTimestamp)
        );
        assert_eq!(
            v.verify(
                &format!("shopname=a&code=b&timestamp=1.5&hmac={VECTOR_10}"),
                TS
            ),
            Err(VerifyError::MalformedTimestamp)
        );
        assert_eq!(
            v.verify("shopname=a&code=b&timestamp=1&hmac=zz", TS),
            Err(VerifyError::MalformedHmac)
        );
        assert_eq!(
            v.verify(
                &format!("shopname=a&code=b&timestamp=1&hmac={}", "g".repeat(64)),
                TS
            ),
            Err(VerifyError::MalformedHmac)
        );
        assert_eq!(
            v.verify("shopname=%FF&code=b&timestamp=1&hmac=x", TS),
            Err(VerifyError::MalformedQuery)
        );
    }

    #[test]
    fn repeated_security_parameters_are_rejected() {
        let v = verifier();
        let q = format!("{}&shopname=evil", query_with(VECTOR_10));
        assert_eq!(
            v.verify(&q, TS),
            Err(VerifyError::RepeatedParameter("shopname"))
        );
        let q = format!("{}&shopName=evil", query_with(VECTOR_10));
        assert_eq!(
            v.verify(&q, TS),
            Err(VerifyError::RepeatedParameter("shopname"))
        );
        let q = format!("{}&hmac={VECTOR_11}", query_with(VECTOR_10));
        assert_eq!(
            v.verify(&q, TS),
            Err(VerifyError::RepeatedParameter("hmac"))
        );
        let q = format!("{}&app_url=https://evil.example", query_with(VECTOR_10));
        assert_eq!(
            v.verify(&q, TS),
            Err(VerifyError::RepeatedParameter("app_url"))
        );
    }

    #[test]
    fn uninstall_with_shop_name_camel_case_is_accepted() {
        let q = format!("shopName=example&code={CODE}&timestamp={TS}&hmac={VECTOR_11}");
        let ok = verifier().verify(&q, TS).unwrap();
        assert_eq!(ok.shop.as_str(), "example");
        // Signed with the key as received is accepted too.
        let params = [
            ("shopName", "example"),
            ("code", CODE),
            ("timestamp", "1337178173"),
        ];
        let msg = format!("shopName=example&code={CODE}&timestamp={TS}");
        let sig = hmac_sha256_hex(DEMO_SECRET.as_bytes(), msg.as_bytes());
        assert_ne!(
            sig,
            sign(DEMO_SECRET.as_bytes(), HmacVariant::DemoAppOrder, &params)
        );
        assert!(verifier()
            .verify(
                &format!("shopName=example&code={CODE}&timestamp={TS}&hmac={sig}"),
                TS
            )
            .is_ok());
    }

    #[test]
    fn entry_point_custom_params_are_kept_and_all_params_variant_signs_them() {
        let params = [
            ("shopname", "example"),
            ("code", CODE),
            ("timestamp", "1337178173"),
            ("sr_install", "abc 123"),
        ];
        let sig = sign(
            DEMO_SECRET.as_bytes(),
            HmacVariant::AllParamsSorted,
            &params,
        );
        let q =
            format!("shopname=example&code={CODE}&timestamp={TS}&sr_install=abc+123&hmac={sig}");
        let ok = verifier().verify(&q, TS).unwrap();
        assert_eq!(ok.variant, HmacVariant::AllParamsSorted);
        assert_eq!(ok.extra_param("sr_install"), Some("abc 123"));
        // A tampered custom parameter breaks that variant.
        let q = q.replace("abc+123", "abc+124");
        assert_eq!(verifier().verify(&q, TS), Err(VerifyError::BadSignature));
    }

    #[test]
    fn values_are_decoded_exactly_once() {
        let params = [
            ("shopname", "example"),
            ("code", "a%41"),
            ("timestamp", "1337178173"),
        ];
        let sig = sign(DEMO_SECRET.as_bytes(), HmacVariant::DemoAppOrder, &params);
        // `%2541` decodes once to `%41`, which is what was signed; decoding twice would give `aA`.
        let q = format!("shopname=example&code=a%2541&timestamp={TS}&hmac={sig}");
        assert_eq!(verifier().verify(&q, TS).unwrap().code, "a%41");
    }

    #[test]
    fn correctly_signed_request_with_bad_shop_name_is_rejected() {
        let params = [
            ("shopname", "evil.com"),
            ("code", CODE),
            ("timestamp", "1337178173"),
        ];
        let sig = sign(DEMO_SECRET.as_bytes(), HmacVariant::DemoAppOrder, &params);
        let q = format!("shopname=evil.com&code={CODE}&timestamp={TS}&hmac={sig}");
        assert_eq!(
            verifier().verify(&q, TS),
            Err(VerifyError::InvalidShopName(
                ShopNameError::InvalidCharacter
            ))
        );
    }

    #[test]
    fn errors_never_contain_the_expected_signature() {
        let err = verifier()
            .verify(&query_with(&"0".repeat(64)), TS)
            .unwrap_err();
        let text = format!("{err} {err:?}");
        assert!(
            !text.contains(VECTOR_10) && !text.contains(VECTOR_11) && !text.contains(DEMO_SECRET)
        );
        assert!(!format!("{:?}", verifier()).contains(DEMO_SECRET));
    }

    fn encode(v: &str) -> String {
        url::form_urlencoded::byte_serialize(v.as_bytes()).collect()
    }

    proptest! {
        #[test]
        fn sign_then_verify_round_trips(
            shop in "[a-z0-9][a-z0-9]{0,10}",
            code in "\\PC{1,40}",
            ts in 1_000_000_000i64..2_000_000_000,
            extra in proptest::collection::vec(("[a-z_]{1,8}", "\\PC{0,20}"), 0..4),
            variant in prop_oneof![Just(HmacVariant::DocsOrder), Just(HmacVariant::DemoAppOrder), Just(HmacVariant::AllParamsSorted)],
        ) {
            let extra: Vec<_> = extra.into_iter().filter(|(k, _)| !SECURITY_PARAMS.contains(&k.as_str()) && k != "shopName").collect();
            let ts_s = ts.to_string();
            let mut params = vec![("shopname", shop.as_str()), ("code", code.as_str()), ("timestamp", ts_s.as_str())];
            params.extend(extra.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            let sig = sign(b"secret", variant, &params);
            let query: String = params.iter().map(|(k, v)| format!("{}={}", encode(k), encode(v))).chain([format!("hmac={sig}")]).collect::<Vec<_>>().join("&");
            let v = Verifier::new(SecretString::from("secret")).with_variants(&[variant]);
            let ok = v.verify(&query, ts).unwrap();
            prop_assert_eq!(ok.variant, variant);
            prop_assert_eq!(ok.code, code);
        }

        #[test]
        fn any_single_byte_change_fails(
            code in "[0-9a-f]{32}",
            position in 0usize..200,
            replacement in proptest::num::u8::ANY,
        ) {
            let params = [("shopname", "example"), ("code", code.as_str()), ("timestamp", "1337178173"), ("sr_install", "x1")];
            let sig = sign(b"secret", HmacVariant::AllParamsSorted, &params);
            let query = format!("shopname=example&code={code}&timestamp=1337178173&sr_install=x1&hmac={sig}");
            let v = Verifier::new(SecretString::from("secret"));
            prop_assert!(v.verify(&query, TS).is_ok());
            let mut bytes = query.clone().into_bytes();
            let i = position % bytes.len();
            prop_assume!(bytes[i] != replacement);
            let original = bytes[i];
            bytes[i] = replacement;
            // Changing only the case of a hex digit in the hmac is the same signature.
            let hmac_start = query.len() - 64;
            prop_assume!(!(i >= hmac_start && original.eq_ignore_ascii_case(&replacement)));
            let Ok(tampered) = String::from_utf8(bytes) else { return Ok(()); };
            prop_assert!(v.verify(&tampered, TS).is_err(), "accepted tampered query {tampered}");
        }
    }
}
