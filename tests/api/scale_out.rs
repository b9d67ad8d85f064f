//! Several `serve` instances on one PostgreSQL database behave as one service:
//! nothing that matters lives in a process, so one phone's messages may land on either.

use std::sync::Arc;

use ciu::bench::{code_in, conversation_messages};

use crate::common::{create_postgres_database, drop_postgres_database, postgres_server};
use crate::helpers::{spawn_app, TestApp};

const PEOPLE: usize = 120;

/// Runs person `i`'s conversation from phone `+243{prefix}{i}` with message `k` sent to
/// `instances[(i + k) % 2]`, 24 conversations at a time. Returns each person's code and
/// whether it was reported as already existing.
async fn alternating(instances: [Arc<TestApp>; 2], prefix: &str) -> Vec<(String, bool)> {
    let gate = Arc::new(tokio::sync::Semaphore::new(24));
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..PEOPLE {
        let (instances, gate) = (instances.clone(), gate.clone());
        let phone = format!("+243{prefix}{i:05}");
        tasks.spawn(async move {
            let _permit = gate.acquire().await.unwrap();
            let messages = conversation_messages(i);
            let mut last = None;
            for (k, text) in messages.iter().enumerate() {
                let instance = &instances[(i + k) % 2];
                let sid = format!("SM{phone}-{k}");
                let reply = instance.say(&phone, text, Some(&sid)).await;
                assert_eq!(reply.status, 200, "{}", reply.body);
                last = Some(reply);
            }
            let last = last.unwrap();
            let code = code_in(&last.body)
                .unwrap_or_else(|| panic!("no code: {}", last.body))
                .to_owned();
            (i, code, last.text().contains("déjà été généré"))
        });
    }
    let mut codes = vec![(String::new(), false); PEOPLE];
    while let Some(done) = tasks.join_next().await {
        let (i, code, existing) = done.expect("a conversation failed");
        codes[i] = (code, existing);
    }
    codes
}

#[tokio::test]
async fn two_instances_on_one_database_behave_as_one() {
    let Some(server) = postgres_server() else {
        return;
    };
    let (name, url) = create_postgres_database(&server).await;
    let outcome = tokio::spawn(async move {
        let first = Arc::new(spawn_app(&url, &[]).await);
        let second = Arc::new(spawn_app(&url, &[]).await);
        let codes = alternating([first.clone(), second.clone()], "94").await;
        assert!(codes.iter().all(|(_, existing)| !existing));
        let distinct: std::collections::HashSet<_> = codes.iter().map(|(c, _)| c).collect();
        assert_eq!(distinct.len(), PEOPLE, "two people never share a code");
        // The same people from other phones, starting on the other instance: the same
        // codes, found as existing whichever instance registered them.
        let again = alternating([second, first], "95").await;
        for ((code, _), (code_again, existing)) in codes.iter().zip(&again) {
            assert_eq!(code, code_again);
            assert!(existing);
        }
        let stats = ciu::store::Store::connect(&url)
            .await
            .unwrap()
            .stats(chrono::Utc::now())
            .await
            .unwrap();
        assert_eq!(stats.total_codes, PEOPLE as i64, "one record per person");
    })
    .await;
    drop_postgres_database(&server, &name).await;
    if let Err(failure) = outcome {
        std::panic::resume_unwind(failure.into_panic());
    }
}
