//! The verifier inside a program's own [tiny_http](https://docs.rs/tiny_http/0.12) server
//! (feature `tiny_http`).
//!
//! [`accept`] takes one `tiny_http::Request`, answers whatever needs no application (a
//! challenge, a refusal, a duplicate) and hands back the rest as a [`Pending`] event. The
//! application handles the event and then answers it with [`Pending::finish`]: `200` only
//! after [`Verdict::Handled`], `500` after [`Verdict::Failed`] or when the `Pending` is
//! dropped unanswered, so that CINNOX delivers it again.
//!
//! ```no_run
//! use cinnox::webhook::tiny_http::accept;
//! use cinnox::{Verdict, Webhook, WebhookConfig};
//!
//! let webhook = Webhook::new(WebhookConfig::new("/cinnox/s3cr3t")?);
//! let server = tiny_http::Server::http("0.0.0.0:8080")?;
//! for request in server.incoming_requests() {
//!     if let Ok(Some(pending)) = accept(&webhook, request) {
//!         println!("{:?}", pending.event().payload());
//!         pending.finish(Verdict::Handled)?; // 200, now that it is handled
//!     }
//! }
//! # Ok::<(), Box<dyn std::error::Error + Send + Sync>>(())
//! ```
//!
//! # What it reads
//!
//! The method, the request target as sent (path and query, not decoded), every header and
//! the TCP peer become the verifier's [`Request`]; [`Webhook::check_head`] runs on them
//! before a byte of the body is read, so a refused request never gets `100 Continue` and
//! a `Content-Length` over the cap is refused at once. The body is then read up to the cap
//! plus one byte and no further: a longer body (chunked) gets the verifier's own `413`, the
//! one an over-long `Content-Length` gets. A body that cannot be read (cut short, broken
//! chunked framing) gets `400` and is counted as a bad request.
//!
//! # Threads and durability are yours
//!
//! tiny_http gives the request to whichever thread called `recv`, and that thread reads the
//! body: a peer that sends slowly holds it. After answering, tiny_http reads and drops the
//! rest of a declared body before the thread is free again. Serve from several threads
//! (tiny_http's `Server` is `Sync`) and put a proxy with timeouts in front. Nothing is
//! stored: a `200` means the application handled the event. The embedded
//! [`Receiver`](crate::Receiver), with an inbox, is the route that needs none of this.

use std::fmt;
use std::io::{self, Cursor, Read};
use std::net::SocketAddr;

use ::tiny_http::{Header, StatusCode};

use super::{Outcome, Reply, Request, Verdict, Webhook};
use crate::event::Event;

/// Check `request` and answer it unless the application must see it.
///
/// `Ok(None)`: answered (a challenge, a refusal, a duplicate); nothing for the
/// application. `Ok(Some(pending))`: an event; handle it, then
/// [`finish`](Pending::finish) it. `Err`: the answer could not be written (tiny_http
/// already ignores a peer that hung up).
pub fn accept(
    webhook: &Webhook,
    mut request: ::tiny_http::Request,
) -> io::Result<Option<Pending<'_>>> {
    match outcome(webhook, &mut request) {
        Outcome::Respond(reply) => {
            request.respond(response(reply))?;
            Ok(None)
        }
        Outcome::Deliver(event) => Ok(Some(Pending {
            webhook,
            peer: request.remote_addr().copied(),
            event,
            request: Some(request),
        })),
    }
}

/// The verifier's decision on `request`, which is left unanswered: the lower-level half of
/// [`accept`], for a server that answers by itself (send [`response`] of the reply; for an
/// event, of [`Webhook::finish`]'s).
///
/// The head is checked before the body is read, and at most the cap plus one byte of the
/// body is read. A body that cannot be read is a `400` refusal, never an error.
pub fn outcome(webhook: &Webhook, request: &mut ::tiny_http::Request) -> Outcome {
    let peer = request.remote_addr().map(SocketAddr::ip);
    {
        let fields = fields(request);
        let head = Request {
            method: request.method().as_str(),
            path: request.url(),
            headers: &fields,
            peer,
            body: &[],
        };
        if let Err(refusal) = webhook.check_head(&head) {
            return Outcome::Respond(refusal);
        }
    }
    let declared = request.body_length();
    let body = read_body(request.as_reader(), webhook.max_body_len(), declared);
    let fields = fields(request);
    let mut req = Request {
        method: request.method().as_str(),
        path: request.url(),
        headers: &fields,
        peer,
        body: &[],
    };
    match &body {
        Ok(body) => {
            req.body = body;
            // The head passed `check_head` already: only the body is left to check.
            webhook.handle_checked(&req)
        }
        Err(e) => {
            log::debug!("the body could not be read: {e}");
            Outcome::Respond(webhook.refuse_unreadable(&req))
        }
    }
}

