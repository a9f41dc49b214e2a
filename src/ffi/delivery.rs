//! An event in the application's hands, in C: `cinnox_delivery_*`.

use super::event::cinnox_event;
use super::{call, get, Failure};
use crate::delivery::Delivery;
use crate::ffi::cinnox_result;

/// One event waiting for the application's answer: call `cinnox_delivery_ack` (HTTP 200; with
/// an inbox: done) or `cinnox_delivery_fail` (HTTP 500, so that CINNOX may deliver it again;
/// with an inbox: retried later from the inbox, or dead after its last attempt); each
/// consumes the delivery. `cinnox_delivery_free` on an unanswered delivery fails it. A delivery may
/// be answered from any thread, and may outlive its receiver (the answer is then lost if
/// the connection is gone).
pub struct cinnox_delivery {
    delivery: Delivery,
    event: Owned,
}

impl cinnox_delivery {
    /// The C view of `delivery`, from a receiver or an inbox.
    pub(crate) fn new(delivery: Delivery) -> cinnox_delivery {
        let event = Owned(cinnox_event::from_event(delivery.event().clone()));
        cinnox_delivery { delivery, event }
    }
}

/// An event made by `cinnox_event::from_event` for one delivery or one handler call, freed
/// when that ends (panic or not).
pub(crate) struct Owned(pub(crate) *mut cinnox_event);

impl Drop for Owned {
    fn drop(&mut self) {
        // SAFETY: made by cinnox_event::from_event for this owner only, freed once here.
        unsafe { cinnox_event::destroy(self.0) };
    }
}

/// The event of a delivery, lent by it: valid until the delivery is answered or freed;
/// never free it. NULL when `d` is NULL. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn cinnox_delivery_event(d: *const cinnox_delivery) -> *const cinnox_event {
    // SAFETY: the caller passes NULL or a live delivery.
    get(std::ptr::null(), || {
        unsafe { d.as_ref() }.map_or(std::ptr::null(), |d| d.event.0.cast_const())
    })
}

/// CONSUMES `d`: answer the delivery 200 (handled) and free it. `d` and its event are invalid
/// afterwards, whatever the result: do not call `cinnox_delivery_free` on it (in C++, pass
/// `ptr.release()`, not `ptr.get()`).
/// `CINNOX_ERR_NULL_ARGUMENT` when `d` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_delivery_ack(d: *mut cinnox_delivery) -> cinnox_result {
    call(|| {
        if d.is_null() {
            return Err(Failure::null("d"));
        }
        // SAFETY: non-NULL; a live delivery from cinnox_receiver_recv, consumed once.
        let d = unsafe { Box::from_raw(d) };
        d.delivery.ack();
        Ok(())
    })
}

/// CONSUMES `d`: answer the delivery 500 (failed, so CINNOX may deliver it again) and free
/// it. `d` and its event are invalid afterwards, whatever the result: do not call
/// `cinnox_delivery_free` on it (in C++, pass `ptr.release()`, not `ptr.get()`).
/// `CINNOX_ERR_NULL_ARGUMENT` when `d` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_delivery_fail(d: *mut cinnox_delivery) -> cinnox_result {
    call(|| {
        if d.is_null() {
            return Err(Failure::null("d"));
        }
        // SAFETY: non-NULL; a live delivery from cinnox_receiver_recv, consumed once.
        let d = unsafe { Box::from_raw(d) };
        d.delivery.fail();
        Ok(())
    })
}

/// Free a delivery without answering it: it is failed (HTTP 500). NULL does nothing.
#[no_mangle]
pub unsafe extern "C" fn cinnox_delivery_free(d: *mut cinnox_delivery) {
    // SAFETY: the caller passes NULL or a live delivery, freed once.
    get((), || unsafe { super::free_handle(d) })
}
