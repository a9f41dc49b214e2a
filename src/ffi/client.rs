//! The subscription client in C: `cinnox_client_*` and `cinnox_subscription_*`.

use std::ffi::{c_char, CString};
use std::sync::Mutex;
use std::time::Duration;

use super::{
    arg_out, arg_ref, arg_str, call, cinnox_event_kind, event_kind, get, opt_ptr, put_handle,
    to_cstring, FfiResult,
};
use crate::client::{Client, ClientBuilder, RetryPolicy, Subscription};
use crate::ffi::cinnox_result;
use crate::EventKind;

/// A CINNOX subscription client: the base URL and App Token of one account.
///
/// Made by `cinnox_client_new`, freed by `cinnox_client_free`. Thread-safe: any number of
/// threads may call any `cinnox_client_*` function on one client at once (a setter affects
/// the requests that start after it returns). Its settings are never printed: the App Token
/// appears in no message.
pub struct cinnox_client {
    /// The builder the client was made from, kept so that a setter can rebuild it, and the
    /// client.
    state: Mutex<(ClientBuilder, Client)>,
}

impl cinnox_client {
    fn current(&self) -> Client {
        match self.state.lock() {
            Ok(s) => s.1.clone(),
            Err(poisoned) => poisoned.into_inner().1.clone(),
        }
    }

    /// Apply `change` to the builder and rebuild the client; on failure both stay as they
    /// were.
    fn update(&self, change: impl FnOnce(ClientBuilder) -> ClientBuilder) -> FfiResult {
        let mut guard = match self.state.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (builder, client) = &mut *guard;
        let next = change(builder.clone());
        *client = next.clone().build()?;
        *builder = next;
        Ok(())
    }
}

/// A subscription as CINNOX reported it. Made by `cinnox_client_set_subscription` and its
/// shorthands, freed by `cinnox_subscription_free`. Immutable; thread-safe to read.
pub struct cinnox_subscription {
    enabled: bool,
    url: CString,
    updated_at: Option<CString>,
}

impl cinnox_subscription {
    fn from_rust(s: Subscription) -> Result<cinnox_subscription, super::Failure> {
        Ok(cinnox_subscription {
            enabled: s.enabled,
            url: to_cstring(&s.url, "the subscription URL CINNOX answered")?,
            updated_at: match &s.updated_at {
                Some(t) => Some(to_cstring(t, "the updatedAt CINNOX answered")?),
                None => None,
            },
        })
    }
}

/// Make a client for the CINNOX Open API at `base_url` (the per-account base URL shown in
/// the dashboard, e.g. `"https://example.cinnox.com"`) with the App Token `app_token`.
///
/// Default settings: connect timeout 10 s, request timeout 30 s, 4 attempts with backoff.
/// Both strings are copied. On success `*out` is a new client the caller owns and frees with
/// `cinnox_client_free`. `CINNOX_ERR_NULL_ARGUMENT` when a pointer is NULL,
/// `CINNOX_ERR_INVALID_ARGUMENT` when a string is not UTF-8, the base URL is not an absolute
/// http(s) URL or the token is empty. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn cinnox_client_new(
    base_url: *const c_char,
    app_token: *const c_char,
    out: *mut *mut cinnox_client,
) -> cinnox_result {
    call(|| {
        let out = arg_out(out, "out")?;
        // SAFETY: the caller passes NULL or NUL-terminated strings.
        let base_url = unsafe { arg_str(base_url, "base_url") }?;
        // SAFETY: as above.
        let app_token = unsafe { arg_str(app_token, "app_token") }?;
        let builder = Client::builder(base_url, app_token);
        let client = builder.clone().build()?;
        // SAFETY: `out` was checked non-NULL.
        unsafe {
            put_handle(
                out,
                cinnox_client {
                    state: Mutex::new((builder, client)),
                },
            )
        };
        Ok(())
    })
}

/// Free a client. NULL does nothing. The caller must ensure no other thread is using it.
#[no_mangle]
pub unsafe extern "C" fn cinnox_client_free(client: *mut cinnox_client) {
    // SAFETY: the caller passes NULL or a handle from cinnox_client_new, freed once.
    get((), || unsafe { super::free_handle(client) })
}

