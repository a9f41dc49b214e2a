//! The receiver C API and the C receiver examples, with real HTTP deliveries on 127.0.0.1.

#[path = "common/ffi.rs"]
mod ffi;

use ffi::{post, CALL_END, CALL_START, INBOUND_SMS, OUTBOUND_SMS};

const CHALLENGE: &str = r#"{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}"#;
const CHALLENGE_REPLY: &str =
    r#"{"code":0,"result":{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}}"#;

/// Deliver the four seed notifications (and a challenge, answered by the library) and
/// return the lines the example printed for them.
fn deliver_four(p: &mut ffi::Spawned) -> Vec<String> {
    let port = p.port();
    let (status, body) = post(port, "/cinnox/hook", CHALLENGE.as_bytes());
    assert_eq!(
        (status, String::from_utf8_lossy(&body).as_ref()),
        (200, CHALLENGE_REPLY)
    );
    assert_eq!(post(port, "/elsewhere", CALL_START.as_bytes()).0, 404);
    let mut lines = Vec::new();
    for body in [CALL_START, CALL_END, INBOUND_SMS, OUTBOUND_SMS] {
        assert_eq!(post(port, "/cinnox/hook", body.as_bytes()).0, 200, "{body}");
        lines.push(p.line());
    }
    lines
}

fn c_receiver(valgrind: bool) {
    let dir = ffi::build_dir(if valgrind {
        "ex_receiver_vg"
    } else {
        "ex_receiver"
    });
    let exe = ffi::compile_c(
        &[ffi::root().join("examples/c/receiver.c").as_path()],
        &dir.join("receiver"),
    );
    let mut p = ffi::spawn(&exe, &["127.0.0.1:0", "/cinnox/hook", "4"], valgrind);
    let lines = deliver_four(&mut p);
    assert_eq!(
        lines,
        [
            "call start id=call-1 service=svc-1 caller=eid-a/+85298765432 callee=eid-b/85212345678",
            "call end id=call-1 service=svc-1 caller=-/-",
            "inbound sms id=sms-1 from=85298765432 to=85212345678 at=2022-11-07T00:00:00.000Z text=hello",
            "outbound sms transaction=tx-1 to=85298765432 (HK) status=Delivered exception=",
        ]
    );
    assert_eq!(p.finish(), "handled 4 events");
}

#[test]
fn c_receiver_example_prints_each_event() {
    c_receiver(false);
}

#[test]
fn c_receiver_example_under_valgrind() {
    ffi::require_valgrind();
    c_receiver(true);
}

fn c_receiver_poll(valgrind: bool) {
    let dir = ffi::build_dir(if valgrind { "ex_poll_vg" } else { "ex_poll" });
    let exe = ffi::compile_c(
        &[ffi::root().join("examples/c/receiver_poll.c").as_path()],
        &dir.join("receiver_poll"),
    );
    let mut p = ffi::spawn(&exe, &["127.0.0.1:0", "/cinnox/hook", "4"], valgrind);
    let lines = deliver_four(&mut p);
    assert_eq!(
        lines,
        [
            format!("call-start {CALL_START}"),
            format!("call-end {CALL_END}"),
            format!("inbound-sms {INBOUND_SMS}"),
            format!("outbound-sms {OUTBOUND_SMS}"),
        ]
    );
    assert_eq!(p.finish(), "handled 4 events");
}

#[test]
fn c_receiver_poll_example_prints_each_event() {
    c_receiver_poll(false);
}

#[test]
fn c_receiver_poll_example_under_valgrind() {
    ffi::require_valgrind();
    c_receiver_poll(true);
}

fn receiver_test_exe(name: &str) -> std::path::PathBuf {
    let dir = ffi::build_dir(name);
    ffi::compile_c(
        &[ffi::root().join("tests/c/receiver_test.c").as_path()],
        &dir.join("receiver_test"),
    )
}

