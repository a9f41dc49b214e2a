//! A claimed event in the application's hands: its answer becomes an ack, a retry or a dead
//! letter in the store.

use super::{ms, now_ms, Inbox};
use crate::delivery::Settle;
use crate::event::Event;
use crate::sync::lock;
use crate::webhook::Verdict;

/// A claimed event: the application's answer goes back to the store.
pub(super) struct Lease {
    pub(super) inbox: Inbox,
    pub(super) id: i64,
    pub(super) attempts: u32,
}

impl Settle for Lease {
    fn inbox_attempt(&self) -> Option<crate::delivery::InboxAttempt> {
        let retry = lock(&self.inbox.inner.settings).retry;
        Some(crate::delivery::InboxAttempt {
            id: self.id,
            attempt: self.attempts,
            max_attempts: retry.max_attempts(),
            retry_in: retry.delay_after(self.attempts),
        })
    }

    fn settle(self: Box<Self>, _event: &Event, verdict: Verdict, reason: &str) {
        let inner = &self.inbox.inner;
        let now = now_ms();
        let result = match verdict {
            Verdict::Handled => inner.readers.get().and_then(|mut r| r.ack(self.id, now)),
            Verdict::Failed => {
                let retry = lock(&inner.settings).retry;
                let delay = retry.delay_after(self.attempts);
                match delay {
                    Some(d) => log::info!(
                        target: super::LOG_TARGET,
                        "inbox: event {} failed (attempt {}), retried in {d:?}",
                        self.id,
                        self.attempts
                    ),
                    // The reason is the application's text: kept in the inbox, not logged.
                    None => log::warn!(
                        target: super::LOG_TARGET,
                        "inbox: event {} is dead after {} attempts (its last_error says why; \
                         replay it by id when fixed)",
                        self.id,
                        self.attempts
                    ),
                }
                let next = delay.map(|d| now + ms(d));
                inner
                    .readers
                    .get()
                    .and_then(|mut r| r.fail(self.id, &inner.owner, next, reason, now))
            }
        };
        // The store refused the answer (disk full, ...): the lease runs out and the event
        // is handed out again, so nothing is lost; an ack may then be repeated.
        if let Err(e) = result {
            log::error!(
                target: super::LOG_TARGET,
                "inbox: the answer to event {} was not recorded: {e}",
                self.id
            );
        }
    }

    fn abandon(self: Box<Self>, _event: &Event) {
        let inner = &self.inbox.inner;
        if let Ok(mut r) = inner.readers.get() {
            let _ = r.release(self.id, &inner.owner, now_ms());
        }
        self.inbox.wake();
    }
}
