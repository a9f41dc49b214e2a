//! A subscription client being made, in C: `cinnox_client_builder_*`.
//!
//! rustls-ffi's shape: the settings go to a builder, `cinnox_client_builder_build` makes a
//! `cinnox_client` that no function changes afterwards.

use std::ffi::c_char;
use std::time::Duration;

use super::client::cinnox_client;
use super::{
    arg_mut, arg_out, arg_str, call, cinnox_result, get, put_handle, take_handle, Failure,
};
use crate::client::{Client, ClientBuilder, RetryPolicy};

/// A subscription client's settings before it is made: the account's base URL and App
/// Token, timeouts, retries, `User-Agent`. Made by `cinnox_client_builder_new`, given
/// settings by `cinnox_client_builder_set_*`, turned into a client by
/// `cinnox_client_builder_build`, or freed by `cinnox_client_builder_free`. Not
/// thread-safe: one thread at a time may use a builder. Its settings are never printed: the
/// App Token appears in no message.
pub struct cinnox_client_builder {
    builder: ClientBuilder,
}

/// Start a client for the CINNOX Open API at `base_url` (the per-account base URL shown in
/// the dashboard, e.g. `"https://example.cinnox.com"`) with the App Token `app_token`, and
/// the default settings: connect timeout `CINNOX_DEFAULT_CONNECT_TIMEOUT_MS`, request
/// timeout `CINNOX_DEFAULT_REQUEST_TIMEOUT_MS`, `CINNOX_DEFAULT_MAX_ATTEMPTS` attempts with
/// backoff. Both strings are copied. On success `*out` is a new builder the caller owns.
/// `CINNOX_ERR_NULL_ARGUMENT` when a pointer is NULL, `CINNOX_ERR_INVALID_ARGUMENT` when a
/// string is not UTF-8 (the URL and token themselves are checked by
/// `cinnox_client_builder_build`).
#[no_mangle]
pub unsafe extern "C" fn cinnox_client_builder_new(
    base_url: *const c_char,
    app_token: *const c_char,
    out: *mut *mut cinnox_client_builder,
) -> cinnox_result {
    call(|| {
        let out = arg_out(out, "out")?;
        // SAFETY: the caller passes NULL or NUL-terminated strings.
        let base_url = unsafe { arg_str(base_url, "base_url") }?;
        // SAFETY: as above.
        let app_token = unsafe { arg_str(app_token, "app_token") }?;
        let builder = cinnox_client_builder {
            builder: Client::builder(base_url, app_token),
        };
        // SAFETY: `out` was checked non-NULL.
        unsafe { put_handle(out, builder) };
        Ok(())
    })
}

/// Apply `change` to a live builder; on failure it stays as it was.
///
/// # Safety
/// `builder` is NULL or a live builder used by no other thread.
unsafe fn with_builder(
    builder: *mut cinnox_client_builder,
    change: impl FnOnce(ClientBuilder) -> Result<ClientBuilder, Failure>,
) -> cinnox_result {
    call(|| {
        // SAFETY: forwarded caller promise.
        let b = unsafe { arg_mut(builder, "builder") }?;
        b.builder = change(b.builder.clone())?;
        Ok(())
    })
}

/// `builder` with the timeouts in milliseconds (0 keeps the current value).
pub(crate) fn timeouts(
    mut builder: ClientBuilder,
    connect_ms: u32,
    timeout_ms: u32,
) -> ClientBuilder {
    if connect_ms > 0 {
        builder = builder.connect_timeout(Duration::from_millis(connect_ms.into()));
    }
    if timeout_ms > 0 {
        builder = builder.timeout(Duration::from_millis(timeout_ms.into()));
    }
    builder
}

/// `builder` with the retry policy of the arguments, checked.
pub(crate) fn retry(
    builder: ClientBuilder,
    max_attempts: u32,
    base_delay_ms: u32,
    max_delay_ms: u32,
    max_elapsed_ms: u32,
) -> Result<ClientBuilder, Failure> {
    let policy = RetryPolicy::builder()
        .max_attempts(max_attempts)
        .base_delay(Duration::from_millis(base_delay_ms.into()))
        .max_delay(Duration::from_millis(max_delay_ms.into()))
        .max_elapsed(Duration::from_millis(max_elapsed_ms.into()))
        .build()?;
    Ok(builder.retry(policy))
}

