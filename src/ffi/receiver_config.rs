//! The receiver's settings in C: `cinnox_receiver_config_*`.

use std::ffi::c_char;
use std::time::Duration;

use super::{arg_mut, arg_out, arg_str, call, get, put_handle, Failure};
use crate::ffi::cinnox_result;
use crate::receiver::{ReceiverConfig, ReceiverConfigBuilder};
use crate::webhook::{WebhookConfig, WebhookConfigBuilder};

/// The settings of a receiver: the webhook policy (path, body cap, allowed sources, trusted
/// proxies, duplicate window) and the server settings (timeouts, connection cap, shutdown
/// grace). Made by `cinnox_receiver_config_new`, used (copied) by
/// `cinnox_receiver_new_with_config` and `cinnox_webhook_new`, freed by
/// `cinnox_receiver_config_free`. Not thread-safe: do not change one config from two threads
/// at once.
pub struct cinnox_receiver_config {
    pub(crate) webhook: WebhookConfig,
    /// What `webhook` was built from: the setters change it, and build it again.
    webhook_builder: WebhookConfigBuilder,
    pub(crate) server: ReceiverConfigBuilder,
}

impl cinnox_receiver_config {
    /// The webhook policy part.
    pub(crate) fn webhook_config(&self) -> &WebhookConfig {
        &self.webhook
    }
}

pub(crate) fn ms(ms: u32) -> Duration {
    Duration::from_millis(ms.into())
}

/// Make a receiver config answering only on `path` (e.g. `"/cinnox/<secret>"`), with the
/// defaults: body cap 64 KiB, every source allowed, no trusted proxy, duplicate window
/// 10 minutes, read timeout 10 s, idle timeout 30 s, 256 connections, shutdown grace 5 s.
///
/// `path` is copied. On success `*out` is a new config the caller owns and frees with
/// `cinnox_receiver_config_free`. `CINNOX_ERR_NULL_ARGUMENT` for a NULL pointer,
/// `CINNOX_ERR_INVALID_ARGUMENT` when `path` is not UTF-8, or is empty or `"/"` (the path is
/// the secret that keeps strangers out). A path without a leading `/` gets one.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_config_new(
    path: *const c_char,
    out: *mut *mut cinnox_receiver_config,
) -> cinnox_result {
    call(|| {
        let out = arg_out(out, "out")?;
        // SAFETY: the caller passes NULL or a NUL-terminated string.
        let path = unsafe { arg_str(path, "path") }?;
        let webhook_builder = WebhookConfig::builder(path);
        let webhook = webhook_builder.clone().build()?;
        let config = cinnox_receiver_config {
            server: ReceiverConfig::builder(webhook.clone()),
            webhook,
            webhook_builder,
        };
        // SAFETY: `out` was checked non-NULL.
        unsafe { put_handle(out, config) };
        Ok(())
    })
}

/// Free a receiver config. NULL does nothing. Receivers made from it are not affected.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_config_free(config: *mut cinnox_receiver_config) {
    // SAFETY: the caller passes NULL or a handle from this library, freed once.
    get((), || unsafe { super::free_handle(config) })
}

pub(crate) unsafe fn with_config(
    config: *mut cinnox_receiver_config,
    change: impl FnOnce(&mut cinnox_receiver_config) -> Result<(), Failure>,
) -> cinnox_result {
    call(|| {
        // SAFETY: the caller passes NULL or a live config used by no other thread.
        let config = unsafe { arg_mut(config, "config") }?;
        change(config)
    })
}

/// Apply `change` to the webhook policy of `config`; on failure the config is unchanged.
unsafe fn with_webhook(
    config: *mut cinnox_receiver_config,
    change: impl FnOnce(WebhookConfigBuilder) -> Result<WebhookConfigBuilder, Failure>,
) -> cinnox_result {
    // SAFETY: forwarded caller promise.
    unsafe {
        with_config(config, |c| {
            let builder = change(c.webhook_builder.clone())?;
            c.webhook = builder.clone().build()?;
            c.webhook_builder = builder;
            Ok(())
        })
    }
}

