//! The sandbox in C: `cinnox_sandbox_*`.

use std::ffi::{c_char, CString};
use std::time::Duration;

use super::trigger_result::cinnox_trigger_result;
use super::{
    arg_out, arg_ref, arg_str, call, cinnox_event_kind, event_kind, get, put_handle, Failure,
    FfiResult,
};
use crate::ffi::cinnox_result;
use crate::sandbox::{
    CallNotification, DeliveryReportNotification, InboundSmsNotification, Notification, WireVariant,
};
use crate::{Sandbox, SandboxConfig};

/// `wire` flag: phone numbers as JSON numbers (`85298765432`) instead of strings.
pub const CINNOX_WIRE_NUMBERS_AS_JSON_NUMBERS: u32 = 1;
/// `wire` flag: `callees` as an array even when there is one callee.
pub const CINNOX_WIRE_CALLEES_AS_ARRAY: u32 = 2;
/// `wire` flag: call events without the `{"type":"message","message":{…}}` envelope.
pub const CINNOX_WIRE_WITHOUT_ENVELOPE: u32 = 4;

/// A local stand-in for CINNOX on 127.0.0.1: it serves the subscription API (verifying each
/// webhook URL with the real handshake) and delivers notifications to the subscribed URLs,
/// redelivering on failure. For developing and testing without a CINNOX account.
///
/// Made by `cinnox_sandbox_start`, freed by `cinnox_sandbox_free`. Thread-safe: any function
/// may be called from several threads at once.
pub struct cinnox_sandbox {
    sandbox: Sandbox,
    base_url: CString,
}

/// # Safety
/// `out` is NULL or writable.
unsafe fn start(config: SandboxConfig, out: *mut *mut cinnox_sandbox) -> FfiResult {
    let out = arg_out(out, "out")?;
    let sandbox = Sandbox::start(config)?;
    let base_url = super::to_cstring(sandbox.base_url(), "the base URL")?;
    // SAFETY: `out` was checked non-NULL.
    unsafe { put_handle(out, cinnox_sandbox { sandbox, base_url }) };
    Ok(())
}

/// Start a sandbox on a free port of 127.0.0.1 with the defaults: no apps (add them with
/// `cinnox_sandbox_add_app`), `CINNOX_DEFAULT_SANDBOX_RATE_LIMIT` requests a minute per
/// app, a verification and delivery timeout of `CINNOX_DEFAULT_SANDBOX_TIMEOUT_MS`, and
/// `CINNOX_DEFAULT_SANDBOX_REDELIVERIES` redeliveries, the first after
/// `CINNOX_DEFAULT_SANDBOX_FIRST_REDELIVERY_MS`, each later one after twice the wait.
///
/// On success `*out` is a new sandbox the caller owns and frees with `cinnox_sandbox_free`.
/// `CINNOX_ERR_NULL_ARGUMENT` when `out` is NULL, `CINNOX_ERR_IO` when it cannot bind.
#[no_mangle]
pub unsafe extern "C" fn cinnox_sandbox_start(out: *mut *mut cinnox_sandbox) -> cinnox_result {
    // SAFETY: the caller passes NULL or a writable `out`.
    call(|| unsafe { start(SandboxConfig::default(), out) })
}

/// `cinnox_sandbox_start` with other delivery settings: each attempt waits at most
/// `delivery_timeout_ms` (0 keeps `CINNOX_DEFAULT_SANDBOX_TIMEOUT_MS`) for the receiver, and a failed delivery is retried
/// `redelivery_count` times, after the delays `redelivery_delays_ms[0..redelivery_count]`
/// (`redelivery_delays_ms` may be NULL only when the count is 0, which turns redelivery off).
#[no_mangle]
pub unsafe extern "C" fn cinnox_sandbox_start_with(
    delivery_timeout_ms: u32,
    redelivery_delays_ms: *const u32,
    redelivery_count: usize,
    out: *mut *mut cinnox_sandbox,
) -> cinnox_result {
    call(|| {
        let mut config = SandboxConfig::builder();
        if delivery_timeout_ms > 0 {
            config = config.delivery_timeout(Duration::from_millis(delivery_timeout_ms.into()));
        }
        let delays: &[u32] = if redelivery_count == 0 {
            &[]
        } else if redelivery_delays_ms.is_null() {
            return Err(Failure::null("redelivery_delays_ms"));
        } else {
            // SAFETY: non-NULL; the caller promises `redelivery_count` readable values.
            unsafe { std::slice::from_raw_parts(redelivery_delays_ms, redelivery_count) }
        };
        config = config.redelivery(
            delays
                .iter()
                .map(|&ms| Duration::from_millis(ms.into()))
                .collect(),
        );
        // SAFETY: the caller passes NULL or a writable `out`.
        unsafe { start(config.build()?, out) }
    })
}

