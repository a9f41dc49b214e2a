//! A local stand-in for CINNOX's side of the event API (issue 6).
//!
//! SKELETON: filled in by the sandbox work.

/// A local CINNOX stand-in.
pub struct Sandbox {
    _private: (),
}
