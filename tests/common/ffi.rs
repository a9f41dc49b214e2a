//! Helpers for the C ABI tests: find the freshly built library, compile C and C++
//! programs against it with warnings as errors, and run them (under valgrind when it is
//! installed).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// `target/<profile>`: the directory holding `libcinnox.so` / `libcinnox.a`.
pub fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    // target/<profile>/deps/<test>-<hash>
    let dir = exe
        .parent()
        .and_then(Path::parent)
        .expect("target/<profile>")
        .to_path_buf();
    assert!(
        dir.join("libcinnox.so").exists() || dir.join("libcinnox.dylib").exists(),
        "no shared library in {}",
        dir.display()
    );
    dir
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh directory for one test's build products, under the target directory.
pub fn build_dir(name: &str) -> PathBuf {
    let dir = lib_dir().join("c-tests").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("create build dir");
    dir
}

fn compile(compiler: &str, std: &str, sources: &[&Path], out: &Path, extra: &[&str]) -> PathBuf {
    let lib = lib_dir();
    let mut cmd = Command::new(compiler);
    cmd.arg(std)
        .args(["-Wall", "-Wextra", "-Wpedantic", "-Werror", "-g", "-O1"])
        .arg("-I")
        .arg(root().join("include"))
        .args(sources)
        .arg("-o")
        .arg(out)
        .arg(format!("-L{}", lib.display()))
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .args(extra)
        .arg("-lcinnox");
    let o = cmd.output().expect("run the compiler");
    assert!(
        o.status.success(),
        "{compiler} failed on {sources:?}:\n{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    );
    out.to_path_buf()
}

/// Compile C sources as C99 with `-Wall -Wextra -Wpedantic -Werror`, linked to libcinnox.so.
pub fn compile_c(sources: &[&Path], out: &Path) -> PathBuf {
    compile("gcc", "-std=c99", sources, out, &["-lpthread"])
}

/// Compile C++ sources as C++17 with the same warnings, linked to libcinnox.so.
pub fn compile_cpp(sources: &[&Path], out: &Path) -> PathBuf {
    compile("g++", "-std=c++17", sources, out, &["-lpthread"])
}

/// Whether valgrind is installed (it is in CI).
pub fn have_valgrind() -> bool {
    Command::new("valgrind")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// The output of a program run, with helpers to assert on it.
pub struct Run {
    pub output: Output,
    pub what: String,
}

impl Run {
    pub fn stdout(&self) -> String {
        String::from_utf8_lossy(&self.output.stdout).into_owned()
    }
    pub fn stderr(&self) -> String {
        String::from_utf8_lossy(&self.output.stderr).into_owned()
    }
    /// Assert exit status 0 and return stdout.
    pub fn success(&self) -> String {
        assert!(
            self.output.status.success(),
            "{} failed ({}):\nstdout:\n{}\nstderr:\n{}",
            self.what,
            self.output.status,
            self.stdout(),
            self.stderr()
        );
        self.stdout()
    }
}

/// Run `exe` with `args` and extra environment variables.
pub fn run(exe: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let output = Command::new(exe)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("run the program");
    Run {
        output,
        what: exe.display().to_string(),
    }
}

/// Run `exe` under `valgrind --leak-check=full --error-exitcode=1` (0 errors and 0 bytes
/// definitely lost, or it fails); `None` when valgrind is not installed.
pub fn run_valgrind(exe: &Path, args: &[&str], env: &[(&str, &str)]) -> Option<Run> {
    if !have_valgrind() {
        eprintln!(
            "valgrind not installed: skipping the leak check of {}",
            exe.display()
        );
        return None;
    }
    let output = Command::new("valgrind")
        .args([
            "--leak-check=full",
            "--error-exitcode=1",
            "--errors-for-leak-kinds=definite",
            "--show-leak-kinds=definite",
            "--quiet",
        ])
        .arg(exe)
        .args(args)
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("run valgrind");
    Some(Run {
        output,
        what: format!("valgrind {}", exe.display()),
    })
}
