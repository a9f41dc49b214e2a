//! The queue between the I/O threads and the application's threads: verified deliveries
//! wait here for `recv` and the `serve` workers.
//!
//! The I/O threads push without waking anyone and call [`WorkQueue::wake`] once per turn
//! of their loop, so that the events of one turn go to the workers together (on a busy
//! core, a wake-up per event would switch threads per event).

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Instant;

use crate::delivery::Delivery;
use crate::sync::lock;
use crate::{Error, ErrorKind, Result};

/// Deliveries waiting for the application, and the workers waiting for them.
pub(super) struct WorkQueue {
    state: Mutex<State>,
    ready: Condvar,
    /// Deliveries were pushed since the workers were last woken: a turn of an I/O loop
    /// that pushed nothing takes no lock in [`WorkQueue::wake`].
    unwoken: AtomicBool,
}

struct State {
    items: VecDeque<Delivery>,
    closed: bool,
    /// Workers waiting for an item (woken or not yet).
    waiting: usize,
}

/// What `pop` answers once the queue is closed.
pub(super) fn closed_error() -> Error {
    Error::new(ErrorKind::Closed, "the receiver is shut down")
}

impl WorkQueue {
    pub(super) fn new() -> WorkQueue {
        WorkQueue {
            state: Mutex::new(State {
                items: VecDeque::new(),
                closed: false,
                waiting: 0,
            }),
            ready: Condvar::new(),
            unwoken: AtomicBool::new(false),
        }
    }

    /// Queue `delivery` for the next `pop`, without waking anyone (see [`WorkQueue::wake`]).
    /// Once closed, nobody will take it: it is dropped, which fails it, and `false` is
    /// returned.
    pub(super) fn push(&self, delivery: Delivery) -> bool {
        let refused = {
            let mut state = lock(&self.state);
            if state.closed {
                Some(delivery)
            } else {
                state.items.push_back(delivery);
                None
            }
        };
        match refused {
            // Dropped outside the lock: failing it writes to its connection's mailbox.
            Some(delivery) => {
                drop(delivery);
                false
            }
            None => {
                self.unwoken.store(true, Ordering::Release);
                true
            }
        }
    }

    /// Wake as many waiting workers as there are queued items (at most).
    pub(super) fn wake(&self) {
        if !self.unwoken.swap(false, Ordering::AcqRel) {
            return;
        }
        let n = {
            let state = lock(&self.state);
            state.items.len().min(state.waiting)
        };
        if n >= 2 {
            self.ready.notify_all();
        } else if n == 1 {
            self.ready.notify_one();
        }
    }

    /// The oldest delivery, waiting for one until `deadline` (`None`: without end).
    /// `ErrorKind::Timeout` when none came in time, `ErrorKind::Closed` once closed and
    /// empty.
    pub(super) fn pop(&self, deadline: Option<Instant>) -> Result<Delivery> {
        let mut state = lock(&self.state);
        loop {
            if let Some(delivery) = state.items.pop_front() {
                return Ok(delivery);
            }
            if state.closed {
                return Err(closed_error());
            }
            let left = match deadline {
                None => None,
                Some(d) => match d.checked_duration_since(Instant::now()) {
                    Some(left) if !left.is_zero() => Some(left),
                    _ => {
                        return Err(Error::new(
                            ErrorKind::Timeout,
                            "no event arrived within the timeout",
                        ))
                    }
                },
            };
            state.waiting += 1;
            state = match left {
                None => self.ready.wait(state).unwrap_or_else(|e| e.into_inner()),
                Some(left) => {
                    self.ready
                        .wait_timeout(state, left)
                        .unwrap_or_else(|e| e.into_inner())
                        .0
                }
            };
            state.waiting -= 1;
        }
    }

    /// Close the queue: later pushes are refused, waiting workers are woken and told
    /// `Closed`. Returns what nobody took.
    pub(super) fn close(&self) -> Vec<Delivery> {
        let unclaimed = {
            let mut state = lock(&self.state);
            state.closed = true;
            state.items.drain(..).collect()
        };
        self.ready.notify_all();
        unclaimed
    }

    /// Deliveries waiting.
    #[cfg(test)]
    pub(super) fn len(&self) -> usize {
        lock(&self.state).items.len()
    }

