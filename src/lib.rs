//! # cinnox
//!
//! CINNOX event subscriptions from Rust, C and C++.
//!
//! - [`Client`] subscribes a webhook URL to an [`EventKind`] over the CINNOX Open API.
//! - [`parse`] turns a notification body into a typed [`Event`] (or a verification challenge).
//! - [`Webhook`] is the HTTP-agnostic verifier: path secret, method, size, content type,
//!   source and duplicate checks, the challenge reply, and the status for the application's
//!   answer. Use it behind your own HTTP server.
//! - [`Receiver`] is the embedded webhook server built on [`Webhook`]: its own hardened
//!   HTTP/1.1 front (heads parsed by `httparse`), with deadlines and a connection cap.
//! - [`Delivery`] is an event in the application's hands: `ack`, `fail`, or drop.
//! - [`Sandbox`] is a local stand-in for CINNOX, for development and tests.
//!
//! The C ABI lives in the `ffi` module and is described by `include/cinnox.h`.

#![warn(missing_docs)]

pub mod client;
pub mod delivery;
pub mod error;
pub mod event;
pub mod ffi;
pub mod inbox;
mod kind;
pub mod metrics;
mod random;
pub mod receiver;
pub mod sandbox;
pub mod webhook;

pub use client::{Client, ClientBuilder, RetryPolicy, Subscription};
pub use delivery::Delivery;
pub use error::{Error, ErrorKind, Result};
pub use event::{challenge_reply, parse, Event, Incoming};
pub use inbox::Inbox;
pub use kind::EventKind;
pub use receiver::{Receiver, ReceiverConfig, ReceiverStats, ShutdownHandle};
pub use sandbox::{Sandbox, SandboxConfig};
pub use webhook::{Outcome, Reply, Request, Verdict, Webhook, WebhookConfig};

/// The README's Rust examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