/// Set the connect timeout and the timeout of each step of an attempt (sending the request,
/// waiting for the reply, reading its body), in milliseconds (0 keeps the current value). `CINNOX_ERR_NULL_ARGUMENT` when `client` is NULL. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn cinnox_client_set_timeouts(
    client: *const cinnox_client,
    connect_timeout_ms: u32,
    timeout_ms: u32,
) -> cinnox_result {
    call(|| {
        // SAFETY: the caller passes NULL or a live client.
        let client = unsafe { arg_ref(client, "client") }?;
        client.update(|mut b| {
            if connect_timeout_ms > 0 {
                b = b.connect_timeout(Duration::from_millis(connect_timeout_ms.into()));
            }
            if timeout_ms > 0 {
                b = b.timeout(Duration::from_millis(timeout_ms.into()));
            }
            b
        })
    })
}

/// Set how transient failures (connect errors, timeouts, HTTP 429/502/503/504, code
/// 6451010) are retried: `max_attempts` attempts in all (1 = no retry, 0 is invalid), the
/// first delay `base_delay_ms` (doubled each time, with jitter), no delay longer than
/// `max_delay_ms`, no retry after `max_elapsed_ms` since the first attempt.
/// `CINNOX_ERR_NULL_ARGUMENT` when `client` is NULL, `CINNOX_ERR_INVALID_ARGUMENT` for a
/// rejected value. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn cinnox_client_set_retry(
    client: *const cinnox_client,
    max_attempts: u32,
    base_delay_ms: u32,
    max_delay_ms: u32,
    max_elapsed_ms: u32,
) -> cinnox_result {
    call(|| {
        // SAFETY: the caller passes NULL or a live client.
        let client = unsafe { arg_ref(client, "client") }?;
        let policy = RetryPolicy::builder()
            .max_attempts(max_attempts)
            .base_delay(Duration::from_millis(base_delay_ms.into()))
            .max_delay(Duration::from_millis(max_delay_ms.into()))
            .max_elapsed(Duration::from_millis(max_elapsed_ms.into()))
            .build()?;
        client.update(|b| b.retry(policy))
    })
}

/// Set the `User-Agent` header (copied). `CINNOX_ERR_NULL_ARGUMENT` when a pointer is NULL,
/// `CINNOX_ERR_INVALID_ARGUMENT` when it is not UTF-8 or is rejected. Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn cinnox_client_set_user_agent(
    client: *const cinnox_client,
    user_agent: *const c_char,
) -> cinnox_result {
    call(|| {
        // SAFETY: the caller passes NULL or a live client.
        let client = unsafe { arg_ref(client, "client") }?;
        // SAFETY: the caller passes NULL or a NUL-terminated string.
        let ua = unsafe { arg_str(user_agent, "user_agent") }?;
        client.update(|b| b.user_agent(ua))
    })
}

unsafe fn set_subscription(
    client: *const cinnox_client,
    app_id: *const c_char,
    kind: Result<EventKind, super::Failure>,
    enabled: bool,
    url: *const c_char,
    out: *mut *mut cinnox_subscription,
) -> FfiResult {
    // SAFETY: the caller passes NULL or a live client.
    let client = unsafe { arg_ref(client, "client") }?;
    // SAFETY: the caller passes NULL or NUL-terminated strings.
    let app_id = unsafe { arg_str(app_id, "app_id") }?;
    // SAFETY: as above.
    let url = unsafe { arg_str(url, "url") }?;
    let out = arg_out(out, "out")?;
    let kind = kind?;
    let sub = client
        .current()
        .set_subscription(app_id, kind, enabled, url)?;
    let sub = cinnox_subscription::from_rust(sub)?;
    // SAFETY: `out` was checked non-NULL.
    unsafe { put_handle(out, sub) };
    Ok(())
}

