//! The Meta WhatsApp Cloud API channel's settings and what production requires of them.

use std::time::Duration;

use super::reader::Reader;
use super::values::{
    parse_http_base_url, parse_retry_base, parse_route_path, DEFAULT_META_RETRY_BASE_MS,
};
use super::MetaSettings;

pub(super) const DEFAULT_META_WEBHOOK_PATH: &str = "/whatsapp/meta";

pub(super) fn read_meta(reader: &mut Reader) -> MetaSettings {
    MetaSettings {
        whatsapp_token: reader.secret("META_WHATSAPP_TOKEN"),
        phone_number_id: reader.value("META_PHONE_NUMBER_ID"),
        verify_token: reader.secret("META_VERIFY_TOKEN"),
        app_secret: reader.secret("META_APP_SECRET"),
        graph_base_url: reader
            .parsed("META_GRAPH_BASE_URL", parse_http_base_url)
            .unwrap_or_else(|| "https://graph.facebook.com".to_owned()),
        graph_version: reader
            .value("META_GRAPH_VERSION")
            .unwrap_or_else(|| "v21.0".to_owned()),
        webhook_path: reader
            .parsed("META_WEBHOOK_PATH", |v| {
                parse_route_path(v, DEFAULT_META_WEBHOOK_PATH)
            })
            .unwrap_or_else(|| DEFAULT_META_WEBHOOK_PATH.to_owned()),
        retry_base: reader
            .parsed("META_RETRY_BASE_MS", parse_retry_base)
            .unwrap_or(Duration::from_millis(DEFAULT_META_RETRY_BASE_MS)),
    }
}

/// Needed in any environment once the channel is on: replies are sent from it.
pub(super) fn require_meta_number(reader: &mut Reader, meta: &MetaSettings) {
    reader.require_always(
        "META_PHONE_NUMBER_ID",
        meta.phone_number_id.is_some(),
        "CHANNELS contient meta : les réponses partent de ce numéro WhatsApp \
         (developers.facebook.com > votre application > WhatsApp > API Setup)",
    );
}

pub(super) fn require_meta_secrets(reader: &mut Reader, meta: &MetaSettings) {
    reader.require(
        "META_APP_SECRET",
        meta.app_secret.is_some(),
        "les signatures des webhooks de Meta sont toujours vérifiées en production ; copiez \
         l'App Secret depuis developers.facebook.com > votre application > App settings > \
         Basic",
    );
    reader.require(
        "META_WHATSAPP_TOKEN",
        meta.whatsapp_token.is_some(),
        "les réponses sont envoyées par la Graph API avec ce jeton d'accès \
         (developers.facebook.com > votre application > WhatsApp > API Setup)",
    );
    reader.require(
        "META_VERIFY_TOKEN",
        meta.verify_token.is_some(),
        "Meta vérifie le webhook avec lui ; choisissez une longue valeur au hasard (`ciu \
         salt` en affiche une) et mettez la même dans la configuration du webhook chez Meta",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_bad_values() {
        let lookup = |name: &str| match name {
            "META_GRAPH_BASE_URL" => Some("graph.facebook.com".to_owned()),
            "META_RETRY_BASE_MS" => Some("20".to_owned()),
            _ => None,
        };
        let mut reader = Reader::new(&lookup, None);
        let meta = read_meta(&mut reader);
        assert_eq!(meta.graph_base_url, "https://graph.facebook.com");
        assert_eq!(meta.graph_version, "v21.0");
        assert_eq!(meta.webhook_path, DEFAULT_META_WEBHOOK_PATH);
        assert_eq!(meta.retry_base, Duration::from_millis(20));
        assert!(reader.has_error("META_GRAPH_BASE_URL"));
        require_meta_secrets(&mut reader, &meta);
        assert_eq!(reader.errors.len(), 4);
    }
}
