//! HTTP/1.1 on one connection: reading requests under deadlines, writing replies.
//!
//! Every read has a deadline. A request (head and body) must arrive within the read timeout
//! of its first byte (of the accept, for the first request of a connection); between
//! requests a keep-alive connection may stay silent for the idle timeout. Heads are capped
//! in size and header count, bodies at the verifier's body cap, before anything is buffered.

use std::io::{self, Read, Write};
use std::net::{Shutdown, TcpStream};
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::link::Link;
use crate::webhook::{error_body, Reply};

/// The byte stream of one connection: plain TCP, or TLS over TCP.
pub(crate) trait Transport: Read + Write + Send {
    /// The TCP socket under the stream (for timeouts and shutdown).
    fn tcp(&self) -> &TcpStream;
    /// Say that no more data will be sent (TLS: close_notify; then FIN).
    fn close_write(&mut self) {
        let _ = self.flush();
        let _ = self.tcp().shutdown(Shutdown::Write);
    }
    /// A second handle that writes to the same byte stream while this one reads, when the
    /// stream allows it (plain TCP does; TLS does not: its session state is shared).
    fn split_writer(&self) -> Option<TcpStream> {
        None
    }
}

impl Transport for TcpStream {
    fn tcp(&self) -> &TcpStream {
        self
    }
    fn split_writer(&self) -> Option<TcpStream> {
        self.try_clone().ok()
    }
}

/// The largest request head (request line and headers) accepted; larger gets 431.
pub(crate) const MAX_HEAD: usize = 16 * 1024;
/// The most header fields accepted; more gets 431.
const MAX_HEADERS: usize = 64;
/// The longest chunk-size or trailer line accepted in a chunked body.
const MAX_LINE: usize = 4 * 1024;
/// A body buffer grows by at most this much ahead of the bytes received.
const READ_STEP: usize = 64 * 1024;
/// After refusing a request whose body was not read, discard at most this much of it, so
/// that the peer reads the refusal instead of a reset.
pub(crate) const LINGER_BYTES: usize = 256 * 1024;
/// ... and for at most this long.
pub(crate) const LINGER_TIME: Duration = Duration::from_secs(2);

/// Why no (complete) request could be read.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum ReadError {
    /// The peer closed (or reset) the connection between requests.
    Closed,
    /// The keep-alive connection stayed silent for the idle timeout.
    Idle,
    /// The read deadline passed in the middle of a request.
    Timeout,
    /// The connection broke in the middle of a request.
    Broken,
    /// The request is malformed: answer this status and close.
    Bad(u16),
}

/// How the body of a request is framed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// `Content-Length: n` (0 when neither header is present).
    Length(usize),
    /// `Transfer-Encoding: chunked`.
    Chunked,
}

/// A parsed request head, owned.
#[derive(Debug)]
pub(crate) struct Head {
    pub method: String,
    pub target: String,
    pub headers: Vec<(String, String)>,
    pub framing: Framing,
    pub keep_alive: bool,
    pub expect_continue: bool,
}

/// The timeouts a connection obeys.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Timeouts {
    pub read: Duration,
    pub idle: Duration,
}

/// One connection: the stream (in its link), its read buffer and its deadlines.
pub(crate) struct Conn {
    link: Arc<Link>,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
    /// The read timeout currently set on the socket.
    sock_timeout: Option<Duration>,
    timeouts: Timeouts,
    served: u64,
}

impl Conn {
    pub(crate) fn new(link: Arc<Link>, timeouts: Timeouts) -> Conn {
        // A peer that does not read its replies cannot hold a writer longer than this.
        link.with_stream(|s| s.tcp().set_write_timeout(Some(timeouts.read)).ok());
        Conn {
            link,
            buf: vec![0; 8 * 1024],
            pos: 0,
            end: 0,
            sock_timeout: None,
            timeouts,
            served: 0,
        }
    }

