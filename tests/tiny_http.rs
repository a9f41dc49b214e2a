//! `examples/tiny_http.rs`, the verifier inside a tiny_http server, run as a child process
//! and spoken to over real sockets on 127.0.0.1: the handshake, the four seed events
//! printed as `cinnox listen --json` prints them and answered 200 only after, refusals,
//! bodies over the cap (answered without reading them), duplicates, bad input.
//!
//! The child's stdout is a socket: once a 200 has arrived, its line must already be
//! readable without waiting (it is printed and flushed before the answer), and a request
//! that must print nothing has left nothing there. No sleeps: every wait is on a real event.

#[path = "common/event.rs"]
mod event;
#[path = "common/example.rs"]
mod example;

use std::io::{BufRead, BufReader, ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpStream};
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::process::{Child, Command, Stdio};
use std::thread::JoinHandle;
use std::time::Duration;

use event::{CALL_END, CALL_START, DELIVERY_REPORT, INBOUND_SMS, SEEDS};

const PATH: &str = "/cinnox/tiny-http-s3cr3t";
/// The verifier's default body cap, which the example keeps.
const CAP: usize = cinnox::webhook::DEFAULT_MAX_BODY;
/// Long enough for a loaded machine; only a failing test ever waits this long.
const DEADLINE: Duration = Duration::from_secs(30);

/// What `cinnox listen --json` printed for the four seeds (the same bytes; see
/// `lines_are_cinnox_listen_jsons_to_the_byte`).
const LINES: [&str; 4] = [
    r#"{"acked":true,"dedup_key":"call|c0a8012e-7f3b-4c1d-9e2a-5b6c7d8e9f01|CallStart","fields":{"callees":[{"eid":"eid-callee-0002","number":"+85212345678"}],"caller":{"eid":"eid-caller-0001","number":"+85298765432"},"id":"c0a8012e-7f3b-4c1d-9e2a-5b6c7d8e9f01","service_id":"svc-8a9b0c1d"},"id":"c0a8012e-7f3b-4c1d-9e2a-5b6c7d8e9f01","kind":"call-start","raw":{"message":{"callees":{"eid":"eid-callee-0002","number":"+85212345678"},"caller":{"eid":"eid-caller-0001","number":"+85298765432"},"id":"c0a8012e-7f3b-4c1d-9e2a-5b6c7d8e9f01","serviceId":"svc-8a9b0c1d","status":"CallStart"},"type":"message"}}"#,
    r#"{"acked":true,"dedup_key":"call|c0a8012e-7f3b-4c1d-9e2a-5b6c7d8e9f01|CallEnd","fields":{"callees":[],"caller":null,"id":"c0a8012e-7f3b-4c1d-9e2a-5b6c7d8e9f01","service_id":"svc-8a9b0c1d"},"id":"c0a8012e-7f3b-4c1d-9e2a-5b6c7d8e9f01","kind":"call-end","raw":{"message":{"id":"c0a8012e-7f3b-4c1d-9e2a-5b6c7d8e9f01","serviceId":"svc-8a9b0c1d","status":"CallEnd"},"type":"message"}}"#,
    r#"{"acked":true,"dedup_key":"inbound-sms|sms-5e6f7a8b-1234|Inbound SMS","fields":{"content":"Hello from a customer","content_type":"Text","event_description":"Inbound SMS","id":"sms-5e6f7a8b-1234","receive_time":"2022-11-07T00:00:00.000Z","recipient_number":"85212345678","sender_number":"85298765432"},"id":"sms-5e6f7a8b-1234","kind":"inbound-sms","raw":{"content":"Hello from a customer","contentType":"Text","eventDescription":"Inbound SMS","id":"sms-5e6f7a8b-1234","receiveTime":"2022-11-07T00:00:00.000Z","recipientNumber":"85212345678","senderNumber":"85298765432"}}"#,
    r#"{"acked":true,"dedup_key":"outbound-sms|tx-9f8e7d6c-5b4a|Delivered","fields":{"app_id":"app-0123456789","exception":"","recipient_country":"HK","recipient_number":"85298765432","report_type":"tdr","response_code":"","service_id":"svc-8a9b0c1d","status":"Delivered","transaction_id":"tx-9f8e7d6c-5b4a"},"id":"tx-9f8e7d6c-5b4a","kind":"delivery-report","raw":{"AppID":"app-0123456789","Exception":"","RecipientCountry":"HK","RecipientNumber":"85298765432","ResponseCode":"","ServiceID":"svc-8a9b0c1d","Status":"Delivered","TransactionID":"tx-9f8e7d6c-5b4a","Type":"tdr"}}"#,
];

const OK: &str = r#"{"code":0}"#;

