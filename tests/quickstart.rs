//! Runs the built `quickstart` example (cargo builds examples for `cargo test`) and checks
//! what a person would see: every line, in order, and the exit code.

use std::io::{BufRead, BufReader};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::Duration;

#[path = "common/example.rs"]
mod example;

/// The built `quickstart` example, brought up to date first (see `common/example.rs`).
fn quickstart() -> Command {
    let path = example::path("quickstart");
    let mut cmd = Command::new(path);
    for var in [
        "CINNOX_BASE_URL",
        "CINNOX_APP_ID",
        "CINNOX_APP_TOKEN",
        "CINNOX_WEBHOOK_URL",
        "CINNOX_LISTEN",
    ] {
        cmd.env_remove(var);
    }
    cmd.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    cmd
}

/// Run with a deadline: a hung quickstart is killed and fails the test.
fn run(mut cmd: Command) -> Output {
    let child = cmd.spawn().unwrap();
    let id = child.id();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    match rx.recv_timeout(Duration::from_secs(30)) {
        Ok(out) => out.unwrap(),
        Err(_) => {
            let _ = Command::new("kill").arg("-9").arg(id.to_string()).status();
            panic!("the quickstart did not finish within 30 s");
        }
    }
}

/// `?` matches one character, `*` any run of characters.
fn glob(pattern: &str, text: &str) -> bool {
    let (p, t): (Vec<char>, Vec<char>) = (pattern.chars().collect(), text.chars().collect());
    fn go(p: &[char], t: &[char]) -> bool {
        match p.split_first() {
            None => t.is_empty(),
            Some(('*', rest)) => (0..=t.len()).any(|i| go(rest, &t[i..])),
            Some(('?', rest)) => !t.is_empty() && go(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && go(rest, &t[1..]),
        }
    }
    go(&p, &t)
}

#[test]
fn glob_matches() {
    assert!(glob("a?c*", "abcdef"));
    assert!(!glob("a?c", "abcd"));
    assert!(glob("*", ""));
}

#[test]
fn runs_the_whole_flow_locally_and_exits_0() {
    let out = run(quickstart());
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert!(
        out.status.success(),
        "{}\nstdout:\n{stdout}\nstderr:\n{stderr}",
        out.status
    );
    assert_eq!(stderr, "");

    let ts = "????-??-??T??:??:??.???Z";
    let expected = [
        "cinnox quickstart: a local CINNOX sandbox and a receiver on this machine".to_owned(),
        "(set CINNOX_BASE_URL, CINNOX_APP_ID, CINNOX_APP_TOKEN, CINNOX_WEBHOOK_URL to use CINNOX)".into(),
        "".into(),
        "  sandbox        http://127.0.0.1:*".into(),
        "  receiver       http://127.0.0.1:*/cinnox/…".into(),
        "".into(),
        "subscribe (the sandbox verifies the URL first, like CINNOX)".into(),
        format!("  call           verified, subscribed at {ts}"),
        format!("  inbound SMS    verified, subscribed at {ts}"),
        format!("  outbound SMS   verified, subscribed at {ts}"),
        "".into(),
        "events (as the application gets them)".into(),
        "  call start     call ????????…  +85298765432 -> +85223456789".into(),
        "  call end       call ????????…".into(),
        "  inbound SMS    85298765432 -> 85223456789  \"Hello from the CINNOX sandbox\"".into(),
        "  SMS report     sms ????????…  to 85298765432 (HK)  Delivered".into(),
        "".into(),
        "redelivery (the application fails the next event once)".into(),
        "  inbound SMS    85261234567 -> 85223456789  \"Is the shop open today?\"  -> failed (HTTP 500)".into(),
        "  inbound SMS    85261234567 -> 85223456789  \"Is the shop open today?\"  -> redelivered, acked".into(),
        "  sandbox        delivered after 2 attempts (HTTP 500, then 200) in * ms".into(),
        "".into(),
        "durable inbox (stored before answered, retried from the inbox)".into(),
        "  inbound SMS    stored, answered HTTP 200 before the application saw it".into(),
        "  inbound SMS    85261234567 -> 85223456789  \"Please call me back\"  -> failed, retried from the inbox".into(),
        "  inbound SMS    85261234567 -> 85223456789  \"Please call me back\"  -> acked".into(),
        "  inbox          pending 0, in flight 0, done 1, dead 0".into(),
        "".into(),
        "unsubscribe".into(),
        "  call           removed".into(),
        "  inbound SMS    removed".into(),
        "  outbound SMS   removed".into(),
        "".into(),
        "done in *.? s".into(),
    ];
    let lines: Vec<&str> = stdout.lines().collect();
    for (i, pattern) in expected.iter().enumerate() {
        let line = lines.get(i).copied().unwrap_or("<missing>");
        assert!(
            glob(pattern, line),
            "line {}:\n  expected {pattern:?}\n  got      {line:?}\n{stdout}",
            i + 1
        );
    }
    assert_eq!(lines.len(), expected.len(), "{stdout}");

    // The call end is the end of the call that started.
    let call_id = |line: &str| {
        line.rsplit("call ")
            .next()
            .unwrap()
            .split('…')
            .next()
            .unwrap()
            .to_owned()
    };
    assert_eq!(call_id(lines[12]).len(), 8, "{stdout}");
    assert_eq!(call_id(lines[12]), call_id(lines[13]), "{stdout}");
    // The secret path of the receiver is not printed.
    assert!(
        !stdout.contains("/cinnox/") || stdout.contains("/cinnox/…\n"),
        "{stdout}"
    );
    // A few seconds at most.
    let secs: f64 = lines[33]["done in ".len()..lines[33].len() - 2]
        .parse()
        .unwrap();
    assert!(secs < 10.0, "{stdout}");
}

#[test]
fn partial_configuration_is_refused_without_touching_the_network() {
    let mut cmd = quickstart();
    cmd.env("CINNOX_BASE_URL", "https://cinnox.invalid")
        .env("CINNOX_APP_ID", "app");
    let out = run(cmd);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(String::from_utf8(out.stdout).unwrap(), "");
    assert_eq!(
        String::from_utf8(out.stderr).unwrap(),
        "error: set all of CINNOX_BASE_URL, CINNOX_APP_ID, CINNOX_APP_TOKEN, CINNOX_WEBHOOK_URL \
         to use CINNOX, or none to use the local sandbox (missing: CINNOX_APP_TOKEN, \
         CINNOX_WEBHOOK_URL)\n"
    );
}

/// With the four variables set, it subscribes against "CINNOX" (here a sandbox playing it),
/// prints events until SIGTERM, then unsubscribes and exits 0.
#[cfg(unix)]
#[test]
fn against_a_configured_service_until_a_signal() {
    use cinnox::sandbox::{CallNotification, SandboxConfig};
    use cinnox::{EventKind, Sandbox};

    let sandbox = Sandbox::start(
        SandboxConfig::builder()
            .app("real-app", "real-token")
            .build()
            .unwrap(),
    )
    .unwrap();
    // A port that was free a moment ago, for the receiver to bind.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let hook = format!("http://127.0.0.1:{port}/hooks/cinnox-s3cr3t");
    let mut cmd = quickstart();
    cmd.env("CINNOX_BASE_URL", sandbox.base_url())
        .env("CINNOX_APP_ID", "real-app")
        .env("CINNOX_APP_TOKEN", "real-token")
        .env("CINNOX_WEBHOOK_URL", &hook)
        .env("CINNOX_LISTEN", format!("127.0.0.1:{port}"));
    let mut child = cmd.spawn().unwrap();
    let pid = child.id();
    // Whatever happens below, the child does not outlive the test (until it was reaped:
    // after that its pid may belong to another process).
    struct Reap(Option<u32>);
    impl Drop for Reap {
        fn drop(&mut self) {
            if let Some(pid) = self.0 {
                unsafe { libc::kill(pid as libc::pid_t, libc::SIGKILL) };
            }
        }
    }
    let mut reap = Reap(Some(pid));

    let (tx, lines) = mpsc::channel();
    let stdout = child.stdout.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines() {
            if tx.send(line.unwrap()).is_err() {
                break;
            }
        }
    });
    let mut seen = Vec::new();
    let mut wait_for = |prefix: &str| loop {
        let line = lines
            .recv_timeout(Duration::from_secs(10))
            .unwrap_or_else(|_| panic!("no line starting {prefix:?}; got {seen:#?}"));
        seen.push(line.clone());
        if line.starts_with(prefix) {
            return line;
        }
    };

    wait_for("events (Ctrl-C to unsubscribe and stop)");
    let kinds: Vec<EventKind> = sandbox
        .subscriptions()
        .into_iter()
        .map(|s| s.kind)
        .collect();
    assert_eq!(
        kinds,
        [
            EventKind::Call,
            EventKind::InboundSms,
            EventKind::OutboundSms
        ]
    );
    assert!(sandbox.subscriptions().iter().all(|s| s.url == hook));

    let r = sandbox.trigger(&CallNotification::start().id("abcdef0123456789").build());
    assert_eq!(r[0].statuses(), vec![Some(200)]);
    assert_eq!(
        wait_for("  call start"),
        "  call start     call abcdef01…  +85298765432 -> +85223456789"
    );

    unsafe { libc::kill(pid as libc::pid_t, libc::SIGTERM) };
    assert_eq!(wait_for("unsubscribe"), "unsubscribe");
    assert_eq!(wait_for("  call"), "  call           removed");
    assert_eq!(wait_for("  inbound SMS"), "  inbound SMS    removed");
    assert_eq!(wait_for("  outbound SMS"), "  outbound SMS   removed");
    let status = child.wait().unwrap();
    reap.0 = None;
    assert!(status.success(), "{status}");
    assert!(sandbox.subscriptions().is_empty());
    let all = seen.join("\n");
    assert!(!all.contains("s3cr3t"), "{all}");
    assert!(
        all.starts_with(&format!(
            "cinnox quickstart: CINNOX at {}, app real-app\n",
            sandbox.base_url()
        )),
        "{all}"
    );
}
