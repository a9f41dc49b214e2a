//! The receiver's settings being made, in C: `cinnox_receiver_config_builder_*`.
//!
//! rustls-ffi's shape: a builder takes the settings one by one, `…_build` checks them all
//! and turns them into a `cinnox_receiver_config` that no function changes afterwards, so
//! one built configuration may be shared by threads and receivers.

use std::ffi::c_char;
use std::net::SocketAddr;
use std::time::Duration;

use super::inbox::cinnox_inbox;
use super::receiver_config::cinnox_receiver_config;
use super::{
    arg_mut, arg_out, arg_ref, arg_str, call, get, put_handle, take_handle, Failure, FfiResult,
};
use crate::ffi::cinnox_result;
use crate::receiver::{ReceiverConfig, ReceiverConfigBuilder};
use crate::webhook::{WebhookConfig, WebhookConfigBuilder};

pub(crate) fn ms(ms: u32) -> Duration {
    Duration::from_millis(ms.into())
}

/// The settings a builder (or a 0.1-style config) holds: the webhook policy, built after
/// every change so that a bad value is refused by the setter that gave it, and the server
/// settings.
#[derive(Clone)]
pub(crate) struct Settings {
    pub(crate) webhook: WebhookConfig,
    webhook_builder: WebhookConfigBuilder,
    server: ReceiverConfigBuilder,
}

impl Settings {
    pub(crate) fn new(path: &str) -> Result<Settings, Failure> {
        let webhook_builder = WebhookConfig::builder(path);
        let webhook = webhook_builder.clone().build()?;
        Ok(Settings {
            server: ReceiverConfig::builder(webhook.clone()),
            webhook,
            webhook_builder,
        })
    }

    /// Every setting checked together: the configuration a receiver is made with.
    pub(crate) fn build(&self) -> Result<ReceiverConfig, Failure> {
        Ok(self.server.clone().webhook(self.webhook.clone()).build()?)
    }

    /// Apply `change` to the webhook policy; on failure nothing changes.
    fn webhook(
        &mut self,
        change: impl FnOnce(WebhookConfigBuilder) -> WebhookConfigBuilder,
    ) -> FfiResult {
        let builder = change(self.webhook_builder.clone());
        self.webhook = builder.clone().build()?;
        self.webhook_builder = builder;
        Ok(())
    }

    /// Apply `set` to the server settings, kept only when they build.
    fn server(
        &mut self,
        set: impl FnOnce(ReceiverConfigBuilder) -> ReceiverConfigBuilder,
    ) -> FfiResult {
        let server = set(self.server.clone());
        server.clone().webhook(self.webhook.clone()).build()?;
        self.server = server;
        Ok(())
    }

    pub(crate) fn max_body(&mut self, bytes: usize) -> FfiResult {
        self.webhook(|w| w.max_body(bytes))
    }

    /// # Safety
    /// `cidr` is NULL or a NUL-terminated string.
    pub(crate) unsafe fn allow_source(&mut self, cidr: *const c_char) -> FfiResult {
        // SAFETY: forwarded caller promise.
        let cidr = unsafe { arg_str(cidr, "cidr") }?;
        self.webhook(|w| w.allow_source(cidr))
    }

    /// # Safety
    /// `cidr` is NULL or a NUL-terminated string.
    pub(crate) unsafe fn trust_proxy(&mut self, cidr: *const c_char) -> FfiResult {
        // SAFETY: forwarded caller promise.
        let cidr = unsafe { arg_str(cidr, "cidr") }?;
        self.webhook(|w| w.trust_proxy(cidr))
    }

    pub(crate) fn dedup_window(&mut self, window_ms: u32) -> FfiResult {
        let window = (window_ms > 0).then(|| ms(window_ms));
        self.webhook(|w| w.dedup_window(window))
    }

    pub(crate) fn dedup_capacity(&mut self, entries: usize) -> FfiResult {
        self.webhook(|w| w.dedup_capacity(entries))
    }

    pub(crate) fn timeouts(&mut self, read_ms: u32, idle_ms: u32, grace_ms: u32) -> FfiResult {
        self.server(|mut s| {
            if read_ms > 0 {
                s = s.read_timeout(ms(read_ms));
            }
            if idle_ms > 0 {
                s = s.idle_timeout(ms(idle_ms));
            }
            if grace_ms > 0 {
                s = s.shutdown_grace(ms(grace_ms));
            }
            s
        })
    }

    pub(crate) fn max_connections(&mut self, connections: usize) -> FfiResult {
        self.server(|s| s.max_connections(connections))
    }

