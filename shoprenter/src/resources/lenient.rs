//! Deserializers for the platform's loose JSON (`shoprenter-protocol.md` §3: "All scalar values come
//! back as strings"; FX-* fixtures: `{}` standing for null, `null` links, a single object where
//! the worked example has an array (§5 `webHookParameters`)).

use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A scalar as the platform sent it, normalised to text: strings as-is, numbers in their JSON
/// spelling, booleans as `"1"`/`"0"` (the platform's own flag spelling). `null`, `{}` (an empty XML
/// element rendered as JSON) and any other shape are absent.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Ok(scalar_text(Value::deserialize(d)?))
}

pub(crate) fn scalar_text(v: Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(if b { "1" } else { "0" }.to_owned()),
        _ => None,
    }
}

/// A number sent as a number or as a numeric string (`"page": "0"`); anything else is absent.
pub fn opt_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Number(n) => n.as_u64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    })
}

/// A related object or link; `null` and `{}` (as in `"customerGroup": {}`) are absent.
pub fn opt_object<'de, D: Deserializer<'de>, T: DeserializeOwned>(
    d: D,
) -> Result<Option<T>, D::Error> {
    match Value::deserialize(d)? {
        Value::Object(map) if !map.is_empty() => serde_json::from_value(Value::Object(map))
            .map(Some)
            .map_err(serde::de::Error::custom),
        _ => Ok(None),
    }
}

/// Inlined related records (Extend resources, §3): an array, or a single object. A bare
/// `{"href": …}` is a link to the records, not a record, so it yields an empty list (the
/// non-Extend resource shape).
pub fn inline_list<'de, D: Deserializer<'de>, T: DeserializeOwned>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    match Value::deserialize(d)? {
        Value::Object(map) if is_link_only(&map) => Ok(Vec::new()),
        other => values_to_list(other).map_err(serde::de::Error::custom),
    }
}

/// Collection items: an array, a single object, or nothing. With `full=0` the items are
/// `{href}` stubs, which are kept.
pub fn item_list<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Vec<T>, D::Error> {
    values_to_list(Value::deserialize(d)?).map_err(serde::de::Error::custom)
}

/// A list of plain strings, also accepted as a single string.
pub fn string_list<'de, D: Deserializer<'de>>(d: D) -> Result<Vec<String>, D::Error> {
    Ok(match Value::deserialize(d)? {
        Value::Array(items) => items.into_iter().filter_map(scalar_text).collect(),
        other => scalar_text(other).into_iter().collect(),
    })
}

pub(crate) fn values_to_list<T: DeserializeOwned>(v: Value) -> Result<Vec<T>, serde_json::Error> {
    match v {
        Value::Array(items) => items.into_iter().map(serde_json::from_value).collect(),
        Value::Object(map) if map.is_empty() => Ok(Vec::new()),
        Value::Object(map) => Ok(vec![serde_json::from_value(Value::Object(map))?]),
        _ => Ok(Vec::new()),
    }
}

/// [`values_to_list`] from a borrowed value: each item is deserialised in place, nothing cloned.
pub(crate) fn value_to_list<T: DeserializeOwned>(v: &Value) -> Result<Vec<T>, serde_json::Error> {
    match v {
        Value::Array(items) => items.iter().map(T::deserialize).collect(),
        Value::Object(map) if map.is_empty() => Ok(Vec::new()),
        Value::Object(_) => Ok(vec![T::deserialize(v)?]),
        _ => Ok(Vec::new()),
    }
}

fn is_link_only(map: &serde_json::Map<String, Value>) -> bool {
    map.len() == 1 && map.contains_key("href")
}

/// Parses a decimal the platform sent as text (`"139900.0000"`).
pub fn parse_f64(v: Option<&str>) -> Option<f64> {
    v.and_then(|s| s.trim().parse::<f64>().ok())
        .filter(|f| f.is_finite())
}

/// Parses an integer sent as text; integral decimals (`"12.0000"`) are accepted.
pub fn parse_i64(v: Option<&str>) -> Option<i64> {
    let s = v?.trim();
    s.parse::<i64>().ok().or_else(|| {
        let f = s.parse::<f64>().ok()?;
        (f.is_finite() && f.fract() == 0.0 && f.abs() < 9.0e15).then_some(f as i64)
    })
}

/// `"1"` is on, `"0"` off (status, orderable, newsletter…).
pub fn parse_flag(v: Option<&str>) -> Option<bool> {
    match v?.trim() {
        "1" | "true" => Some(true),
        "0" | "false" => Some(false),
        _ => None,
    }
}