    /// Read the next request head. The first request must arrive within the read timeout
    /// of the accept; later ones may be preceded by up to the idle timeout of silence.
    pub(crate) fn read_head(&mut self, accepted: Instant) -> Result<(Head, Instant), ReadError> {
        let deadline = if self.served == 0 {
            accepted + self.timeouts.read
        } else {
            if self.pos == self.end {
                let idle_until = Instant::now() + self.timeouts.idle;
                match self.fill(idle_until) {
                    Ok(()) => {}
                    Err(ReadError::Timeout) => return Err(ReadError::Idle),
                    Err(ReadError::Broken) => return Err(ReadError::Closed),
                    Err(e) => return Err(e),
                }
            }
            Instant::now() + self.timeouts.read
        };
        self.served += 1;
        loop {
            let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
            let mut req = httparse::Request::new(&mut fields);
            match req.parse(&self.buf[self.pos..self.end]) {
                Ok(httparse::Status::Complete(n)) if n > MAX_HEAD => {
                    return Err(ReadError::Bad(431));
                }
                Ok(httparse::Status::Complete(n)) => {
                    let head = build_head(&req)?;
                    self.pos += n;
                    return Ok((head, deadline));
                }
                Ok(httparse::Status::Partial) => {
                    if self.end - self.pos >= MAX_HEAD {
                        return Err(ReadError::Bad(431));
                    }
                }
                Err(httparse::Error::TooManyHeaders) => return Err(ReadError::Bad(431)),
                Err(_) => return Err(ReadError::Bad(400)),
            }
            match self.fill(deadline) {
                Err(ReadError::Broken) if self.served == 1 && self.pos == self.end => {
                    // Connected and closed without a byte: not an error of the request.
                    return Err(ReadError::Closed);
                }
                r => r?,
            }
        }
    }

    /// Wait, up to the idle timeout, until the next request starts arriving (bytes are
    /// buffered, nothing is consumed): called while the previous delivery may still be
    /// pending. `Idle` when the connection stayed silent, `Closed` when it ended.
    pub(crate) fn await_input(&mut self) -> Result<(), ReadError> {
        if self.pos < self.end {
            return Ok(());
        }
        let idle_until = Instant::now() + self.timeouts.idle;
        match self.fill(idle_until) {
            Ok(()) => Ok(()),
            Err(ReadError::Timeout) => Err(ReadError::Idle),
            Err(ReadError::Broken) => Err(ReadError::Closed),
            Err(e) => Err(e),
        }
    }

    /// Send `100 Continue`.
    pub(crate) fn write_continue(&mut self) -> io::Result<()> {
        self.write(b"HTTP/1.1 100 Continue\r\n\r\n")
    }

    fn write(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.link
            .with_stream(|s| s.write_all(bytes).and_then(|()| s.flush()))
    }

    /// The link, to hand a delivery over.
    pub(crate) fn link(&self) -> &Arc<Link> {
        &self.link
    }

    /// Read the body framed by `framing`, at most `max` bytes, before `deadline`.
    /// `Bad(413)` when it is larger than `max` (not read to its end).
    pub(crate) fn read_body(
        &mut self,
        framing: Framing,
        max: usize,
        deadline: Instant,
    ) -> Result<Vec<u8>, ReadError> {
        match framing {
            Framing::Length(n) => {
                if n > max {
                    return Err(ReadError::Bad(413));
                }
                // Sized by what arrives, not by what the peer declared.
                let mut body = Vec::with_capacity(n.min(READ_STEP));
                self.read_exact_into(&mut body, n, deadline)?;
                Ok(body)
            }
            Framing::Chunked => self.read_chunked(max, deadline),
        }
    }

    fn read_chunked(&mut self, max: usize, deadline: Instant) -> Result<Vec<u8>, ReadError> {
        let mut body = Vec::new();
        loop {
            let line = self.read_line(deadline)?;
            let size = chunk_size(&line).ok_or(ReadError::Bad(400))?;
            if size == 0 {
                break;
            }
            if size > max.saturating_sub(body.len()) {
                return Err(ReadError::Bad(413));
            }
            self.read_exact_into(&mut body, size, deadline)?;
            if !self.read_line(deadline)?.is_empty() {
                return Err(ReadError::Bad(400));
            }
        }
        // Trailer fields, then the empty line.
        for _ in 0..=MAX_HEADERS {
            if self.read_line(deadline)?.is_empty() {
                return Ok(body);
            }
        }
        Err(ReadError::Bad(431))
    }

