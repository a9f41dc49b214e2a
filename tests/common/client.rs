//! A mock CINNOX Open API for tests: a tiny_http server on 127.0.0.1 (port 0) that records
//! every request (method, path, headers, body, peer) and answers from a script.
//!
//! When the script is empty it answers like CINNOX does on success, echoing the request's
//! `enabled` and `url`: `{"code":0,"result":{"enabled":…,"url":…,"updatedAt":…}}`.
//!
//! Also: raw TCP servers that misbehave (close mid-reply, never answer) and a dead port.
//!
//! Include it with `#[path = "common/client.rs"] mod client;`.

#![allow(dead_code)]

use std::collections::VecDeque;
use std::io::{Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

/// The `updatedAt` the default success reply carries.
pub const UPDATED_AT: &str = "2022-11-07T00:00:00.000Z";

/// One request as the mock saw it.
#[derive(Debug, Clone)]
pub struct Recorded {
    /// `PATCH`, `GET`, …
    pub method: String,
    /// The request target exactly as sent (path and query, still percent-encoded).
    pub path: String,
    /// Every header in order, name as sent.
    pub headers: Vec<(String, String)>,
    /// The body bytes.
    pub body: Vec<u8>,
    /// The client's address: the same port means the same (kept-alive) connection.
    pub peer: Option<SocketAddr>,
}

impl Recorded {
    /// Every value of header `name` (case-insensitive).
    pub fn header_all(&self, name: &str) -> Vec<&str> {
        self.headers
            .iter()
            .filter(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
            .collect()
    }

    /// The single value of header `name`; panics when it appears more than once.
    pub fn header(&self, name: &str) -> Option<&str> {
        let all = self.header_all(name);
        assert!(all.len() <= 1, "header {name} sent {} times", all.len());
        all.first().copied()
    }

    /// The body as UTF-8 text.
    pub fn body_text(&self) -> &str {
        std::str::from_utf8(&self.body).expect("body is UTF-8")
    }
}

/// One scripted reply.
#[derive(Debug, Clone)]
pub struct Scripted {
    /// HTTP status.
    pub status: u16,
    /// Extra headers.
    pub headers: Vec<(String, String)>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl Scripted {
    /// A reply with a JSON body.
    pub fn json(status: u16, body: &str) -> Scripted {
        Scripted {
            status,
            headers: vec![("Content-Type".into(), "application/json".into())],
            body: body.as_bytes().to_vec(),
        }
    }

    /// A reply with any body and no content type.
    pub fn raw(status: u16, body: &[u8]) -> Scripted {
        Scripted {
            status,
            headers: Vec::new(),
            body: body.to_vec(),
        }
    }

    /// A CINNOX error object `{"code":code,"message":message}` with `status`.
    pub fn api_error(status: u16, code: i64, message: &str) -> Scripted {
        let body = serde_json::json!({ "code": code, "message": message }).to_string();
        Scripted::json(status, &body)
    }

    /// A success reply with the given result fields.
    pub fn success(enabled: bool, url: &str, updated_at: Option<&str>) -> Scripted {
        let mut result = serde_json::json!({ "enabled": enabled, "url": url });
        if let Some(at) = updated_at {
            result["updatedAt"] = at.into();
        }
        Scripted::json(
            200,
            &serde_json::json!({"code": 0, "result": result}).to_string(),
        )
    }

    /// Add a header.
    pub fn header(mut self, name: &str, value: &str) -> Scripted {
        self.headers.push((name.into(), value.into()));
        self
    }
}

/// The default reply: success echoing the request's `enabled` and `url`.
fn echo(body: &[u8]) -> Scripted {
    let v: serde_json::Value = serde_json::from_slice(body).unwrap_or(serde_json::Value::Null);
    let enabled = v["enabled"].as_bool().unwrap_or(false);
    let url = v["url"].as_str().unwrap_or("");
    Scripted::success(enabled, url, Some(UPDATED_AT))
}

/// A mock CINNOX Open API. Stops (and joins its thread) when dropped.
pub struct MockCinnox {
    server: Arc<tiny_http::Server>,
    addr: SocketAddr,
    requests: Arc<Mutex<Vec<Recorded>>>,
    script: Arc<Mutex<VecDeque<Scripted>>>,
    thread: Option<JoinHandle<()>>,
}

impl MockCinnox {
    /// Start a mock with an empty script (every request succeeds).
    pub fn start() -> MockCinnox {
        MockCinnox::with_script(Vec::new())
    }

    /// Start a mock that answers with `script` in order, then succeeds.
    pub fn with_script(script: Vec<Scripted>) -> MockCinnox {
        let server = Arc::new(tiny_http::Server::http("127.0.0.1:0").expect("bind mock"));
        let addr = server
            .server_addr()
            .to_ip()
            .expect("mock listens on an IP address");
        let requests = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::from(script)));
        let thread = {
            let (server, requests, script) = (server.clone(), requests.clone(), script.clone());
            std::thread::spawn(move || {
                for mut req in server.incoming_requests() {
                    let mut body = Vec::new();
                    let _ = req.as_reader().read_to_end(&mut body);
                    let rec = Recorded {
                        method: req.method().as_str().to_owned(),
                        path: req.url().to_owned(),
                        headers: req
                            .headers()
                            .iter()
                            .map(|h| (h.field.as_str().as_str().to_owned(), h.value.to_string()))
                            .collect(),
                        body,
                        peer: req.remote_addr().copied(),
                    };
                    let reply = script
                        .lock()
                        .unwrap()
                        .pop_front()
                        .unwrap_or_else(|| echo(&rec.body));
                    // Record before answering: once the client has the answer, it is recorded.
                    requests.lock().unwrap().push(rec);
                    let mut resp =
                        tiny_http::Response::from_data(reply.body).with_status_code(reply.status);
                    for (n, v) in &reply.headers {
                        resp.add_header(
                            tiny_http::Header::from_bytes(n.as_bytes(), v.as_bytes())
                                .expect("valid scripted header"),
                        );
                    }
                    let _ = req.respond(resp);
                }
            })
        };
        MockCinnox {
            server,
            addr,
            requests,
            script,
            thread: Some(thread),
        }
    }

    /// `http://127.0.0.1:<port>`, no trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Queue more replies.
    pub fn push(&self, reply: Scripted) {
        self.script.lock().unwrap().push_back(reply);
    }

    /// Every request so far, in order.
    pub fn requests(&self) -> Vec<Recorded> {
        self.requests.lock().unwrap().clone()
    }

    /// The number of requests so far.
    pub fn count(&self) -> usize {
        self.requests.lock().unwrap().len()
    }
}

impl Drop for MockCinnox {
    fn drop(&mut self) {
        self.server.unblock();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

/// Read one HTTP request (headers and a `Content-Length` body) from `stream`.
pub fn read_request(stream: &mut TcpStream) -> std::io::Result<Vec<u8>> {
    let mut buf = Vec::new();
    let mut chunk = [0u8; 4096];
    loop {
        if let Some(end) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .and_then(|v| v.trim().parse().ok())
                .unwrap_or(0);
            if buf.len() >= end + 4 + len {
                return Ok(buf);
            }
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Ok(buf);
        }
        buf.extend_from_slice(&chunk[..n]);
    }
}

/// A server that, for each of up to `connections` connections, reads the request, writes
/// `partial` and closes. Returns its base URL and a channel that gets one message per
/// connection, sent before `partial` is written (so a client that saw the reply is counted).
pub fn half_reply_server(
    partial: &'static [u8],
    connections: usize,
) -> (String, mpsc::Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for _ in 0..connections {
            let Ok((mut s, _)) = listener.accept() else {
                return;
            };
            let _ = read_request(&mut s);
            // Signal before answering: once the client has seen the answer, it is counted.
            if tx.send(()).is_err() {
                return;
            }
            let _ = s.write_all(partial);
            let _ = s.flush();
            let _ = s.shutdown(std::net::Shutdown::Both);
        }
    });
    (url, rx)
}

