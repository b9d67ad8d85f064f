//! `ciu bench --ussd`: the same conversations as Africa's Talking sends them to
//! `USSD_PATH` (src/channels/ussd/): one session per person, the text growing by one
//! input per request (`""`, `1`, `1*1985`, …), the last screen `END ` with the code.

use std::time::Instant;

use super::{person, post_form, LoadPlan, LoadReport, WorkerTally};

/// The inputs of one full USSD session: language 1, the answers, 1 (yes).
pub fn ussd_inputs(i: usize) -> Vec<String> {
    let mut inputs = vec!["1".to_owned()];
    inputs.extend(person(i));
    inputs.push("1".to_owned());
    inputs
}

/// The form body Africa's Talking posts for one request of a session.
pub fn ussd_form(session_id: &str, phone: &str, text: &str) -> String {
    form_urlencoded::Serializer::new(String::new())
        .append_pair("sessionId", session_id)
        .append_pair("serviceCode", "*384*123#")
        .append_pair("phoneNumber", phone)
        .append_pair("networkCode", "63902")
        .append_pair("text", text)
        .finish()
}

/// Like [`super::run_load`], over USSD.
pub async fn run_ussd_load(plan: &LoadPlan) -> anyhow::Result<LoadReport> {
    super::drive_load(plan, super::Conversation::Ussd).await
}

/// Sends one USSD session, request by request, into `tally`.
pub(super) async fn session(
    client: &reqwest::Client,
    plan: &LoadPlan,
    run_id: &str,
    i: usize,
    tally: &mut WorkerTally,
) {
    let phone = format!("+243{}{i:07}", plan.phone_prefix);
    let session_id = format!("ATUid_{run_id}_{i}");
    let inputs = ussd_inputs(i);
    for count in 0..=inputs.len() {
        let body = ussd_form(&session_id, &phone, &inputs[..count].join("*"));
        let sent = Instant::now();
        let outcome = post_form(client, &plan.url, body).await;
        tally.latencies.push(sent.elapsed());
        tally.requests += 1;
        let last = count == inputs.len();
        match outcome {
            Ok((200, screen)) if last && !screen.starts_with("END ") => {
                tally.error(format!("session {i} ended without END: {screen}"));
                return;
            }
            Ok((200, _)) if last => tally.completed += 1,
            Ok((200, screen)) if !screen.starts_with("CON ") => {
                tally.error(format!("session {i}, request {count}: not CON: {screen}"));
                return;
            }
            Ok((200, _)) => {}
            Ok((status, text)) => {
                tally.error(format!(
                    "session {i}, request {count}: HTTP {status}: {text}"
                ));
                return;
            }
            Err(e) => {
                tally.error(format!("session {i}, request {count}: {e}"));
                return;
            }
        }
    }
}
