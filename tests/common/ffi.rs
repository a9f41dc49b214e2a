//! Helpers for the C ABI tests: find the freshly built library, compile C and C++
//! programs against it with warnings as errors, and run them (under valgrind when it is
//! installed).

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// How long a test lets one program (a compiler, a C program under valgrind, a language's
/// test runner) run before it kills it and fails: a program that hangs fails its test
/// instead of stalling the whole run.
pub const PROGRAM_LIMIT: std::time::Duration = std::time::Duration::from_secs(600);

/// `cmd`'s output, as `Command::output` gives it (stdin is null), or a panic with what it
/// printed when it is still running after `limit`: then it is killed, with every process
/// it started (it runs in a process group of its own).
pub fn output_within(cmd: &mut Command, limit: std::time::Duration) -> Output {
    use std::os::unix::process::CommandExt;
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("run {cmd:?}: {e}"));
    let group = child.id() as i32;
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = tx.send(child.wait_with_output());
    });
    let output = match rx.recv_timeout(limit) {
        Ok(output) => output,
        Err(_) => {
            // SAFETY: kill(2) of the process group this function started.
            unsafe { libc::kill(-group, libc::SIGKILL) };
            let said = rx
                .recv_timeout(std::time::Duration::from_secs(10))
                .ok()
                .and_then(Result::ok)
                .map(|o| {
                    format!(
                        "{}\n{}",
                        String::from_utf8_lossy(&o.stdout),
                        String::from_utf8_lossy(&o.stderr)
                    )
                })
                .unwrap_or_default();
            panic!("{cmd:?} was still running after {limit:?} and was killed:\n{said}");
        }
    };
    output.unwrap_or_else(|e| panic!("run {cmd:?}: {e}"))
}

/// The directory holding the freshly built `libcinnox.so` / `libcinnox.a`.
///
/// `cargo test` builds every crate type of the library into `target/<profile>/deps/` (next
/// to the test executable) and copies them up to `target/<profile>/` only on `cargo
/// build`, so the copy in `deps/` is the fresh one.
pub fn lib_dir() -> PathBuf {
    let exe = std::env::current_exe().expect("test executable path");
    let deps = exe.parent().expect("target/<profile>/deps").to_path_buf();
    for dir in [
        deps.clone(),
        deps.parent().map(Path::to_path_buf).unwrap_or_default(),
    ] {
        if dir.join("libcinnox.so").exists() || dir.join("libcinnox.dylib").exists() {
            return dir;
        }
    }
    panic!("no libcinnox shared library next to {}", exe.display());
}