/// A server that accepts connections, reads the request and never answers; each connection
/// is held until the client closes it. The channel gets one message per request read.
pub fn silent_server() -> (String, mpsc::Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut s) = conn else { return };
            let tx = tx.clone();
            std::thread::spawn(move || {
                let _ = read_request(&mut s);
                let _ = tx.send(());
                // Read until the client gives up and closes; never write.
                let mut sink = [0u8; 1024];
                while matches!(s.read(&mut sink), Ok(n) if n > 0) {}
            });
        }
    });
    (url, rx)
}

/// A base URL on 127.0.0.1 where nothing listens (a port bound, then released).
pub fn dead_url() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    drop(listener);
    format!("http://{addr}")
}

/// A server that answers anything it reads first (e.g. a TLS ClientHello) with a plain-text
/// HTTP 400 and closes: an `https://` client sees a TLS failure. The channel gets one message
/// per connection, sent before the answer is written.
pub fn plaintext_server() -> (String, mpsc::Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let addr = listener.local_addr().expect("addr");
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut s) = conn else { return };
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            if tx.send(()).is_err() {
                return;
            }
            let _ = s.write_all(b"HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n");
            let _ = s.shutdown(std::net::Shutdown::Write);
            // Drain until the client closes, so the close is clean.
            while matches!(s.read(&mut buf), Ok(n) if n > 0) {}
        }
    });
    (format!("https://{addr}"), rx)
}

/// A server that reads the request, writes `partial` (say, headers and the start of the
/// body) and then stalls until the client closes. The channel gets one message per request
/// read, sent before `partial` is written.
pub fn stalling_server(partial: &'static [u8]) -> (String, mpsc::Receiver<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("http://{}", listener.local_addr().expect("addr"));
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for conn in listener.incoming() {
            let Ok(mut s) = conn else { return };
            let tx = tx.clone();
            std::thread::spawn(move || {
                let _ = read_request(&mut s);
                let _ = tx.send(());
                let _ = s.write_all(partial);
                let _ = s.flush();
                let mut sink = [0u8; 1024];
                while matches!(s.read(&mut sink), Ok(n) if n > 0) {}
            });
        }
    });
    (url, rx)
}

/// Wait (up to 5 s each) for `n` messages on `rx`, then check that no more arrived.
pub fn expect_connections(rx: &mpsc::Receiver<()>, n: usize) {
    for i in 0..n {
        assert!(
            rx.recv_timeout(std::time::Duration::from_secs(5)).is_ok(),
            "connection {} of {n} never came",
            i + 1
        );
    }
    assert_eq!(rx.try_iter().count(), 0, "more than {n} connections");
}
