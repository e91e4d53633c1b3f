//! Parsing a signed query once, and the canonical messages each [`HmacVariant`] signs
//! (`shoprenter-protocol.md` §1 "HMAC — what the sources actually say": `&` between pairs, `=`
//! between key and value, URL-decoded values).

use super::{HmacVariant, VerifyError, SECURITY_PARAMS};

/// `shopName` (Payment-API uninstall page) is the same parameter as `shopname`.
pub(super) fn canonical_key(key: &str) -> &str {
    if key == "shopName" {
        "shopname"
    } else {
        key
    }
}

pub(super) fn fixed_message(
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

pub(super) fn sorted_message(params: &[(String, String)]) -> String {
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
pub(super) struct ParsedQuery {
    pairs: Vec<(String, String)>,
    /// How the shop parameter was spelled (`shopname` or `shopName`).
    shop_key: String,
}

impl ParsedQuery {
    pub(super) fn parse(raw: &str) -> Result<Self, VerifyError> {
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

    pub(super) fn get(&self, key: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(k, _)| canonical_key(k) == key)
            .map(|(_, v)| v.as_str())
    }

    pub(super) fn required(&self, key: &'static str) -> Result<&str, VerifyError> {
        self.get(key)
            .filter(|v| !v.is_empty())
            .ok_or(VerifyError::MissingParameter(key))
    }

    pub(super) fn extra(&self) -> Vec<(String, String)> {
        self.pairs
            .iter()
            .filter(|(k, _)| !SECURITY_PARAMS.contains(&canonical_key(k)))
            .cloned()
            .collect()
    }

    /// The message(s) a variant may have signed. With `shopName`, the fixed orders are tried
    /// with the key as received and as the demos hard-code it (`shopname`).
    pub(super) fn candidate_messages(&self, variant: HmacVariant) -> Vec<String> {
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
