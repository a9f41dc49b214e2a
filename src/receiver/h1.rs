//! HTTP/1.1 request heads, body framing and reply bytes: pure rules over bytes (RFC 9112),
//! with no socket, clock or state beyond what a caller hands in.
//!
//! - [`parse_head`] reads a request head from the front of a buffer and decides its
//!   framing and persistence, or says which status refuses it;
//! - [`Chunked`] decodes a chunked body incrementally, as its bytes arrive;
//! - [`encode_reply`] writes a reply's bytes, with framing headers that are ours alone.

use std::io::Write;

use crate::webhook::{content_length, error_body, trim_ows, Reply};

/// The largest request head (request line and headers) accepted; larger gets 431 (414 when
/// the request line alone does not fit).
pub(crate) const MAX_HEAD: usize = 16 * 1024;
/// The most header fields accepted; more gets 431.
pub(crate) const MAX_HEADERS: usize = 64;
/// The longest chunk-size or trailer line accepted in a chunked body.
const MAX_LINE: usize = 4 * 1024;

/// How the body of a request is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// `Content-Length: n` (0 when neither header is present).
    Length(usize),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// What the reply says about the connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Persist {
    /// `Connection: close`; the connection ends after the reply.
    Close,
    /// An HTTP/1.1 connection that stays open (no header needed).
    KeepAlive,
    /// An HTTP/1.0 connection that asked to stay open: `Connection: keep-alive`.
    KeepAlive10,
}

/// A parsed request head, owned.
#[derive(Debug)]
pub(crate) struct Head {
    pub method: String,
    /// The target in origin form (an absolute-form target is reduced to its path).
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub framing: Framing,
    pub keep_alive: bool,
    /// An HTTP/1.0 request.
    pub http10: bool,
    /// Send `100 Continue` before reading the body.
    pub expect_continue: bool,
}

impl Head {
    /// Its header fields as the verifier's [`Request`](crate::webhook::Request) takes them.
    pub(crate) fn fields(&self) -> Vec<(&str, &str)> {
        self.headers
            .iter()
            .map(|(n, v)| (n.as_str(), v.as_str()))
            .collect()
    }

    /// How a reply to this request keeps or ends the connection.
    pub(crate) fn persist(&self) -> Persist {
        match (self.keep_alive, self.http10) {
            (false, _) => Persist::Close,
            (true, false) => Persist::KeepAlive,
            (true, true) => Persist::KeepAlive10,
        }
    }
}

/// Read the request head at the front of `buf`: `Ok(None)` while it is incomplete,
/// `Ok(Some((head, length)))` once complete, `Err(status)` when it is refused (answer
/// `status` and close).
pub(crate) fn parse_head(buf: &[u8]) -> Result<Option<(Head, usize)>, u16> {
    let window = &buf[..buf.len().min(MAX_HEAD + 1)];
    let Some(line_end) = window.iter().position(|&b| b == b'\n') else {
        // Refuse garbage at once rather than waiting for the cap.
        let mut fields = [httparse::EMPTY_HEADER; 0];
        if let Err(e) = httparse::Request::new(&mut fields).parse(window) {
            if !matches!(e, httparse::Error::TooManyHeaders) {
                return Err(400);
            }
        }
        return if window.len() > MAX_HEAD {
            Err(414)
        } else {
            Ok(None)
        };
    };
    // The version: 2.0 and 3.0 are not spoken on this port; 1.x above 1.1 is read as 1.1.
    let line = window[..line_end]
        .strip_suffix(b"\r")
        .unwrap_or(&window[..line_end]);
    let mut rewritten: Vec<u8>;
    let mut head_bytes = window;
    if let [.., b'H', b'T', b'T', b'P', b'/', major, b'.', minor] = line {
        if major.is_ascii_digit() && minor.is_ascii_digit() {
            if *major >= b'2' {
                return Err(505);
            }
            if *major == b'1' && *minor > b'1' {
                rewritten = window.to_vec();
                let at = line.len() - 1;
                rewritten[at] = b'1';
                head_bytes = &rewritten[..];
            }
        }
    }
    let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut fields);
    let parsed = req.parse(head_bytes);
    let head = match parsed {
        Ok(httparse::Status::Complete(n)) if n > MAX_HEAD => return Err(431),
        Ok(httparse::Status::Complete(n)) => (build_head(&req)?, n),
        Ok(httparse::Status::Partial) if window.len() > MAX_HEAD => return Err(431),
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(httparse::Error::TooManyHeaders) => return Err(431),
        Err(_) => return Err(400),
    };
    Ok(Some(head))
}