/// A running server process; killed when dropped (also when a test fails).
struct Server {
    child: Child,
    addr: SocketAddr,
    /// The child's stdout, non-blocking.
    stdout: UnixStream,
    stderr: Option<JoinHandle<String>>,
}

impl Server {
    /// Run `program` (the example, or `cinnox listen`), wait for its `listening on` line,
    /// and read the address from it.
    fn run(mut program: Command) -> Server {
        let (ours, theirs) = UnixStream::pair().unwrap();
        let mut child = program
            .env_remove("RUST_LOG")
            .stdin(Stdio::null())
            .stdout(Stdio::from(OwnedFd::from(theirs)))
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        ours.set_nonblocking(true).unwrap();
        let mut err = BufReader::new(child.stderr.take().unwrap());
        let mut first = String::new();
        err.read_line(&mut first).unwrap();
        let addr = first
            .trim_end()
            .strip_prefix("listening on ")
            .map(|a| a.trim_start_matches("http://"))
            .and_then(|a| a.parse().ok())
            .unwrap_or_else(|| panic!("no address in {first:?}"));
        let stderr = std::thread::spawn(move || {
            let mut rest = first;
            let _ = err.read_to_string(&mut rest);
            rest
        });
        Server {
            child,
            addr,
            stdout: ours,
            stderr: Some(stderr),
        }
    }

    /// The example on any free port.
    fn start() -> Server {
        let mut program = Command::new(example::path("tiny_http"));
        program.args(["127.0.0.1:0", PATH]);
        Server::run(program)
    }

    /// Everything on the child's stdout now, without waiting for more.
    fn printed(&mut self) -> String {
        let mut out = Vec::new();
        let mut buf = [0u8; 8192];
        loop {
            match self.stdout.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => out.extend_from_slice(&buf[..n]),
                Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                Err(e) => panic!("reading the child's stdout: {e}"),
            }
        }
        String::from_utf8(out).unwrap()
    }

    /// Send `raw` on a new connection and read one response.
    fn exchange(&self, raw: &[u8]) -> Response {
        let mut conn = self.connect();
        conn.write_all(raw).unwrap();
        read_response(&mut conn)
    }

    fn connect(&self) -> TcpStream {
        let conn = TcpStream::connect(self.addr).unwrap();
        conn.set_read_timeout(Some(DEADLINE)).unwrap();
        conn.set_write_timeout(Some(DEADLINE)).unwrap();
        conn
    }

    /// POST `body` as JSON to `path`.
    fn post(&self, path: &str, body: &[u8]) -> Response {
        self.exchange(&post(path, body))
    }

    /// Panic, with what it said, when the child is no longer running.
    fn assert_running(&mut self) {
        if let Ok(Some(status)) = self.child.try_wait() {
            panic!("the server exited ({status}): {}", self.stop());
        }
    }

    /// Kill it; everything it wrote to stderr.
    fn stop(&mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.stderr
            .take()
            .map(|t| t.join().unwrap_or_default())
            .unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn post(path: &str, body: &[u8]) -> Vec<u8> {
    let mut raw = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n",
        body.len()
    )
    .into_bytes();
    raw.extend_from_slice(body);
    raw
}

#[derive(Debug)]
struct Response {
    /// `HTTP/1.1 200 OK`
    status_line: String,
    headers: Vec<(String, String)>,
    body: String,
}

impl Response {
    fn status(&self) -> u16 {
        self.status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("{self:?}"))
    }

    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    /// The status, the verifier's headers and the exact body.
    #[track_caller]
    fn assert_json(&self, status: u16, body: &str) {
        assert_eq!(
            (self.status(), self.body.as_str()),
            (status, body),
            "{self:?}"
        );
        assert_eq!(
            self.header("content-type"),
            Some("application/json"),
            "{self:?}"
        );
        assert_eq!(
            self.header("x-content-type-options"),
            Some("nosniff"),
            "{self:?}"
        );
    }
}

/// One response: the head, then a body of its `Content-Length`.
fn read_response(conn: &mut TcpStream) -> Response {
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        match conn.read(&mut byte) {
            Ok(1) => head.push(byte[0]),
            Ok(_) => panic!("closed after {:?}", String::from_utf8_lossy(&head)),
            Err(e) => panic!("{e} after {:?}", String::from_utf8_lossy(&head)),
        }
    }
    let head = String::from_utf8(head).unwrap();
    let mut lines = head.trim_end().split("\r\n");
    let status_line = lines.next().unwrap_or_default().to_owned();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(n, v)| (n.to_owned(), v.trim().to_owned()))
        .collect();
    let len: usize = headers
        .iter()
        .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(0);
    let mut body = vec![0u8; len];
    conn.read_exact(&mut body).unwrap();
    Response {
        status_line,
        headers,
        body: String::from_utf8(body).unwrap(),
    }
}

