//! SPEC §6: bad input gets a clear answer and loses nothing.

use crate::common::for_each_database;
use crate::helpers::spawn_app;

#[tokio::test]
async fn malformed_oversized_and_odd_requests() {
    for_each_database(|url| async move {
        let app = spawn_app(&url, &[]).await;
        // Invalid percent-encoding and invalid UTF-8: 400, not 5xx.
        let bad = app
            .post_raw(b"From=whatsapp%3A%2B243&Body=%ZZ".to_vec(), &[])
            .await;
        assert_eq!(bad.status, 400);
        let bad = app
            .post_raw(b"From=whatsapp%3A%2B243840000001&Body=%C3%28".to_vec(), &[])
            .await;
        assert_eq!(bad.status, 400);
        let no_from = app.post_raw(b"Body=hello".to_vec(), &[]).await;
        assert_eq!(no_from.status, 400);
        // Body over the size limit: 413.
        let mut huge = b"From=whatsapp%3A%2B243840000001&Body=".to_vec();
        huge.extend(std::iter::repeat_n(b'a', 100 * 1024));
        assert_eq!(app.post_raw(huge, &[]).await.status, 413);

        let phone = "+243840000002";
        app.say(phone, "Bonjour", None).await;
        app.say(phone, "1", None).await;
        // A sticker / image without text: re-prompt, nothing advances.
        let from = format!("whatsapp:{phone}");
        let image = app
            .post_form(
                &[
                    ("From", from.as_str()),
                    ("Body", ""),
                    ("NumMedia", "1"),
                    ("MediaContentType0", "image/webp"),
                ],
                &[],
            )
            .await;
        assert_eq!(image.status, 200);
        assert!(image.text().contains("images"), "{}", image.body);
        assert!(image.text().contains("(1/5)"), "{}", image.body);
        // 2,000 characters and control characters: refused politely.
        let long = app.say(phone, &"x".repeat(2000), None).await;
        assert_eq!(long.status, 200);
        assert!(long.text().contains("trop long"), "{}", long.body);
        let control = app.say(phone, "\u{7}\u{1b}[31m", None).await;
        assert_eq!(control.status, 200);
        // Characters that need escaping come back as valid XML.
        let escaped = app.say(phone, "<b>&'\"", None).await;
        assert_eq!(escaped.status, 200);
        assert!(!escaped.body.contains("<b>"), "{}", escaped.body);
        // Still at question 1, nothing lost: the year is accepted.
        let next = app.say(phone, "1985", None).await;
        assert!(next.text().contains("(2/5)"), "{}", next.body);
    })
    .await;
}

#[tokio::test]
async fn one_phone_is_rate_limited() {
    for_each_database(|url| async move {
        let app = spawn_app(&url, &[("RATE_LIMIT_PER_MINUTE", "3")]).await;
        for _ in 0..3 {
            assert_eq!(app.say("+243850000001", "Bonjour", None).await.status, 200);
        }
        let limited = app.say("+243850000001", "Bonjour", None).await;
        assert_eq!(limited.status, 429);
        // Another phone is not affected.
        assert_eq!(app.say("+243850000002", "Bonjour", None).await.status, 200);
    })
    .await;
}

/// Only PostgreSQL can be taken away under a running server here: its database is
/// dropped, and the webhook must answer 503 (so Twilio retries) and health say so.
#[tokio::test]
async fn database_down_gives_503_and_health_says_so() {
    let Some(server) = crate::common::postgres_server() else {
        return;
    };
    let (name, url) = crate::common::create_postgres_database(&server).await;
    let app = spawn_app(&url, &[]).await;
    assert_eq!(app.say("+243860000001", "Bonjour", None).await.status, 200);
    crate::common::drop_postgres_database(&server, &name).await;
    let down = app.say("+243860000001", "1", None).await;
    assert_eq!(down.status, 503, "{}", down.body);
    let (status, health) = app.get("/health").await;
    assert_eq!(status, 503);
    assert!(health.contains("\"database\":\"unavailable\""), "{health}");
}
