//! The receiver's counters, named for C: `cinnox_counter` and `cinnox_counter_name`.
//!
//! A counter is read by `cinnox_receiver_counter(rx, CINNOX_COUNTER_…, &value)`, not
//! through a struct the caller allocates: a counter added later is one more constant, and a
//! program built against an older header keeps working (an unknown counter is an error,
//! never a write past a struct).

use std::ffi::{c_char, CStr};

use super::get;
use crate::receiver::ReceiverStats;

/// One of the receiver's counters (`CINNOX_COUNTER_*`), read by `cinnox_receiver_counter`.
/// Values are never reused; new counters get new values.
pub type cinnox_counter = u32;
/// Requests seen by the verifier: each ends in exactly one of challenge, event, duplicate or a refusal.
pub const CINNOX_COUNTER_REQUESTS: cinnox_counter = 1;
/// URL-verification challenges answered.
pub const CINNOX_COUNTER_CHALLENGES: cinnox_counter = 2;
/// Events handed to the application.
pub const CINNOX_COUNTER_EVENTS: cinnox_counter = 3;
/// Events answered 200 by the application.
pub const CINNOX_COUNTER_ACKS: cinnox_counter = 4;
/// Events answered 500.
pub const CINNOX_COUNTER_FAILS: cinnox_counter = 5;
/// Redeliveries answered 200 without reaching the application.
pub const CINNOX_COUNTER_DUPLICATES: cinnox_counter = 6;
/// Requests refused 404: wrong path.
pub const CINNOX_COUNTER_REFUSED_NOT_FOUND: cinnox_counter = 7;
/// Requests refused 405: not POST.
pub const CINNOX_COUNTER_REFUSED_METHOD: cinnox_counter = 8;
/// Requests refused 413: body too large.
pub const CINNOX_COUNTER_REFUSED_TOO_LARGE: cinnox_counter = 9;
/// Requests refused 415: not JSON.
pub const CINNOX_COUNTER_REFUSED_MEDIA_TYPE: cinnox_counter = 10;
/// Requests refused 403: source not allowed.
pub const CINNOX_COUNTER_REFUSED_FORBIDDEN: cinnox_counter = 11;
/// Requests refused 400 by the verifier: unreadable body.
pub const CINNOX_COUNTER_REFUSED_BAD_REQUEST: cinnox_counter = 12;
/// Handler panics caught by `cinnox_receiver_serve`.
pub const CINNOX_COUNTER_HANDLER_PANICS: cinnox_counter = 13;
/// Connections refused (503): at the connection cap with nothing to evict, or beyond the per-source limit.
pub const CINNOX_COUNTER_REFUSED_CONNECTIONS: cinnox_counter = 14;
/// Requests cut off by the header timeout, the read deadline or the minimum body rate (answered 408).
pub const CINNOX_COUNTER_READ_TIMEOUTS: cinnox_counter = 15;
/// Requests refused by the HTTP layer before the verifier saw them (400, 413, 414, 417, 431, 501, 505).
pub const CINNOX_COUNTER_MALFORMED_REQUESTS: cinnox_counter = 16;
/// Deliveries still unanswered when the shutdown grace ended (answered 503).
pub const CINNOX_COUNTER_EXPIRED_DELIVERIES: cinnox_counter = 17;
/// Idle or incomplete connections closed to make room for a new one.
pub const CINNOX_COUNTER_EVICTED_CONNECTIONS: cinnox_counter = 18;
/// Connections open now (a gauge, not a count).
pub const CINNOX_COUNTER_OPEN_CONNECTIONS: cinnox_counter = 19;
/// Times accepting met EMFILE/ENFILE (out of file descriptors).
pub const CINNOX_COUNTER_FD_EXHAUSTIONS: cinnox_counter = 20;
/// Connections cut because their peer left replies unread.
pub const CINNOX_COUNTER_SLOW_READERS: cinnox_counter = 21;
/// Events an inbox failed to store (answered 503 with Retry-After).
pub const CINNOX_COUNTER_STORE_FAILURES: cinnox_counter = 22;
/// One more than the largest counter of this version of the library: counters run from 1
/// to `CINNOX_COUNTER_END - 1`. A program may loop over them with `cinnox_counter_name`.
pub const CINNOX_COUNTER_END: cinnox_counter = 23;

