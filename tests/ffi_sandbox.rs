//! The sandbox C API: the whole flow from C (sandbox, client, receiver, triggers,
//! redelivery), checked line by line, also under valgrind.

#[path = "common/ffi.rs"]
mod ffi;

const EXPECTED: &str = "base url is http: 1
subscribed kind 1: enabled=1 same_url=1
subscribed kind 2: enabled=1 same_url=1
subscribed kind 3: enabled=1 same_url=1
wrong token: CINNOX_ERR_API http=400 api=6452000
subscriptions: 3
handler: call start call-9 caller=+85211112222 callee=085233334444
call start: CINNOX_OK deliveries=1 delivered=1 statuses=200 latency_ok=1
handler: call end call-9
call end: CINNOX_OK deliveries=1 delivered=1 statuses=200 latency_ok=1
handler: inbound sms \"hello from C\" try 1
handler: inbound sms \"hello from C\" try 2
inbound sms: CINNOX_OK deliveries=1 delivered=1 statuses=500,200 latency_ok=1
handler: outbound sms tx-9 status=4 (Undelivered)
outbound sms: CINNOX_OK deliveries=1 delivered=1 statuses=200 latency_ok=1
recording: CINNOX_OK deliveries=0
bad json: CINNOX_ERR_INVALID_ARGUMENT
handler: call end ";

const EXPECTED_TAIL: &str = "without result: CINNOX_OK
unsubscribed: CINNOX_OK enabled=0 subscriptions=2
serve returned CINNOX_OK
";

fn check(out: &str) {
    assert!(out.starts_with(EXPECTED), "got:\n{out}");
    assert!(out.ends_with(EXPECTED_TAIL), "got:\n{out}");
}

#[test]
fn c_runs_the_whole_flow_through_the_sandbox() {
    let dir = ffi::build_dir("sandbox");
    let exe = ffi::compile_c(
        &[ffi::root().join("tests/c/sandbox_test.c").as_path()],
        &dir.join("sandbox_test"),
    );
    check(&ffi::run(&exe, &[], &[]).success());
    let run = ffi::run_valgrind(&exe, &[], &[]);
    check(&run.success());
}
