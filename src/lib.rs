//! # cinnox
//!
//! Take part in CINNOX's event subscriptions from Rust, C, C++ or any language with a C FFI:
//! subscribe a webhook URL to CINNOX events, receive them on a hardened webhook receiver
//! that answers CINNOX's URL verification, keep them in a durable inbox, and hand your code
//! typed call, inbound-SMS and outbound-SMS events. Synchronous (no async runtime), and it
//! never panics into your process.
//!
//! ## The whole flow, against the built-in sandbox
//!
//! [`Sandbox`] plays CINNOX on 127.0.0.1, so this runs with no account (it is a doc test):
//!
//! ```
//! use cinnox::event::Payload;
//! use cinnox::sandbox::{InboundSmsNotification, SandboxConfig};
//! use cinnox::{Client, EventKind, Receiver, Sandbox, WebhookConfig};
//!
//! fn main() -> cinnox::Result<()> {
//!     // CINNOX (here, its stand-in) knows the app and its App Token.
//!     let sandbox = Sandbox::start(SandboxConfig::builder().app("my-app", "my-token").build()?)?;
//!
//!     // A receiver on a secret path: CINNOX does not sign webhooks, the path keeps
//!     // strangers out.
//!     let receiver = Receiver::bind("127.0.0.1:0", WebhookConfig::new("/cinnox/s3cr3t")?)?;
//!     let url = format!("http://{}/cinnox/s3cr3t", receiver.local_addr());
//!
//!     // Subscribe: CINNOX verifies the URL (the receiver answers the challenge) first.
//!     let client = Client::new(sandbox.base_url(), "my-token")?;
//!     client.subscribe("my-app", EventKind::InboundSms, &url)?;
//!
//!     // An SMS arrives; the application gets it typed, and its ack answers CINNOX 200
//!     // (the sandbox waits for that answer, so it sends from a thread of its own).
//!     let sms = InboundSmsNotification::new().content("Is the shop open?").build();
//!     let records = std::thread::scope(|s| {
//!         let sending = s.spawn(|| sandbox.trigger(&sms));
//!         let delivery = receiver.recv()?;
//!         if let Payload::InboundSms(sms) = delivery.event().payload() {
//!             println!("SMS: {:?}", sms.content);
//!         }
//!         delivery.ack();
//!         Ok::<_, cinnox::Error>(sending.join().expect("the sandbox's thread"))
//!     })?;
//!     assert!(records.iter().all(|r| r.delivered()));
//!
//!     client.unsubscribe("my-app", EventKind::InboundSms, &url)?;
//!     Ok(())
//! }
//! ```
//!
//! `cargo run --example quickstart` shows more: every event kind, a redelivery, the inbox,
//! and the same program against CINNOX itself.
//!
//! ## What is here
//!
//! - [`Client`] subscribes a webhook URL to an [`EventKind`] over the CINNOX Open API, with
//!   retries of what is transient, and one [`Error`] with a [`kind()`](Error::kind) for
//!   every failure.
//! - [`Receiver`] is the embedded webhook server: its own hardened HTTP/1.1 front on one
//!   event loop, with deadlines, a connection cap and optional HTTPS (feature `https`).
//!   [`Receiver::serve`] runs a handler on worker threads; [`Receiver::recv`] gives a
//!   [`Delivery`] to [`ack`](Delivery::ack) or [`fail`](Delivery::fail).
//! - [`Inbox`] (module [`inbox`]) stores each event durably before the receiver answers
//!   `200` (SQLite, or PostgreSQL with feature `postgres` for several hosts), and hands it
//!   out with retries, dead letters and replay. Use one whenever the sender's retries are
//!   unknown, which with CINNOX is always.
//! - [`Webhook`] is the same verifier without a socket, for your own HTTP server (feature
//!   `tiny_http`: `webhook::tiny_http` mounts it in a tiny_http server in a few lines);
//!   [`parse`] turns a notification body into a typed [`Event`] or a challenge.
//! - [`Sandbox`] is a local stand-in for CINNOX, for development and tests in any language.
//! - [`metrics`] renders the receiver's and the client's counters as Prometheus text.
//!
//! ## The command, and other languages
//!
//! The `cinnox` command (feature `cli`: `cargo install --locked --path . --features cli`)
//! does all of this from the shell: `subscribe`, `listen` (printing, forwarding or handing
//! each event to a command, with `--inbox`), `verify`, `trigger`, `sandbox`, and `inbox`
//! to look into, replay and work an inbox.
//!
//! C and C++ link the same library through `include/cinnox.h` (`./install-c.sh` installs
//! it with a pkg-config file); Python, Node.js, Go, Java, Ruby, PHP and C# call that C ABI.
//! Its implementation is the `ffi` module, hidden from these pages: the header is its
//! documentation.

#![warn(missing_docs)]
// `unsafe` lives in the C layer alone (`ffi`, which allows it); the rest of the crate is
// safe Rust.
#![deny(unsafe_code)]

pub mod client;
pub mod delivery;
pub mod error;
pub mod event;
/// The C ABI (`include/cinnox.h` documents it): `extern "C"` functions for C and every
/// other language. Not meant for Rust callers.
#[doc(hidden)]
#[allow(unsafe_code)]
pub mod ffi;
pub mod inbox;
mod kind;
pub mod metrics;
mod random;
pub mod receiver;
pub mod sandbox;
mod sync;
mod urls;
pub mod webhook;

pub use client::{Client, ClientBuilder, RetryPolicy, RetryPolicyBuilder, Subscription};
pub use delivery::{Delivery, InboxAttempt};
pub use error::{Error, ErrorKind, Result};
pub use event::{challenge_reply, parse, Event, Incoming};
pub use inbox::Inbox;
pub use kind::EventKind;
pub use receiver::{
    Receiver, ReceiverConfig, ReceiverConfigBuilder, ReceiverStats, ShutdownHandle,
};
pub use sandbox::{Sandbox, SandboxConfig, SandboxConfigBuilder};
pub use webhook::{Outcome, Reply, Request, Verdict, Webhook, WebhookConfig, WebhookConfigBuilder};

/// The README's Rust examples, compiled and run as doc tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
pub struct ReadmeDoctests;
