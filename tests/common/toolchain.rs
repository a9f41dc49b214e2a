//! Whether a language toolchain the tests drive is installed. With `CI` set a missing one
//! fails the test; without it the test is skipped with the reason printed.
//!
//! Include it with `#[path = "common/toolchain.rs"] mod toolchain;`.

#![allow(dead_code)]

use std::process::{Command, Stdio};

/// Run `probe` (a command that succeeds only when `what` is usable); true when it does.
/// When it does not: panic with `CI` set, else print why the test is skipped and give false.
pub fn available(what: &str, probe: &mut Command) -> bool {
    let ok = probe
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    if !ok {
        assert!(
            std::env::var_os("CI").is_none(),
            "{what} is not installed, and CI is set: .ci/run must install it"
        );
        eprintln!("{what} is not installed: skipping");
    }
    ok
}

/// Run `cmd` to its end; its output, or a panic with both streams when it failed.
pub fn run(cmd: &mut Command) -> std::process::Output {
    let out = crate::ffi::output_within(cmd, crate::ffi::PROGRAM_LIMIT);
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    out
}