    pub(crate) fn io_threads(&mut self, threads: usize) -> FfiResult {
        self.server(|s| s.io_threads(threads))
    }

    pub(crate) fn header_timeout(&mut self, timeout_ms: u32) -> FfiResult {
        self.server(|s| s.header_timeout(ms(timeout_ms)))
    }

    pub(crate) fn per_source_limit(&mut self, connections: usize) -> FfiResult {
        self.server(|s| s.per_source_limit(connections))
    }

    /// # Safety
    /// `addr` is NULL or a NUL-terminated string.
    pub(crate) unsafe fn metrics_bind(&mut self, addr: *const c_char) -> FfiResult {
        // SAFETY: forwarded caller promise.
        let text = unsafe { arg_str(addr, "addr") }?;
        let parsed: SocketAddr = text.parse().map_err(|_| {
            crate::Error::invalid_argument(format!(
                "the metrics address must be IP:port, such as 127.0.0.1:9100 (got {text:?})"
            ))
        })?;
        self.server(|s| s.metrics_addr(parsed))
    }

    /// # Safety
    /// `inbox` is NULL or a live inbox.
    pub(crate) unsafe fn inbox(&mut self, inbox: *const cinnox_inbox) -> FfiResult {
        // SAFETY: forwarded caller promise.
        let inbox = unsafe { arg_ref(inbox, "inbox") }?;
        self.server = self.server.clone().inbox(inbox.inbox().clone());
        Ok(())
    }
}

/// A receiver configuration being made: the webhook policy (path, body cap, allowed
/// sources, trusted proxies, duplicate window) and the server settings (timeouts,
/// connection cap, I/O threads, metrics address, inbox).
///
/// Made by `cinnox_receiver_config_builder_new`, given its settings by the
/// `cinnox_receiver_config_builder_set_*` functions (each refuses a bad value at once and
/// leaves the builder as it was), turned into an immutable `cinnox_receiver_config` by
/// `cinnox_receiver_config_builder_build`, or freed by `cinnox_receiver_config_builder_free`.
/// Not thread-safe: one thread at a time may use a builder.
pub struct cinnox_receiver_config_builder {
    settings: Settings,
}

/// Start a receiver configuration answering only on `path` (e.g. `"/cinnox/<secret>"`).
/// Every other setting starts at its `CINNOX_DEFAULT_*` value: body cap
/// `CINNOX_DEFAULT_MAX_BODY`, every source allowed, no trusted proxy, duplicate window
/// `CINNOX_DEFAULT_DEDUP_WINDOW_MS`, read timeout `CINNOX_DEFAULT_READ_TIMEOUT_MS`, idle
/// timeout `CINNOX_DEFAULT_IDLE_TIMEOUT_MS`, `CINNOX_DEFAULT_MAX_CONNECTIONS` connections,
/// shutdown grace `CINNOX_DEFAULT_SHUTDOWN_GRACE_MS`, no metrics listener, no inbox.
///
/// `path` is copied. On success `*out` is a new builder the caller owns: it passes it to
/// `cinnox_receiver_config_builder_build` or frees it with
/// `cinnox_receiver_config_builder_free`. `CINNOX_ERR_NULL_ARGUMENT` for a NULL pointer,
/// `CINNOX_ERR_INVALID_ARGUMENT` when `path` is not UTF-8, or is empty or `"/"` (the path is
/// the secret that keeps strangers out). A path without a leading `/` gets one.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_config_builder_new(
    path: *const c_char,
    out: *mut *mut cinnox_receiver_config_builder,
) -> cinnox_result {
    call(|| {
        let out = arg_out(out, "out")?;
        // SAFETY: the caller passes NULL or a NUL-terminated string.
        let path = unsafe { arg_str(path, "path") }?;
        let builder = cinnox_receiver_config_builder {
            settings: Settings::new(path)?,
        };
        // SAFETY: `out` was checked non-NULL.
        unsafe { put_handle(out, builder) };
        Ok(())
    })
}

/// Check every setting together and make the immutable configuration. The builder is
/// consumed and freed whatever the result (rustls-ffi's rule), so it is never used again.
/// On success `*out` is a new `cinnox_receiver_config` the caller owns and frees with
/// `cinnox_receiver_config_free`. `CINNOX_ERR_NULL_ARGUMENT` for a NULL pointer (a NULL
/// `out` still frees the builder), `CINNOX_ERR_INVALID_ARGUMENT` when the settings do not
/// go together.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_config_builder_build(
    builder: *mut cinnox_receiver_config_builder,
    out: *mut *mut cinnox_receiver_config,
) -> cinnox_result {
    call(|| {
        // SAFETY: the caller passes NULL or a live builder, used by no other thread, and
        // gives up its ownership here.
        let builder = unsafe { take_handle(builder, "builder") }?;
        let out = arg_out(out, "out")?;
        let config = cinnox_receiver_config::built(builder.settings)?;
        // SAFETY: `out` was checked non-NULL.
        unsafe { put_handle(out, config) };
        Ok(())
    })
}

