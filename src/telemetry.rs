//! Logs and metrics. Logs never carry answers, names or the salt; phone numbers only
//! masked. Metrics are Prometheus counters that staff read to see where people struggle.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounter, IntCounterVec, IntGauge, Opts, Registry,
    TextEncoder,
};
use std::io::IsTerminal;
use tracing_subscriber::EnvFilter;

use crate::channels::ChannelId;
use crate::flow::Event;

/// `+243991234567` → `+243*****4567`: enough to tell two people apart in a log, not
/// enough to call them.
pub fn mask_phone(phone: &str) -> String {
    let chars: Vec<char> = phone.chars().collect();
    if chars.len() <= 7 {
        return "*".repeat(chars.len());
    }
    let head: String = chars[..4].iter().collect();
    let tail: String = chars[chars.len() - 4..].iter().collect();
    format!("{head}{}{tail}", "*".repeat(chars.len() - 8))
}

/// Sets up logging: JSON lines when `json`, otherwise readable text.
pub fn init_logging(level: tracing::Level, json: bool) {
    let filter = EnvFilter::new(format!(
        "{},sqlx=warn,tower_http=warn,hyper=warn",
        level.as_str().to_lowercase()
    ));
    // Colours only for a person at a terminal, not in journald or a file.
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_target(false)
        .with_ansi(std::io::stdout().is_terminal());
    let result = if json {
        builder.json().flatten_event(true).try_init()
    } else {
        builder.try_init()
    };
    // Tests start several servers in one process: only the first installs a logger.
    let _ = result;
}

pub struct Metrics {
    registry: Registry,
    messages: IntCounterVec,
    started: IntCounter,
    completed: IntCounter,
    abandoned: IntCounterVec,
    codes: IntCounterVec,
    validation_failures: IntCounterVec,
    collisions: IntCounter,
    possible_duplicates: IntCounter,
    duplicates: IntCounterVec,
    replies_sent: IntCounterVec,
    send_retries: IntCounterVec,
    send_failures: IntCounterVec,
    pub outbox_pending: IntGauge,
    pub webhook_seconds: HistogramVec,
    pub active_sessions: IntGauge,
    pub rate_limited: IntCounter,
}

impl Default for Metrics {
    fn default() -> Self {
        let registry = Registry::new();
        fn counter(registry: &Registry, name: &str, help: &str) -> IntCounter {
            let c = IntCounter::new(name, help).expect("valid metric");
            registry
                .register(Box::new(c.clone()))
                .expect("unique metric");
            c
        }
        fn counter_vec(
            registry: &Registry,
            name: &str,
            help: &str,
            labels: &[&str],
        ) -> IntCounterVec {
            let c = IntCounterVec::new(Opts::new(name, help), labels).expect("valid metric");
            registry
                .register(Box::new(c.clone()))
                .expect("unique metric");
            c
        }
        let webhook_seconds = HistogramVec::new(
            HistogramOpts::new(
                "ciu_webhook_duration_seconds",
                "Time to answer a webhook request.",
            )
            .buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
            ]),
            &["channel"],
        )
        .expect("valid metric");
        registry
            .register(Box::new(webhook_seconds.clone()))
            .expect("unique metric");
        let active_sessions = IntGauge::new(
            "ciu_active_sessions",
            "Conversations in progress (not expired).",
        )
        .expect("valid metric");
        registry
            .register(Box::new(active_sessions.clone()))
            .expect("unique metric");
        let outbox_pending = IntGauge::new(
            "ciu_outbox_pending",
            "Replies waiting in the outbox to be sent through a provider's API.",
        )
        .expect("valid metric");
        registry
            .register(Box::new(outbox_pending.clone()))
            .expect("unique metric");
        Metrics {
            messages: counter_vec(&registry, "ciu_messages_total", "Inbound messages processed, by channel.", &["channel"]),
            started: counter(&registry, "ciu_conversations_started_total", "Conversations started (first message, restart, after expiry)."),
            completed: counter(&registry, "ciu_conversations_completed_total", "Conversations that reached a code."),
            abandoned: counter_vec(&registry, "ciu_conversations_ended_early_total", "Conversations ended before a code, by reason (stopped, too_many_attempts, expired, restarted).", &["reason"]),
            codes: counter_vec(&registry, "ciu_codes_total", "Codes given, new or already existing.", &["kind"]),
            validation_failures: counter_vec(&registry, "ciu_validation_failures_total", "Refused answers, by question: shows which question confuses people.", &["step"]),
            collisions: counter(&registry, "ciu_code_collisions_total", "New people whose normal code was already held by someone else."),
            possible_duplicates: counter(&registry, "ciu_possible_duplicates_total", "Pairs of codes found at registration that agree on every answer but one (ciu duplicates lists them)."),
            duplicates: counter_vec(&registry, "ciu_duplicate_deliveries_total", "Redelivered messages answered from the stored reply.", &["channel"]),
            rate_limited: counter(&registry, "ciu_rate_limited_total", "Messages refused because one phone sent too many."),
            replies_sent: counter_vec(&registry, "ciu_replies_sent_total", "Replies delivered through a provider's API (outbox), by channel.", &["channel"]),
            send_retries: counter_vec(&registry, "ciu_reply_send_retries_total", "Failed sends scheduled for another attempt (5xx, 429, timeout, connection), by channel.", &["channel"]),
            send_failures: counter_vec(&registry, "ciu_reply_send_failures_total", "Replies never delivered, by channel and reason (rejected: refused by the provider; gave_up: still failing after a day; unreadable: sealed with another salt).", &["channel", "reason"]),
            outbox_pending,
            webhook_seconds,
            active_sessions,
            registry,
        }
    }
}

