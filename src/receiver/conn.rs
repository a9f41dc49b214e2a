//! The accept thread and the life of one connection.

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::http::{
    local_reply, Conn, Framing, ReadError, Timeouts, Transport, LINGER_BYTES, LINGER_TIME,
};
use super::link::Link;
use super::Shared;
use crate::webhook::{Outcome, Request};

/// Stack of a connection thread: request parsing and the verifier run there.
const CONN_STACK: usize = 512 * 1024;

/// What a connection beyond the cap reads before it is closed.
const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/// Refused connections drained at once, at most; beyond, a refused connection is closed
/// without draining (its peer may then see a reset instead of the 503).
pub(super) const MAX_DRAINING: usize = 32;

/// Stack of a draining thread: it only reads into a small buffer.
const DRAIN_STACK: usize = 64 * 1024;

/// Accept until shutdown: each connection gets its own thread at once, or is refused.
pub(super) fn accept_loop(shared: Arc<Shared>) {
    loop {
        let accepted = shared.listener.accept();
        if shared.is_shutting_down() {
            return;
        }
        let (stream, peer) = match accepted {
            Ok(pair) => pair,
            Err(e) => {
                use std::io::ErrorKind as K;
                if !matches!(
                    e.kind(),
                    K::ConnectionAborted | K::ConnectionReset | K::Interrupted | K::WouldBlock
                ) {
                    // Out of descriptors or memory: give the process a moment rather than
                    // spinning on the same error.
                    std::thread::sleep(Duration::from_millis(20));
                }
                continue;
            }
        };
        let accepted_at = Instant::now();
        let _ = stream.set_nodelay(true);
        let Some(transport) = transport(&shared, &stream) else {
            continue;
        };
        #[cfg(test)]
        let transport = match super::lock(&shared.wrap_transport).as_ref() {
            Some(wrap) => wrap(transport),
            None => transport,
        };
        let link = Arc::new(Link::new(transport, Arc::clone(&shared.shutting_down)));
        let Some(id) = shared.register(&stream, &link) else {
            refuse(&shared, stream);
            continue;
        };
        drop(stream);
        let for_thread = Arc::clone(&shared);
        let spawned = std::thread::Builder::new()
            .name("cinnox-conn".into())
            .stack_size(CONN_STACK)
            .spawn(move || {
                let _guard = Registered {
                    shared: &for_thread,
                    id,
                };
                serve(&for_thread, link, peer, accepted_at);
            });
        if spawned.is_err() {
            // The stream went with the closure and is closed; free its place.
            shared.unregister(id);
            shared.refused_connections.fetch_add(1, Ordering::Relaxed);
        }
    }
}

/// Removes the connection from the open set when its thread ends, however it ends.
struct Registered<'a> {
    shared: &'a Shared,
    id: u64,
}

impl Drop for Registered<'_> {
    fn drop(&mut self) {
        self.shared.unregister(self.id);
    }
}

/// Answer 503, send FIN, then discard what the peer sends for a short bounded while, on a
/// thread of its own, and close.
///
/// Closing a socket with received bytes unread makes the kernel reset the connection, and
/// a reset can reach the peer before it read the 503 (or fail the write of the rest of its
/// request), so the peer would see an error instead of "retry later". Draining costs a
/// thread that does not count against the cap and holds nothing of the receiver: at most
/// [`MAX_DRAINING`] at once, each ending at EOF, after [`LINGER_BYTES`] or after
/// [`LINGER_TIME`] (or the read timeout, when shorter), whichever comes first.
fn refuse(shared: &Shared, mut stream: TcpStream) {
    shared.refused_connections.fetch_add(1, Ordering::Relaxed);
    log::warn!(
        "a connection was refused with 503: {} connections are open (max_connections)",
        shared.config.max_connections
    );
    // A fresh socket's send buffer is empty: this never blocks the accept thread.
    let _ = stream.set_nonblocking(true);
    let _ = stream.write_all(REFUSAL);
    let _ = stream.shutdown(Shutdown::Write);
    let Some(slot) = DrainSlot::take(&shared.draining) else {
        return;
    };
    let limit = LINGER_TIME.min(shared.config.read_timeout);
    // When no thread can be had, the closure (and the stream) is dropped: closed at once.
    let _ = std::thread::Builder::new()
        .name("cinnox-refused".into())
        .stack_size(DRAIN_STACK)
        .spawn(move || {
            let _slot = slot;
            drain(stream, limit);
        });
}

/// One of the [`MAX_DRAINING`] places, given back when dropped.
struct DrainSlot(Arc<AtomicUsize>);

impl DrainSlot {
    fn take(count: &Arc<AtomicUsize>) -> Option<DrainSlot> {
        count
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |n| {
                (n < MAX_DRAINING).then_some(n + 1)
            })
            .ok()?;
        Some(DrainSlot(Arc::clone(count)))
    }
}

impl Drop for DrainSlot {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

/// Read and discard until EOF, [`LINGER_BYTES`], an error or `limit` from now; then the
/// stream is closed (with nothing unread in the common case: no reset).
fn drain(mut stream: TcpStream, limit: Duration) {
    if stream.set_nonblocking(false).is_err() {
        return;
    }
    let deadline = Instant::now() + limit;
    let mut sink = [0u8; 8 * 1024];
    let mut discarded = 0;
    while discarded < LINGER_BYTES {
        let now = Instant::now();
        if now >= deadline || stream.set_read_timeout(Some(deadline - now)).is_err() {
            return;
        }
        match stream.read(&mut sink) {
            Ok(0) => return,
            Ok(n) => discarded += n,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock
                        | std::io::ErrorKind::TimedOut
                        | std::io::ErrorKind::Interrupted
                ) => {}
            Err(_) => return,
        }
    }
}

