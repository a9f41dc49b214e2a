//! Replies that another thread completes: the application's answer to a delivery, or a
//! store's word that an event is durable. Either way the reply goes to the I/O thread that
//! owns the connection, through its mailbox, and the I/O thread writes it: no other thread
//! ever touches a socket.
//!
//! A [`Ticket`] names the connection (its token) and the request on it (a generation). It
//! races only with the end of the shutdown grace, through a claim both sides take with a
//! compare-and-swap: the first wins. An answer that loses is never made into a reply, so it
//! is counted neither as an ack nor as a fail, and an ack then remembers no dedup key.

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::{Arc, Mutex};

use mio::{Token, Waker};

use crate::sync::lock;
use crate::webhook::Reply;

const PENDING: u8 = 0;
const ANSWERED: u8 = 1;
const EXPIRED: u8 = 2;

/// A reply made on another thread, for the connection `token`'s request `generation`.
pub(crate) struct Completion {
    pub token: Token,
    pub generation: u64,
    pub reply: Reply,
}

/// One I/O thread's inbox of completed replies, and the waker of its loop.
pub(crate) struct Mailbox {
    done: Mutex<Vec<Completion>>,
    waker: Waker,
}

impl Mailbox {
    pub(crate) fn new(waker: Waker) -> Mailbox {
        Mailbox {
            done: Mutex::new(Vec::new()),
            waker,
        }
    }

    /// Take the completions that arrived (the I/O thread).
    pub(crate) fn take(&self, into: &mut Vec<Completion>) {
        into.append(&mut lock(&self.done));
    }

    /// Wake the loop (shutdown).
    pub(crate) fn wake(&self) {
        let _ = self.waker.wake();
    }

    fn post(&self, completion: Completion) {
        let first = {
            let mut done = lock(&self.done);
            done.push(completion);
            done.len() == 1
        };
        // A loop already woken for an earlier completion takes this one with it.
        if first {
            self.wake();
        }
    }
}

/// The claim on a pending reply, shared by its [`Ticket`] and its connection.
#[derive(Clone, Default)]
pub(crate) struct Claim(Arc<AtomicU8>);

impl Claim {
    /// The I/O thread gives up waiting (end of the grace): `true` when nobody answered, and
    /// no answer will be made now.
    pub(crate) fn expire(&self) -> bool {
        self.0
            .compare_exchange(PENDING, EXPIRED, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    }
}

/// The right to complete one pending reply, from any thread.
pub(crate) struct Ticket {
    mailbox: Arc<Mailbox>,
    token: Token,
    generation: u64,
    claim: Claim,
}

impl Ticket {
    pub(crate) fn new(mailbox: Arc<Mailbox>, token: Token, generation: u64, claim: Claim) -> Self {
        Ticket {
            mailbox,
            token,
            generation,
            claim,
        }
    }

    /// Complete the reply with what `make` gives, and wake the I/O thread to write it.
    /// `false`, with `make` never called, when it is too late (the grace ended).
    pub(crate) fn complete(self, make: impl FnOnce() -> Reply) -> bool {
        if self
            .claim
            .0
            .compare_exchange(PENDING, ANSWERED, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            return false;
        }
        let reply = make();
        self.mailbox.post(Completion {
            token: self.token,
            generation: self.generation,
            reply,
        });
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mailbox() -> (mio::Poll, Arc<Mailbox>) {
        let poll = mio::Poll::new().unwrap();
        let waker = Waker::new(poll.registry(), Token(7)).unwrap();
        (poll, Arc::new(Mailbox::new(waker)))
    }

    fn reply(status: u16) -> Reply {
        Reply::json(status, b"{}".to_vec())
    }

    #[test]
    fn an_answer_reaches_the_mailbox_once_with_its_token_and_generation() {
        let (mut poll, mb) = mailbox();
        let claim = Claim::default();
        let ticket = Ticket::new(Arc::clone(&mb), Token(3), 9, claim.clone());
        assert!(ticket.complete(|| reply(200)));
        // The loop was woken.
        let mut events = mio::Events::with_capacity(4);
        poll.poll(&mut events, Some(std::time::Duration::from_secs(5)))
            .unwrap();
        assert!(events.iter().any(|e| e.token() == Token(7)));
        let mut got = Vec::new();
        mb.take(&mut got);
        assert_eq!(got.len(), 1);
        assert_eq!(
            (got[0].token, got[0].generation, got[0].reply.status),
            (Token(3), 9, 200)
        );
        // Answered: the end of the grace finds nothing left to expire.
        assert!(!claim.expire());
        mb.take(&mut got);
        assert_eq!(got.len(), 1, "taken once");
    }

    #[test]
    fn after_the_grace_an_answer_is_never_made() {
        let (_poll, mb) = mailbox();
        let claim = Claim::default();
        let ticket = Ticket::new(Arc::clone(&mb), Token(1), 1, claim.clone());
        assert!(claim.expire());
        let mut made = false;
        assert!(!ticket.complete(|| {
            made = true;
            reply(200)
        }));
        assert!(!made, "a reply that loses the race is never made");
        let mut got = Vec::new();
        mb.take(&mut got);
        assert!(got.is_empty());
        assert!(!claim.expire(), "expired once");
    }

    #[test]
    fn answers_from_many_threads_all_arrive() {
        let (_poll, mb) = mailbox();
        std::thread::scope(|s| {
            for i in 0..16u64 {
                let mb = Arc::clone(&mb);
                s.spawn(move || {
                    let t = Ticket::new(mb, Token(i as usize), i, Claim::default());
                    assert!(t.complete(|| reply(200)));
                });
            }
        });
        let mut got = Vec::new();
        mb.take(&mut got);
        let mut gens: Vec<u64> = got.iter().map(|c| c.generation).collect();
        gens.sort_unstable();
        assert_eq!(gens, (0..16).collect::<Vec<_>>());
    }
}
