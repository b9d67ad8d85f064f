//! Meta's webhook: a person known by a business-scoped user id only (no number), a
//! signed top-level array, and the per-sender rate limit (a delivery is refused whole
//! so Meta delivers it again, never acknowledged and dropped).

use serde_json::{json, Value};

use crate::common::for_each_database;
use crate::meta::{deliver, metric, post_meta, settle, spawn_meta_app, StandIn};
use crate::meta_webhook::{envelope, notification, signature, text};

const GUIDE: [&str; 5] = ["1985", "Kinshasa", "Jean", "15", "Kabila"];
const USER_ID: &str = "CD.13491208655302741918";

/// A text from a person with a username: `from_user_id` and the contact's `user_id`,
/// no phone number anywhere.
fn from_user(wamid: &str, body: &str) -> Value {
    envelope(json!({
        "contacts": [{ "profile": { "name": "Marie" }, "user_id": USER_ID }],
        "messages": [{
            "from_user_id": USER_ID, "id": wamid, "timestamp": "1739321024",
            "type": "text", "text": { "body": body }
        }],
    }))
}

#[tokio::test]
async fn a_person_without_a_number_registers_and_is_answered_by_user_id() {
    for_each_database(|url| async move {
        let graph = StandIn::start().await;
        let app = spawn_meta_app(&url, &graph, &[]).await;
        let answers = ["Bonjour", "1"].into_iter().chain(GUIDE).chain(["oui"]);
        for (i, answer) in answers.enumerate() {
            let status = deliver(&app, &from_user(&format!("wamid.user.{i}"), answer)).await;
            assert_eq!(status, 200);
        }
        settle(&app).await;
        let sent: Vec<Value> = graph
            .requests()
            .into_iter()
            .filter(|r| r.status == 200)
            .map(|r| r.body)
            .collect();
        assert!(!sent.is_empty());
        for body in &sent {
            assert_eq!(body["recipient"], USER_ID, "{body}");
            assert!(body.get("to").is_none(), "{body}");
        }
        let last = sent.last().unwrap().to_string();
        assert!(last.contains("985-KINS-15-JEA-KABI-"), "{last}");
    })
    .await;
}

#[tokio::test]
async fn a_signed_top_level_array_is_400() {
    for_each_database(|url| async move {
        let graph = StandIn::start().await;
        let app = spawn_meta_app(&url, &graph, &[]).await;
        for body in [&b"[]"[..], b"[1, 2]", b" [ {\"entry\": []} ]"] {
            let (status, answer) = post_meta(&app, body, Some(&signature(body))).await;
            assert_eq!(status, 400, "{answer}");
        }
        let empty = b"{\"entry\": []}";
        assert_eq!(post_meta(&app, empty, Some(&signature(empty))).await.0, 200);
    })
    .await;
}

#[tokio::test]
async fn a_delivery_over_the_rate_limit_is_refused_whole_so_meta_retries() {
    for_each_database(|url| async move {
        let graph = StandIn::start().await;
        let app = spawn_meta_app(&url, &graph, &[("RATE_LIMIT_PER_MINUTE", "2")]).await;
        let busy = "243991110001";
        for i in 0..2 {
            let message = text(busy, &format!("wamid.busy.{i}"), "Bonjour");
            assert_eq!(deliver(&app, &notification(vec![message])).await, 200);
        }
        let processed = "ciu_messages_total{channel=\"meta\"}";
        assert_eq!(metric(&app, processed).await, 2.0);
        // Over the limit: 429, nothing processed, so nothing acknowledged is lost.
        let third = text(busy, "wamid.busy.2", "1");
        assert_eq!(deliver(&app, &notification(vec![third.clone()])).await, 429);
        // A batch with that sender in it is refused whole, the other message too.
        let other = text("243991110002", "wamid.other.0", "Bonjour");
        assert_eq!(deliver(&app, &notification(vec![other, third])).await, 429);
        assert_eq!(metric(&app, processed).await, 2.0);
        assert_eq!(metric(&app, "ciu_rate_limited_total").await, 2.0);
    })
    .await;
}
