//! The language toolchains the tests drive. A missing one fails its test, naming what to
//! install: a test never skips, so it never passes without having run. `scripts/test`
//! installs them all.
//!
//! Include it with `#[path = "common/toolchain.rs"] mod toolchain;`.

#![allow(dead_code)]

use std::process::{Command, Stdio};

/// Run `probe` (a command that succeeds only when `what` is usable); fail the test when it
/// does not.
pub fn require(what: &str, probe: &mut Command) {
    let ok = probe
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false);
    assert!(
        ok,
        "{what} is not installed, so this test cannot run (it never skips): `scripts/test` \
         installs it, or install it yourself"
    );
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
