//! The event C API: a C program parses every notification shape of the spec and prints
//! every field of each typed view; the output is checked line by line.

#[path = "common/ffi.rs"]
mod ffi;

const EXPECTED: &str = r#"challenge raw_same=1 views=00001
  challenge=3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P
  reply={"code":0,"result":{"challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}}
challenge raw_same=1 views=00001
  challenge=q"uote\
  reply={"code":0,"result":{"challenge":"q\"uote\\"}}
call-start raw_same=1 views=10000
  reply: CINNOX_ERR_WRONG_TYPE untouched=1
  id=call-1 service_id=svc-1 caller.eid=eid-a caller.number=+85298765432 callee_count=1
  callee[0] eid=eid-b number=085212345678
call-start raw_same=1 views=10000
  reply: CINNOX_ERR_WRONG_TYPE untouched=1
  id=call-2 service_id=svc-1 caller.eid=eid-a caller.number=85298765432 callee_count=2
  callee[0] eid=eid-b number=1
  callee[1] eid=eid-c number=(null)
call-end raw_same=1 views=10000
  reply: CINNOX_ERR_WRONG_TYPE untouched=1
  id=call-1 service_id=svc-1 caller.eid=(null) caller.number=(null) callee_count=0
inbound-sms raw_same=1 views=01000
  reply: CINNOX_ERR_WRONG_TYPE untouched=1
  id=sms-1 event_description=Inbound SMS sender_number=85298765432 recipient_number=85212345678
  receive_time=2022-11-07T00:00:00.000Z content_type=Text content_len=11 content=hi\0there é terminated=1
outbound-sms raw_same=1 views=00100
  reply: CINNOX_ERR_WRONG_TYPE untouched=1
  report_type=tdr app_id=app-1 service_id=svc-1 transaction_id=tx-1
  recipient_number=85298765432 recipient_country=HK response_code=""
  status=3 status_text=Delivered exception=""
outbound-sms raw_same=1 views=00100
  reply: CINNOX_ERR_WRONG_TYPE untouched=1
  report_type=tdr app_id=(null) service_id=(null) transaction_id=tx-2
  recipient_number=(null) recipient_country=(null) response_code="400"
  status=6 status_text=Expired exception="sms deliver failed"
outbound-sms raw_same=1 views=00100
  reply: CINNOX_ERR_WRONG_TYPE untouched=1
  report_type=tdr app_id=(null) service_id=(null) transaction_id=tx-3
  recipient_number=(null) recipient_country=(null) response_code="(null)"
  status=0 status_text=(null) exception="(null)"
other raw_same=1 views=00010
  reply: CINNOX_ERR_WRONG_TYPE untouched=1
"#;

const EXPECTED_TAIL: &str = "error CINNOX_ERR_BAD_REQUEST: message set
error CINNOX_ERR_BAD_REQUEST: message set
error CINNOX_ERR_BAD_REQUEST: message set
long sms ok=1
dedup keys ok=1
";

fn check(stdout: &str) {
    let stdout = stdout.replace('\0', "\\0");
    assert!(
        stdout.starts_with(EXPECTED),
        "got:\n{stdout}\nwanted to start with:\n{EXPECTED}"
    );
    let rest = &stdout[EXPECTED.len()..];
    // The "other" view: the family and status the body names are recognised; the id too.
    let other = rest.lines().next().unwrap();
    assert!(other.contains("status=RecordingReady"), "{other}");
    assert!(other.contains("id=rec-1"), "{other}");
    assert!(rest.ends_with(EXPECTED_TAIL), "{rest}");
}

#[test]
fn c_program_reads_every_view() {
    let dir = ffi::build_dir("event");
    let exe = ffi::compile_c(
        &[ffi::root().join("tests/c/event_test.c").as_path()],
        &dir.join("event_test"),
    );
    check(&ffi::run(&exe, &[], &[]).success());
    let run = ffi::run_valgrind(&exe, &[], &[]);
    check(&run.success());
}
