//! The subscribe, C++ and Python examples, run against a mock CINNOX and real HTTP
//! deliveries on 127.0.0.1.

#[path = "common/client.rs"]
mod client;
#[path = "common/ffi.rs"]
mod ffi;

use client::{MockCinnox, Scripted};
use ffi::{post, CALL_END, CALL_START, INBOUND_SMS, OUTBOUND_SMS};

fn subscribe_exe(name: &str) -> std::path::PathBuf {
    let dir = ffi::build_dir(name);
    ffi::compile_c(
        &[ffi::root().join("examples/c/subscribe.c").as_path()],
        &dir.join("subscribe"),
    )
}

fn subscribe(valgrind: bool) {
    let exe = subscribe_exe(if valgrind {
        "ex_subscribe_vg"
    } else {
        "ex_subscribe"
    });
    let mock = MockCinnox::with_script(vec![
        Scripted::success(
            true,
            "http://127.0.0.1:9/hook",
            Some("2022-11-07T00:00:00.000Z"),
        ),
        Scripted::success(true, "http://127.0.0.1:9/hook", None),
        Scripted::api_error(400, 6_451_000, "url is invalid"),
    ]);
    let base = mock.url();
    let args = [base.as_str(), "app-1", "http://127.0.0.1:9/hook"];
    let env = [("CINNOX_APP_TOKEN", "tok-en")];
    let run = if valgrind {
        ffi::run_valgrind(&exe, &args, &env)
    } else {
        ffi::run(&exe, &args, &env)
    };
    assert_eq!(
        run.output.status.code(),
        Some(1),
        "one family failed: exit 1"
    );
    assert_eq!(
        run.stdout(),
        "call          enabled  http://127.0.0.1:9/hook updated 2022-11-07T00:00:00.000Z\n\
         inbound SMS   enabled  http://127.0.0.1:9/hook\n\
         outbound SMS  failed   CINNOX_ERR_API (HTTP 400, code 6451000): CINNOX API error: HTTP 400, code 6451000: url is invalid\n"
    );
    let paths: Vec<String> = mock.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        paths,
        [
            "/v1/api/apps/app-1/call-event-sub",
            "/v1/api/apps/app-1/inbound-sms-event-sub",
            "/v1/api/apps/app-1/outbound-sms-event-sub"
        ]
    );
    assert_eq!(
        mock.requests()[0].header("authorization"),
        Some("Bearer tok-en")
    );
}

#[test]
fn subscribe_example_prints_results_and_api_errors() {
    subscribe(false);
}

#[test]
fn subscribe_example_under_valgrind() {
    subscribe(true);
}

#[test]
fn subscribe_example_without_token_prints_usage() {
    let exe = subscribe_exe("ex_subscribe_usage");
    let run = ffi::run(&exe, &["http://127.0.0.1:9", "app", "http://x/"], &[]);
    assert_eq!(run.output.status.code(), Some(2));
    assert!(run.stderr().starts_with("usage: "));
}

fn deliver_four(p: &mut ffi::Spawned) -> Vec<String> {
    let port = p.port();
    let mut lines = Vec::new();
    for body in [CALL_START, CALL_END, INBOUND_SMS, OUTBOUND_SMS] {
        assert_eq!(post(port, "/cinnox/hook", body.as_bytes()).0, 200, "{body}");
        lines.push(p.line());
    }
    lines
}

fn cpp_receiver(valgrind: bool) {
    let dir = ffi::build_dir(if valgrind { "ex_cpp_vg" } else { "ex_cpp" });
    let exe = ffi::compile_cpp(
        &[ffi::root().join("examples/cpp/receiver.cpp").as_path()],
        &dir.join("receiver_cpp"),
    );
    let mut p = ffi::spawn(&exe, &["127.0.0.1:0", "/cinnox/hook", "4"], valgrind);
    assert_eq!(
        p.line(),
        r#"challenge reply {"code":0,"result":{"challenge":"abc"}}"#
    );
    assert_eq!(
        deliver_four(&mut p),
        [
            "call start call-1 callees=1",
            "call end call-1 callees=0",
            "inbound sms sms-1 from 85298765432: hello",
            "outbound sms tx-1 Delivered",
        ]
    );
    assert_eq!(p.finish(), "handled 4 events");
}

#[test]
fn cpp_receiver_example_prints_each_event() {
    cpp_receiver(false);
}

#[test]
fn cpp_receiver_example_under_valgrind() {
    ffi::require_valgrind();
    cpp_receiver(true);
}

#[test]
fn python_receiver_example_prints_each_event() {
    ffi::require_tool("python3");
    let lib = ffi::lib_dir().join("libcinnox.so");
    let script = ffi::root().join("examples/python/receiver.py");
    let mut cmd = std::process::Command::new("python3");
    cmd.arg(&script)
        .args(["127.0.0.1:0", "/cinnox/hook", "4"])
        .env("CINNOX_LIB", &lib);
    let mut p = ffi::spawn_command(cmd).expect("python3 runs");
    assert_eq!(
        deliver_four(&mut p),
        [
            "call-start id=call-1 caller=+85298765432 callees=85212345678",
            "call-end id=call-1 caller=- callees=",
            "inbound-sms id=sms-1 from=85298765432 text=hello",
            "outbound-sms transaction=tx-1 status=Delivered",
        ]
    );
    assert_eq!(p.finish(), "handled 4 events");
}

/// The README's C receiver ("A receiver in a few lines"), compiled with every warning and
/// run: an SMS whose sender and content CINNOX left out prints a placeholder, not a NULL
/// handed to `%s`.
#[test]
fn the_readme_c_receiver_builds_runs_and_prints_fields_that_may_be_null() {
    let readme = std::fs::read_to_string(ffi::root().join("README.md")).unwrap();
    let section = readme
        .split("### A receiver in a few lines")
        .nth(1)
        .expect("the README's C receiver");
    let code = section
        .split("```c\n")
        .nth(1)
        .and_then(|rest| rest.split("\n```").next())
        .expect("a C block");
    // A free port instead of 8080, and our secret path.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    assert!(
        code.contains("\"0.0.0.0:8080\", \"/cinnox/<secret>\""),
        "{code}"
    );
    let code = code.replace(
        "\"0.0.0.0:8080\", \"/cinnox/<secret>\"",
        &format!("\"127.0.0.1:{port}\", \"/cinnox/readme\""),
    );
    let dir = ffi::build_dir("readme_c");
    let src = dir.join("readme.c");
    std::fs::write(&src, code).unwrap();
    let exe = ffi::compile_c(&[&src], &dir.join("readme"));
    // Line-buffered, so that its lines arrive while it serves.
    let mut cmd = std::process::Command::new("stdbuf");
    cmd.arg("-oL")
        .arg(&exe)
        .env("LD_LIBRARY_PATH", ffi::lib_dir());
    let mut program = ffi::spawn_command(cmd).expect("stdbuf (coreutils) runs");
    let sms =
        br#"{"id":"sms-null","eventDescription":"Inbound SMS","recipientNumber":"85212345678"}"#;
    // The receiver may not be listening yet: the first connection is refused until it is.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the program never listened"
        );
        std::thread::yield_now();
    }
    assert_eq!(post(port, "/cinnox/readme", sms).0, 200);
    assert_eq!(program.line(), "SMS from (unknown): ");
    assert_eq!(post(port, "/cinnox/readme", INBOUND_SMS.as_bytes()).0, 200);
    assert_eq!(program.line(), "SMS from 85298765432: hello");
}
