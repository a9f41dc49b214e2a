//! Build script: generates the C header from `src/ffi/` with cbindgen.
//!
//! The fresh header always goes to `$OUT_DIR/cinnox.h`. The committed `include/cinnox.h`
//! is rewritten only when `CINNOX_REGENERATE_HEADER=1` is set and the text differs, so that
//! building the crate (as a dependency, from a read-only registry checkout, in CI) never
//! writes into the source tree. `tests/ffi_header.rs` fails when the two differ.
//!
//! A cbindgen failure is a warning, not a build error: users of the Rust API must not be
//! blocked by the header generator. The freshness test then fails, naming the cause.

use std::env;
use std::fs;
use std::path::PathBuf;

fn main() {
    println!("cargo:rerun-if-changed=build.rs");
    println!("cargo:rerun-if-changed=cbindgen.toml");
    println!("cargo:rerun-if-changed=src");
    println!("cargo:rerun-if-env-changed=CINNOX_REGENERATE_HEADER");
    println!("cargo:rerun-if-env-changed=CINNOX_SONAME");
    soname();

    let crate_dir = PathBuf::from(env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| ".".into()));
    let out_dir = match env::var("OUT_DIR") {
        Ok(d) => PathBuf::from(d),
        Err(_) => return,
    };
    let fresh = out_dir.join("cinnox.h");

    let config = match cbindgen::Config::from_file(crate_dir.join("cbindgen.toml")) {
        Ok(c) => c,
        Err(e) => return failed(&fresh, &format!("reading cbindgen.toml: {e}")),
    };
    let bindings = match cbindgen::Builder::new()
        .with_crate(&crate_dir)
        .with_config(config)
        .generate()
    {
        Ok(b) => b,
        Err(e) => return failed(&fresh, &format!("cbindgen: {e}")),
    };
    let mut text = Vec::new();
    bindings.write(&mut text);
    if let Err(e) = fs::write(&fresh, &text) {
        println!(
            "cargo:warning=cinnox: cannot write {}: {e}",
            fresh.display()
        );
        return;
    }

    if env::var("CINNOX_REGENERATE_HEADER").as_deref() == Ok("1") {
        let committed = crate_dir.join("include").join("cinnox.h");
        if fs::read(&committed).ok().as_deref() != Some(&text[..]) {
            let _ = fs::create_dir_all(crate_dir.join("include"));
            match fs::write(&committed, &text) {
                Ok(()) => println!("cargo:warning=cinnox: regenerated include/cinnox.h"),
                Err(e) => println!("cargo:warning=cinnox: cannot write include/cinnox.h: {e}"),
            }
        }
    }
}

/// With `CINNOX_SONAME=1` (set by `install-c.sh`), give the shared library its SONAME:
/// `libcinnox.so.<major>` from 1.0 on, `libcinnox.so.0.<minor>` before (every 0.x minor
/// release may break the ABI), the convention cargo-c follows. Off by default so that
/// programs linked against `target/` for development find the library by its file name.
fn soname() {
    if env::var("CINNOX_SONAME").as_deref() != Ok("1") {
        return;
    }
    let os = env::var("CARGO_CFG_TARGET_OS").unwrap_or_default();
    if os != "linux" && os != "android" && !os.ends_with("bsd") {
        return;
    }
    let major = env::var("CARGO_PKG_VERSION_MAJOR").unwrap_or_else(|_| "0".into());
    let minor = env::var("CARGO_PKG_VERSION_MINOR").unwrap_or_else(|_| "0".into());
    let name = if major == "0" {
        format!("libcinnox.so.0.{minor}")
    } else {
        format!("libcinnox.so.{major}")
    };
    println!("cargo:rustc-cdylib-link-arg=-Wl,-soname,{name}");
}

/// Record the failure where the freshness test looks, and warn instead of failing the build.
fn failed(fresh: &std::path::Path, why: &str) {
    println!("cargo:warning=cinnox: C header not generated: {why}");
    let _ = fs::write(fresh, format!("/* cinnox.h generation failed: {why} */\n"));
}
