//! One I/O thread: a mio event loop that accepts connections and drives every one it owns,
//! with the deadlines of all of them in one ordered set.

use std::collections::{BTreeSet, HashMap, HashSet};
use std::io;
use std::net::IpAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use log::{debug, warn};
use mio::net::{TcpListener, TcpStream};
use mio::{Events, Interest, Poll, Token};

use super::conn::{Conn, Cx, Fate, Stream};
use super::pending::{Completion, Mailbox};
use super::Shared;

/// The listener's token.
const LISTENER: Token = Token(usize::MAX - 1);
/// The mailbox waker's token.
pub(super) const WAKER: Token = Token(usize::MAX);
/// Refused connections lingering at once, at most, beyond the cap; beyond, a refused
/// connection is closed at once.
const MAX_REFUSED: usize = 32;
/// Requests all the connections of one I/O thread may start in one turn: the rest wait
/// for the next turn, so that a turn stays short however many peers are busy, and a new
/// connection is accepted and read within a few turns.
const REQUESTS_PER_LOOP_TURN: usize = 128;
/// How long accepting pauses when the process is out of descriptors.
const EMFILE_PAUSE: Duration = Duration::from_millis(20);
/// Evictions and descriptor exhaustion are logged at most this often.
const LOG_EVERY: Duration = Duration::from_secs(10);

/// What one I/O thread owns.
pub(super) struct Loop {
    pub shared: Arc<Shared>,
    pub poll: Poll,
    /// Dropped at shutdown: connections still in the backlog are then reset, not left
    /// waiting.
    pub listener: Option<TcpListener>,
    pub mailbox: Arc<Mailbox>,
    /// This thread's share of `max_connections`.
    pub cap: usize,
}

struct State<S = TcpStream> {
    conns: HashMap<usize, Conn<S>>,
    timers: Timers,
    per_source: HashMap<IpAddr, usize>,
    next_id: usize,
    /// Served connections open (refused ones not counted).
    served: usize,
    refused: usize,
    accept_paused_until: Option<Instant>,
    last_eviction_log: Option<Instant>,
    evictions_since_log: u64,
    last_emfile_log: Option<Instant>,
    emfile_since_log: u64,
}

/// The deadlines of a loop's connections, one per connection at most: soonest first, and
/// at the same instant in the order of their ids.
#[derive(Default)]
struct Timers(BTreeSet<(Instant, usize)>);

impl Timers {
    /// The soonest deadline.
    fn next(&self) -> Option<Instant> {
        self.0.first().map(|&(t, _)| t)
    }

    /// File connection `id` under `next` instead of `old` (either may be none).
    fn refile(&mut self, id: usize, old: Option<Instant>, next: Option<Instant>) {
        if let Some(old) = old {
            self.0.remove(&(old, id));
        }
        if let Some(t) = next {
            self.0.insert((t, id));
        }
    }

    /// Take out the connection with the soonest deadline, if that is due by `now`.
    fn pop_due(&mut self, now: Instant) -> Option<usize> {
        match self.0.first() {
            Some(&(at, _)) if at <= now => self.0.pop_first().map(|(_, id)| id),
            _ => None,
        }
    }
}

/// What driving a connection did: the requests it started, and whether it stopped at its
/// share with more to read (see `Conn::more`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Driven {
    started: usize,
    more: bool,
}

/// Which connections a turn drives, and in which order: those left over from the last
/// turn first, then those with news; each once; until the turn's share of requests
/// ([`REQUESTS_PER_LOOP_TURN`]) is started. Those not driven go first next turn, so that
/// every connection gets its turn however many are busy.
#[derive(Default)]
struct Fairness {
    /// Connections to drive next turn, in order.
    again: Vec<usize>,
}

impl Fairness {
    /// Work is left for the next turn: it must not wait for an event.
    fn pending(&self) -> bool {
        !self.again.is_empty()
    }

    /// A turn begins: those left from the last one go first in `touched`.
    fn begin(&mut self, touched: &mut Vec<usize>) {
        touched.append(&mut self.again);
    }

