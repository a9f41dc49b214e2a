//! The subscription client in C: `cinnox_client_*`.
//!
//! A client made by `cinnox_client_builder_build` (or `cinnox_client_new`) keeps its
//! settings. The 0.1 setters that changed a live client stay for 0.2 as deprecated aliases.

use std::ffi::c_char;
use std::sync::Mutex;

use super::client_builder;
use super::subscription::cinnox_subscription;
use super::{
    arg_out, arg_ref, arg_str, call, cinnox_event_kind, event_kind, get, put_handle, Failure,
    FfiResult,
};
use crate::client::{Client, ClientBuilder};
use crate::ffi::cinnox_result;
use crate::EventKind;

/// A CINNOX subscription client: the base URL and App Token of one account.
///
/// Made by `cinnox_client_builder_build` or `cinnox_client_new`, freed by
/// `cinnox_client_free`. Thread-safe: any number of threads may call any `cinnox_client_*`
/// function on one client at once. Its settings are never printed: the App Token appears in
/// no message.
pub struct cinnox_client {
    /// The builder the client was made from, kept so that a deprecated setter can rebuild
    /// it, and the client.
    state: Mutex<(ClientBuilder, Client)>,
}

impl cinnox_client {
    /// The client `builder` makes.
    pub(crate) fn built(builder: ClientBuilder) -> Result<cinnox_client, Failure> {
        let client = builder.clone().build()?;
        Ok(cinnox_client {
            state: Mutex::new((builder, client)),
        })
    }

    fn current(&self) -> Client {
        match self.state.lock() {
            Ok(s) => s.1.clone(),
            Err(poisoned) => poisoned.into_inner().1.clone(),
        }
    }

    /// Apply `change` to the builder and rebuild the client; on failure both stay as they
    /// were. For the deprecated setters only.
    fn update(
        &self,
        change: impl FnOnce(ClientBuilder) -> Result<ClientBuilder, Failure>,
    ) -> FfiResult {
        let mut guard = match self.state.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        let (builder, client) = &mut *guard;
        let next = change(builder.clone())?;
        *client = next.clone().build()?;
        *builder = next;
        Ok(())
    }
}

/// Make a client for the CINNOX Open API at `base_url` with the App Token `app_token` and
/// the default settings: `cinnox_client_builder_new` then `cinnox_client_builder_build`.
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
        let client = cinnox_client::built(Client::builder(base_url, app_token))?;
        // SAFETY: `out` was checked non-NULL.
        unsafe { put_handle(out, client) };
        Ok(())
    })
}

/// Free a client. NULL does nothing. The caller must ensure no other thread is using it.
#[no_mangle]
pub unsafe extern "C" fn cinnox_client_free(client: *mut cinnox_client) {
    // SAFETY: the caller passes NULL or a handle from cinnox_client_new, freed once.
    get((), || unsafe { super::free_handle(client) })
}

/// Deprecated: it changes a live client under the threads using it. Give the timeouts to
/// `cinnox_client_builder_set_timeouts`. Affects the requests that start after it returns.
/// `CINNOX_ERR_NULL_ARGUMENT` when `client` is NULL.
#[no_mangle]
#[deprecated(since = "0.2.0", note = "use cinnox_client_builder_set_timeouts")]
pub unsafe extern "C" fn cinnox_client_set_timeouts(
    client: *const cinnox_client,
    connect_timeout_ms: u32,
    timeout_ms: u32,
) -> cinnox_result {
    call(|| {
        // SAFETY: the caller passes NULL or a live client.
        let client = unsafe { arg_ref(client, "client") }?;
        client.update(|b| Ok(client_builder::timeouts(b, connect_timeout_ms, timeout_ms)))
    })
}

/// Deprecated: it changes a live client under the threads using it. Give the policy to
/// `cinnox_client_builder_set_retry` (same arguments, same errors).
#[no_mangle]
#[deprecated(since = "0.2.0", note = "use cinnox_client_builder_set_retry")]
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
        client.update(|b| {
            client_builder::retry(b, max_attempts, base_delay_ms, max_delay_ms, max_elapsed_ms)
        })
    })
}

/// Deprecated: it changes a live client under the threads using it. Give the header to
/// `cinnox_client_builder_set_user_agent`. `CINNOX_ERR_NULL_ARGUMENT` when a pointer is
/// NULL, `CINNOX_ERR_INVALID_ARGUMENT` when it is not UTF-8 or is rejected.
#[no_mangle]
#[deprecated(since = "0.2.0", note = "use cinnox_client_builder_set_user_agent")]
pub unsafe extern "C" fn cinnox_client_set_user_agent(
    client: *const cinnox_client,
    user_agent: *const c_char,
) -> cinnox_result {
    call(|| {
        // SAFETY: the caller passes NULL or a live client.
        let client = unsafe { arg_ref(client, "client") }?;
        // SAFETY: the caller passes NULL or a NUL-terminated string.
        let ua = unsafe { arg_str(user_agent, "user_agent") }?;
        client.update(|b| Ok(b.user_agent(ua)))
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
