//! The webhook receiver in C: `cinnox_receiver_*` and `cinnox_delivery_*`.