/// The largest body accepted, in bytes (default 65536); a larger one gets 413.
/// `CINNOX_ERR_NULL_ARGUMENT` when `config` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_config_set_max_body(
    config: *mut cinnox_receiver_config,
    bytes: usize,
) -> cinnox_result {
    // SAFETY: forwarded caller promise.
    unsafe { with_webhook(config, |w| Ok(w.max_body(bytes))) }
}

/// Accept requests only from the network `cidr` (text such as `"10.0.0.0/8"` or
/// `"::1/128"`, copied); may be called several times. Until it is called, every source is
/// allowed. `CINNOX_ERR_NULL_ARGUMENT` for a NULL pointer, `CINNOX_ERR_INVALID_ARGUMENT`
/// for text that is not UTF-8 or not a CIDR (the config is then unchanged).
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_config_allow_source(
    config: *mut cinnox_receiver_config,
    cidr: *const c_char,
) -> cinnox_result {
    // SAFETY: forwarded caller promises.
    unsafe { with_webhook(config, |w| Ok(w.allow_source(arg_str(cidr, "cidr")?))) }
}

/// Trust `X-Forwarded-For` from peers in the network `cidr` (copied); may be called several
/// times. Errors as for `cinnox_receiver_config_allow_source`.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_config_trust_proxy(
    config: *mut cinnox_receiver_config,
    cidr: *const c_char,
) -> cinnox_result {
    // SAFETY: forwarded caller promises.
    unsafe { with_webhook(config, |w| Ok(w.trust_proxy(arg_str(cidr, "cidr")?))) }
}

/// How long a delivered event is remembered so that a redelivery is answered 200 without
/// reaching the application again, in milliseconds (default 600000); 0 turns duplicate
/// detection off. `CINNOX_ERR_NULL_ARGUMENT` when `config` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_config_set_dedup_window(
    config: *mut cinnox_receiver_config,
    window_ms: u32,
) -> cinnox_result {
    let window = (window_ms > 0).then(|| ms(window_ms));
    // SAFETY: forwarded caller promise.
    unsafe { with_webhook(config, |w| Ok(w.dedup_window(window))) }
}

/// How many events are remembered for duplicate detection at most (default 10000).
/// `CINNOX_ERR_NULL_ARGUMENT` when `config` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_config_set_dedup_capacity(
    config: *mut cinnox_receiver_config,
    entries: usize,
) -> cinnox_result {
    // SAFETY: forwarded caller promise.
    unsafe { with_webhook(config, |w| Ok(w.dedup_capacity(entries))) }
}

/// The server settings, in milliseconds: the longest time for a whole request from its
/// first byte, and for replies left unread by a peer (default 10000), how long an idle keep-alive connection is kept (default 30000), and how
/// long `shutdown` lets deliveries in flight finish (default 5000). 0 keeps the current
/// value. `CINNOX_ERR_NULL_ARGUMENT` when `config` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_config_set_timeouts(
    config: *mut cinnox_receiver_config,
    read_timeout_ms: u32,
    idle_timeout_ms: u32,
    shutdown_grace_ms: u32,
) -> cinnox_result {
    // SAFETY: forwarded caller promise.
    unsafe {
        with_server(config, |mut server| {
            if read_timeout_ms > 0 {
                server = server.read_timeout(ms(read_timeout_ms));
            }
            if idle_timeout_ms > 0 {
                server = server.idle_timeout(ms(idle_timeout_ms));
            }
            if shutdown_grace_ms > 0 {
                server = server.shutdown_grace(ms(shutdown_grace_ms));
            }
            server
        })
    }
}

