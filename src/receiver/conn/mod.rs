//! One connection, as a state machine the I/O thread drives when its socket is ready, a
//! reply arrives for it, or its deadline passes. It never blocks: reads and writes stop at
//! `WouldBlock` and go on at the next readiness event.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use log::debug;
use mio::net::TcpStream;
use mio::Token;

use super::h1::{self, Chunked, Head, Persist};
use super::pending::{Claim, Mailbox};
use super::Shared;
use crate::webhook::Reply;

mod io;
#[cfg(test)]
pub(super) mod mock;
mod request;
#[cfg(test)]
mod tests;

pub(super) use io::Stream;

/// Read-parse-write rounds one connection gets per turn of its I/O loop, so that a peer
/// with much to send does not hold the others up (small in the unit tests, so that they
/// take the path where a connection needs a second turn).
#[cfg(not(test))]
const TURN: usize = 64;
#[cfg(test)]
const TURN: usize = 2;
/// The log target of everything a connection logs, whichever file of `conn/` logs it, so
/// that `RUST_LOG=cinnox::receiver::conn=debug` keeps naming it.
const LOG_TARGET: &str = module_path!();
/// Requests one connection may start per turn of its I/O loop: pipelined requests that
/// are answered at once (a duplicate, a challenge, a refusal) would otherwise let one busy
/// peer fill the turn, and a turn grow with the number of busy peers.
pub(super) const REQUESTS_PER_TURN: usize = 4;
/// Bytes read ahead of the parser at most (a head, or pipelined requests while one waits).
const IN_CAP: usize = h1::MAX_HEAD + 16 * 1024;
/// Unsent reply bytes beyond which no further request of the connection is parsed.
const OUT_PAUSE: usize = 64 * 1024;
/// Unsent reply bytes beyond which the connection is cut: its peer does not read.
const OUT_CAP: usize = 1024 * 1024;
/// After a reply that closes, discard at most this much of what the peer still sends, so
/// that it reads the reply instead of a reset.
const LINGER_BYTES: usize = 256 * 1024;
/// ... and for at most this long.
const LINGER_TIME: Duration = Duration::from_secs(2);
/// The window over which a body must arrive at the minimum body rate.
const RATE_WINDOW: Duration = Duration::from_secs(5);

/// What the I/O thread hands a connection when it drives it.
pub(super) struct Cx<'a> {
    pub shared: &'a Shared,
    pub mailbox: &'a Arc<Mailbox>,
    pub now: Instant,
    /// Shutting down: no new request is started, replies close.
    pub stopping: bool,
}

/// Whether the connection lives on.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum Fate {
    Alive,
    Gone,
}

enum State {
    /// Waiting for a request head: idle (nothing buffered since the last reply) or partial.
    Head {
        /// The head must be complete by then (set at the accept, or at its first byte).
        head_by: Option<Instant>,
        /// The whole request must be complete by then.
        request_by: Option<Instant>,
    },
    /// Reading a body.
    Body {
        head: Head,
        body: Vec<u8>,
        chunked: Option<Chunked>,
        /// Bytes still expected (`Content-Length` framing).
        left: usize,
        request_by: Instant,
        /// Bytes received in the current rate window, and its end.
        window_bytes: usize,
        window_end: Instant,
    },
    /// A complete event went on; its reply comes through the mailbox.
    Waiting {
        generation: u64,
        claim: Claim,
        persist: Persist,
        head_only: bool,
    },
    /// The last reply went out with FIN; what the peer still sends is discarded.
    Linger { until: Instant, discarded: usize },
}

/// The byte stream: plain TCP or TLS over it.
enum Wire {
    Plain,
    #[cfg(feature = "https")]
    Tls(Box<rustls::ServerConnection>),
}

/// A connection over the byte stream `S`: a TCP socket, or scripted bytes in the tests.
pub(super) struct Conn<S = TcpStream> {
    pub(super) token: Token,
    pub(super) sock: S,
    pub(super) peer: SocketAddr,
    wire: Wire,
    inbuf: Vec<u8>,
    out: Vec<u8>,
    out_pos: usize,
    state: State,
    generation: u64,
    /// Since when the connection has been idle or its request incomplete (eviction order).
    pub(super) since: Instant,
    readable: bool,
    writable: bool,
    /// The peer sent FIN (or TLS close_notify).
    eof: bool,
    /// Close once the replies are written.
    closing: bool,
    /// Replies have waited unsent since then.
    stalled_since: Option<Instant>,
    /// The deadline this connection is filed under in the loop's timers.
    pub(super) timer: Option<Instant>,
    /// Its last drive stopped at the turn's share with more to read: the loop drives it
    /// again next turn (readiness is edge-triggered: no new event may come for what the
    /// socket already holds).
    pub(super) more: bool,
    /// Requests started in its last drive (at most [`REQUESTS_PER_TURN`]).
    pub(super) started: usize,
    /// A refused connection: it only lingers, and counts against no cap.
    pub(super) refused: bool,
}

