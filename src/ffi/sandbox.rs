//! The sandbox in C: `cinnox_sandbox_*`.