/// Stop the sandbox (it stops serving and waits for its threads) and free it. NULL does
/// nothing. The base URL it lent becomes invalid.
#[no_mangle]
pub unsafe extern "C" fn cinnox_sandbox_free(sb: *mut cinnox_sandbox) {
    // SAFETY: the caller passes NULL or a handle from cinnox_sandbox_start, freed once.
    get((), || unsafe { super::free_handle(sb) })
}

/// The base URL to give `cinnox_client_new`, e.g. `"http://127.0.0.1:41234"`; borrowed from
/// the sandbox and valid as long as it. NULL when `sb` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_sandbox_base_url(sb: *const cinnox_sandbox) -> *const c_char {
    // SAFETY: the caller passes NULL or a live sandbox.
    get(std::ptr::null(), || {
        unsafe { sb.as_ref() }.map_or(std::ptr::null(), |s| s.base_url.as_ptr())
    })
}

/// Accept the App ID `app_id` with the App Token `app_token` (both copied); an existing ID
/// gets the new token and keeps its subscriptions. `CINNOX_ERR_NULL_ARGUMENT` for a NULL
/// pointer, `CINNOX_ERR_INVALID_ARGUMENT` for non-UTF-8 or empty text.
#[no_mangle]
pub unsafe extern "C" fn cinnox_sandbox_add_app(
    sb: *const cinnox_sandbox,
    app_id: *const c_char,
    app_token: *const c_char,
) -> cinnox_result {
    call(|| {
        // SAFETY: the caller passes NULL or a live sandbox and NUL-terminated strings.
        let sb = unsafe { arg_ref(sb, "sb") }?;
        // SAFETY: as above.
        let app_id = unsafe { arg_str(app_id, "app_id") }?;
        // SAFETY: as above.
        let app_token = unsafe { arg_str(app_token, "app_token") }?;
        sb.sandbox.add_app(app_id, app_token)?;
        Ok(())
    })
}

/// The number of subscriptions the sandbox holds now (every app, every family); 0 when `sb`
/// is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_sandbox_subscription_count(sb: *const cinnox_sandbox) -> usize {
    // SAFETY: the caller passes NULL or a live sandbox.
    get(0, || {
        unsafe { sb.as_ref() }.map_or(0, |s| s.sandbox.subscriptions().len())
    })
}

/// # Safety
/// `sb` is NULL or a live sandbox; `out` is NULL or writable.
unsafe fn deliver(
    sb: *const cinnox_sandbox,
    out: *mut *mut cinnox_trigger_result,
    notification: impl FnOnce() -> Result<Notification, Failure>,
) -> FfiResult {
    // SAFETY: the caller's promise.
    let sb = unsafe { arg_ref(sb, "sb") }?;
    let n = notification()?;
    let deliveries = sb.sandbox.trigger(&n);
    if !out.is_null() {
        // SAFETY: non-NULL; the caller promises it is writable.
        unsafe { put_handle(out, cinnox_trigger_result::new(deliveries)) };
    }
    Ok(())
}

/// An optional string argument: NULL means "the builder's default".
unsafe fn opt_str<'a>(p: *const c_char, arg: &str) -> Result<Option<&'a str>, Failure> {
    if p.is_null() {
        Ok(None)
    } else {
        // SAFETY: non-NULL; the caller promises a NUL-terminated string.
        unsafe { arg_str(p, arg) }.map(Some)
    }
}

