//! `CHANNELS`, the webhook paths, and each enabled channel's settings and rules.

use super::meta::{
    read_meta, require_meta_number, require_meta_secrets, DEFAULT_META_WEBHOOK_PATH,
};
use super::reader::Reader;
use super::twilio::{read_twilio, require_twilio_secrets};
use super::ussd::{check_ussd_path_is_free, read_ussd, require_ussd_secret, UssdSettings};
use super::{Channels, Environment, MetaSettings, TwilioSettings};
/// Routes the service itself serves: a webhook path may not take one of them.
const RESERVED_PATHS: [&str; 3] = ["/health", "/metrics", "/whatsapp/cleanup"];

pub(super) struct ChannelSettings {
    pub(super) channels: Channels,
    pub(super) twilio: TwilioSettings,
    pub(super) meta: MetaSettings,
    pub(super) ussd: UssdSettings,
}

pub(super) fn read_channels(
    reader: &mut Reader,
    environment: Option<Environment>,
    public_base_url: Option<&str>,
) -> ChannelSettings {
    let twilio = read_twilio(reader);
    let meta = read_meta(reader);
    let ussd = read_ussd(reader);
    // Unset: Twilio, and Meta as soon as its number id is filled in.
    let channels = reader
        .parsed("CHANNELS", parse_channels)
        .unwrap_or(Channels {
            twilio: true,
            meta: meta.phone_number_id.is_some(),
            ussd: false,
        });
    if channels.meta {
        require_meta_number(reader, &meta);
        check_meta_path_is_free(reader, &meta.webhook_path, channels, &twilio.webhook_path);
    }
    if channels.ussd {
        let mut taken = RESERVED_PATHS.to_vec();
        taken.extend([twilio.webhook_path.as_str(), meta.webhook_path.as_str()]);
        check_ussd_path_is_free(reader, &ussd.path, &taken);
    }
    if environment == Some(Environment::Production) {
        if channels.twilio {
            require_twilio_secrets(reader, &twilio, public_base_url);
        }
        if channels.meta {
            require_meta_secrets(reader, &meta);
        }
        if channels.ussd {
            require_ussd_secret(reader, &ussd);
        }
    }
    ChannelSettings {
        channels,
        twilio,
        meta,
        ussd,
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

/// A comma-separated list of `twilio`, `meta` and `ussd`.
fn parse_channels(value: &str) -> Result<Channels, String> {
    let mut channels = Channels {
        twilio: false,
        meta: false,
        ussd: false,
    };
    for name in value.split([',', ' ']).filter(|n| !n.is_empty()) {
        match name.to_ascii_lowercase().as_str() {
            "twilio" => channels.twilio = true,
            "meta" => channels.meta = true,
            "ussd" => channels.ussd = true,
            _ => {
                return Err(format!(
                    "« {name} » n'est pas un canal ; mettez twilio, meta, ussd ou plusieurs \
                     (twilio,ussd)"
                ))
            }
        }
    }
    if channels.twilio || channels.meta || channels.ussd {
        Ok(channels)
    } else {
        Err(
            "ne nomme aucun canal ; mettez twilio, meta, ussd ou plusieurs (twilio,ussd)"
                .to_owned(),
        )
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
                meta: true,
                ussd: false
            })
        );
        assert_eq!(
            parse_channels("twilio,meta"),
            Ok(Channels {
                twilio: true,
                meta: true,
                ussd: false
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