    /// A connection driven outside the turn's order (a deadline) stopped at its share.
    fn again(&mut self, id: usize, driven: Driven) {
        if driven.more {
            self.again.push(id);
        }
    }

    /// Drive `touched` in order, each once, until `budget` requests are started; empties
    /// `touched`.
    fn drive(
        &mut self,
        touched: &mut Vec<usize>,
        budget: usize,
        mut drive: impl FnMut(usize) -> Driven,
    ) {
        let mut seen = HashSet::with_capacity(touched.len());
        touched.retain(|id| seen.insert(*id));
        let mut budget = budget;
        for (i, &id) in touched.iter().enumerate() {
            if budget == 0 {
                // Ahead of those driven this turn: every connection gets its turn.
                self.again.splice(0..0, touched[i..].iter().copied());
                break;
            }
            let driven = drive(id);
            self.again(id, driven);
            budget = budget.saturating_sub(driven.started);
        }
        touched.clear();
    }
}

impl Loop {
    pub(super) fn run(mut self) {
        let mut events = Events::with_capacity(1024);
        let mut st = State::new();
        let mut fair = Fairness::default();
        let mut touched: Vec<usize> = Vec::new();
        let mut completions: Vec<Completion> = Vec::new();
        let mut stopping = false;
        let mut hard_stop: Option<Instant> = None;
        let mut accept_ready = true;
        let registered = match &mut self.listener {
            Some(l) => self
                .poll
                .registry()
                .register(l, LISTENER, Interest::READABLE),
            None => Ok(()),
        };
        if registered.is_err() {
            warn!("receiver: cannot watch the listening socket; this I/O thread stops");
            return;
        }
        loop {
            let now = Instant::now();
            let mut wake_at = st.timers.next();
            if accept_ready {
                wake_at = min_opt(wake_at, st.accept_paused_until);
            }
            wake_at = min_opt(wake_at, hard_stop);
            let timeout = if !fair.pending() {
                wake_at.map(|t| t.saturating_duration_since(now))
            } else {
                // Work is left from the last turn: only look for new events.
                Some(Duration::ZERO)
            };
            if let Err(e) = self.poll.poll(&mut events, timeout) {
                if e.kind() != io::ErrorKind::Interrupted {
                    warn!("receiver: polling failed ({e}); retrying");
                    std::thread::sleep(Duration::from_millis(10));
                }
                continue;
            }
            fair.begin(&mut touched);
            for event in events.iter() {
                match event.token() {
                    LISTENER => accept_ready = true,
                    WAKER => {}
                    Token(id) => {
                        if let Some(conn) = st.conns.get_mut(&id) {
                            conn.ready(
                                event.is_readable() || event.is_read_closed() || event.is_error(),
                                event.is_writable() || event.is_write_closed() || event.is_error(),
                            );
                            touched.push(id);
                        }
                    }
                }
            }
            let now = Instant::now();
            if !stopping && self.shared.is_shutting_down() {
                stopping = true;
                let grace = self.shared.grace_deadline().unwrap_or(now);
                hard_stop =
                    Some(grace + self.shared.config.read_timeout.min(Duration::from_secs(1)));
                if let Some(mut listener) = self.listener.take() {
                    let _ = self.poll.registry().deregister(&mut listener);
                }
                let ids: Vec<usize> = st.conns.keys().copied().collect();
                for id in ids {
                    let fate = match st.conns.get_mut(&id) {
                        Some(conn) => conn.stop(),
                        None => continue,
                    };
                    if fate == Fate::Gone {
                        st.remove(id, &self.shared);
                    } else {
                        touched.push(id);
                    }
                }
            }
            self.mailbox.take(&mut completions);
            {
                let cx = self.cx(now, stopping);
                for c in completions.drain(..) {
                    if let Some(conn) = st.conns.get_mut(&c.token.0) {
                        conn.complete(c.generation, &c.reply, &cx);
                        touched.push(c.token.0);
                    }
                }
            }
            if accept_ready && !stopping && st.accept_paused_until.is_none_or(|t| t <= now) {
                st.accept_paused_until = None;
                accept_ready = self.accept(&mut st, now);
            }
            let cx = self.cx(now, stopping);
            // In order: those left from the last turn first, then those with new events;
            // each once. Past the turn's budget, the rest are left for the next turn.
            fair.drive(&mut touched, REQUESTS_PER_LOOP_TURN, |id| {
                st.drive(id, &cx, |c, cx| c.drive(cx))
            });
            loop {
                let now = Instant::now();
                let Some(id) = st.timers.pop_due(now) else {
                    break;
                };
                if let Some(conn) = st.conns.get_mut(&id) {
                    conn.timer = None;
                }
                let cx = Cx {
                    now,
                    ..self.cx(now, stopping)
                };
                let driven = st.drive(id, &cx, |c, cx| c.on_timer(cx));
                fair.again(id, driven);
            }
            // The events this turn queued go to the workers together (see `queue`).
            self.shared.queue.wake();
            if stopping && (st.conns.is_empty() || hard_stop.is_some_and(|t| Instant::now() >= t)) {
                break;
            }
        }
        let left: Vec<usize> = st.conns.keys().copied().collect();
        for id in left {
            st.remove(id, &self.shared);
        }
    }

