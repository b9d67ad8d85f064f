//! X-Twilio-Signature over the public URL from configuration.

use ciu::channels::twilio::expected_signature;

use crate::common::for_each_database;
use crate::helpers::spawn_app;

const TOKEN: &str = "0123456789abcdef0123456789abcdef";
const PUBLIC: &str = "https://whatsapp.example.cd";

#[tokio::test]
async fn signed_requests_pass_and_others_get_403() {
    for_each_database(|url| async move {
        let app = spawn_app(
            &url,
            &[("TWILIO_AUTH_TOKEN", TOKEN), ("PUBLIC_BASE_URL", PUBLIC)],
        )
        .await;
        let params = [
            ("From", "whatsapp:+243830000001"),
            ("Body", "Bonjour"),
            ("MessageSid", "SM0001"),
            ("ProfileName", "Someone"),
        ];
        let owned: Vec<(String, String)> = params
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        // Twilio signs the public URL, not the address nginx forwards to.
        let good = expected_signature(TOKEN, &format!("{PUBLIC}/whatsapp/webhook"), &owned);
        let inner = expected_signature(TOKEN, &format!("{}/whatsapp/webhook", app.address), &owned);

        let missing = app.post_form(&params, &[]).await;
        assert_eq!(missing.status, 403);
        let wrong = app
            .post_form(&params, &[("X-Twilio-Signature", inner.as_str())])
            .await;
        assert_eq!(wrong.status, 403);
        assert!(
            !wrong.body.contains(&good),
            "never echo the expected signature"
        );

        let tampered = [
            ("From", "whatsapp:+243830000001"),
            ("Body", "Hacked"),
            ("MessageSid", "SM0001"),
            ("ProfileName", "Someone"),
        ];
        let reused = app
            .post_form(&tampered, &[("X-Twilio-Signature", good.as_str())])
            .await;
        assert_eq!(reused.status, 403);

        let ok = app
            .post_form(&params, &[("X-Twilio-Signature", good.as_str())])
            .await;
        assert_eq!(ok.status, 200, "{}", ok.body);
        assert!(ok.text().contains("Code Identificateur Unique"));
    })
    .await;
}
