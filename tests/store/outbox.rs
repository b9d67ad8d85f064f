//! The outbox: queued messages, claimed and sent per person in order.

use chrono::{Duration, SubsecRound, Utc};

use ciu::channels::ChannelId;

use crate::harness::*;

#[tokio::test]
async fn the_outbox_sends_each_persons_messages_one_at_a_time_in_order() {
    for_each_backend(|db| async move {
        let now = Utc::now().trunc_subsecs(3);
        let store = &db.store;
        let mut tx = store.begin(&key("h:alice")).await.unwrap();
        for payload in [b"a1", b"a2", b"a3"] {
            tx.enqueue_outbound(ChannelId::Meta, b"sealed-phone", payload, now)
                .await
                .unwrap();
        }
        tx.commit().await.unwrap();
        let mut tx = store.begin(&key("h:bob")).await.unwrap();
        tx.enqueue_outbound(ChannelId::Meta, b"sealed-phone", b"b1", now)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        // Not committed: never sent.
        let mut tx = store.begin(&key("h:carol")).await.unwrap();
        tx.enqueue_outbound(ChannelId::Meta, b"sealed-phone", b"c1", now)
            .await
            .unwrap();
        drop(tx);
        assert_eq!(store.outbox_pending().await.unwrap(), 4);

        let lease = now + Duration::seconds(60);
        let payloads = |rows: &[ciu::store::OutboundRow]| -> Vec<Vec<u8>> {
            rows.iter().map(|r| r.payload.clone()).collect()
        };
        // The oldest of each person only; another claimer (a second process) gets
        // nothing while the lease runs.
        let claimed = store
            .claim_outbound(ChannelId::Meta, now, lease, 10)
            .await
            .unwrap();
        assert_eq!(payloads(&claimed), [b"a1".to_vec(), b"b1".to_vec()]);
        assert_eq!(claimed[0].attempts, 0);
        assert_eq!(claimed[0].created_at, now);
        let other = db.other_instance().await;
        assert!(other
            .claim_outbound(ChannelId::Meta, now, lease, 10)
            .await
            .unwrap()
            .is_empty());
        assert!(store
            .claim_outbound(ChannelId::Twilio, now, lease, 10)
            .await
            .unwrap()
            .is_empty());

        // a1 failed: a2 and a3 wait for it.
        let retry_at = now + Duration::seconds(2);
        store
            .retry_outbound_later(claimed[0].id, 1, retry_at, "HTTP 500")
            .await
            .unwrap();
        store.delete_outbound(claimed[1].id).await.unwrap();
        assert_eq!(
            store.next_outbound_due(ChannelId::Meta).await.unwrap(),
            Some(retry_at)
        );
        assert!(store
            .claim_outbound(ChannelId::Meta, now, lease, 10)
            .await
            .unwrap()
            .is_empty());
        let again = other
            .claim_outbound(
                ChannelId::Meta,
                retry_at,
                retry_at + Duration::seconds(60),
                10,
            )
            .await
            .unwrap();
        assert_eq!(payloads(&again), [b"a1".to_vec()]);
        assert_eq!(again[0].attempts, 1);

        // A lease that runs out (the sender died) makes the row claimable again.
        let later = retry_at + Duration::seconds(61);
        let reclaimed = store
            .claim_outbound(ChannelId::Meta, later, later, 10)
            .await
            .unwrap();
        assert_eq!(payloads(&reclaimed), [b"a1".to_vec()]);
        store.delete_outbound(reclaimed[0].id).await.unwrap();
        let next = store
            .claim_outbound(ChannelId::Meta, later, later, 1)
            .await
            .unwrap();
        assert_eq!(payloads(&next), [b"a2".to_vec()]);
        assert_eq!(store.outbox_pending().await.unwrap(), 2);
    })
    .await;
}
