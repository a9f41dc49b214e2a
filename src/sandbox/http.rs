//! The sandbox's own small HTTP/1.1 server: an accept thread and one thread per connection,
//! every one of them joined when the sandbox stops.
//!
//! tiny_http's pool keeps idle threads alive for seconds after its server is dropped, so a
//! program that freed its sandbox still had threads running (and leak checkers reported
//! their memory). This server owns every thread it starts: stopping it wakes the accept
//! thread, shuts every open connection down and joins them all. It serves only what the
//! sandbox needs: requests with a `Content-Length` body (no chunked bodies), keep-alive,
//! JSON answers.

use std::collections::HashMap;
use std::io::{self, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::sync::lock;

/// Largest request head read.
const MAX_HEAD: usize = 16 * 1024;
/// Open connections at most; beyond, new ones are closed at once.
const MAX_CONNECTIONS: usize = 256;
/// A connection silent this long is closed.
const IDLE: Duration = Duration::from_secs(30);

/// One request, read whole.
pub(super) struct Request {
    pub method: String,
    pub target: String,
    headers: Vec<(String, String)>,
    /// The body, or `None` when it was longer than the handler's cap.
    pub body: Option<Vec<u8>>,
}

impl Request {
    /// The first header named `name` (ASCII case-insensitive).
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// An answer.
pub(super) struct Response {
    pub status: u16,
    pub headers: Vec<(&'static str, String)>,
    pub body: Vec<u8>,
}

/// What answers requests; runs on the connection threads, concurrently.
pub(super) type Handler = dyn Fn(&Request) -> Response + Send + Sync;

/// A running server. [`Server::stop`] (or dropping it) stops it and joins its threads.
pub(super) struct Server {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

struct Shared {
    stop: AtomicBool,
    /// Open connections: a second handle on each socket, to shut it down at stop.
    conns: Mutex<Conns>,
    handler: Box<Handler>,
    max_body: usize,
}

#[derive(Default)]
struct Conns {
    next: u64,
    open: HashMap<u64, TcpStream>,
    threads: Vec<JoinHandle<()>>,
}

impl Server {
    /// Serve `listener` with `handler`; bodies longer than `max_body` reach it as `None`.
    pub fn start(
        listener: TcpListener,
        max_body: usize,
        handler: Box<Handler>,
    ) -> io::Result<Server> {
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            stop: AtomicBool::new(false),
            conns: Mutex::new(Conns::default()),
            handler,
            max_body,
        });
        let for_thread = Arc::clone(&shared);
        let acceptor = std::thread::Builder::new()
            .name("cinnox-sandbox-accept".into())
            .spawn(move || accept_loop(&listener, &for_thread))?;
        Ok(Server {
            addr,
            shared,
            acceptor: Some(acceptor),
        })
    }

    /// Stop accepting, cut every open connection, and join every thread. Requests being
    /// answered finish first (their handler runs to its end).
    pub fn stop(&mut self) {
        let Some(acceptor) = self.acceptor.take() else {
            return;
        };
        self.shared.stop.store(true, Ordering::SeqCst);
        // Wake the accept thread with a connection of our own.
        let mut wake = self.addr;
        if wake.ip().is_unspecified() {
            wake.set_ip(match wake {
                SocketAddr::V4(_) => std::net::Ipv4Addr::LOCALHOST.into(),
                SocketAddr::V6(_) => std::net::Ipv6Addr::LOCALHOST.into(),
            });
        }
        let _ = TcpStream::connect_timeout(&wake, Duration::from_secs(1));
        let _ = acceptor.join();
        let threads = {
            let mut conns = lock(&self.shared.conns);
            for stream in conns.open.values() {
                let _ = stream.shutdown(Shutdown::Both);
            }
            std::mem::take(&mut conns.threads)
        };
        for t in threads {
            let _ = t.join();
        }
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        self.stop();
    }
}

fn accept_loop(listener: &TcpListener, shared: &Arc<Shared>) {
    loop {
        let accepted = listener.accept();
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let Ok((stream, _)) = accepted else {
            // Out of descriptors or a connection reset before accept: go on.
            std::thread::sleep(Duration::from_millis(10));
            continue;
        };
        let mut conns = lock(&shared.conns);
        // Joined rather than dropped (detached): a finished thread may still be exiting.
        let (done, running) = std::mem::take(&mut conns.threads)
            .into_iter()
            .partition::<Vec<_>, _>(|t| t.is_finished());
        conns.threads = running;
        for t in done {
            let _ = t.join();
        }
        if conns.open.len() >= MAX_CONNECTIONS {
            continue;
        }
        let Ok(second) = stream.try_clone() else {
            continue;
        };
        let id = conns.next;
        conns.next += 1;
        conns.open.insert(id, second);
        let for_thread = Arc::clone(shared);
        let spawned = std::thread::Builder::new()
            .name("cinnox-sandbox-conn".into())
            .spawn(move || {
                serve_connection(stream, &for_thread);
                lock(&for_thread.conns).open.remove(&id);
            });
        match spawned {
            Ok(t) => conns.threads.push(t),
            Err(_) => {
                conns.open.remove(&id);
            }
        }
    }
}

fn serve_connection(mut stream: TcpStream, shared: &Shared) {
    let _ = stream.set_read_timeout(Some(IDLE));
    let _ = stream.set_write_timeout(Some(IDLE));
    let _ = stream.set_nodelay(true);
    let mut buf = Vec::new();
    loop {
        if shared.stop.load(Ordering::SeqCst) {
            return;
        }
        let (request, keep_alive) = match read_request(&mut stream, &mut buf, shared.max_body) {
            Ok(Some(r)) => r,
            // Not HTTP, or HTTP the sandbox does not serve: say so before closing (a TLS
            // client that sent its ClientHello here then reports a plain-HTTP answer).
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                let refusal = Response {
                    status: 400,
                    headers: vec![("Content-Type", "application/json".to_owned())],
                    body: serde_json::json!({"code": crate::error::api_code::PARAMETER_ERROR, "message": e.to_string()})
                        .to_string()
                        .into_bytes(),
                };
                let _ = write_response(&mut stream, &refusal, false);
                let _ = stream.shutdown(Shutdown::Write);
                return;
            }
            Ok(None) | Err(_) => return,
        };
        let response = (shared.handler)(&request);
        let keep_alive = keep_alive && request.body.is_some();
        if write_response(&mut stream, &response, keep_alive).is_err() || !keep_alive {
            let _ = stream.shutdown(Shutdown::Write);
            return;
        }
    }
}

/// Read one request; `None` when the peer closed between requests. `buf` keeps bytes read
/// past the request (pipelining). The flag says whether the connection stays open.
fn read_request(
    stream: &mut TcpStream,
    buf: &mut Vec<u8>,
    max_body: usize,
) -> io::Result<Option<(Request, bool)>> {
    let bad = |what: &str| io::Error::new(io::ErrorKind::InvalidData, what.to_owned());
    let mut chunk = [0u8; 4096];
    let (head_len, method, target, headers, http10) = loop {
        let mut slots = [httparse::EMPTY_HEADER; 64];
        let mut req = httparse::Request::new(&mut slots);
        match req.parse(buf) {
            Ok(httparse::Status::Complete(n)) => {
                let headers = req
                    .headers
                    .iter()
                    .map(|h| {
                        (
                            h.name.to_owned(),
                            String::from_utf8_lossy(h.value).into_owned(),
                        )
                    })
                    .collect::<Vec<_>>();
                break (
                    n,
                    req.method.unwrap_or("").to_owned(),
                    req.path.unwrap_or("").to_owned(),
                    headers,
                    req.version == Some(0),
                );
            }
            Ok(httparse::Status::Partial) if buf.len() < MAX_HEAD => {}
            Ok(httparse::Status::Partial) => return Err(bad("request head too large")),
            Err(_) => return Err(bad("malformed request head")),
        }
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return if buf.is_empty() {
                Ok(None)
            } else {
                Err(bad("closed mid-request"))
            };
        }
        buf.extend_from_slice(&chunk[..n]);
    };
    buf.drain(..head_len);
    let mut request = Request {
        method,
        target,
        headers,
        body: None,
    };
    if request.header("Transfer-Encoding").is_some() {
        return Err(bad("chunked bodies are not supported"));
    }
    let length = match request.header("Content-Length") {
        None => 0,
        Some(v) => v
            .trim()
            .parse::<usize>()
            .map_err(|_| bad("bad Content-Length"))?,
    };
    let connection = request.header("Connection").unwrap_or("").to_owned();
    let keep_alive = if http10 {
        connection.eq_ignore_ascii_case("keep-alive")
    } else {
        !connection.eq_ignore_ascii_case("close")
    };
    if length > max_body {
        // Answered without reading it; the connection closes after the answer.
        return Ok(Some((request, false)));
    }
    while buf.len() < length {
        let n = stream.read(&mut chunk)?;
        if n == 0 {
            return Err(bad("closed mid-body"));
        }
        buf.extend_from_slice(&chunk[..n]);
    }
    request.body = Some(buf.drain(..length).collect());
    Ok(Some((request, keep_alive)))
}

fn write_response(stream: &mut TcpStream, response: &Response, keep_alive: bool) -> io::Result<()> {
    let reason = match response.status {
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        _ => "",
    };
    let mut out = format!("HTTP/1.1 {} {reason}\r\n", response.status);
    for (name, value) in &response.headers {
        out.push_str(&format!("{name}: {value}\r\n"));
    }
    out.push_str(&format!("Content-Length: {}\r\n", response.body.len()));
    if !keep_alive {
        out.push_str("Connection: close\r\n");
    }
    out.push_str("\r\n");
    let mut bytes = out.into_bytes();
    bytes.extend_from_slice(&response.body);
    stream.write_all(&bytes)?;
    stream.flush()
}
