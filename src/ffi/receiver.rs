//! The webhook receiver in C: `cinnox_receiver_*`.

use std::ffi::{c_char, c_int, c_void, CString};
use std::sync::{Arc, Condvar, Mutex};

use super::counter::{self, cinnox_counter, CINNOX_COUNTER_END};
use super::delivery::{cinnox_delivery, Owned};
use super::event::cinnox_event;
use super::receiver_config::cinnox_receiver_config;
use super::receiver_config_builder::ms;
use super::{arg_out, arg_ref, arg_str, call, get, put_handle, Failure};
use crate::ffi::cinnox_result;
use crate::receiver::{Receiver, ReceiverConfig};
use crate::webhook::WebhookConfig;

/// `timeout_ms` for `cinnox_receiver_recv` that waits without a deadline.
pub const CINNOX_WAIT_FOREVER: u32 = u32::MAX;

/// An embedded webhook server (HTTP/1.1 on a socket of its own) that verifies requests,
/// answers CINNOX's challenges itself and hands events to the application, by
/// `cinnox_receiver_recv` or by `cinnox_receiver_serve`.
///
/// Made by `cinnox_receiver_new` or `cinnox_receiver_new_with_config`, freed by
/// `cinnox_receiver_free`. Thread-safe: `recv`, `serve`, `shutdown`, `port`, `counter` and
/// `metrics` may be called from any threads at once.
pub struct cinnox_receiver {
    rx: Receiver,
    /// Calls of `recv` and `serve` in progress, so that `_free` can wait for them. In an
    /// `Arc` so that the last one to leave may still touch it while `_free` proceeds.
    active: Arc<(Mutex<usize>, Condvar)>,
}

/// Counters of what a receiver did, filled by the deprecated `cinnox_receiver_stats`.
/// Deprecated, and frozen as it is (a struct the caller allocates cannot grow; the
/// counters added since, such as `CINNOX_COUNTER_STORE_FAILURES`, are not in it): use
/// `cinnox_receiver_counter`.
#[repr(C)]
#[derive(Debug, Clone, Copy, Default)]
pub struct cinnox_receiver_counters {
    /// Requests handled.
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
    /// Requests answered 404: wrong path.
    pub refused_not_found: u64,
    /// Requests answered 405: not POST.
    pub refused_method: u64,
    /// Requests answered 413: body too large.
    pub refused_too_large: u64,
    /// Requests answered 415: not JSON.
    pub refused_media_type: u64,
    /// Requests answered 403: source not allowed.
    pub refused_forbidden: u64,
    /// Requests answered 400: unreadable body.
    pub refused_bad_request: u64,
    /// Handler calls that failed by panicking (only Rust handlers can).
    pub handler_panics: u64,
    /// Connections refused: at the connection cap with no idle or incomplete connection to
    /// evict, or beyond the per-source limit.
    pub refused_connections: u64,
    /// Requests cut off by the header timeout, the read deadline or the minimum body rate
    /// (answered 408).
    pub read_timeouts: u64,
    /// Requests refused by the HTTP layer before the verifier saw them: malformed request
    /// heads or framing (400, 414, 417, 501, 505), heads over 16 KiB (431), chunked bodies
    /// over the body cap (413). Not counted in `requests`.
    pub malformed_requests: u64,
    /// Deliveries still unanswered when the shutdown grace ended: answered 503, and a later
    /// ack or fail of them changes nothing. Once every delivery is settled,
    /// `events == acks + fails + expired_deliveries`.
    pub expired_deliveries: u64,
    /// Idle or incomplete connections closed to make room for a new one (at the connection
    /// cap, or when the process ran out of file descriptors). Appended in 0.2.
    pub evicted_connections: u64,
    /// Connections open now. Appended in 0.2.
    pub open_connections: u64,
}

/// The handler of `cinnox_receiver_serve`: return 0 when the event was handled (the
/// receiver answers 200), anything else when it failed (500, so CINNOX may deliver it
/// again). `event` is lent for the duration of the call only: copy what you keep, never
/// free it. The handler must return: a C++ exception or a `longjmp` out of it is undefined
/// behaviour (catch everything inside it and return non-zero instead).
pub type cinnox_handler =
    Option<unsafe extern "C" fn(userdata: *mut c_void, event: *const cinnox_event) -> c_int>;

impl cinnox_receiver {
    pub(crate) fn receiver(&self) -> &Receiver {
        &self.rx
    }
}

/// Marks a call of `recv` or `serve` in progress for `_free`.
struct Active(Arc<(Mutex<usize>, Condvar)>);

impl Active {
    fn enter(state: &Arc<(Mutex<usize>, Condvar)>) -> Active {
        let mut n = state.0.lock().unwrap_or_else(|p| p.into_inner());
        *n += 1;
        Active(Arc::clone(state))
    }
}

