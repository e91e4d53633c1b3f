//! How the cache tables keep each record's JSON document (`raw_data`): *packed*, on both
//! engines. A packed document is a format tag byte, then a zstd frame compressed against a
//! dictionary of typical documents (one of each kind the sync stores). A record's document is
//! mostly the platform's field names, `href` links and base64 ids, which the dictionary already
//! holds, so a 3 KB product shrinks to ~0.35 KB; without a dictionary zstd only halves such small
//! documents.
//!
//! **SQLite** packs since a full sync's one write thread was found spending most of its time
//! writing bytes: the documents were ~85 % of a 230 MB database after a 60k-record sync, and the
//! WAL carried twice that. **PostgreSQL** (migration 0018, `bytea`) followed: its backends spent a
//! full sync validating each document as `json` and writing its whole text to the heap and the
//! WAL, on the same two cores as everything else; packing runs on the sync's own mapping threads.
//!
//! Readers go through [`StoredDocument`] (a `sqlx` decoder for both engines) or [`unpack`]; a value
//! that does not start with a known tag is plain JSON text, which is what rows written before
//! packing (and the tests' hand-made rows) hold. Text never starts with a tag: tags are control
//! bytes below 0x20, and a JSON document starts with `{`, `[`, `"`, a digit, a letter or space.
//!
//! The dictionary behind a tag must never change once released: rows packed with it could no
//! longer be read. A better dictionary gets the next tag, and the old one stays for reading.
//! `dictionary-1.jsonl` was made by `bench dictionary` (a shop from the simulator, synced, one
//! stored document of each kind, with a real shop's API host) and is pinned by a test.

use std::borrow::Cow;
use std::cell::RefCell;
use std::sync::LazyLock;

use sqlx::postgres::{PgTypeInfo, PgValueRef, Postgres};
use sqlx::sqlite::{Sqlite, SqliteTypeInfo, SqliteValueRef};
use sqlx::{Decode, Type};
use zstd::dict::{DecoderDictionary, EncoderDictionary};

/// Dictionary 1: JSON lines, one stored document of each kind.
const DICTIONARY_1: &[u8] = include_bytes!("documents/dictionary-1.jsonl");
/// The tag byte of a document packed with [`DICTIONARY_1`].
const TAG_1: u8 = 0x01;
/// zstd's fastest regular level: with the dictionary, level 3 saved only ~4 % more bytes.
const LEVEL: i32 = 1;
/// Largest document [`unpack`] will inflate: a corrupt frame header cannot make it allocate more.
const MAX_DOCUMENT_BYTES: u64 = 64 * 1024 * 1024;

static ENCODER: LazyLock<EncoderDictionary<'static>> =
    LazyLock::new(|| EncoderDictionary::copy(DICTIONARY_1, LEVEL));
static DECODER: LazyLock<DecoderDictionary<'static>> =
    LazyLock::new(|| DecoderDictionary::copy(DICTIONARY_1));

thread_local! {
    // A compression context is ~1 MB of tables to set up: one per thread, reused (a new one per
    // document made a full sync slower than not compressing at all, measured).
    static COMPRESSOR: RefCell<Option<zstd::bulk::Compressor<'static>>> = const { RefCell::new(None) };
    static DECOMPRESSOR: RefCell<Option<zstd::bulk::Decompressor<'static>>> = const { RefCell::new(None) };
}

#[derive(Debug, thiserror::Error)]
pub enum DocumentError {
    #[error("stored document has unknown format tag {0:#04x}")]
    UnknownFormat(u8),
    #[error("packed document is corrupt: {0}")]
    Corrupt(String),
    #[error("stored document is not UTF-8 text")]
    NotText,
}

/// `json` packed for SQLite: [`TAG_1`], then its zstd frame.
pub fn pack(json: &str) -> Vec<u8> {
    let mut out = vec![0u8; 1 + zstd::zstd_safe::compress_bound(json.len())];
    out[0] = TAG_1;
    let written = COMPRESSOR.with(|cell| {
        let mut cell = cell.borrow_mut();
        let compressor = match cell.as_mut() {
            Some(c) => c,
            None => cell.insert(
                zstd::bulk::Compressor::with_prepared_dictionary(&ENCODER)
                    .expect("zstd compression context"),
            ),
        };
        compressor.compress_to_buffer(json.as_bytes(), &mut out[1..])
    });
    // Only a destination smaller than zstd's own bound can fail, and it is that bound.
    let written = written.expect("zstd compresses into its compress_bound");
    out.truncate(1 + written);
    out
}

