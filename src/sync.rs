//! The crate's one way to take a lock.

use std::sync::{Mutex, MutexGuard};

/// Lock, ignoring poisoning: every state the crate protects with a mutex stays consistent
/// between statements, so a thread that panicked while holding it (a handler's panic is
/// caught, never propagated) leaves nothing half-done for the next holder.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_poisoned_lock_is_still_taken() {
        let m = std::sync::Arc::new(Mutex::new(1));
        let m2 = m.clone();
        let _ = std::thread::spawn(move || {
            let _guard = m2.lock();
            panic!("poison it");
        })
        .join();
        assert!(m.is_poisoned());
        *lock(&m) += 1;
        assert_eq!(*lock(&m), 2);
    }
}
