//! An inbox being opened, in C: `cinnox_inbox_builder_*`.
//!
//! The settings an inbox lives by (today its retry schedule) are given before it opens, so
//! no function changes a live inbox under the threads using it.

use std::ffi::c_char;
use std::time::Duration;

use super::inbox::cinnox_inbox;
use super::{
    arg_mut, arg_out, arg_str, call, cinnox_result, get, put_handle, take_handle, Failure,
};
use crate::inbox::{Inbox, InboxConfig, InboxConfigBuilder, RetrySchedule};

/// An inbox's settings before it opens: its location and its retry schedule. Made by
/// `cinnox_inbox_builder_new`, given settings by `cinnox_inbox_builder_set_*`, opened by
/// `cinnox_inbox_builder_build`, or freed by `cinnox_inbox_builder_free`. Not thread-safe:
/// one thread at a time may use a builder.
pub struct cinnox_inbox_builder {
    location: String,
    config: InboxConfigBuilder,
}

/// Start the settings of the inbox at `location` (a file path for SQLite, or a
/// `postgres://` URL when the library has PostgreSQL), with the default retry schedule
/// (`CINNOX_DEFAULT_INBOX_MAX_ATTEMPTS` attempts, waiting `CINNOX_DEFAULT_INBOX_FIRST_DELAY_MS`
/// after the first failure, doubling up to `CINNOX_DEFAULT_INBOX_MAX_DELAY_MS`). Opens
/// nothing yet. `location` is copied; on success `*out` is a new builder the caller owns.
/// `CINNOX_ERR_NULL_ARGUMENT` for a NULL pointer, `CINNOX_ERR_INVALID_ARGUMENT` for an
/// empty or non-UTF-8 `location`.
#[no_mangle]
pub unsafe extern "C" fn cinnox_inbox_builder_new(
    location: *const c_char,
    out: *mut *mut cinnox_inbox_builder,
) -> cinnox_result {
    call(|| {
        let out = arg_out(out, "out")?;
        // SAFETY: the caller passes NULL or a NUL-terminated string.
        let location = unsafe { arg_str(location, "location") }?;
        if location.is_empty() {
            return Err(crate::Error::invalid_argument("the inbox location is empty").into());
        }
        let builder = cinnox_inbox_builder {
            location: location.to_owned(),
            config: InboxConfig::builder(),
        };
        // SAFETY: `out` was checked non-NULL.
        unsafe { put_handle(out, builder) };
        Ok(())
    })
}

/// The retry schedule: `max_attempts` attempts in all (at least 1), waiting
/// `first_delay_ms` after the first failure, doubling up to `max_delay_ms`; after the last
/// failed attempt an event is dead. `CINNOX_ERR_NULL_ARGUMENT` when `builder` is NULL,
/// `CINNOX_ERR_INVALID_ARGUMENT` for 0 attempts or `max_delay_ms < first_delay_ms` (the
/// builder is then unchanged).
#[no_mangle]
pub unsafe extern "C" fn cinnox_inbox_builder_set_retry(
    builder: *mut cinnox_inbox_builder,
    max_attempts: u32,
    first_delay_ms: u32,
    max_delay_ms: u32,
) -> cinnox_result {
    call(|| {
        // SAFETY: the caller passes NULL or a live builder used by no other thread.
        let b = unsafe { arg_mut(builder, "builder") }?;
        let retry = retry_schedule(max_attempts, first_delay_ms, max_delay_ms)?;
        b.config = b.config.clone().retry(retry);
        Ok(())
    })
}

/// The schedule of `cinnox_inbox_builder_set_retry`'s arguments.
pub(crate) fn retry_schedule(
    max_attempts: u32,
    first_delay_ms: u32,
    max_delay_ms: u32,
) -> Result<RetrySchedule, Failure> {
    Ok(RetrySchedule::builder()
        .max_attempts(max_attempts)
        .first_delay(Duration::from_millis(first_delay_ms.into()))
        .max_delay(Duration::from_millis(max_delay_ms.into()))
        .build()?)
}

/// Open (creating it if needed) the inbox the builder describes, as `cinnox_inbox_open`
/// does. The builder is consumed and freed whatever the result. On success `*out` is a new
/// inbox the caller owns and frees with `cinnox_inbox_free`. `CINNOX_ERR_NULL_ARGUMENT` for
/// a NULL pointer (a NULL `out` still frees the builder), `CINNOX_ERR_IO` when the store
/// cannot be opened or written. Blocks while it opens.
#[no_mangle]
pub unsafe extern "C" fn cinnox_inbox_builder_build(
    builder: *mut cinnox_inbox_builder,
    out: *mut *mut cinnox_inbox,
) -> cinnox_result {
    call(|| {
        // SAFETY: the caller passes NULL or a live builder, used by no other thread, and
        // gives up its ownership here.
        let builder = unsafe { take_handle(builder, "builder") }?;
        let out = arg_out(out, "out")?;
        let config = builder.config.build()?;
        let inbox = Inbox::open_with(&builder.location, &config)?;
        // SAFETY: `out` was checked non-NULL.
        unsafe { put_handle(out, cinnox_inbox::new(inbox)) };
        Ok(())
    })
}

/// Free a builder that was not built. NULL does nothing.
#[no_mangle]
pub unsafe extern "C" fn cinnox_inbox_builder_free(builder: *mut cinnox_inbox_builder) {
    // SAFETY: the caller passes NULL or a handle from this library, freed once.
    get((), || unsafe { super::free_handle(builder) })
}
