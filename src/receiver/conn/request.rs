//! Requests on a connection: parse what is buffered, check a head, read its body, answer
//! it or hand its event on, and queue the reply.

use std::net::SocketAddr;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::Instant;

use log::debug;

use super::super::h1::{self, Chunked, Framing, Head, Persist};
use super::super::pending::{Claim, Ticket};
use super::{idle_state, Conn, Cx, State, Stream, OUT_PAUSE, RATE_WINDOW, REQUESTS_PER_TURN};
use crate::webhook::{Outcome, Reply, Request};

impl<S: Stream> Conn<S> {
    /// Parse and act on what is buffered.
    pub(super) fn advance(&mut self, cx: &Cx<'_>) {
        loop {
            match &mut self.state {
                State::Linger { .. } | State::Waiting { .. } => return,
                State::Head {
                    head_by,
                    request_by,
                } => {
                    if self.closing
                        || self.inbuf.is_empty()
                        || self.out.len() - self.out_pos > OUT_PAUSE
                    {
                        return;
                    }
                    if cx.stopping {
                        self.closing = true;
                        return;
                    }
                    if head_by.is_none() {
                        // The first byte of a request after an idle time.
                        let config = &cx.shared.config;
                        *head_by = Some(cx.now + config.header_timeout.min(config.read_timeout));
                        *request_by = Some(cx.now + config.read_timeout);
                        self.since = Instant::now();
                    }
                    if self.started >= REQUESTS_PER_TURN {
                        // This turn's share is used: the rest waits for the next turn.
                        self.more = true;
                        return;
                    }
                    let request_by = request_by.unwrap_or(cx.now);
                    match h1::parse_head(&self.inbuf) {
                        Ok(None) => return,
                        Err(status) => {
                            cx.shared
                                .counters
                                .malformed_requests
                                .fetch_add(1, Ordering::Relaxed);
                            log_bad_head(&self.inbuf, status, self.peer);
                            self.respond_local(status, cx);
                            return;
                        }
                        Ok(Some((head, n))) => {
                            self.started += 1;
                            self.inbuf.drain(..n);
                            self.start_request(head, request_by, cx);
                        }
                    }
                }
                State::Body {
                    body,
                    chunked,
                    left,
                    window_bytes,
                    ..
                } => {
                    if self.inbuf.is_empty() {
                        return;
                    }
                    let max = cx.shared.webhook.max_body_len();
                    let (used, complete) = match chunked {
                        Some(decoder) => match decoder.feed(&self.inbuf, body, max) {
                            Ok(step) => step,
                            Err(status) => {
                                cx.shared
                                    .counters
                                    .malformed_requests
                                    .fetch_add(1, Ordering::Relaxed);
                                self.respond_local(status, cx);
                                return;
                            }
                        },
                        None => {
                            let take = (*left).min(self.inbuf.len());
                            body.extend_from_slice(&self.inbuf[..take]);
                            *left -= take;
                            (take, *left == 0)
                        }
                    };
                    *window_bytes += used;
                    self.inbuf.drain(..used);
                    if !complete {
                        return;
                    }
                    let State::Body { head, body, .. } =
                        std::mem::replace(&mut self.state, idle_state())
                    else {
                        return;
                    };
                    self.finish_request(head, body, cx);
                }
            }
        }
    }

    /// A head arrived: check it, then read its body (or finish at once).
    fn start_request(&mut self, head: Head, request_by: Instant, cx: &Cx<'_>) {
        let shared = cx.shared;
        let fields = head.fields();
        let request = Request {
            method: &head.method,
            path: &head.target,
            headers: &fields,
            peer: Some(self.peer.ip()),
            body: &[],
        };
        if let Err(refusal) = shared.webhook.check_head(&request) {
            self.respond(&refusal, head.method == "HEAD", Persist::Close, cx);
            return;
        }
        drop(fields);
        let max = shared.webhook.max_body_len();
        let (chunked, left) = match head.framing {
            Framing::Length(n) if n > max => {
                shared
                    .counters
                    .malformed_requests
                    .fetch_add(1, Ordering::Relaxed);
                self.respond_local(413, cx);
                return;
            }
            Framing::Length(n) => (None, n),
            Framing::Chunked => (Some(Chunked::default()), 0),
        };
        if head.expect_continue {
            self.out.extend_from_slice(h1::CONTINUE);
        }
        if chunked.is_none() && left == 0 {
            return self.finish_request(head, Vec::new(), cx);
        }
        self.state = State::Body {
            body: Vec::with_capacity(left.min(64 * 1024)),
            head,
            chunked,
            left,
            request_by,
            window_bytes: 0,
            window_end: cx.now + RATE_WINDOW,
        };
    }

    /// A whole request arrived: answer it, or hand its event on.
    fn finish_request(&mut self, head: Head, body: Vec<u8>, cx: &Cx<'_>) {
        let shared = cx.shared;
        let head_only = head.method == "HEAD";
        let fields = head.fields();
        let request = Request {
            method: &head.method,
            path: &head.target,
            headers: &fields,
            peer: Some(self.peer.ip()),
            body: &body,
        };
        let persist = if cx.stopping {
            Persist::Close
        } else {
            head.persist()
        };
        // The head passed `check_head` already: only the body is left to check.
        match shared.webhook.handle_checked(&request) {
            Outcome::Respond(reply) => self.respond(&reply, head_only, persist, cx),
            Outcome::Deliver(event) => {
                self.generation += 1;
                let claim = Claim::default();
                let ticket = Ticket::new(
                    Arc::clone(cx.mailbox),
                    self.token,
                    self.generation,
                    claim.clone(),
                );
                self.state = State::Waiting {
                    generation: self.generation,
                    claim,
                    persist,
                    head_only,
                };
                shared.dispatch(event, self.peer, ticket);
            }
        }
    }

    /// Queue `reply`; the connection then waits for the next request, or closes.
    pub(super) fn respond(
        &mut self,
        reply: &Reply,
        head_only: bool,
        persist: Persist,
        cx: &Cx<'_>,
    ) {
        let persist = if cx.stopping || self.closing {
            Persist::Close
        } else {
            persist
        };
        self.out
            .extend_from_slice(&h1::encode_reply(reply, head_only, persist));
        if persist == Persist::Close {
            self.closing = true;
        }
        self.state = idle_state();
        self.since = Instant::now();
    }

    /// Answer a refusal of the HTTP layer and close.
    pub(super) fn respond_local(&mut self, status: u16, cx: &Cx<'_>) {
        self.respond(&h1::local_reply(status), false, Persist::Close, cx);
    }
}

/// Say at debug level why a request head was refused, and name the common mistake of a
/// TLS ClientHello (handshake record `0x16 0x03 …`) sent to a plain-HTTP port: the sender
/// was given an `https://` URL for this `http://` receiver.
fn log_bad_head(inbuf: &[u8], status: u16, peer: SocketAddr) {
    if inbuf.starts_with(&[0x16, 0x03]) {
        debug!(
            target: super::LOG_TARGET,
            "refused {status} (a TLS handshake on this plain-HTTP port: the sender uses \
             https:// for an http:// receiver) from {}",
            peer.ip()
        );
    } else {
        debug!(
            target: super::LOG_TARGET,
            "refused {status} (malformed request head) from {}",
            peer.ip()
        );
    }
}