/// The JSON text of a stored document: packed ([`pack`]) or plain text.
pub fn unpack(stored: &[u8]) -> Result<Cow<'_, str>, DocumentError> {
    match stored.first() {
        Some(&TAG_1) => {
            let frame = &stored[1..];
            let size = zstd::zstd_safe::get_frame_content_size(frame)
                .map_err(|_| DocumentError::Corrupt("unreadable frame header".into()))?
                .ok_or_else(|| DocumentError::Corrupt("frame without content size".into()))?;
            if size > MAX_DOCUMENT_BYTES {
                return Err(DocumentError::Corrupt(format!("claims {size} bytes")));
            }
            let bytes = DECOMPRESSOR.with(|cell| {
                let mut cell = cell.borrow_mut();
                let decompressor = match cell.as_mut() {
                    Some(d) => d,
                    None => cell.insert(
                        zstd::bulk::Decompressor::with_prepared_dictionary(&DECODER)
                            .map_err(|e| DocumentError::Corrupt(e.to_string()))?,
                    ),
                };
                decompressor
                    .decompress(frame, size as usize)
                    .map_err(|e| DocumentError::Corrupt(e.to_string()))
            })?;
            String::from_utf8(bytes)
                .map(Cow::Owned)
                .map_err(|_| DocumentError::NotText)
        }
        Some(&tag) if tag < 0x20 && !matches!(tag, b'\t' | b'\n' | b'\r') => {
            Err(DocumentError::UnknownFormat(tag))
        }
        _ => std::str::from_utf8(stored)
            .map(Cow::Borrowed)
            .map_err(|_| DocumentError::NotText),
    }
}

/// A record's document as read from a cache table (`raw_data` as it is: `bytea` on PostgreSQL,
/// a blob or, for old rows, text on SQLite), not yet unpacked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredDocument(Vec<u8>);

impl StoredDocument {
    /// The JSON text, or `None` (with a warning) when it cannot be read: a reader then answers
    /// from the typed columns, as for a row without a document.
    pub fn text(&self) -> Option<Cow<'_, str>> {
        match unpack(&self.0) {
            Ok(text) => Some(text),
            Err(error) => {
                tracing::warn!(%error, "cached document cannot be read; ignored");
                None
            }
        }
    }
}

impl Type<Sqlite> for StoredDocument {
    fn type_info() -> SqliteTypeInfo {
        <[u8] as Type<Sqlite>>::type_info()
    }
    fn compatible(ty: &SqliteTypeInfo) -> bool {
        <[u8] as Type<Sqlite>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Sqlite> for StoredDocument {
    fn decode(value: SqliteValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        Ok(StoredDocument(
            <&[u8] as Decode<Sqlite>>::decode(value)?.to_vec(),
        ))
    }
}

impl Type<Postgres> for StoredDocument {
    fn type_info() -> PgTypeInfo {
        PgTypeInfo::with_name("bytea")
    }
    fn compatible(ty: &PgTypeInfo) -> bool {
        <&[u8] as Type<Postgres>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Postgres> for StoredDocument {
    fn decode(value: PgValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        Ok(StoredDocument(<Vec<u8> as Decode<Postgres>>::decode(
            value,
        )?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sha2::{Digest, Sha256};

    /// Every row packed with dictionary 1 needs exactly these bytes to be read again.
    #[test]
    fn dictionary_1_never_changes() {
        assert_eq!(
            hex::encode(Sha256::digest(DICTIONARY_1)),
            DICTIONARY_1_SHA256,
            "dictionary-1.jsonl changed: rows packed with it could no longer be read. \
             Restore it, and give a new dictionary the next tag instead"
        );
    }

    const DICTIONARY_1_SHA256: &str =
        "5b01083db767ec15b8a671ea7573522a60f99ecd54bf9971d883a24c6dcfa83e";

    #[test]
    fn packed_documents_read_back_as_the_same_text() {
        for doc in [
            r#"{"href":"https://kave.api2.myshoprenter.hu/api/productExtend/cHJvZHVjdC1wcm9kdWN0X2lkPTE=","innerId":"1","sku":"KV-1","name":"Kávé – 250 g"}"#,
            "{}",
            "null",
            "",
        ] {
            let packed = pack(doc);
            assert_eq!(packed[0], TAG_1);
            assert_eq!(unpack(&packed).unwrap(), doc);
        }
    }

    #[test]
    fn the_dictionary_makes_a_typical_document_small() {
        let product = DICTIONARY_1
            .split(|b| *b == b'\n')
            .map(|l| std::str::from_utf8(l).unwrap())
            .find(|l| l.contains("/productExtend/"))
            .expect("the dictionary holds a product")
            .replace("\"innerId\":\"", "\"innerId\":\"9");
        let packed = pack(&product);
        assert!(
            packed.len() * 5 < product.len(),
            "{} bytes packed to {}",
            product.len(),
            packed.len()
        );
        assert_eq!(unpack(&packed).unwrap(), product);
    }

    #[test]
    fn plain_text_reads_as_it_is() {
        let text = r#"{"a":"é"}"#;
        assert!(matches!(unpack(text.as_bytes()), Ok(Cow::Borrowed(t)) if t == text));
        assert!(matches!(unpack(b"  []"), Ok(Cow::Borrowed("  []"))));
    }

    #[test]
    fn damaged_or_unknown_values_are_errors_not_garbage() {
        let mut packed = pack(r#"{"innerId":"12345","sku":"ABC"}"#);
        assert!(matches!(
            unpack(&[0x02, 1, 2, 3]),
            Err(DocumentError::UnknownFormat(0x02))
        ));
        assert!(matches!(
            unpack(&packed[..packed.len() / 2]),
            Err(DocumentError::Corrupt(_))
        ));
        let last = packed.len() - 1;
        packed.truncate(last);
        assert!(unpack(&packed).is_err());
        assert!(matches!(unpack(&[0xff, 0xfe]), Err(DocumentError::NotText)));
        assert!(unpack(&[TAG_1]).is_err());
    }
}
