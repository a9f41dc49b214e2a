//! The C ABI. See `include/cinnox.h` for the contract each function keeps.
