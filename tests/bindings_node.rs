//! The Node.js package (`bindings/node`): `npm install` in it builds the library from
//! source (cargo, release, with the PostgreSQL inbox) into the package, `npm pack` makes a
//! tarball that carries it, an application installs that tarball, and the `node --test`
//! suite passes.
//!
//! npm's cache lives under the target directory; the registry is needed for koffi. Every
//! test sends its traffic to 127.0.0.1.

#[path = "common/ffi.rs"]
mod ffi;
#[path = "common/toolchain.rs"]
mod toolchain;

use std::path::{Path, PathBuf};
use std::process::Command;

use toolchain::run;

/// The tests of bindings/node/test/cinnox.test.js; each must run and pass.
const NODE_TESTS: &[&str] = &[
    "whole flow: subscribe, trigger, receive, ack, unsubscribe",
    "a failed delivery is delivered again",
    "serve: a throwing handler fails the event and it is delivered again",
    "a handler can shut serve down",
    "a bad token is an ApiError carrying CINNOX code 6452000",
    "invalid arguments raise InvalidArgumentError",
    "recv times out, and close wakes a waiting recvAsync",
    "for await over a receiver yields deliveries until it is shut down",
    "waits run off the event loop: a timer fires while recvAsync waits",
    "wire variants parse the same",
    "an inbox stores before answering, retries, goes dead, and replays",
    "metrics, and GET /metrics on its own port",
    "the package loads the library it carries",
    "the README example runs",
];

fn target() -> PathBuf {
    ffi::lib_dir().join("..")
}

fn npm(dir: &Path) -> Command {
    let mut c = Command::new("npm");
    c.current_dir(dir)
        .env("npm_config_cache", target().join("npm-cache"))
        .env("npm_config_audit", "false")
        .env("npm_config_fund", "false")
        .env("npm_config_update_notifier", "false")
        .env_remove("CINNOX_LIBRARY");
    c
}

#[test]
fn node_package_builds_packs_installs_and_its_tests_pass() {
    if !toolchain::available("node and npm", Command::new("npm").arg("--version")) {
        return;
    }
    let package = ffi::root().join("bindings/node");
    // From source: koffi from the registry, the library built by the install script.
    // Not this run's target directory: cargo holds its lock while tests run.
    let _ = std::fs::remove_dir_all(package.join("native"));
    run(npm(&package)
        .arg("install")
        .env("CARGO_TARGET_DIR", target().join("pkg-build")));
    let size = std::fs::metadata(package.join("native/libcinnox.so"))
        .expect("the library in the package")
        .len();
    // Stripped of its debug information (about 50 MB with it), as ./install-c.sh does.
    assert!(size < 16 << 20, "{size} bytes");

    // A tarball that carries the library, installed by an application elsewhere.
    let packs = target().join("node-pack");
    let _ = std::fs::remove_dir_all(&packs);
    std::fs::create_dir_all(&packs).unwrap();
    let out = run(npm(&package)
        .args(["pack", "--pack-destination"])
        .arg(&packs));
    let tarball = packs.join(String::from_utf8_lossy(&out.stdout).trim());
    assert!(tarball.exists(), "{}", tarball.display());
    let listing = run(Command::new("tar").arg("tzf").arg(&tarball));
    let listing = String::from_utf8_lossy(&listing.stdout);
    for file in [
        "package/native/libcinnox.so",
        "package/index.js",
        "package/index.d.ts",
        "package/lib/ffi.js",
    ] {
        assert!(listing.lines().any(|l| l == file), "{file}:\n{listing}");
    }
    let app = target().join("node-app");
    let _ = std::fs::remove_dir_all(&app);
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(
        app.join("package.json"),
        r#"{"name":"app","version":"1.0.0","private":true}"#,
    )
    .unwrap();
    run(npm(&app).arg("install").arg(&tarball));
    let out = run(Command::new("node")
        .args([
            "-e",
            "const c = require('cinnox'); console.log(c.libraryVersion()); console.log(c.libraryFile)",
        ])
        .current_dir(&app)
        .env_remove("CINNOX_LIBRARY")
        .env_remove("LD_LIBRARY_PATH"));
    let text = String::from_utf8_lossy(&out.stdout);
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("0.1.0"));
    let loaded = PathBuf::from(lines.next().unwrap_or_default());
    assert_eq!(
        loaded,
        app.canonicalize()
            .unwrap()
            .join("node_modules/cinnox/native/libcinnox.so"),
        "the application loads the library its package carries"
    );

    // The TypeScript declarations, as an application compiles against them.
    run(npm(&app).args(["install", "typescript@5", "@types/node@20"]));
    std::fs::copy(package.join("test/types.ts"), app.join("types.ts")).unwrap();
    run(Command::new(app.join("node_modules/.bin/tsc"))
        .args([
            "--noEmit",
            "--strict",
            "--target",
            "es2020",
            "--module",
            "commonjs",
            "--moduleResolution",
            "node",
            "--types",
            "node",
            "types.ts",
        ])
        .current_dir(&app));

    // The suite, on the package built from source.
    let mut node = Command::new("node");
    node.args(["--test", "--test-timeout=120000", "test/"])
        .current_dir(&package)
        .env_remove("CINNOX_LIBRARY");
    let out = ffi::output_within(&mut node, ffi::PROGRAM_LIMIT);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "node --test failed ({}):\n{stdout}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    for name in NODE_TESTS {
        assert!(
            stdout
                .lines()
                .any(|l| l.starts_with("ok ") && l.ends_with(&format!(" - {name}"))),
            "{name} did not pass:\n{stdout}"
        );
    }
    assert!(
        stdout
            .lines()
            .any(|l| l == format!("# pass {}", NODE_TESTS.len())),
        "{stdout}"
    );
}

/// The Node.js block of README.md is the package's README example, which the suite runs.
#[test]
fn readme_node_snippet_is_the_packages_example() {
    let root = ffi::root();
    let readme = std::fs::read_to_string(root.join("README.md")).expect("README.md");
    let package = std::fs::read_to_string(root.join("bindings/node/README.md"))
        .expect("bindings/node/README.md");
    let block = |text: &str| {
        let start = text.find("```js\n").expect("a js block") + "```js\n".len();
        let end = start + text[start..].find("```").expect("its end");
        text[start..end].to_owned()
    };
    assert_eq!(block(&readme), block(&package));
}