impl Drop for Active {
    fn drop(&mut self) {
        let mut n = self.0 .0.lock().unwrap_or_else(|p| p.into_inner());
        *n = n.saturating_sub(1);
        self.0 .1.notify_all();
    }
}

fn bind(addr: &str, config: ReceiverConfig) -> Result<cinnox_receiver, Failure> {
    let rx = Receiver::bind(addr, config)?;
    Ok(cinnox_receiver {
        rx,
        active: Arc::new((Mutex::new(0), Condvar::new())),
    })
}

/// Start a receiver listening on `bind_addr` (e.g. `"127.0.0.1:8080"`, or port 0 for any
/// free port; see `cinnox_receiver_port`) that answers only on `path`, with the default
/// settings of `cinnox_receiver_config_builder_new`. It starts accepting at once: challenges are
/// answered from then on, events wait for `recv` or `serve`.
///
/// Both strings are copied. On success `*out` is a new receiver the caller owns and frees
/// with `cinnox_receiver_free`. `CINNOX_ERR_NULL_ARGUMENT` for a NULL pointer,
/// `CINNOX_ERR_INVALID_ARGUMENT` for non-UTF-8 text or an address that does not parse,
/// `CINNOX_ERR_IO` when the address cannot be bound.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_new(
    bind_addr: *const c_char,
    path: *const c_char,
    out: *mut *mut cinnox_receiver,
) -> cinnox_result {
    call(|| {
        let out = arg_out(out, "out")?;
        // SAFETY: the caller passes NULL or NUL-terminated strings.
        let addr = unsafe { arg_str(bind_addr, "bind_addr") }?;
        // SAFETY: as above.
        let path = unsafe { arg_str(path, "path") }?;
        let rx = bind(addr, ReceiverConfig::new(WebhookConfig::new(path)?)?)?;
        // SAFETY: `out` was checked non-NULL.
        unsafe { put_handle(out, rx) };
        Ok(())
    })
}

/// `cinnox_receiver_new` with the settings of `config`, which is copied (it may be freed or
/// reused once this returns). Errors as for `cinnox_receiver_new`.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_new_with_config(
    bind_addr: *const c_char,
    config: *const cinnox_receiver_config,
    out: *mut *mut cinnox_receiver,
) -> cinnox_result {
    call(|| {
        let out = arg_out(out, "out")?;
        // SAFETY: the caller passes NULL or a NUL-terminated string.
        let addr = unsafe { arg_str(bind_addr, "bind_addr") }?;
        // SAFETY: the caller passes NULL or a live config.
        let config = unsafe { arg_ref(config, "config") }?;
        let rx = bind(addr, config.receiver_config()?)?;
        // SAFETY: `out` was checked non-NULL.
        unsafe { put_handle(out, rx) };
        Ok(())
    })
}

/// The port the receiver listens on (useful after binding port 0); 0 when `rx` is NULL.
/// Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_port(rx: *const cinnox_receiver) -> u16 {
    // SAFETY: the caller passes NULL or a live receiver.
    get(0, || {
        unsafe { rx.as_ref() }.map_or(0, |r| r.rx.local_addr().port())
    })
}

/// Wait for the next event, at most `timeout_ms` milliseconds (`CINNOX_WAIT_FOREVER` for
/// no deadline). On success `*out` is a new delivery the caller owns: answer it with
/// `cinnox_delivery_ack` or `cinnox_delivery_fail`. `CINNOX_ERR_TIMEOUT` when no event came
/// in time, `CINNOX_ERR_CLOSED` once the receiver is shut down, `CINNOX_ERR_NULL_ARGUMENT`
/// for a NULL pointer; `*out` is written only on success. Thread-safe: several threads may
/// wait at once, each event goes to one of them.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_recv(
    rx: *const cinnox_receiver,
    timeout_ms: u32,
    out: *mut *mut cinnox_delivery,
) -> cinnox_result {
    call(|| {
        // SAFETY: the caller passes NULL or a live receiver.
        let rx = unsafe { arg_ref(rx, "rx") }?;
        let out = arg_out(out, "out")?;
        let _active = Active::enter(&rx.active);
        let delivery = if timeout_ms == CINNOX_WAIT_FOREVER {
            rx.rx.recv()?
        } else {
            rx.rx.recv_timeout(ms(timeout_ms))?
        };
        // SAFETY: `out` was checked non-NULL.
        unsafe { put_handle(out, cinnox_delivery::new(delivery)) };
        Ok(())
    })
}

