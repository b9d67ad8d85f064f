//! A phone number and the key it is stored and locked under are both text, and must
//! never be mistaken for one another: the number is sent to the channel and sealed, the
//! key is what the database sees (`PHONE_STORAGE=hashed|plain`, src/config/). Two
//! types keep them apart; [`PhoneKey::of`] is the one way from the first to the second.

use std::fmt;

use crate::code::Salt;
use crate::config::PhoneStorage;
use crate::telemetry::mask_phone;

/// A phone number as the channel gives it, in international form (`+243...`), or, for
/// a WhatsApp user known without a number, their business-scoped user id (`CD.1349…`,
/// src/channels/meta/parse.rs): either way the conversation's key. Logs see it masked:
/// `Display` and `Debug` print `+243*****4567`.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct PhoneNumber(String);

impl PhoneNumber {
    pub fn new(number: impl Into<String>) -> Self {
        PhoneNumber(number.into())
    }

    /// The number in clear: for the channel's API and for sealing, never for a log.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&mask_phone(&self.0))
    }
}

impl fmt::Debug for PhoneNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneNumber({self})")
    }
}

/// What the store keeps and locks on for one phone: by default a keyed digest of the
/// number (matched, never read back), or the number itself with `PHONE_STORAGE=plain`.
#[derive(Clone, PartialEq, Eq)]
pub struct PhoneKey(String);

impl PhoneKey {
    /// The key of `number` under the configured storage.
    pub fn of(number: &PhoneNumber, storage: PhoneStorage, salt: &Salt) -> PhoneKey {
        match storage {
            PhoneStorage::Plain => PhoneKey(number.0.clone()),
            PhoneStorage::Hashed => {
                PhoneKey(format!("h:{}", &salt.keyed_hex("phone", &number.0)[..32]))
            }
        }
    }

    /// A key as it is in the database already (tests and tools that fill a registry).
    pub fn from_stored(key: impl Into<String>) -> PhoneKey {
        PhoneKey(key.into())
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Masked like a number: with `PHONE_STORAGE=plain` the key is one.
impl fmt::Debug for PhoneKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhoneKey({})", mask_phone(&self.0))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SALT: &str = "xY9kL2mN4pQ6rS8tU0vW1xY3";

    #[test]
    fn numbers_and_plain_keys_print_masked() {
        let number = PhoneNumber::new("+243991234567");
        assert_eq!(number.to_string(), "+243*****4567");
        assert_eq!(format!("{number:?}"), "PhoneNumber(+243*****4567)");
        let salt = Salt::new(SALT).unwrap();
        let plain = PhoneKey::of(&number, PhoneStorage::Plain, &salt);
        assert_eq!(plain.as_str(), "+243991234567");
        assert!(!format!("{plain:?}").contains("991234567"));
    }

    #[test]
    fn hashed_keys_hide_the_number_and_stay_the_same() {
        let salt = Salt::new(SALT).unwrap();
        let number = PhoneNumber::new("+243991234567");
        let key = PhoneKey::of(&number, PhoneStorage::Hashed, &salt);
        assert!(key.as_str().starts_with("h:"));
        assert_eq!(key.as_str().len(), 34);
        assert!(!key.as_str().contains("991234567"));
        assert_eq!(key, PhoneKey::of(&number, PhoneStorage::Hashed, &salt));
        let other = PhoneNumber::new("+243991234568");
        assert_ne!(key, PhoneKey::of(&other, PhoneStorage::Hashed, &salt));
    }
}
