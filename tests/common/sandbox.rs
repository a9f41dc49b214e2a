//! Test helpers for the sandbox tests: raw PATCH requests over ureq, and stand-in webhook
//! receivers on raw `TcpListener`s that answer however a test wants.
#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{channel, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// An HTTP answer as the test client saw it.
#[derive(Debug)]
pub struct Answer {
    pub status: u16,
    pub content_type: Option<String>,
    pub retry_after: Option<String>,
    pub body: String,
}

impl Answer {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("{e}: {}", self.body))
    }
}

pub fn agent() -> ureq::Agent {
    ureq::Agent::new_with_config(
        ureq::Agent::config_builder()
            .http_status_as_error(false)
            .proxy(None)
            .timeout_global(Some(Duration::from_secs(10)))
            .build(),
    )
}

/// Any request to the sandbox: `method`, `path`, optional bearer token, optional JSON body.
pub fn request(
    base: &str,
    method: &str,
    path: &str,
    auth: Option<&str>,
    content_type: Option<&str>,
    body: &str,
) -> Answer {
    let mut req = ureq::http::Request::builder()
        .method(method)
        .uri(format!("{base}{path}"));
    if let Some(a) = auth {
        req = req.header("Authorization", a);
    }
    if let Some(ct) = content_type {
        req = req.header("Content-Type", ct);
    }
    req = req.header("Accept", "application/json");
    let req = req.body(body.as_bytes().to_vec()).unwrap();
    let mut resp = agent().run(req).unwrap();
    let header = |n: &str| {
        resp.headers()
            .get(n)
            .map(|v| v.to_str().unwrap().to_owned())
    };
    let (content_type, retry_after) = (header("content-type"), header("retry-after"));
    Answer {
        status: resp.status().as_u16(),
        content_type,
        retry_after,
        body: resp.body_mut().read_to_string().unwrap(),
    }
}

/// The documented subscription request.
pub fn patch(base: &str, app: &str, slug: &str, token: &str, enabled: bool, url: &str) -> Answer {
    let body = serde_json::json!({ "enabled": enabled, "url": url }).to_string();
    request(
        base,
        "PATCH",
        &format!("/v1/api/apps/{app}/{slug}"),
        Some(&format!("Bearer {token}")),
        Some("application/json"),
        &body,
    )
}

/// Assert a CINNOX error answer: exact status, code and message.
#[track_caller]
pub fn assert_error(a: &Answer, status: u16, code: i64, message: &str) {
    assert_eq!(a.status, status, "{a:?}");
    assert_eq!(a.content_type.as_deref(), Some("application/json"), "{a:?}");
    assert_eq!(
        a.json(),
        serde_json::json!({ "code": code, "message": message }),
        "{a:?}"
    );
}

/// A request a stand-in receiver got.
#[derive(Debug, Clone)]
pub struct Got {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Got {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    /// The challenge, if this is a verification request.
    pub fn challenge(&self) -> Option<String> {
        let v: serde_json::Value = serde_json::from_slice(&self.body).ok()?;
        let obj = v.as_object()?;
        if obj.len() != 1 {
            return None;
        }
        obj.get("challenge")?.as_str().map(str::to_owned)
    }
}

/// What a stand-in does with a request.
pub enum Reply {
    /// Answer with this status and body.
    With(u16, String),
    /// Never answer (keep the connection open until the stand-in is dropped).
    Hang,
    /// Close the connection without an answer.
    Close,
}

/// The documented challenge reply.
pub fn echo(challenge: &str) -> Reply {
    Reply::With(
        200,
        serde_json::json!({ "code": 0, "result": { "challenge": challenge } }).to_string(),
    )
}

/// A webhook receiver stand-in on 127.0.0.1:0 that answers by `behaviour` and reports
/// every request on a channel.
pub struct StandIn {
    pub addr: SocketAddr,
    pub got: Receiver<Got>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
    hung: Arc<Mutex<Vec<TcpStream>>>,
}

impl StandIn {
    pub fn start(behaviour: impl Fn(&Got) -> Reply + Send + 'static) -> StandIn {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        let (tx, got) = channel();
        let stop = Arc::new(AtomicBool::new(false));
        let hung = Arc::new(Mutex::new(Vec::new()));
        let (stop2, hung2) = (stop.clone(), hung.clone());
        let thread = std::thread::spawn(move || {
            for conn in listener.incoming() {
                if stop2.load(Ordering::SeqCst) {
                    break;
                }
                let Ok(stream) = conn else { continue };
                serve(stream, &behaviour, &tx, &hung2);
            }
        });
        StandIn {
            addr,
            got,
            stop,
            thread: Some(thread),
            hung,
        }
    }

    /// A stand-in that answers challenges correctly and events with `events(n)` for the
    /// n-th event (0-based) it gets.
    pub fn answering(events: impl Fn(usize) -> Reply + Send + 'static) -> StandIn {
        let count = Mutex::new(0usize);
        StandIn::start(move |g| match g.challenge() {
            Some(c) => echo(&c),
            None => {
                let mut n = count.lock().unwrap();
                *n += 1;
                events(*n - 1)
            }
        })
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// The next request, waiting at most 5 s.
    pub fn next(&self) -> Got {
        self.got
            .recv_timeout(Duration::from_secs(5))
            .expect("the stand-in got no request")
    }

    /// No request is waiting (call after the exchange that would have sent one finished).
    pub fn assert_nothing_more(&self) {
        if let Ok(g) = self.got.try_recv() {
            panic!("unexpected request {g:?}");
        }
    }
}

impl Drop for StandIn {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::SeqCst);
        self.hung.lock().unwrap().clear();
        let _ = TcpStream::connect(self.addr);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

fn serve(
    stream: TcpStream,
    behaviour: &dyn Fn(&Got) -> Reply,
    tx: &Sender<Got>,
    hung: &Mutex<Vec<TcpStream>>,
) {
    stream
        .set_read_timeout(Some(Duration::from_secs(5)))
        .unwrap();
    let mut reader = BufReader::new(stream.try_clone().unwrap());
    let mut line = String::new();
    if reader.read_line(&mut line).unwrap_or(0) == 0 {
        return; // the wake-up connection of Drop, or a probe
    }
    let mut parts = line.split_whitespace();
    let method = parts.next().unwrap_or("").to_owned();
    let path = parts.next().unwrap_or("").to_owned();
    let mut headers = Vec::new();
    loop {
        let mut h = String::new();
        if reader.read_line(&mut h).unwrap_or(0) == 0 {
            return;
        }
        let h = h.trim_end();
        if h.is_empty() {
            break;
        }
        if let Some((n, v)) = h.split_once(':') {
            headers.push((n.trim().to_owned(), v.trim().to_owned()));
        }
    }
    let len: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .map(|(_, v)| v.parse().unwrap())
        .unwrap_or(0);
    let mut body = vec![0; len];
    reader.read_exact(&mut body).unwrap();
    let got = Got {
        method,
        path,
        headers,
        body,
    };
    let reply = behaviour(&got);
    let _ = tx.send(got);
    let mut stream = stream;
    match reply {
        Reply::With(status, body) => {
            let head = format!(
                "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                body.len()
            );
            let _ = stream.write_all(head.as_bytes());
            let _ = stream.write_all(body.as_bytes());
        }
        Reply::Hang => hung.lock().unwrap().push(stream),
        Reply::Close => {}
    }
}

/// A URL on which nothing listens (a port that was just free).
pub fn refused_url() -> String {
    let l = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    drop(l);
    format!("http://{addr}/hook")
}
