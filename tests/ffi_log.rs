//! Logs to a C callback and metrics text from a real C program, also under valgrind.

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
    if ffi::have_valgrind() {
        log_program(true);
    }
}
