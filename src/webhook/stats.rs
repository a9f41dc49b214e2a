//! [`WebhookStats`]: what the verifier counted.

use std::sync::atomic::{AtomicU64, Ordering};

/// Counters of what the verifier saw.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct WebhookStats {
    /// Requests seen: the sum of every outcome below but `acks` and `fails` (each request
    /// ends in exactly one of challenge, event, duplicate or a refusal).
    pub requests: u64,
    /// Challenges answered.
    pub challenges: u64,
    /// Events handed to the application.
    pub events: u64,
    /// Events answered 200 by the application.
    pub acks: u64,
    /// Events answered 500.
    pub fails: u64,
    /// Redeliveries answered 200 without reaching the application.
    pub duplicates: u64,
    /// 404: wrong path.
    pub refused_not_found: u64,
    /// 405: not POST.
    pub refused_method: u64,
    /// 413: body too large.
    pub refused_too_large: u64,
    /// 415: not JSON.
    pub refused_media_type: u64,
    /// 403: source not allowed.
    pub refused_forbidden: u64,
    /// 400: unreadable body.
    pub refused_bad_request: u64,
}

#[derive(Default)]
pub(super) struct Counters {
    pub(super) challenges: AtomicU64,
    pub(super) events: AtomicU64,
    pub(super) acks: AtomicU64,
    pub(super) fails: AtomicU64,
    pub(super) duplicates: AtomicU64,
    pub(super) not_found: AtomicU64,
    pub(super) method: AtomicU64,
    pub(super) too_large: AtomicU64,
    pub(super) media_type: AtomicU64,
    pub(super) forbidden: AtomicU64,
    pub(super) bad_request: AtomicU64,
}

pub(super) fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}