/// Free a builder that was not built. NULL does nothing.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_config_builder_free(
    builder: *mut cinnox_receiver_config_builder,
) {
    // SAFETY: the caller passes NULL or a handle from this library, freed once.
    get((), || unsafe { super::free_handle(builder) })
}

/// Apply `change` to the settings of a live builder.
///
/// # Safety
/// `builder` is NULL or a live builder used by no other thread.
unsafe fn with_builder(
    builder: *mut cinnox_receiver_config_builder,
    change: impl FnOnce(&mut Settings) -> FfiResult,
) -> cinnox_result {
    call(|| {
        // SAFETY: forwarded caller promise.
        let b = unsafe { arg_mut(builder, "builder") }?;
        change(&mut b.settings)
    })
}

/// The largest body accepted, in bytes (default `CINNOX_DEFAULT_MAX_BODY`); a larger one
/// gets 413. `CINNOX_ERR_NULL_ARGUMENT` when `builder` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_config_builder_set_max_body(
    builder: *mut cinnox_receiver_config_builder,
    bytes: usize,
) -> cinnox_result {
    // SAFETY: forwarded caller promise.
    unsafe { with_builder(builder, |s| s.max_body(bytes)) }
}

/// Accept requests only from the network `cidr` (text such as `"10.0.0.0/8"` or
/// `"::1/128"`, copied); may be called several times. Until it is called, every source is
/// allowed. `CINNOX_ERR_NULL_ARGUMENT` for a NULL pointer, `CINNOX_ERR_INVALID_ARGUMENT`
/// for text that is not UTF-8 or not a CIDR (the builder is then unchanged).
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_config_builder_allow_source(
    builder: *mut cinnox_receiver_config_builder,
    cidr: *const c_char,
) -> cinnox_result {
    // SAFETY: forwarded caller promises.
    unsafe { with_builder(builder, |s| s.allow_source(cidr)) }
}

/// Trust `X-Forwarded-For` from peers in the network `cidr` (copied); may be called several
/// times. Errors as for `cinnox_receiver_config_builder_allow_source`.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_config_builder_trust_proxy(
    builder: *mut cinnox_receiver_config_builder,
    cidr: *const c_char,
) -> cinnox_result {
    // SAFETY: forwarded caller promises.
    unsafe { with_builder(builder, |s| s.trust_proxy(cidr)) }
}

/// How long a delivered event is remembered so that a redelivery is answered 200 without
/// reaching the application again, in milliseconds (default
/// `CINNOX_DEFAULT_DEDUP_WINDOW_MS`); 0 turns duplicate detection off.
/// `CINNOX_ERR_NULL_ARGUMENT` when `builder` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_config_builder_set_dedup_window(
    builder: *mut cinnox_receiver_config_builder,
    window_ms: u32,
) -> cinnox_result {
    // SAFETY: forwarded caller promise.
    unsafe { with_builder(builder, |s| s.dedup_window(window_ms)) }
}

/// How many events are remembered for duplicate detection at most (default
/// `CINNOX_DEFAULT_DEDUP_CAPACITY`). `CINNOX_ERR_NULL_ARGUMENT` when `builder` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_config_builder_set_dedup_capacity(
    builder: *mut cinnox_receiver_config_builder,
    entries: usize,
) -> cinnox_result {
    // SAFETY: forwarded caller promise.
    unsafe { with_builder(builder, |s| s.dedup_capacity(entries)) }
}

/// The server's timeouts, in milliseconds: the longest time for a whole request from its
/// first byte, and for replies left unread by a peer (default
/// `CINNOX_DEFAULT_READ_TIMEOUT_MS`), how long an idle keep-alive connection is kept
/// (default `CINNOX_DEFAULT_IDLE_TIMEOUT_MS`), and how long `shutdown` lets deliveries in
/// flight finish (default `CINNOX_DEFAULT_SHUTDOWN_GRACE_MS`). 0 keeps the current value.
/// `CINNOX_ERR_NULL_ARGUMENT` when `builder` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_config_builder_set_timeouts(
    builder: *mut cinnox_receiver_config_builder,
    read_timeout_ms: u32,
    idle_timeout_ms: u32,
    shutdown_grace_ms: u32,
) -> cinnox_result {
    // SAFETY: forwarded caller promise.
    unsafe {
        with_builder(builder, |s| {
            s.timeouts(read_timeout_ms, idle_timeout_ms, shutdown_grace_ms)
        })
    }
}

