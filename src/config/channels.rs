//! `CHANNELS`, the webhook paths, and each enabled channel's settings and rules.

use super::meta::{
    read_meta, require_meta_number, require_meta_secrets, DEFAULT_META_WEBHOOK_PATH,
};
use super::reader::Reader;
use super::twilio::{read_twilio, require_twilio_secrets};
use super::values::parse_route_path;
use super::{Channels, Environment, MetaSettings, TwilioSettings};

const DEFAULT_WEBHOOK_PATH: &str = "/whatsapp/webhook";
/// Routes the service itself serves: a webhook path may not take one of them.
const RESERVED_PATHS: [&str; 3] = ["/health", "/metrics", "/whatsapp/cleanup"];

pub(super) struct ChannelSettings {
    pub(super) channels: Channels,
    pub(super) twilio: TwilioSettings,
    pub(super) meta: MetaSettings,
    pub(super) webhook_path: String,
}

pub(super) fn read_channels(
    reader: &mut Reader,
    environment: Option<Environment>,
    public_base_url: Option<&str>,
) -> ChannelSettings {
    let twilio = read_twilio(reader);
    let meta = read_meta(reader);
    // Unset: Twilio, and Meta as soon as its number id is filled in.
    let channels = reader
        .parsed("CHANNELS", parse_channels)
        .unwrap_or(Channels {
            twilio: true,
            meta: meta.phone_number_id.is_some(),
        });
    let webhook_path = reader
        .parsed("WEBHOOK_PATH", |v| {
            parse_route_path(v, DEFAULT_WEBHOOK_PATH)
        })
        .unwrap_or_else(|| DEFAULT_WEBHOOK_PATH.to_owned());
    if channels.meta {
        require_meta_number(reader, &meta);
        check_meta_path_is_free(reader, &meta.webhook_path, channels, &webhook_path);
    }
    if environment == Some(Environment::Production) {
        if channels.twilio {
            require_twilio_secrets(reader, &twilio, public_base_url);
        }
        if channels.meta {
            require_meta_secrets(reader, &meta);
        }
    }
    ChannelSettings {
        channels,
        twilio,
        meta,
        webhook_path,
    }
}

fn check_meta_path_is_free(
    reader: &mut Reader,
    meta_path: &str,
    channels: Channels,
    twilio_path: &str,
) {
    let clashes =
        RESERVED_PATHS.contains(&meta_path) || (channels.twilio && meta_path == twilio_path);
    if clashes {
        reader.invalid(
            "META_WEBHOOK_PATH",
            format!(
                "« {meta_path} » est déjà servi (WEBHOOK_PATH, /health, /metrics ou \
                 /whatsapp/cleanup) ; choisissez un autre chemin (par défaut \
                 {DEFAULT_META_WEBHOOK_PATH})"
            ),
        );
    }
}

/// A comma-separated list of `twilio` and `meta`.
fn parse_channels(value: &str) -> Result<Channels, String> {
    let mut channels = Channels {
        twilio: false,
        meta: false,
    };
    for name in value.split([',', ' ']).filter(|n| !n.is_empty()) {
        match name.to_ascii_lowercase().as_str() {
            "twilio" => channels.twilio = true,
            "meta" => channels.meta = true,
            _ => {
                return Err(format!(
                    "« {name} » n'est pas un canal ; mettez twilio, meta ou les deux \
                     (twilio,meta)"
                ))
            }
        }
    }
    if channels.twilio || channels.meta {
        Ok(channels)
    } else {
        Err("ne nomme aucun canal ; mettez twilio, meta ou les deux (twilio,meta)".to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn channel_lists() {
        assert_eq!(
            parse_channels(" Meta "),
            Ok(Channels {
                twilio: false,
                meta: true
            })
        );
        assert_eq!(
            parse_channels("twilio,meta"),
            Ok(Channels {
                twilio: true,
                meta: true
            })
        );
        assert!(parse_channels("sms")
            .unwrap_err()
            .contains("n'est pas un canal"));
        assert!(parse_channels(",")
            .unwrap_err()
            .contains("ne nomme aucun canal"));
    }
}
