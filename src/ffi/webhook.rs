//! The HTTP-agnostic verifier in C, for programs with their own HTTP server:
//! `cinnox_webhook_*`.

use std::ffi::c_char;
use std::net::IpAddr;
use std::ptr;

use super::event::cinnox_event;
use super::receiver_config::cinnox_receiver_config;
use super::reply::cinnox_reply;
use super::{arg_out, arg_ref, arg_str, call, get, put_handle, Failure};
use crate::ffi::cinnox_result;
use crate::webhook::{Outcome, Request, Verdict, Webhook};

/// One HTTP header: NUL-terminated UTF-8 name and value.
#[repr(C)]
#[derive(Debug, Clone, Copy)]
pub struct cinnox_header {
    /// The header name (any case).
    pub name: *const c_char,
    /// The header value.
    pub value: *const c_char,
}

/// The verifier a `cinnox_receiver` uses, without the server: for programs that run their
/// own HTTP server (nginx + FastCGI, Boost.Beast, …). It checks the source, the path (the
/// secret), the method, the media type and the size, answers challenges, spots redeliveries,
/// parses events, and turns the application's answer into the reply to send.
///
/// Made by `cinnox_webhook_new`, freed by `cinnox_webhook_free`. Thread-safe: any number of
/// threads may call `cinnox_webhook_handle` and `cinnox_webhook_finish` on one verifier.
pub struct cinnox_webhook {
    webhook: Webhook,
}

/// Make a verifier with the webhook settings of `config` (path, body cap, sources, proxies,
/// duplicate window; the server settings are not used). `config` is copied. On success
/// `*out` is a new verifier the caller owns and frees with `cinnox_webhook_free`.
/// `CINNOX_ERR_NULL_ARGUMENT` when a pointer is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_webhook_new(
    config: *const cinnox_receiver_config,
    out: *mut *mut cinnox_webhook,
) -> cinnox_result {
    call(|| {
        // SAFETY: the caller passes NULL or a live config.
        let config = unsafe { arg_ref(config, "config") }?;
        let out = arg_out(out, "out")?;
        let webhook = Webhook::new(config.webhook_config().clone());
        // SAFETY: `out` was checked non-NULL.
        unsafe { put_handle(out, cinnox_webhook { webhook }) };
        Ok(())
    })
}

/// Free a verifier. NULL does nothing. Events and replies it made stay valid.
#[no_mangle]
pub unsafe extern "C" fn cinnox_webhook_free(wh: *mut cinnox_webhook) {
    // SAFETY: the caller passes NULL or a handle from cinnox_webhook_new, freed once.
    get((), || unsafe { super::free_handle(wh) })
}

/// Verify one HTTP request and say what to do with it.
///
/// `method` (e.g. `"POST"`), `target` (the request target: path and query) and the
/// `header_count` entries of `headers` are as received (`headers` may be NULL when the count
/// is 0); `peer` is the TCP peer's IP address as text (`"203.0.113.7"`, `"::1"`) or NULL
/// when unknown; `body` is `body_len` bytes (NULL allowed when the length is 0). All are
/// read during the call only.
///
/// On success exactly one of the outputs is written, the other set to NULL: `*reply` when
/// the request is answered at once (a challenge, a refusal, a redelivery already handled);
/// send it and free it with `cinnox_reply_free`. Or `*event` when the application must
/// handle an event: handle it, then call `cinnox_webhook_finish` for the reply to send, then
/// free the event with `cinnox_event_free`.
///
/// `CINNOX_ERR_NULL_ARGUMENT` for a NULL required pointer, `CINNOX_ERR_INVALID_ARGUMENT`
/// for text that is not UTF-8 or a `peer` that is not an IP address. A bad request is not
/// an error: it gets a refusal reply. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn cinnox_webhook_handle(
    wh: *const cinnox_webhook,
    method: *const c_char,
    target: *const c_char,
    headers: *const cinnox_header,
    header_count: usize,
    peer: *const c_char,
    body: *const u8,
    body_len: usize,
    reply: *mut *mut cinnox_reply,
    event: *mut *mut cinnox_event,
) -> cinnox_result {
    call(|| {
        // SAFETY (all the reads below): the caller passes NULL or live, NUL-terminated
        // strings and arrays of the stated lengths.
        let wh = unsafe { arg_ref(wh, "wh") }?;
        let method = unsafe { arg_str(method, "method") }?;
        let target = unsafe { arg_str(target, "target") }?;
        let reply = arg_out(reply, "reply")?;
        let event = arg_out(event, "event")?;
        let headers: &[cinnox_header] = if header_count == 0 {
            &[]
        } else if headers.is_null() {
            return Err(Failure::null("headers"));
        } else {
            unsafe { std::slice::from_raw_parts(headers, header_count) }
        };
        let mut fields = Vec::with_capacity(headers.len());
        for h in headers {
            let name = unsafe { arg_str(h.name, "headers[].name") }?;
            let value = unsafe { arg_str(h.value, "headers[].value") }?;
            fields.push((name, value));
        }
        let peer = if peer.is_null() {
            None
        } else {
            let text = unsafe { arg_str(peer, "peer") }?;
            Some(
                text.parse::<IpAddr>()
                    .map_err(|_| Failure::invalid("`peer` is not an IP address"))?,
            )
        };
        let body: &[u8] = if body_len == 0 {
            &[]
        } else if body.is_null() {
            return Err(Failure::null("body"));
        } else {
            unsafe { std::slice::from_raw_parts(body, body_len) }
        };
        let request = Request {
            method,
            path: target,
            headers: &fields,
            peer,
            body,
        };
        match wh.webhook.handle(&request) {
            Outcome::Respond(r) => {
                // SAFETY: both outputs were checked non-NULL.
                unsafe {
                    put_handle(reply, cinnox_reply::from_rust(r));
                    event.write(ptr::null_mut());
                }
            }
            Outcome::Deliver(e) => {
                // SAFETY: as above.
                unsafe {
                    event.write(cinnox_event::from_event(e));
                    reply.write(ptr::null_mut());
                }
            }
        }
        Ok(())
    })
}

/// The reply to send for an event `cinnox_webhook_handle` gave: `handled` true gives 200
/// (and remembers the event, so that a redelivery is answered without reaching the
/// application again), false gives 500 (so that CINNOX may deliver it again). On success
/// `*out` is a new reply the caller frees with `cinnox_reply_free`; the event is not
/// consumed. `CINNOX_ERR_NULL_ARGUMENT` for a NULL pointer, `CINNOX_ERR_WRONG_TYPE` for a
/// challenge. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn cinnox_webhook_finish(
    wh: *const cinnox_webhook,
    ev: *const cinnox_event,
    handled: bool,
    out: *mut *mut cinnox_reply,
) -> cinnox_result {
    call(|| {
        // SAFETY: the caller passes NULL or live handles.
        let wh = unsafe { arg_ref(wh, "wh") }?;
        // SAFETY: as above.
        let ev = unsafe { arg_ref(ev, "ev") }?;
        let out = arg_out(out, "out")?;
        let event = ev.rust_event().ok_or_else(|| {
            Failure::new(
                cinnox_result::CINNOX_ERR_WRONG_TYPE,
                "a challenge is answered by cinnox_webhook_handle, not finished",
            )
        })?;
        let verdict = if handled {
            Verdict::Handled
        } else {
            Verdict::Failed
        };
        let reply = cinnox_reply::from_rust(wh.webhook.finish(event, verdict));
        // SAFETY: `out` was checked non-NULL.
        unsafe { put_handle(out, reply) };
        Ok(())
    })
}
