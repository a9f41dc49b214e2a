//! The C ABI of the durable inbox: `cinnox_inbox_*`.

use std::ffi::c_char;
use std::time::Duration;

use super::delivery::cinnox_delivery;
use super::receiver::CINNOX_WAIT_FOREVER;
use super::{arg_out, arg_ref, arg_str, call, cinnox_result, get, put_handle};
use crate::inbox::Inbox;

/// A durable inbox of events (see `cinnox_inbox_open`). Thread-safe: every function may be
/// called from any thread at once, and several processes may open the same file.
pub struct cinnox_inbox {
    inbox: Inbox,
}

impl cinnox_inbox {
    pub(crate) fn new(inbox: Inbox) -> cinnox_inbox {
        cinnox_inbox { inbox }
    }

    pub(crate) fn inbox(&self) -> &Inbox {
        &self.inbox
    }
}

/// How many events an inbox holds in each state, filled by the deprecated
/// `cinnox_inbox_stats`. Deprecated, and frozen as it is (a struct the caller allocates
/// cannot grow): use `cinnox_inbox_snapshot_new` and its getters.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct cinnox_inbox_counts {
    /// Waiting to be handled (due now or later), not held by a consumer.
    pub pending: u64,
    /// Held by a consumer now (a live lease).
    pub in_flight: u64,
    /// Handled (kept for the retention, `CINNOX_DEFAULT_INBOX_RETENTION_MS` by default).
    pub done: u64,
    /// Given up after the last attempt; `cinnox_inbox_replay_dead` brings them back.
    pub dead: u64,
    /// How long the oldest pending or in-flight event has waited, in milliseconds.
    pub oldest_pending_age_ms: u64,
}

/// Open (creating it if needed) the inbox at `location`, a file path (SQLite, WAL,
/// `synchronous=FULL`: a stored event survives a crash and a power loss). Blocks while the
/// file is opened and its schema created; starts the inbox's writer thread.
///
/// `location` is copied. On success `*out` is a new inbox the caller owns and frees with
/// `cinnox_inbox_free`. `CINNOX_ERR_NULL_ARGUMENT` for a NULL pointer,
/// `CINNOX_ERR_INVALID_ARGUMENT` for an empty or non-UTF-8 `location`, `CINNOX_ERR_IO` when
/// the file cannot be opened or written.
#[no_mangle]
pub unsafe extern "C" fn cinnox_inbox_open(
    location: *const c_char,
    out: *mut *mut cinnox_inbox,
) -> cinnox_result {
    call(|| {
        let out = arg_out(out, "out")?;
        // SAFETY: the caller passes NULL or a NUL-terminated string.
        let location = unsafe { arg_str(location, "location") }?;
        let inbox = Inbox::open(location)?;
        // SAFETY: `out` was checked non-NULL.
        unsafe { put_handle(out, cinnox_inbox { inbox }) };
        Ok(())
    })
}

/// Free an inbox. Receivers and deliveries made with it keep the store open until they are
/// freed. Events queued for storing are stored first (it may block for that commit). NULL
/// does nothing. No other call on `inbox` may be in progress or starting.
#[no_mangle]
pub unsafe extern "C" fn cinnox_inbox_free(inbox: *mut cinnox_inbox) {
    // SAFETY: NULL or a live inbox from cinnox_inbox_open, freed once.
    get((), || unsafe { super::free_handle(inbox) })
}

/// Deprecated: it changes a live inbox under the threads using it. Give the schedule to
/// `cinnox_inbox_builder_set_retry` before the inbox opens. Sets the retry schedule as that
/// function describes; errors as there, `CINNOX_ERR_NULL_ARGUMENT` when `inbox` is NULL.
#[no_mangle]
#[deprecated(since = "0.2.0", note = "use cinnox_inbox_builder_set_retry")]
pub unsafe extern "C" fn cinnox_inbox_set_retry(
    inbox: *const cinnox_inbox,
    max_attempts: u32,
    first_delay_ms: u32,
    max_delay_ms: u32,
) -> cinnox_result {
    call(|| {
        // SAFETY: the caller passes NULL or a live inbox.
        let inbox = unsafe { arg_ref(inbox, "inbox") }?;
        let retry =
            super::inbox_builder::retry_schedule(max_attempts, first_delay_ms, max_delay_ms)?;
        inbox.inbox.set_retry(retry);
        Ok(())
    })
}

