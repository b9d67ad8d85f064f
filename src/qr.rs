//! The code as a QR image (`ENABLE_QR_CODE=true`), so a clinic can scan it instead of
//! typing it. The channel cannot attach bytes to a reply, only a link it downloads: each
//! image is published under a random, short-lived address `PUBLIC_BASE_URL/qr/{token}`.
//!
//! The token is 128 random bits; the code behind it is sealed in the `qr_codes` table
//! (so every `serve` process on one PostgreSQL can answer), filed under the token's
//! digest (so the table does not give the addresses away), and unreadable after
//! [`QR_LIFETIME`]; the periodic cleanup erases it.

use chrono::{DateTime, Duration, Utc};
use rand::RngCore;

use crate::code::Salt;
use crate::config::Settings;
use crate::seal::Sealer;
use crate::store::{Store, StoreError};

/// How long a published image can be fetched. The channel downloads it within seconds.
pub const QR_LIFETIME: Duration = Duration::hours(1);
/// Pixels per QR module: large enough for a phone camera pointed at another phone.
const MODULE_PIXELS: usize = 8;
/// The blank margin the QR standard asks for, in modules.
const QUIET_ZONE_MODULES: usize = 4;

/// Publishes QR images of codes and serves them back.
pub struct QrPublisher {
    store: Store,
    sealer: Sealer,
    public_base_url: String,
}

impl QrPublisher {
    /// `None` when QR images are off, or on but without `PUBLIC_BASE_URL` (the channel
    /// could not reach the image: the caller warns at start).
    pub fn from_settings(settings: &Settings, store: &Store) -> Option<QrPublisher> {
        if !settings.enable_qr_code {
            return None;
        }
        let base = settings.public_base_url.as_ref()?;
        Some(QrPublisher::new(store.clone(), &settings.salt, base))
    }

    pub fn new(store: Store, salt: &Salt, public_base_url: &str) -> QrPublisher {
        QrPublisher {
            store,
            sealer: Sealer::new(salt.derive_key("qr-image/v1")),
            public_base_url: public_base_url.trim_end_matches('/').to_owned(),
        }
    }

    /// Keeps `code` for [`QR_LIFETIME`] and returns the public URL of its image. The
    /// Meta channel sends this URL as an image message ([`whatsapp_cloud_image`]); Twilio
    /// as a `<Media>` of the reply.
    pub async fn publish(&self, code: &str, now: DateTime<Utc>) -> Result<String, StoreError> {
        let mut token = [0u8; 16];
        rand::thread_rng().fill_bytes(&mut token);
        let token = hex::encode(token);
        self.store
            .save_qr_code(
                &token,
                &self.sealer.seal(code.as_bytes()),
                now + QR_LIFETIME,
            )
            .await?;
        Ok(format!("{}/qr/{token}", self.public_base_url))
    }

    /// The PNG published under `token`, or `None` when unknown, malformed or expired.
    pub async fn image(
        &self,
        token: &str,
        now: DateTime<Utc>,
    ) -> Result<Option<Vec<u8>>, StoreError> {
        if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Ok(None);
        }
        let Some(sealed) = self.store.qr_code(token, now).await? else {
            return Ok(None);
        };
        let code = self
            .sealer
            .open(&sealed)
            .and_then(|bytes| String::from_utf8(bytes).ok());
        Ok(code.map(|code| render_png(&code)))
    }
}

/// A black-on-white QR code of `text` as a grayscale PNG.
pub fn render_png(text: &str) -> Vec<u8> {
    // A code is a few dozen ASCII characters: far below the QR capacity.
    let code = qrcode::QrCode::new(text.as_bytes()).expect("a CIU fits in a QR code");
    let modules = code.width();
    let dark = code.to_colors();
    let side = (modules + 2 * QUIET_ZONE_MODULES) * MODULE_PIXELS;
    let mut pixels = vec![u8::MAX; side * side];
    for (y, row) in pixels.chunks_mut(side).enumerate() {
        let my = (y / MODULE_PIXELS).checked_sub(QUIET_ZONE_MODULES);
        for (x, pixel) in row.iter_mut().enumerate() {
            let mx = (x / MODULE_PIXELS).checked_sub(QUIET_ZONE_MODULES);
            if let (Some(mx), Some(my)) = (mx, my) {
                if mx < modules && my < modules && dark[my * modules + mx] == qrcode::Color::Dark {
                    *pixel = 0;
                }
            }
        }
    }
    let mut png = Vec::new();
    let side = u32::try_from(side).expect("a QR image is a few hundred pixels wide");
    let mut encoder = png::Encoder::new(&mut png, side, side);
    encoder.set_color(png::ColorType::Grayscale);
    encoder.set_depth(png::BitDepth::Eight);
    encoder
        .write_header()
        .and_then(|mut writer| writer.write_image_data(&pixels))
        .expect("encoding into memory cannot fail");
    png
}

/// The WhatsApp Cloud API message body that shows the image at `link`: how the Meta
/// channel delivers a [`QrPublisher::publish`]ed image (the sender adds the recipient).
pub fn whatsapp_cloud_image(link: &str) -> serde_json::Value {
    serde_json::json!({ "type": "image", "image": { "link": link } })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_image_is_a_png_with_a_quiet_zone() {
        let png = render_png("985-KINS-15-JEA-KABI-A3F9D");
        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        let decoder = png::Decoder::new(std::io::Cursor::new(png));
        let reader = decoder.read_info().unwrap();
        let info = reader.info();
        assert_eq!(info.width, info.height);
        // Version 2 (25 modules) plus 4 blank modules each side.
        assert_eq!(info.width as usize, (25 + 8) * MODULE_PIXELS);
    }
}
