//! `GET /metrics` on an address of its own (never the webhook port), for a Prometheus
//! scraper: [`super::ReceiverConfig::metrics_addr`].
//!
//! One thread answers one connection at a time, each within [`DEADLINE`] from its accept,
//! and closes it (`Connection: close`): a scraper asks once every few seconds. A peer that
//! sends nothing holds the port for at most the deadline; bind it to a loopback or private
//! address, as one does for any metrics port.

use std::io::{Read, Write};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use super::{io_error, Shared};
use crate::Result;

/// A connection's whole time, from its accept to its close.
pub(crate) const DEADLINE: Duration = Duration::from_secs(2);
/// The longest request head read.
const MAX_HEAD: usize = 8 * 1024;

/// The thread serving `GET /metrics`; stopped and joined by [`MetricsListener::stop`].
pub(crate) struct MetricsListener {
    addr: SocketAddr,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl MetricsListener {
    /// Bind `addr` and serve the metrics of `shared` there until stopped.
    pub(crate) fn start(addr: SocketAddr, shared: Weak<Shared>) -> Result<MetricsListener> {
        let listener = TcpListener::bind(addr)
            .map_err(|e| io_error(&format!("cannot bind the metrics address {addr}"), e))?;
        let addr = listener
            .local_addr()
            .map_err(|e| io_error("cannot read the metrics address", e))?;
        let stop = Arc::new(AtomicBool::new(false));
        let flag = Arc::clone(&stop);
        let thread = std::thread::Builder::new()
            .name("cinnox-metrics".into())
            .spawn(move || {
                for conn in listener.incoming() {
                    if flag.load(Ordering::Acquire) {
                        return;
                    }
                    let Ok(conn) = conn else { continue };
                    let Some(shared) = shared.upgrade() else {
                        return;
                    };
                    answer(conn, &shared);
                }
            })
            .map_err(|e| io_error("cannot start the metrics thread", e))?;
        log::info!("metrics on http://{addr}/metrics");
        Ok(MetricsListener {
            addr,
            stop,
            thread: Some(thread),
        })
    }

    /// The bound address (tells the port after binding port 0).
    pub(crate) fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Stop serving and join the thread (within [`DEADLINE`]). Idempotent.
    pub(crate) fn stop(&mut self) {
        let Some(thread) = self.thread.take() else {
            return;
        };
        self.stop.store(true, Ordering::Release);
        // Wake the blocking accept: a connection of our own (to loopback when bound to a
        // wildcard address).
        let mut wake = self.addr;
        if wake.ip().is_unspecified() {
            wake.set_ip(match wake.ip() {
                IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::LOCALHOST),
                IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::LOCALHOST),
            });
        }
        if TcpStream::connect_timeout(&wake, DEADLINE).is_ok() {
            let _ = thread.join();
        } else {
            // Cannot happen with a listening socket of ours; never hang a shutdown on it.
            log::warn!("metrics: cannot wake the metrics thread; left to end with the process");
        }
    }
}

impl Drop for MetricsListener {
    fn drop(&mut self) {
        self.stop();
    }
}

/// Read one request head and answer it; the connection is closed after.
fn answer(mut conn: TcpStream, shared: &Shared) {
    let deadline = Instant::now() + DEADLINE;
    let Some(head) = read_head(&mut conn, deadline) else {
        drain(&mut conn, deadline);
        return;
    };
    let (status, extra, body) = respond(&head, shared);
    let head_only = head.starts_with(b"HEAD ");
    let mut out = format!(
        "HTTP/1.1 {status}\r\n{extra}Content-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    )
    .into_bytes();
    if !head_only {
        out.extend_from_slice(body.as_bytes());
    }
    let _ = conn.set_write_timeout(Some(deadline.saturating_duration_since(Instant::now())));
    let _ = conn.write_all(&out);
    drain(&mut conn, deadline);
}

/// End our side, then read and drop what the peer still sends (a body, the rest of an
/// oversized head) until it closes, for at most the deadline and 64 KiB: closing with
/// unread bytes would reset the connection and could destroy the answer before the peer
/// reads it.
fn drain(conn: &mut TcpStream, deadline: Instant) {
    let _ = conn.shutdown(std::net::Shutdown::Write);
    let mut buf = [0u8; 4096];
    let mut left = 64 * 1024usize;
    while left > 0 {
        let Some(wait) = deadline.checked_duration_since(Instant::now()) else {
            return;
        };
        if wait.is_zero() || conn.set_read_timeout(Some(wait)).is_err() {
            return;
        }
        match conn.read(&mut buf) {
            Ok(0) | Err(_) => return,
            Ok(n) => left = left.saturating_sub(n),
        }
    }
}

/// The request head, up to its blank line; `None` for a peer that closed, stalled past the
/// deadline or sent too much (nothing is answered then but for the too-large case).
fn read_head(conn: &mut TcpStream, deadline: Instant) -> Option<Vec<u8>> {
    let mut head = Vec::with_capacity(512);
    let mut buf = [0u8; 1024];
    loop {
        let left = deadline.checked_duration_since(Instant::now())?;
        if left.is_zero() || conn.set_read_timeout(Some(left)).is_err() {
            return None;
        }
        let n = conn.read(&mut buf).ok()?;
        if n == 0 {
            return None;
        }
        head.extend_from_slice(&buf[..n]);
        if head.windows(4).any(|w| w == b"\r\n\r\n") {
            return Some(head);
        }
        if head.len() > MAX_HEAD {
            let _ = conn.write_all(
                b"HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\n\
                  Connection: close\r\n\r\n",
            );
            return None;
        }
    }
}

/// Status line, extra header lines and body for a request head.
fn respond(head: &[u8], shared: &Shared) -> (&'static str, &'static str, String) {
    let line = head.split(|&b| b == b'\r').next().unwrap_or_default();
    let mut parts = line.split(|&b| b == b' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return ("400 Bad Request", "", "bad request\n".into());
    };
    if !version.starts_with(b"HTTP/1.") {
        return ("400 Bad Request", "", "bad request\n".into());
    }
    let path = target.split(|&b| b == b'?').next().unwrap_or_default();
    if path != b"/metrics" {
        return ("404 Not Found", "", "not found\n".into());
    }
    if method != b"GET" && method != b"HEAD" {
        return (
            "405 Method Not Allowed",
            "Allow: GET, HEAD\r\n",
            "method not allowed\n".into(),
        );
    }
    (
        "200 OK",
        "Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n",
        shared.metrics(),
    )
}
