//! `ENABLE_QR_CODE=true`: the reply that gives the code carries a `<Media>` link to a
//! PNG of it, served at `/qr/{token}` for an hour, then 404.

use chrono::{Duration, Utc};
use sqlx::postgres::PgPool;
use sqlx::sqlite::SqlitePool;

use crate::common::for_each_database;
use crate::helpers::{spawn_app, Reply, TestApp};

const ANSWERS: [&str; 5] = ["1985", "Kinshasa", "Jean", "15", "Kabila"];
const PUBLIC: &str = "https://votre-domaine.cd";

/// The `<Media>` URL of a reply, if any.
fn media_url(reply: &Reply) -> Option<String> {
    let start = reply.body.find("<Media>")? + "<Media>".len();
    let end = start + reply.body[start..].find("</Media>")?;
    Some(reply.body[start..end].to_owned())
}

/// The text of a PNG holding one QR code.
pub fn decode_qr(png: &[u8]) -> String {
    let mut reader = png::Decoder::new(std::io::Cursor::new(png))
        .read_info()
        .unwrap();
    let mut pixels = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut pixels).unwrap();
    assert_eq!(frame.color_type, png::ColorType::Grayscale);
    let width = frame.width as usize;
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(width, frame.height as usize, |x, y| {
            pixels[y * width + x]
        });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1);
    grids[0].decode().unwrap().1
}

async fn get_image(app: &TestApp, url: &str) -> reqwest::Response {
    let path = url.strip_prefix(PUBLIC).expect("under PUBLIC_BASE_URL");
    app.client
        .get(format!("{}{path}", app.address))
        .send()
        .await
        .unwrap()
}

/// Moves every image's expiry into the past, as an hour later would.
async fn expire_all(database_url: &str) {
    let past = Utc::now() - Duration::minutes(1);
    let sql = "UPDATE qr_codes SET expires_at = $1";
    if database_url.starts_with("sqlite:") {
        let pool = SqlitePool::connect(database_url).await.unwrap();
        sqlx::query(sql).bind(past).execute(&pool).await.unwrap();
    } else {
        let pool = PgPool::connect(database_url).await.unwrap();
        sqlx::query(sql).bind(past).execute(&pool).await.unwrap();
    }
}

#[tokio::test]
async fn the_code_comes_with_a_qr_image_that_expires() {
    for_each_database(|url| async move {
        let app = spawn_app(
            &url,
            &[("ENABLE_QR_CODE", "true"), ("PUBLIC_BASE_URL", PUBLIC)],
        )
        .await;
        let result = app.conversation("+243830000001", &ANSWERS).await;
        let code = result.code().expect("a code");
        assert!(
            result
                .body
                .contains("<Message><Body>Votre CIU a été généré"),
            "{}",
            result.body
        );
        let url = media_url(&result).expect("a <Media> with the code");
        assert!(url.starts_with(&format!("{PUBLIC}/qr/")), "{url}");

        let image = get_image(&app, &url).await;
        assert_eq!(image.status(), 200);
        assert_eq!(image.headers()["content-type"], "image/png");
        assert_eq!(image.headers()["cache-control"], "no-store");
        assert_eq!(decode_qr(&image.bytes().await.unwrap()), code);

        // Only the reply with the code has an image.
        let question = app.say("+243830000002", "Bonjour", None).await;
        assert_eq!(media_url(&question), None, "{}", question.body);

        // The same person again: the existing code, and its own image.
        app.say("+243830000001", "RESTART", None).await;
        for answer in ANSWERS {
            app.say("+243830000001", answer, None).await;
        }
        let again = app.say("+243830000001", "oui", None).await;
        assert!(again.text().contains("déjà été généré"), "{}", again.body);
        let second = media_url(&again).expect("an image for an existing code too");
        assert_ne!(second, url);

        expire_all(&app.database_url).await;
        assert_eq!(get_image(&app, &url).await.status(), 404);
        assert_eq!(get_image(&app, &second).await.status(), 404);
        let (status, _) = app.get("/qr/not-a-token").await;
        assert_eq!(status, 404);
    })
    .await;
}

/// Every row of `qr_codes`: the token's digest, the sealed code, the expiry as text.
async fn qr_table(database_url: &str) -> Vec<(Vec<u8>, Vec<u8>, String)> {
    let sql = "SELECT token_digest, code_sealed, CAST(expires_at AS TEXT) FROM qr_codes";
    if database_url.starts_with("sqlite:") {
        let pool = SqlitePool::connect(database_url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&pool).await.unwrap()
    } else {
        let pool = PgPool::connect(database_url).await.unwrap();
        sqlx::query_as(sql).fetch_all(&pool).await.unwrap()
    }
}

#[tokio::test]
async fn the_database_does_not_hold_the_tokens_of_the_image_addresses() {
    for_each_database(|url| async move {
        let app = spawn_app(
            &url,
            &[("ENABLE_QR_CODE", "true"), ("PUBLIC_BASE_URL", PUBLIC)],
        )
        .await;
        let result = app.conversation("+243830000006", &ANSWERS).await;
        let link = media_url(&result).expect("a <Media> with the code");
        let token = link.rsplit('/').next().unwrap();
        let token_bytes = hex::decode(token).unwrap();
        let rows = qr_table(&app.database_url).await;
        assert_eq!(rows.len(), 1);
        for (digest, sealed, expires_at) in &rows {
            for value in [&digest[..], &sealed[..], expires_at.as_bytes()] {
                for secret in [token.as_bytes(), &token_bytes[..]] {
                    assert!(
                        !value.windows(secret.len()).any(|w| w == secret),
                        "the token of {link} is readable in qr_codes"
                    );
                }
            }
        }
        // Still found through its digest.
        assert_eq!(get_image(&app, &link).await.status(), 200);
    })
    .await;
}

#[tokio::test]
async fn without_the_option_or_a_public_address_there_is_no_image() {
    for_each_database(|url| async move {
        for (phone, overrides) in [
            ("+243830000003", &[("PUBLIC_BASE_URL", PUBLIC)][..]),
            (
                "+243830000004",
                &[("ENABLE_QR_CODE", "false"), ("PUBLIC_BASE_URL", PUBLIC)][..],
            ),
            ("+243830000005", &[("ENABLE_QR_CODE", "true")][..]),
        ] {
            let app = spawn_app(&url, overrides).await;
            let result = app.conversation(phone, &ANSWERS).await;
            assert!(result.code().is_some(), "{}", result.body);
            assert!(
                !result.body.contains("<Media>"),
                "{overrides:?}: {}",
                result.body
            );
            assert!(
                !result.body.contains("<Body>"),
                "{overrides:?}: {}",
                result.body
            );
            let (status, _) = app.get(&format!("/qr/{}", "0".repeat(32))).await;
            assert_eq!(status, 404);
        }
    })
    .await;
}
