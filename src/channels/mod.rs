//! The messaging providers that carry conversations to and from the engine (README.md,
//! "Channels"). One folder per provider: parsing, signature check, rendering, routes and,
//! when replies go through an API, a [`ReplySender`] for the outbox.
//!
//! Adding a channel: a variant of [`ChannelId`], its folder here, its settings reader in
//! `src/config/`, and one line in `src/http.rs`'s router.

use std::fmt;
use std::future::Future;
use std::pin::Pin;

use crate::phone::PhoneNumber;

pub mod form;
pub mod meta;
pub mod twilio;
pub mod ussd;

/// One way people reach the service. Its [`label`](ChannelId::label) names it in
/// metrics, logs, outbox rows and `ciu stats`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ChannelId {
    /// WhatsApp through Twilio's webhook (TwiML replies).
    Twilio,
    /// Plain SMS through the same Twilio webhook (`From` without `whatsapp:`).
    Sms,
    /// WhatsApp through Meta's Cloud API (replies sent by the outbox).
    Meta,
    /// USSD sessions through Africa's Talking (plain-text screens, src/channels/ussd/).
    Ussd,
}

impl ChannelId {
    /// Every channel, in the order reports list them.
    pub const ALL: &'static [ChannelId] = &[
        ChannelId::Twilio,
        ChannelId::Sms,
        ChannelId::Meta,
        ChannelId::Ussd,
    ];

    /// The name in metrics (`channel="…"`), logs and stored rows; never changes.
    pub const fn label(self) -> &'static str {
        match self {
            ChannelId::Twilio => "twilio",
            ChannelId::Sms => "sms",
            ChannelId::Meta => "meta",
            ChannelId::Ussd => "ussd",
        }
    }

    /// The provider, as written in operator logs ("Twilio signature rejected").
    pub const fn provider(self) -> &'static str {
        match self {
            ChannelId::Twilio | ChannelId::Sms => "Twilio",
            ChannelId::Meta => "Meta",
            ChannelId::Ussd => "Africa's Talking",
        }
    }

    /// Whether replies may use WhatsApp's markup (```monospace```, buttons, lists).
    pub const fn is_whatsapp(self) -> bool {
        matches!(self, ChannelId::Twilio | ChannelId::Meta)
    }

    pub fn from_label(label: &str) -> Option<ChannelId> {
        ChannelId::ALL
            .iter()
            .copied()
            .find(|id| id.label() == label)
    }
}

impl fmt::Display for ChannelId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// What became of one send through a provider's API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendOutcome {
    Delivered,
    /// Worth trying again later: 5xx, 429, a timeout or a connection failure.
    Retry(String),
    /// The provider refused this message (4xx): sending it again would fail the same way.
    Rejected(String),
}

/// A future returned by [`ReplySender::send`].
pub type SendFuture<'a> = Pin<Box<dyn Future<Output = SendOutcome> + Send + 'a>>;

/// How the outbox worker (src/outbox.rs) delivers one queued message of a channel whose
/// replies go through an API.
pub trait ReplySender: Send + Sync {
    /// The channel whose outbox rows this sender delivers.
    fn channel(&self) -> ChannelId;
    /// Sends one rendered message to `to` (a phone number or a WhatsApp user id).
    fn send<'a>(&'a self, to: &'a PhoneNumber, message: &'a serde_json::Value) -> SendFuture<'a>;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_unique_and_round_trip() {
        for id in ChannelId::ALL {
            assert_eq!(ChannelId::from_label(id.label()), Some(*id));
            assert_eq!(id.to_string(), id.label());
        }
        assert_eq!(ChannelId::from_label("whatsapp"), None);
        assert!(!ChannelId::Sms.is_whatsapp());
    }
}