    /// One CRLF- (or LF-) terminated line, without its terminator.
    fn read_line(&mut self, deadline: Instant) -> Result<Vec<u8>, ReadError> {
        loop {
            let window = &self.buf[self.pos..self.end];
            if let Some(i) = window.iter().position(|&b| b == b'\n') {
                let mut line = window[..i].to_vec();
                if line.last() == Some(&b'\r') {
                    line.pop();
                }
                self.pos += i + 1;
                return Ok(line);
            }
            if window.len() > MAX_LINE {
                return Err(ReadError::Bad(400));
            }
            self.fill(deadline)?;
        }
    }

    /// Append exactly `n` bytes of the stream to `out`.
    fn read_exact_into(
        &mut self,
        out: &mut Vec<u8>,
        n: usize,
        deadline: Instant,
    ) -> Result<(), ReadError> {
        let buffered = (self.end - self.pos).min(n);
        out.extend_from_slice(&self.buf[self.pos..self.pos + buffered]);
        self.pos += buffered;
        let mut missing = n - buffered;
        // `out` grows by at most READ_STEP ahead of the bytes received: a declared length
        // that never arrives costs no memory (the cap may be large, or unlimited).
        while missing > 0 {
            let start = out.len();
            out.resize(start + missing.min(READ_STEP), 0);
            let got = self.read_deadline(deadline, |s| s.read(&mut out[start..]));
            let got = match got {
                Ok(got) => got,
                Err(e) => {
                    out.truncate(start);
                    return Err(e);
                }
            };
            out.truncate(start + got);
            if got == 0 {
                return Err(ReadError::Broken);
            }
            missing -= got;
        }
        Ok(())
    }

    /// Read more bytes into the buffer (at least one), before `deadline`.
    fn fill(&mut self, deadline: Instant) -> Result<(), ReadError> {
        if self.pos == self.end {
            self.pos = 0;
            self.end = 0;
        } else if self.end == self.buf.len() {
            if self.pos > 0 {
                self.buf.copy_within(self.pos..self.end, 0);
                self.end -= self.pos;
                self.pos = 0;
            } else {
                let grown = (self.buf.len() * 2).min(MAX_HEAD + MAX_LINE + 16);
                if grown <= self.buf.len() {
                    return Err(ReadError::Bad(431));
                }
                self.buf.resize(grown, 0);
            }
        }
        let end = self.end;
        let mut buf = std::mem::take(&mut self.buf);
        let got = self.read_deadline(deadline, |s| s.read(&mut buf[end..]));
        self.buf = buf;
        let got = got?;
        if got == 0 {
            return Err(ReadError::Broken);
        }
        self.end += got;
        Ok(())
    }

    /// Run one read on the stream with the socket timeout no later than `deadline`,
    /// retrying until it gives bytes, EOF, an error, or the deadline passes.
    fn read_deadline(
        &mut self,
        deadline: Instant,
        mut read: impl FnMut(&mut dyn Transport) -> io::Result<usize>,
    ) -> Result<usize, ReadError> {
        let link = Arc::clone(&self.link);
        let sock_timeout = &mut self.sock_timeout;
        link.with_stream(|stream| loop {
            let now = Instant::now();
            if now >= deadline {
                return Err(ReadError::Timeout);
            }
            let remaining = deadline - now;
            // Only lower the socket timeout: a shorter one set earlier just makes us loop
            // (each time it fires, real time has passed).
            if sock_timeout.is_none_or(|t| t > remaining) {
                if stream.tcp().set_read_timeout(Some(remaining)).is_err() {
                    return Err(ReadError::Broken);
                }
                *sock_timeout = Some(remaining);
            }
            match read(stream) {
                Ok(n) => return Ok(n),
                Err(e)
                    if matches!(
                        e.kind(),
                        io::ErrorKind::WouldBlock
                            | io::ErrorKind::TimedOut
                            | io::ErrorKind::Interrupted
                    ) => {}
                Err(_) => return Err(ReadError::Broken),
            }
        })
    }

    /// Write `reply` (its body left out when `head_only`), with `Connection: close` when
    /// `close`.
    pub(crate) fn write_reply(
        &mut self,
        reply: &Reply,
        head_only: bool,
        close: bool,
    ) -> io::Result<()> {
        self.write(&encode_reply(reply, head_only, close))
    }

