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

mod query;

use query::{canonical_key, fixed_message, sorted_message, ParsedQuery};

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

#[cfg(test)]
mod tests;
