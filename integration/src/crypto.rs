//! Encryption of API tokens at rest (XChaCha20-Poly1305, key from `TOKEN_ENCRYPTION_KEY`).
//!
//! Stored form: base64 of `nonce (24 bytes) || ciphertext+tag`. The store id is the associated
//! data, so a ciphertext copied onto another store's row does not decrypt.

use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use chacha20poly1305::{Key, XChaCha20Poly1305, XNonce};
use secrecy::{ExposeSecret, SecretBox, SecretString};

const NONCE_LEN: usize = 24;

/// A ciphertext that cannot be decrypted: wrong key (rotated), wrong row, or corrupted.
#[derive(Debug, thiserror::Error)]
#[error("stored token cannot be decrypted")]
pub struct UndecryptableToken;

#[derive(Clone)]
pub struct TokenCipher {
    cipher: XChaCha20Poly1305,
}

impl std::fmt::Debug for TokenCipher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenCipher(..)")
    }
}

impl TokenCipher {
    pub fn new(key: &SecretBox<[u8; 32]>) -> Self {
        Self {
            cipher: XChaCha20Poly1305::new(Key::from_slice(key.expose_secret())),
        }
    }

    pub fn encrypt(&self, plaintext: &SecretString, associated: &[u8]) -> String {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let ciphertext = self
            .cipher
            .encrypt(
                &nonce,
                Payload {
                    msg: plaintext.expose_secret().as_bytes(),
                    aad: associated,
                },
            )
            .expect("XChaCha20-Poly1305 encryption of an in-memory buffer cannot fail");
        let mut out = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&ciphertext);
        STANDARD.encode(out)
    }

    pub fn decrypt(
        &self,
        stored: &str,
        associated: &[u8],
    ) -> Result<SecretString, UndecryptableToken> {
        let bytes = STANDARD.decode(stored).map_err(|_| UndecryptableToken)?;
        if bytes.len() <= NONCE_LEN {
            return Err(UndecryptableToken);
        }
        let (nonce, ciphertext) = bytes.split_at(NONCE_LEN);
        let plaintext = self
            .cipher
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: associated,
                },
            )
            .map_err(|_| UndecryptableToken)?;
        String::from_utf8(plaintext)
            .map(SecretString::from)
            .map_err(|_| UndecryptableToken)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher(byte: u8) -> TokenCipher {
        TokenCipher::new(&SecretBox::new(Box::new([byte; 32])))
    }

    #[test]
    fn round_trip_hides_the_plaintext() {
        let c = cipher(7);
        let stored = c.encrypt(&SecretString::from("eyJ.secret.token"), b"store-1");
        assert!(!stored.contains("secret"));
        assert_eq!(
            c.decrypt(&stored, b"store-1").unwrap().expose_secret(),
            "eyJ.secret.token"
        );
    }

    #[test]
    fn wrong_key_wrong_row_or_garbage_is_undecryptable() {
        let stored = cipher(7).encrypt(&SecretString::from("t"), b"store-1");
        assert!(cipher(8).decrypt(&stored, b"store-1").is_err());
        assert!(cipher(7).decrypt(&stored, b"store-2").is_err());
        assert!(cipher(7).decrypt("not base64!", b"store-1").is_err());
        assert!(cipher(7).decrypt("AAAA", b"store-1").is_err());
    }
}
