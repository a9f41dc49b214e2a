//! The committed C header is exactly what cbindgen generates from `src/ffi/`, and it
//! compiles cleanly as C99 and as C++17.

#[path = "common/ffi.rs"]
mod ffi;

use std::path::Path;

#[test]
fn committed_header_matches_a_fresh_generation() {
    let fresh_path = Path::new(env!("OUT_DIR")).join("cinnox.h");
    let fresh = std::fs::read_to_string(&fresh_path).expect("build.rs wrote the fresh header");
    assert!(
        !fresh.starts_with("/* cinnox.h generation failed"),
        "cbindgen failed in build.rs: {fresh}"
    );
    let committed_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("include/cinnox.h");
    let committed = std::fs::read_to_string(&committed_path).expect("include/cinnox.h exists");
    assert!(
        committed == fresh,
        "include/cinnox.h is stale: run `CINNOX_REGENERATE_HEADER=1 cargo build` and commit it"
    );
}

#[test]
fn header_compiles_as_c99_and_cpp17_without_warnings() {
    let dir = ffi::build_dir("header");
    let c = dir.join("header.c");
    std::fs::write(
        &c,
        "#include \"cinnox.h\"\nint main(void) { return cinnox_version()[0] == '\\0'; }\n",
    )
    .unwrap();
    let exe = ffi::compile_c(&[c.as_path()], &dir.join("header_c"));
    ffi::run(&exe, &[], &[]).success();
    let cpp = dir.join("header.cpp");
    std::fs::write(
        &cpp,
        "#include \"cinnox.h\"\n#include <cstring>\nint main() { return std::strlen(cinnox_version()) == 0; }\n",
    )
    .unwrap();
    let exe = ffi::compile_cpp(&[cpp.as_path()], &dir.join("header_cpp"));
    ffi::run(&exe, &[], &[]).success();
}

/// Every name the header declares is in the `cinnox_` / `CINNOX_` namespace: nothing of the
/// Rust API leaks into C.
#[test]
fn header_declares_only_prefixed_names() {
    let header =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("include/cinnox.h"))
            .unwrap();
    let mut in_comment = false;
    for line in header.lines() {
        let t = line.trim();
        if t.starts_with("/*") {
            in_comment = !t.contains("*/");
            continue;
        }
        if in_comment {
            in_comment = !t.contains("*/");
            continue;
        }
        let name = if let Some(rest) = t.strip_prefix("#define ") {
            rest.split_whitespace().next()
        } else if let Some(rest) = t.strip_prefix("typedef struct ") {
            rest.split_whitespace().next()
        } else if let Some(rest) = t.strip_prefix("enum ") {
            rest.split_whitespace().next()
        } else {
            None
        };
        if let Some(name) = name {
            assert!(
                name.starts_with("cinnox_") || name.starts_with("CINNOX_"),
                "{name} leaks into cinnox.h"
            );
        }
    }
}

/// README.md lists every function of the header.
#[test]
fn readme_lists_every_function() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let header = std::fs::read_to_string(root.join("include/cinnox.h")).unwrap();
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let mut n = 0;
    for line in header.lines() {
        if line.starts_with(' ') || line.starts_with('#') || !line.contains("cinnox_") {
            continue;
        }
        let Some(paren) = line.find('(') else {
            continue;
        };
        let name = line[..paren].rsplit([' ', '*']).next().unwrap_or("");
        if name.starts_with("cinnox_") {
            n += 1;
            assert!(
                readme.contains(&format!("`{name}`")),
                "README.md misses {name}"
            );
        }
    }
    assert!(n > 60, "found only {n} functions");
}

/// The C snippet of README.md compiles cleanly as C99.
#[test]
fn readme_snippet_compiles() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let readme = std::fs::read_to_string(root.join("README.md")).unwrap();
    let start = readme.find("```c\n").expect("a C block") + 5;
    let len = readme[start..].find("```").expect("its end");
    let dir = ffi::build_dir("readme");
    let src = dir.join("readme.c");
    std::fs::write(&src, &readme[start..start + len]).unwrap();
    ffi::compile_c(&[src.as_path()], &dir.join("readme"));
}

/// A 0.1 name kept as a deprecated alias still compiles, but the compiler warns where it is
/// used and names the replacement (C99 through `__attribute__((deprecated))`, C++17
/// through `[[deprecated]]`); `CINNOX_NO_DEPRECATION_WARNINGS` silences it. The new names
/// give no warning.
#[test]
fn a_deprecated_name_makes_the_compiler_warn_and_name_its_replacement() {
    let dir = ffi::build_dir("deprecated");
    let old = dir.join("old.c");
    std::fs::write(
        &old,
        "#include \"cinnox.h\"\nint main(void) {\n    cinnox_receiver_config *c = NULL;\n    \
         if (cinnox_receiver_config_new(\"/p\", &c) != CINNOX_OK) return 1;\n    \
         cinnox_receiver_config_free(c);\n    return 0;\n}\n",
    )
    .unwrap();
    let include = ffi::root().join("include");
    for (compiler, std) in [("gcc", "-std=c99"), ("g++", "-std=c++17")] {
        let source = if compiler == "g++" {
            let cpp = dir.join("old.cpp");
            std::fs::copy(&old, &cpp).unwrap();
            cpp
        } else {
            old.clone()
        };
        let compile = |extra: &[&str]| {
            std::process::Command::new(compiler)
                .args([std, "-Wall", "-Werror", "-fsyntax-only", "-I"])
                .arg(&include)
                .args(extra)
                .arg(&source)
                .output()
                .expect("the compiler runs")
        };
        let warned = compile(&[]);
        let text = String::from_utf8_lossy(&warned.stderr);
        assert!(
            !warned.status.success(),
            "{compiler}: the deprecated name compiled silently"
        );
        assert!(
            text.contains("cinnox_receiver_config_new") && text.contains("deprecated"),
            "{compiler}: {text}"
        );
        assert!(
            text.contains("use cinnox_receiver_config_builder_new"),
            "{compiler} names the replacement: {text}"
        );
        let quiet = compile(&["-DCINNOX_NO_DEPRECATION_WARNINGS"]);
        assert!(
            quiet.status.success(),
            "{compiler}: {}",
            String::from_utf8_lossy(&quiet.stderr)
        );
    }
}