/// `reply` as a tiny_http response: its status, every header and the body.
///
/// tiny_http adds `Content-Length`, `Date` and `Server`. A header tiny_http cannot carry
/// (not ASCII, or a control character other than tab in it, such as a line break) is left
/// out; the verifier makes none.
pub fn response(reply: Reply) -> ::tiny_http::Response<Cursor<Vec<u8>>> {
    let headers = reply
        .headers
        .iter()
        .filter_map(|(name, value)| {
            let sendable = !value.bytes().any(|b| b.is_ascii_control() && b != b'\t');
            let header = sendable
                .then(|| Header::from_bytes(name.as_bytes(), value.as_bytes()).ok())
                .flatten();
            if header.is_none() {
                log::warn!("a reply header tiny_http cannot send was left out: {name}");
            }
            header
        })
        .collect();
    let len = reply.body.len();
    ::tiny_http::Response::new(
        StatusCode(reply.status),
        headers,
        Cursor::new(reply.body),
        Some(len),
        None,
    )
}

impl From<Reply> for ::tiny_http::Response<Cursor<Vec<u8>>> {
    /// [`response`].
    fn from(reply: Reply) -> Self {
        response(reply)
    }
}

/// An event from [`accept`] whose request waits for the application's answer.
///
/// [`finish`](Pending::finish) it once the event is handled (or not); dropped unanswered,
/// it answers `500` (as [`Verdict::Failed`]) so that CINNOX delivers the event again. It is
/// `Send`: it may be answered on another thread.
#[must_use = "answer it with finish(); dropped, it answers 500"]
pub struct Pending<'w> {
    webhook: &'w Webhook,
    peer: Option<SocketAddr>,
    event: Event,
    /// `None` once answered.
    request: Option<::tiny_http::Request>,
}

impl Pending<'_> {
    /// The event.
    pub fn event(&self) -> &Event {
        &self.event
    }

    /// The TCP peer the request came from, when tiny_http knows it.
    pub fn remote_addr(&self) -> Option<SocketAddr> {
        self.peer
    }

    /// Answer the request: [`Webhook::finish`]'s reply for `verdict` (`200` for
    /// [`Verdict::Handled`], which also remembers the event so that a redelivery is
    /// answered without reaching the application; `500` for [`Verdict::Failed`]).
    ///
    /// `Err`: the answer could not be written; the verdict counts all the same.
    pub fn finish(mut self, verdict: Verdict) -> io::Result<()> {
        match self.request.take() {
            Some(request) => request.respond(response(self.webhook.finish(&self.event, verdict))),
            None => Ok(()),
        }
    }
}

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        if let Some(request) = self.request.take() {
            log::debug!(
                "event {} was dropped unanswered: answered 500",
                self.event.id().unwrap_or("-")
            );
            let _ = request.respond(response(self.webhook.finish(&self.event, Verdict::Failed)));
        }
    }
}

impl fmt::Debug for Pending<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Pending")
            .field("event", &self.event)
            .field("peer", &self.peer)
            .field("answered", &self.request.is_none())
            .finish()
    }
}

/// The headers as the verifier reads them.
fn fields(request: &::tiny_http::Request) -> Vec<(&str, &str)> {
    request
        .headers()
        .iter()
        .map(|h| (h.field.as_str().as_str(), h.value.as_str()))
        .collect()
}

/// At most `cap + 1` bytes of the body: one more than the cap tells an over-long body
/// (which the verifier refuses) from one exactly at the cap, without reading the rest. A
/// body shorter than its `declared` length was cut short.
fn read_body(reader: &mut dyn Read, cap: usize, declared: Option<usize>) -> io::Result<Vec<u8>> {
    let limit = cap.saturating_add(1);
    let mut body = Vec::with_capacity(declared.unwrap_or(0).min(limit).min(64 * 1024));
    reader.take(limit as u64).read_to_end(&mut body)?;
    if let Some(n) = declared.filter(|&n| body.len() < n) {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            format!("the body ended after {} of its {n} bytes", body.len()),
        ));
    }
    Ok(body)
}

#[cfg(test)]
mod tests;