/// Wait for the next due event, at most `timeout_ms` milliseconds (`CINNOX_WAIT_FOREVER`
/// for no limit). BLOCKS the calling thread; any number of threads (and processes) may wait
/// at once, each gets a different event. On success `*out` is a new delivery the caller
/// owns, leased to this process: `cinnox_delivery_ack` marks it done,
/// `cinnox_delivery_fail` or `cinnox_delivery_free` retries it later (or makes it dead
/// after its last attempt); if the process dies holding it, it is handed out again after
/// the lease (`CINNOX_DEFAULT_INBOX_LEASE_MS`). `CINNOX_ERR_TIMEOUT` when none was due in time, `CINNOX_ERR_IO` when
/// the store failed, `CINNOX_ERR_NULL_ARGUMENT` for a NULL pointer.
#[no_mangle]
pub unsafe extern "C" fn cinnox_inbox_recv(
    inbox: *const cinnox_inbox,
    timeout_ms: u32,
    out: *mut *mut cinnox_delivery,
) -> cinnox_result {
    call(|| {
        // SAFETY: the caller passes NULL or a live inbox.
        let inbox = unsafe { arg_ref(inbox, "inbox") }?;
        let out = arg_out(out, "out")?;
        let delivery = if timeout_ms == CINNOX_WAIT_FOREVER {
            inbox.inbox.recv()?
        } else {
            inbox
                .inbox
                .recv_timeout(Duration::from_millis(timeout_ms.into()))?
        };
        // SAFETY: `out` was checked non-NULL.
        unsafe { put_handle(out, cinnox_delivery::new(delivery)) };
        Ok(())
    })
}

/// Deprecated: `*out` is a struct the caller allocates, which cannot grow. Use
/// `cinnox_inbox_snapshot_new`. Fills `*out` with how many events are in each state.
/// Blocks for one small query. `CINNOX_ERR_NULL_ARGUMENT` for a NULL pointer,
/// `CINNOX_ERR_IO` when the store failed. Thread-safe.
#[no_mangle]
#[deprecated(since = "0.2.0", note = "use cinnox_inbox_snapshot_new")]
pub unsafe extern "C" fn cinnox_inbox_stats(
    inbox: *const cinnox_inbox,
    out: *mut cinnox_inbox_counts,
) -> cinnox_result {
    call(|| {
        // SAFETY: the caller passes NULL or a live inbox.
        let inbox = unsafe { arg_ref(inbox, "inbox") }?;
        let out = arg_out(out, "out")?;
        let c = inbox.inbox.stats()?;
        let counts = cinnox_inbox_counts {
            pending: c.pending,
            in_flight: c.in_flight,
            done: c.done,
            dead: c.dead,
            oldest_pending_age_ms: u64::try_from(c.oldest_pending_age.as_millis())
                .unwrap_or(u64::MAX),
        };
        // SAFETY: `out` was checked non-NULL; the caller promises it is writable.
        unsafe { out.write(counts) };
        Ok(())
    })
}

/// Make every dead event pending again (its attempts start over). When `replayed` is not
/// NULL, `*replayed` receives how many. Blocks for one update. `CINNOX_ERR_NULL_ARGUMENT`
/// when `inbox` is NULL, `CINNOX_ERR_IO` when the store failed. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn cinnox_inbox_replay_dead(
    inbox: *const cinnox_inbox,
    replayed: *mut u64,
) -> cinnox_result {
    call(|| {
        // SAFETY: the caller passes NULL or a live inbox.
        let inbox = unsafe { arg_ref(inbox, "inbox") }?;
        let n = inbox.inbox.replay_dead()?;
        if !replayed.is_null() {
            // SAFETY: non-NULL; the caller promises it is writable.
            unsafe { replayed.write(n) };
        }
        Ok(())
    })
}