    fn cx(&self, now: Instant, stopping: bool) -> Cx<'_> {
        Cx {
            shared: &self.shared,
            mailbox: &self.mailbox,
            now,
            stopping,
        }
    }

    /// Accept until the listener has no more; `true` when it may still have some (paused).
    fn accept(&mut self, st: &mut State, now: Instant) -> bool {
        let shared = Arc::clone(&self.shared);
        let config = &shared.config;
        let counters = &shared.counters;
        loop {
            let Some(listener) = &self.listener else {
                return false;
            };
            let (sock, peer) = match listener.accept() {
                Ok(pair) => pair,
                Err(e) if e.kind() == io::ErrorKind::WouldBlock => return false,
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::ConnectionAborted
                            | io::ErrorKind::ConnectionReset
                            | io::ErrorKind::Interrupted
                    ) =>
                {
                    continue
                }
                Err(e) => {
                    let emfile = matches!(e.raw_os_error(), Some(libc::EMFILE | libc::ENFILE));
                    if emfile {
                        counters.fd_exhaustions.fetch_add(1, Ordering::Relaxed);
                        st.emfile_since_log += 1;
                        if st
                            .last_emfile_log
                            .is_none_or(|t| now.duration_since(t) >= LOG_EVERY)
                        {
                            warn!(
                                "receiver: out of file descriptors ({} time(s)); evicting the longest idle connection and pausing accept (raise the descriptor limit above max_connections)",
                                st.emfile_since_log
                            );
                            st.last_emfile_log = Some(now);
                            st.emfile_since_log = 0;
                        }
                        if let Some(victim) = st.oldest_evictable(None) {
                            st.evict(victim, &shared);
                        }
                    } else {
                        debug!("receiver: accept failed: {e}");
                    }
                    st.accept_paused_until = Some(now + EMFILE_PAUSE);
                    return true;
                }
            };
            let _ = sock.set_nodelay(true);
            let id = st.next_id;
            st.next_id += 1;
            let token = Token(id);
            let ip = peer.ip();
            let over_source = config.per_source_limit > 0
                && st.per_source.get(&ip).copied().unwrap_or(0) >= config.per_source_limit;
            let mut admit = !over_source;
            if admit && st.served >= self.cap {
                match st.oldest_evictable(None) {
                    Some(victim) => {
                        st.evict(victim, &shared);
                        st.evictions_since_log += 1;
                        if st
                            .last_eviction_log
                            .is_none_or(|t| now.duration_since(t) >= LOG_EVERY)
                        {
                            warn!(
                                "receiver: at the connection cap; evicted {} idle or incomplete connection(s)",
                                st.evictions_since_log
                            );
                            st.last_eviction_log = Some(now);
                            st.evictions_since_log = 0;
                        }
                    }
                    None => admit = false,
                }
            }
            if !admit {
                counters.refused_connections.fetch_add(1, Ordering::Relaxed);
                if st.refused >= MAX_REFUSED {
                    continue;
                }
                let mut conn = Conn::refused(token, sock, peer, config.read_timeout, now);
                if self
                    .poll
                    .registry()
                    .register(&mut conn.sock, token, Interest::READABLE)
                    .is_err()
                {
                    continue;
                }
                st.refused += 1;
                st.insert(conn, &self.cx(now, false));
                continue;
            }
            let Some(mut conn) = Conn::new(token, sock, peer, &shared, now) else {
                continue;
            };
            if self
                .poll
                .registry()
                .register(
                    &mut conn.sock,
                    token,
                    Interest::READABLE | Interest::WRITABLE,
                )
                .is_err()
            {
                continue;
            }
            st.served += 1;
            *st.per_source.entry(ip).or_insert(0) += 1;
            counters.open_connections.fetch_add(1, Ordering::Relaxed);
            st.insert(conn, &self.cx(now, false));
        }
    }
}

