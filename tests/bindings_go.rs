//! The Go module (`bindings/go`): `go test ./...` against the library this test run built
//! (its static library, linked through cgo), offline.

#[path = "common/ffi.rs"]
mod ffi;
#[path = "common/toolchain.rs"]
mod toolchain;

use std::process::Command;

/// The tests of bindings/go/cinnox_test.go; each must run and pass.
const GO_TESTS: &[&str] = &[
    "TestWholeFlow",
    "TestFailedDeliveryIsRedelivered",
    "TestServeHandlerErrorIsRedelivered",
    "TestBadTokenCarriesCode",
    "TestInvalidArguments",
    "TestRecvHonoursCancellation",
    "TestCloseWakesRecv",
    "TestHandlerShutsServeDown",
    "TestWireVariantsAndRejectedTriggers",
];

#[test]
fn go_module_tests_pass() {
    if !toolchain::available("go (golang-go)", Command::new("go").arg("version")) {
        return;
    }
    let lib = ffi::lib_dir();
    assert!(
        lib.join("libcinnox.a").exists(),
        "no libcinnox.a in {}",
        lib.display()
    );
    // Kept between runs (under the target directory) so that Go rebuilds only what changed.
    let cache = lib.join("..").join("go-cache");
    std::fs::create_dir_all(&cache).expect("create the Go cache directory");
    let mut go = Command::new("go");
    go.args(["test", "-count=1", "-v", "./..."])
        .current_dir(ffi::root().join("bindings/go"))
        .env("GOCACHE", cache.join("build"))
        .env("GOPATH", cache.join("path"))
        .env("GOFLAGS", "-mod=mod")
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env("CGO_ENABLED", "1")
        // Put this run's build first on the search path for -l:libcinnox.a.
        .env("CGO_LDFLAGS", format!("-L{}", lib.display()));
    let out = ffi::output_within(&mut go, ffi::PROGRAM_LIMIT);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "go test failed ({}):\n{stdout}\n{stderr}",
        out.status
    );
    for name in GO_TESTS {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with(&format!("--- PASS: {name} "))),
            "{name} did not pass:\n{stdout}"
        );
    }
    assert!(
        stdout
            .lines()
            .any(|l| l.starts_with("ok") && l.contains("github.com/cinnox-rs/cinnox/bindings/go")),
        "{stdout}"
    );
    assert!(!stdout.contains("--- FAIL"), "{stdout}");
}

/// The Go block of README.md is the body of `receive` in bindings/go/example_test.go, which
/// `go test` compiles, so the README shows code that builds.
#[test]
fn readme_go_snippet_is_the_compiled_example() {
    let root = ffi::root();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let start = readme.find("```go\n").expect("a Go block in README.md") + 6;
    let len = readme[start..].find("```").expect("its end");
    let snippet = &readme[start..start + len];
    let example =
        std::fs::read_to_string(root.join("bindings/go/example_test.go")).expect("example_test.go");
    let body: String = example
        .split("func receive(")
        .nth(1)
        .and_then(|rest| rest.split_once("{\n"))
        .and_then(|(_, rest)| rest.split("\n}\n").next())
        .expect("func receive in example_test.go")
        .lines()
        .map(|l| format!("{}\n", l.strip_prefix('\t').unwrap_or(l)))
        .collect();
    assert_eq!(snippet, body);
}
