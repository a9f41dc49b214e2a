//! The embedded webhook server: tiny_http behind a hardened front, built on [`Webhook`].
//!
//! SKELETON: signatures are the contract; filled in by the receiver work (issue 4).

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use crate::event::{DedupKey, Event};
use crate::webhook::WebhookConfig;
use crate::Result;

/// Server settings beyond the [`WebhookConfig`] policy.
#[derive(Debug, Clone)]
pub struct ReceiverConfig {
    /// Longest wait for any read of a request (headers or body); default 10 s.
    pub read_timeout: Duration,
    /// A keep-alive connection idle this long is closed; default 30 s.
    pub idle_timeout: Duration,
    /// Open connections at most; beyond it new ones are refused at once. Default 256.
    pub max_connections: usize,
    /// How long `shutdown` lets in-flight deliveries finish; default 5 s.
    pub shutdown_grace: Duration,
}

impl Default for ReceiverConfig {
    fn default() -> Self {
        ReceiverConfig {
            read_timeout: Duration::from_secs(10),
            idle_timeout: Duration::from_secs(30),
            max_connections: 256,
            shutdown_grace: Duration::from_secs(5),
        }
    }
}

/// The webhook server.
pub struct Receiver {
    _private: (),
}

/// An event waiting for the application's answer. Dropped unanswered, it fails (HTTP 500).
pub struct Delivery {
    _private: (),
}

/// A cloneable handle that shuts a [`Receiver`] down from any thread.
#[derive(Clone)]
pub struct ShutdownHandle {
    _private: (),
}

/// Counters of what the receiver did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReceiverStats {
    /// The verifier's counters.
    pub webhook: crate::webhook::WebhookStats,
    /// Handler panics caught by `serve`.
    pub handler_panics: u64,
    /// Connections refused because of the connection cap.
    pub refused_connections: u64,
    /// Connections cut off by the read deadline.
    pub read_timeouts: u64,
}

impl Receiver {
    /// Bind `addr` (port 0 allowed) with default [`ReceiverConfig`].
    pub fn bind(addr: impl ToSocketAddrs, webhook: WebhookConfig) -> Result<Receiver> {
        Receiver::bind_with(addr, webhook, ReceiverConfig::default())
    }
    /// Bind `addr` with explicit server settings.
    pub fn bind_with(
        addr: impl ToSocketAddrs,
        webhook: WebhookConfig,
        config: ReceiverConfig,
    ) -> Result<Receiver> {
        let _ = (addr, webhook, config);
        todo!()
    }
    /// The bound address (tells the port after binding port 0).
    pub fn local_addr(&self) -> SocketAddr {
        todo!()
    }
    /// Wait for the next event. `ErrorKind::Closed` once shut down.
    pub fn recv(&self) -> Result<Delivery> {
        todo!()
    }
    /// Wait at most `timeout`. `ErrorKind::Timeout` when none came, `Closed` once shut down.
    pub fn recv_timeout(&self, timeout: Duration) -> Result<Delivery> {
        let _ = timeout;
        todo!()
    }
    /// Run `handler` on `workers` threads until shutdown. `Ok` acks; `Err` or a panic fails.
    pub fn serve<F, E>(&self, workers: usize, handler: F) -> Result<()>
    where
        F: Fn(&Event) -> std::result::Result<(), E> + Send + Sync,
    {
        let _ = (workers, handler);
        todo!()
    }
    /// A handle to shut this receiver down from another thread.
    pub fn shutdown_handle(&self) -> ShutdownHandle {
        todo!()
    }
    /// Stop accepting, let in-flight deliveries finish (up to the grace), wake waiters.
    pub fn shutdown(&self) {
        todo!()
    }
    /// A snapshot of the counters.
    pub fn stats(&self) -> ReceiverStats {
        todo!()
    }
}

impl ShutdownHandle {
    /// Shut the receiver down; returns at once, idempotent.
    pub fn shutdown(&self) {
        todo!()
    }
}

impl Delivery {
    /// The event.
    pub fn event(&self) -> &Event {
        todo!()
    }
    /// The exact body.
    pub fn raw(&self) -> &[u8] {
        todo!()
    }
    /// The peer that sent it.
    pub fn peer(&self) -> Option<SocketAddr> {
        todo!()
    }
    /// The identity of the event.
    pub fn dedup_key(&self) -> DedupKey {
        todo!()
    }
    /// Answer 200.
    pub fn ack(self) {
        todo!()
    }
    /// Answer 500, so that CINNOX may deliver it again.
    pub fn fail(self) {
        todo!()
    }
}
