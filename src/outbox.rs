//! The outbox worker: sends the replies queued in the outbox for one channel through its
//! [`ReplySender`] (Meta's Graph API today), outside the webhook's request path. Delivered messages are deleted; temporary
//! failures (5xx, 429, timeout, connection) are retried with exponential backoff and
//! jitter, and given up after a day; a message Meta refuses (other 4xx) is dropped.
//! Each outcome is logged without the number in clear and without the text, and counted.

use chrono::Utc;
use rand::Rng;
use std::sync::Arc;
use std::time::Duration;
use tokio::task::JoinSet;

use crate::channels::{ChannelId, ReplySender, SendOutcome};
use crate::service::Bot;
use crate::store::OutboundRow;

/// How long a claimed row is reserved for the send in progress: longer than a Graph
/// API call may take. A process that dies mid-send leaves it to be sent again then.
const LEASE: Duration = Duration::from_secs(60);
/// Rows claimed (and sent concurrently) at once.
const BATCH: u32 = 32;
/// Longest sleep between two looks at the table, for rows queued by another server
/// process or whose lease ran out; rows queued here wake the worker at once.
const IDLE_POLL: Duration = Duration::from_secs(5);
/// Shortest sleep, so that clock rounding never makes the worker spin.
const MIN_POLL: Duration = Duration::from_millis(10);

/// When to try a failed send again.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    /// Delay after the first failure; doubled after each further one.
    pub base: Duration,
    pub max_delay: Duration,
    /// Counted from when the reply was queued.
    pub give_up_after: Duration,
}

impl RetryPolicy {
    /// 1 s, 2 s, 4 s ... (for `base` = 1 s), at most 5 minutes apart, for a day.
    pub fn new(base: Duration) -> Self {
        RetryPolicy {
            base,
            max_delay: Duration::from_secs(5 * 60),
            give_up_after: Duration::from_secs(24 * 60 * 60),
        }
    }

    /// The delay after `failures` failed attempts (≥ 1): `base × 2^(failures − 1)`,
    /// capped, then drawn between half and all of it so that messages that failed
    /// together do not all come back at the same instant.
    pub fn delay(&self, failures: u32) -> Duration {
        let doublings = failures.saturating_sub(1).min(20);
        let full = self.base.saturating_mul(1 << doublings).min(self.max_delay);
        full.mul_f64(rand::thread_rng().gen_range(0.5..=1.0))
    }
}

#[derive(Clone)]
pub struct OutboxWorker {
    bot: Arc<Bot>,
    sender: Arc<dyn ReplySender>,
    policy: RetryPolicy,
}

impl OutboxWorker {
    /// A worker for the rows of `sender`'s channel.
    pub fn new(bot: Arc<Bot>, sender: Arc<dyn ReplySender>, policy: RetryPolicy) -> Self {
        OutboxWorker {
            bot,
            sender,
            policy,
        }
    }

    /// The channel whose rows this worker sends.
    pub fn channel(&self) -> ChannelId {
        self.sender.channel()
    }

    /// Sends due messages until the process stops.
    pub async fn run(self) {
        loop {
            self.send_due().await;
            let wait = self.until_next_due().await;
            tokio::select! {
                _ = self.bot.outbox_queued.notified() => {}
                _ = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Claims and sends batches until nothing is due.
    async fn send_due(&self) {
        loop {
            let now = Utc::now();
            let lease_until = now + chrono::Duration::from_std(LEASE).expect("a minute");
            let rows = match self
                .bot
                .store
                .claim_outbound(self.channel(), now, lease_until, BATCH)
                .await
            {
                Ok(rows) if rows.is_empty() => return,
                Ok(rows) => rows,
                Err(e) => {
                    tracing::warn!(error = %e, "outbox: cannot claim replies to send");
                    return;
                }
            };
            // At most one row per person in a batch: sending them together keeps each
            // person's order.
            let mut sends = JoinSet::new();
            for row in rows {
                let worker = self.clone();
                sends.spawn(async move { worker.deliver(row).await });
            }
            while sends.join_next().await.is_some() {}
        }
    }

    async fn until_next_due(&self) -> Duration {
        match self.bot.store.next_outbound_due(self.channel()).await {
            Ok(Some(due)) => (due - Utc::now())
                .to_std()
                .unwrap_or(Duration::ZERO)
                .clamp(MIN_POLL, IDLE_POLL),
            Ok(None) => IDLE_POLL,
            Err(e) => {
                tracing::warn!(error = %e, "outbox: cannot read the next due reply");
                IDLE_POLL
            }
        }
    }

    async fn deliver(&self, row: OutboundRow) {
        let metrics = &self.bot.metrics;
        let channel = self.channel();
        let Some(outbound) = self.bot.open_outbound(&row) else {
            tracing::error!(
                %channel,
                outbox_id = row.id,
                "queued reply cannot be opened (sealed under another UIC_SALT?): dropped"
            );
            metrics.send_failed(channel, "unreadable");
            self.forget(row.id).await;
            return;
        };
        let phone = &outbound.phone;
        let attempt = row.attempts + 1;
        match self.sender.send(&outbound.phone, &outbound.body).await {
            SendOutcome::Delivered => {
                metrics.reply_sent(channel);
                self.forget(row.id).await;
            }
            SendOutcome::Rejected(error) => {
                tracing::error!(%channel, phone = %phone, %error, attempt, "reply refused by the provider: dropped");
                metrics.send_failed(channel, "rejected");
                self.forget(row.id).await;
            }
            SendOutcome::Retry(error) => {
                let now = Utc::now();
                let queued_for = (now - row.created_at).to_std().unwrap_or(Duration::ZERO);
                if queued_for >= self.policy.give_up_after {
                    tracing::error!(%channel, phone = %phone, %error, attempt, "reply still not delivered a day after it was queued: given up");
                    metrics.send_failed(channel, "gave_up");
                    self.forget(row.id).await;
                    return;
                }
                let delay = self.policy.delay(attempt);
                tracing::warn!(%channel, phone = %phone, %error, attempt, retry_in_ms = delay.as_millis() as u64, "reply not delivered: will try again");
                metrics.send_retry(channel);
                let next = now + chrono::Duration::from_std(delay).expect("at most minutes");
                if let Err(e) = self
                    .bot
                    .store
                    .retry_outbound_later(row.id, attempt, next, &error)
                    .await
                {
                    tracing::warn!(error = %e, outbox_id = row.id, "outbox: cannot reschedule a reply; it comes back when its lease ends");
                }
            }
        }
    }

    /// Deletes a finished row. If that fails the row comes back after its lease and is
    /// sent again: at least once rather than never.
    async fn forget(&self, id: i64) {
        if let Err(e) = self.bot.store.delete_outbound(id).await {
            tracing::warn!(error = %e, outbox_id = id, "outbox: cannot delete a finished reply; it may be sent again");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_with_jitter_and_are_capped() {
        let policy = RetryPolicy::new(Duration::from_secs(1));
        for (failures, full) in [
            (1, 1),
            (2, 2),
            (3, 4),
            (4, 8),
            (9, 256),
            (10, 300),
            (60, 300),
        ] {
            let full = Duration::from_secs(full);
            for _ in 0..20 {
                let delay = policy.delay(failures);
                assert!(delay >= full / 2 && delay <= full, "{failures}: {delay:?}");
            }
        }
    }
}
