//! What the assistant reads aloud: prices in the shop's currency, availability and order status
//! texts in Hungarian and English.

use super::model::{Availability, Localized, Money};

/// A price as a number and as text: HUF without decimals and with a space every three digits
/// (`12 990 Ft`, how Hungarian shops print it), other currencies with two decimals.
pub fn money(amount: f64, currency: Option<&str>) -> Money {
    let currency = currency
        .map(str::trim)
        .filter(|c| !c.is_empty())
        .unwrap_or("HUF")
        .to_ascii_uppercase();
    let formatted = if currency == "HUF" {
        format!("{} Ft", group_thousands(amount.round() as i64))
    } else {
        let cents = (amount * 100.0).round() as i64;
        let sign = if cents < 0 { "-" } else { "" };
        let cents = cents.abs();
        format!(
            "{sign}{}.{:02} {currency}",
            group_thousands(cents / 100),
            cents % 100
        )
    };
    Money {
        amount,
        currency,
        formatted,
    }
}

fn group_thousands(value: i64) -> String {
    let digits = value.unsigned_abs().to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if value < 0 {
        out.push('-');
    }
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// Whether a product can be bought now: disabled products are unavailable whatever their stock.
pub fn availability(
    active: Option<bool>,
    orderable: Option<bool>,
    stock: Option<i64>,
) -> Availability {
    if active == Some(false) || orderable == Some(false) {
        return Availability::Unavailable;
    }
    match stock {
        Some(n) if n > 0 => Availability::InStock,
        Some(_) => Availability::OutOfStock,
        None => Availability::Unknown,
    }
}

pub fn availability_text(availability: Availability) -> Localized {
    let (hu, en) = match availability {
        Availability::InStock => ("Raktáron", "In stock"),
        Availability::OutOfStock => ("Nincs raktáron", "Out of stock"),
        Availability::Unavailable => ("Nem rendelhető", "Not available"),
        Availability::Unknown => ("Készletinformáció nem elérhető", "Stock unknown"),
    };
    Localized {
        hu: hu.into(),
        en: en.into(),
    }
}

/// The status name in both languages. The cache holds the shop's own (Hungarian) name; English
/// comes from the platform's usual status names, and a custom status keeps its own name in both.
pub fn status_text(name: Option<&str>) -> Localized {
    let hu = name
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .unwrap_or("Ismeretlen");
    let folded = fold(hu);
    let en = STATUS_EN
        .iter()
        .find(|(k, _)| fold(k) == folded)
        .map(|(_, en)| (*en).to_owned())
        .unwrap_or_else(|| {
            if name.is_none() {
                "Unknown".to_owned()
            } else {
                hu.to_owned()
            }
        });
    Localized {
        hu: hu.to_owned(),
        en,
    }
}

/// ShopRenter's default order statuses and common merchant variants.
const STATUS_EN: &[(&str, &str)] = &[
    ("Függőben lévő", "Pending"),
    ("Függőben", "Pending"),
    ("Új", "New"),
    ("Új rendelés", "New order"),
    ("Feldolgozás alatt", "Processing"),
    ("Feldolgozva", "Processed"),
    ("Kiszállítás alatt", "Shipped"),
    ("Szállítás alatt", "Shipped"),
    ("Átadva a futárnak", "Handed to the courier"),
    ("Postázva", "Posted"),
    ("Kiszállítva", "Delivered"),
    ("Átvehető", "Ready for pickup"),
    ("Teljesítve", "Completed"),
    ("Teljesített", "Completed"),
    ("Visszavonva", "Cancelled"),
    ("Törölve", "Cancelled"),
    ("Lemondva", "Cancelled"),
    ("Visszaküldve", "Returned"),
    ("Visszatérítve", "Refunded"),
    ("Fizetésre vár", "Awaiting payment"),
    ("Fizetve", "Paid"),
    ("Sikertelen fizetés", "Payment failed"),
];

fn fold(s: &str) -> String {
    s.trim().to_lowercase()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forints_are_grouped_with_spaces_and_rounded() {
        assert_eq!(money(12990.0, Some("HUF")).formatted, "12 990 Ft");
        assert_eq!(money(1_234_567.4, None).formatted, "1 234 567 Ft");
        assert_eq!(money(990.0, Some("huf")).formatted, "990 Ft");
        assert_eq!(money(0.0, Some("HUF")).formatted, "0 Ft");
        assert_eq!(money(10229.13, Some("HUF")).formatted, "10 229 Ft");
    }

    #[test]
    fn other_currencies_keep_cents() {
        assert_eq!(money(1234.5, Some("EUR")).formatted, "1 234.50 EUR");
    }

    #[test]
    fn disabled_products_are_unavailable_whatever_the_stock() {
        assert_eq!(
            availability(Some(false), None, Some(5)),
            Availability::Unavailable
        );
        assert_eq!(
            availability(Some(true), None, Some(5)),
            Availability::InStock
        );
        assert_eq!(
            availability(Some(true), Some(true), Some(0)),
            Availability::OutOfStock
        );
        assert_eq!(availability(None, None, None), Availability::Unknown);
    }

    #[test]
    fn known_statuses_are_translated_and_custom_ones_kept() {
        assert_eq!(status_text(Some("Teljesítve")).en, "Completed");
        assert_eq!(status_text(Some("függőben lévő")).en, "Pending");
        let custom = status_text(Some("Gyártás alatt"));
        assert_eq!(
            (custom.hu.as_str(), custom.en.as_str()),
            ("Gyártás alatt", "Gyártás alatt")
        );
    }
}
