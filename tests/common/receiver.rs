//! Helpers for the receiver tests: a raw HTTP/1.1 client over real sockets.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use cinnox::receiver::{ReceiverConfig, ReceiverConfigBuilder};
use cinnox::{Receiver, WebhookConfig};

/// The webhook path every test receiver answers on.
pub const PATH: &str = "/hook/s3cret";

/// The server settings a test picks, as plain fields with the receiver's defaults, so that
/// a test names only what it is about (`ServerSettings { read_timeout: SHORT,
/// ..quick_config() }`). [`bind_with`] hands them to the real [`ReceiverConfig::builder`],
/// whose `build` checks them: a test of a bad setting sees the library's own error.
#[derive(Clone, Default)]
pub struct ServerSettings {
    pub read_timeout: Option<Duration>,
    pub idle_timeout: Option<Duration>,
    pub max_connections: Option<usize>,
    pub shutdown_grace: Option<Duration>,
    pub io_threads: Option<usize>,
    pub header_timeout: Option<Duration>,
    pub per_source_limit: Option<usize>,
    pub min_body_rate: Option<u64>,
    pub inbox: Option<cinnox::Inbox>,
    pub metrics_addr: Option<SocketAddr>,
}

impl ServerSettings {
    /// These settings with an inbox.
    pub fn inbox(mut self, inbox: cinnox::Inbox) -> Self {
        self.inbox = Some(inbox);
        self
    }

    /// These settings with a metrics address.
    pub fn metrics_addr(mut self, addr: SocketAddr) -> Self {
        self.metrics_addr = Some(addr);
        self
    }

    /// The real builder with these settings on top of its defaults.
    pub fn builder(self, webhook: WebhookConfig) -> ReceiverConfigBuilder {
        let mut b = ReceiverConfig::builder(webhook);
        if let Some(v) = self.read_timeout {
            b = b.read_timeout(v);
        }
        if let Some(v) = self.idle_timeout {
            b = b.idle_timeout(v);
        }
        if let Some(v) = self.max_connections {
            b = b.max_connections(v);
        }
        if let Some(v) = self.shutdown_grace {
            b = b.shutdown_grace(v);
        }
        if let Some(v) = self.io_threads {
            b = b.io_threads(v);
        }
        if let Some(v) = self.header_timeout {
            b = b.header_timeout(v);
        }
        if let Some(v) = self.per_source_limit {
            b = b.per_source_limit(v);
        }
        if let Some(v) = self.min_body_rate {
            b = b.min_body_rate(v);
        }
        if let Some(v) = self.inbox {
            b = b.inbox(v);
        }
        if let Some(v) = self.metrics_addr {
            b = b.metrics_addr(v);
        }
        b
    }
}

/// The settings of tests that are not about timeouts: deadlines far beyond what a loaded
/// machine can delay a client between its requests (a shut-down receiver closes idle
/// connections at once, so they cost no test time). Tests of a deadline set a short one
/// themselves, with [`SHORT`].
pub fn quick_config() -> ServerSettings {
    ServerSettings {
        read_timeout: Some(Duration::from_secs(5)),
        idle_timeout: Some(Duration::from_secs(5)),
        max_connections: Some(256),
        shutdown_grace: Some(Duration::from_secs(2)),
        ..ServerSettings::default()
    }
}

/// The read or idle deadline of the tests that wait for one.
pub const SHORT: Duration = Duration::from_millis(300);

/// A receiver on `addr` with `webhook` and `settings`, through the real builder.
pub fn bind_with(
    addr: &str,
    webhook: WebhookConfig,
    settings: ServerSettings,
) -> cinnox::Result<Receiver> {
    Receiver::bind(addr, settings.builder(webhook).build()?)
}

/// A receiver on 127.0.0.1, any port.
pub fn start(webhook: WebhookConfig, config: ServerSettings) -> Receiver {
    bind_with("127.0.0.1:0", webhook, config).expect("bind")
}

/// A receiver with the test path and `config`.
pub fn start_default(config: ServerSettings) -> Receiver {
    start(WebhookConfig::new(PATH).unwrap(), config)
}

/// A call-start event with this call ID.
pub fn call_event(id: &str) -> String {
    format!(
        r#"{{"type":"message","message":{{"id":"{id}","status":"CallStart","serviceId":"svc-1","caller":{{"eid":"e-1","number":"+85298765432"}},"callees":{{"eid":"e-2","number":"+85212345678"}}}}}}"#
    )
}