/// The connect timeout and the timeout of each step of an attempt (sending the request,
/// waiting for the reply, reading its body), in milliseconds (0 keeps the current value).
/// `CINNOX_ERR_NULL_ARGUMENT` when `builder` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_client_builder_set_timeouts(
    builder: *mut cinnox_client_builder,
    connect_timeout_ms: u32,
    timeout_ms: u32,
) -> cinnox_result {
    // SAFETY: forwarded caller promise.
    unsafe { with_builder(builder, |b| Ok(timeouts(b, connect_timeout_ms, timeout_ms))) }
}

/// How transient failures (connect errors, timeouts, HTTP 429/502/503/504, code 6451010)
/// are retried: `max_attempts` attempts in all (1 = no retry, 0 is invalid), the first
/// delay `base_delay_ms` (doubled each time, with jitter), no delay longer than
/// `max_delay_ms`, no retry after `max_elapsed_ms` since the first attempt.
/// `CINNOX_ERR_NULL_ARGUMENT` when `builder` is NULL, `CINNOX_ERR_INVALID_ARGUMENT` for a
/// rejected value (the builder is then unchanged).
#[no_mangle]
pub unsafe extern "C" fn cinnox_client_builder_set_retry(
    builder: *mut cinnox_client_builder,
    max_attempts: u32,
    base_delay_ms: u32,
    max_delay_ms: u32,
    max_elapsed_ms: u32,
) -> cinnox_result {
    // SAFETY: forwarded caller promise.
    unsafe {
        with_builder(builder, |b| {
            retry(b, max_attempts, base_delay_ms, max_delay_ms, max_elapsed_ms)
        })
    }
}

/// The `User-Agent` header (copied; checked by `cinnox_client_builder_build`).
/// `CINNOX_ERR_NULL_ARGUMENT` when a pointer is NULL, `CINNOX_ERR_INVALID_ARGUMENT` when it
/// is not UTF-8.
#[no_mangle]
pub unsafe extern "C" fn cinnox_client_builder_set_user_agent(
    builder: *mut cinnox_client_builder,
    user_agent: *const c_char,
) -> cinnox_result {
    // SAFETY: forwarded caller promises: `builder` is NULL or live, `user_agent` NULL or
    // a NUL-terminated string.
    unsafe {
        with_builder(builder, |b| {
            let ua = arg_str(user_agent, "user_agent")?;
            Ok(b.user_agent(ua))
        })
    }
}

/// Check every setting and make the client. The builder is consumed and freed whatever the
/// result. On success `*out` is a new client the caller owns and frees with
/// `cinnox_client_free`. `CINNOX_ERR_NULL_ARGUMENT` for a NULL pointer (a NULL `out` still
/// frees the builder), `CINNOX_ERR_INVALID_ARGUMENT` when the base URL is not an absolute
/// http(s) URL, the token is empty or the `User-Agent` is rejected.
#[no_mangle]
pub unsafe extern "C" fn cinnox_client_builder_build(
    builder: *mut cinnox_client_builder,
    out: *mut *mut cinnox_client,
) -> cinnox_result {
    call(|| {
        // SAFETY: the caller passes NULL or a live builder, used by no other thread, and
        // gives up its ownership here.
        let builder = unsafe { take_handle(builder, "builder") }?;
        let out = arg_out(out, "out")?;
        let client = cinnox_client::built(builder.builder)?;
        // SAFETY: `out` was checked non-NULL.
        unsafe { put_handle(out, client) };
        Ok(())
    })
}

/// Free a builder that was not built. NULL does nothing.
#[no_mangle]
pub unsafe extern "C" fn cinnox_client_builder_free(builder: *mut cinnox_client_builder) {
    // SAFETY: the caller passes NULL or a handle from this library, freed once.
    get((), || unsafe { super::free_handle(builder) })
}