impl Metrics {
    pub fn events(&self, channel: ChannelId, events: &[Event], was_active: bool) {
        self.messages.with_label_values(&[channel.label()]).inc();
        for event in events {
            match event {
                Event::Started => self.started.inc(),
                Event::Completed => self.completed.inc(),
                Event::ValidationFailed { step } => {
                    self.validation_failures.with_label_values(&[step]).inc()
                }
                Event::Abandoned => self
                    .abandoned
                    .with_label_values(&["too_many_attempts"])
                    .inc(),
                Event::Expired => self.abandoned.with_label_values(&["expired"]).inc(),
                Event::Stopped if was_active => {
                    self.abandoned.with_label_values(&["stopped"]).inc()
                }
                Event::Restarted if was_active => {
                    self.abandoned.with_label_values(&["restarted"]).inc()
                }
                // Answers are counted by the console's funnel (src/flow/funnel.rs).
                Event::Answered { .. } => {}
                Event::Stopped | Event::Restarted | Event::FlowChanged => {}
            }
        }
    }

    pub fn code(&self, new: bool) {
        self.codes
            .with_label_values(&[if new { "new" } else { "existing" }])
            .inc();
    }

    pub fn collision(&self) {
        self.collisions.inc();
    }

    pub fn possible_duplicates(&self, pairs: u64) {
        self.possible_duplicates.inc_by(pairs);
    }

    pub fn duplicate(&self, channel: ChannelId) {
        self.duplicates.with_label_values(&[channel.label()]).inc();
    }

    pub fn reply_sent(&self, channel: ChannelId) {
        self.replies_sent
            .with_label_values(&[channel.label()])
            .inc();
    }

    pub fn send_retry(&self, channel: ChannelId) {
        self.send_retries
            .with_label_values(&[channel.label()])
            .inc();
    }

    pub fn send_failed(&self, channel: ChannelId, reason: &str) {
        self.send_failures
            .with_label_values(&[channel.label(), reason])
            .inc();
    }

    pub fn observe(&self, channel: ChannelId) -> prometheus::HistogramTimer {
        self.webhook_seconds
            .with_label_values(&[channel.label()])
            .start_timer()
    }

    /// The Prometheus text format.
    pub fn render(&self) -> String {
        let mut buffer = Vec::new();
        TextEncoder::new()
            .encode(&self.registry.gather(), &mut buffer)
            .expect("text encoding cannot fail");
        String::from_utf8(buffer).expect("the text format is UTF-8")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_are_masked() {
        assert_eq!(mask_phone("+243991234567"), "+243*****4567");
        assert_eq!(mask_phone("12345"), "*****");
    }
}
