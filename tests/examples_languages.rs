//! The Java (JNA), Ruby (ffi), PHP (FFI) and C# (P/Invoke) examples: each is compiled where
//! the language compiles, run against the library this test run built, and must print the
//! whole sandbox flow and exit 0.

#[path = "common/ffi.rs"]
mod ffi;
#[path = "common/toolchain.rs"]
mod toolchain;

use std::path::Path;
use std::process::{Command, Output};

const JNA_JAR: &str = "/usr/share/java/jna.jar";

fn run(cmd: &mut Command) -> Output {
    ffi::output_within(cmd, ffi::PROGRAM_LIMIT)
}

fn succeed(what: &str, out: &Output) -> String {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{what} failed ({}):\nstdout:\n{stdout}\nstderr:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    stdout
}

/// The four lines every example prints for the flow (the port varies).
fn assert_flow(lang: &str, stdout: &str) {
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 4, "{lang} printed:\n{stdout}");
    let port = lines[0]
        .strip_prefix("subscribed call http://127.0.0.1:")
        .and_then(|rest| rest.strip_suffix("/cinnox/example enabled=true"))
        .unwrap_or_else(|| panic!("{lang}: first line {:?}", lines[0]));
    assert!(
        port.parse::<u16>().is_ok_and(|p| p > 0),
        "{lang}: port {port:?}"
    );
    assert_eq!(
        lines[1..],
        [
            "call start call-example-1 from +85291234567 to 85212345678",
            "trigger delivered=true statuses=200",
            "unsubscribed enabled=false",
        ],
        "{lang}"
    );
}

fn example(path: &str) -> std::path::PathBuf {
    ffi::root().join("examples").join(path)
}

fn lib_so() -> std::path::PathBuf {
    ffi::lib_dir().join("libcinnox.so")
}

#[test]
fn java_example_runs_the_whole_flow() {
    toolchain::require(
        "javac (default-jdk-headless)",
        Command::new("javac").arg("-version"),
    );
    toolchain::require(
        "JNA (libjna-java)",
        Command::new("test").args(["-f", JNA_JAR]),
    );
    let dir = ffi::build_dir("ex_java");
    succeed(
        "javac",
        &run(Command::new("javac")
            .args(["-Xlint:all", "-Werror", "-cp", JNA_JAR, "-d"])
            .arg(&dir)
            .arg(example("java/CinnoxExample.java"))),
    );
    let cp = format!("{JNA_JAR}:{}", dir.display());
    let out = run(Command::new("java")
        .args(["-cp", &cp, "CinnoxExample"])
        .env("CINNOX_LIB", lib_so()));
    assert_flow("java", &succeed("java CinnoxExample", &out));
}

#[test]
fn ruby_example_runs_the_whole_flow() {
    toolchain::require(
        "ruby with the ffi gem (ruby-ffi)",
        Command::new("ruby").args(["-e", "require 'ffi'"]),
    );
    let out = run(Command::new("ruby")
        .arg("-w")
        .arg(example("ruby/cinnox_example.rb"))
        .env("CINNOX_LIB", lib_so()));
    assert_flow("ruby", &succeed("ruby cinnox_example.rb", &out));
}

#[test]
fn php_example_runs_the_whole_flow() {
    let probe = "exit(class_exists('FFI') && function_exists('pcntl_fork') ? 0 : 1);";
    toolchain::require(
        "php with FFI and pcntl (php-cli)",
        Command::new("php").args(["-d", "ffi.enable=1", "-r", probe]),
    );
    let out = run(Command::new("php")
        .args([
            "-d",
            "ffi.enable=1",
            "-d",
            "error_reporting=-1",
            "-d",
            "display_errors=stderr",
        ])
        .arg(example("php/cinnox_example.php"))
        .env("CINNOX_LIB", lib_so()));
    let stdout = succeed("php cinnox_example.php", &out);
    assert!(
        out.stderr.is_empty(),
        "php warned:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_flow("php", &stdout);
}

#[test]
fn csharp_example_runs_the_whole_flow() {
    toolchain::require("mcs (mono-mcs)", Command::new("mcs").arg("--version"));
    toolchain::require("mono (mono-runtime)", Command::new("mono").arg("--version"));
    let dir = ffi::build_dir("ex_csharp");
    let exe = dir.join("CinnoxExample.exe");
    succeed(
        "mcs",
        &run(Command::new("mcs")
            .arg("-warnaserror")
            .arg(format!("-out:{}", exe.display()))
            .arg(example("csharp/CinnoxExample.cs"))),
    );
    // DllImport("cinnox") finds libcinnox.so on the library path.
    let out = run(Command::new("mono")
        .arg(Path::new(&exe))
        .env("LD_LIBRARY_PATH", ffi::lib_dir()));
    assert_flow("csharp", &succeed("mono CinnoxExample.exe", &out));
}