fn poll(valgrind: bool) {
    let exe = receiver_test_exe(if valgrind { "rx_poll_vg" } else { "rx_poll" });
    let mut p = ffi::spawn(&exe, &["poll"], valgrind);
    assert_eq!(p.line(), "bad cidr: CINNOX_ERR_INVALID_ARGUMENT");
    assert_eq!(p.line(), "bad port: CINNOX_ERR_INVALID_ARGUMENT out=NULL");
    assert_eq!(p.line(), "no host: CINNOX_ERR_INVALID_ARGUMENT");
    assert_eq!(p.line(), "empty path: CINNOX_ERR_INVALID_ARGUMENT");
    assert_eq!(p.line(), "root path: CINNOX_ERR_INVALID_ARGUMENT");
    assert_eq!(
        p.line(),
        "empty config path: CINNOX_ERR_INVALID_ARGUMENT out=NULL"
    );
    assert_eq!(p.line(), "serve 0: CINNOX_ERR_INVALID_ARGUMENT");
    assert_eq!(p.line(), "empty recv: CINNOX_ERR_TIMEOUT out=NULL");
    let port = p.port();
    assert_eq!(post(port, "/hook", CHALLENGE.as_bytes()).0, 200);
    assert_eq!(post(port, "/hook", &[b' '; 2000]).0, 413);
    // Failed by the program: 500, so CINNOX delivers it again; then acknowledged.
    assert_eq!(post(port, "/hook", CALL_START.as_bytes()).0, 500);
    assert_eq!(p.line(), "got call-1");
    assert_eq!(post(port, "/hook", CALL_START.as_bytes()).0, 200);
    assert_eq!(p.line(), "got call-1");
    // Freed unanswered: 500.
    assert_eq!(post(port, "/hook", CALL_END.as_bytes()).0, 500);
    assert_eq!(p.line(), "got one to drop");
    assert_eq!(
        p.line(),
        "stats: requests=5 challenges=1 events=3 acks=1 fails=2 too_large=1 not_found=0"
    );
    assert_eq!(p.line(), "connections: evicted=0 open_within_cap=1");
    assert_eq!(p.line(), "after shutdown: CINNOX_ERR_CLOSED out=NULL");
    assert_eq!(p.finish(), "done");
}

#[test]
fn c_polls_fails_acks_counts_and_sees_closed() {
    poll(false);
}

#[test]
fn c_polls_under_valgrind() {
    ffi::require_valgrind();
    poll(true);
}

fn serve_free(valgrind: bool) {
    let exe = receiver_test_exe(if valgrind { "rx_free_vg" } else { "rx_free" });
    let mut p = ffi::spawn(&exe, &["serve-free"], valgrind);
    let port = p.port();
    assert_eq!(post(port, "/hook", INBOUND_SMS.as_bytes()).0, 200);
    assert_eq!(p.line(), "handler saw type 4");
    assert_eq!(p.finish(), "serve returned CINNOX_OK; calls after free: 0");
}

#[test]
fn c_frees_a_serving_receiver_from_another_thread() {
    serve_free(false);
}

#[test]
fn c_frees_a_serving_receiver_under_valgrind() {
    ffi::require_valgrind();
    serve_free(true);
}

/// The C counters carry every counter of the Rust receiver, the HTTP layer's refusals too.
#[test]
fn c_counters_count_malformed_requests() {
    use cinnox::ffi::cinnox_result;
    use cinnox::ffi::counter::*;
    use cinnox::ffi::receiver::*;
    use std::io::{Read, Write};
    let mut rx = std::ptr::null_mut();
    // SAFETY: NUL-terminated strings and a valid out-pointer; freed below.
    let r = unsafe { cinnox_receiver_new(c"127.0.0.1:0".as_ptr(), c"/hook".as_ptr(), &mut rx) };
    assert_eq!(r, cinnox_result::CINNOX_OK);
    // SAFETY: a live receiver.
    let port = unsafe { cinnox_receiver_port(rx) };
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    s.write_all(b"NOT HTTP AT ALL\r\n\r\n").unwrap();
    let mut reply = Vec::new();
    s.read_to_end(&mut reply).unwrap();
    assert!(reply.starts_with(b"HTTP/1.1 400 "), "{reply:?}");
    // SAFETY: a live receiver.
    let read = |which| unsafe { counter(rx, which) };
    assert_eq!(read(CINNOX_COUNTER_MALFORMED_REQUESTS), 1);
    assert_eq!(read(CINNOX_COUNTER_REQUESTS), 0);
    // SAFETY: freed once.
    unsafe { cinnox_receiver_free(rx) };
}

