//! The crate's front page (`cargo doc`'s index, from the `//!` lines of `src/lib.rs`): a
//! whole example that runs (its doc test runs it against the sandbox), the inbox and the
//! command named, and the C ABI's `ffi` module kept off the Rust pages.

fn lib_rs() -> String {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/lib.rs");
    std::fs::read_to_string(path).expect("src/lib.rs")
}

/// The crate documentation: the `//!` lines, without the marker.
fn front_page(lib: &str) -> String {
    lib.lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn the_front_page_has_an_example_that_runs_the_whole_flow() {
    let page = front_page(&lib_rs());
    let start = page
        .find("\n```\n")
        .expect("a Rust block that runs (no attributes)")
        + 5;
    let block = &page[start..start + page[start..].find("\n```").expect("the block ends")];
    for step in [
        "Sandbox::start",
        "Receiver::bind",
        ".subscribe(",
        "receiver.recv()",
        ".ack()",
        ".unsubscribe(",
    ] {
        assert!(
            block.contains(step),
            "the example does not show {step}:\n{block}"
        );
    }
}

#[test]
fn the_front_page_names_the_inbox_the_command_and_the_other_languages() {
    let page = front_page(&lib_rs());
    for needle in [
        "[`Inbox`]",
        "`postgres`",
        "The `cinnox` command",
        "--features cli",
        "include/cinnox.h",
        "Python, Node.js, Go, Java, Ruby, PHP and C#",
    ] {
        assert!(
            page.contains(needle),
            "the front page does not say {needle}"
        );
    }
}

#[test]
fn the_ffi_module_is_hidden_from_the_rust_docs() {
    let lib = lib_rs();
    let at = lib.find("pub mod ffi;").expect("the ffi module");
    let before: Vec<&str> = lib[..at].lines().rev().take(3).collect();
    assert!(
        before.iter().any(|l| l.trim() == "#[doc(hidden)]"),
        "pub mod ffi is not #[doc(hidden)]: {before:?}"
    );
}
