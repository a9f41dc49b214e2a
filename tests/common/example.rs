//! The built example programs (`examples/*.rs`), for tests that run them as child processes.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

/// The crate's features this test was built with: the example is built with the same, so
/// the library it links is the one already built for the test (no second build).
fn features() -> Vec<&'static str> {
    [
        ("https", cfg!(feature = "https")),
        ("cli", cfg!(feature = "cli")),
        ("postgres", cfg!(feature = "postgres")),
        ("tiny_http", cfg!(feature = "tiny_http")),
    ]
    .into_iter()
    .filter_map(|(name, on)| on.then_some(name))
    .collect()
}

/// `target/<profile>/examples/<name>`, brought up to date first.
///
/// `cargo test --test x` does not build the examples (a plain `cargo test` does), so the
/// example is built with the cargo that runs this test, once per test binary and example
/// (a no-op when it is up to date).
pub fn path(name: &str) -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|deps| deps.parent()).unwrap();
    static BUILT: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut built = BUILT.lock().unwrap_or_else(|e| e.into_inner());
    if !built.iter().any(|b| b == name) {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = Command::new(cargo);
        build
            .args(["build", "--quiet", "--example", name])
            .current_dir(env!("CARGO_MANIFEST_DIR"));
        let features = features();
        if !features.is_empty() {
            build.args(["--features", &features.join(",")]);
        }
        // The variables cargo sets for running this test would look like a changed
        // environment to build scripts that watch them, and rebuild half the tree.
        for (key, _) in std::env::vars_os() {
            let key = key.to_string_lossy();
            let set_for_this_run = key.starts_with("CARGO_PKG_")
                || key.starts_with("CARGO_BIN_")
                || [
                    "CARGO_MANIFEST_DIR",
                    "CARGO_MANIFEST_PATH",
                    "CARGO_CRATE_NAME",
                    "CARGO_PRIMARY_PACKAGE",
                    "CARGO_TARGET_TMPDIR",
                    "OUT_DIR",
                ]
                .contains(&key.as_ref());
            if set_for_this_run {
                build.env_remove(key.as_ref());
            }
        }
        if dir.file_name().is_some_and(|n| n == "release") {
            build.arg("--release");
        }
        let status = build.status().unwrap();
        assert!(
            status.success(),
            "building the {name} example failed: {status}"
        );
        built.push(name.to_owned());
    }
    let mut path = dir.join("examples").join(name);
    if cfg!(windows) {
        path.set_extension("exe");
    }
    assert!(path.exists(), "{} not built", path.display());
    path
}
