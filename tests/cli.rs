//! The `cinnox` command, run as a real process: sandbox, listen, subscribe, trigger, verify,
//! exit codes, and the token never printed.
#![cfg(feature = "cli")]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::process::{Child, Command, Output, Stdio};
use std::sync::mpsc::{channel, Receiver};
use std::time::Duration;

const EXE: &str = env!("CARGO_BIN_EXE_cinnox");
const APP: &str = "cli-app";
const TOKEN: &str = "cli-T0KEN-s3cr3t";
const PATH: &str = "/cinnox/p4th";
/// Long enough for a loaded machine; every wait ends as soon as its line arrives.
const WAIT: Duration = Duration::from_secs(30);

/// A running `cinnox` process whose output lines arrive on channels.
struct Proc {
    child: Child,
    out: Receiver<String>,
    err: Receiver<String>,
    seen: Vec<String>,
}

fn lines(r: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        for line in BufReader::new(r).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    rx
}

fn spawn(args: &[&str]) -> Proc {
    let mut child = Command::new(EXE)
        .args(args)
        .env_remove("CINNOX_BASE_URL")
        .env_remove("CINNOX_APP_ID")
        .env_remove("CINNOX_APP_TOKEN")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run cinnox");
    let out = lines(child.stdout.take().unwrap());
    let err = lines(child.stderr.take().unwrap());
    Proc {
        child,
        out,
        err,
        seen: Vec::new(),
    }
}

impl Proc {
    /// The next stdout line.
    fn line(&mut self) -> String {
        let l = self
            .out
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("no stdout line; seen: {:?}", self.seen));
        self.seen.push(l.clone());
        l
    }
    /// The next stderr line.
    fn err_line(&mut self) -> String {
        let l = self
            .err
            .recv_timeout(WAIT)
            .unwrap_or_else(|_| panic!("no stderr line; seen: {:?}", self.seen));
        self.seen.push(l.clone());
        l
    }
    /// SIGINT, then the exit status and the rest of both outputs.
    fn interrupt(mut self) -> (i32, Vec<String>, Vec<String>) {
        // SAFETY: a plain kill(2) of our own child.
        unsafe { libc::kill(self.child.id() as i32, libc::SIGINT) };
        let status = self.child.wait().expect("wait");
        let rest = |rx: &Receiver<String>| -> Vec<String> {
            std::iter::from_fn(|| rx.recv_timeout(WAIT).ok()).collect()
        };
        (
            status.code().unwrap_or(-1),
            rest(&self.out),
            rest(&self.err),
        )
    }
}

