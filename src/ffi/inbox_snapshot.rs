//! How many events an inbox holds, in C: `cinnox_inbox_snapshot_*`.
//!
//! An opaque snapshot read by getters, not a struct the caller allocates: a count added
//! later is one more getter, and a program built against an older header keeps working.

use super::inbox::cinnox_inbox;
use super::{arg_out, arg_ref, call, cinnox_result, get, put_handle};
use crate::inbox::InboxCounts;

/// How many events an inbox held in each state at one moment (one query). Made by
/// `cinnox_inbox_snapshot_new`, read by its getters, freed by `cinnox_inbox_snapshot_free`.
/// Immutable; thread-safe to read.
pub struct cinnox_inbox_snapshot {
    counts: InboxCounts,
}

/// Count the events of `inbox` in each state. Blocks for one small query. On success `*out`
/// is a new snapshot the caller owns and frees with `cinnox_inbox_snapshot_free`.
/// `CINNOX_ERR_NULL_ARGUMENT` for a NULL pointer, `CINNOX_ERR_IO` when the store failed.
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn cinnox_inbox_snapshot_new(
    inbox: *const cinnox_inbox,
    out: *mut *mut cinnox_inbox_snapshot,
) -> cinnox_result {
    call(|| {
        // SAFETY: the caller passes NULL or a live inbox.
        let inbox = unsafe { arg_ref(inbox, "inbox") }?;
        let out = arg_out(out, "out")?;
        let counts = inbox.inbox().stats()?;
        // SAFETY: `out` was checked non-NULL.
        unsafe { put_handle(out, cinnox_inbox_snapshot { counts }) };
        Ok(())
    })
}

/// Read one count of `snapshot`; 0 when it is NULL.
///
/// # Safety
/// `snapshot` is NULL or a live snapshot.
unsafe fn read(snapshot: *const cinnox_inbox_snapshot, f: impl FnOnce(&InboxCounts) -> u64) -> u64 {
    // SAFETY: forwarded caller promise.
    get(0, || {
        unsafe { snapshot.as_ref() }.map_or(0, |s| f(&s.counts))
    })
}

/// Events waiting to be handled (due now or later), not held by a consumer. 0 when
/// `snapshot` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_inbox_snapshot_pending(
    snapshot: *const cinnox_inbox_snapshot,
) -> u64 {
    // SAFETY: forwarded caller promise.
    unsafe { read(snapshot, |c| c.pending) }
}

/// Events held by a consumer now (a live lease). 0 when `snapshot` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_inbox_snapshot_in_flight(
    snapshot: *const cinnox_inbox_snapshot,
) -> u64 {
    // SAFETY: forwarded caller promise.
    unsafe { read(snapshot, |c| c.in_flight) }
}

/// Events handled (kept for the retention, `CINNOX_DEFAULT_INBOX_RETENTION_MS` by default).
/// 0 when `snapshot` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_inbox_snapshot_done(snapshot: *const cinnox_inbox_snapshot) -> u64 {
    // SAFETY: forwarded caller promise.
    unsafe { read(snapshot, |c| c.done) }
}

/// Events given up after their last attempt; `cinnox_inbox_replay_dead` brings them back.
/// 0 when `snapshot` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_inbox_snapshot_dead(snapshot: *const cinnox_inbox_snapshot) -> u64 {
    // SAFETY: forwarded caller promise.
    unsafe { read(snapshot, |c| c.dead) }
}

/// How long the oldest pending or in-flight event had waited, in milliseconds. 0 when
/// `snapshot` is NULL or nothing waits.
#[no_mangle]
pub unsafe extern "C" fn cinnox_inbox_snapshot_oldest_pending_age_ms(
    snapshot: *const cinnox_inbox_snapshot,
) -> u64 {
    // SAFETY: forwarded caller promise.
    unsafe {
        read(snapshot, |c| {
            u64::try_from(c.oldest_pending_age.as_millis()).unwrap_or(u64::MAX)
        })
    }
}

/// Free a snapshot. NULL does nothing.
#[no_mangle]
pub unsafe extern "C" fn cinnox_inbox_snapshot_free(snapshot: *mut cinnox_inbox_snapshot) {
    // SAFETY: the caller passes NULL or a handle from this library, freed once.
    get((), || unsafe { super::free_handle(snapshot) })
}