    /// Close after a refusal whose request body was (maybe) not read: send FIN, then
    /// discard what the peer still sends for a short bounded while, so that it reads the
    /// refusal rather than a reset.
    pub(crate) fn linger_close(mut self) {
        self.link.with_stream(|s| s.close_write());
        let deadline = Instant::now() + LINGER_TIME.min(self.timeouts.read);
        let mut discarded = self.end - self.pos;
        let mut sink = [0u8; 8 * 1024];
        while discarded < LINGER_BYTES {
            match self.read_deadline(deadline, |s| s.read(&mut sink)) {
                Ok(0) | Err(_) => break,
                Ok(n) => discarded += n,
            }
        }
    }

    /// Close after the last reply (FIN after the reply).
    pub(crate) fn close(self) {
        self.link.with_stream(|s| s.close_write());
    }
}

/// The size of a chunk-size line (`1*HEXDIG`, then optional blanks and extensions), or
/// `None` when it is anything else: no sign, no leading blank, no `0x`, at most 16 digits.
fn chunk_size(line: &[u8]) -> Option<usize> {
    let end = line.iter().position(|&b| b == b';').unwrap_or(line.len());
    let mut digits = &line[..end];
    while let [rest @ .., b' ' | b'\t'] = digits {
        digits = rest;
    }
    if digits.is_empty() || digits.len() > 16 || !digits.iter().all(u8::is_ascii_hexdigit) {
        return None;
    }
    digits.iter().try_fold(0usize, |n, &d| {
        let v = char::from(d).to_digit(16)?;
        n.checked_mul(16)?.checked_add(v as usize)
    })
}

/// Turn the parsed head into owned form and decide its framing and persistence.
fn build_head(req: &httparse::Request<'_, '_>) -> Result<Head, ReadError> {
    let method = req.method.ok_or(ReadError::Bad(400))?.to_owned();
    let target = req.path.ok_or(ReadError::Bad(400))?.to_owned();
    let minor = req.version.ok_or(ReadError::Bad(400))?;
    let mut headers = Vec::with_capacity(req.headers.len());
    let mut content_length: Option<usize> = None;
    let mut transfer_encoding = false;
    let mut conn_close = false;
    let mut conn_keep_alive = false;
    let mut expect_continue = false;
    for h in req.headers.iter() {
        let value = std::str::from_utf8(h.value).map_err(|_| ReadError::Bad(400))?;
        let name = h.name;
        if name.eq_ignore_ascii_case("content-length") {
            let n: usize = value.trim().parse().map_err(|_| ReadError::Bad(400))?;
            if content_length.is_some_and(|m| m != n) {
                return Err(ReadError::Bad(400));
            }
            content_length = Some(n);
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            transfer_encoding = true;
            // Only `chunked` alone is understood.
            if !value.trim().eq_ignore_ascii_case("chunked") {
                return Err(ReadError::Bad(501));
            }
        } else if name.eq_ignore_ascii_case("connection") {
            for token in value.split(',') {
                let token = token.trim();
                conn_close |= token.eq_ignore_ascii_case("close");
                conn_keep_alive |= token.eq_ignore_ascii_case("keep-alive");
            }
        } else if name.eq_ignore_ascii_case("expect") {
            if !value.trim().eq_ignore_ascii_case("100-continue") {
                return Err(ReadError::Bad(417));
            }
            expect_continue = true;
        }
        headers.push((name.to_owned(), value.to_owned()));
    }
    let framing = match (transfer_encoding, content_length) {
        // Both framings at once is how requests are smuggled: refuse.
        (true, Some(_)) => return Err(ReadError::Bad(400)),
        (true, None) => Framing::Chunked,
        (false, n) => Framing::Length(n.unwrap_or(0)),
    };
    let keep_alive = if minor >= 1 {
        !conn_close
    } else {
        conn_keep_alive && !conn_close
    };
    Ok(Head {
        method,
        target,
        headers,
        framing,
        keep_alive,
        expect_continue,
    })
}

/// The bytes of a reply. The framing headers are ours: a `Content-Length`,
/// `Transfer-Encoding` or `Connection` in `reply.headers` is left out, and so is any header
/// whose value would break the head.
pub(crate) fn encode_reply(reply: &Reply, head_only: bool, close: bool) -> Vec<u8> {
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
    if close {
        out.extend_from_slice(b"Connection: close\r\n");
    }
    out.extend_from_slice(b"\r\n");
    if !head_only {
        out.extend_from_slice(&reply.body);
    }
    out
}