impl Drop for Proc {
    /// A process the test did not interrupt does not outlive it.
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Run to the end with `env`; returns exit code, stdout, stderr.
fn run(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let o: Output = Command::new(EXE)
        .args(args)
        .env_remove("CINNOX_BASE_URL")
        .env_remove("CINNOX_APP_ID")
        .env_remove("CINNOX_APP_TOKEN")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("run cinnox");
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// `cinnox sandbox` with our app; returns it and its base URL.
fn sandbox() -> (Proc, String) {
    let mut p = spawn(&["sandbox", "--app", &format!("{APP}:{TOKEN}")]);
    let first = p.line();
    let base = first
        .strip_prefix("sandbox ")
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    assert_eq!(p.line(), format!("app {APP}"));
    (p, base)
}

/// `cinnox listen` with `extra` arguments; returns it and its webhook URL.
fn listen(extra: &[&str]) -> (Proc, String) {
    let mut args = vec!["listen", "--bind", "127.0.0.1:0", "--path", PATH];
    args.extend_from_slice(extra);
    let mut p = spawn(&args);
    let first = p.err_line();
    let addr = first
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("{first}"))
        .to_owned();
    (p, format!("http://{addr}{PATH}"))
}

fn creds(base: &str) -> Vec<(&'static str, String)> {
    vec![
        ("CINNOX_BASE_URL", base.to_owned()),
        ("CINNOX_APP_ID", APP.to_owned()),
        ("CINNOX_APP_TOKEN", TOKEN.to_owned()),
    ]
}

fn subscribe(base: &str, families: &[&str], url: &str) -> (i32, String, String) {
    let env = creds(base);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let mut args = vec!["subscribe"];
    args.extend_from_slice(families);
    args.extend_from_slice(&["--url", url]);
    run(&args, &env)
}

fn json(line: &str) -> serde_json::Value {
    serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"))
}

#[test]
fn sandbox_listen_subscribe_and_trigger_all_four_end_to_end() {
    let (mut sb, base) = sandbox();
    let (mut rx, url) = listen(&["--json"]);
    let (code, out, err) = subscribe(
        &base,
        &["call", "inbound-sms", "outbound-sms-event-sub"],
        &url,
    );
    assert_eq!(code, 0, "{out}{err}");
    let rows: Vec<&str> = out.lines().collect();
    assert_eq!(rows.len(), 3, "{out}");
    for (row, family) in rows.iter().zip(["call", "inbound-sms", "outbound-sms"]) {
        assert!(row.starts_with(family), "{row}");
        assert!(row.contains("subscribed updatedAt 20"), "{row}");
    }
    assert!(!out.contains(TOKEN) && !err.contains(TOKEN));
    for _ in 0..3 {
        assert_eq!(rx.err_line(), "challenge answered");
    }
    let mut subscribed: Vec<String> = (0..3).map(|_| sb.line()).collect();
    subscribed.sort();
    assert!(subscribed[0].starts_with(&format!("subscribed   app {APP} call (updatedAt ")));

    let triggers: [(&str, &[&str], &str); 4] = [
        (
            "call-start",
            &["--set", "caller_number=+85291234567"],
            "call-start",
        ),
        ("call-end", &[], "call-end"),
        (
            "inbound-sms",
            &["--set", "content=Is the shop open?"],
            "inbound-sms",
        ),
        (
            "delivery-report",
            &["--set", "status=Undelivered"],
            "delivery-report",
        ),
    ];
    for (kind, sets, expected) in triggers {
        let mut args = vec!["trigger", kind, "--sandbox", base.as_str()];
        args.extend_from_slice(sets);
        let (code, out, err) = run(&args, &[]);
        assert_eq!(code, 0, "{kind}: {out}{err}");
        assert_eq!(
            out.trim(),
            format!("{kind} -> app {APP}: delivered (HTTP 200)")
        );
        let event = json(&rx.line());
        assert_eq!(event["kind"], expected);
        assert_eq!(event["acked"], true);
        assert!(event["dedup_key"].as_str().is_some_and(|k| !k.is_empty()));
        assert!(event["raw"].is_object(), "{event}");
        match kind {
            "call-start" => {
                assert_eq!(event["fields"]["caller"]["number"], "+85291234567")
            }
            "inbound-sms" => assert_eq!(event["fields"]["content"], "Is the shop open?"),
            "delivery-report" => assert_eq!(event["fields"]["status"], "Undelivered"),
            _ => assert!(event["fields"]["id"].is_string(), "{event}"),
        }
        let delivery = sb.line();
        assert!(
            delivery.starts_with(&format!("delivery     app {APP} "))
                && delivery.contains(" delivered after 1 attempt(s) (HTTP 200)"),
            "{delivery}"
        );
    }

    let (code, _, err) = rx.interrupt();
    assert_eq!(code, 0);
    assert_eq!(
        err.last().map(String::as_str),
        Some("shut down: received 4, acked 4, failed 0, duplicates 0, refused 0, challenges 3")
    );
    let (code, out, _) = sb.interrupt();
    assert_eq!(code, 0);
    assert_eq!(out.last().map(String::as_str), Some("sandbox stopped"));
}

/// A local HTTP handler that answers `statuses` in turn (then 200), reporting each body.
fn handler(statuses: Vec<u16>) -> (String, Receiver<Vec<u8>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let (tx, rx) = channel();
    std::thread::spawn(move || {
        let mut statuses = statuses.into_iter();
        for stream in listener.incoming() {
            let Ok(mut s) = stream else { continue };
            let mut buf = Vec::new();
            let mut chunk = [0u8; 4096];
            let body = loop {
                let n = s.read(&mut chunk).unwrap_or(0);
                if n == 0 {
                    break None;
                }
                buf.extend_from_slice(&chunk[..n]);
                if let Some(i) = buf.windows(4).position(|w| w == b"\r\n\r\n") {
                    let head = String::from_utf8_lossy(&buf[..i]).to_ascii_lowercase();
                    let len: usize = head
                        .lines()
                        .find_map(|l| l.strip_prefix("content-length:"))
                        .and_then(|v| v.trim().parse().ok())
                        .unwrap_or(0);
                    if buf.len() >= i + 4 + len {
                        break Some(buf[i + 4..i + 4 + len].to_vec());
                    }
                }
            };
            let Some(body) = body else { continue };
            let status = statuses.next().unwrap_or(200);
            let _ = s.write_all(
                format!("HTTP/1.1 {status} X\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                    .as_bytes(),
            );
            if tx.send(body).is_err() {
                break;
            }
        }
    });
    (url, rx)
}

#[test]
fn listen_forward_to_fails_on_a_500_and_the_redelivery_is_acked() {
    let (_sb, base) = sandbox();
    let (target, bodies) = handler(vec![500]);
    let (mut rx, url) = listen(&["--forward-to", &target]);
    assert_eq!(subscribe(&base, &["inbound-sms"], &url).0, 0);
    let (code, out, err) = run(
        &[
            "trigger",
            "inbound-sms",
            "--sandbox",
            &base,
            "--set",
            "id=sms-fwd",
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out.trim(),
        format!("inbound-sms -> app {APP}: delivered (HTTP 500, 200)")
    );
    let first = rx.line();
    assert!(first.starts_with("inbound-sms      id=sms-fwd "), "{first}");
    assert!(
        first.ends_with("-> failed: the forward target answered HTTP 500"),
        "{first}"
    );
    let second = rx.line();
    assert!(
        second.starts_with("inbound-sms      id=sms-fwd "),
        "{second}"
    );
    assert!(second.ends_with("-> acked"), "{second}");
    // The target got the exact raw body, twice.
    let a = bodies.recv_timeout(WAIT).unwrap();
    let b = bodies.recv_timeout(WAIT).unwrap();
    assert_eq!(a, b);
    assert!(String::from_utf8_lossy(&a).contains("\"sms-fwd\""));
}

#[test]
fn listen_exec_acks_on_exit_0_and_fails_otherwise() {
    let (_sb, base) = sandbox();
    let dir = std::env::temp_dir().join(format!("cinnox-cli-exec-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("got");
    let _ = std::fs::remove_file(&file);
    // Succeeds for call events (keeping the body and the kind), fails for the rest.
    let cmd = format!(
        "cat > '{f}.body' && echo \"$CINNOX_EVENT_KIND\" >> '{f}' && case \"$CINNOX_EVENT_KIND\" in call-*) exit 0;; *) exit 3;; esac",
        f = file.display()
    );
    let (mut rx, url) = listen(&["--exec", &cmd]);
    assert_eq!(subscribe(&base, &["call", "inbound-sms"], &url).0, 0);

    let (code, out, _) = run(&["trigger", "call-start", "--sandbox", &base], &[]);
    assert_eq!(code, 0, "{out}");
    assert!(rx.line().ends_with("-> acked"));
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "call-start\n");
    let body = std::fs::read_to_string(format!("{}.body", file.display())).unwrap();
    assert!(
        body.contains("\"message\""),
        "the raw body on stdin: {body}"
    );

    // Fails every time: the sandbox gives up after its redeliveries; exit 1.
    let (code, out, _) = run(&["trigger", "inbound-sms", "--sandbox", &base], &[]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        out.trim(),
        format!("inbound-sms -> app {APP}: not delivered (HTTP 500, 500, 500, 500)")
    );
    for _ in 0..4 {
        let l = rx.line();
        assert!(
            l.ends_with("-> failed: the command exited with exit status: 3"),
            "{l}"
        );
    }
}

/// A server answering every request with this status, content type and body.
fn fixed(status: u16, content_type: &str, body: &str) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/hook", listener.local_addr().unwrap());
    let reply = format!(
        "HTTP/1.1 {status} X\r\nContent-Type: {content_type}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
        body.len()
    );
    std::thread::spawn(move || {
        for mut s in listener.incoming().flatten() {
            let mut buf = [0u8; 4096];
            let _ = s.read(&mut buf);
            let _ = s.write_all(reply.as_bytes());
        }
    });
    url
}

#[test]
fn verify_accepts_a_correct_receiver_and_explains_wrong_ones() {
    let (_rx, url) = listen(&[]);
    let (code, out, err) = run(&["verify", &url], &[]);
    assert_eq!(code, 0, "{out}{err}");
    let rows: Vec<&str> = out.lines().collect();
    assert!(
        rows[0].starts_with("sent      POST {\"challenge\":\""),
        "{out}"
    );
    assert!(
        rows[1].starts_with("answer    HTTP 200, Content-Type application/json, body "),
        "{out}"
    );
    assert_eq!(rows[2], "verdict   CINNOX would accept this URL");

    let wrong_path = url.replace(PATH, "/nope");
    let cases = [
        (wrong_path, "the receiver answered HTTP 404 (expected 200)"),
        (
            fixed(
                200,
                "application/json",
                r#"{"code":0,"result":"{\"challenge\":\"x\"}"}"#,
            ),
            "\"result\" is a string",
        ),
        (
            fixed(
                200,
                "application/json",
                r#"{"code":0,"result":{"challenge":"other"}}"#,
            ),
            "it echoed a different challenge",
        ),
        (
            fixed(200, "text/plain", r#"{"code":0}"#),
            "with Content-Type \"text/plain\" (expected application/json)",
        ),
    ];
    for (target, why) in cases {
        let (code, out, err) = run(&["verify", &target], &[]);
        assert_eq!(code, 1, "{target}: {out}{err}");
        let verdict = out.lines().last().unwrap_or("");
        assert!(
            verdict.starts_with("verdict   CINNOX would refuse this URL: ")
                && verdict.contains(why),
            "{verdict}"
        );
    }
    // Nobody listening: refused, exit 1.
    let port = TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let (code, out, _) = run(&["verify", &format!("http://127.0.0.1:{port}/x")], &[]);
    assert_eq!(code, 1);
    assert!(out.contains("could not be reached"), "{out}");
}

#[test]
fn trigger_to_a_url_reports_the_status_and_sends_a_json_file() {
    let (mut rx, url) = listen(&[]);
    let (code, out, err) = run(
        &[
            "trigger",
            "delivery-report",
            "--to",
            &url,
            "--variant",
            "numbers-as-json-numbers",
        ],
        &[],
    );
    // Nobody takes events from a plain `listen`? It prints and acks them: 200.
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.starts_with("delivery-report -> HTTP 200 in "), "{out}");
    assert!(rx.line().starts_with("delivery-report  "));

    let file = std::env::temp_dir().join(format!("cinnox-cli-{}.json", std::process::id()));
    std::fs::write(
        &file,
        r#"{"id":"custom-1","eventDescription":"NewInboundSMS","senderNumber":"85211112222","content":"from a file"}"#,
    )
    .unwrap();
    let (code, out, _) = run(
        &[
            "trigger",
            "inbound-sms",
            "--to",
            &url,
            "--json",
            file.to_str().unwrap(),
        ],
        &[],
    );
    assert_eq!(code, 0, "{out}");
    let line = rx.line();
    assert!(
        line.contains("id=custom-1") && line.contains("\"from a file\""),
        "{line}"
    );

    let failing = fixed(503, "application/json", "{}");
    let (code, out, _) = run(&["trigger", "call-start", "--to", &failing], &[]);
    assert_eq!(code, 1);
    assert!(out.starts_with("call-start -> HTTP 503 in "), "{out}");
}

#[test]
fn a_wrong_token_fails_with_cinnox_code_and_never_shows_the_token() {
    let (_sb, base) = sandbox();
    let (_rx, url) = listen(&[]);
    let wrong = "wr0ng-T0KEN-zzz";
    let (code, out, err) = run(
        &[
            "subscribe",
            "call",
            "--url",
            &url,
            "--base-url",
            &base,
            "--app",
            APP,
            "--token",
            wrong,
        ],
        &[],
    );
    assert_eq!(code, 1, "{out}{err}");
    assert_eq!(out.trim(), "call              failed");
    assert!(err.contains("code 6452000"), "{err}");
    for text in [&out, &err] {
        assert!(!text.contains(wrong) && !text.contains(TOKEN), "{text}");
    }
    // The same through the environment, and with --all.
    let (code, out, err) = run(
        &["unsubscribe", "--all"],
        &[
            ("CINNOX_BASE_URL", &base),
            ("CINNOX_APP_ID", APP),
            ("CINNOX_APP_TOKEN", wrong),
        ],
    );
    assert_eq!(code, 1);
    assert_eq!(out.lines().count(), 9, "{out}");
    assert_eq!(err.matches("code 6452000").count(), 9, "{err}");
    assert!(!out.contains(wrong) && !err.contains(wrong));
    // --help never shows an environment token either.
    let (_, help, _) = run(&["subscribe", "--help"], &[("CINNOX_APP_TOKEN", wrong)]);
    assert!(!help.contains(wrong), "{help}");
}

#[test]
fn bad_usage_exits_2_and_every_command_has_help_with_an_example() {
    for args in [
        &[][..],
        &["bogus"],
        &["subscribe", "call"],
        &[
            "subscribe",
            "nosuchfamily",
            "--url",
            "http://x/y",
            "--base-url",
            "http://x",
            "--app",
            "a",
            "--token",
            "t",
        ],
        &["trigger", "call"],
        &["trigger", "call-start"],
        &[
            "trigger",
            "call-start",
            "--to",
            "http://x/y",
            "--set",
            "novalue",
        ],
        &[
            "trigger",
            "call-start",
            "--to",
            "http://x/y",
            "--variant",
            "all",
        ],
        &["listen"],
        &["sandbox", "--app", "notokenhere"],
    ] {
        let (code, out, err) = run(args, &[]);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(!err.is_empty(), "{args:?}");
    }
    for cmd in [
        "subscribe",
        "unsubscribe",
        "listen",
        "verify",
        "trigger",
        "sandbox",
    ] {
        let (code, out, _) = run(&[cmd, "--help"], &[]);
        assert_eq!(code, 0, "{cmd}");
        assert!(
            out.contains("Example"),
            "{cmd} --help lacks an example:\n{out}"
        );
    }
    // A bad value that only the library can judge is a failure (1), not usage (2).
    let (code, _, err) = run(
        &[
            "trigger",
            "call-start",
            "--to",
            "http://x/y",
            "--set",
            "content=x",
        ],
        &[],
    );
    assert_eq!(code, 1, "{err}");
    assert!(err.contains("call-start has no field \"content\""), "{err}");
}

#[test]
fn listen_metrics_serves_prometheus_text_on_its_own_address() {
    let (_sb, base) = sandbox();
    let (mut rx, url) = listen(&["--json", "--metrics", "127.0.0.1:0"]);
    let second = rx.err_line();
    let scrape_url = second
        .strip_prefix("metrics on ")
        .unwrap_or_else(|| panic!("{second}"))
        .to_owned();
    assert!(scrape_url.ends_with("/metrics"), "{scrape_url}");
    assert_ne!(
        scrape_url.trim_end_matches("/metrics"),
        url.trim_end_matches(PATH)
    );
    assert_eq!(subscribe(&base, &["call"], &url).0, 0);
    let (code, out, _) = run(&["trigger", "call-start", "--sandbox", &base], &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(json(&rx.line())["kind"], "call-start");

    let agent = ureq::Agent::new_with_defaults();
    let mut answer = agent.get(&scrape_url).call().unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(
        answer.headers().get("content-type").unwrap(),
        "text/plain; version=0.0.4; charset=utf-8"
    );
    let text = answer.body_mut().read_to_string().unwrap();
    assert!(
        text.lines()
            .any(|l| l == "cinnox_webhook_requests_total{outcome=\"delivered\"} 1"),
        "{text}"
    );
    // Not an address: a usage error, exit 2.
    let (code, _, err) = run(&["listen", "--path", PATH, "--metrics", "localhost"], &[]);
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("--metrics"), "{err}");
}
