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
    spawn_with(args, &[])
}

fn spawn_with(args: &[&str], env: &[(&str, &str)]) -> Proc {
    let mut child = Command::new(EXE)
        .args(args)
        .env_remove("CINNOX_BASE_URL")
        .env_remove("CINNOX_APP_ID")
        .env_remove("CINNOX_APP_TOKEN")
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
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
        .env_remove("RUST_LOG")
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
    // Past the library's own lines at -v.
    let first = std::iter::from_fn(|| Some(p.err_line()))
        .find(|l| !l.starts_with('['))
        .unwrap_or_default();
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

/// The rest of a sandbox log line after its timestamp, which must be RFC 3339 in UTC with
/// milliseconds (`2026-01-05T09:30:00.123Z `).
fn untimed(line: &str) -> &str {
    let (at, rest) = line
        .split_once(' ')
        .unwrap_or_else(|| panic!("no timestamp: {line:?}"));
    let shape: String = at
        .chars()
        .map(|c| if c.is_ascii_digit() { 'd' } else { c })
        .collect();
    assert_eq!(shape, "dddd-dd-ddTdd:dd:dd.dddZ", "{line:?}");
    rest
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
    let mut subscribed: Vec<String> = (0..3).map(|_| untimed(&sb.line()).to_owned()).collect();
    subscribed.sort();
    assert!(
        subscribed[0].starts_with(&format!(
            "subscribed   app {APP} call at {}/… (updatedAt ",
            url.trim_end_matches(PATH)
        )),
        "{subscribed:?}"
    );

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
        let delivery = untimed(&sb.line()).to_owned();
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
            l.ends_with("-> failed: the command exited with status 3"),
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
        &["subscribe"][..],
        &["unsubscribe"],
        &["listen"],
        &["verify"],
        &["trigger"],
        &["sandbox"],
        &["inbox"],
        &["inbox", "stats"],
        &["inbox", "list"],
        &["inbox", "show"],
        &["inbox", "replay"],
        &["inbox", "purge"],
        &["inbox", "work"],
    ] {
        let mut args = cmd.to_vec();
        args.push("--help");
        let (code, out, _) = run(&args, &[]);
        assert_eq!(code, 0, "{cmd:?}");
        let example = out
            .split_once("Example")
            .map(|(_, rest)| rest)
            .unwrap_or_else(|| panic!("{cmd:?} --help lacks an example:\n{out}"));
        // The example runs the command it documents.
        assert!(
            example.contains(&format!("cinnox {}", cmd.join(" "))),
            "{cmd:?} --help's example is for another command:\n{out}"
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

/// The lines a process wrote to both outputs, for checks that no secret appears.
fn all_text(out: &[String], err: &[String]) -> String {
    out.iter()
        .chain(err)
        .cloned()
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn missing_credentials_name_the_options_and_environment_variables() {
    let args = ["subscribe", "call", "--url", "http://127.0.0.1:9/x"];
    let (code, out, err) = run(&args, &[]);
    assert_eq!(code, 2, "{out}{err}");
    assert_eq!(out, "");
    assert_eq!(
        err,
        "error: missing credentials: set CINNOX_BASE_URL (or --base-url), CINNOX_APP_ID \
         (or --app), CINNOX_APP_TOKEN (or --token)\n"
    );
    // Only what is missing; an empty variable is missing.
    let (code, _, err) = run(
        &["unsubscribe", "--all"],
        &[
            ("CINNOX_BASE_URL", "http://127.0.0.1:9"),
            ("CINNOX_APP_ID", APP),
            ("CINNOX_APP_TOKEN", ""),
        ],
    );
    assert_eq!(code, 2);
    assert_eq!(
        err,
        "error: missing credentials: set CINNOX_APP_TOKEN (or --token)\n"
    );
}

#[test]
fn trigger_without_a_target_names_to_and_sandbox() {
    let (code, out, err) = run(&["trigger", "call-start"], &[]);
    assert_eq!(code, 2, "{out}{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(
        lines[..2],
        [
            "error: the following required arguments were not provided:",
            "  <--to <URL>|--sandbox <URL>>"
        ],
        "{err}"
    );
    // Both at once is still refused.
    let (code, _, err) = run(
        &[
            "trigger",
            "call-start",
            "--to",
            "http://x/y",
            "--sandbox",
            "http://x",
        ],
        &[],
    );
    assert_eq!(code, 2, "{err}");
    assert!(
        err.starts_with("error: the argument '--to <URL>' cannot be used with '--sandbox <URL>'"),
        "{err}"
    );
}

#[test]
fn trigger_json_file_through_the_sandbox_delivers_the_file_as_it_is() {
    let (_sb, base) = sandbox();
    let (mut rx, url) = listen(&["--json"]);
    assert_eq!(subscribe(&base, &["inbound-sms"], &url).0, 0);
    let body = r#"{"id":"sms-file-1","eventDescription":"NewInboundSMS","senderNumber":"85211112222","content":"from a file, via the sandbox"}"#;
    let file = std::env::temp_dir().join(format!("cinnox-cli-sb-{}.json", std::process::id()));
    std::fs::write(&file, body).unwrap();
    let path = file.to_str().unwrap();
    let (code, out, err) = run(
        &["trigger", "inbound-sms", "--sandbox", &base, "--json", path],
        &[],
    );
    assert_eq!(code, 0, "{out}{err}");
    assert_eq!(
        out,
        format!("inbound-sms -> app {APP}: delivered (HTTP 200)\n")
    );
    let event = json(&rx.line());
    assert_eq!(event["kind"], "inbound-sms");
    assert_eq!(event["fields"]["content"], "from a file, via the sandbox");
    // Byte for byte: the raw body is the file.
    assert_eq!(event["raw"], json(body));

    // With --app, to that app only; an app without the subscription gets nothing.
    let (code, _, err) = run(
        &[
            "trigger",
            "inbound-sms",
            "--sandbox",
            &base,
            "--app",
            "no-such-app",
            "--json",
            path,
        ],
        &[],
    );
    assert_eq!(code, 1);
    assert_eq!(
        err,
        "inbound-sms: nothing is subscribed to inbound-sms in the sandbox\n"
    );
    // A file that is not JSON: the sandbox says so, exit 1.
    std::fs::write(&file, "{not json").unwrap();
    let (code, _, err) = run(
        &["trigger", "inbound-sms", "--sandbox", &base, "--json", path],
        &[],
    );
    assert_eq!(code, 1);
    assert!(
        err.starts_with(
            "error: the sandbox answered HTTP 400: the notification body is not JSON: "
        ),
        "{err}"
    );
    // A file with --set is bad usage, as with --to.
    let (code, _, err) = run(
        &[
            "trigger",
            "inbound-sms",
            "--sandbox",
            &base,
            "--json",
            path,
            "--set",
            "content=x",
        ],
        &[],
    );
    assert_eq!(code, 2, "{err}");
    let _ = std::fs::remove_file(&file);
}

#[test]
fn forward_to_must_be_an_absolute_http_url() {
    for (args, value) in [
        (
            &["listen", "--path", PATH, "--forward-to", "not-a-url"][..],
            "not-a-url",
        ),
        (
            &[
                "listen",
                "--path",
                PATH,
                "--forward-to",
                "ftp://127.0.0.1/x",
            ],
            "ftp://127.0.0.1/x",
        ),
        (
            &["inbox", "work", "--inbox", "x.db", "--forward-to", "/hook"],
            "/hook",
        ),
    ] {
        let (code, out, err) = run(args, &[]);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert_eq!(
            err.lines().next(),
            Some(
                format!(
                    "error: invalid value '{value}' for '--forward-to <URL>': not an absolute \
                     http:// or https:// URL (e.g. http://127.0.0.1:3000/hook)"
                )
                .as_str()
            ),
            "{err}"
        );
    }
    assert!(!std::path::Path::new("x.db").exists());
}

#[test]
fn https_to_a_plain_http_port_says_to_use_http() {
    const PLAIN: &str =
        "the server answered in plain HTTP, not HTTPS: use http:// instead of https://";
    let (mut rx, url) = listen(&["-v"]);
    let https = url.replacen("http://", "https://", 1);
    let (code, out, _) = run(&["verify", &https], &[]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        out.lines().last(),
        Some(
            format!(
                "verdict   CINNOX would refuse this URL: the receiver could not be reached: {PLAIN}"
            )
            .as_str()
        )
    );
    let (code, out, _) = run(&["trigger", "call-start", "--to", &https], &[]);
    assert_eq!(code, 1);
    assert_eq!(out, format!("call-start -> no answer: {PLAIN}\n"));
    // The receiver says at debug level what it saw.
    let seen: Vec<String> = (0..2).map(|_| rx.err_line()).collect();
    assert_eq!(
        seen,
        vec![
            "[DEBUG cinnox::receiver::conn] refused 400 (a TLS handshake on this plain-HTTP \
             port: the sender uses https:// for an http:// receiver) from 127.0.0.1";
            2
        ]
    );

    // The client against the (plain) sandbox, and the sandbox against the receiver.
    let (_sb, base) = sandbox();
    let https_base = base.replacen("http://", "https://", 1);
    let (code, _, err) = run(
        &[
            "subscribe",
            "call",
            "--url",
            &url,
            "--base-url",
            &https_base,
            "--app",
            APP,
            "--token",
            TOKEN,
        ],
        &[],
    );
    assert_eq!(code, 1);
    assert_eq!(
        err,
        format!("error: call: transport error: {https_base}: {PLAIN}\n")
    );
    let (code, _, err) = subscribe(&base, &["call"], &https);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        format!(
            "error: call: CINNOX API error: HTTP 400, code 6451000: webhook URL verification \
             failed: the receiver could not be reached: {PLAIN}\n"
        )
    );
    let (code, _, err) = run(&["trigger", "call-start", "--sandbox", &https_base], &[]);
    assert_eq!(code, 1);
    assert_eq!(
        err,
        format!("error: the sandbox could not be reached: {PLAIN}\n")
    );

    // --forward-to an https:// URL of a plain-HTTP handler.
    let (_sb2, base2) = sandbox();
    let target = fixed(200, "application/json", "{}").replacen("http://", "https://", 1);
    let (mut fwd, url2) = listen(&["--forward-to", &target]);
    assert_eq!(subscribe(&base2, &["call"], &url2).0, 0);
    let (code, _, _) = run(&["trigger", "call-start", "--sandbox", &base2], &[]);
    assert_eq!(code, 1);
    let line = fwd.line();
    assert!(
        line.ends_with(&format!(
            "-> failed: the forward target could not be reached: {PLAIN}"
        )),
        "{line}"
    );
}

#[test]
fn a_bind_failure_names_the_address() {
    let busy = TcpListener::bind("127.0.0.1:0").unwrap();
    let at = busy.local_addr().unwrap().to_string();
    let (code, out, err) = run(&["listen", "--bind", &at, "--path", PATH], &[]);
    assert_eq!(code, 1, "{out}{err}");
    assert!(
        err.starts_with(&format!(
            "error: I/O error: cannot bind the receiver to {at}: Address already in use"
        )),
        "{err}"
    );
    let (code, _, err) = run(
        &[
            "listen",
            "--bind",
            "127.0.0.1:0",
            "--path",
            PATH,
            "--metrics",
            &at,
        ],
        &[],
    );
    assert_eq!(code, 1, "{err}");
    assert!(
        err.starts_with(&format!(
            "error: I/O error: cannot bind the metrics address {at}: Address already in use"
        )),
        "{err}"
    );
}

/// Send `head` (a request head, and a body if any) on a connection of its own to the
/// receiver at `url`, and return the status of the answer.
fn raw_status(url: &str, head: &str) -> u16 {
    let addr = url.trim_start_matches("http://").split('/').next().unwrap();
    let mut conn = std::net::TcpStream::connect(addr).unwrap();
    conn.set_read_timeout(Some(WAIT)).unwrap();
    conn.write_all(head.as_bytes()).unwrap();
    let mut answer = [0u8; 12];
    conn.read_exact(&mut answer).unwrap();
    String::from_utf8_lossy(&answer[9..12]).parse().unwrap()
}

#[test]
fn verbose_shows_every_refusal_and_rust_log_selects_lines() {
    let refusals = |rx: &mut Proc, url: &str| {
        let post = |path: &str, ct: &str, len: usize| {
            format!(
                "POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: {ct}\r\n\
                 Content-Length: {len}\r\n\r\n"
            )
        };
        assert_eq!(
            raw_status(url, &(post("/wrong", "application/json", 2) + "{}")),
            404
        );
        assert_eq!(
            raw_status(url, &format!("GET {PATH} HTTP/1.1\r\nHost: x\r\n\r\n")),
            405
        );
        assert_eq!(raw_status(url, &(post(PATH, "text/plain", 2) + "{}")), 415);
        assert_eq!(
            raw_status(url, &post(PATH, "application/json", 2 << 20)),
            413
        );
        (0..4).map(|_| rx.err_line()).collect::<Vec<_>>()
    };
    let expected = [
        "[DEBUG cinnox::webhook] refused 404 (wrong path) from 127.0.0.1",
        "[DEBUG cinnox::webhook] refused 405 (not POST) from 127.0.0.1",
        "[DEBUG cinnox::webhook] refused 415 (not JSON) from 127.0.0.1",
        "[DEBUG cinnox::webhook] refused 413 (body too large) from 127.0.0.1",
    ];
    // -v: the library's info lines come first, then each refusal.
    let mut p = spawn(&["listen", "-v", "--bind", "127.0.0.1:0", "--path", PATH]);
    let first = p.err_line();
    assert!(
        first.starts_with("[INFO  cinnox::receiver] receiver listening on 127.0.0.1:"),
        "{first}"
    );
    let addr = p.err_line();
    let url = format!(
        "http://{}{PATH}",
        addr.strip_prefix("listening on ").unwrap()
    );
    assert_eq!(refusals(&mut p, &url), expected);
    let (code, _, err) = p.interrupt();
    assert_eq!(code, 0);
    assert_eq!(
        err,
        [
            "shut down: received 0, acked 0, failed 0, duplicates 0, refused 4, challenges 0",
            &format!(
                "[INFO  cinnox::receiver] receiver on {} stopped",
                &addr["listening on ".len()..]
            )
        ]
    );

    // RUST_LOG alone: only what it names.
    let args = ["listen", "--bind", "127.0.0.1:0", "--path", PATH];
    let mut p = spawn_with(&args, &[("RUST_LOG", "cinnox::webhook=debug")]);
    let addr = p.err_line();
    let url = format!(
        "http://{}{PATH}",
        addr.strip_prefix("listening on ").unwrap()
    );
    assert_eq!(refusals(&mut p, &url), expected);

    // Neither: no refusal is shown; the shutdown line counts them.
    let (p, url) = listen(&[]);
    assert_eq!(
        raw_status(&url, &format!("GET {PATH} HTTP/1.1\r\nHost: x\r\n\r\n")),
        405
    );
    let (_, _, err) = p.interrupt();
    assert_eq!(
        err,
        ["shut down: received 0, acked 0, failed 0, duplicates 0, refused 1, challenges 0"]
    );
}

#[test]
fn no_secret_in_any_output_at_the_highest_verbosity() {
    // Every process of a whole session at -vv and at RUST_LOG=trace: the App Token and the
    // webhook path never appear (ureq logs request URLs at debug: it is held at info).
    for (flag, env) in [("-vv", vec![]), ("-v", vec![("RUST_LOG", "trace")])] {
        let mut sb = spawn_with(&["sandbox", flag, "--app", &format!("{APP}:{TOKEN}")], &env);
        let base = sb.line().strip_prefix("sandbox ").unwrap().to_owned();
        let mut rx = spawn_with(
            &[
                "listen",
                flag,
                "--bind",
                "127.0.0.1:0",
                "--path",
                PATH,
                "--json",
            ],
            &env,
        );
        let addr = loop {
            let l = rx.err_line();
            if let Some(a) = l.strip_prefix("listening on ") {
                break a.to_owned();
            }
        };
        let url = format!("http://{addr}{PATH}");
        let mut env_all = env.clone();
        let c = creds(&base);
        env_all.extend(c.iter().map(|(k, v)| (*k, v.as_str())));
        let mut texts = Vec::new();
        for args in [
            vec!["subscribe", flag, "call", "--url", &url],
            vec!["verify", flag, &url],
            vec!["trigger", flag, "call-start", "--sandbox", &base],
            vec!["trigger", flag, "call-end", "--to", &url],
            vec!["unsubscribe", flag, "call"],
        ] {
            let (code, out, err) = run(&args, &env_all);
            assert_eq!(code, 0, "{args:?}: {out}{err}");
            assert!(
                err.contains("DEBUG") || err.contains("TRACE") || err.is_empty(),
                "{err}"
            );
            texts.push(out + &err);
        }
        // Two events handled: then stop both.
        rx.line();
        rx.line();
        let seen = rx.seen.clone();
        let (_, out, err) = rx.interrupt();
        texts.push(all_text(&seen, &out) + &all_text(&err, &[]));
        let (_, out, err) = sb.interrupt();
        texts.push(all_text(&out, &err));
        let all = texts.join("\n");
        assert!(
            all.contains("[DEBUG cinnox::"),
            "{flag} shows debug lines: {all}"
        );
        for secret in [TOKEN, &PATH["/cinnox/".len()..]] {
            assert!(
                !all.contains(secret),
                "{secret} in the output of {flag}:\n{all}"
            );
        }
    }
}

#[test]
fn with_an_inbox_the_shutdown_line_counts_what_the_handler_acked() {
    let dir = std::env::temp_dir().join(format!("cinnox-cli-inbox-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let db = dir.join("inbox.db");
    let db = db.to_str().unwrap();
    let (_sb, base) = sandbox();
    let (mut rx, url) = listen(&["--inbox", db, "--json"]);
    assert_eq!(subscribe(&base, &["call"], &url).0, 0);
    for kind in ["call-start", "call-end"] {
        let (code, out, _) = run(&["trigger", kind, "--sandbox", &base], &[]);
        assert_eq!(code, 0, "{out}");
        assert_eq!(json(&rx.line())["acked"], true);
    }
    let (code, _, err) = rx.interrupt();
    assert_eq!(code, 0);
    assert_eq!(
        err.last().map(String::as_str),
        Some(
            "shut down: received 2, stored 2, acked 2, failed 0, duplicates 0, refused 0, \
             challenges 1"
        ),
        "{err:?}"
    );
    // Only storing: what was stored, and no acks to speak of.
    let (mut rx, url) = listen(&["--inbox", db, "--store-only"]);
    assert_eq!(subscribe(&base, &["call"], &url).0, 0);
    let (code, out, _) = run(&["trigger", "call-start", "--sandbox", &base], &[]);
    assert_eq!(code, 0, "{out}");
    assert_eq!(rx.err_line(), "challenge answered");
    let (code, _, err) = rx.interrupt();
    assert_eq!(code, 0);
    assert_eq!(
        err.last().map(String::as_str),
        Some("shut down: received 1, stored 1, duplicates 0, refused 0, challenges 1"),
        "{err:?}"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn a_burst_of_challenges_is_summarised_not_printed_one_line_each() {
    const BURST: usize = 300;
    let (rx, url) = listen(&[]);
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches(PATH)
        .to_owned();
    let started = std::time::Instant::now();
    // Pipelined on one connection, then every answer read.
    let mut conn = std::net::TcpStream::connect(&addr).unwrap();
    conn.set_read_timeout(Some(WAIT)).unwrap();
    let body = r#"{"challenge":"aGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVsbG8gd29ybGQgaGVs"}"#;
    let request = format!(
        "POST {PATH} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n\
         Content-Length: {}\r\n\r\n{body}",
        body.len()
    );
    let writer = {
        let mut w = conn.try_clone().unwrap();
        let all = request.repeat(BURST);
        std::thread::spawn(move || w.write_all(all.as_bytes()).unwrap())
    };
    let mut answered = 0;
    let mut got = Vec::new();
    let mut buf = [0u8; 65536];
    while answered < BURST {
        let n = conn.read(&mut buf).unwrap();
        assert!(n > 0, "closed after {answered} answers");
        got.extend_from_slice(&buf[..n]);
        answered = String::from_utf8_lossy(&got)
            .matches("HTTP/1.1 200 ")
            .count();
    }
    writer.join().unwrap();
    let (code, _, err) = rx.interrupt();
    let secs = started.elapsed().as_secs() as usize;
    assert_eq!(code, 0);
    assert_eq!(
        err.last().map(String::as_str),
        Some(
            format!(
                "shut down: received 0, acked 0, failed 0, duplicates 0, refused 0, challenges {BURST}"
            )
            .as_str()
        )
    );
    // Every challenge accounted for, in at most 11 lines per 10 s window.
    let lines = &err[..err.len() - 1];
    assert!(
        lines.len() <= 11 * (secs / 10 + 2),
        "{} lines: {lines:?}",
        lines.len()
    );
    assert_eq!(lines[..10], ["challenge answered"; 10], "{lines:?}");
    let mut total = 0;
    for l in lines {
        total += if l == "challenge answered" {
            1
        } else {
            let n = l
                .strip_prefix("answered ")
                .and_then(|r| r.split_once(" more challenges in the last "))
                .and_then(|(n, rest)| rest.ends_with(" s").then_some(n))
                .unwrap_or_else(|| panic!("{l:?}"));
            n.parse::<usize>().unwrap()
        };
    }
    assert_eq!(total, BURST, "{lines:?}");
}

#[test]
fn the_sandbox_logs_in_order_with_times_and_says_why_it_refused() {
    let (sb, base) = sandbox();
    let (mut rx, url) = listen(&["--json"]);
    let addr = url.trim_end_matches(PATH).to_owned();
    assert_eq!(subscribe(&base, &["call"], &url).0, 0);
    // A delivery and an unsubscription right after it: the log keeps their order.
    let (code, _, _) = run(&["trigger", "call-start", "--sandbox", &base], &[]);
    assert_eq!(code, 0);
    let env = creds(&base);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    assert_eq!(run(&["unsubscribe", "call"], &env).0, 0);
    rx.line();
    // Refused: a wrong token, an unknown app, a URL that fails verification.
    let wrong_token = [
        "subscribe",
        "call",
        "--url",
        &url,
        "--base-url",
        &base,
        "--app",
        APP,
        "--token",
        "wr0ng-T0KEN",
    ];
    assert_eq!(run(&wrong_token, &[]).0, 1);
    let other_app = [
        "subscribe",
        "call",
        "--url",
        &url,
        "--base-url",
        &base,
        "--app",
        "other-app",
        "--token",
        TOKEN,
    ];
    assert_eq!(run(&other_app, &[]).0, 1);
    let wrong_path = format!("{addr}/nope");
    assert_eq!(subscribe(&base, &["call"], &wrong_path).0, 1);

    let (code, out, _) = sb.interrupt();
    assert_eq!(code, 0);
    assert_eq!(out.last().map(String::as_str), Some("sandbox stopped"));
    let lines = &out[..out.len() - 1];
    assert_eq!(lines.len(), 6, "{lines:?}");
    let times: Vec<&str> = lines.iter().map(|l| &l[..24]).collect();
    let mut sorted = times.clone();
    sorted.sort();
    assert_eq!(times, sorted, "in the order they happened");
    let rest: Vec<&str> = lines.iter().map(|l| untimed(l)).collect();
    assert!(
        rest[0].starts_with(&format!(
            "subscribed   app {APP} call at {addr}/… (updatedAt 20"
        )),
        "{rest:?}"
    );
    assert_eq!(
        rest[1..],
        [
            format!("delivery     app {APP} call delivered after 1 attempt(s) (HTTP 200)").as_str(),
            &format!("unsubscribed app {APP} call"),
            &format!(
                "refused      app {APP} call: invalid token (the token of no configured app) \
                 (code 6452000)"
            ),
            "refused      app other-app call: invalid appID (no such app is configured) (code 6452001)",
            &format!(
                "refused      app {APP} call: webhook URL verification failed: the receiver \
                 answered HTTP 404 (expected 200); body: \"{{\\\"code\\\":404,\\\"message\\\":\\\"not \
                 found\\\"}}\" (code 6451000)"
            ),
        ]
    );
    let all = out.join("\n");
    assert!(
        !all.contains(TOKEN) && !all.contains("wr0ng") && !all.contains("p4th"),
        "{all}"
    );
}

fn temp_dir(name: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("cinnox-cli-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `stamp` is RFC 3339 in UTC with milliseconds.
fn assert_rfc3339(stamp: &str) {
    let shape: String = stamp
        .chars()
        .map(|c| if c.is_ascii_digit() { 'd' } else { c })
        .collect();
    assert_eq!(shape, "dddd-dd-ddTdd:dd:dd.dddZ", "{stamp:?}");
}

#[test]
fn the_inbox_commands_that_look_refuse_an_inbox_that_does_not_exist() {
    let dir = temp_dir("typo");
    let typo = dir.join("typo.db");
    let typo = typo.to_str().unwrap();
    for cmd in [
        vec!["inbox", "stats"],
        vec!["inbox", "list"],
        vec!["inbox", "show", "1"],
        vec!["inbox", "replay", "1"],
        vec!["inbox", "replay", "--dead"],
        vec!["inbox", "purge"],
    ] {
        let mut args = cmd.clone();
        args.extend_from_slice(&["--inbox", typo]);
        let (code, out, err) = run(&args, &[]);
        assert_eq!(code, 1, "{cmd:?}: {out}{err}");
        assert!(out.is_empty(), "{cmd:?} printed {out}");
        assert!(
            err.contains(&format!("no inbox at {typo}: the file does not exist"))
                && err.contains("`cinnox listen --inbox"),
            "{cmd:?}: {err}"
        );
        assert!(
            !std::path::Path::new(typo).exists(),
            "{cmd:?} created {typo}"
        );
    }
    // A worker creates it.
    let fresh = dir.join("fresh.db");
    let fresh = fresh.to_str().unwrap();
    let mut worker = spawn(&["inbox", "work", "--inbox", fresh]);
    assert_eq!(worker.err_line(), format!("working on {fresh}"));
    assert!(std::path::Path::new(fresh).exists());
    let (code, _, _) = worker.interrupt();
    assert_eq!(code, 0);
    let (code, out, err) = run(&["inbox", "stats", "--inbox", fresh], &[]);
    assert_eq!(code, 0, "{err}");
    assert!(out.starts_with("pending 0\n"), "{out}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn inbox_lines_count_attempts_say_when_an_event_is_dead_and_keep_the_handler_s_words() {
    let dir = temp_dir("dead");
    let db = dir.join("inbox.db");
    let db = db.to_str().unwrap();
    let (_sb, base) = sandbox();
    let handler = "echo 'the database is down' >&2; exit 3";
    let (mut rx, url) = listen(&[
        "--inbox",
        db,
        "--exec",
        handler,
        "--max-attempts",
        "2",
        "--first-retry-ms",
        "50",
    ]);
    assert_eq!(subscribe(&base, &["call"], &url).0, 0);
    let (code, out, _) = run(&["trigger", "call-start", "--sandbox", &base], &[]);
    assert_eq!(code, 0, "{out}");
    let why = "failed: the command exited with status 3; its stderr ended with: the database \
               is down";
    let first = rx.line();
    assert!(
        first.ends_with(&format!("  -> {why} (attempt 1 of 2; retried in 50 ms)")),
        "{first}"
    );
    let second = rx.line();
    assert!(
        second.ends_with(&format!(
            "  -> {why} (attempt 2 of 2: dead; `cinnox inbox show 1 --inbox {db}` shows it, \
             `cinnox inbox replay 1 --inbox {db}` tries it again)"
        )),
        "{second}"
    );
    let (code, _, _) = rx.interrupt();
    assert_eq!(code, 0);

    let (code, out, err) = run(&["inbox", "show", "1", "--inbox", db], &[]);
    assert_eq!(code, 0, "{err}");
    let field = |name: &str| -> String {
        out.lines()
            .find_map(|l| l.strip_prefix(&format!("{name} ")))
            .unwrap_or_else(|| panic!("no {name} in {out}"))
            .to_owned()
    };
    assert_eq!(field("state"), "dead");
    assert_eq!(field("attempts"), "2");
    assert_eq!(
        field("last_error"),
        "the command exited with status 3; its stderr ended with: the database is down"
    );
    let received = field("received_at");
    let (stamp, ms) = received.split_once(' ').unwrap();
    assert_rfc3339(stamp);
    assert!(ms.starts_with('(') && ms.ends_with(" ms)"), "{received}");
    assert_eq!(field("next_attempt_at"), "-");

    // A pending event says when it is handed out next.
    let (rx, url) = listen(&["--inbox", db, "--store-only"]);
    assert_eq!(subscribe(&base, &["call"], &url).0, 0);
    let (code, out, _) = run(&["trigger", "call-end", "--sandbox", &base], &[]);
    assert_eq!(code, 0, "{out}");
    let (code, _, _) = rx.interrupt();
    assert_eq!(code, 0);
    let (code, out, err) = run(&["inbox", "show", "2", "--inbox", db], &[]);
    assert_eq!(code, 0, "{err}");
    let next = out
        .lines()
        .find_map(|l| l.strip_prefix("next_attempt_at "))
        .unwrap_or_else(|| panic!("{out}"));
    assert_rfc3339(next);
    let _ = std::fs::remove_dir_all(&dir);
}
