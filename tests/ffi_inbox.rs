//! The inbox C API from a real C program: stored before answered, failed to dead, replayed,
//! acked; also under valgrind.

#[path = "common/ffi.rs"]
mod ffi;

use ffi::{post, CALL_START, INBOUND_SMS};

fn inbox_program(valgrind: bool) {
    let name = if valgrind { "inbox_vg" } else { "inbox" };
    let dir = ffi::build_dir(name);
    let exe = ffi::compile_c(
        &[ffi::root().join("tests/c/inbox_test.c").as_path()],
        &dir.join("inbox_test"),
    );
    let db = dir.join("inbox.db");
    let mut p = ffi::spawn(&exe, &[db.to_str().unwrap()], valgrind);
    assert_eq!(p.line(), "null: CINNOX_ERR_NULL_ARGUMENT");
    assert_eq!(p.line(), "empty: CINNOX_ERR_INVALID_ARGUMENT");
    assert_eq!(p.line(), "zero attempts: CINNOX_ERR_INVALID_ARGUMENT");
    assert_eq!(p.line(), "empty recv: CINNOX_ERR_TIMEOUT");
    let port = p.port();
    // Answered 200 as soon as stored, before the program takes anything.
    assert_eq!(post(port, "/hook", CALL_START.as_bytes()).0, 200);
    assert_eq!(post(port, "/hook", INBOUND_SMS.as_bytes()).0, 200);
    // A redelivery: 200, stored once.
    assert_eq!(post(port, "/hook", INBOUND_SMS.as_bytes()).0, 200);
    assert_eq!(p.line(), "call failed 2 times, sms acked 1 times");
    assert_eq!(p.line(), "pending=0 in_flight=0 done=1 dead=1");
    assert_eq!(p.line(), "replayed 1");
    assert_eq!(p.line(), "got call-1");
    assert_eq!(p.line(), "pending=0 in_flight=0 done=2 dead=0");
    assert_eq!(p.finish(), "done");
}

#[test]
fn c_program_uses_the_inbox() {
    inbox_program(false);
}

#[test]
fn c_program_uses_the_inbox_under_valgrind() {
    ffi::require_valgrind();
    inbox_program(true);
}
