//! A receiver's settings, built, in C: `cinnox_receiver_config_*`.
//!
//! A `cinnox_receiver_config` made by `cinnox_receiver_config_builder_build` never changes.
//! The 0.1 functions that made one and changed it in place stay for 0.2 as deprecated
//! aliases of the builder's; they refuse to change a built configuration.

use std::ffi::c_char;

use super::inbox::cinnox_inbox;
use super::receiver_config_builder::Settings;
use super::{arg_mut, arg_out, arg_str, call, get, put_handle, Failure, FfiResult};
use crate::ffi::cinnox_result;
use crate::receiver::ReceiverConfig;
use crate::webhook::WebhookConfig;

/// The settings of a receiver, checked and immutable: made by
/// `cinnox_receiver_config_builder_build`, used (copied) by `cinnox_receiver_new_with_config`
/// and `cinnox_webhook_new`, freed by `cinnox_receiver_config_free`. Thread-safe: any number
/// of threads may use one configuration at once.
pub struct cinnox_receiver_config {
    settings: Settings,
    /// What the builder made; `None` for a 0.1-style configuration from the deprecated
    /// `cinnox_receiver_config_new`, which its deprecated setters may still change.
    built: Option<ReceiverConfig>,
}

impl cinnox_receiver_config {
    /// The immutable configuration of `settings`, checked whole.
    pub(crate) fn built(settings: Settings) -> Result<cinnox_receiver_config, Failure> {
        let built = settings.build()?;
        Ok(cinnox_receiver_config {
            settings,
            built: Some(built),
        })
    }

    /// The webhook policy part.
    pub(crate) fn webhook_config(&self) -> &WebhookConfig {
        &self.settings.webhook
    }

    /// The configuration a receiver is made with.
    pub(crate) fn receiver_config(&self) -> Result<ReceiverConfig, Failure> {
        match &self.built {
            Some(config) => Ok(config.clone()),
            None => self.settings.build(),
        }
    }
}

/// Free a receiver config. NULL does nothing. Receivers made from it are not affected.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_config_free(config: *mut cinnox_receiver_config) {
    // SAFETY: the caller passes NULL or a handle from this library, freed once.
    get((), || unsafe { super::free_handle(config) })
}

/// Make a 0.1-style receiver config answering only on `path`, with the defaults.
/// Deprecated: use `cinnox_receiver_config_builder_new` and
/// `cinnox_receiver_config_builder_build`. `path` is copied; on success `*out` is a new
/// config the caller owns and frees with `cinnox_receiver_config_free`; errors as for
/// `cinnox_receiver_config_builder_new`.
#[no_mangle]
#[deprecated(since = "0.2.0", note = "use cinnox_receiver_config_builder_new")]
pub unsafe extern "C" fn cinnox_receiver_config_new(
    path: *const c_char,
    out: *mut *mut cinnox_receiver_config,
) -> cinnox_result {
    call(|| {
        let out = arg_out(out, "out")?;
        // SAFETY: the caller passes NULL or a NUL-terminated string.
        let path = unsafe { arg_str(path, "path") }?;
        let config = cinnox_receiver_config {
            settings: Settings::new(path)?,
            built: None,
        };
        // SAFETY: `out` was checked non-NULL.
        unsafe { put_handle(out, config) };
        Ok(())
    })
}

/// Apply `change` to a 0.1-style config; a built one is refused.
///
/// # Safety
/// `config` is NULL or a live configuration used by no other thread.
unsafe fn with_legacy(
    config: *mut cinnox_receiver_config,
    change: impl FnOnce(&mut Settings) -> FfiResult,
) -> cinnox_result {
    call(|| {
        // SAFETY: forwarded caller promise.
        let config = unsafe { arg_mut(config, "config") }?;
        if config.built.is_some() {
            return Err(crate::Error::invalid_argument(
                "a built cinnox_receiver_config never changes: give the setting to its \
                 cinnox_receiver_config_builder",
            )
            .into());
        }
        change(&mut config.settings)
    })
}