/// A client connection whose reads give up after 5 s, so a broken test fails, not hangs.
pub fn connect(addr: SocketAddr) -> TcpStream {
    let s = TcpStream::connect(addr).expect("connect");
    s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
    s.set_nodelay(true).unwrap();
    s
}

/// The bytes of a JSON POST to `path`.
pub fn post_bytes(path: &str, body: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "POST {path} HTTP/1.1\r\nHost: test\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    out.extend_from_slice(body);
    out
}

/// One HTTP response as read from the wire.
#[derive(Debug)]
pub struct Response {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Response {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn body_text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("utf-8 body")
    }
}

/// A reader that keeps its buffer across responses on one keep-alive connection.
pub struct Client {
    pub reader: BufReader<TcpStream>,
}

impl Client {
    pub fn new(addr: SocketAddr) -> Client {
        Client {
            reader: BufReader::new(connect(addr)),
        }
    }
    pub fn stream(&self) -> &TcpStream {
        self.reader.get_ref()
    }
    pub fn send(&mut self, bytes: &[u8]) {
        self.reader.get_mut().write_all(bytes).expect("write");
    }
    /// Write `bytes` (flushed as one write); `false` when the peer already closed.
    pub fn try_send(&mut self, bytes: &[u8]) -> bool {
        self.reader.get_mut().write_all(bytes).is_ok()
    }
    pub fn post(&mut self, path: &str, body: &[u8]) -> Response {
        self.send(&post_bytes(path, body));
        self.response()
    }
    /// Read one response (skipping `100 Continue`).
    pub fn response(&mut self) -> Response {
        loop {
            let r = self.try_response().expect("a response");
            if r.status != 100 {
                return r;
            }
        }
    }
    /// Post `body` to `path` and give the status, `None` when the connection ends first
    /// (refused, reset).
    pub fn try_response_to(&mut self, path: &str, body: &[u8]) -> Option<u16> {
        self.reader
            .get_mut()
            .write_all(&post_bytes(path, body))
            .ok()?;
        let mut line = String::new();
        self.reader.read_line(&mut line).ok()?;
        line.split(' ').nth(1)?.parse().ok()
    }
    /// Read one response, `None` on EOF before its first byte.
    pub fn try_response(&mut self) -> Option<Response> {
        let mut line = String::new();
        if self.reader.read_line(&mut line).expect("read status line") == 0 {
            return None;
        }
        let mut parts = line.trim_end().splitn(3, ' ');
        assert_eq!(parts.next(), Some("HTTP/1.1"), "status line {line:?}");
        let status: u16 = parts.next().unwrap().parse().unwrap();
        let mut headers = Vec::new();
        loop {
            let mut h = String::new();
            self.reader.read_line(&mut h).expect("read header");
            let h = h.trim_end();
            if h.is_empty() {
                break;
            }
            let (n, v) = h.split_once(':').expect("header colon");
            headers.push((n.trim().to_owned(), v.trim().to_owned()));
        }
        let mut r = Response {
            status,
            headers,
            body: Vec::new(),
        };
        if status != 100 {
            let len: usize = r
                .header("Content-Length")
                .expect("Content-Length")
                .parse()
                .unwrap();
            r.body = vec![0; len];
            self.reader.read_exact(&mut r.body).expect("read body");
        }
        Some(r)
    }
    /// True when the server closed: the next read gives EOF (or a reset).
    pub fn at_eof(&mut self) -> bool {
        let mut b = [0u8; 1];
        match self.reader.read(&mut b) {
            Ok(0) => true,
            Ok(_) => false,
            Err(e) => e.kind() == std::io::ErrorKind::ConnectionReset,
        }
    }
    /// True when the connection is open and silent right now (no byte, no EOF waiting).
    pub fn is_open_and_silent(&self) -> bool {
        if !self.reader.buffer().is_empty() {
            return false;
        }
        let s = self.stream();
        s.set_nonblocking(true).unwrap();
        let mut b = [0u8; 1];
        let r = s.peek(&mut b);
        s.set_nonblocking(false).unwrap();
        matches!(r, Err(ref e) if e.kind() == std::io::ErrorKind::WouldBlock)
    }
}
