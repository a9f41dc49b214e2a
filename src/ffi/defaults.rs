//! The defaults the C documentation states, as constants of the header
//! (`CINNOX_DEFAULT_*`), so that a C program can read them and the comments name them
//! instead of repeating numbers. The tests below hold each constant to the value the code
//! really uses, and the header's comments to naming constants rather than numbers.

/// Default largest webhook body accepted, in bytes.
pub const CINNOX_DEFAULT_MAX_BODY: usize = 65_536;
/// Default duplicate-detection window, in milliseconds (10 minutes).
pub const CINNOX_DEFAULT_DEDUP_WINDOW_MS: u32 = 600_000;
/// Default number of events remembered for duplicate detection.
pub const CINNOX_DEFAULT_DEDUP_CAPACITY: usize = 10_000;
/// Default longest time for a whole request, and for replies left unread, in milliseconds.
pub const CINNOX_DEFAULT_READ_TIMEOUT_MS: u32 = 10_000;
/// Default time an idle keep-alive connection is kept, in milliseconds.
pub const CINNOX_DEFAULT_IDLE_TIMEOUT_MS: u32 = 30_000;
/// Default time `shutdown` lets deliveries in flight finish, in milliseconds.
pub const CINNOX_DEFAULT_SHUTDOWN_GRACE_MS: u32 = 5_000;
/// Default cap on open connections.
pub const CINNOX_DEFAULT_MAX_CONNECTIONS: usize = 10_000;
/// Default number of I/O threads.
pub const CINNOX_DEFAULT_IO_THREADS: usize = 1;
/// Most I/O threads a receiver may have.
pub const CINNOX_MAX_IO_THREADS: usize = 64;
/// Default time a request head may take to arrive, in milliseconds.
pub const CINNOX_DEFAULT_HEADER_TIMEOUT_MS: u32 = 5_000;
/// Default cap on connections from one source address (0: none).
pub const CINNOX_DEFAULT_PER_SOURCE_LIMIT: usize = 0;
/// Default connect timeout of the subscription client, in milliseconds.
pub const CINNOX_DEFAULT_CONNECT_TIMEOUT_MS: u32 = 10_000;
/// Default timeout of each step of a client request, in milliseconds.
pub const CINNOX_DEFAULT_REQUEST_TIMEOUT_MS: u32 = 30_000;
/// Default number of attempts of a client request (the first and its retries).
pub const CINNOX_DEFAULT_MAX_ATTEMPTS: u32 = 4;
/// Default number of attempts the inbox gives an event before it is dead.
pub const CINNOX_DEFAULT_INBOX_MAX_ATTEMPTS: u32 = 8;
/// Default wait of the inbox after an event's first failure, in milliseconds (doubling).
pub const CINNOX_DEFAULT_INBOX_FIRST_DELAY_MS: u32 = 5_000;
/// Default longest wait of the inbox between attempts, in milliseconds (1 hour).
pub const CINNOX_DEFAULT_INBOX_MAX_DELAY_MS: u32 = 3_600_000;
/// Default time an event handed out by the inbox is leased, in milliseconds.
pub const CINNOX_DEFAULT_INBOX_LEASE_MS: u32 = 60_000;
/// Default time the inbox keeps handled events, in milliseconds (3 days).
pub const CINNOX_DEFAULT_INBOX_RETENTION_MS: u64 = 259_200_000;
/// Default requests a minute the sandbox accepts per app.
pub const CINNOX_DEFAULT_SANDBOX_RATE_LIMIT: u32 = 500;
/// Default time the sandbox waits for each verification and each delivery attempt, in
/// milliseconds.
pub const CINNOX_DEFAULT_SANDBOX_TIMEOUT_MS: u32 = 5_000;
/// Default number of redeliveries the sandbox makes after a failed delivery.
pub const CINNOX_DEFAULT_SANDBOX_REDELIVERIES: usize = 3;
/// Default wait of the sandbox before its first redelivery, in milliseconds; each later
/// one waits twice as long.
pub const CINNOX_DEFAULT_SANDBOX_FIRST_REDELIVERY_MS: u32 = 50;

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;
    use crate::client::{Client, RetryPolicy};
    use crate::inbox::{InboxConfig, RetrySchedule};
    use crate::receiver::ReceiverConfig;
    use crate::webhook::WebhookConfig;

    fn ms(n: u32) -> Duration {
        Duration::from_millis(n.into())
    }

    #[test]
    fn each_default_constant_is_the_value_the_code_uses() {
        let webhook = WebhookConfig::builder("/p").build().expect("webhook");
        assert_eq!(webhook.max_body(), CINNOX_DEFAULT_MAX_BODY);
        assert_eq!(
            webhook.dedup_window(),
            Some(ms(CINNOX_DEFAULT_DEDUP_WINDOW_MS))
        );
        assert_eq!(webhook.dedup_capacity(), CINNOX_DEFAULT_DEDUP_CAPACITY);

        let rx = ReceiverConfig::builder(webhook).build().expect("receiver");
        assert_eq!(rx.read_timeout(), ms(CINNOX_DEFAULT_READ_TIMEOUT_MS));
        assert_eq!(rx.idle_timeout(), ms(CINNOX_DEFAULT_IDLE_TIMEOUT_MS));
        assert_eq!(rx.shutdown_grace(), ms(CINNOX_DEFAULT_SHUTDOWN_GRACE_MS));
        assert_eq!(rx.max_connections(), CINNOX_DEFAULT_MAX_CONNECTIONS);
        assert_eq!(rx.io_threads(), CINNOX_DEFAULT_IO_THREADS);
        assert_eq!(rx.header_timeout(), ms(CINNOX_DEFAULT_HEADER_TIMEOUT_MS));
        assert_eq!(rx.per_source_limit(), CINNOX_DEFAULT_PER_SOURCE_LIMIT);
        let most = ReceiverConfig::builder(rx.webhook().clone());
        assert!(most
            .clone()
            .io_threads(CINNOX_MAX_IO_THREADS)
            .build()
            .is_ok());
        assert!(most.io_threads(CINNOX_MAX_IO_THREADS + 1).build().is_err());

        let client = format!("{:?}", Client::builder("https://x.example", "t"));
        let secs = |n: u32| format!("{:?}", ms(n));
        let connect = format!(
            "connect_timeout: {}",
            secs(CINNOX_DEFAULT_CONNECT_TIMEOUT_MS)
        );
        let timeout = format!(" timeout: {}", secs(CINNOX_DEFAULT_REQUEST_TIMEOUT_MS));
        assert!(client.contains(&connect), "{client}");
        assert!(client.contains(&timeout), "{client}");
        assert_eq!(
            RetryPolicy::default().max_attempts(),
            CINNOX_DEFAULT_MAX_ATTEMPTS
        );

        let retry = RetrySchedule::default();
        assert_eq!(retry.max_attempts(), CINNOX_DEFAULT_INBOX_MAX_ATTEMPTS);
        assert_eq!(retry.first_delay(), ms(CINNOX_DEFAULT_INBOX_FIRST_DELAY_MS));
        assert_eq!(retry.max_delay(), ms(CINNOX_DEFAULT_INBOX_MAX_DELAY_MS));
        let inbox = InboxConfig::builder().build().expect("inbox config");
        assert_eq!(inbox.lease(), ms(CINNOX_DEFAULT_INBOX_LEASE_MS));
        assert_eq!(
            inbox.retention(),
            Duration::from_millis(CINNOX_DEFAULT_INBOX_RETENTION_MS)
        );

        let sandbox = crate::SandboxConfig::default();
        let delays: Vec<Duration> = (0..CINNOX_DEFAULT_SANDBOX_REDELIVERIES)
            .map(|i| ms(CINNOX_DEFAULT_SANDBOX_FIRST_REDELIVERY_MS << i))
            .collect();
        let debug = format!("{sandbox:?}");
        for want in [
            format!("requests: {CINNOX_DEFAULT_SANDBOX_RATE_LIMIT}, per: 60s"),
            format!(
                "verify_timeout: {}",
                secs(CINNOX_DEFAULT_SANDBOX_TIMEOUT_MS)
            ),
            format!(
                "delivery_timeout: {}",
                secs(CINNOX_DEFAULT_SANDBOX_TIMEOUT_MS)
            ),
            format!("redelivery: {delays:?}"),
        ] {
            assert!(debug.contains(&want), "{want} in {debug}");
        }
    }

    /// Whether `text` has a word that is a number (names of constants do not count).
    fn has_number(text: &str) -> bool {
        text.split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .any(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_digit()))
    }

    /// The clauses of `comment` that state a default: what follows "default" up to the end
    /// of its clause, and what precedes "by default" back to the start of its clause.
    fn default_clauses(comment: &str) -> Vec<String> {
        let lower = comment.to_ascii_lowercase();
        let mut clauses = Vec::new();
        for (at, _) in lower.match_indices("default") {
            // Inside a constant's name (`CINNOX_DEFAULT_…`), not the word.
            if lower[..at].ends_with('_') {
                continue;
            }
            let after = &comment[at..];
            let end = [after.find(';'), after.find(". ")]
                .into_iter()
                .flatten()
                .min()
                .unwrap_or(after.len());
            clauses.push(after[..end].to_owned());
            if lower[..at].ends_with("by ") {
                let before = &comment[..at];
                let start = before.rfind(['(', ';', '.']).map_or(0, |i| i + 1);
                clauses.push(before[start..].to_owned());
            }
        }
        clauses
    }

    /// The header's comments name the `CINNOX_DEFAULT_*` constants instead of stating
    /// default numbers, which drifted from the code before (a connection cap of 256 in the
    /// comments, 10,000 in the code). The constants' own comments may say what they mean.
    #[test]
    fn the_header_states_no_default_as_a_bare_number() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/include/cinnox.h");
        let header = std::fs::read_to_string(path).expect("include/cinnox.h");
        let mut bad = Vec::new();
        let mut comment = String::new();
        for line in header.lines() {
            let t = line.trim_start();
            if let Some(text) = t.strip_prefix("* ").or_else(|| t.strip_prefix("/** ")) {
                comment.push_str(text);
                comment.push(' ');
                continue;
            }
            if t.starts_with("/*") || t == "*" || t == "*/" {
                continue;
            }
            let of_a_constant =
                t.starts_with("#define CINNOX_DEFAULT_") || t.starts_with("#define CINNOX_MAX_");
            if !of_a_constant {
                bad.extend(
                    default_clauses(&comment)
                        .into_iter()
                        .filter(|c| has_number(c)),
                );
            }
            comment.clear();
        }
        assert!(
            bad.is_empty(),
            "defaults stated as numbers:\n{}",
            bad.join("\n")
        );
    }

    #[test]
    fn the_header_check_catches_a_stated_number() {
        let clauses = default_clauses("Open connections at most (default 256); more");
        assert!(clauses.iter().any(|c| has_number(c)), "{clauses:?}");
        let clauses = default_clauses("waits (5 s each, 20 s in all by default), reports");
        assert!(clauses.iter().any(|c| has_number(c)), "{clauses:?}");
        let clauses = default_clauses("(0 keeps `CINNOX_DEFAULT_X_MS`) then the count is 0");
        assert!(!clauses.iter().any(|c| has_number(c)), "{clauses:?}");
        let clauses = default_clauses("(default `CINNOX_DEFAULT_MAX_BODY`); a larger one gets 413");
        assert!(!clauses.iter().any(|c| has_number(c)), "{clauses:?}");
    }
}