fn wire(flags: u32) -> Result<WireVariant, Failure> {
    let known = CINNOX_WIRE_NUMBERS_AS_JSON_NUMBERS
        | CINNOX_WIRE_CALLEES_AS_ARRAY
        | CINNOX_WIRE_WITHOUT_ENVELOPE;
    if flags & !known != 0 {
        return Err(Failure::invalid(format!("unknown wire flags {flags:#x}")));
    }
    Ok(WireVariant {
        numbers_as_json_numbers: flags & CINNOX_WIRE_NUMBERS_AS_JSON_NUMBERS != 0,
        callees_as_array: flags & CINNOX_WIRE_CALLEES_AS_ARRAY != 0,
        without_envelope: flags & CINNOX_WIRE_WITHOUT_ENVELOPE != 0,
    })
}

/// Deliver the JSON text `json` (copied, sent as is) as a notification of family `kind` to
/// every URL subscribed to that family, redelivering on failure; blocks until done. For any
/// shape and for the families without a builder.
///
/// Blocks until each receiver has answered, and a receiver answers only once the
/// application answered the event: run `cinnox_receiver_recv`/`serve` on **another thread**.
/// Called on the thread that would then call `recv`, a trigger waits out the delivery
/// timeout of every attempt (by default `CINNOX_DEFAULT_SANDBOX_TIMEOUT_MS` each, for the
/// first delivery and each redelivery), reports failures, and leaves
/// each attempt in the receiver's queue as a stale delivery whose connection is closed
/// (answering it changes nothing). The same holds for the four `cinnox_sandbox_trigger_*`
/// builders below.
///
/// When `out` is not NULL, `*out` receives what happened (free it with
/// `cinnox_trigger_result_free`); `out` may be NULL when that is not wanted.
/// `CINNOX_ERR_NULL_ARGUMENT` when `sb` or `json` is NULL, `CINNOX_ERR_INVALID_ARGUMENT` for
/// an unknown `kind` or text that is not UTF-8 or not JSON. A failed delivery is not an
/// error: see the result.
#[no_mangle]
pub unsafe extern "C" fn cinnox_sandbox_trigger_json(
    sb: *const cinnox_sandbox,
    kind: cinnox_event_kind,
    json: *const c_char,
    out: *mut *mut cinnox_trigger_result,
) -> cinnox_result {
    call(|| {
        let notification = || {
            // SAFETY: the caller passes NULL or a NUL-terminated string.
            let json = unsafe { arg_str(json, "json") }?;
            Ok(Notification::json(event_kind(kind)?, json)?)
        };
        // SAFETY: the caller passes NULL or a live sandbox, and NULL or a writable `out`.
        unsafe { deliver(sb, out, notification) }
    })
}

/// Deliver a call start (seed 000) to the URLs subscribed to calls. Each string argument is
/// optional (NULL: a realistic default; the call ID is then random): the call ID, the
/// caller's number and the one callee's number. `wire` is 0 or an OR of the
/// `CINNOX_WIRE_…` flags (the other shapes the spec allows). `out` as for
/// `cinnox_sandbox_trigger_json`. `CINNOX_ERR_NULL_ARGUMENT` when `sb` is NULL,
/// `CINNOX_ERR_INVALID_ARGUMENT` for non-UTF-8 text or unknown flags.
#[no_mangle]
pub unsafe extern "C" fn cinnox_sandbox_trigger_call_start(
    sb: *const cinnox_sandbox,
    call_id: *const c_char,
    caller_number: *const c_char,
    callee_number: *const c_char,
    wire_flags: u32,
    out: *mut *mut cinnox_trigger_result,
) -> cinnox_result {
    call(|| {
        let notification = || {
            let mut n = CallNotification::start().wire(wire(wire_flags)?);
            // SAFETY: the caller passes NULL or NUL-terminated strings.
            if let Some(id) = unsafe { opt_str(call_id, "call_id") }? {
                n = n.id(id);
            }
            // SAFETY: as above.
            if let Some(num) = unsafe { opt_str(caller_number, "caller_number") }? {
                n = n.caller_number(num);
            }
            // SAFETY: as above.
            if let Some(num) = unsafe { opt_str(callee_number, "callee_number") }? {
                n = n.callee_number(num);
            }
            Ok(n.build())
        };
        // SAFETY: the caller passes NULL or a live sandbox, and NULL or a writable `out`.
        unsafe { deliver(sb, out, notification) }
    })
}