struct UserData(*mut c_void);
// SAFETY: the caller of cinnox_receiver_serve promises that its handler may be called with
// this userdata from the worker threads (the header says so).
unsafe impl Send for UserData {}
// SAFETY: as above; the handler is called concurrently when workers > 1.
unsafe impl Sync for UserData {}

/// A handler's non-zero answer.
#[derive(Debug)]
struct HandlerFailed(c_int);

impl std::fmt::Display for HandlerFailed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "the handler returned {}", self.0)
    }
}

impl std::error::Error for HandlerFailed {}

/// Run `handler(userdata, event)` for every event on `workers` threads of the library's own
/// (at least 1, at most the receiver's connection cap), until the receiver is shut down;
/// then return `CINNOX_OK`. Blocks the calling thread meanwhile.
///
/// Threads: the handler runs on the worker threads, never on the calling thread; with
/// `workers` > 1 it is called concurrently, so `userdata` must be safe to use from several
/// threads at once. The `event` is lent for the call only. Return 0 to acknowledge (HTTP
/// 200), anything else to fail the delivery (HTTP 500, so CINNOX may deliver it again).
/// Stop it with `cinnox_receiver_shutdown` from another thread (or from the handler), or
/// with `cinnox_receiver_free`; no handler call runs after `serve` returns.
///
/// Returns `CINNOX_OK` once the receiver is shut down (at once when it already is).
/// `CINNOX_ERR_NULL_ARGUMENT` when `rx` or `handler` is NULL (`userdata` may be NULL),
/// `CINNOX_ERR_INVALID_ARGUMENT` when `workers` is 0 (as in Rust's `Receiver::serve`),
/// `CINNOX_ERR_IO` when no worker thread could be started.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_serve(
    rx: *const cinnox_receiver,
    workers: usize,
    handler: cinnox_handler,
    userdata: *mut c_void,
) -> cinnox_result {
    call(|| {
        // SAFETY: the caller passes NULL or a live receiver.
        let rx = unsafe { arg_ref(rx, "rx") }?;
        let handler = handler.ok_or_else(|| Failure::null("handler"))?;
        let userdata = UserData(userdata);
        let _active = Active::enter(&rx.active);
        rx.rx.serve(workers, |event| {
            let userdata = &userdata;
            let event = Owned(cinnox_event::from_event(event.clone()));
            // SAFETY: the caller promises the handler may be called with userdata and a
            // pointer to an event valid for the call.
            match unsafe { handler(userdata.0, event.0) } {
                0 => Ok(()),
                n => Err(HandlerFailed(n)),
            }
        })?;
        Ok(())
    })
}

/// Shut the receiver down: stop accepting, let deliveries in flight finish (up to the
/// shutdown grace), wake every `recv` (which then gives `CINNOX_ERR_CLOSED`) and make
/// `serve` return. Returns at once; idempotent. Thread-safe: callable from any thread,
/// including a handler, but not from a signal handler. `CINNOX_ERR_NULL_ARGUMENT` when `rx`
/// is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_shutdown(rx: *const cinnox_receiver) -> cinnox_result {
    call(|| {
        // SAFETY: the caller passes NULL or a live receiver.
        let rx = unsafe { arg_ref(rx, "rx") }?;
        // The handle's shutdown only starts it and returns, so a handler may call this.
        rx.rx.shutdown_handle().shutdown();
        Ok(())
    })
}

/// Read the counter `which` (a `CINNOX_COUNTER_*` value) of the receiver into `*value`.
/// Counters only grow, but for `CINNOX_COUNTER_OPEN_CONNECTIONS`, a gauge. Thread-safe,
/// never blocks. `CINNOX_ERR_NULL_ARGUMENT` for a NULL pointer,
/// `CINNOX_ERR_INVALID_ARGUMENT` for a counter this library does not know (`*value` is then
/// not written), so a program built against a newer header fails clearly on an older
/// library.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_counter(
    rx: *const cinnox_receiver,
    which: cinnox_counter,
    value: *mut u64,
) -> cinnox_result {
    call(|| {
        // SAFETY: the caller passes NULL or a live receiver.
        let rx = unsafe { arg_ref(rx, "rx") }?;
        let value = arg_out(value, "value")?;
        let (n, _) = counter::read(&rx.rx.stats(), which).ok_or_else(|| {
            Failure::from(crate::Error::invalid_argument(format!(
                "no counter {which} in this library (CINNOX_COUNTER_END is {CINNOX_COUNTER_END})"
            )))
        })?;
        // SAFETY: `value` was checked non-NULL; the caller promises it is writable.
        unsafe { value.write(n) };
        Ok(())
    })
}