/// An absolute-form target (`http://host/path?q`) reduced to its origin form (`/path?q`).
fn origin_form(target: &str) -> &str {
    let lower_starts = |p: &str| {
        target.len() >= p.len() && target.as_bytes()[..p.len()].eq_ignore_ascii_case(p.as_bytes())
    };
    let rest = if lower_starts("http://") {
        &target[7..]
    } else if lower_starts("https://") {
        &target[8..]
    } else {
        return target;
    };
    match rest.find(['/', '?']) {
        Some(i) if rest.as_bytes()[i] == b'/' => &rest[i..],
        _ => "/",
    }
}

/// Turn the parsed head into owned form and decide its framing and persistence.
fn build_head(req: &httparse::Request<'_, '_>) -> Result<Head, u16> {
    let method = req.method.ok_or(400u16)?.to_owned();
    let target = origin_form(req.path.ok_or(400u16)?).to_owned();
    let minor = req.version.ok_or(400u16)?;
    let http10 = minor == 0;
    let mut headers = Vec::with_capacity(req.headers.len());
    let mut content_len: Option<usize> = None;
    let mut transfer_encodings = 0;
    let mut hosts = 0;
    let mut conn_close = false;
    let mut conn_keep_alive = false;
    let mut expect = None;
    for h in req.headers.iter() {
        let value = std::str::from_utf8(h.value).map_err(|_| 400u16)?;
        let name = h.name;
        if name.eq_ignore_ascii_case("content-length") {
            let n = content_length(value).ok_or(400u16)?;
            let n = usize::try_from(n).unwrap_or(usize::MAX);
            if content_len.is_some_and(|m| m != n) {
                return Err(400);
            }
            content_len = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            transfer_encodings += 1;
            // Only `chunked`, alone and once, is understood.
            if !trim_ows(value).eq_ignore_ascii_case("chunked") {
                return Err(501);
            }
        } else if name.eq_ignore_ascii_case("host") {
            hosts += 1;
            // RFC 9112 section 3.2: an invalid Host value MUST be answered 400.
            if !valid_host(trim_ows(value)) {
                return Err(400);
            }
        } else if name.eq_ignore_ascii_case("connection") {
            for token in value.split(',') {
                let token = trim_ows(token);
                conn_close |= token.eq_ignore_ascii_case("close");
                conn_keep_alive |= token.eq_ignore_ascii_case("keep-alive");
            }
        } else if name.eq_ignore_ascii_case("expect") {
            expect = Some(trim_ows(value).eq_ignore_ascii_case("100-continue"));
        }
        headers.push((name.to_owned(), value.to_owned()));
    }
    if transfer_encodings > 1 || (transfer_encodings > 0 && http10) {
        return Err(400);
    }
    // HTTP/1.1 requires exactly one Host; HTTP/1.0 at most one.
    if hosts > 1 || (hosts == 0 && !http10) {
        return Err(400);
    }
    let framing = match (transfer_encodings > 0, content_len) {
        // Both framings at once is how requests are smuggled: refuse.
        (true, Some(_)) => return Err(400),
        (true, None) => Framing::Chunked,
        (false, n) => Framing::Length(n.unwrap_or(0)),
    };
    let has_body = framing != Framing::Length(0);
    let expect_continue = match expect {
        // HTTP/1.0 knows no expectations; an empty body needs no permission.
        _ if http10 || !has_body => false,
        None => false,
        Some(true) => true,
        Some(false) => return Err(417),
    };
    let keep_alive = if http10 {
        conn_keep_alive && !conn_close
    } else {
        !conn_close
    };
    Ok(Head {
        method,
        target,
        headers,
        framing,
        keep_alive,
        http10,
        expect_continue,
    })
}

