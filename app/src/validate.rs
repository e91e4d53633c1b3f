//! Input rules shared by the browser (inline messages while typing) and the server functions
//! (which check again before calling the engine): one function, two places.

use crate::i18n::Key;
use serde::{Deserialize, Serialize};

pub const MIN_PASSWORD_LEN: usize = 8;
pub const MAX_PASSWORD_LEN: usize = 256;
/// What the merchant may type after the name; we keep only the name.
pub const SHOP_SUFFIX: &str = ".myshoprenter.hu";

/// Why a field is not acceptable; the UI shows [`FieldError::message`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum FieldError {
    EmailRequired,
    EmailInvalid,
    PasswordTooShort,
    PasswordTooLong,
    ShopNameRequired,
    ShopNameInvalid,
    KeyNameInvalid,
}

impl FieldError {
    pub fn message(self) -> Key {
        match self {
            FieldError::EmailRequired => Key::ErrEmailRequired,
            FieldError::EmailInvalid => Key::ErrEmailInvalid,
            FieldError::PasswordTooShort => Key::ErrPasswordTooShort,
            FieldError::PasswordTooLong => Key::ErrPasswordTooLong,
            FieldError::ShopNameRequired => Key::ErrShopNameRequired,
            FieldError::ShopNameInvalid => Key::ErrShopNameInvalid,
            FieldError::KeyNameInvalid => Key::ErrApiKeyName,
        }
    }
}

/// The same plausibility rules as the engine's `Email::parse`; returns the normalised address.
pub fn email(input: &str) -> Result<String, FieldError> {
    let email = input.trim().to_lowercase();
    if email.is_empty() {
        return Err(FieldError::EmailRequired);
    }
    let valid = email.len() <= 254
        && !email.chars().any(|c| c.is_whitespace() || c.is_control())
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
        });
    if valid {
        Ok(email)
    } else {
        Err(FieldError::EmailInvalid)
    }
}

/// Length rules of a new password (counted in characters, as the engine does).
pub fn new_password(input: &str) -> Result<(), FieldError> {
    let len = input.chars().count();
    if len < MIN_PASSWORD_LEN {
        Err(FieldError::PasswordTooShort)
    } else if len > MAX_PASSWORD_LEN {
        Err(FieldError::PasswordTooLong)
    } else {
        Ok(())
    }
}

/// A password typed at sign-in: only "something was typed".
pub fn password_present(input: &str) -> Result<(), FieldError> {
    if input.is_empty() {
        Err(FieldError::PasswordTooShort)
    } else {
        Ok(())
    }
}

/// The ShopRenter shop name rules (`^[a-z0-9][a-z0-9-]{0,62}$`, no `??--`), after trimming and
/// lower-casing, accepting a pasted `pelda.myshoprenter.hu`. The server parses the result with
/// `shoprenter::ShopName` as well (a test pins that both agree).
pub fn shop_name(input: &str) -> Result<String, FieldError> {
    let mut name = input.trim().to_ascii_lowercase();
    for prefix in ["https://", "http://"] {
        if let Some(rest) = name.strip_prefix(prefix) {
            name = rest.trim_end_matches('/').to_owned();
        }
    }
    if let Some(stripped) = name.strip_suffix(SHOP_SUFFIX) {
        name = stripped.to_owned();
    }
    if name.is_empty() {
        return Err(FieldError::ShopNameRequired);
    }
    let bytes = name.as_bytes();
    let valid = bytes.len() <= 63
        && bytes[0].is_ascii_alphanumeric()
        && bytes
            .iter()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || *b == b'-')
        && !(bytes.len() >= 4 && &bytes[2..4] == b"--");
    if valid {
        Ok(name)
    } else {
        Err(FieldError::ShopNameInvalid)
    }
}

/// A label for an assistant API key: 1 to 64 characters after trimming.
pub fn key_name(input: &str) -> Result<String, FieldError> {
    let name = input.trim();
    if name.is_empty() || name.chars().count() > 64 {
        Err(FieldError::KeyNameInvalid)
    } else {
        Ok(name.to_owned())
    }
}

/// Only local absolute paths are followed after sign-in: never `//host`, `/\host` or a URL.
pub fn safe_next(next: &str) -> &str {
    let ok = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control());
    if ok {
        next
    } else {
        "/integrations"
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shop_names_are_normalised_and_checked() {
        assert_eq!(shop_name(" Pelda ").unwrap(), "pelda");
        assert_eq!(shop_name("pelda.myshoprenter.hu").unwrap(), "pelda");
        assert_eq!(
            shop_name("https://pelda.myshoprenter.hu/").unwrap(),
            "pelda"
        );
        assert_eq!(shop_name(""), Err(FieldError::ShopNameRequired));
        assert_eq!(shop_name("   "), Err(FieldError::ShopNameRequired));
        for bad in [
            "-pelda",
            "pél-da",
            "pel da",
            "xn--pelda",
            "a/b",
            &"a".repeat(64),
        ] {
            assert_eq!(shop_name(bad), Err(FieldError::ShopNameInvalid), "{bad}");
        }
    }

    #[cfg(feature = "ssr")]
    #[test]
    fn shop_name_rules_match_the_protocol_crate() {
        for input in [
            "pelda", "a", "0shop", "my-shop", "-x", "ab--c", "abc--d", "x_y", "ÁRVÍZ", "a.b",
        ] {
            let ours = shop_name(input).ok();
            let theirs = shoprenter::ShopName::parse(&input.to_ascii_lowercase())
                .ok()
                .map(|s| s.as_str().to_owned());
            assert_eq!(ours, theirs, "{input}");
        }
    }

    #[test]
    fn emails_follow_the_engine_rules() {
        assert_eq!(email(" Anna@Example.HU ").unwrap(), "anna@example.hu");
        assert_eq!(email(""), Err(FieldError::EmailRequired));
        for bad in [
            "anna",
            "anna@",
            "@example.hu",
            "a@b",
            "a b@example.hu",
            "a@.hu",
        ] {
            assert_eq!(email(bad), Err(FieldError::EmailInvalid), "{bad}");
        }
    }

    #[test]
    fn passwords_need_eight_characters() {
        assert_eq!(new_password("1234567"), Err(FieldError::PasswordTooShort));
        assert!(new_password("12345678").is_ok());
        assert!(new_password("árvíztűrő").is_ok());
    }

    #[test]
    fn only_local_paths_are_followed_after_sign_in() {
        assert_eq!(safe_next("/stores/1?x=2"), "/stores/1?x=2");
        assert_eq!(
            safe_next("/integrations/shoprenter/continue"),
            "/integrations/shoprenter/continue"
        );
        for hostile in [
            "",
            "https://evil.example",
            "//evil.example",
            "/\\evil.example",
            "/a\nb",
        ] {
            assert_eq!(safe_next(hostile), "/integrations", "{hostile:?}");
        }
    }
}