#[test]
fn the_handshake_is_answered_with_the_exact_challenge_reply() {
    let mut server = Server::start();
    let r = server.post(PATH, br#"{"challenge":"9b1d5e2a-tiny"}"#);
    r.assert_json(200, r#"{"code":0,"result":{"challenge":"9b1d5e2a-tiny"}}"#);
    assert_eq!(r.status_line, "HTTP/1.1 200 OK");
    assert_eq!(server.printed(), "", "a challenge is no event");
    assert_eq!(
        server.stop(),
        format!("listening on http://{}\n", server.addr)
    );
}

#[test]
fn the_four_seeds_are_printed_as_listen_json_lines_and_answered_200_after() {
    let mut server = Server::start();
    for ((name, body), line) in SEEDS.iter().zip(LINES) {
        let r = server.post(PATH, body);
        r.assert_json(200, OK);
        // Printed and flushed before the 200 was sent: already there, whole.
        assert_eq!(server.printed(), format!("{line}\n"), "{name}");
    }
    assert_eq!(
        server.stop(),
        format!("listening on http://{}\n", server.addr)
    );
}

#[test]
fn without_stdout_an_event_is_answered_500_and_reaches_it_again() {
    let mut server = Server::start();
    // The reading end is shut: every line the server writes fails (EPIPE).
    server.stdout.shutdown(Shutdown::Read).unwrap();
    for _ in 0..2 {
        let r = server.post(PATH, CALL_START);
        r.assert_json(500, r#"{"code":500,"message":"event not handled"}"#);
    }
    server.assert_running();
    assert_eq!(
        server.stop(),
        format!("listening on http://{}\n", server.addr)
    );
}

/// Built with the command (feature `cli`, which `--all-features` has).
#[cfg(feature = "cli")]
#[test]
fn lines_are_cinnox_listen_jsons_to_the_byte() {
    let mut listen = Command::new(env!("CARGO_BIN_EXE_cinnox"));
    listen.args(["listen", "--bind", "127.0.0.1:0", "--path", PATH, "--json"]);
    let mut listen = Server::run(listen);
    for (body, line) in [CALL_START, CALL_END, INBOUND_SMS, DELIVERY_REPORT]
        .iter()
        .zip(LINES)
    {
        listen.post(PATH, body).assert_json(200, OK);
        // The command answers after its handler returns, the line printed first.
        assert_eq!(listen.printed(), format!("{line}\n"));
    }
}

#[test]
fn a_wrong_path_is_404_whatever_it_is_and_prints_nothing() {
    let mut server = Server::start();
    let longer = format!("{PATH}/x");
    let shorter = &PATH[..PATH.len() - 1];
    let upper = PATH.to_uppercase();
    for path in [
        "/",
        "/cinnox",
        shorter,
        &longer,
        &upper,
        "/cinnox/tiny-http-s3cr3u",
    ] {
        let r = server.post(path, CALL_START);
        r.assert_json(404, r#"{"code":404,"message":"not found"}"#);
        assert_eq!(r.status_line, "HTTP/1.1 404 Not Found", "{path}");
    }
    // A query string is no part of the path.
    let r = server.post(&format!("{PATH}?from=cinnox"), CALL_START);
    r.assert_json(200, OK);
    assert_eq!(server.printed(), format!("{}\n", LINES[0]));
}

/// A head that declares `framing`, then `cap + 1000` bytes of body and no more; the rest
/// never comes. The answer must arrive all the same.
fn over_the_cap(server: &Server, framing: &str) -> Response {
    let mut conn = server.connect();
    let head = format!(
        "POST {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
         {framing}\r\n\r\n"
    );
    conn.write_all(head.as_bytes()).unwrap();
    // Written from another thread: a server that stopped reading may leave it blocked.
    let mut writer = conn.try_clone().unwrap();
    let sending = std::thread::spawn(move || {
        let _ = writer.write_all(&vec![b' '; CAP + 1000]);
    });
    let r = read_response(&mut conn);
    drop(conn);
    let _ = sending.join();
    r
}

#[test]
fn a_declared_length_of_100_mb_is_refused_413_without_waiting_for_the_body() {
    let mut server = Server::start();
    let r = over_the_cap(&server, "Content-Length: 100000000");
    r.assert_json(413, r#"{"code":413,"message":"body too large"}"#);
    assert_eq!(r.status_line, "HTTP/1.1 413 Payload Too Large");
    // Still serving.
    server.post(PATH, CALL_END).assert_json(200, OK);
    assert_eq!(server.printed(), format!("{}\n", LINES[1]));
}

#[test]
fn a_chunked_body_over_the_cap_is_read_to_the_cap_plus_one_and_refused_413() {
    let mut server = Server::start();
    // One chunk of 1 MiB announced, cap + 1000 bytes of it sent: a server that read the
    // chunk to its end would never answer.
    let r = over_the_cap(&server, "Transfer-Encoding: chunked\r\n\r\n100000");
    r.assert_json(413, r#"{"code":413,"message":"body too large"}"#);
    server.post(PATH, INBOUND_SMS).assert_json(200, OK);
    assert_eq!(server.printed(), format!("{}\n", LINES[2]));
    server.assert_running();
}

#[test]
fn a_duplicate_is_answered_200_and_printed_once() {
    let mut server = Server::start();
    server.post(PATH, DELIVERY_REPORT).assert_json(200, OK);
    assert_eq!(server.printed(), format!("{}\n", LINES[3]));
    for _ in 0..2 {
        server.post(PATH, DELIVERY_REPORT).assert_json(200, OK);
        assert_eq!(server.printed(), "", "a redelivery reached the application");
    }
    // Another event still reaches it.
    server.post(PATH, CALL_START).assert_json(200, OK);
    assert_eq!(server.printed(), format!("{}\n", LINES[0]));
}

#[test]
fn a_refused_head_never_gets_100_continue_an_accepted_one_does() {
    let mut server = Server::start();
    let expect = |path: &str| {
        format!(
            "POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Expect: 100-continue\r\nContent-Length: {}\r\n\r\n",
            CALL_END.len()
        )
    };
    let r = server.exchange(expect("/elsewhere").as_bytes());
    r.assert_json(404, r#"{"code":404,"message":"not found"}"#);

    let mut conn = server.connect();
    conn.write_all(expect(PATH).as_bytes()).unwrap();
    let go_on = read_response(&mut conn);
    assert_eq!(go_on.status_line, "HTTP/1.1 100 Continue", "{go_on:?}");
    conn.write_all(CALL_END).unwrap();
    read_response(&mut conn).assert_json(200, OK);
    assert_eq!(server.printed(), format!("{}\n", LINES[1]));
}

#[test]
fn bad_input_is_refused_with_the_verifiers_status_and_never_crashes_it() {
    let mut server = Server::start();
    let get = format!("GET {PATH} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    let r = server.exchange(get.as_bytes());
    r.assert_json(405, r#"{"code":405,"message":"method not allowed"}"#);
    assert_eq!(r.header("allow"), Some("POST"));

    let text = format!(
        "POST {PATH} HTTP/1.1\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\n{{}}"
    );
    let r = server.exchange(text.as_bytes());
    r.assert_json(415, r#"{"code":415,"message":"unsupported media type"}"#);

    let two = format!("POST {PATH} HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 3\r\n\r\n{{}}");
    let r = server.exchange(two.as_bytes());
    r.assert_json(400, r#"{"code":400,"message":"invalid Content-Length"}"#);

    let r = server.post(PATH, b"{not json");
    assert_eq!(r.status(), 400, "{r:?}");
    assert!(r.body.starts_with(r#"{"code":400,"message":""#), "{r:?}");

    // Cut short: 2000 bytes declared, 10 sent, then the sender stops sending.
    let mut conn = server.connect();
    let cut = format!(
        "POST {PATH} HTTP/1.1\r\nContent-Type: application/json\r\nContent-Length: 2000\r\n\r\n\
         {{\"id\":\"1\""
    );
    conn.write_all(cut.as_bytes()).unwrap();
    conn.shutdown(Shutdown::Write).unwrap();
    read_response(&mut conn).assert_json(
        400,
        r#"{"code":400,"message":"the body could not be read"}"#,
    );

    // Not HTTP at all (a TLS ClientHello): tiny_http closes the connection without a word,
    // and the server goes on.
    let mut conn = server.connect();
    conn.write_all(b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n")
        .unwrap();
    let mut answer = Vec::new();
    conn.read_to_end(&mut answer).unwrap();
    assert_eq!(String::from_utf8_lossy(&answer), "");
    // A request line tiny_http cannot read: its own 400.
    let r = server.exchange(b"POST\r\n\r\n");
    assert_eq!(r.status(), 400, "{r:?}");

    server.assert_running();
    for (body, line) in [(INBOUND_SMS, LINES[2]), (CALL_START, LINES[0])] {
        server.post(PATH, body).assert_json(200, OK);
        assert_eq!(server.printed(), format!("{line}\n"));
    }
    assert_eq!(server.printed(), "", "only the two events were printed");
}