/// A delivery still unanswered when the shutdown grace ends is answered 503 and counted in
/// the C counters' `expired_deliveries`; a late ack changes nothing.
#[test]
fn c_counters_count_deliveries_expired_at_shutdown() {
    use cinnox::ffi::cinnox_result;
    use cinnox::ffi::counter::*;
    use cinnox::ffi::delivery::*;
    use cinnox::ffi::receiver::*;
    use cinnox::ffi::receiver_config::*;
    use cinnox::ffi::receiver_config_builder::*;
    let mut builder = std::ptr::null_mut();
    let mut cfg = std::ptr::null_mut();
    let mut rx = std::ptr::null_mut();
    // SAFETY: NUL-terminated strings and valid out-pointers; everything is freed below.
    unsafe {
        assert_eq!(
            cinnox_receiver_config_builder_new(c"/hook".as_ptr(), &mut builder),
            cinnox_result::CINNOX_OK
        );
        // Keep the read and idle timeouts, give in-flight deliveries 1 ms at shutdown.
        assert_eq!(
            cinnox_receiver_config_builder_set_timeouts(builder, 0, 0, 1),
            cinnox_result::CINNOX_OK
        );
        assert_eq!(
            cinnox_receiver_config_builder_build(builder, &mut cfg),
            cinnox_result::CINNOX_OK
        );
        assert_eq!(
            cinnox_receiver_new_with_config(c"127.0.0.1:0".as_ptr(), cfg, &mut rx),
            cinnox_result::CINNOX_OK
        );
        cinnox_receiver_config_free(cfg);
    }
    // SAFETY: a live receiver.
    let port = unsafe { cinnox_receiver_port(rx) };
    let peer = std::thread::spawn(move || post(port, "/hook", CALL_START.as_bytes()).0);
    let mut d = std::ptr::null_mut();
    // SAFETY: a live receiver and a valid out-pointer.
    let r = unsafe { cinnox_receiver_recv(rx, CINNOX_WAIT_FOREVER, &mut d) };
    assert_eq!(r, cinnox_result::CINNOX_OK);
    // SAFETY: a live receiver; the delivery is held, unanswered, across the shutdown.
    assert_eq!(
        unsafe { cinnox_receiver_shutdown(rx) },
        cinnox_result::CINNOX_OK
    );
    assert_eq!(peer.join().unwrap(), 503);
    // SAFETY: the delivery from recv, consumed once.
    assert_eq!(unsafe { cinnox_delivery_ack(d) }, cinnox_result::CINNOX_OK);
    // SAFETY: a live receiver.
    let read = |which| unsafe { counter(rx, which) };
    assert_eq!(
        (
            read(CINNOX_COUNTER_EVENTS),
            read(CINNOX_COUNTER_ACKS),
            read(CINNOX_COUNTER_FAILS),
            read(CINNOX_COUNTER_EXPIRED_DELIVERIES)
        ),
        (1, 0, 0, 1)
    );
    // SAFETY: freed once.
    unsafe { cinnox_receiver_free(rx) };
}

/// One counter of a live receiver, through the C getter.
///
/// # Safety
/// `rx` is a live receiver.
unsafe fn counter(rx: *const cinnox::ffi::receiver::cinnox_receiver, which: u32) -> u64 {
    let mut value = u64::MAX;
    // SAFETY: the caller's live receiver and a writable value.
    let r = unsafe { cinnox::ffi::receiver::cinnox_receiver_counter(rx, which, &mut value) };
    assert_eq!(r, cinnox::ffi::cinnox_result::CINNOX_OK);
    value
}
