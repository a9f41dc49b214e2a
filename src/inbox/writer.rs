//! The writer thread: it stores what the receiver queued in one transaction per batch and
//! answers each event once its transaction is durable.

use std::sync::mpsc;

use super::backend::Backend;
use super::records::Stored;
use super::{now_ms, Inner};
use crate::sync::lock;
use crate::{Error, Result};

/// An event waiting for the writer, and who waits for the outcome.
pub(super) struct Job {
    pub(super) dedup_key: String,
    pub(super) body: Vec<u8>,
    pub(super) done: Box<dyn FnOnce(Result<Stored>) + Send>,
}

/// The writer: take what is queued, store it in one transaction, answer each.
pub(super) fn write_loop(
    mut store: Box<dyn Backend>,
    rx: mpsc::Receiver<Job>,
    inner: std::sync::Weak<Inner>,
) {
    // Commits since the last idle checkpoint: one is worth it only after a few.
    let mut unfolded = 0u32;
    loop {
        let first = match rx.try_recv() {
            Ok(job) => job,
            Err(mpsc::TryRecvError::Disconnected) => break,
            Err(mpsc::TryRecvError::Empty) => {
                if unfolded >= IDLE_CHECKPOINT_AFTER {
                    store.idle();
                    unfolded = 0;
                }
                match rx.recv() {
                    Ok(job) => job,
                    Err(_) => break,
                }
            }
        };
        unfolded += 1;
        let mut jobs = vec![first];
        while jobs.len() < 1024 {
            match rx.try_recv() {
                Ok(job) => jobs.push(job),
                Err(_) => break,
            }
        }
        let rows: Vec<(String, Vec<u8>)> = jobs
            .iter_mut()
            .map(|j| {
                (
                    std::mem::take(&mut j.dedup_key),
                    std::mem::take(&mut j.body),
                )
            })
            .collect();
        match store.insert(&rows, now_ms()) {
            Ok(results) => {
                if let Some(inner) = inner.upgrade() {
                    *lock(&inner.stored) += 1;
                    inner.stored_cv.notify_all();
                }
                for (job, stored) in jobs.into_iter().zip(results) {
                    (job.done)(Ok(stored));
                }
            }
            Err(e) => {
                log::error!(target: super::LOG_TARGET, "inbox: {} events could not be stored: {e}", jobs.len());
                for job in jobs {
                    (job.done)(Err(Error::new(e.kind(), e.message())));
                }
            }
        }
    }
}

/// Commits after which a writer that runs out of work checkpoints (SQLite's WAL).
const IDLE_CHECKPOINT_AFTER: u32 = 16;
