//! What a sandbox trigger did, in C: `cinnox_trigger_result_*`.

use super::get;
use crate::sandbox::DeliveryRecord;

/// What a trigger did: one delivery per subscribed URL, each with its attempts. Made by the
/// `cinnox_sandbox_trigger_…` functions, freed by `cinnox_trigger_result_free`. Immutable.
pub struct cinnox_trigger_result {
    deliveries: Vec<DeliveryRecord>,
}

impl cinnox_trigger_result {
    pub(crate) fn new(deliveries: Vec<DeliveryRecord>) -> cinnox_trigger_result {
        cinnox_trigger_result { deliveries }
    }
}

/// Delivery `i` of `r`; `None` when `r` is NULL or `i` out of range.
///
/// # Safety
/// `r` is NULL or a live result, and the reference is not kept past the caller's call.
unsafe fn delivery<'a>(r: *const cinnox_trigger_result, i: usize) -> Option<&'a DeliveryRecord> {
    // SAFETY: the caller's promise.
    unsafe { r.as_ref() }.and_then(|r| r.deliveries.get(i))
}

/// How many deliveries the trigger made (one per subscribed URL; 0 when nothing was
/// subscribed or `r` is NULL).
#[no_mangle]
pub unsafe extern "C" fn cinnox_trigger_result_count(r: *const cinnox_trigger_result) -> usize {
    // SAFETY: the caller passes NULL or a live result.
    get(0, || {
        unsafe { r.as_ref() }.map_or(0, |r| r.deliveries.len())
    })
}

/// Whether delivery `i` succeeded in the end (its last attempt was answered 2xx). false for
/// an index out of range or a NULL `r`.
#[no_mangle]
pub unsafe extern "C" fn cinnox_trigger_result_delivered(
    r: *const cinnox_trigger_result,
    i: usize,
) -> bool {
    // SAFETY: the caller passes NULL or a live result.
    get(false, || {
        unsafe { delivery(r, i) }.is_some_and(DeliveryRecord::delivered)
    })
}

/// How many attempts delivery `i` took (redeliveries included); 0 for an index out of range
/// or a NULL `r`.
#[no_mangle]
pub unsafe extern "C" fn cinnox_trigger_result_attempts(
    r: *const cinnox_trigger_result,
    i: usize,
) -> usize {
    // SAFETY: the caller passes NULL or a live result.
    get(0, || {
        unsafe { delivery(r, i) }.map_or(0, |d| d.attempts.len())
    })
}

/// The HTTP status the receiver answered to attempt `attempt` of delivery `i`; 0 when it
/// did not answer (timeout, connection refused) or an index is out of range.
#[no_mangle]
pub unsafe extern "C" fn cinnox_trigger_result_status(
    r: *const cinnox_trigger_result,
    i: usize,
    attempt: usize,
) -> u16 {
    get(0, || {
        // SAFETY: the caller passes NULL or a live result.
        unsafe { delivery(r, i) }
            .and_then(|d| d.attempts.get(attempt))
            .and_then(|a| a.status)
            .unwrap_or(0)
    })
}

/// From the first attempt of delivery `i` to the end of its last, in microseconds (waits
/// between attempts included); 0 for an index out of range or a NULL `r`.
#[no_mangle]
pub unsafe extern "C" fn cinnox_trigger_result_latency_us(
    r: *const cinnox_trigger_result,
    i: usize,
) -> u64 {
    get(0, || {
        // SAFETY: the caller passes NULL or a live result.
        unsafe { delivery(r, i) }.map_or(0, |d| {
            u64::try_from(d.latency.as_micros()).unwrap_or(u64::MAX)
        })
    })
}

/// Free a trigger result. NULL does nothing.
#[no_mangle]
pub unsafe extern "C" fn cinnox_trigger_result_free(r: *mut cinnox_trigger_result) {
    // SAFETY: the caller passes NULL or a handle from this library, freed once.
    get((), || unsafe { super::free_handle(r) })
}