/// Stop the accept thread: shut the listening socket (Linux wakes a blocked `accept`),
/// and connect to it once in case the platform does not.
pub(super) fn stop_listening(shared: &Shared) {
    #[cfg(unix)]
    {
        use std::os::fd::AsRawFd;
        // SAFETY: the descriptor belongs to `shared.listener`, alive for this call.
        unsafe {
            libc::shutdown(shared.listener.as_raw_fd(), libc::SHUT_RDWR);
        }
    }
    let mut addr = shared.local_addr;
    if addr.ip().is_unspecified() {
        addr.set_ip(match addr {
            SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
            SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
        });
    }
    let _ = TcpStream::connect_timeout(&addr, Duration::from_millis(100));
}

/// The stream to serve: TLS over the socket when configured, else the socket.
fn transport(shared: &Shared, stream: &TcpStream) -> Option<Box<dyn Transport>> {
    let own = stream.try_clone().ok()?;
    #[cfg(feature = "https")]
    if let Some(tls) = &shared.tls {
        let session = rustls::ServerConnection::new(Arc::clone(tls)).ok()?;
        return Some(Box::new(rustls::StreamOwned::new(session, own)));
    }
    #[cfg(not(feature = "https"))]
    let _ = shared;
    Some(Box::new(own))
}

/// Requests in, replies out, until the connection ends.
fn serve(shared: &Shared, link: Arc<Link>, peer: SocketAddr, accepted: Instant) {
    let timeouts = Timeouts {
        read: shared.config.read_timeout,
        idle: shared.config.idle_timeout,
    };
    let mut conn = Conn::new(link, timeouts);
    // The delivery whose reply the connection thread has not yet seen written.
    let mut pending: Option<u64> = None;
    loop {
        if let Some(generation) = pending.take() {
            // Wait for the next request in the read (the common case: the reply is
            // written meanwhile by the answering thread, and this thread wakes once, when
            // the next request arrives), then make sure the reply went out before going on.
            let input = conn.await_input();
            let done = shared.settle(conn.link(), generation);
            if !done.written {
                return;
            }
            if done.close {
                return conn.close();
            }
            match input {
                // Silent since the hand-off, not since the reply: read_head waits anew.
                Ok(()) | Err(ReadError::Idle) => {}
                Err(ReadError::Timeout) => return timed_out(shared, conn),
                Err(ReadError::Bad(status)) => return malformed(shared, conn, status),
                Err(ReadError::Closed | ReadError::Broken) => return,
            }
        }
        let (head, deadline) = match conn.read_head(accepted) {
            Ok(read) => read,
            Err(ReadError::Closed | ReadError::Idle | ReadError::Broken) => return,
            Err(ReadError::Timeout) => return timed_out(shared, conn),
            Err(ReadError::Bad(status)) => return malformed(shared, conn, status),
        };
        let head_only = head.method == "HEAD";
        let fields: Vec<(&str, &str)> = head
            .headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect();
        let mut request = Request {
            method: &head.method,
            path: &head.target,
            headers: &fields,
            peer: Some(peer.ip()),
            body: &[],
        };
        if let Err(refusal) = shared.webhook.check_head(&request) {
            let _ = conn.write_reply(&refusal, head_only, true);
            if head.framing == Framing::Length(0) {
                conn.close();
            } else {
                conn.linger_close();
            }
            return;
        }
        if head.expect_continue && conn.write_continue().is_err() {
            return;
        }
        let body = match conn.read_body(head.framing, shared.webhook.max_body_len(), deadline) {
            Ok(body) => body,
            Err(ReadError::Timeout) => return timed_out(shared, conn),
            Err(ReadError::Bad(status)) => return malformed(shared, conn, status),
            Err(_) => return,
        };
        request.body = &body;
        // The head passed `check_head` above: only the body is left to check.
        match shared.webhook.handle_checked(&request) {
            Outcome::Respond(reply) => {
                let close = !head.keep_alive || shared.is_shutting_down();
                if conn.write_reply(&reply, head_only, close).is_err() {
                    return;
                }
                if close {
                    return conn.close();
                }
            }
            Outcome::Deliver(event) if shared.config.inbox.is_some() => {
                // Durable first: 200 once committed, 503 when the store failed.
                let reply = shared.store(&event);
                let close = !head.keep_alive || shared.is_shutting_down();
                if conn.write_reply(&reply, head_only, close).is_err() {
                    return;
                }
                if close {
                    return conn.close();
                }
            }
            Outcome::Deliver(event) => {
                // The answering thread writes the reply.
                let generation = shared.deliver(conn.link(), event, peer, head.keep_alive);
                // A reply that closes the connection (the request asked for it, or shutdown
                // began, which also ends the read) is followed by the close, not a read.
                if head.keep_alive && conn.link().reads_while_pending() {
                    pending = Some(generation);
                    continue;
                }
                let done = shared.settle(conn.link(), generation);
                if !done.written {
                    return;
                }
                if done.close {
                    return conn.close();
                }
            }
        }
    }
}

/// The read deadline passed mid-request: 408, close.
fn timed_out(shared: &Shared, mut conn: Conn) {
    shared.read_timeouts.fetch_add(1, Ordering::Relaxed);
    log::debug!("a request was not read within the read timeout: answered 408");
    let _ = conn.write_reply(&local_reply(408), false, true);
    conn.close();
}

/// The HTTP layer refused the request: answer `status`, close.
fn malformed(shared: &Shared, mut conn: Conn, status: u16) {
    shared.malformed_requests.fetch_add(1, Ordering::Relaxed);
    log::debug!("a malformed request was refused with {status}");
    let _ = conn.write_reply(&local_reply(status), false, true);
    conn.linger_close();
}
