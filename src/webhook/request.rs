//! What the verifier reads and answers: [`Request`], [`Reply`], [`Outcome`], [`Verdict`].

use std::net::IpAddr;

use crate::event::{push_json_string_body, Event};

/// One HTTP request as any server sees it.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// `POST`, `GET`, …
    pub method: &'a str,
    /// The request target: path with query.
    pub path: &'a str,
    /// Header names and values, as received.
    pub headers: &'a [(&'a str, &'a str)],
    /// The TCP peer, when known.
    pub peer: Option<IpAddr>,
    /// The body (empty when calling [`Webhook::check_head`](super::Webhook::check_head)).
    pub body: &'a [u8],
}

impl<'a> Request<'a> {
    /// The value of the first header named `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&'a str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| *v)
    }
}

/// An HTTP reply to send.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Reply {
    /// The status code.
    pub status: u16,
    /// Headers to send with it.
    pub headers: Vec<(&'static str, String)>,
    /// The body.
    pub body: Vec<u8>,
}

impl Reply {
    /// A JSON reply with `Content-Type: application/json` and `X-Content-Type-Options: nosniff`.
    pub fn json(status: u16, body: Vec<u8>) -> Reply {
        Reply {
            status,
            headers: crate::event::REPLY_HEADERS
                .iter()
                .map(|(n, v)| (*n, (*v).to_owned()))
                .collect(),
            body,
        }
    }

    /// The value of the first header named `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    pub(super) fn refusal(status: u16, message: &str) -> Reply {
        Reply::json(status, error_body(status, message))
    }

    pub(crate) fn ok() -> Reply {
        Reply::json(200, b"{\"code\":0}".to_vec())
    }
}

/// `{"code":<status>,"message":"<message>"}`: the body of every refusal, the verifier's and
/// the receiver's own (timeouts, framing errors, overload).
pub(crate) fn error_body(status: u16, message: &str) -> Vec<u8> {
    use std::fmt::Write;
    let mut body = String::with_capacity(message.len() + 32);
    let _ = write!(body, "{{\"code\":{status},\"message\":\"");
    push_json_string_body(&mut body, message);
    body.push_str("\"}");
    body.into_bytes()
}

/// What to do with a request.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
#[non_exhaustive]
pub enum Outcome {
    /// Send this reply; nothing for the application (challenge, refusal, duplicate).
    Respond(Reply),
    /// Hand this event to the application, then send [`Webhook::finish`](super::Webhook::finish)'s reply.
    Deliver(Event),
}

/// The application's answer to an event.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Verdict {
    /// Handled: 200, and remembered so a redelivery is not handed out again.
    Handled,
    /// Failed: 500, so that CINNOX may deliver it again.
    Failed,
}