/// Deprecated: `cinnox_receiver_config_builder_set_max_body` on a 0.1-style config.
/// `CINNOX_ERR_INVALID_ARGUMENT` on a built config.
#[no_mangle]
#[deprecated(
    since = "0.2.0",
    note = "use cinnox_receiver_config_builder_set_max_body"
)]
pub unsafe extern "C" fn cinnox_receiver_config_set_max_body(
    config: *mut cinnox_receiver_config,
    bytes: usize,
) -> cinnox_result {
    // SAFETY: forwarded caller promise.
    unsafe { with_legacy(config, |s| s.max_body(bytes)) }
}

/// Deprecated: `cinnox_receiver_config_builder_allow_source` on a 0.1-style config.
/// `CINNOX_ERR_INVALID_ARGUMENT` on a built config.
#[no_mangle]
#[deprecated(
    since = "0.2.0",
    note = "use cinnox_receiver_config_builder_allow_source"
)]
pub unsafe extern "C" fn cinnox_receiver_config_allow_source(
    config: *mut cinnox_receiver_config,
    cidr: *const c_char,
) -> cinnox_result {
    // SAFETY: forwarded caller promises.
    unsafe { with_legacy(config, |s| s.allow_source(cidr)) }
}

/// Deprecated: `cinnox_receiver_config_builder_trust_proxy` on a 0.1-style config.
/// `CINNOX_ERR_INVALID_ARGUMENT` on a built config.
#[no_mangle]
#[deprecated(
    since = "0.2.0",
    note = "use cinnox_receiver_config_builder_trust_proxy"
)]
pub unsafe extern "C" fn cinnox_receiver_config_trust_proxy(
    config: *mut cinnox_receiver_config,
    cidr: *const c_char,
) -> cinnox_result {
    // SAFETY: forwarded caller promises.
    unsafe { with_legacy(config, |s| s.trust_proxy(cidr)) }
}

/// Deprecated: `cinnox_receiver_config_builder_set_dedup_window` on a 0.1-style config.
/// `CINNOX_ERR_INVALID_ARGUMENT` on a built config.
#[no_mangle]
#[deprecated(
    since = "0.2.0",
    note = "use cinnox_receiver_config_builder_set_dedup_window"
)]
pub unsafe extern "C" fn cinnox_receiver_config_set_dedup_window(
    config: *mut cinnox_receiver_config,
    window_ms: u32,
) -> cinnox_result {
    // SAFETY: forwarded caller promise.
    unsafe { with_legacy(config, |s| s.dedup_window(window_ms)) }
}

/// Deprecated: `cinnox_receiver_config_builder_set_dedup_capacity` on a 0.1-style config.
/// `CINNOX_ERR_INVALID_ARGUMENT` on a built config.
#[no_mangle]
#[deprecated(
    since = "0.2.0",
    note = "use cinnox_receiver_config_builder_set_dedup_capacity"
)]
pub unsafe extern "C" fn cinnox_receiver_config_set_dedup_capacity(
    config: *mut cinnox_receiver_config,
    entries: usize,
) -> cinnox_result {
    // SAFETY: forwarded caller promise.
    unsafe { with_legacy(config, |s| s.dedup_capacity(entries)) }
}

/// Deprecated: `cinnox_receiver_config_builder_set_timeouts` on a 0.1-style config.
/// `CINNOX_ERR_INVALID_ARGUMENT` on a built config.
#[no_mangle]
#[deprecated(
    since = "0.2.0",
    note = "use cinnox_receiver_config_builder_set_timeouts"
)]
pub unsafe extern "C" fn cinnox_receiver_config_set_timeouts(
    config: *mut cinnox_receiver_config,
    read_timeout_ms: u32,
    idle_timeout_ms: u32,
    shutdown_grace_ms: u32,
) -> cinnox_result {
    // SAFETY: forwarded caller promise.
    unsafe {
        with_legacy(config, |s| {
            s.timeouts(read_timeout_ms, idle_timeout_ms, shutdown_grace_ms)
        })
    }
}

