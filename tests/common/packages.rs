//! The library the language packages (bindings/python, bindings/node) carry in the tests:
//! the one this test run built, never a second build. Include it with
//! `#[path = "common/packages.rs"] mod packages;` beside `ffi`.

#![allow(dead_code)]

use std::path::{Path, PathBuf};

/// The shared library this test run built (`cargo test` builds every crate type of the
/// library), which the packages are handed through `CINNOX_LIBRARY` or [`cargo_stand_in`].
pub fn library() -> PathBuf {
    let lib = crate::ffi::lib_dir().join("libcinnox.so");
    assert!(lib.is_file(), "no {}", lib.display());
    lib
}

/// The command line both packages give cargo when they build the library from source.
pub const PACKAGE_BUILD: &str =
    "build --release --lib --features postgres --message-format=json-render-diagnostics";

/// A stand-in for cargo at `dir/cargo`, for a package's build from source (`CARGO=` it):
/// run in the repository root with exactly [`PACKAGE_BUILD`], it answers as cargo does
/// when the library is built already (JSON messages, the artifact naming [`library`]);
/// anything else fails. The package's own steps (finding the artifact in cargo's output,
/// copying and stripping it) run for real, without a second build of the library.
pub fn cargo_stand_in(dir: &Path) -> PathBuf {
    use std::os::unix::fs::PermissionsExt;
    std::fs::create_dir_all(dir).unwrap();
    let lib = library();
    let stem = lib.with_extension("");
    let artifact = format!(
        r#"{{"reason":"compiler-artifact","package_id":"cinnox 0.2.0","target":{{"kind":["lib","cdylib","staticlib"],"crate_types":["lib","cdylib","staticlib"],"name":"cinnox"}},"filenames":["{s}.rlib","{l}","{s}.a"],"fresh":true}}"#,
        s = stem.display(),
        l = lib.display()
    );
    let script = format!(
        "#!/bin/sh\n\
         # A stand-in for cargo (tests/common/packages.rs).\n\
         [ \"$*\" = '{PACKAGE_BUILD}' ] || {{ echo \"cargo stand-in: unexpected arguments: $*\" >&2; exit 2; }}\n\
         grep -q '^name = \"cinnox\"' Cargo.toml || {{ echo \"cargo stand-in: not run in the repository root: $PWD\" >&2; exit 2; }}\n\
         printf '%s\\n' '{artifact}' '{{\"reason\":\"build-finished\",\"success\":true}}'\n"
    );
    let path = dir.join("cargo");
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    path
}