/// Whether `host` is a Host field value: `uri-host [ ":" port ]` (RFC 9112 section 3.2,
/// RFC 3986's reg-name, IPv4 or bracketed IP literal), or empty.
fn valid_host(host: &str) -> bool {
    let b = host.as_bytes();
    let (name, port) = if b.first() == Some(&b'[') {
        match host.find(']') {
            Some(end) => {
                let literal = &host[1..end];
                let ok = !literal.is_empty()
                    && literal
                        .bytes()
                        .all(|c| c.is_ascii_hexdigit() || b":.vV".contains(&c) || is_sub_delim(c));
                if !ok {
                    return false;
                }
                (None, &host[end + 1..])
            }
            None => return false,
        }
    } else {
        match host.rfind(':') {
            Some(i) => (Some(&host[..i]), &host[i..]),
            None => (Some(host), ""),
        }
    };
    let name_ok = name.is_none_or(|n| {
        let n = n.as_bytes();
        let mut i = 0;
        while i < n.len() {
            let c = n[i];
            if c == b'%' {
                if i + 2 >= n.len()
                    || !(n[i + 1].is_ascii_hexdigit() && n[i + 2].is_ascii_hexdigit())
                {
                    return false;
                }
                i += 3;
                continue;
            }
            if !(c.is_ascii_alphanumeric() || b"-._~".contains(&c) || is_sub_delim(c)) {
                return false;
            }
            i += 1;
        }
        true
    });
    let port_ok = match port.strip_prefix(':') {
        Some(digits) => digits.bytes().all(|c| c.is_ascii_digit()),
        None => port.is_empty(),
    };
    name_ok && port_ok
}

/// RFC 3986's sub-delims.
fn is_sub_delim(c: u8) -> bool {
    b"!$&'()*+,;=".contains(&c)
}

/// Whether `line` is a field line (`field-name ":" OWS field-value OWS`), as a trailer
/// line must be.
fn is_field_line(line: &[u8]) -> bool {
    let Some(colon) = line.iter().position(|&b| b == b':') else {
        return false;
    };
    let (name, value) = (&line[..colon], &line[colon + 1..]);
    !name.is_empty()
        && name.iter().all(|&c| is_tchar(c))
        && value
            .iter()
            .all(|&c| c == b'\t' || (c >= 0x20 && c != 0x7f))
}

/// RFC 9110's tchar: the bytes of a token.
fn is_tchar(c: u8) -> bool {
    c.is_ascii_alphanumeric() || b"!#$%&'*+-.^_`|~".contains(&c)
}

/// The size of a chunk-size line (`1*HEXDIG`, then optional extensions, each `BWS ";"`),
/// or `None` when it is anything else: no sign, no leading blank, no `0x`, at most 16
/// digits, no blank unless an extension follows (RFC 9112 section 7.1.1).
pub(crate) fn chunk_size(line: &[u8]) -> Option<usize> {
    let end = line.iter().position(|&b| b == b';').unwrap_or(line.len());
    let mut digits = &line[..end];
    if end < line.len() {
        // Bad whitespace before an extension's `;` is allowed; anywhere else it is not.
        while let [rest @ .., b' ' | b'\t'] = digits {
            digits = rest;
        }
    }
    if digits.is_empty() || digits.len() > 16 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    digits.iter().try_fold(0usize, |n, &d| {
        let v = char::from(d).to_digit(16)?;
        n.checked_mul(16)?.checked_add(v as usize)
    })
}

/// An incremental decoder of a chunked body.
#[derive(Debug, Default)]
pub(crate) struct Chunked {
    state: ChunkState,
    trailers: usize,
}

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
enum ChunkState {
    #[default]
    Size,
    Data(usize),
    DataEnd,
    Trailer,
    Done,
}

impl Chunked {
    /// Decode from `input`, appending chunk data to `body` (at most `max` bytes in all).
    /// Returns how many bytes of `input` were consumed and whether the body is complete,
    /// or the status that refuses it (400 for bad framing, 413 over `max`, 431 for too
    /// many trailer fields).
    pub(crate) fn feed(
        &mut self,
        input: &[u8],
        body: &mut Vec<u8>,
        max: usize,
    ) -> Result<(usize, bool), u16> {
        let mut pos = 0;
        loop {
            let rest = &input[pos..];
            match self.state {
                ChunkState::Done => return Ok((pos, true)),
                ChunkState::Size | ChunkState::Trailer => {
                    let Some(line) = crlf_line(rest)? else {
                        return Ok((pos, false));
                    };
                    pos += line.len() + 2;
                    if self.state == ChunkState::Trailer {
                        if line.is_empty() {
                            self.state = ChunkState::Done;
                        } else if !is_field_line(line) {
                            return Err(400);
                        } else {
                            self.trailers += 1;
                            if self.trailers > MAX_HEADERS {
                                return Err(431);
                            }
                        }
                        continue;
                    }
                    let size = chunk_size(line).ok_or(400u16)?;
                    if size == 0 {
                        self.state = ChunkState::Trailer;
                    } else if size > max.saturating_sub(body.len()) {
                        return Err(413);
                    } else {
                        self.state = ChunkState::Data(size);
                    }
                }
                ChunkState::Data(n) => {
                    if rest.is_empty() {
                        return Ok((pos, false));
                    }
                    let take = n.min(rest.len());
                    body.extend_from_slice(&rest[..take]);
                    pos += take;
                    self.state = if take == n {
                        ChunkState::DataEnd
                    } else {
                        ChunkState::Data(n - take)
                    };
                }
                ChunkState::DataEnd => match rest {
                    [b'\r', b'\n', ..] => {
                        pos += 2;
                        self.state = ChunkState::Size;
                    }
                    [] | [b'\r'] => return Ok((pos, false)),
                    _ => return Err(400),
                },
            }
        }
    }
}

