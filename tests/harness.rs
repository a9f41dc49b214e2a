//! The README's test command is the one CI runs, it sets up what the tests need, and no test
//! can pass without having run: the helpers that find a tool or a service fail instead of
//! skipping.

use std::path::Path;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn the_readme_s_second_command_is_what_ci_runs_and_it_sets_everything_up() {
    let readme = read("README.md");
    let block = readme.split("```sh\n").nth(1).expect("the first sh block");
    let lines: Vec<&str> = block.lines().take_while(|l| *l != "```").collect();
    assert!(
        lines[0].starts_with("cargo run --example quickstart"),
        "{lines:?}"
    );
    let test = lines[1].split_whitespace().next().unwrap();
    assert_eq!(test, "scripts/test", "{lines:?}");
    let ci = read(".ci/run");
    let last = ci.lines().rev().find(|l| !l.trim().is_empty()).unwrap();
    assert_eq!(
        last, lines[1],
        ".ci/run must end with the README's test command, as written"
    );
    let script = read("scripts/test");
    for needed in [
        "valgrind",
        "golang-go",
        "libjna-java",
        "ruby-ffi",
        "php-cli",
        "mono-mcs",
        "python3-venv",
        "nodejs",
        "slowhttptest",
        "source scripts/postgres.sh",
        "cargo test --all-features",
    ] {
        assert!(
            script.contains(needed),
            "scripts/test does not set up {needed}"
        );
    }
    assert!(
        readme.contains("**Prerequisites.**"),
        "the README lists no prerequisites"
    );
}

#[test]
fn no_test_helper_skips() {
    for path in [
        "tests/common/toolchain.rs",
        "tests/common/ffi.rs",
        "tests/common/postgres.rs",
        "tests/receiver_slowhttptest.rs",
    ] {
        let text = read(path);
        for (n, line) in text.lines().enumerate() {
            let code = !line.trim_start().starts_with("//");
            assert!(
                !(code && line.to_lowercase().contains("skipping")),
                "{path}:{}: a skip path: {line}",
                n + 1
            );
        }
    }
    assert!(read("tests/common/postgres.rs").contains("pub fn fresh(name: &str) -> String"));
}

#[path = "common/ffi.rs"]
mod ffi;
#[path = "common/toolchain.rs"]
mod toolchain;

#[test]
#[should_panic(expected = "is not installed, so this test cannot run (it never skips)")]
fn a_missing_toolchain_fails_its_test() {
    toolchain::require(
        "a language nobody has",
        &mut std::process::Command::new("cinnox-no-such-tool"),
    );
}

#[test]
#[should_panic(expected = "is not installed, so this test cannot run (it never skips)")]
fn a_missing_tool_fails_its_test() {
    ffi::require_tool("cinnox-no-such-tool");
}
