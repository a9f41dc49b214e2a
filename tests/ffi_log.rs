//! Logs to a C callback, metrics text and `GET /metrics` from a real C program, also under
//! valgrind.

#[path = "common/ffi.rs"]
mod ffi;

fn log_program(valgrind: bool) {
    let dir = ffi::build_dir(if valgrind { "log_vg" } else { "log" });
    let exe = ffi::compile_c(
        &[ffi::root().join("tests/c/log_test.c").as_path()],
        &dir.join("log_test"),
    );
    let mut p = ffi::spawn(&exe, &[], valgrind);
    assert_eq!(p.line(), "level 6: CINNOX_ERR_INVALID_ARGUMENT");
    assert_eq!(p.line(), "listening lines: 1");
    assert_eq!(p.line(), "metrics null: CINNOX_ERR_NULL_ARGUMENT");
    assert_eq!(p.line(), "metrics: yes");
    assert_eq!(
        p.line(),
        "metrics bind 'localhost': CINNOX_ERR_INVALID_ARGUMENT"
    );
    assert_eq!(p.line(), "metrics bind NULL: CINNOX_ERR_NULL_ARGUMENT");
    assert_eq!(p.line(), "ports: served, without: 0, NULL: 0");
    assert_eq!(p.line(), "scrape: HTTP/1.1 200 OK");
    assert_eq!(
        p.finish(),
        "lines after turning off: 0, shutting down lines: 0"
    );
}

#[test]
fn c_log_callback_and_metrics() {
    log_program(false);
}

#[test]
fn c_log_callback_and_metrics_under_valgrind() {
    ffi::require_valgrind();
    log_program(true);
}