/// A reply made by the HTTP layer itself (framing errors, timeouts, overload), with a small
/// JSON body in CINNOX's error shape.
pub(crate) fn local_reply(status: u16) -> Reply {
    Reply {
        status,
        headers: vec![("Content-Type", "application/json".to_owned())],
        body: error_body(status, &reason(status).to_ascii_lowercase()),
    }
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
        415 => "Unsupported Media Type",
        417 => "Expectation Failed",
        429 => "Too Many Requests",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        501 => "Not Implemented",
        503 => "Service Unavailable",
        _ => "Unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reply_framing_is_ours() {
        let reply = Reply {
            status: 405,
            headers: vec![
                ("Allow", "POST".to_owned()),
                ("Content-Length", "999".to_owned()),
                ("X-Bad", "a\r\nInjected: 1".to_owned()),
            ],
            body: b"{}".to_vec(),
        };
        assert_eq!(
            encode_reply(&reply, false, true),
            b"HTTP/1.1 405 Method Not Allowed\r\nAllow: POST\r\nContent-Length: 2\r\nConnection: close\r\n\r\n{}"
        );
        assert_eq!(
            encode_reply(&reply, true, false),
            b"HTTP/1.1 405 Method Not Allowed\r\nAllow: POST\r\nContent-Length: 2\r\n\r\n"
        );
    }

    #[test]
    fn local_replies_are_in_the_error_shape() {
        let r = local_reply(408);
        assert_eq!(r.body, br#"{"code":408,"message":"request timeout"}"#);
        assert_eq!(
            r.headers,
            vec![("Content-Type", "application/json".to_owned())]
        );
        assert_eq!(
            local_reply(431).body,
            br#"{"code":431,"message":"request header fields too large"}"#
        );
    }

    fn head(raw: &[u8]) -> Result<Head, ReadError> {
        let mut fields = [httparse::EMPTY_HEADER; MAX_HEADERS];
        let mut req = httparse::Request::new(&mut fields);
        assert!(req.parse(raw).unwrap().is_complete());
        build_head(&req)
    }

    #[test]
    fn chunk_sizes_are_hex_digits_only() {
        assert_eq!(chunk_size(b"1a"), Some(26));
        assert_eq!(chunk_size(b"1A;ext=1"), Some(26));
        assert_eq!(chunk_size(b"1a \t;ext"), Some(26));
        assert_eq!(chunk_size(b"0"), Some(0));
        assert_eq!(chunk_size(b"7fffffff"), Some(0x7fff_ffff));
        for bad in [
            &b""[..],
            b";ext",
            b"+1a",
            b"-1",
            b" 1a",
            b"0x1a",
            b"1g",
            b"10000000000000000",
        ] {
            assert_eq!(chunk_size(bad), None, "{:?}", String::from_utf8_lossy(bad));
        }
    }

    #[test]
    fn framing_and_persistence() {
        let h = head(b"POST /x HTTP/1.1\r\nContent-Length: 5\r\n\r\n").unwrap();
        assert_eq!((h.framing, h.keep_alive), (Framing::Length(5), true));
        let h =
            head(b"POST /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")
                .unwrap();
        assert_eq!((h.framing, h.keep_alive), (Framing::Chunked, false));
        let h = head(b"POST /x HTTP/1.0\r\n\r\n").unwrap();
        assert_eq!((h.framing, h.keep_alive), (Framing::Length(0), false));
        let h = head(b"POST /x HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n").unwrap();
        assert!(h.keep_alive);
        assert_eq!(
            head(b"POST /x HTTP/1.1\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n")
                .unwrap_err(),
            ReadError::Bad(400)
        );
        assert_eq!(
            head(b"POST /x HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n")
                .unwrap_err(),
            ReadError::Bad(400)
        );
        assert_eq!(
            head(b"POST /x HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n").unwrap_err(),
            ReadError::Bad(501)
        );
        assert_eq!(
            head(b"POST /x HTTP/1.1\r\nContent-Length: -1\r\n\r\n").unwrap_err(),
            ReadError::Bad(400)
        );
    }
}
