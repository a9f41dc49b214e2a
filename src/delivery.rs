//! An event in the application's hands, and where the application's answer goes.
//!
//! A [`Delivery`] comes from [`Receiver::recv`](crate::Receiver::recv) (the connection that
//! carried the event waits for the answer and turns it into the HTTP status) or, with an
//! inbox, from the inbox that holds the event (the answer becomes an ack, a retry or a dead
//! letter). The application's code is the same either way: `ack`, `fail`, or drop.

use std::fmt;
use std::net::SocketAddr;

use crate::event::{DedupKey, Event};
use crate::webhook::Verdict;

/// Where the answer to a delivery goes: the connection waiting for it, or the store that
/// holds the event. Called at most once per delivery.
pub(crate) trait Settle: Send + Sync {
    /// The application answered `verdict` (`reason` says why it failed; empty for an ack).
    fn settle(self: Box<Self>, event: &Event, verdict: Verdict, reason: &str);

    /// Where a delivery from an inbox stands in its retry schedule.
    fn inbox_attempt(&self) -> Option<InboxAttempt> {
        None
    }

    /// Shutdown took the delivery back before the application saw it.
    fn abandon(self: Box<Self>, event: &Event) {
        self.settle(
            event,
            Verdict::Failed,
            "taken back at shutdown before it was handled",
        );
    }
}

/// Where a delivery taken from an inbox stands in its retry schedule
/// ([`Delivery::inbox_attempt`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct InboxAttempt {
    /// The stored event's id (`Inbox::get`, `Inbox::replay`).
    pub id: i64,
    /// Which attempt this is, from 1.
    pub attempt: u32,
    /// Attempts in all under the inbox's retry schedule.
    pub max_attempts: u32,
    /// How long after a failure of this attempt the next one starts; `None` when this is the
    /// last: a failure makes the event dead.
    pub retry_in: Option<std::time::Duration>,
}

/// The reason recorded when a delivery is dropped without an answer.
pub(crate) const DROPPED: &str = "dropped without an answer";

/// An event waiting for the application's answer. Dropped unanswered, it fails.
///
/// `Send + Sync`: it may be answered from any thread.
pub struct Delivery {
    event: Event,
    peer: Option<SocketAddr>,
    settle: Option<Box<dyn Settle>>,
}

impl Delivery {
    pub(crate) fn new(event: Event, peer: Option<SocketAddr>, settle: Box<dyn Settle>) -> Self {
        Delivery {
            event,
            peer,
            settle: Some(settle),
        }
    }

    /// The event.
    pub fn event(&self) -> &Event {
        &self.event
    }

    /// The exact body.
    pub fn raw(&self) -> &[u8] {
        self.event.raw()
    }

    /// The peer that sent it, when it came straight from a connection.
    pub fn peer(&self) -> Option<SocketAddr> {
        self.peer
    }

    /// The identity of the event.
    pub fn dedup_key(&self) -> DedupKey {
        self.event.dedup_key()
    }

    /// For a delivery taken from an inbox: its id, which attempt this is, and what a failure
    /// would bring (a retry, when, or the dead letter). `None` straight from a connection.
    pub fn inbox_attempt(&self) -> Option<InboxAttempt> {
        self.settle.as_ref().and_then(|s| s.inbox_attempt())
    }

    /// The event was handled: without an inbox the connection is answered 200; with one,
    /// the stored event is marked done.
    pub fn ack(mut self) {
        self.answer(Verdict::Handled, "");
    }

    /// The event was not handled: without an inbox the connection is answered 500, so that
    /// CINNOX may deliver it again; with one, the event is retried later from the inbox (or
    /// dead-lettered after its last attempt).
    pub fn fail(mut self) {
        self.answer(Verdict::Failed, "failed by the application");
    }

    /// [`Delivery::fail`], recording why (kept with a dead-lettered event by an inbox).
    pub fn fail_with(mut self, reason: impl fmt::Display) {
        self.answer(Verdict::Failed, &reason.to_string());
    }

    /// Give it back unseen (shutdown): fail it without the application having answered.
    pub(crate) fn abandon(mut self) {
        if let Some(settle) = self.settle.take() {
            settle.abandon(&self.event);
        }
    }

    fn answer(&mut self, verdict: Verdict, reason: &str) {
        if let Some(settle) = self.settle.take() {
            settle.settle(&self.event, verdict, reason);
        }
    }
}

impl Drop for Delivery {
    fn drop(&mut self) {
        self.answer(Verdict::Failed, DROPPED);
    }
}

impl fmt::Debug for Delivery {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Delivery")
            .field("event", &self.event)
            .field("peer", &self.peer)
            .finish_non_exhaustive()
    }
}