impl<S: Stream> Conn<S> {
    /// A new connection, to serve (its first head is due within the header timeout).
    pub(super) fn new(
        token: Token,
        sock: S,
        peer: SocketAddr,
        shared: &Shared,
        now: Instant,
    ) -> Option<Conn<S>> {
        #[cfg(feature = "https")]
        let wire = match &shared.tls {
            Some(config) => Wire::Tls(Box::new(
                rustls::ServerConnection::new(Arc::clone(config)).ok()?,
            )),
            None => Wire::Plain,
        };
        #[cfg(not(feature = "https"))]
        let wire = Wire::Plain;
        let config = &shared.config;
        Some(Conn {
            token,
            sock,
            peer,
            wire,
            inbuf: Vec::new(),
            out: Vec::new(),
            out_pos: 0,
            state: State::Head {
                head_by: Some(now + config.header_timeout.min(config.read_timeout)),
                request_by: Some(now + config.read_timeout),
            },
            generation: 0,
            since: Instant::now(),
            readable: false,
            writable: false,
            eof: false,
            closing: false,
            stalled_since: None,
            timer: None,
            more: false,
            started: 0,
            refused: false,
        })
    }

    /// A connection refused at the cap: it reads the 503, then lingers.
    pub(super) fn refused(
        token: Token,
        sock: S,
        peer: SocketAddr,
        read_timeout: Duration,
        now: Instant,
    ) -> Conn<S> {
        Conn {
            token,
            sock,
            peer,
            wire: Wire::Plain,
            inbuf: Vec::new(),
            out: h1::REFUSAL.to_vec(),
            out_pos: 0,
            state: State::Head {
                head_by: None,
                request_by: None,
            },
            generation: 0,
            since: now,
            readable: false,
            writable: true,
            eof: false,
            closing: true,
            stalled_since: None,
            timer: None,
            more: false,
            started: 0,
            refused: true,
        }
        .with_linger_limit(read_timeout)
    }

    fn with_linger_limit(mut self, read_timeout: Duration) -> Conn<S> {
        // The refusal is written at once (a fresh socket's buffer is empty), then FIN.
        let now = self.since;
        let _ = self.flush_plain();
        let _ = self.sock.shutdown_write();
        self.state = State::Linger {
            until: now + LINGER_TIME.min(read_timeout),
            discarded: 0,
        };
        self
    }

    /// May be evicted to make room: idle, or with its request incomplete.
    pub(super) fn evictable(&self) -> bool {
        matches!(self.state, State::Head { .. } | State::Body { .. }) && !self.closing
    }

    /// Mark readiness from the poller.
    pub(super) fn ready(&mut self, readable: bool, writable: bool) {
        self.readable |= readable;
        self.writable |= writable;
    }

    /// Shutdown began: idle and half-read connections end at once; one waiting for its
    /// reply gets it (or 503 at the end of the grace) and then closes.
    pub(super) fn stop(&mut self) -> Fate {
        match self.state {
            State::Head { .. } | State::Body { .. } => {
                if self.unsent() {
                    self.closing = true;
                    Fate::Alive
                } else {
                    Fate::Gone
                }
            }
            State::Waiting { .. } | State::Linger { .. } => Fate::Alive,
        }
    }

    /// The reply to request `generation` arrived from another thread.
    pub(super) fn complete(&mut self, generation: u64, reply: &Reply, cx: &Cx<'_>) {
        if let State::Waiting {
            generation: g,
            persist,
            head_only,
            ..
        } = self.state
        {
            if g == generation {
                self.respond(reply, head_only, persist, cx);
            }
        }
    }

