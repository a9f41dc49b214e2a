//! The verifier C API, as a program with its own HTTP server uses it.

#[path = "common/ffi.rs"]
mod ffi;

const EXPECTED: &str = r#"challenge: reply 200 {"code":0,"result":{"challenge":"abc"}} (event NULL)
wrong path: reply 404 {"code":404,"message":"not found"} (event NULL)
get: reply 405 {"code":405,"message":"method not allowed"} (event NULL)
first: event type 2
failed: reply 500 [Content-Type: application/json] [X-Content-Type-Options: nosniff]
again: event type 2
handled: reply 200 [Content-Type: application/json] [X-Content-Type-Options: nosniff]
duplicate: reply 200 {"code":0} (event NULL)
bad peer: CINNOX_ERR_INVALID_ARGUMENT
finish challenge: CINNOX_ERR_WRONG_TYPE
"#;

#[test]
fn c_program_verifies_requests_without_the_server() {
    let dir = ffi::build_dir("webhook");
    let exe = ffi::compile_c(
        &[ffi::root().join("tests/c/webhook_test.c").as_path()],
        &dir.join("webhook_test"),
    );
    assert_eq!(ffi::run(&exe, &[], &[]).success(), EXPECTED);
    let run = ffi::run_valgrind(&exe, &[], &[]);
    assert_eq!(run.success(), EXPECTED);
}