/// Create or edit (`enabled` true) or remove (`enabled` false) the subscription of `url` to
/// the family `kind` for the app `app_id`: `PATCH {base}/v1/api/apps/{app_id}/{slug}`.
///
/// CINNOX verifies the URL while handling the request, so the receiver must already be up.
/// Blocks for the request (and its retries). On success `*out` is a new subscription the
/// caller owns and frees with `cinnox_subscription_free`; on failure it is not written and
/// the last error has the message, HTTP status and API code (e.g. 6452000 for an invalid
/// token). `CINNOX_ERR_NULL_ARGUMENT` for a NULL pointer, `CINNOX_ERR_INVALID_ARGUMENT` for
/// non-UTF-8 text, an unknown `kind`, an empty app ID or a URL that is not absolute http(s);
/// then the kinds of a failed request (`_TRANSPORT`, `_TIMEOUT`, `_API`,
/// `_UNEXPECTED_RESPONSE`). Thread-safe.
#[no_mangle]
pub unsafe extern "C" fn cinnox_client_set_subscription(
    client: *const cinnox_client,
    app_id: *const c_char,
    kind: cinnox_event_kind,
    enabled: bool,
    url: *const c_char,
    out: *mut *mut cinnox_subscription,
) -> cinnox_result {
    // SAFETY: forwarded caller promises.
    call(|| unsafe { set_subscription(client, app_id, event_kind(kind), enabled, url, out) })
}

/// `cinnox_client_set_subscription` for a family given by its slug (e.g. a family newer
/// than this library, `"fax-event-sub"`). `slug` is copied; the rest as there.
#[no_mangle]
pub unsafe extern "C" fn cinnox_client_set_subscription_slug(
    client: *const cinnox_client,
    app_id: *const c_char,
    slug: *const c_char,
    enabled: bool,
    url: *const c_char,
    out: *mut *mut cinnox_subscription,
) -> cinnox_result {
    call(|| {
        // SAFETY: the caller passes NULL or a NUL-terminated string.
        let kind = unsafe { arg_str(slug, "slug") }.map(EventKind::from_slug);
        // SAFETY: forwarded caller promises.
        unsafe { set_subscription(client, app_id, kind, enabled, url, out) }
    })
}

/// `cinnox_client_set_subscription(client, app_id, kind, true, url, out)`.
#[no_mangle]
pub unsafe extern "C" fn cinnox_client_subscribe(
    client: *const cinnox_client,
    app_id: *const c_char,
    kind: cinnox_event_kind,
    url: *const c_char,
    out: *mut *mut cinnox_subscription,
) -> cinnox_result {
    // SAFETY: forwarded caller promises.
    call(|| unsafe { set_subscription(client, app_id, event_kind(kind), true, url, out) })
}

/// `cinnox_client_set_subscription(client, app_id, kind, false, url, out)`.
#[no_mangle]
pub unsafe extern "C" fn cinnox_client_unsubscribe(
    client: *const cinnox_client,
    app_id: *const c_char,
    kind: cinnox_event_kind,
    url: *const c_char,
    out: *mut *mut cinnox_subscription,
) -> cinnox_result {
    // SAFETY: forwarded caller promises.
    call(|| unsafe { set_subscription(client, app_id, event_kind(kind), false, url, out) })
}

/// Whether the subscription is active. false when `sub` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_subscription_enabled(sub: *const cinnox_subscription) -> bool {
    // SAFETY: the caller passes NULL or a live subscription.
    get(false, || unsafe { sub.as_ref() }.is_some_and(|s| s.enabled))
}

/// The webhook URL as CINNOX reported it, NUL-terminated, borrowed from `sub` and valid as
/// long as it. NULL when `sub` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_subscription_url(sub: *const cinnox_subscription) -> *const c_char {
    // SAFETY: the caller passes NULL or a live subscription.
    get(std::ptr::null(), || {
        unsafe { sub.as_ref() }.map_or(std::ptr::null(), |s| s.url.as_ptr())
    })
}

/// When the subscription last changed, RFC 3339 text as CINNOX sent it, borrowed from `sub`
/// and valid as long as it. NULL when CINNOX omitted it (some families do) or `sub` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_subscription_updated_at(
    sub: *const cinnox_subscription,
) -> *const c_char {
    // SAFETY: the caller passes NULL or a live subscription.
    get(std::ptr::null(), || {
        unsafe { sub.as_ref() }.map_or(std::ptr::null(), |s| opt_ptr(&s.updated_at))
    })
}

/// Free a subscription. NULL does nothing; the strings it lent become invalid.
#[no_mangle]
pub unsafe extern "C" fn cinnox_subscription_free(sub: *mut cinnox_subscription) {
    // SAFETY: the caller passes NULL or a handle from this library, freed once.
    get((), || unsafe { super::free_handle(sub) })
}