    /// Read, parse, write as far as the socket and the state allow.
    pub(super) fn drive(&mut self, cx: &Cx<'_>) -> Fate {
        self.more = false;
        self.started = 0;
        for _ in 0..TURN {
            if self.fill(cx).is_err() {
                return Fate::Gone;
            }
            if let State::Linger { discarded, .. } = self.state {
                if self.eof || discarded >= LINGER_BYTES {
                    return Fate::Gone;
                }
                return Fate::Alive;
            }
            let buffered = self.inbuf.len();
            self.advance(cx);
            let consumed = self.inbuf.len() < buffered;
            if self.flush().is_err() {
                return Fate::Gone;
            }
            if self.out.len() - self.out_pos > OUT_CAP {
                cx.shared
                    .counters
                    .slow_readers
                    .fetch_add(1, Ordering::Relaxed);
                debug!("receiver: cut a connection whose peer does not read its replies");
                return Fate::Gone;
            }
            if self.closing && !self.unsent() {
                self.start_linger(cx);
                continue;
            }
            if self.eof
                && !self.closing
                && !self.unsent()
                && matches!(self.state, State::Head { .. } | State::Body { .. })
            {
                // Closed between requests, or in the middle of one: nothing to answer.
                return Fate::Gone;
            }
            let tls = !matches!(self.wire, Wire::Plain);
            if !(self.inbuf.len() < IN_CAP && (self.readable || (tls && consumed))) {
                return Fate::Alive;
            }
        }
        // The turn's share is used with more to read: again next turn.
        self.more = true;
        Fate::Alive
    }

    /// The next deadline of this connection.
    pub(super) fn deadline(&self, cx: &Cx<'_>) -> Option<Instant> {
        let config = &cx.shared.config;
        let stall = self.stalled_since.map(|t| t + config.read_timeout);
        let own = match &self.state {
            State::Head {
                head_by,
                request_by,
            } => {
                if self.closing {
                    None
                } else if head_by.is_none() && self.inbuf.is_empty() {
                    Some(self.since + config.idle_timeout)
                } else {
                    min_opt(*head_by, *request_by)
                }
            }
            State::Body {
                request_by,
                window_end,
                ..
            } => Some(if config.min_body_rate > 0 {
                (*request_by).min(*window_end)
            } else {
                *request_by
            }),
            State::Waiting { .. } => {
                if cx.stopping {
                    Some(cx.shared.grace_deadline().unwrap_or(cx.now))
                } else {
                    None
                }
            }
            State::Linger { until, .. } => Some(*until),
        };
        min_opt(stall, own)
    }

    /// A deadline passed: act on it.
    pub(super) fn on_timer(&mut self, cx: &Cx<'_>) -> Fate {
        let now = cx.now;
        let config = &cx.shared.config;
        let counters = &cx.shared.counters;
        if self
            .stalled_since
            .is_some_and(|t| t + config.read_timeout <= now)
        {
            counters.slow_readers.fetch_add(1, Ordering::Relaxed);
            debug!("receiver: cut a connection whose peer stopped reading (write deadline)");
            return Fate::Gone;
        }
        match &mut self.state {
            State::Head {
                head_by,
                request_by,
            } => {
                if self.closing {
                    return Fate::Alive;
                }
                if head_by.is_none() && self.inbuf.is_empty() {
                    if self.since + config.idle_timeout <= now {
                        debug!("receiver: closed an idle keep-alive connection");
                        return Fate::Gone;
                    }
                    return Fate::Alive;
                }
                if min_opt(*head_by, *request_by).is_some_and(|d| d <= now) {
                    counters.read_timeouts.fetch_add(1, Ordering::Relaxed);
                    debug!("receiver: request head timed out");
                    self.respond_local(408, cx);
                }
            }
            State::Body {
                request_by,
                window_bytes,
                window_end,
                ..
            } => {
                let slow = config.min_body_rate > 0
                    && *window_end <= now
                    && (*window_bytes as u64)
                        < config.min_body_rate.saturating_mul(RATE_WINDOW.as_secs());
                if *request_by <= now || slow {
                    counters.read_timeouts.fetch_add(1, Ordering::Relaxed);
                    debug!("receiver: request body timed out or came too slowly");
                    self.respond_local(408, cx);
                } else if *window_end <= now {
                    *window_bytes = 0;
                    *window_end = now + RATE_WINDOW;
                }
            }
            State::Waiting {
                claim, head_only, ..
            } => {
                if cx.stopping && cx.shared.grace_deadline().is_none_or(|d| d <= now) {
                    let head_only = *head_only;
                    // Claimed here: an answer that comes later is never made.
                    if claim.expire() {
                        counters.expired_deliveries.fetch_add(1, Ordering::Relaxed);
                        self.respond(&h1::local_reply(503), head_only, Persist::Close, cx);
                    }
                    // Else the answer is in the mailbox already, or about to be.
                }
            }
            State::Linger { until, .. } => {
                if *until <= now {
                    return Fate::Gone;
                }
            }
        }
        self.drive(cx)
    }
}

/// Waiting for the next request of a keep-alive connection (idle until its first byte).
fn idle_state() -> State {
    State::Head {
        head_by: None,
        request_by: None,
    }
}

fn min_opt(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}
