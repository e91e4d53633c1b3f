//! Phone numbers as callers and shops type them, reduced to E.164 so they can be compared.
//!
//! Hungarian habits first (the platform's home market): `06` is the national trunk prefix
//! (`06 20 123 4567` = `+36 20 123 4567`), `00` the international one (`0036…`), and a bare
//! national number (`20 123 4567`) is Hungarian. Anything that still is not 8–15 digits after
//! the country code is not a phone number.

/// The country code assumed for numbers written without one.
pub const DEFAULT_COUNTRY_CODE: &str = "36";

/// E.164 (`+36201234567`) for a phone number in any common notation, or `None` when it is not
/// one. This is the function every writer of `phone_normalized` must use.
pub fn normalize_phone(input: &str) -> Option<String> {
    let trimmed = input.trim();
    let mut digits = String::with_capacity(trimmed.len());
    let mut plus = false;
    for (i, c) in trimmed.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            '+' if i == 0 => plus = true,
            ' ' | '-' | '(' | ')' | '/' | '.' | '\u{a0}' => {}
            _ => return None,
        }
    }
    let international = if plus {
        digits
    } else if let Some(rest) = digits.strip_prefix("00") {
        rest.to_owned()
    } else if let Some(rest) = digits.strip_prefix("06") {
        format!("{DEFAULT_COUNTRY_CODE}{rest}")
    } else if digits.starts_with(DEFAULT_COUNTRY_CODE) && digits.len() == 11 {
        // `36201234567`: already has the country code, only the plus sign is missing.
        digits
    } else if let Some(rest) = digits.strip_prefix('0') {
        format!("{DEFAULT_COUNTRY_CODE}{rest}")
    } else {
        format!("{DEFAULT_COUNTRY_CODE}{digits}")
    };
    let valid = (8..=15).contains(&international.len()) && !international.starts_with('0');
    valid.then(|| format!("+{international}"))
}

#[cfg(test)]
mod tests {
    use super::normalize_phone;

    #[test]
    fn hungarian_notations_are_the_same_number() {
        for input in [
            "+36 20 123 4567",
            "06201234567",
            "+36201234567",
            "06-20-123-4567",
            "+36 (20) 123-45-67",
            "0036 20 1234567",
            "36201234567",
            "20 123 4567",
            "06 20 123 4567",
        ] {
            assert_eq!(
                normalize_phone(input).as_deref(),
                Some("+36201234567"),
                "{input}"
            );
        }
    }

    #[test]
    fn budapest_and_foreign_numbers_keep_their_length() {
        assert_eq!(
            normalize_phone("06 1 234 5678").as_deref(),
            Some("+3612345678")
        );
        assert_eq!(
            normalize_phone("+43 660 1234567").as_deref(),
            Some("+436601234567")
        );
        assert_eq!(
            normalize_phone("0049 30 123456").as_deref(),
            Some("+4930123456")
        );
    }

    #[test]
    fn things_that_are_not_phone_numbers_are_refused() {
        for input in [
            "",
            "   ",
            "abc",
            "12",
            "+36 20 123 4567 ext 5",
            "06201234567'; --",
            "+0123456789",
        ] {
            assert_eq!(normalize_phone(input), None, "{input}");
        }
    }
}