impl<S: Stream> State<S> {
    fn new() -> State<S> {
        State {
            conns: HashMap::new(),
            timers: Timers::default(),
            per_source: HashMap::new(),
            next_id: 0,
            served: 0,
            refused: 0,
            accept_paused_until: None,
            last_eviction_log: None,
            evictions_since_log: 0,
            last_emfile_log: None,
            emfile_since_log: 0,
        }
    }

    fn insert(&mut self, mut conn: Conn<S>, cx: &Cx<'_>) {
        let id = conn.token.0;
        conn.timer = conn.deadline(cx);
        self.timers.refile(id, None, conn.timer);
        self.conns.insert(id, conn);
    }

    /// Run `f` on connection `id`, then refile its deadline or remove it.
    fn drive(
        &mut self,
        id: usize,
        cx: &Cx<'_>,
        f: impl FnOnce(&mut Conn<S>, &Cx<'_>) -> Fate,
    ) -> Driven {
        let Some(conn) = self.conns.get_mut(&id) else {
            return Driven::default();
        };
        if f(conn, cx) == Fate::Gone {
            let started = conn.started;
            self.remove(id, cx.shared);
            return Driven {
                started,
                more: false,
            };
        }
        let driven = Driven {
            started: conn.started,
            more: conn.more,
        };
        let next = conn.deadline(cx);
        if next != conn.timer {
            self.timers.refile(id, conn.timer, next);
            conn.timer = next;
        }
        driven
    }

    fn remove(&mut self, id: usize, shared: &Shared) {
        let Some(conn) = self.conns.remove(&id) else {
            return;
        };
        self.timers.refile(id, conn.timer, None);
        if conn.refused {
            self.refused -= 1;
        } else {
            self.served -= 1;
            shared
                .counters
                .open_connections
                .fetch_sub(1, Ordering::Relaxed);
            let ip = conn.peer.ip();
            if let Some(n) = self.per_source.get_mut(&ip) {
                *n -= 1;
                if *n == 0 {
                    self.per_source.remove(&ip);
                }
            }
        }
        // Dropping the socket closes it (and takes it out of the poller).
    }

    /// The served connection idle or incomplete the longest.
    fn oldest_evictable(&self, from: Option<IpAddr>) -> Option<usize> {
        self.conns
            .values()
            .filter(|c| !c.refused && c.evictable() && from.is_none_or(|ip| c.peer.ip() == ip))
            .min_by_key(|c| c.since)
            .map(|c| c.token.0)
    }

    fn evict(&mut self, id: usize, shared: &Shared) {
        shared
            .counters
            .evicted_connections
            .fetch_add(1, Ordering::Relaxed);
        debug!("receiver: evicted an idle or incomplete connection");
        self.remove(id, shared);
    }
}

fn min_opt(a: Option<Instant>, b: Option<Instant>) -> Option<Instant> {
    match (a, b) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, None) => a,
        (None, b) => b,
    }
}

#[cfg(test)]
mod tests;