/// Open connections at most (default 10000). At the limit a new connection evicts the
/// connection idle or incomplete the longest; only when every connection waits for an
/// answer is it refused (503). The process needs a file-descriptor limit above
/// `connections` + 32 per I/O thread. 0 is invalid (`CINNOX_ERR_INVALID_ARGUMENT`).
/// `CINNOX_ERR_NULL_ARGUMENT` when `config` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_config_set_max_connections(
    config: *mut cinnox_receiver_config,
    connections: usize,
) -> cinnox_result {
    // SAFETY: forwarded caller promise.
    unsafe { with_server(config, |server| server.max_connections(connections)) }
}

/// The I/O threads that own the receiver's sockets (default 1, at most 64); each takes an
/// equal share of the connection cap. Anything else is `CINNOX_ERR_INVALID_ARGUMENT`.
/// `CINNOX_ERR_NULL_ARGUMENT` when `config` is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_config_set_io_threads(
    config: *mut cinnox_receiver_config,
    threads: usize,
) -> cinnox_result {
    // SAFETY: forwarded caller promise.
    unsafe { with_server(config, |server| server.io_threads(threads)) }
}

/// How long a new connection's first request head (and each later head, from its first
/// byte) may take to arrive, in milliseconds (default 5000); slower is answered 408 and
/// closed. 0 is `CINNOX_ERR_INVALID_ARGUMENT`. `CINNOX_ERR_NULL_ARGUMENT` when `config` is
/// NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_config_set_header_timeout(
    config: *mut cinnox_receiver_config,
    timeout_ms: u32,
) -> cinnox_result {
    // SAFETY: forwarded caller promise.
    unsafe { with_server(config, |server| server.header_timeout(ms(timeout_ms))) }
}

/// Open connections from one source address at most (per I/O thread); 0 (the default) is
/// no limit, as a proxy in front of the receiver is a single address. Beyond it a new
/// connection from that address is refused (503). `CINNOX_ERR_NULL_ARGUMENT` when `config`
/// is NULL.
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_config_set_per_source_limit(
    config: *mut cinnox_receiver_config,
    connections: usize,
) -> cinnox_result {
    // SAFETY: forwarded caller promise.
    unsafe { with_server(config, |server| server.per_source_limit(connections)) }
}

/// Serve `GET /metrics` (the Prometheus text format, as `cinnox_receiver_metrics` gives)
/// on `addr` (`"IP:port"`, copied; port 0 picks a free one, `cinnox_receiver_metrics_port`
/// tells it), an address of its own, never the webhook port. One connection at a time, each
/// answered or closed within 2 s: bind it to a loopback or private address. The receiver's
/// start fails when it cannot be bound. `CINNOX_ERR_NULL_ARGUMENT` for a NULL pointer,
/// `CINNOX_ERR_INVALID_ARGUMENT` for text that is not UTF-8 or not `IP:port` (the config is
/// then unchanged).
#[no_mangle]
pub unsafe extern "C" fn cinnox_receiver_config_set_metrics_bind(
    config: *mut cinnox_receiver_config,
    addr: *const c_char,
) -> cinnox_result {
    // SAFETY: forwarded caller promise.
    unsafe {
        with_config(config, |c| {
            let text = arg_str(addr, "addr")?;
            let parsed: std::net::SocketAddr = text.parse().map_err(|_| {
                crate::Error::invalid_argument(format!(
                    "the metrics address must be IP:port, such as 127.0.0.1:9100 (got {text:?})"
                ))
            })?;
            c.server = c.server.clone().metrics_addr(parsed);
            Ok(())
        })
    }
}

/// Change the server settings with `set`, keeping them only when they build.
///
/// # Safety
/// `config` is NULL or a live configuration (`with_config`'s promise).
unsafe fn with_server(
    config: *mut cinnox_receiver_config,
    set: impl FnOnce(ReceiverConfigBuilder) -> ReceiverConfigBuilder,
) -> cinnox_result {
    // SAFETY: forwarded caller promise.
    unsafe {
        with_config(config, |c| {
            let server = set(c.server.clone());
            server.clone().build()?;
            c.server = server;
            Ok(())
        })
    }
}