/// The counter `which` of `stats`, with its name; `None` for an unknown counter.
pub(crate) fn read(stats: &ReceiverStats, which: cinnox_counter) -> Option<(u64, &'static CStr)> {
    let w = &stats.webhook;
    Some(match which {
        CINNOX_COUNTER_REQUESTS => (w.requests, c"requests"),
        CINNOX_COUNTER_CHALLENGES => (w.challenges, c"challenges"),
        CINNOX_COUNTER_EVENTS => (w.events, c"events"),
        CINNOX_COUNTER_ACKS => (w.acks, c"acks"),
        CINNOX_COUNTER_FAILS => (w.fails, c"fails"),
        CINNOX_COUNTER_DUPLICATES => (w.duplicates, c"duplicates"),
        CINNOX_COUNTER_REFUSED_NOT_FOUND => (w.refused_not_found, c"refused_not_found"),
        CINNOX_COUNTER_REFUSED_METHOD => (w.refused_method, c"refused_method"),
        CINNOX_COUNTER_REFUSED_TOO_LARGE => (w.refused_too_large, c"refused_too_large"),
        CINNOX_COUNTER_REFUSED_MEDIA_TYPE => (w.refused_media_type, c"refused_media_type"),
        CINNOX_COUNTER_REFUSED_FORBIDDEN => (w.refused_forbidden, c"refused_forbidden"),
        CINNOX_COUNTER_REFUSED_BAD_REQUEST => (w.refused_bad_request, c"refused_bad_request"),
        CINNOX_COUNTER_HANDLER_PANICS => (stats.handler_panics, c"handler_panics"),
        CINNOX_COUNTER_REFUSED_CONNECTIONS => (stats.refused_connections, c"refused_connections"),
        CINNOX_COUNTER_READ_TIMEOUTS => (stats.read_timeouts, c"read_timeouts"),
        CINNOX_COUNTER_MALFORMED_REQUESTS => (stats.malformed_requests, c"malformed_requests"),
        CINNOX_COUNTER_EXPIRED_DELIVERIES => (stats.expired_deliveries, c"expired_deliveries"),
        CINNOX_COUNTER_EVICTED_CONNECTIONS => (stats.evicted_connections, c"evicted_connections"),
        CINNOX_COUNTER_OPEN_CONNECTIONS => (stats.open_connections, c"open_connections"),
        CINNOX_COUNTER_FD_EXHAUSTIONS => (stats.fd_exhaustions, c"fd_exhaustions"),
        CINNOX_COUNTER_SLOW_READERS => (stats.slow_readers, c"slow_readers"),
        CINNOX_COUNTER_STORE_FAILURES => (stats.store_failures, c"store_failures"),
        _ => return None,
    })
}

/// The name of counter `which` (`"requests"`, `"acks"`, …: the field names of the Rust
/// `ReceiverStats`), a static string; NULL for a value this library does not know.
#[no_mangle]
pub extern "C" fn cinnox_counter_name(which: cinnox_counter) -> *const c_char {
    get(std::ptr::null(), || {
        read(&ReceiverStats::default(), which).map_or(std::ptr::null(), |(_, n)| n.as_ptr())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_counter_below_the_end_has_a_distinct_name_and_none_beyond() {
        let names: std::collections::BTreeSet<_> = (1..CINNOX_COUNTER_END)
            .map(|c| {
                read(&ReceiverStats::default(), c)
                    .map(|(_, n)| n)
                    .expect("named")
            })
            .collect();
        assert_eq!(names.len(), (CINNOX_COUNTER_END - 1) as usize);
        assert!(read(&ReceiverStats::default(), 0).is_none());
        assert!(read(&ReceiverStats::default(), CINNOX_COUNTER_END).is_none());
    }

    #[test]
    fn each_counter_reads_its_own_field_of_the_stats() {
        let mut s = ReceiverStats::default();
        s.webhook.requests = 1;
        s.webhook.challenges = 2;
        s.webhook.events = 3;
        s.webhook.acks = 4;
        s.webhook.fails = 5;
        s.webhook.duplicates = 6;
        s.webhook.refused_not_found = 7;
        s.webhook.refused_method = 8;
        s.webhook.refused_too_large = 9;
        s.webhook.refused_media_type = 10;
        s.webhook.refused_forbidden = 11;
        s.webhook.refused_bad_request = 12;
        s.handler_panics = 13;
        s.refused_connections = 14;
        s.read_timeouts = 15;
        s.malformed_requests = 16;
        s.expired_deliveries = 17;
        s.evicted_connections = 18;
        s.open_connections = 19;
        s.fd_exhaustions = 20;
        s.slow_readers = 21;
        s.store_failures = 22;
        for c in 1..CINNOX_COUNTER_END {
            assert_eq!(read(&s, c).map(|r| r.0), Some(u64::from(c)), "counter {c}");
        }
    }
}
