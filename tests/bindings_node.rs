//! The Node.js package (`bindings/node`), as an application gets it from a fresh clone:
//! `npm install /path/to/bindings/node` (a link; the install script puts the library into
//! the package and koffi beside it), the README examples run as pasted, `npm pack` makes a
//! tarball that carries the library, an application installs that tarball, and the
//! `node --test` suite passes.
//!
//! The library is the one this test run built, which a stand-in for cargo names to the
//! install script: no second build. npm's cache lives under the target directory; the registry is needed for
//! koffi. Every test sends its traffic to 127.0.0.1.

#[path = "common/ffi.rs"]
mod ffi;
#[path = "common/packages.rs"]
mod packages;
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
    "stats read every counter of the library",
    "a client built with settings, and an inbox opened again with a new schedule",
    "metrics, and GET /metrics on its own port",
    "the package loads the library it carries",
    "families are named as the command line names them",
    "the README example runs as pasted",
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

/// `from` copied to `to` as a fresh clone has it: without what an install leaves
/// (node_modules/, native/, package-lock.json).
fn copy_clean(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if ["node_modules", "native", "package-lock.json"].contains(&&*name.to_string_lossy()) {
            continue;
        }
        if entry.file_type().unwrap().is_dir() {
            copy_clean(&entry.path(), &to.join(&name));
        } else {
            std::fs::copy(entry.path(), to.join(&name)).unwrap();
        }
    }
}

/// A fresh directory `name` under the target directory, holding an empty application.
fn app(name: &str) -> PathBuf {
    let app = target().join(name);
    let _ = std::fs::remove_dir_all(&app);
    std::fs::create_dir_all(&app).unwrap();
    std::fs::write(
        app.join("package.json"),
        r#"{"name":"app","version":"1.0.0","private":true}"#,
    )
    .unwrap();
    app
}

/// `node -e CODE` in `dir`, with no library named by the environment; its stdout.
fn node(dir: &Path, args: &[&str]) -> String {
    let out = run(Command::new("node")
        .args(args)
        .current_dir(dir)
        .env_remove("CINNOX_LIBRARY")
        .env_remove("LD_LIBRARY_PATH"));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// The version and the file of the library `require('cinnox')` loads in `dir`.
fn loaded(dir: &Path) -> (String, PathBuf) {
    let text = node(
        dir,
        &[
            "-e",
            "const c = require('cinnox'); console.log(c.libraryVersion()); console.log(c.libraryFile)",
        ],
    );
    let mut lines = text.lines();
    let version = lines.next().unwrap_or_default().to_owned();
    (version, PathBuf::from(lines.next().unwrap_or_default()))
}

/// The ```js block of a README.
fn js_block(text: &str) -> String {
    let start = text.find("```js\n").expect("a js block") + "```js\n".len();
    let end = start + text[start..].find("```").expect("its end");
    text[start..end].to_owned()
}

#[test]
fn node_package_installs_from_a_fresh_clone_packs_and_its_tests_pass() {
    toolchain::require("node and npm", Command::new("npm").arg("--version"));
    let lib = packages::library();
    // A fresh clone's bindings/node (and the Cargo.toml that marks a checkout of cinnox).
    let clone = target().join("node-clone");
    let _ = std::fs::remove_dir_all(&clone);
    let package = clone.join("bindings/node");
    copy_clean(&ffi::root().join("bindings/node"), &package);
    std::fs::copy(ffi::root().join("Cargo.toml"), clone.join("Cargo.toml")).unwrap();

    // `npm install /path/to/bindings/node`, as the README says: koffi comes from the
    // registry, the library from cargo (its stand-in, naming this run's build).
    let linked = app("node-app-linked");
    run(npm(&linked).arg("install").arg(&package).env(
        "CARGO",
        packages::cargo_stand_in(&target().join("node-cargo")),
    ));
    let (version, file) = loaded(&linked);
    assert_eq!(version, "0.2.0");
    assert_eq!(
        file,
        package.canonicalize().unwrap().join("native/libcinnox.so")
    );
    // Stripped of its debug information, as ./install-c.sh does.
    let size = std::fs::metadata(&file).unwrap().len();
    let built = std::fs::metadata(&lib).unwrap().len();
    assert!(size < built / 2, "{size} bytes of {built}");
    // The README examples, each saved as a file of the application and run as it is.
    for readme in ["README.md", "bindings/node/README.md"] {
        let text = std::fs::read_to_string(ffi::root().join(readme)).unwrap();
        std::fs::write(linked.join("example.js"), js_block(&text)).unwrap();
        let out = node(&linked, &["example.js"]);
        assert!(out.starts_with("CallStart CallStart {"), "{readme}:\n{out}");
    }

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
    assert!(
        !listing.contains("node_modules"),
        "the tarball carries no dependency:\n{listing}"
    );
    let packed = app("node-app");
    run(npm(&packed).arg("install").arg(&tarball));
    let (version, file) = loaded(&packed);
    assert_eq!(version, "0.2.0");
    assert_eq!(
        file,
        packed
            .canonicalize()
            .unwrap()
            .join("node_modules/cinnox/native/libcinnox.so"),
        "the application loads the library its package carries"
    );

    // The TypeScript declarations, as an application compiles against them.
    run(npm(&packed).args(["install", "typescript@5", "@types/node@20"]));
    std::fs::copy(package.join("test/types.ts"), packed.join("types.ts")).unwrap();
    run(Command::new(packed.join("node_modules/.bin/tsc"))
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
        .current_dir(&packed));

    // The suite, in the fresh clone's package (koffi beside it since the install).
    let mut node = Command::new("node");
    node.args(["--test", "--test-timeout=120000", "test/"])
        .current_dir(&package)
        .env_remove("CINNOX_LIBRARY")
        .env_remove("LD_LIBRARY_PATH");
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
    assert_eq!(js_block(&readme), js_block(&package));
}