    /// Workers waiting in `pop`.
    #[cfg(test)]
    fn waiting(&self) -> usize {
        lock(&self.state).waiting
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;
    use std::thread;
    use std::time::Duration;

    use super::*;
    use crate::delivery::Settle;
    use crate::event::Event;
    use crate::webhook::Verdict;
    use crate::Incoming;

    /// Records the verdict a delivery was settled with.
    struct Record(Arc<Mutex<Vec<(String, Verdict)>>>);

    impl Settle for Record {
        fn settle(self: Box<Self>, event: &Event, verdict: Verdict, _reason: &str) {
            let id = event.id().unwrap_or("-").to_owned();
            lock(&self.0).push((id, verdict));
        }
    }

    fn delivery(id: &str, log: &Arc<Mutex<Vec<(String, Verdict)>>>) -> Delivery {
        let body = format!(
            r#"{{"id":"{id}","eventDescription":"Inbound SMS","senderNumber":"1","recipientNumber":"2","contentType":"Text","content":"hi"}}"#
        );
        let Ok(Incoming::Event(event)) = crate::parse(body.as_bytes()) else {
            panic!("the test body is an event");
        };
        Delivery::new(event, None, Box::new(Record(Arc::clone(log))))
    }

    fn id(d: &Delivery) -> &str {
        d.event().id().unwrap_or("-")
    }

    #[test]
    fn deliveries_come_out_in_the_order_they_went_in() {
        let log = Arc::default();
        let q = WorkQueue::new();
        for i in ["a", "b", "c"] {
            assert!(q.push(delivery(i, &log)));
        }
        assert_eq!(q.len(), 3);
        for want in ["a", "b", "c"] {
            let d = q.pop(None).unwrap();
            assert_eq!(id(&d), want);
            d.ack();
        }
        assert_eq!(q.len(), 0);
    }

    #[test]
    fn an_empty_queue_answers_timeout_at_the_deadline_and_a_past_deadline_at_once() {
        let q = WorkQueue::new();
        let e = q.pop(Some(Instant::now())).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout);
        let e = q
            .pop(Some(Instant::now() + Duration::from_millis(20)))
            .unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Timeout);
        assert_eq!(q.waiting(), 0, "a worker that timed out no longer waits");
    }

    #[test]
    fn closing_hands_back_what_nobody_took_refuses_pushes_and_answers_closed() {
        let log = Arc::default();
        let q = WorkQueue::new();
        assert!(q.push(delivery("left", &log)));
        let unclaimed = q.close();
        assert_eq!(unclaimed.iter().map(id).collect::<Vec<_>>(), ["left"]);
        assert!(!q.push(delivery("late", &log)));
        // Refused, it was dropped unanswered: failed.
        assert_eq!(lock(&log).clone(), [("late".to_owned(), Verdict::Failed)]);
        assert_eq!(q.pop(None).unwrap_err().kind(), ErrorKind::Closed);
        drop(unclaimed);
        assert_eq!(
            lock(&log).clone(),
            [
                ("late".to_owned(), Verdict::Failed),
                ("left".to_owned(), Verdict::Failed)
            ]
        );
    }

    #[test]
    fn a_waiting_worker_gets_a_pushed_delivery_once_woken() {
        let log = Arc::default();
        let q = Arc::new(WorkQueue::new());
        let worker = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.pop(None).map(|d| id(&d).to_owned()))
        };
        // Synchronise on the worker waiting, then push and wake as an I/O turn does.
        while q.waiting() == 0 {
            thread::yield_now();
        }
        assert!(q.push(delivery("x", &log)));
        q.wake();
        assert_eq!(worker.join().unwrap().unwrap(), "x");
    }

    #[test]
    fn closing_wakes_a_worker_waiting_without_a_deadline() {
        let q = Arc::new(WorkQueue::new());
        let worker = {
            let q = Arc::clone(&q);
            thread::spawn(move || q.pop(None).map(|_| ()))
        };
        while q.waiting() == 0 {
            thread::yield_now();
        }
        assert!(q.close().is_empty());
        assert_eq!(
            worker.join().unwrap().unwrap_err().kind(),
            ErrorKind::Closed
        );
    }
}
