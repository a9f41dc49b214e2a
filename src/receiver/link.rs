//! The link between a connection and the delivery it waits on.
//!
//! The thread that answers a delivery (`ack`, `fail`, or dropping it) writes the reply to
//! the socket itself, so that the peer has its answer without waiting for the connection
//! thread to wake; the connection thread then goes on with the next request. On plain TCP
//! the reply goes through a second handle on the socket, and the connection thread waits
//! for the next request in a read meanwhile, settling the pending delivery (`wait`) only
//! once that read returns: the answering thread's wake-up then finds nobody asleep. The link also
//! carries the shutdown grace: past it, the connection thread answers 503 instead, and an
//! answer that comes later is dropped: its reply is never made, so it is counted neither as
//! an ack nor as a fail, and an ack then remembers no dedup key (CINNOX was told 503 and
//! will deliver the event again).
//!
//! The state lock is never held across a socket write: a peer that stopped reading can hold
//! a write for up to the write timeout, and shutdown (which sets the grace on every link)
//! must not wait for that. Whoever claims the pending delivery (the answering thread, or the
//! connection thread at the end of the grace) writes its reply after releasing the lock.

use std::io::Write;
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::Instant;

use super::http::{encode_reply, local_reply, Transport};
use super::lock;
use crate::webhook::Reply;

/// One connection's stream and its hand-off state.
pub(crate) struct Link {
    /// The stream: read by the connection thread, written by whoever answers. Without a
    /// `writer`, never used by both at once: the connection thread does not read while a
    /// delivery is pending.
    stream: Mutex<Box<dyn Transport>>,
    /// A second handle on a plain TCP stream, through which deliveries are answered, so
    /// that the connection thread may wait for the next request in a read (holding
    /// `stream`) while a delivery is pending, instead of sleeping on the link and waking
    /// once more per event. The connection thread still makes sure the pending reply was
    /// written before it parses the next request or writes anything itself.
    writer: Option<TcpStream>,
    state: Mutex<State>,
    ready: Condvar,
    shutting_down: Arc<AtomicBool>,
}

struct State {
    /// Which delivery of this connection is current.
    generation: u64,
    /// The pending delivery wants the connection kept open (unless shutting down). Taken
    /// by whoever writes its reply; `None` with `done` still `None` means it is being
    /// written.
    pending: Option<bool>,
    /// How the answer went, once written.
    done: Option<Done>,
    /// A reply for the connection thread to write itself: the failure of a delivery that
    /// shutdown took back before the application saw it.
    handed_over: Option<Vec<u8>>,
    /// End of the shutdown grace, once shutting down.
    deadline: Option<Instant>,
}

/// How the answer to a delivery went on the wire.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Done {
    /// The reply was written whole.
    pub written: bool,
    /// The reply said `Connection: close`.
    pub close: bool,
}

impl Link {
    pub(crate) fn new(stream: Box<dyn Transport>, shutting_down: Arc<AtomicBool>) -> Link {
        Link {
            writer: stream.split_writer(),
            stream: Mutex::new(stream),
            state: Mutex::new(State {
                generation: 0,
                pending: None,
                done: None,
                handed_over: None,
                deadline: None,
            }),
            ready: Condvar::new(),
            shutting_down,
        }
    }

    /// Use the stream (the connection thread's reads and its own replies).
    pub(crate) fn with_stream<T>(&self, f: impl FnOnce(&mut dyn Transport) -> T) -> T {
        let mut stream = lock(&self.stream);
        f(&mut **stream)
    }

    /// The connection thread may read while a delivery is pending (see `writer`).
    pub(crate) fn reads_while_pending(&self) -> bool {
        self.writer.is_some()
    }

    fn write(&self, bytes: &[u8]) -> bool {
        match &self.writer {
            // A TCP socket takes one writer and one reader at once; no buffering to flush.
            Some(w) => {
                let mut w: &TcpStream = w;
                w.write_all(bytes).is_ok()
            }
            None => self.with_stream(|s| s.write_all(bytes).and_then(|()| s.flush()).is_ok()),
        }
    }

    /// A delivery starts: returns its generation.
    pub(crate) fn begin(&self, keep_alive: bool) -> u64 {
        let mut st = lock(&self.state);
        st.generation += 1;
        st.pending = Some(keep_alive);
        st.done = None;
        st.generation
    }

    /// The application answered delivery `generation`: make the reply with `reply` and
    /// write it, unless it is too late (the grace ended and 503 went out instead); then
    /// `reply` is not called and this returns `false`.
    pub(crate) fn answer(&self, generation: u64, reply: impl FnOnce() -> Reply) -> bool {
        let keep_alive = {
            let mut st = lock(&self.state);
            if st.generation != generation {
                return false;
            }
            match st.pending.take() {
                Some(keep_alive) => keep_alive,
                None => return false,
            }
        };
        let close = !keep_alive || self.shutting_down.load(Ordering::Acquire);
        // Outside the state lock: this write may wait for a peer that does not read.
        let written = self.write(&encode_reply(&reply(), false, close));
        self.finished(generation, Done { written, close });
        true
    }

    /// Answer delivery `generation` with `reply` and `Connection: close` (used while
    /// shutting down), written by the connection thread, so that the caller never waits on
    /// the socket. `false` (and `reply` not called) when it was answered already.
    pub(crate) fn hand_over(&self, generation: u64, reply: impl FnOnce() -> Reply) -> bool {
        {
            let mut st = lock(&self.state);
            if st.generation != generation || st.pending.take().is_none() {
                return false;
            }
        }
        let bytes = encode_reply(&reply(), false, true);
        let mut st = lock(&self.state);
        if st.generation == generation {
            st.handed_over = Some(bytes);
        }
        drop(st);
        self.ready.notify_one();
        true
    }

    /// The reply to delivery `generation` went out (or failed): wake the connection thread.
    fn finished(&self, generation: u64, done: Done) {
        let mut st = lock(&self.state);
        if st.generation == generation {
            st.done = Some(done);
        }
        drop(st);
        self.ready.notify_one();
    }

    /// Wait until delivery `generation` is answered, or the grace ends (then answer 503,
    /// calling `on_expire` first, so the expiry is counted before the peer can see it).
    pub(crate) fn wait(&self, generation: u64, on_expire: impl FnOnce()) -> Done {
        let mut st = lock(&self.state);
        loop {
            if st.generation == generation {
                if let Some(done) = st.done.take() {
                    return done;
                }
                if let Some(bytes) = st.handed_over.take() {
                    drop(st);
                    let written = self.write(&bytes);
                    return Done {
                        written,
                        close: true,
                    };
                }
            }
            // The grace matters only while the delivery is still unclaimed: not shutting
            // down, or the answer is being written or handed over (a write ends by the
            // write timeout at the latest), means waiting for it.
            let grace = st.deadline.filter(|_| st.pending.is_some());
            st = match grace {
                None => self.ready.wait(st).unwrap_or_else(|e| e.into_inner()),
                Some(d) => {
                    let now = Instant::now();
                    if now >= d {
                        // Claimed here: a later answer finds nothing pending.
                        st.pending = None;
                        drop(st);
                        on_expire();
                        let written = self.write(&encode_reply(&local_reply(503), false, true));
                        return Done {
                            written,
                            close: true,
                        };
                    }
                    self.ready
                        .wait_timeout(st, d - now)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
        }
    }

    /// The shutdown grace ends at `deadline`.
    pub(crate) fn set_deadline(&self, deadline: Instant) {
        lock(&self.state).deadline = Some(deadline);
        self.ready.notify_one();
    }
}