/// Deprecated: `cinnox_receiver_config_builder_set_max_connections` on a 0.1-style config.
/// `CINNOX_ERR_INVALID_ARGUMENT` on a built config.
#[no_mangle]
#[deprecated(
    since = "0.2.0",
    note = "use cinnox_receiver_config_builder_set_max_connections"
)]
pub unsafe extern "C" fn cinnox_receiver_config_set_max_connections(
    config: *mut cinnox_receiver_config,
    connections: usize,
) -> cinnox_result {
    // SAFETY: forwarded caller promise.
    unsafe { with_legacy(config, |s| s.max_connections(connections)) }
}

/// Deprecated: `cinnox_receiver_config_builder_set_io_threads` on a 0.1-style config.
/// `CINNOX_ERR_INVALID_ARGUMENT` on a built config.
#[no_mangle]
#[deprecated(
    since = "0.2.0",
    note = "use cinnox_receiver_config_builder_set_io_threads"
)]
pub unsafe extern "C" fn cinnox_receiver_config_set_io_threads(
    config: *mut cinnox_receiver_config,
    threads: usize,
) -> cinnox_result {
    // SAFETY: forwarded caller promise.
    unsafe { with_legacy(config, |s| s.io_threads(threads)) }
}

/// Deprecated: `cinnox_receiver_config_builder_set_header_timeout` on a 0.1-style config.
/// `CINNOX_ERR_INVALID_ARGUMENT` on a built config.
#[no_mangle]
#[deprecated(
    since = "0.2.0",
    note = "use cinnox_receiver_config_builder_set_header_timeout"
)]
pub unsafe extern "C" fn cinnox_receiver_config_set_header_timeout(
    config: *mut cinnox_receiver_config,
    timeout_ms: u32,
) -> cinnox_result {
    // SAFETY: forwarded caller promise.
    unsafe { with_legacy(config, |s| s.header_timeout(timeout_ms)) }
}

/// Deprecated: `cinnox_receiver_config_builder_set_per_source_limit` on a 0.1-style config.
/// `CINNOX_ERR_INVALID_ARGUMENT` on a built config.
#[no_mangle]
#[deprecated(
    since = "0.2.0",
    note = "use cinnox_receiver_config_builder_set_per_source_limit"
)]
pub unsafe extern "C" fn cinnox_receiver_config_set_per_source_limit(
    config: *mut cinnox_receiver_config,
    connections: usize,
) -> cinnox_result {
    // SAFETY: forwarded caller promise.
    unsafe { with_legacy(config, |s| s.per_source_limit(connections)) }
}

/// Deprecated: `cinnox_receiver_config_builder_set_metrics_bind` on a 0.1-style config.
/// `CINNOX_ERR_INVALID_ARGUMENT` on a built config.
#[no_mangle]
#[deprecated(
    since = "0.2.0",
    note = "use cinnox_receiver_config_builder_set_metrics_bind"
)]
pub unsafe extern "C" fn cinnox_receiver_config_set_metrics_bind(
    config: *mut cinnox_receiver_config,
    addr: *const c_char,
) -> cinnox_result {
    // SAFETY: forwarded caller promises.
    unsafe { with_legacy(config, |s| s.metrics_bind(addr)) }
}

/// Deprecated: `cinnox_receiver_config_builder_set_inbox` on a 0.1-style config.
/// `CINNOX_ERR_INVALID_ARGUMENT` on a built config.
#[no_mangle]
#[deprecated(since = "0.2.0", note = "use cinnox_receiver_config_builder_set_inbox")]
pub unsafe extern "C" fn cinnox_receiver_config_set_inbox(
    config: *mut cinnox_receiver_config,
    inbox: *const cinnox_inbox,
) -> cinnox_result {
    // SAFETY: forwarded caller promises.
    unsafe { with_legacy(config, |s| s.inbox(inbox)) }
}