/// Deprecated: `*out` is a struct the caller allocates, which cannot grow. Use
/// `cinnox_receiver_counter`. Fills `*out` with a snapshot of the receiver's counters of
/// 0.1. `CINNOX_ERR_NULL_ARGUMENT` when a pointer is NULL. Thread-safe.
#[deprecated(since = "0.2.0", note = "use cinnox_receiver_counter")]
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_stats(
    rx: *const cinnox_receiver,
    out: *mut cinnox_receiver_counters,
) -> cinnox_result {
    call(|| {
        // SAFETY: the caller passes NULL or a live receiver.
        let rx = unsafe { arg_ref(rx, "rx") }?;
        let out = arg_out(out, "out")?;
        let s = rx.rx.stats();
        let w = &s.webhook;
        let stats = cinnox_receiver_counters {
            requests: w.requests,
            challenges: w.challenges,
            events: w.events,
            acks: w.acks,
            fails: w.fails,
            duplicates: w.duplicates,
            refused_not_found: w.refused_not_found,
            refused_method: w.refused_method,
            refused_too_large: w.refused_too_large,
            refused_media_type: w.refused_media_type,
            refused_forbidden: w.refused_forbidden,
            refused_bad_request: w.refused_bad_request,
            handler_panics: s.handler_panics,
            refused_connections: s.refused_connections,
            read_timeouts: s.read_timeouts,
            malformed_requests: s.malformed_requests,
            expired_deliveries: s.expired_deliveries,
            evicted_connections: s.evicted_connections,
            open_connections: s.open_connections,
        };
        // SAFETY: `out` was checked non-NULL; the caller promises it is writable.
        unsafe { out.write(stats) };
        Ok(())
    })
}

/// Shut the receiver down, wait until every `recv` and `serve` in progress on it has
/// returned (so no handler runs after this returns), and free it. NULL does nothing.
/// Deliveries already taken stay valid and must still be answered or freed.
///
/// Contract (as for rustls-ffi's `_free` functions): no call on `rx` may be *starting* while
/// this runs. A call already inside `recv` or `serve` is woken and waited for, but a call
/// that is only entering the library when `_free` runs can be left holding freed memory:
/// there is no way to count a call that has not reached the library yet. The safe order is
/// `cinnox_receiver_shutdown(rx)`, then join (or otherwise wait for) every thread that may
/// call into `rx`, then `cinnox_receiver_free(rx)`; a thread that is known to be blocked in
/// `recv`/`serve` (it signalled so, or it has served events) may be left to this function.
/// Never call it from a handler (it would wait for that handler): call
/// `cinnox_receiver_shutdown` there and free the receiver after `serve` returned.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_free(rx: *mut cinnox_receiver) {
    get((), || {
        if rx.is_null() {
            return;
        }
        // SAFETY: non-NULL; the caller passes a live receiver, freed once.
        let r = unsafe { &*rx };
        r.rx.shutdown();
        let active = Arc::clone(&r.active);
        let mut n = active.0.lock().unwrap_or_else(|p| p.into_inner());
        while *n > 0 {
            n = active.1.wait(n).unwrap_or_else(|p| p.into_inner());
        }
        drop(n);
        // SAFETY: no call is using it any more; it came from Box::into_raw.
        unsafe { super::free_handle(rx) };
    })
}

/// The receiver's metrics in the Prometheus text format (`cinnox_webhook_requests_total`,
/// `cinnox_handler_duration_seconds`, `cinnox_connections_open`, …; with an inbox its
/// gauges). On success `*out` is a new NUL-terminated string the caller owns and frees
/// with `cinnox_string_free`. `CINNOX_ERR_NULL_ARGUMENT` for a NULL pointer. Thread-safe;
/// with an inbox it runs one small query.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_metrics(
    rx: *const cinnox_receiver,
    out: *mut *mut c_char,
) -> cinnox_result {
    call(|| {
        // SAFETY: the caller passes NULL or a live receiver.
        let rx = unsafe { arg_ref(rx, "rx") }?;
        let out = arg_out(out, "out")?;
        // The exposition holds no NUL.
        let text = CString::new(rx.receiver().metrics()).unwrap_or_else(|_| CString::from(c""));
        // SAFETY: `out` was checked non-NULL.
        unsafe { out.write(text.into_raw()) };
        Ok(())
    })
}

/// The port `GET /metrics` is served on (`cinnox_receiver_config_builder_set_metrics_bind`; tells
/// the port after binding port 0); 0 when the receiver serves no metrics or `rx` is NULL.
/// Thread-safe, never blocks.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_metrics_port(rx: *const cinnox_receiver) -> u16 {
    get(0, || {
        // SAFETY: the caller passes NULL or a live receiver.
        match unsafe { rx.as_ref() } {
            Some(rx) => rx.receiver().metrics_addr().map_or(0, |a| a.port()),
            None => 0,
        }
    })
}