/// Open connections at most (default `CINNOX_DEFAULT_MAX_CONNECTIONS`). At the limit a new
/// connection evicts the connection idle or incomplete the longest; only when every
/// connection waits for an answer is it refused (503). The process needs a file-descriptor
/// limit above `connections` + 32 per I/O thread. 0 is `CINNOX_ERR_INVALID_ARGUMENT`.
/// `CINNOX_ERR_NULL_ARGUMENT` when `builder` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_config_builder_set_max_connections(
    builder: *mut cinnox_receiver_config_builder,
    connections: usize,
) -> cinnox_result {
    // SAFETY: forwarded caller promise.
    unsafe { with_builder(builder, |s| s.max_connections(connections)) }
}

/// The I/O threads that own the receiver's sockets (default `CINNOX_DEFAULT_IO_THREADS`, at
/// most `CINNOX_MAX_IO_THREADS`); each takes an equal share of the connection cap. Anything
/// else is `CINNOX_ERR_INVALID_ARGUMENT`. `CINNOX_ERR_NULL_ARGUMENT` when `builder` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_config_builder_set_io_threads(
    builder: *mut cinnox_receiver_config_builder,
    threads: usize,
) -> cinnox_result {
    // SAFETY: forwarded caller promise.
    unsafe { with_builder(builder, |s| s.io_threads(threads)) }
}

/// How long a new connection's first request head (and each later head, from its first
/// byte) may take to arrive, in milliseconds (default `CINNOX_DEFAULT_HEADER_TIMEOUT_MS`);
/// slower is answered 408 and closed. 0 is `CINNOX_ERR_INVALID_ARGUMENT`.
/// `CINNOX_ERR_NULL_ARGUMENT` when `builder` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_config_builder_set_header_timeout(
    builder: *mut cinnox_receiver_config_builder,
    timeout_ms: u32,
) -> cinnox_result {
    // SAFETY: forwarded caller promise.
    unsafe { with_builder(builder, |s| s.header_timeout(timeout_ms)) }
}

/// Open connections from one source address at most (per I/O thread); 0 is no limit, and
/// the default (`CINNOX_DEFAULT_PER_SOURCE_LIMIT`), as a proxy in front of the receiver is a
/// single address. Beyond it a new connection from that address is refused (503).
/// `CINNOX_ERR_NULL_ARGUMENT` when `builder` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_config_builder_set_per_source_limit(
    builder: *mut cinnox_receiver_config_builder,
    connections: usize,
) -> cinnox_result {
    // SAFETY: forwarded caller promise.
    unsafe { with_builder(builder, |s| s.per_source_limit(connections)) }
}

/// Serve `GET /metrics` (the Prometheus text format, as `cinnox_receiver_metrics` gives)
/// on `addr` (`"IP:port"`, copied; port 0 picks a free one, `cinnox_receiver_metrics_port`
/// tells it), an address of its own, never the webhook port. One connection at a time, each
/// answered or closed within 2 s: bind it to a loopback or private address. The receiver's
/// start fails when it cannot be bound.
/// `CINNOX_ERR_NULL_ARGUMENT` for a NULL pointer, `CINNOX_ERR_INVALID_ARGUMENT` for text
/// that is not UTF-8 or not `IP:port` (the builder is then unchanged).
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_config_builder_set_metrics_bind(
    builder: *mut cinnox_receiver_config_builder,
    addr: *const c_char,
) -> cinnox_result {
    // SAFETY: forwarded caller promises.
    unsafe { with_builder(builder, |s| s.metrics_bind(addr)) }
}

/// Make receivers built from this configuration store each event in `inbox` before
/// answering it: 200 once committed (also for a duplicate already stored), 503 with
/// `Retry-After` when the store fails. `cinnox_receiver_recv` and `cinnox_receiver_serve`
/// then take events from the inbox. The inbox is shared, not copied: it may be freed after
/// the receivers are made. `CINNOX_ERR_NULL_ARGUMENT` for a NULL pointer.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_config_builder_set_inbox(
    builder: *mut cinnox_receiver_config_builder,
    inbox: *const cinnox_inbox,
) -> cinnox_result {
    // SAFETY: forwarded caller promises.
    unsafe { with_builder(builder, |s| s.inbox(inbox)) }
}
