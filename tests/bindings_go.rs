//! The Go module (`bindings/go`): `go test ./...` against the library this test run built
//! (its static library, linked through cgo), offline; and the README's program, run with
//! `go run` in an application of its own, from a fresh copy of the repository whose
//! library cargo put elsewhere (`CARGO_TARGET_DIR`).

#[path = "common/ffi.rs"]
mod ffi;
#[path = "common/toolchain.rs"]
mod toolchain;

use std::path::{Path, PathBuf};
use std::process::Command;

use toolchain::run;

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
    "TestEventKindsByName",
    "TestClientSettersRebuildTheClient",
    "TestReceiverConfigMakesReceivers",
];

#[test]
fn go_module_tests_pass() {
    toolchain::require("go (golang-go)", Command::new("go").arg("version"));
    let lib = ffi::lib_dir();
    assert!(
        lib.join("libcinnox.a").exists(),
        "no libcinnox.a in {}",
        lib.display()
    );
    let mut go = go(&ffi::root().join("bindings/go"));
    go.args(["test", "-count=1", "-v", "./..."])
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

/// The Go environment of these tests: offline, its caches kept between runs (under the
/// target directory) so that Go rebuilds only what changed.
fn go(dir: &Path) -> Command {
    let cache = ffi::lib_dir().join("..").join("go-cache");
    std::fs::create_dir_all(&cache).expect("create the Go cache directory");
    let mut go = Command::new("go");
    go.current_dir(dir)
        .env("GOCACHE", cache.join("build"))
        .env("GOPATH", cache.join("path"))
        .env("GOFLAGS", "-mod=mod")
        .env("GOPROXY", "off")
        .env("GOTOOLCHAIN", "local")
        .env("CGO_ENABLED", "1")
        .env_remove("CGO_LDFLAGS");
    go
}

/// The ```go block of a README.
fn go_block(text: &str) -> String {
    let start = text.find("```go\n").expect("a Go block") + "```go\n".len();
    let len = text[start..].find("```").expect("its end");
    text[start..start + len].to_owned()
}

/// A copy of the repository's files as a fresh clone has them (what git tracks, and new
/// files it does not ignore), at `to`.
fn fresh_copy(to: &Path) {
    let _ = std::fs::remove_dir_all(to);
    let root = ffi::root();
    let files = toolchain::run(
        Command::new("git")
            .args([
                "ls-files",
                "-z",
                "--cached",
                "--others",
                "--exclude-standard",
            ])
            .current_dir(&root),
    );
    for file in files.stdout.split(|&b| b == 0).filter(|f| !f.is_empty()) {
        let file = PathBuf::from(String::from_utf8_lossy(file).into_owned());
        let from = root.join(&file);
        if !from.is_file() {
            continue; // deleted in the work tree
        }
        let dest = to.join(&file);
        std::fs::create_dir_all(dest.parent().unwrap()).unwrap();
        std::fs::copy(&from, &dest).unwrap();
    }
}

/// bindings/go/README.md's program, as its README installs it: `go generate` in the
/// package (here with `CINNOX_NO_BUILD=1`: the library cargo built, which this test puts
/// where cargo builds with `CARGO_TARGET_DIR` set outside the repository), `go mod edit`
/// in an application, and `go run .` with no `CGO_LDFLAGS`.
#[test]
fn go_readme_program_runs_with_the_library_where_cargo_built_it() {
    toolchain::require("go (golang-go)", Command::new("go").arg("version"));
    let work = ffi::lib_dir().join("..").join("go-readme");
    let clone = work.join("clone");
    fresh_copy(&clone);
    // Where cargo builds: elsewhere, as cargo metadata reports it.
    let elsewhere = work.join("cargo-target");
    std::fs::create_dir_all(elsewhere.join("release")).unwrap();
    std::fs::copy(
        ffi::lib_dir().join("libcinnox.a"),
        elsewhere.join("release/libcinnox.a"),
    )
    .unwrap();
    run(go(&clone.join("bindings/go"))
        .arg("generate")
        .env("CARGO_TARGET_DIR", &elsewhere)
        .env("CINNOX_NO_BUILD", "1"));
    assert!(clone.join("bindings/go/lib/libcinnox.a").is_file());

    let app = work.join("app");
    let _ = std::fs::remove_dir_all(&app);
    std::fs::create_dir_all(&app).unwrap();
    run(go(&app).args(["mod", "init", "example.com/app"]));
    let package = clone.join("bindings/go");
    run(go(&app).args([
        "mod",
        "edit",
        "-require=github.com/cinnox-rs/cinnox/bindings/go@v0.0.0",
        &format!(
            "-replace=github.com/cinnox-rs/cinnox/bindings/go={}",
            package.display()
        ),
    ]));
    let readme = std::fs::read_to_string(package.join("README.md")).unwrap();
    std::fs::write(app.join("main.go"), go_block(&readme)).unwrap();
    let out = run(go(&app).args(["run", "."]));
    assert_eq!(String::from_utf8_lossy(&out.stdout), "call start call-1\n");
}

/// The Go block of README.md is bindings/go/README.md's whole program, which the test
/// above runs.
#[test]
fn readme_go_snippet_is_the_packages_program() {
    let root = ffi::root();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let package =
        std::fs::read_to_string(root.join("bindings/go/README.md")).expect("bindings/go/README.md");
    assert_eq!(go_block(&readme), go_block(&package));
}