/// The repository root.
pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A fresh directory for one test's build products, under the target directory.
pub fn build_dir(name: &str) -> PathBuf {
    let dir = lib_dir().join("..").join("c-tests").join(name);
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
        // DT_RPATH (not RUNPATH): it wins over the LD_LIBRARY_PATH cargo sets for tests,
        // which names target/<profile>, where a stale copy of the library may lie.
        .arg("-Wl,--disable-new-dtags")
        .arg(format!("-Wl,-rpath,{}", lib.display()))
        .args(extra)
        .arg("-lcinnox");
    let o = output_within(&mut cmd, PROGRAM_LIMIT);
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

/// Whether `tool` runs (`tool --version`).
fn have_tool(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

/// Fail the test when `tool` does not run: a test never skips, so it never passes without
/// having run (`scripts/test` installs every tool the tests need).
pub fn require_tool(tool: &str) {
    assert!(
        have_tool(tool),
        "{tool} is not installed, so this test cannot run (it never skips): `scripts/test` \
         installs it, or install it yourself"
    );
}

/// `--suppressions=tests/valgrind.supp`: one allocation of Rust's std that valgrind calls
/// "possibly lost" (see the file); nothing of the library's own.
fn suppressions() -> String {
    format!(
        "--suppressions={}",
        root().join("tests/valgrind.supp").display()
    )
}

/// Fail the test when valgrind is missing: a test under valgrind never skips.
pub fn require_valgrind() {
    require_tool("valgrind");
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
    let mut cmd = Command::new(exe);
    cmd.env("LD_LIBRARY_PATH", lib_dir())
        .args(args)
        .envs(env.iter().copied());
    let output = output_within(&mut cmd, PROGRAM_LIMIT);
    Run {
        output,
        what: exe.display().to_string(),
    }
}

/// Run `exe` under `valgrind --leak-check=full --error-exitcode=1` (0 errors and 0 bytes
/// lost or possibly lost, or it fails); the test fails when valgrind is not installed.
pub fn run_valgrind(exe: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    require_valgrind();
    let mut cmd = Command::new("valgrind");
    cmd.args(["--leak-check=full", "--error-exitcode=1", "--quiet"])
        .arg(suppressions())
        .arg(exe)
        .args(args)
        .env("LD_LIBRARY_PATH", lib_dir())
        .envs(env.iter().copied());
    let output = output_within(&mut cmd, PROGRAM_LIMIT);
    Run {
        output,
        what: format!("valgrind {}", exe.display()),
    }
}

/// How long a test waits for the next line of a program (valgrind is slow, but no wait in
/// these tests should come near this).
const LINE_DEADLINE: std::time::Duration = std::time::Duration::from_secs(60);

/// A program started with piped stdout, read line by line (by a thread, so that a program
/// that goes silent fails the test instead of hanging it). Killed when dropped.
pub struct Spawned {
    pub child: std::process::Child,
    pub lines: std::sync::mpsc::Receiver<String>,
    pub seen: Vec<String>,
}

impl Spawned {
    fn new(mut child: std::process::Child) -> Spawned {
        use std::io::BufRead;
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Spawned {
            child,
            lines: rx,
            seen: Vec::new(),
        }
    }

    /// The next line of stdout (panics at EOF or after a minute of silence).
    pub fn line(&mut self) -> String {
        match self.lines.recv_timeout(LINE_DEADLINE) {
            Ok(l) => {
                self.seen.push(l.clone());
                l
            }
            Err(e) => panic!("no more output ({e}); seen: {:#?}", self.seen),
        }
    }

    /// Read lines until one starts with `prefix`; return it.
    pub fn line_starting(&mut self, prefix: &str) -> String {
        loop {
            let l = self.line();
            if l.starts_with(prefix) {
                return l;
            }
        }
    }

    /// Read the `listening on port N` line and return N.
    pub fn port(&mut self) -> u16 {
        let l = self.line_starting("listening on port ");
        l["listening on port ".len()..]
            .trim()
            .parse()
            .expect("a port number")
    }

    /// Wait for the exit and return the remaining stdout; assert exit status 0.
    pub fn finish(mut self) -> String {
        let mut rest = Vec::new();
        loop {
            match self.lines.recv_timeout(LINE_DEADLINE) {
                Ok(l) => rest.push(l),
                Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
                Err(e) => panic!("the program did not end ({e}); seen: {:#?}", self.seen),
            }
        }
        let mut stderr = String::new();
        if let Some(mut e) = self.child.stderr.take() {
            use std::io::Read;
            let _ = e.read_to_string(&mut stderr);
        }
        let status = self.child.wait().expect("wait for the program");
        assert!(
            status.success(),
            "exit {status}\nstdout: {:#?}\n{rest:#?}\nstderr:\n{stderr}",
            self.seen
        );
        rest.join("\n")
    }
}

impl Drop for Spawned {
    fn drop(&mut self) {
        // A test that failed half-way leaves no program behind.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Start `exe` (under valgrind when `valgrind` is set) with piped stdout and stderr.
pub fn spawn(exe: &Path, args: &[&str], valgrind: bool) -> Spawned {
    let mut cmd = if valgrind {
        let mut c = Command::new("valgrind");
        c.args(["--leak-check=full", "--error-exitcode=1", "--quiet"])
            .arg(suppressions())
            .arg(exe);
        c
    } else {
        Command::new(exe)
    };
    let child = cmd
        .args(args)
        .env("LD_LIBRARY_PATH", lib_dir())
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start the program");
    Spawned::new(child)
}

/// Start a prepared command with piped stdout and stderr; `None` when it cannot be started
/// (the interpreter is not installed).
pub fn spawn_command(mut cmd: Command) -> Option<Spawned> {
    let child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    Some(Spawned::new(child))
}

/// POST `body` to `http://127.0.0.1:{port}{path}` over a fresh connection; return the
/// status code and the response body.
pub fn post(port: u16, path: &str, body: &[u8]) -> (u16, Vec<u8>) {
    use std::io::{Read, Write};
    let mut s = std::net::TcpStream::connect(("127.0.0.1", port)).expect("connect");
    s.set_read_timeout(Some(std::time::Duration::from_secs(20)))
        .unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).unwrap();
    s.write_all(body).unwrap();
    let mut reply = Vec::new();
    s.read_to_end(&mut reply).expect("read the reply");
    let text = String::from_utf8_lossy(&reply);
    let status: u16 = text
        .split_whitespace()
        .nth(1)
        .and_then(|c| c.parse().ok())
        .unwrap_or_else(|| panic!("not an HTTP reply: {text:?}"));
    let body_at = reply
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .map_or(reply.len(), |p| p + 4);
    (status, reply[body_at..].to_vec())
}

/// The notifications the receiver tests deliver: (body, what the C examples print for it).
pub const CALL_START: &str = r#"{"type":"message","message":{"id":"call-1","status":"CallStart","serviceId":"svc-1","caller":{"eid":"eid-a","number":"+85298765432"},"callees":{"eid":"eid-b","number":"85212345678"}}}"#;
pub const CALL_END: &str =
    r#"{"type":"message","message":{"id":"call-1","status":"CallEnd","serviceId":"svc-1"}}"#;
pub const INBOUND_SMS: &str = r#"{"id":"sms-1","eventDescription":"Inbound SMS","senderNumber":"85298765432","recipientNumber":"85212345678","receiveTime":"2022-11-07T00:00:00.000Z","contentType":"Text","content":"hello"}"#;
pub const OUTBOUND_SMS: &str = r#"{"Type":"tdr","AppID":"app-1","ServiceID":"svc-1","TransactionID":"tx-1","RecipientNumber":"85298765432","RecipientCountry":"HK","ResponseCode":"","Status":"Delivered","Exception":""}"#;
