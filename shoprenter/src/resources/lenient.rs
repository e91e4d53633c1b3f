//! Deserializers for the platform's loose JSON (`shoprenter-protocol.md` §3: "All scalar values come
//! back as strings"; FX-* fixtures: `{}` standing for null, `null` links, a single object where
//! the worked example has an array (§5 `webHookParameters`)).

//!
//! The hot ones (text, related objects, inlined lists, collection items) read straight from the
//! deserializer instead of through a `serde_json::Value`: a 200-record page is ~600 KB, and an
//! intermediate tree per field, record and page cost more than the parse itself (measured).

use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, StringDeserializer};
use serde::de::{DeserializeOwned, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde::{Deserialize, Deserializer};
use serde_json::Value;

/// A scalar as the platform sent it, normalised to text: strings as-is, numbers in their JSON
/// spelling, booleans as `"1"`/`"0"` (the platform's own flag spelling). `null`, `{}` (an empty XML
/// element rendered as JSON) and any other shape are absent.
pub fn opt_string<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Text::deserialize(d).map(|t| t.0)
}

/// [`opt_string`] as a type, for hand-written visitors.
pub(crate) struct Text(pub Option<String>);

impl<'de> Deserialize<'de> for Text {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor).map(Text)
    }
}

struct TextVisitor;

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Option<String>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a scalar")
    }
    fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Some(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
        Ok(Some(v))
    }
    fn visit_bool<E>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Some(if v { "1" } else { "0" }.to_owned()))
    }
    // Numbers spelled as serde_json spells them (`Value::Number`'s display).
    fn visit_u64<E>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Some(v.to_string()))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Self::Value, E> {
        Ok(serde_json::Number::from_f64(v).map(|n| n.to_string()))
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        opt_string(d)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
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

/// [`opt_u64`] as a type, for hand-written visitors.
pub(crate) struct Count(pub Option<u64>);

impl<'de> Deserialize<'de> for Count {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        opt_u64(d).map(Count)
    }
}

/// A related object or link; `null` and `{}` (as in `"customerGroup": {}`) are absent.
pub fn opt_object<'de, D: Deserializer<'de>, T: DeserializeOwned>(
    d: D,
) -> Result<Option<T>, D::Error> {
    Obj::deserialize(d).map(|o| o.0)
}

/// [`opt_object`] as a type, for hand-written visitors.
pub(crate) struct Obj<T>(pub Option<T>);

impl<'de, T: DeserializeOwned> Deserialize<'de> for Obj<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ObjVisitor(PhantomData)).map(Obj)
    }
}

struct ObjVisitor<T>(PhantomData<T>);

impl<'de, T: DeserializeOwned> Visitor<'de> for ObjVisitor<T> {
    type Value = Option<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        // `{}` is absent; otherwise the object is read in place, its first key handed back.
        let Some(first) = map.next_key::<String>()? else {
            return Ok(None);
        };
        T::deserialize(MapAccessDeserializer::new(Replay::new(first, map))).map(Some)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        opt_object(d)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(None)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(None)
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(None)
    }
}

/// A map whose first key was already read: hands that key out again, then the rest.
struct Replay<A> {
    first: Option<String>,
    rest: A,
}

impl<A> Replay<A> {
    fn new(first: String, rest: A) -> Self {
        Self {
            first: Some(first),
            rest,
        }
    }
}

impl<'de, A: MapAccess<'de>> MapAccess<'de> for Replay<A> {
    type Error = A::Error;
    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        seed: K,
    ) -> Result<Option<K::Value>, A::Error> {
        match self.first.take() {
            Some(key) => seed
                .deserialize(StringDeserializer::<A::Error>::new(key))
                .map(Some),
            None => self.rest.next_key_seed(seed),
        }
    }
    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.rest.next_value_seed(seed)
    }
}

/// Inlined related records (Extend resources, §3): an array, or a single object. A bare
/// `{"href": …}` is a link to the records, not a record, so it yields an empty list (the
/// non-Extend resource shape).
pub fn inline_list<'de, D: Deserializer<'de>, T: DeserializeOwned>(
    d: D,
) -> Result<Vec<T>, D::Error> {
    List::<T, true>::deserialize(d).map(|l| l.0)
}

/// Collection items: an array, a single object, or nothing. With `full=0` the items are
/// `{href}` stubs, which are kept.
pub fn item_list<'de, D: Deserializer<'de>, T: DeserializeOwned>(d: D) -> Result<Vec<T>, D::Error> {
    List::<T, false>::deserialize(d).map(|l| l.0)
}

/// [`inline_list`] (`LINK_IS_EMPTY`) and [`item_list`] as a type. Arrays, the usual shape, are
/// read item by item; the rare single-object shape goes through a `Value`.
pub(crate) struct List<T, const LINK_IS_EMPTY: bool>(pub Vec<T>);

impl<'de, T: DeserializeOwned, const LINK_IS_EMPTY: bool> Deserialize<'de>
    for List<T, LINK_IS_EMPTY>
{
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(ListVisitor::<T, LINK_IS_EMPTY>(PhantomData))
            .map(List)
    }
}

struct ListVisitor<T, const LINK_IS_EMPTY: bool>(PhantomData<T>);

impl<'de, T: DeserializeOwned, const LINK_IS_EMPTY: bool> Visitor<'de>
    for ListVisitor<T, LINK_IS_EMPTY>
{
    type Value = Vec<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list or an object")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(256));
        while let Some(item) = seq.next_element::<T>()? {
            items.push(item);
        }
        Ok(items)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
        let map = serde_json::Map::deserialize(MapAccessDeserializer::new(map))?;
        if LINK_IS_EMPTY && is_link_only(&map) {
            return Ok(Vec::new());
        }
        values_to_list(Value::Object(map)).map_err(serde::de::Error::custom)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        List::<T, LINK_IS_EMPTY>::deserialize(d).map(|l| l.0)
    }
    fn visit_unit<E>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_none<E>(self) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
    fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
        Ok(Vec::new())
    }
}

/// A map key, borrowed from the input when it can be (so matching a known field allocates
/// nothing).
pub(crate) enum Key<'de> {
    Borrowed(&'de str),
    Owned(String),
}

impl Key<'_> {
    pub fn as_str(&self) -> &str {
        match self {
            Key::Borrowed(s) => s,
            Key::Owned(s) => s,
        }
    }
    pub fn into_string(self) -> String {
        match self {
            Key::Borrowed(s) => s.to_owned(),
            Key::Owned(s) => s,
        }
    }
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
                Ok(Key::Borrowed(v))
            }
            fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
                Ok(Key::Owned(v.to_owned()))
            }
            fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
                Ok(Key::Owned(v))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
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
