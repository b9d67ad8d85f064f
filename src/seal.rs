//! Encryption at rest for what may contain a person's answers: session state and the
//! stored replies kept for duplicate deliveries. A database dump alone reveals nothing.

use chacha20poly1305::aead::{Aead, KeyInit};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use rand::RngCore;
use std::fmt;

/// Authenticated encryption with XChaCha20-Poly1305. Its 24-byte nonces are long enough
/// to be drawn at random for every message without any risk of reuse.
#[derive(Clone)]
pub struct Sealer {
    cipher: XChaCha20Poly1305,
}

const NONCE_LEN: usize = 24;
const TAG_LEN: usize = 16;

impl Sealer {
    pub fn new(key: [u8; 32]) -> Self {
        Sealer {
            cipher: XChaCha20Poly1305::new(&key.into()),
        }
    }

    /// Returns `nonce || ciphertext || tag`.
    pub fn seal(&self, plaintext: &[u8]) -> Vec<u8> {
        let mut nonce = [0u8; NONCE_LEN];
        rand::thread_rng().fill_bytes(&mut nonce);
        let ciphertext = self
            .cipher
            .encrypt(XNonce::from_slice(&nonce), plaintext)
            .expect("XChaCha20-Poly1305 encrypts any in-memory message");
        let mut sealed = Vec::with_capacity(NONCE_LEN + ciphertext.len());
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&ciphertext);
        sealed
    }

    /// `None` when the data was altered, sealed with another key, or is too short.
    pub fn open(&self, sealed: &[u8]) -> Option<Vec<u8>> {
        if sealed.len() < NONCE_LEN + TAG_LEN {
            return None;
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        self.cipher
            .decrypt(XNonce::from_slice(nonce), ciphertext)
            .ok()
    }
}

impl fmt::Debug for Sealer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Sealer([redacted])")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: [u8; 32] = [7; 32];

    #[test]
    fn roundtrip() {
        let sealer = Sealer::new(KEY);
        let sealed = sealer.seal(b"{\"first_name\":\"MARIE\"}");
        assert_eq!(sealer.open(&sealed).unwrap(), b"{\"first_name\":\"MARIE\"}");
        assert!(!sealed.windows(5).any(|w| w == b"MARIE"));
    }

    #[test]
    fn the_same_plaintext_seals_differently() {
        let sealer = Sealer::new(KEY);
        assert_ne!(sealer.seal(b"same"), sealer.seal(b"same"));
    }

    #[test]
    fn tampering_is_detected() {
        let sealer = Sealer::new(KEY);
        let sealed = sealer.seal(b"state");
        for position in [0, NONCE_LEN, sealed.len() - 1] {
            let mut altered = sealed.clone();
            altered[position] ^= 1;
            assert_eq!(sealer.open(&altered), None, "byte {position} altered");
        }
        assert_eq!(sealer.open(&sealed[..sealed.len() - 1]), None);
        assert_eq!(sealer.open(b"short"), None);
        assert_eq!(sealer.open(b""), None);
    }

    #[test]
    fn a_wrong_key_fails() {
        let sealed = Sealer::new(KEY).seal(b"state");
        assert_eq!(Sealer::new([8; 32]).open(&sealed), None);
    }

    #[test]
    fn debug_hides_the_key() {
        let shown = format!("{:?}", Sealer::new(KEY));
        assert_eq!(shown, "Sealer([redacted])");
    }
}
