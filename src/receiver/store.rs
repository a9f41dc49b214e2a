//! The plug for a durable store: with one, a verified event is answered 200 once the store
//! says it is durable, not when the application answers it.

use crate::event::Event;

/// What the store did with an event: the inbox's own answer.
pub(crate) use crate::inbox::Stored;

/// A durable store of events (the inbox).
pub(crate) trait Store: Send + Sync {
    /// Store `event` unless its dedup key is already stored, without blocking the caller;
    /// call `done` exactly once, from any thread, when it is durable or has failed.
    fn submit(&self, event: Event, done: Box<dyn FnOnce(crate::Result<Stored>) + Send>);
}

impl Store for crate::Inbox {
    fn submit(&self, event: Event, done: Box<dyn FnOnce(crate::Result<Stored>) + Send>) {
        crate::Inbox::submit(self, &event, done);
    }
}
