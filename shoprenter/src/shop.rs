//! Shop names: the one identifier every outbound URL is built from.
//!
//! Reference: `shoprenter-protocol.md` §1 (RedirectUri/EntryPoint/UninstallUri carry `shopname`;
//! the Payment-API page spells it `shopName`) and §7 (a shop lives at `{shopName}.myshoprenter.hu`).
//! design.md "Protocol decisions": `^[a-z0-9][a-z0-9-]{0,62}$` after lower-casing.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Longest accepted name: one DNS label (63 octets), since the name becomes a sub-domain.
const MAX_LEN: usize = 63;

/// A validated, lower-cased ShopRenter shop name (`pelda` for `pelda.myshoprenter.hu`).
///
/// Parse, don't validate: holding a `ShopName` proves the value matches
/// `^[a-z0-9][a-z0-9-]{0,62}$`, so it can be pasted into a host name or path segment of a
/// configured [`UrlTemplate`](crate::UrlTemplate) without escaping. ShopRenter sends the name in
/// whatever case the merchant typed; DNS is case-insensitive, so we normalise to lower case.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ShopName(String);

/// Why a string is not a shop name. Carries no copy of the rejected input, so it is safe to log
/// or show even when the input was hostile.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ShopNameError {
    /// The input was empty (or only whitespace).
    #[error("shop name is empty")]
    Empty,
    /// Longer than one DNS label (63 characters).
    #[error("shop name is longer than {MAX_LEN} characters")]
    TooLong,
    /// The first character must be a letter or a digit.
    #[error("shop name must start with a letter or a digit")]
    BadFirstCharacter,
    /// Only `a-z`, `0-9` and `-` are allowed.
    #[error("shop name may contain only letters a-z, digits and '-'")]
    InvalidCharacter,
    /// `xn--` labels are punycode; a name there would be a different host than it looks.
    #[error("shop name must not have '--' in the third and fourth position")]
    ReservedHyphens,
}

impl ShopName {
    /// Parses and normalises a shop name.
    ///
    /// Surrounding whitespace is rejected rather than trimmed: the platform never sends it, so
    /// its presence means the value did not come from ShopRenter.
    pub fn parse(input: &str) -> Result<Self, ShopNameError> {
        if input.is_empty() {
            return Err(ShopNameError::Empty);
        }
        if input.len() > MAX_LEN {
            return Err(ShopNameError::TooLong);
        }
        let lower = input.to_ascii_lowercase();
        let bytes = lower.as_bytes();
        if !bytes[0].is_ascii_alphanumeric() {
            return Err(if bytes[0].is_ascii() {
                ShopNameError::BadFirstCharacter
            } else {
                ShopNameError::InvalidCharacter
            });
        }
        if !bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        {
            return Err(ShopNameError::InvalidCharacter);
        }
        // IDNA reserves "??--" labels (RFC 5891 §4.2.3.1); an `xn--` name would be decoded as
        // punycode by URL parsers, so a template could not render it as the literal host.
        if bytes.len() >= 4 && &bytes[2..4] == b"--" {
            return Err(ShopNameError::ReservedHyphens);
        }
        Ok(Self(lower))
    }

    /// The normalised name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for ShopName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for ShopName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "ShopName({:?})", self.0)
    }
}

impl AsRef<str> for ShopName {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl FromStr for ShopName {
    type Err = ShopNameError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<&str> for ShopName {
    type Error = ShopNameError;
    fn try_from(s: &str) -> Result<Self, Self::Error> {
        Self::parse(s)
    }
}

impl TryFrom<String> for ShopName {
    type Error = ShopNameError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl Serialize for ShopName {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for ShopName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let raw = String::deserialize(deserializer)?;
        Self::parse(&raw).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn shop_name_is_lower_cased() {
        assert_eq!(ShopName::parse("PeldA-2").unwrap().as_str(), "pelda-2");
    }

    #[test]
    fn shop_name_rejects_what_is_not_a_dns_label() {
        assert_eq!(ShopName::parse(""), Err(ShopNameError::Empty));
        assert_eq!(
            ShopName::parse("-abc"),
            Err(ShopNameError::BadFirstCharacter)
        );
        assert_eq!(ShopName::parse("a.b"), Err(ShopNameError::InvalidCharacter));
        assert_eq!(ShopName::parse("a_b"), Err(ShopNameError::InvalidCharacter));
        assert_eq!(
            ShopName::parse(" abc"),
            Err(ShopNameError::BadFirstCharacter)
        );
        assert_eq!(
            ShopName::parse("abc "),
            Err(ShopNameError::InvalidCharacter)
        );
        assert_eq!(ShopName::parse("évi"), Err(ShopNameError::InvalidCharacter));
        assert_eq!(ShopName::parse("a/b"), Err(ShopNameError::InvalidCharacter));
        assert_eq!(ShopName::parse("a@b"), Err(ShopNameError::InvalidCharacter));
        assert_eq!(
            ShopName::parse("xn--80ak6aa92e"),
            Err(ShopNameError::ReservedHyphens)
        );
        assert_eq!(
            ShopName::parse(&"a".repeat(64)),
            Err(ShopNameError::TooLong)
        );
        assert!(ShopName::parse(&"a".repeat(63)).is_ok());
        assert!(ShopName::parse("0").is_ok());
        assert!(ShopName::parse("a-").is_ok());
    }

    #[test]
    fn shop_name_serde_is_a_plain_string_and_validates() {
        let shop = ShopName::parse("demo").unwrap();
        assert_eq!(serde_json::to_string(&shop).unwrap(), "\"demo\"");
        let back: ShopName = serde_json::from_str("\"DEMO\"").unwrap();
        assert_eq!(back, shop);
        assert!(serde_json::from_str::<ShopName>("\"evil.com\"").is_err());
    }

    proptest! {
        #[test]
        fn every_accepted_name_matches_the_pattern(s in "\\PC{0,70}") {
            if let Ok(name) = ShopName::parse(&s) {
                let b = name.as_str().as_bytes();
                prop_assert!(!b.is_empty() && b.len() <= 63);
                prop_assert!(b[0].is_ascii_lowercase() || b[0].is_ascii_digit());
                prop_assert!(b.iter().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-'));
            }
        }

        #[test]
        fn every_pattern_name_is_accepted(s in "[a-zA-Z0-9][a-zA-Z0-9-]{0,62}") {
            prop_assume!(s.get(2..4) != Some("--"));
            let name = ShopName::parse(&s).unwrap();
            prop_assert_eq!(name.as_str(), s.to_ascii_lowercase());
        }
    }
}