/// Deliver a call end (seed 000) for the call `call_id` (optional: NULL for a random ID).
/// `wire`, `out` and errors as for `cinnox_sandbox_trigger_call_start`.
#[no_mangle]
pub unsafe extern "C" fn cinnox_sandbox_trigger_call_end(
    sb: *const cinnox_sandbox,
    call_id: *const c_char,
    wire_flags: u32,
    out: *mut *mut cinnox_trigger_result,
) -> cinnox_result {
    call(|| {
        let notification = || {
            let mut n = CallNotification::end().wire(wire(wire_flags)?);
            // SAFETY: the caller passes NULL or a NUL-terminated string.
            if let Some(id) = unsafe { opt_str(call_id, "call_id") }? {
                n = n.id(id);
            }
            Ok(n.build())
        };
        // SAFETY: the caller passes NULL or a live sandbox, and NULL or a writable `out`.
        unsafe { deliver(sb, out, notification) }
    })
}

/// Deliver an inbound SMS (seed 001). Optional strings (NULL: a realistic default): the
/// sender's number, the recipient's number and the text. `wire`, `out` and errors as for
/// `cinnox_sandbox_trigger_call_start`.
#[no_mangle]
pub unsafe extern "C" fn cinnox_sandbox_trigger_inbound_sms(
    sb: *const cinnox_sandbox,
    sender_number: *const c_char,
    recipient_number: *const c_char,
    content: *const c_char,
    wire_flags: u32,
    out: *mut *mut cinnox_trigger_result,
) -> cinnox_result {
    call(|| {
        let notification = || {
            let mut n = InboundSmsNotification::new().wire(wire(wire_flags)?);
            // SAFETY: the caller passes NULL or NUL-terminated strings.
            if let Some(s) = unsafe { opt_str(sender_number, "sender_number") }? {
                n = n.sender_number(s);
            }
            // SAFETY: as above.
            if let Some(s) = unsafe { opt_str(recipient_number, "recipient_number") }? {
                n = n.recipient_number(s);
            }
            // SAFETY: as above.
            if let Some(s) = unsafe { opt_str(content, "content") }? {
                n = n.content(s);
            }
            Ok(n.build())
        };
        // SAFETY: the caller passes NULL or a live sandbox, and NULL or a writable `out`.
        unsafe { deliver(sb, out, notification) }
    })
}

/// Deliver an outbound SMS delivery report (seed 002). Optional strings (NULL: a realistic
/// default): the transaction ID and the status text (`"Delivered"`, `"Undelivered"`,
/// `"Rejected"`, `"Submitted"`, or any other text). `wire`, `out` and errors as for
/// `cinnox_sandbox_trigger_call_start`.
#[no_mangle]
pub unsafe extern "C" fn cinnox_sandbox_trigger_outbound_sms(
    sb: *const cinnox_sandbox,
    transaction_id: *const c_char,
    status: *const c_char,
    wire_flags: u32,
    out: *mut *mut cinnox_trigger_result,
) -> cinnox_result {
    call(|| {
        let notification = || {
            let mut n = DeliveryReportNotification::new().wire(wire(wire_flags)?);
            // SAFETY: the caller passes NULL or NUL-terminated strings.
            if let Some(s) = unsafe { opt_str(transaction_id, "transaction_id") }? {
                n = n.transaction_id(s);
            }
            // SAFETY: as above.
            if let Some(s) = unsafe { opt_str(status, "status") }? {
                n = n.status(s);
            }
            Ok(n.build())
        };
        // SAFETY: the caller passes NULL or a live sandbox, and NULL or a writable `out`.
        unsafe { deliver(sb, out, notification) }
    })
}