/// The CRLF-terminated line at the front of `input` (without its CRLF); `None` while it is
/// incomplete; 400 for a bare LF, a bare CR, or a line over the cap. The answer is the same
/// however the line was split: a line longer than [`MAX_LINE`] is refused whether it
/// arrived whole or in pieces.
fn crlf_line(input: &[u8]) -> Result<Option<&[u8]>, u16> {
    match input.iter().position(|&b| b == b'\n') {
        Some(i) if i > 0 && input[i - 1] == b'\r' => {
            let line = &input[..i - 1];
            if line.len() > MAX_LINE || line.contains(&b'\r') {
                return Err(400);
            }
            Ok(Some(line))
        }
        Some(_) => Err(400),
        None => {
            // What arrived so far is the line, and perhaps the CR of its end.
            let content = match input {
                [rest @ .., b'\r'] => rest,
                all => all,
            };
            if content.len() > MAX_LINE || content.contains(&b'\r') {
                Err(400)
            } else {
                Ok(None)
            }
        }
    }
}

/// The bytes of a reply. The framing headers are ours: a `Content-Length`,
/// `Transfer-Encoding` or `Connection` in `reply.headers` is left out, and so is any header
/// whose value would break the head.
pub(crate) fn encode_reply(reply: &Reply, head_only: bool, persist: Persist) -> Vec<u8> {
    let mut out = Vec::with_capacity(160 + reply.body.len());
    // Writing into a Vec cannot fail; the numbers go in without a String of their own.
    let _ = write!(
        out,
        "HTTP/1.1 {} {}\r\n",
        reply.status,
        reason(reply.status)
    );
    for (name, value) in &reply.headers {
        let framing = ["content-length", "transfer-encoding", "connection"]
            .iter()
            .any(|f| name.eq_ignore_ascii_case(f));
        if framing || value.bytes().any(|b| b == b'\r' || b == b'\n') {
            continue;
        }
        out.extend_from_slice(name.as_bytes());
        out.extend_from_slice(b": ");
        out.extend_from_slice(value.as_bytes());
        out.extend_from_slice(b"\r\n");
    }
    let _ = write!(out, "Content-Length: {}\r\n", reply.body.len());
    match persist {
        Persist::Close => out.extend_from_slice(b"Connection: close\r\n"),
        Persist::KeepAlive10 => out.extend_from_slice(b"Connection: keep-alive\r\n"),
        Persist::KeepAlive => {}
    }
    out.extend_from_slice(b"\r\n");
    if !head_only {
        out.extend_from_slice(&reply.body);
    }
    out
}

/// `100 Continue`.
pub(crate) const CONTINUE: &[u8] = b"HTTP/1.1 100 Continue\r\n\r\n";

/// What a connection refused at the connection cap reads.
pub(crate) const REFUSAL: &[u8] = b"HTTP/1.1 503 Service Unavailable\r\nRetry-After: 1\r\nContent-Length: 0\r\nConnection: close\r\n\r\n";

/// A reply made by the HTTP layer itself (framing errors, timeouts, overload), with a small
/// JSON body in CINNOX's error shape.
pub(crate) fn local_reply(status: u16) -> Reply {
    Reply {
        status,
        headers: vec![("Content-Type", "application/json".to_owned())],
        body: error_body(status, &reason(status).to_ascii_lowercase()),
    }
}

/// `503` with `Retry-After: 1`: try again shortly (the store could not keep the event).
pub(crate) fn retry_later() -> Reply {
    let mut reply = local_reply(503);
    reply.headers.push(("Retry-After", "1".to_owned()));
    reply
}

/// The reason phrase of a status.
pub(crate) fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        202 => "Accepted",
        204 => "No Content",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        409 => "Conflict",
        411 => "Length Required",
        413 => "Payload Too Large",
        414 => "URI Too Long",
        415 => "Unsupported Media Type",
        417 => "Expectation Failed",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests;
